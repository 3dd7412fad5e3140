/**
 * Running containers from the shared process table (src/host/facts/processes/table.ts): each process' cgroup
 * names its container and pod (anchored on the suffix so a private cgroup namespace does not matter); the lowest
 * pid of a container is its init, whose confinement (Seccomp, NoNewPrivs, CapEff, LSM label) the table reads.
 * Parsers are pure and treat /proc and OCI text as hostile.
 */
import type { HostRoot, ProcessRow } from '../../src/sdk.js';
import { capNames, fullMask, processArgv, processConfinement, processTable } from '../../src/sdk.js';
import type { ContainerFact, SandboxKind } from './types.js';

/** A label that confines nothing: AppArmor "unconfined", SELinux spc_t/unconfined_t, or no LSM at all. */
export function isUnconfinedLabel(label: string | undefined): boolean {
  if (label === undefined) return true;
  if (label === 'unconfined' || label.startsWith('unconfined ')) return true;
  return /:(spc_t|unconfined_t|kernel_t|container_runtime_t|init_t)(:|$)/.test(label);
}

/**
 * gVisor and Kata sandboxes by process name: runsc re-executes itself (comm "exe", argv[0] "runsc-sandbox" or
 * "runsc-gofer"); Kata runs a VM (qemu, cloud-hypervisor, firecracker) and its shim. comm is at most 15
 * characters, so shims ("containerd-shim") are told apart by argv[0].
 */
export function sandboxOf(comm: string, argv0 = ''): SandboxKind | undefined {
  const s = `${comm} ${argv0.split('/').pop() ?? ''}`;
  if (/(^|\s)runsc|shim-runsc/.test(s)) return 'gvisor';
  if (/kata|qemu-system|qemu-kvm|cloud-hyperviso|firecracker/.test(s)) return 'kata';
  return undefined;
}

export interface ProcScan {
  containers: ContainerFact[];
  shims: { kind: SandboxKind; pid: number; comm: string }[];
  problem?: string;
}

interface Group {
  pid: number;
  comm: string;
  processes: number;
  runtime?: string;
  podUid?: string;
  qos?: string;
  sandbox?: SandboxKind;
}

/** Where "every capability" ends: what a privileged container gets. */
async function fullCapabilities(host: HostRoot, capLastCap: number): Promise<bigint> {
  // The bounding set of the host's init (a node may withhold some from everything), else every capability
  // the kernel has.
  const initBnd = (await processConfinement(host, 1)).status?.capBnd;
  return initBnd !== undefined && initBnd !== 0n ? initBnd & fullMask(capLastCap) : fullMask(capLastCap);
}

/**
 * Group the process table by container id (the lowest pid is the container's init) and note sandbox shims.
 * comm is at most 15 characters, so shims and runsc's re-executed "exe" are told apart by argv[0].
 */
async function groupContainers(
  host: HostRoot,
  rows: readonly ProcessRow[],
): Promise<{ groups: Map<string, Group>; shims: ProcScan['shims'] }> {
  const groups = new Map<string, Group>();
  const shims: ProcScan['shims'] = [];
  for (const { pid, comm, placement, monitor } of rows) {
    let sandbox = sandboxOf(comm);
    const isShim = comm.startsWith('containerd-shim');
    if (isShim || comm === 'exe') {
      const argv0 = (await processArgv(host, pid))[0] ?? '';
      sandbox = sandboxOf(comm, argv0);
      if (isShim) {
        if (sandbox) shims.push({ kind: sandbox, pid, comm: argv0.split('/').pop() || comm });
        continue;
      }
    }
    // conmon (CRI-O, Podman) monitors a container from a cgroup of its own; it is not the workload.
    if (monitor || !placement?.containerId) continue;
    const g = groups.get(placement.containerId);
    if (g) {
      g.processes++;
      if (sandbox && !g.sandbox) g.sandbox = sandbox;
      continue;
    }
    const ng: Group = { pid, comm, processes: 1 };
    if (placement.runtime) ng.runtime = placement.runtime;
    if (placement.podUid) ng.podUid = placement.podUid;
    if (placement.qos) ng.qos = placement.qos;
    if (sandbox) ng.sandbox = sandbox;
    groups.set(placement.containerId, ng);
  }
  return { groups, shims };
}

/** A container's fact from its group and its init's confinement. */
async function containerOf(
  host: HostRoot,
  id: string,
  g: Group,
  full: bigint,
  dangerous: ReadonlySet<string>,
): Promise<ContainerFact> {
  const c: ContainerFact = {
    containerId: id,
    pid: g.pid,
    comm: g.comm,
    processes: g.processes,
    capabilities: [],
    dangerous: [],
    fullCapabilities: false,
    privileged: false,
    pause: g.comm === 'pause',
  };
  if (g.runtime) c.runtime = g.runtime;
  if (g.podUid) c.podUid = g.podUid;
  if (g.qos) c.qos = g.qos;
  if (g.sandbox) c.sandbox = g.sandbox;
  const conf = await processConfinement(host, g.pid);
  if (conf.statusProblem) c.statusProblem = conf.statusProblem;
  if (conf.status) {
    c.status = conf.status;
    if (c.status.capEff !== undefined) {
      c.capabilities = capNames(c.status.capEff);
      c.dangerous = c.capabilities.filter((n) => dangerous.has(n));
      c.fullCapabilities = (c.status.capEff & full) === full;
    }
  }
  if (conf.lsmLabel !== undefined) c.lsmLabel = conf.lsmLabel;
  c.privileged = c.fullCapabilities && c.status?.seccomp === 0 && isUnconfinedLabel(c.lsmLabel);
  return c;
}

/** The running containers from the shared process table, with their init's confinement. */
export async function scanProc(
  host: HostRoot,
  maxProcs: number,
  capLastCap: number,
  dangerousNames: readonly string[],
): Promise<ProcScan> {
  const full = await fullCapabilities(host, capLastCap);
  const table = await processTable(host, maxProcs);
  if (table.problem) return { containers: [], shims: [], problem: table.problem };
  const { groups, shims } = await groupContainers(host, table.rows);
  const dangerous = new Set(dangerousNames);
  const containers: ContainerFact[] = [];
  for (const [id, g] of groups) containers.push(await containerOf(host, id, g, full, dangerous));
  return { containers: containers.sort((a, b) => a.pid - b.pid), shims };
}

interface OciAnnotations {
  podName?: string;
  namespace?: string;
  containerName?: string;
  sandbox?: boolean;
}

/** Pod and container names from an OCI spec's annotations (containerd CRI and CRI-O keys). */
export function parseOciAnnotations(text: string): OciAnnotations | undefined {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  const a = typeof j === 'object' && j !== null ? (j as { annotations?: unknown }).annotations : undefined;
  if (typeof a !== 'object' || a === null) return undefined;
  const s = (k: string): string | undefined => {
    const v = (a as Record<string, unknown>)[k];
    return typeof v === 'string' && v.length <= 253 ? v : undefined;
  };
  const out: OciAnnotations = {};
  const podName = s('io.kubernetes.cri.sandbox-name') ?? s('io.kubernetes.pod.name');
  const namespace = s('io.kubernetes.cri.sandbox-namespace') ?? s('io.kubernetes.pod.namespace');
  const containerName = s('io.kubernetes.cri.container-name') ?? s('io.kubernetes.container.name');
  if (podName) out.podName = podName;
  if (namespace) out.namespace = namespace;
  if (containerName) out.containerName = containerName;
  if (s('io.kubernetes.cri.container-type') === 'sandbox' || s('io.kubernetes.cri-o.ContainerType') === 'sandbox')
    out.sandbox = true;
  return out;
}

/** The OCI spec of a running container, where containerd and CRI-O keep it. */
const OCI_SPEC_PATHS = (id: string) => [
  `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}/config.json`,
  `/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/${id}/config.json`,
  `/run/containers/storage/overlay-containers/${id}/userdata/config.json`,
];

/**
 * The pod name in a kubelet-managed /etc/hosts: the last line names the pod's host name (its name unless
 * spec.hostname).
 */
export function podNameFromEtcHosts(text: string): string | undefined {
  if (!text.startsWith('# Kubernetes-managed hosts file')) return undefined;
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const last = lines[lines.length - 1]?.split(/\s+/);
  const name = last?.[1];
  return name && /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name) && !/^(localhost|ip6-)/.test(name)
    ? name
    : undefined;
}

/** Fill pod names and namespaces from the OCI spec, else the pod's volumes (namespace file, etc-hosts). */
export async function enrichPods(host: HostRoot, containers: ContainerFact[]): Promise<void> {
  const byPod = new Map<string, { podName?: string; namespace?: string }>();
  for (const c of containers) {
    for (const p of OCI_SPEC_PATHS(c.containerId)) {
      const r = await host.readText(p, { maxBytes: 2 * 1024 * 1024 });
      if (!r.ok) continue;
      const a = parseOciAnnotations(r.text);
      if (!a) break;
      if (a.podName) c.podName = a.podName;
      if (a.namespace) c.namespace = a.namespace;
      if (a.containerName) c.containerName = a.containerName;
      if (a.sandbox) c.pause = true;
      if (a.podName || a.namespace) c.podSource = 'oci-annotations';
      break;
    }
    if (c.podUid && (c.podName || c.namespace))
      byPod.set(c.podUid, {
        ...(c.podName ? { podName: c.podName } : {}),
        ...(c.namespace ? { namespace: c.namespace } : {}),
      });
  }
  for (const c of containers) {
    if (!c.podUid || (c.podName && c.namespace)) continue;
    let known = byPod.get(c.podUid);
    if (!known && /^[0-9a-f-]{32,36}$/.test(c.podUid)) {
      known = {};
      const dir = `/var/lib/kubelet/pods/${c.podUid}`;
      const ns = await host.glob(`${dir}/volumes/kubernetes.io~projected/*/namespace`);
      if (ns[0]) {
        const r = await host.readText(ns[0], { maxBytes: 256 });
        if (r.ok && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(r.text.trim())) known.namespace = r.text.trim();
      }
      const h = await host.readText(`${dir}/etc-hosts`, { maxBytes: 64 * 1024 });
      const name = h.ok ? podNameFromEtcHosts(h.text) : undefined;
      if (name) known.podName = name;
      byPod.set(c.podUid, known);
    }
    if (!c.podName && known?.podName) {
      c.podName = known.podName;
      c.podSource ??= 'pod-volumes';
    }
    if (!c.namespace && known?.namespace) {
      c.namespace = known.namespace;
      c.podSource ??= 'pod-volumes';
    }
  }
}
