/**
 * Where /proc/<pid>/cgroup puts a process: container id, runtime, pod uid, QoS class, or host systemd unit.
 * The prefix of a cgroup path varies (systemd vs cgroupfs driver, cgroup v1 vs v2, kubelet in a container,
 * a private cgroup namespace gives "/../../kubepods-...", systemd inside a container adds "/init.scope"),
 * so the parse is anchored on the suffix: the last component that names a container, then the pod above it.
 * Pure.
 */
/** Where a process sits: its container and pod, or its host systemd unit. */
export interface CgroupPlacement {
  /** containerd, cri-o, docker, podman; absent when the driver does not name it (cgroupfs). */
  runtime?: string;
  containerId?: string;
  podUid?: string;
  /** guaranteed, burstable, besteffort. */
  qos?: string;
  /** Host systemd unit, e.g. sshd.service, when not in a container. */
  unit?: string;
}

const RUNTIME_PREFIX: Readonly<Record<string, string>> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  'crio-conmon': 'cri-o',
  docker: 'docker',
  libpod: 'podman',
  'libpod-conmon': 'podman',
};

const CONTAINER = /^(?:(cri-containerd|crio-conmon|crio|docker|libpod-conmon|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/;
/** kubepods-burstable-pod<uid with _>.slice (systemd driver) or pod<uid with -> (cgroupfs driver). */
const POD = /(?:^|-)pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;
const QOS = /(?:^|-)(burstable|besteffort)(?:\.slice$|-pod|$)/;

/** Place one cgroup path ("/kubepods.slice/.../cri-containerd-<id>.scope"). */
export function placePath(path: string): CgroupPlacement {
  const comps = path.split('/').filter((c) => c !== '' && c !== '.' && c !== '..');
  const out: CgroupPlacement = {};
  let at = -1;
  for (let i = comps.length - 1; i >= 0; i--) {
    const m = CONTAINER.exec(comps[i]!);
    if (!m) continue;
    at = i;
    out.containerId = m[2]!;
    const runtime = m[1] ? RUNTIME_PREFIX[m[1]] : comps[i - 1] === 'docker' ? 'docker' : undefined;
    if (runtime) out.runtime = runtime;
    break;
  }
  for (let i = (at === -1 ? comps.length : at) - 1; i >= 0; i--) {
    const m = POD.exec(comps[i]!);
    if (!m) continue;
    out.podUid = m[1]!.replace(/_/g, '-');
    // Guaranteed pods sit directly under kubepods; without that ancestor in view (a private cgroup
    // namespace with the cgroupfs driver) the class is not known.
    const upTo = comps.slice(0, i + 1);
    const qos =
      upTo.map((c) => QOS.exec(c)?.[1]).find(Boolean) ??
      (upTo.some((c) => /kubepods(\.slice)?$/.test(c)) ? 'guaranteed' : undefined);
    if (qos) out.qos = qos;
    break;
  }
  if (!out.containerId && !out.podUid) {
    const unit = [...comps].reverse().find((c) => /\.(service|scope)$/.test(c));
    if (unit) out.unit = unit;
  }
  return out;
}

/**
 * Parse /proc/<pid>/cgroup ("hierarchy:controllers:path" lines). The first line that names a container
 * wins, looking at the unified (0::) line first, then name=systemd, then the controllers.
 */
export function parseCgroup(text: string): CgroupPlacement {
  const entries = text
    .split('\n')
    .map((l) => /^(\d+):([^:]*):(.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ rank: m[1] === '0' && m[2] === '' ? 0 : m[2] === 'name=systemd' ? 1 : 2, path: m[3]! }))
    .sort((a, b) => a.rank - b.rank);
  let fallback: CgroupPlacement = {};
  for (const e of entries) {
    const p = placePath(e.path);
    if (p.containerId || p.podUid) return p;
    if (!fallback.unit && p.unit) fallback = p;
  }
  return fallback;
}
