/**
 * The runtime probe: Docker, containerd and CRI-O daemon settings as in force on the node (the running
 * daemon's flags, then its config files with their drop-in/import semantics, then defaults), and the
 * ownership and mode of their sockets and files compared by mode bits. A runtime that is not installed
 * gets `skip` on all its checks; a config that cannot be parsed makes the checks that read it `unknown`.
 */
import { defineProbe } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import { findProcesses } from '../../src/sdk.js';
import { gatherDocker } from './docker.js';
import { effectiveContainerd, effectiveCrio, parseHostsToml } from '../../src/sdk.js';
import { gatherAuditRules, gatherKubeletCgroup, gatherSelinux } from './host.js';
import { parseGroupFile, parsePasswdHomes } from '../../src/sdk.js';
import type { RuntimeOptions } from './options.js';
import { RUNTIME_OPTIONS } from './option-spec.js';
import type { RuntimeFacts } from './types.js';
import { dockerChecks, DOCKER_AUDIT_PATHS } from './checks/docker.js';
import { containerdChecks } from './checks/containerd.js';
import { crioChecks } from './checks/crio.js';

export type { RuntimeFacts } from './types.js';
export type { ContainerdFacts, ContainerdConfig, ContainerdInstance, RuntimeHandler, Val } from '../../src/sdk.js';
export type { CrioFacts, CrioConfig } from '../../src/sdk.js';
export type { DockerFacts } from './docker.js';
export { effectiveContainerd, loadContainerdConfig, parseHostsToml } from '../../src/sdk.js';
export { effectiveCrio, loadCrioConfig } from '../../src/sdk.js';
export { parseDaemonJson, parseDockerdArgs, resolveDocker } from './docker.js';

const AUDIT_PATHS = [...DOCKER_AUDIT_PATHS, '/usr/sbin/runc', '/usr/local/bin/containerd'];

/** Registry host configs (hosts.toml) under each containerd instance's config_path. */
async function registryHosts(host: HostRoot, dirs: string[]): Promise<RuntimeFacts['containerdRegistryHosts'][number]> {
  const out: RuntimeFacts['containerdRegistryHosts'][number] = { insecure: [], problems: [] };
  for (const d of dirs) {
    for (const file of (await host.glob(`${d}/*/hosts.toml`)).slice(0, 500)) {
      const t = await host.readText(file, { maxBytes: 1024 * 1024 });
      if (!t.ok) {
        out.problems.push(`${file}: ${t.reason}`);
        continue;
      }
      const p = parseHostsToml(t.text);
      if (!p.ok) out.problems.push(`${file}: ${p.reason}`);
      else
        for (const i of p.insecure)
          out.insecure.push({
            file,
            what: i.what,
            evidence: { file, ...(i.line ? { line: i.line } : {}), text: i.what },
          });
    }
  }
  return out;
}

/** The CRI-O custom seccomp profile's defaultAction, when seccomp_profile names a file. */
async function crioProfile(host: HostRoot, path: string): Promise<NonNullable<RuntimeFacts['crioSeccompProfile']>> {
  const t = await host.readText(path, { maxBytes: 4 * 1024 * 1024 });
  if (!t.ok) return { ok: false, reason: `${t.code.replace(/_/g, ' ')} (${t.reason})` };
  try {
    const j = JSON.parse(t.text) as unknown;
    const a = typeof j === 'object' && j !== null ? (j as Record<string, unknown>).defaultAction : undefined;
    return typeof a === 'string' ? { ok: true, defaultAction: a } : { ok: false, reason: 'no defaultAction' };
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${e instanceof Error ? e.message.slice(0, 120) : String(e)}` };
  }
}

export async function gatherRuntime(host: HostRoot, o: RuntimeOptions): Promise<RuntimeFacts> {
  const processes = await findProcesses(host, ['dockerd', 'containerd', 'crio', 'kubelet']);
  const [groupText, passwdText] = await Promise.all([
    host.readText('/etc/group', { maxBytes: 16 * 1024 * 1024 }),
    host.readText('/etc/passwd', { maxBytes: 16 * 1024 * 1024 }),
  ]);
  const groups = groupText.ok ? parseGroupFile(groupText.text) : new Map<string, number>();
  const homes = passwdText.ok ? parsePasswdHomes(passwdText.text) : new Map<number, string>();
  const docker = await gatherDocker(host, {
    processes,
    groups,
    homes,
    ...(o.dockerConfigFile ? { configFile: o.dockerConfigFile } : {}),
  });
  const containerd = await effectiveContainerd(host, {
    processes,
    ...(o.containerdConfig ? { configPath: o.containerdConfig } : {}),
  });
  const crio = await effectiveCrio(host, {
    processes,
    ...(o.crioConfig ? { configPath: o.crioConfig } : {}),
    ...(o.crioConfigDir ? { configDir: o.crioConfigDir } : {}),
  });
  const containerdRegistryHosts = [];
  for (const i of containerd.instances) {
    const dirs = i.loaded.ok
      ? i.loaded.config.cri.registryConfigPath.value.split(':').filter((d) => d.startsWith('/'))
      : [];
    containerdRegistryHosts.push(await registryHosts(host, dirs));
  }
  const existing = new Set<string>();
  for (const p of AUDIT_PATHS) if (await host.exists(p)) existing.add(p);
  const facts: RuntimeFacts = {
    docker,
    containerd,
    containerdRegistryHosts,
    crio,
    kubelet: await gatherKubeletCgroup(host, processes, o.kubeletConfig),
    selinux: await gatherSelinux(host),
    audit: await gatherAuditRules(host),
    existing,
  };
  if (crio.loaded.ok && crio.loaded.config.seccompProfile.value.startsWith('/'))
    facts.crioSeccompProfile = await crioProfile(host, crio.loaded.config.seccompProfile.value);
  return facts;
}

export const runtimeProbe = defineProbe({
  name: 'runtime',
  description:
    "Container runtime daemons: Docker (effective setting from the running dockerd's flags, daemon.json, defaults; CIS Docker §1–3), containerd (v1–v4 config with imports; CRI confinement, listeners, registries, handlers) and CRI-O (crio.conf with drop-ins; seccomp, AppArmor, capabilities, annotations), with socket and file permissions compared by mode bits.",
  checks: [...dockerChecks, ...containerdChecks, ...crioChecks],
  gather: (ctx: ProbeContext<RuntimeOptions>) => gatherRuntime(ctx.host, ctx.options),
  // The daemons' configuration, and users and groups (socket groups).
  watch: [
    { path: '/etc/docker' },
    { path: '/etc/containerd', depth: 1 },
    { path: '/etc/crio', depth: 1 },
    { path: '/etc', names: ['passwd', 'group'] },
  ],
  options: RUNTIME_OPTIONS,
});
