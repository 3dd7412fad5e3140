/**
 * One container of a rendered pod spec (helm template) as an OCI runtime config.json for runc, the way a CRI
 * runtime (containerd) turns it into one on a node: user and groups, capabilities (the runtime's default set,
 * `drop` then `add`), no_new_privs, the RuntimeDefault seccomp profile, a read-only root file system, the host
 * namespaces the pod asks for, volume mounts with their propagation, env (fieldRef values from the pod),
 * command/args over the image's entrypoint/cmd, and memory and CPU limits.
 *
 * What the kubelet does around the container is the caller's: it materialises volumes (secret and configMap
 * files, emptyDir, hostPath) as host directories and passes them in `volumeDirs`.
 */
import type { K8s } from '../helpers/helm.js';

/** The image's own configuration (OCI image config `config`): what the pod spec falls back on. */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

export interface ConvertOptions {
  /** The container's root file system (a writable copy of the image, as a snapshotter gives). */
  rootfs: string;
  image: ImageConfig;
  /** Host directory of each volume by name (hostPath, emptyDir, configMap, secret, persistentVolumeClaim). */
  volumeDirs: Record<string, string>;
  /** Values of `fieldRef` env sources: spec.nodeName, metadata.name, metadata.namespace... */
  fieldRefs?: Record<string, string>;
  /** The RuntimeDefault seccomp profile in Docker/containers' format (e.g. /usr/share/containers/seccomp.json). */
  runtimeDefaultSeccomp?: DockerSeccomp;
  /** Where the container's cgroup goes (cgroupfs path). */
  cgroupsPath?: string;
  /** Files the kubelet mounts into every container: /etc/hosts, /etc/resolv.conf, /dev/termination-log. */
  kubeletFiles?: { hosts?: string; resolvConf?: string; terminationLog?: string };
  hostname?: string;
}

/** containerd's default capabilities for a container (those Docker grants too). */
export const RUNTIME_DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
] as const;

/** The container's capability set: the runtime's defaults, minus `drop` (ALL drops every one), plus `add`. */
export function capabilitySet(caps: { drop?: string[]; add?: string[] } | undefined): string[] {
  const norm = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
  const drop = (caps?.drop ?? []).map(norm);
  const base = drop.includes('ALL') ? [] : RUNTIME_DEFAULT_CAPS.filter((c) => !drop.includes(c));
  const set = [...new Set([...base, ...(caps?.add ?? []).map(norm)])];
  return set.map((c) => `CAP_${c}`);
}

/** The container's securityContext over the pod's (the container's fields win, as in Kubernetes). */
export function effectiveSecurity(pod: K8s, container: K8s): K8s {
  return { ...(pod.securityContext ?? {}), ...(container.securityContext ?? {}) };
}

/** command/args over the image's ENTRYPOINT/CMD (Kubernetes' rules: a command drops the image's CMD too). */
export function processArgs(
  container: K8s,
  image: ImageConfig,
  vars: ReadonlyMap<string, string> = new Map(),
): string[] {
  // $(VAR) is expanded in the pod's command and args, not in the image's.
  const own = (list: string[] | undefined) => list?.map((a) => expandRefs(a, vars));
  const entry: string[] = own(container.command) ?? image.Entrypoint ?? [];
  const args: string[] = own(container.args) ?? (container.command ? [] : (image.Cmd ?? []));
  const argv = [...entry, ...args];
  if (argv.length === 0)
    throw new Error(`container ${String(container.name)}: neither the pod nor the image names a command`);
  return argv;
}

/**
 * Kubernetes' $(VAR) references: replaced by the value of an env var defined before (the image's do not count),
 * $$ is a literal $, and a reference to nothing stays as written.
 */
export function expandRefs(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    m === '$$' ? '$' : (vars.get(name!) ?? m),
  );
}

/** The container's env vars in order, values expanded, fieldRef values from `fieldRefs`. */
export function containerEnv(container: K8s, fieldRefs: Record<string, string> = {}): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of (container.env ?? []) as K8s[]) {
    if (e.value !== undefined) env.set(e.name, expandRefs(String(e.value), env));
    else if (e.valueFrom?.fieldRef) {
      const p = e.valueFrom.fieldRef.fieldPath as string;
      if (fieldRefs[p] === undefined) throw new Error(`env ${String(e.name)}: no value given for fieldRef ${p}`);
      env.set(e.name, fieldRefs[p]);
    } else throw new Error(`env ${String(e.name)}: only value and fieldRef are supported here`);
  }
  return env;
}

/** The image's env, then the container's (later wins). */
export function processEnv(container: K8s, image: ImageConfig, fieldRefs: Record<string, string> = {}): string[] {
  const env = new Map<string, string>();
  for (const e of image.Env ?? []) {
    const i = e.indexOf('=');
    env.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const [k, v] of containerEnv(container, fieldRefs)) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

const PROPAGATION: Record<string, string> = { None: 'rprivate', HostToContainer: 'rslave', Bidirectional: 'rshared' };

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The container's volumeMounts as bind mounts of the volumes' host directories. */
export function volumeMounts(container: K8s, volumeDirs: Record<string, string>): OciMount[] {
  return ((container.volumeMounts ?? []) as K8s[]).map((m) => {
    const dir = volumeDirs[m.name];
    if (dir === undefined) throw new Error(`volumeMount ${String(m.name)}: no host directory given for the volume`);
    const source = m.subPath ? `${dir}/${String(m.subPath)}` : dir;
    const propagation = PROPAGATION[(m.mountPropagation as string | undefined) ?? 'None'];
    if (!propagation)
      throw new Error(`volumeMount ${String(m.name)}: unknown mountPropagation ${String(m.mountPropagation)}`);
    // rbind, as the kubelet's bind mounts: submounts of the host path come along; `ro` applies to the top one.
    return {
      destination: m.mountPath,
      type: 'bind',
      source,
      options: ['rbind', m.readOnly ? 'ro' : 'rw', propagation],
    };
  });
}

/** The mounts every container gets from the runtime (as containerd's default spec), before the volumes. */
export function runtimeMounts(kubelet: ConvertOptions['kubeletFiles'] = {}): OciMount[] {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
  const file = (destination: string, source: string | undefined, ro: boolean) => {
    if (source) mounts.push({ destination, type: 'bind', source, options: ['rbind', ro ? 'ro' : 'rw', 'rprivate'] });
  };
  file('/etc/hosts', kubelet.hosts, false);
  file('/etc/resolv.conf', kubelet.resolvConf, false);
  file('/dev/termination-log', kubelet.terminationLog, false);
  return mounts;
}

/** containerd's masked and read-only /proc and /sys paths of an unprivileged container. */
export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The pod's namespaces: the host's PID and network namespaces (and UTS with the network) when it asks. */
export function namespaces(pod: K8s): { type: string }[] {
  const ns = [{ type: 'mount' }, { type: 'ipc' }];
  if (!pod.hostPID) ns.push({ type: 'pid' });
  if (!pod.hostNetwork) ns.push({ type: 'network' }, { type: 'uts' });
  return ns;
}

/** Docker's seccomp profile format, as /usr/share/containers/seccomp.json and containerd's default. */
export interface DockerSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  syscalls: {
    names: string[];
    action: string;
    args?: unknown[] | null;
    errnoRet?: number;
    includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
    excludes?: { caps?: string[]; arches?: string[] };
  }[];
}

const SECCOMP_ARCH: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' };

/** The profile for this container's capabilities and architecture, as the runtime resolves it (OCI format). */
export function resolveSeccomp(profile: DockerSeccomp, caps: readonly string[], arch = process.arch): K8s {
  const scmpArch = SECCOMP_ARCH[arch];
  if (!scmpArch) throw new Error(`no seccomp architecture for ${arch}`);
  const archEntry = profile.archMap?.find((a) => a.architecture === scmpArch);
  const has = (list: string[] | undefined, set: readonly string[]) => (list ?? []).some((x) => set.includes(x));
  const all = (list: string[] | undefined, set: readonly string[]) => (list ?? []).every((x) => set.includes(x));
  const thisArch = (arches: string[] | undefined) =>
    (arches ?? []).some((a) => a === scmpArch || a === archName(scmpArch));
  const syscalls = profile.syscalls
    .filter((s) => all(s.includes?.caps, caps) && (!s.includes?.arches || thisArch(s.includes.arches)))
    .filter((s) => !has(s.excludes?.caps, caps) && !thisArch(s.excludes?.arches))
    .map((s) => ({
      names: s.names,
      action: s.action,
      ...(s.args?.length ? { args: s.args } : {}),
      ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
    }));
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures: [scmpArch, ...(archEntry?.subArchitectures ?? [])],
    syscalls,
  };
}

/** The short architecture names the profile's includes use (amd64, arm64). */
function archName(scmp: string): string {
  return scmp === 'SCMP_ARCH_X86_64' ? 'amd64' : scmp === 'SCMP_ARCH_AARCH64' ? 'arm64' : scmp;
}

/** CPU and memory limits (requests become CPU shares), as the kubelet asks the runtime for them. */
export function resources(container: K8s): K8s {
  const r = container.resources ?? {};
  const out: K8s = {};
  const mem = r.limits?.memory as string | undefined;
  if (mem) out.memory = { limit: quantityBytes(mem) };
  const cpuLimit = r.limits?.cpu as string | undefined;
  const cpuRequest = r.requests?.cpu as string | undefined;
  if (cpuLimit || cpuRequest) {
    out.cpu = {
      ...(cpuRequest ? { shares: Math.max(2, Math.round((quantityMilli(cpuRequest) * 1024) / 1000)) } : {}),
      ...(cpuLimit ? { quota: Math.round(quantityMilli(cpuLimit) * 100), period: 100_000 } : {}),
    };
  }
  return out;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity in bytes ("384Mi", "1G", "1000"). */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = m[2] ? (BINARY[m[2]] ?? DECIMAL[m[2]]!) : 1;
  return Math.round(Number(m[1]) * unit);
}

/** A Kubernetes CPU quantity in millicores ("10m", "1", "0.5"). */
export function quantityMilli(q: string | number): number {
  const s = String(q).trim();
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(s);
  if (!m) throw new Error(`not a CPU quantity: ${s}`);
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}

/** uid and gids: runAsUser/runAsGroup (else the image's USER, numeric only), supplementalGroups and fsGroup. */
export function processUser(sec: K8s, image: ImageConfig): { uid: number; gid: number; additionalGids?: number[] } {
  const [imgUser = '0', imgGroup] = (image.User ?? '').split(':');
  const uid = sec.runAsUser ?? Number(imgUser || 0);
  const gid = sec.runAsGroup ?? Number(imgGroup ?? 0);
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error(`the image's USER ${String(image.User)} is not numeric`);
  if (sec.runAsNonRoot && uid === 0) throw new Error('runAsNonRoot is set but the container would run as uid 0');
  const fsGroup = sec.fsGroup !== undefined ? [sec.fsGroup as number] : [];
  const extra = [...new Set<number>([...((sec.supplementalGroups ?? []) as number[]), ...fsGroup])];
  return { uid, gid, ...(extra.length ? { additionalGids: extra } : {}) };
}

/** The whole config.json for one container of the pod. */
export function podToOci(pod: K8s, containerName: string, o: ConvertOptions): K8s {
  const container = ((pod.containers ?? []) as K8s[]).find((c) => c.name === containerName);
  if (!container) throw new Error(`no container ${containerName} in the pod spec`);
  const sec = effectiveSecurity(pod, container);
  if (sec.privileged) throw new Error('privileged containers are not converted');
  const caps = capabilitySet(sec.capabilities);
  const mounts = [...runtimeMounts(o.kubeletFiles), ...volumeMounts(container, o.volumeDirs)];
  const seccompType = (sec.seccompProfile?.type as string | undefined) ?? 'Unconfined';
  if (seccompType === 'RuntimeDefault' && !o.runtimeDefaultSeccomp)
    throw new Error('RuntimeDefault seccomp asked for, but no profile given');
  if (seccompType !== 'RuntimeDefault' && seccompType !== 'Unconfined') {
    throw new Error(`seccomp profile type ${seccompType} is not supported here`);
  }
  const propagations = mounts.flatMap((m) => m.options).filter((x) => x === 'rslave' || x === 'rshared');
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: processUser(sec, o.image),
      args: processArgs(container, o.image, containerEnv(container, o.fieldRefs)),
      env: processEnv(container, o.image, o.fieldRefs),
      cwd: container.workingDir ?? (o.image.WorkingDir || '/'),
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: sec.allowPrivilegeEscalation === false,
    },
    root: { path: o.rootfs, readonly: sec.readOnlyRootFilesystem === true },
    // With the host's network the pod has the host's UTS namespace too, and so its hostname.
    ...(pod.hostNetwork ? {} : { hostname: o.hostname ?? 'pod' }),
    mounts,
    linux: {
      namespaces: namespaces(pod),
      // A slave or shared mount needs a root that is not private (containerd sets this the same way).
      ...(propagations.length ? { rootfsPropagation: propagations.includes('rshared') ? 'rshared' : 'rslave' } : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      resources: resources(container),
      ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
      ...(seccompType === 'RuntimeDefault' ? { seccomp: resolveSeccomp(o.runtimeDefaultSeccomp!, caps) } : {}),
    },
  };
}
