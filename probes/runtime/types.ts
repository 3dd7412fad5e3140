/** The runtime probe's facts: what gather() found, per runtime, plus the host facts checks compare against. */
import type { DockerFacts } from './docker.js';
import type { ContainerdFacts, CrioFacts } from '../../src/sdk.js';
import type { AuditRules, KubeletCgroup, SelinuxState } from './host.js';
import type { Evidence } from '../../src/sdk.js';

export interface RegistryHostsFinding {
  file: string;
  what: string;
  evidence: Evidence;
}

export interface RuntimeFacts {
  docker: DockerFacts;
  containerd: ContainerdFacts;
  /** Per containerd instance (same order): insecure registry host configs from hosts.toml, or a problem. */
  containerdRegistryHosts: { insecure: RegistryHostsFinding[]; problems: string[] }[];
  crio: CrioFacts;
  /** The custom seccomp profile CRI-O names (seccomp_profile), read and judged minimally. */
  crioSeccompProfile?: { ok: true; defaultAction: string } | { ok: false; reason: string };
  kubelet: KubeletCgroup;
  selinux: SelinuxState;
  audit: AuditRules;
  /** Host paths that exist, for the audit-rule checks (which only ask for rules on what is there). */
  existing: Set<string>;
}
