/**
 * The seccomp probe: does a pod that names no profile run unconfined on this node (the kubelet's effective
 * seccompDefault, a shared host fact of src/host/facts/kubelet/, with the runtime's behaviour, runtime-default.ts), and
 * how every
 * running container is confined (proc.ts: Seccomp, NoNewPrivs, CapEff, LSM label from the host's /proc).
 *
 * The agent's own pod is not judged: its container id and pod uid come from this process' own
 * /proc/self/cgroup (not the host root's), or from selfContainerId/selfPodUid in the configuration when a
 * private cgroup namespace hides them ("0::/").
 */
import { readFileSync } from 'node:fs';
import { defineProbe, globToRegExp } from '../../src/sdk.js';
import type { ProbeContext } from '../../src/sdk.js';
import { findProcesses, parseCgroup, resolveKubelet } from '../../src/sdk.js';
import { seccompChecks } from './checks.js';
import { SECCOMP_OPTIONS } from './option-spec.js';
import { enrichPods, scanProc } from './proc.js';
import { runtimeDefault } from './runtime-default.js';
import type { ContainerFact, SeccompFacts, SeccompOptions } from './types.js';

export type { SeccompFacts, ContainerFact, SeccompOptions, RuntimeDefault, ProcStatus } from './types.js';
export { parseProcStatus as parseStatus, parseLsmLabel } from '../../src/sdk.js';
export { scanProc, sandboxOf, isUnconfinedLabel, parseOciAnnotations, podNameFromEtcHosts } from './proc.js';
export { capNames, parseCapMask, fullMask, CAP_NAMES, DANGEROUS_CAPABILITIES } from './caps.js';
export { runtimeDefault } from './runtime-default.js';

/** This process' own container, from the /proc of the machine (or pod) it runs in. */
export function detectSelf(read: () => string = () => readFileSync('/proc/self/cgroup', 'utf8')): {
  containerId?: string;
  podUid?: string;
  source: string;
} {
  try {
    const p = parseCgroup(read());
    return {
      ...(p.containerId ? { containerId: p.containerId } : {}),
      ...(p.podUid ? { podUid: p.podUid } : {}),
      source: '/proc/self/cgroup',
    };
  } catch {
    return { source: '/proc/self/cgroup unreadable' };
  }
}

/** Mark containers that are not judged, with the reason. */
export function applyExclusions(containers: ContainerFact[], o: SeccompOptions, self: SeccompFacts['self']): void {
  const pods = o.excludePods.map((p) => {
    const [ns, name] = p.split('/') as [string, string];
    return { p, ns: globToRegExp(ns), name: globToRegExp(name) };
  });
  for (const c of containers) {
    const uid = c.podUid?.toLowerCase();
    if (self.containerId && c.containerId === self.containerId) c.excluded = "hostward's own container";
    else if (self.podUid && uid === self.podUid.toLowerCase()) c.excluded = "hostward's own pod";
    else if (o.excludeContainerIds.includes(c.containerId)) c.excluded = 'exclude.containerIds';
    else if (uid && o.excludePodUids.some((u) => u.replace(/-/g, '') === uid.replace(/-/g, '')))
      c.excluded = 'exclude.podUids';
    else if (c.namespace && c.podName) {
      const hit = pods.find((x) => x.ns.test(c.namespace!) && x.name.test(c.podName!));
      if (hit) c.excluded = `exclude.pods ${hit.p}`;
    }
  }
}

async function readCapLastCap(ctx: ProbeContext): Promise<number> {
  const r = await ctx.host.readText('/proc/sys/kernel/cap_last_cap', { maxBytes: 64 });
  const n = r.ok && /^\d{1,2}\s*$/.test(r.text) ? Number(r.text.trim()) : NaN;
  return Number.isInteger(n) && n >= 30 && n < 64 ? n : 40;
}

async function gather(ctx: ProbeContext<SeccompOptions>): Promise<SeccompFacts> {
  const { host, options } = ctx;
  const kube = await resolveKubelet(host, { maxProcesses: options.maxProcesses });
  const daemons = new Set(
    (await findProcesses(host, (c) => c === 'containerd' || c === 'crio' || c === 'dockerd', options.maxProcesses)).map(
      (p) => p.comm,
    ),
  );
  const runtime = kube.present
    ? await runtimeDefault(host, kube.settings.get('containerRuntimeEndpoint'), daemons)
    : { runtime: 'unknown' as const, why: 'no kubelet', evidence: [], problems: [] };
  const capLastCap = await readCapLastCap(ctx);
  const scan = await scanProc(host, options.maxProcesses, capLastCap, options.dangerousCapabilities);
  await enrichPods(host, scan.containers);
  const detected = options.selfContainerId || options.selfPodUid ? { source: 'configuration' } : detectSelf();
  const self: SeccompFacts['self'] = {
    ...detected,
    ...(options.selfContainerId ? { containerId: options.selfContainerId } : {}),
    ...(options.selfPodUid ? { podUid: options.selfPodUid } : {}),
  };
  applyExclusions(scan.containers, options, self);
  const sd = kube.settings.get('seccompDefault');
  const gate = kube.settings.get('featureGates.SeccompDefault');
  const facts: SeccompFacts = {
    options,
    kubelet: {
      present: kube.present,
      ...(sd ? { seccompDefault: sd } : {}),
      ...(gate ? { gate } : {}),
      ...(kube.incomplete ? { incomplete: kube.incomplete } : {}),
    },
    runtime,
    containers: scan.containers,
    sandboxShims: scan.shims,
    self,
    capLastCap,
  };
  if (scan.problem) facts.procProblem = scan.problem;
  return facts;
}

export const seccompProbe = defineProbe({
  name: 'seccomp',
  description:
    "Whether a pod that names no seccomp profile runs unconfined (the kubelet's seccompDefault with the runtime's unset-profile behaviour), and the seccomp, no_new_privs, capabilities and LSM label of every running container, read from the host's /proc.",
  checks: seccompChecks,
  gather,
  // The runtimes' unset-profile behaviour and the kubelet's seccompDefault.
  watch: [
    { path: '/etc/docker' },
    { path: '/etc/containerd', depth: 1 },
    { path: '/etc/crio', depth: 1 },
    { path: '/var/lib/kubelet', names: ['config.yaml'] },
  ],
  options: SECCOMP_OPTIONS,
});
