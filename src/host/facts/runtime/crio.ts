/**
 * CRI-O: crio.conf and crio.conf.d drop-ins (lexical order; every key a drop-in sets replaces the value before
 * it, tables merge by key), from the running crio's --config/--config-dir when given. Facts only.
 */
import type { Evidence } from '../../../contracts.js';
import type { HostRoot } from '../../root.js';
import { describeFailure } from '../../root.js';
import { perScan } from '../cache.js';
import { findProcesses, lastFlag, parseGoFlags } from '../processes/index.js';
import type { ProcInfo } from '../processes/index.js';
import { at, bool, isTable, lineOfKey, mergeInto, num, parseToml, pathKey, str, strList } from './toml.js';
import type { Origins, Table } from './toml.js';
import { statFile } from './files.js';
import type { FileFact } from './files.js';
import type { Val } from './containerd.js';

/** CRI-O's default_capabilities since 1.18 (no NET_RAW, MKNOD, SYS_CHROOT, AUDIT_WRITE). */
export const CRIO_DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'KILL',
] as const;

export interface CrioHandler {
  name: string;
  runtimeType: string;
  runtimePath: string;
  /** 'vm' (Kata, shimv2), 'oci', 'pod'. */
  kind: 'runc' | 'crun' | 'gvisor' | 'kata' | 'other';
  privilegedWithoutHostDevices: Val<boolean>;
  allowedAnnotations: Val<string[]>;
}

export interface CrioWorkload {
  name: string;
  activationAnnotation: string;
  allowedAnnotations: Val<string[]>;
}

export interface CrioConfig {
  files: string[];
  seccompProfile: Val<string>;
  /** Removed after 1.29; undefined value means unset. */
  seccompUseDefaultWhenEmpty: Val<boolean | undefined>;
  privilegedSeccompProfile: Val<string>;
  apparmorProfile: Val<string>;
  selinux: Val<boolean>;
  defaultCapabilities: Val<string[]>;
  addInheritableCapabilities: Val<boolean>;
  pidsLimit: Val<number>;
  readOnly: Val<boolean>;
  noPivot: Val<boolean>;
  cgroupManager: Val<string>;
  defaultRuntime: Val<string>;
  runtimes: CrioHandler[];
  workloads: CrioWorkload[];
  listen: Val<string>;
  streamAddress: Val<string>;
  streamEnableTls: Val<boolean>;
  merged: Table;
}

export type LoadedCrio = { ok: true; config: CrioConfig } | { ok: false; file: string; reason: string };

export interface CrioFacts {
  installed: boolean;
  basis: string;
  configPath: string;
  configDir: string;
  process?: { pid: number; argv: string[]; cmdlineFile: string };
  loaded: LoadedCrio;
  files: FileFact[];
}

const normCap = (c: string) => c.trim().toUpperCase().replace(/^CAP_/, '');

function classify(name: string, type: string, path: string): CrioHandler['kind'] {
  const s = `${name} ${path}`.toLowerCase();
  if (s.includes('runsc') || s.includes('gvisor')) return 'gvisor';
  if (s.includes('kata') || type === 'vm') return 'kata';
  if (s.includes('crun')) return 'crun';
  if (s.includes('runc')) return 'runc';
  return 'other';
}

export function normaliseCrio(doc: Table, origins: Origins, texts: Map<string, string>, files: string[]): CrioConfig {
  const g = <T>(path: readonly string[], pick: (v: unknown) => T | undefined, d: T): Val<T> => {
    const v = pick(at(doc, path));
    if (v === undefined) return { value: d, set: false, evidence: [] };
    const file = origins.get(pathKey(path));
    const line = file ? lineOfKey(texts.get(file) ?? '', path) : undefined;
    const ev: Evidence = {
      ...(file ? { file } : {}),
      ...(line ? { line } : {}),
      text: `${path[path.length - 1]} = ${JSON.stringify(v)}`.slice(0, 300),
    };
    return { value: v, set: true, evidence: [ev] };
  };
  const rt = ['crio', 'runtime'];
  const runtimes: CrioHandler[] = [];
  const rtab = at(doc, [...rt, 'runtimes']);
  if (isTable(rtab)) {
    for (const [name, r] of Object.entries(rtab).slice(0, 256)) {
      if (!isTable(r)) continue;
      const runtimeType = str(r.runtime_type) ?? 'oci';
      const runtimePath = str(r.runtime_path) ?? '';
      runtimes.push({
        name,
        runtimeType,
        runtimePath,
        kind: classify(name, runtimeType, runtimePath),
        privilegedWithoutHostDevices: g([...rt, 'runtimes', name, 'privileged_without_host_devices'], bool, false),
        allowedAnnotations: g([...rt, 'runtimes', name, 'allowed_annotations'], strList, []),
      });
    }
  }
  const workloads: CrioWorkload[] = [];
  const wtab = at(doc, [...rt, 'workloads']);
  if (isTable(wtab)) {
    for (const [name, w] of Object.entries(wtab).slice(0, 256)) {
      if (!isTable(w)) continue;
      workloads.push({
        name,
        activationAnnotation: str(w.activation_annotation) ?? '',
        allowedAnnotations: g([...rt, 'workloads', name, 'allowed_annotations'], strList, []),
      });
    }
  }
  const caps = g([...rt, 'default_capabilities'], strList, [...CRIO_DEFAULT_CAPABILITIES]);
  return {
    files,
    seccompProfile: g([...rt, 'seccomp_profile'], str, ''),
    seccompUseDefaultWhenEmpty: g<boolean | undefined>([...rt, 'seccomp_use_default_when_empty'], bool, undefined),
    privilegedSeccompProfile: g([...rt, 'privileged_seccomp_profile'], str, ''),
    apparmorProfile: g([...rt, 'apparmor_profile'], str, 'crio-default'),
    selinux: g([...rt, 'selinux'], bool, false),
    defaultCapabilities: { ...caps, value: caps.value.map(normCap) },
    addInheritableCapabilities: g([...rt, 'add_inheritable_capabilities'], bool, false),
    pidsLimit: g([...rt, 'pids_limit'], num, -1),
    readOnly: g([...rt, 'read_only'], bool, false),
    noPivot: g([...rt, 'no_pivot'], bool, false),
    cgroupManager: g([...rt, 'cgroup_manager'], str, 'systemd'),
    defaultRuntime: g([...rt, 'default_runtime'], str, 'crun'),
    runtimes,
    workloads,
    listen: g(['crio', 'api', 'listen'], str, '/var/run/crio/crio.sock'),
    streamAddress: g(['crio', 'api', 'stream_address'], str, '127.0.0.1'),
    streamEnableTls: g(['crio', 'api', 'stream_enable_tls'], bool, false),
    merged: doc,
  };
}

/**
 * crio.conf, then every regular file of the drop-in directory in lexical order. A missing crio.conf is allowed.
 * Read once per scan, however many probes ask.
 */
export const loadCrioConfig = perScan(
  (configPath: string, configDir: string) => `${configPath}\0${configDir}`,
  readCrioConfig,
);

async function readCrioConfig(host: HostRoot, configPath: string, configDir: string): Promise<LoadedCrio> {
  const doc: Table = {};
  const origins: Origins = new Map();
  const texts = new Map<string, string>();
  const files: string[] = [];
  const candidates: string[] = [configPath];
  const dir = await host.readDir(configDir);
  if (dir.ok)
    for (const e of dir.entries.slice(0, 1024)) if (e.type === 'file' || e.type === 'symlink') candidates.push(e.path);
  for (const f of candidates) {
    const t = await host.readText(f, { maxBytes: 4 * 1024 * 1024 });
    if (!t.ok) {
      if (t.code === 'missing' || t.code === 'not_a_file') continue;
      return { ok: false, file: f, reason: describeFailure(t) };
    }
    const p = parseToml(t.text);
    if (!p.ok) return { ok: false, file: f, reason: `${f}: ${p.reason}` };
    texts.set(f, t.text);
    files.push(f);
    mergeInto(doc, p.doc, 'replace', f, origins);
  }
  return { ok: true, config: normaliseCrio(doc, origins, texts, files) };
}

export function parseCrioArgs(argv: readonly string[]): { config?: string; configDir?: string } {
  const p = parseGoFlags(
    argv.slice(1),
    new Set(['help', 'h', 'version', 'v', 'selinux', 'read-only', 'enable-metrics', 'no-pivot']),
  );
  const out: { config?: string; configDir?: string } = {};
  const c = lastFlag(p.flags, ['config', 'c']);
  const d = lastFlag(p.flags, ['config-dir', 'd']);
  if (c?.value) out.config = c.value;
  if (d?.value) out.configDir = d.value;
  return out;
}

export interface CrioGatherOptions {
  configPath?: string;
  configDir?: string;
  processes?: ProcInfo[];
}

/** The running crio's configuration (or the files' when none runs). */
export async function effectiveCrio(host: HostRoot, o: CrioGatherOptions = {}): Promise<CrioFacts> {
  const procs = (o.processes ?? (await findProcesses(host, ['crio']))).filter((p) => p.comm === 'crio');
  const proc = procs[0];
  const args = proc ? parseCrioArgs(proc.argv) : {};
  const configPath = args.config ?? o.configPath ?? '/etc/crio/crio.conf';
  const configDir = args.configDir ?? o.configDir ?? '/etc/crio/crio.conf.d';
  let binary: string | undefined;
  for (const b of ['/usr/bin/crio', '/usr/local/bin/crio', '/usr/sbin/crio'])
    if (!binary && (await host.exists(b))) binary = b;
  const hasConf = await host.exists(configPath);
  const hasDir = await host.exists(configDir);
  const installed = Boolean(proc || binary || hasConf || hasDir);
  const basis = proc
    ? `crio pid ${proc.pid}`
    : (binary ?? (hasConf ? configPath : hasDir ? configDir : 'no crio process, binary or configuration'));
  const loaded = installed
    ? await loadCrioConfig(host, configPath, configDir)
    : ({ ok: false, file: configPath, reason: 'CRI-O is not installed' } as const);
  const files: FileFact[] = [];
  if (loaded.ok)
    for (const f of loaded.config.files)
      files.push(await statFile(host, f, f === configPath ? 'crio.conf' : 'drop-in'));
  if (hasDir) files.push(await statFile(host, configDir, 'crio.conf.d'));
  const sock = loaded.ok ? loaded.config.listen.value : '/var/run/crio/crio.sock';
  if (installed && (await host.exists(sock))) files.push(await statFile(host, sock, 'crio.sock'));
  const facts: CrioFacts = { installed, basis, configPath, configDir, loaded, files };
  if (proc) facts.process = { pid: proc.pid, argv: proc.argv, cmdlineFile: proc.cmdlineFile };
  return facts;
}
