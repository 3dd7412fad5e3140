/**
 * The chart's agent DaemonSet and collector Deployment, rendered by helm, as runc bundles on this machine.
 * Only what a single machine without a cluster forces is changed, each in one place here:
 * - the agent's configuration turns the ports probe's network checks off (the reachability scan of the node's
 *   addresses and the cloud metadata check), so that nothing but loopback is ever contacted;
 * - sshd -T may take 30 s (agent.config), as the suite loads this machine's 2 cores;
 * - where PID 1 cannot be inspected even by root (this machine's init: stat of /proc/1/root is denied), the
 *   agent cannot tell that /host is the host's own root and would run sshd -T sandboxed, which the pod cannot
 *   do; trustedRoots: [/host] says it instead (on a node whose PID 1 is inspectable nothing is added);
 * - ports are free ones picked here, given to the chart as values (agent.port, collector.port), since the
 *   host network is shared with whatever else runs on this machine;
 * - the hostPath /var/lib/hostward is a temporary directory;
 * - the collector shares the host's network namespace (no pod network here), and the agent reaches its
 *   Service name through the pod's /etc/hosts (no cluster DNS).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { renderChart } from '../helpers/helm.js';
import type { K8s } from '../helpers/helm.js';
import { materializeVolumes } from './kubelet.js';
import { podToOci } from './pod-to-oci.js';
import type { DockerSeccomp, ImageConfig } from './pod-to-oci.js';
import { imageRootfs } from './runc.js';
import type { Rootfs } from './runc.js';

/**
 * RuntimeDefault: the containers-common profile (podman's, installed with it), Docker's format as containerd's
 * default is. It allows a few calls more than containerd's (mount, unshare, setns), each of which also needs
 * CAP_SYS_ADMIN, which the pods do not have; the capability-gated calls (chroot, ptrace-like, bpf) are the same.
 */
export const SECCOMP_PROFILE = '/usr/share/containers/seccomp.json';

/** A TCP port free on every address now (the agent listens on all addresses of the host network). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The node's address as the kubelet reports it (status.hostIP): this machine's first non-loopback IPv4. */
export function nodeAddress(): string {
  const a = Object.values(os.networkInterfaces())
    .flat()
    .find((x) => x && x.family === 'IPv4' && !x.internal);
  // A machine with loopback only: another loopback address stands in, so that it differs from 127.0.0.1.
  return a?.address ?? '127.0.0.2';
}

export interface Rendered {
  objects: K8s[];
  agentPort: number;
  collectorPort: number;
}

/** helm template with the ports given; the agent's ConfigMap with the network checks of the ports probe off. */
export function render(agentPort: number, collectorPort: number, sets: Record<string, string> = {}): Rendered {
  // sshd -T gets 30 s instead of 5: the suite runs on 2 busy cores, and a timed-out sshd -T skips ssh.parser_agreement.
  const objects = renderChart({
    'agent.port': String(agentPort),
    'collector.port': String(collectorPort),
    'agent.config.probes.ssh.sshdTimeoutMs': '30000',
    ...sets,
  });
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'hostward-agent');
  if (!cm) throw new Error('the chart rendered no agent ConfigMap');
  const config = parse(cm.data['config.yaml'] as string);
  config.probes ??= {};
  config.probes.ports = { ...(config.probes.ports ?? {}), reachability: false, metadataCheck: false };
  if (!pid1Inspectable())
    config.trustedRoots = [...((config.trustedRoots as string[] | undefined) ?? []), config.root as string];
  cm.data['config.yaml'] = stringify(config);
  return { objects, agentPort, collectorPort };
}

/** Whether this process can stat PID 1's root directory (what the agent compares /host with). */
export function pid1Inspectable(): boolean {
  try {
    statSync('/proc/1/root');
    return true;
  } catch {
    return false;
  }
}

export function podSpec(objects: K8s[], kind: 'DaemonSet' | 'Deployment', name: string): K8s {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`the chart rendered no ${kind} ${name}`);
  return structuredClone(o.spec.template.spec) as K8s;
}

export interface Secrets {
  token: string;
  integrityKey: Buffer;
}

export function newSecrets(): Secrets {
  return { token: randomBytes(32).toString('hex'), integrityKey: randomBytes(32) };
}

export interface PodBundle {
  config: K8s;
  rootfs: Rootfs;
  volumes: Record<string, string>;
  dir: string;
}

export interface PodOptions {
  image: string;
  imageConfig: ImageConfig;
  dir: string;
  name: string;
  pod: K8s;
  container: string;
  objects: K8s[];
  secrets: Secrets;
  stateDir: string;
  /** Replace the host root the pod mounts (default "/", this machine). */
  hostRoot?: string;
}

/** The kubelet's and the runtime's work for one container: volumes, /etc/hosts, a root file system, config.json. */
export function podBundle(o: PodOptions): PodBundle {
  const dir = path.join(o.dir, o.name);
  mkdirSync(dir, { recursive: true });
  const volumes = materializeVolumes(o.pod, {
    dir: path.join(dir, 'volumes'),
    hostPaths: { '/': o.hostRoot ?? '/', '/var/lib/hostward': o.stateDir },
    objects: o.objects,
    secrets: {
      'hostward-agent-token': { token: o.secrets.token },
      'hostward-integrity-key': { key: o.secrets.integrityKey },
    },
  });
  const hosts = path.join(dir, 'hosts');
  const service = 'hostward-collector.hostward.svc';
  writeFileSync(hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\t${service} ${service}.cluster.local\n`);
  const resolvConf = path.join(dir, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 127.0.0.1\noptions ndots:5\n');
  const terminationLog = path.join(dir, 'termination-log');
  writeFileSync(terminationLog, '');
  const rootfs = imageRootfs(o.image, o.name);
  const config = podToOci(o.pod, o.container, {
    rootfs: rootfs.path,
    image: o.imageConfig,
    volumeDirs: volumes,
    fieldRefs: {
      'spec.nodeName': os.hostname(),
      'metadata.name': o.name,
      'metadata.namespace': 'hostward',
      'status.hostIP': nodeAddress(),
    },
    runtimeDefaultSeccomp: JSON.parse(readFileSync(SECCOMP_PROFILE, 'utf8')) as DockerSeccomp,
    cgroupsPath: `/hostward-image-tests/${o.name}`,
    kubeletFiles: { hosts, resolvConf, terminationLog },
    hostname: o.name,
  });
  return { config, rootfs, volumes, dir };
}
