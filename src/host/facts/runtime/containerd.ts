/**
 * containerd: every instance on the node (the system daemon, k3s and RKE2's embedded one), its config file
 * with `imports` merged as containerd merges them, normalised from the v1/v2/v3/v4 schemas into one typed view
 * of the CRI settings, runtime handlers, API listeners and registry TLS. Facts only.
 *
 * Merge semantics: containerd 1.x replaces a whole plugin section when an import names it (issue #5837);
 * 2.x (config version 3+) merges plugin sections key by key (PR #9982). Both use mergo with override, so an
 * imported empty value (false, "", 0) does not override a value set earlier.
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

export const CONTAINERD_MAX_IMPORTS = 256;

/** A setting with where it came from: the file and line that set it, or the default. */
export interface Val<T> {
  value: T;
  /** Set in a file (else the default for this config version). */
  set: boolean;
  evidence: Evidence[];
}

export type HandlerKind = 'runc' | 'crun' | 'gvisor' | 'kata' | 'other';

export interface RuntimeHandler {
  name: string;
  runtimeType: string;
  binaryName?: string;
  kind: HandlerKind;
  systemdCgroup: Val<boolean>;
  privilegedWithoutHostDevices: Val<boolean>;
}

export interface ContainerdCri {
  enabled: boolean;
  enableSelinux: Val<boolean>;
  disableApparmor: Val<boolean>;
  restrictOomScoreAdj: Val<boolean>;
  /** "" means a pod that asks for no profile runs unconfined. */
  unsetSeccompProfile: Val<string>;
  enableUnprivilegedPorts: Val<boolean>;
  enableUnprivilegedIcmp: Val<boolean>;
  disableTcpService: Val<boolean>;
  streamServerAddress: Val<string>;
  streamServerPort: Val<string>;
  enableTlsStreaming: Val<boolean>;
  defaultRuntimeName: Val<string>;
  runtimes: RuntimeHandler[];
  /** registry.config_path: directories of <host>/hosts.toml, ":"-separated. */
  registryConfigPath: Val<string>;
  /** Legacy registry.configs."<host>".tls.insecure_skip_verify = true and plain-http mirror endpoints. */
  legacyInsecure: { registry: string; what: string; evidence: Evidence }[];
  /** The deprecated untrusted_workload_runtime is configured. */
  untrustedWorkloadRuntime: boolean;
}

export interface ContainerdGrpc {
  address: Val<string>;
  uid: Val<number>;
  gid: Val<number>;
  tcpAddress: Val<string>;
  tcpTlsCa: Val<string>;
  tcpTlsCert: Val<string>;
  tcpTlsKey: Val<string>;
}

export interface ContainerdConfig {
  /** Schema version of the main file (1 when absent). */
  version: number;
  /** Files read, main first, imports in merge order. */
  files: string[];
  /** Non-fatal problems: an import that is missing or of another version. */
  problems: string[];
  cri: ContainerdCri;
  grpc: ContainerdGrpc;
  /** The merged tables, for callers that want a key hostward does not model. */
  merged: Table;
}

export type LoadedConfig =
  { ok: true; config: ContainerdConfig } | { ok: false; missing: boolean; file: string; reason: string };

export interface ContainerdInstance {
  /** "containerd", "k3s" or "rke2". */
  flavour: 'containerd' | 'k3s' | 'rke2';
  configPath: string;
  /** A k3s/RKE2 template the generated config comes from (edits belong there). */
  template?: string;
  process?: { pid: number; argv: string[]; cmdlineFile: string };
  /** The config: a missing file means containerd's defaults. */
  loaded: LoadedConfig;
  socketPath: string;
  /** Stat of config files, the socket, and the socket facts. */
  files: FileFact[];
}

export interface ContainerdFacts {
  installed: boolean;
  basis: string;
  instances: ContainerdInstance[];
}

function val<T>(
  doc: Table,
  origins: Origins,
  texts: Map<string, string>,
  path: readonly string[],
  pick: (v: unknown) => T | undefined,
  dflt: T,
): Val<T> {
  const raw = at(doc, path);
  const v = pick(raw);
  if (v === undefined) return { value: dflt, set: false, evidence: [] };
  const file = origins.get(pathKey(path));
  const text = file ? texts.get(file) : undefined;
  const line = text ? lineOfKey(text, path) : undefined;
  const shown = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return {
    value: v,
    set: true,
    evidence: file ? [{ file, ...(line ? { line } : {}), text: `${path[path.length - 1]} = ${shown}` }] : [],
  };
}

const CRI_V2 = 'io.containerd.grpc.v1.cri';
const CRI_RUNTIME_V3 = 'io.containerd.cri.v1.runtime';
const CRI_IMAGES_V3 = 'io.containerd.cri.v1.images';

export function classifyHandler(runtimeType: string, binaryName: string | undefined, name: string): HandlerKind {
  const t = runtimeType.toLowerCase();
  const b = (binaryName ?? '').toLowerCase();
  if (t.includes('runsc') || b.includes('runsc') || /gvisor|runsc/.test(name)) return 'gvisor';
  if (t.includes('kata') || b.includes('kata') || /kata/.test(name)) return 'kata';
  if (b.endsWith('crun') || name === 'crun') return 'crun';
  if (
    t === 'io.containerd.runc.v2' ||
    t === 'io.containerd.runc.v1' ||
    t === 'io.containerd.runtime.v1.linux' ||
    t === ''
  )
    return 'runc';
  return 'other';
}

/** A setting of the merged document with its evidence, or the default when unset. */
type Getter = <T>(p: readonly string[], pick: (v: unknown) => T | undefined, d: T) => Val<T>;

/** Where a schema version keeps the CRI plugin's sections. */
interface CriPaths {
  cri: string[];
  runtime: string[];
  images: string[];
}

function criPaths(version: number): CriPaths {
  const cri = version <= 1 ? ['plugins', 'cri'] : ['plugins', CRI_V2];
  return {
    cri,
    runtime: version >= 3 ? ['plugins', CRI_RUNTIME_V3] : cri,
    images: version >= 3 ? ['plugins', CRI_IMAGES_V3] : cri,
  };
}

/** The CRI runtime handlers (runc, crun, gVisor, Kata, ...), at most 256. */
function runtimeHandlers(doc: Table, rtPath: readonly string[], g: Getter): RuntimeHandler[] {
  const runtimesTable = at(doc, [...rtPath, 'containerd', 'runtimes']);
  const runtimes: RuntimeHandler[] = [];
  if (!isTable(runtimesTable)) return runtimes;
  for (const [name, r] of Object.entries(runtimesTable).slice(0, 256)) {
    if (!isTable(r)) continue;
    const base = [...rtPath, 'containerd', 'runtimes', name];
    const runtimeType = str(r.runtime_type) ?? '';
    const binaryName = str(at(r, ['options', 'BinaryName'])) || undefined;
    const h: RuntimeHandler = {
      name,
      runtimeType,
      kind: classifyHandler(runtimeType, binaryName, name),
      systemdCgroup: g([...base, 'options', 'SystemdCgroup'], bool, false),
      privilegedWithoutHostDevices: g([...base, 'privileged_without_host_devices'], bool, false),
    };
    if (binaryName) h.binaryName = binaryName;
    runtimes.push(h);
  }
  return runtimes;
}

/** The deprecated in-file registry settings that turn TLS off: insecure_skip_verify, plain HTTP mirrors. */
function legacyInsecureRegistries(doc: Table, regBase: readonly string[], g: Getter): ContainerdCri['legacyInsecure'] {
  const legacyInsecure: ContainerdCri['legacyInsecure'] = [];
  const configs = at(doc, [...regBase, 'configs']);
  if (isTable(configs)) {
    for (const [reg, c] of Object.entries(configs)) {
      const p = [...regBase, 'configs', reg, 'tls', 'insecure_skip_verify'];
      if (at(c, ['tls', 'insecure_skip_verify']) === true)
        legacyInsecure.push({
          registry: reg,
          what: 'tls.insecure_skip_verify = true',
          evidence: g(p, bool, false).evidence[0] ?? { text: `${reg}: insecure_skip_verify = true` },
        });
    }
  }
  const mirrors = at(doc, [...regBase, 'mirrors']);
  if (isTable(mirrors)) {
    for (const [reg, m] of Object.entries(mirrors)) {
      const eps = strList(at(m, ['endpoint'])) ?? [];
      for (const ep of eps)
        if (/^http:\/\//i.test(ep))
          legacyInsecure.push({
            registry: reg,
            what: `plain HTTP mirror endpoint ${ep}`,
            evidence: g([...regBase, 'mirrors', reg, 'endpoint'], strList, []).evidence[0] ?? { text: ep },
          });
    }
  }
  return legacyInsecure;
}

function criSection(doc: Table, version: number, g: Getter): ContainerdCri {
  const v2x = version >= 3; // containerd 2.x defaults
  const { cri: criPath, runtime: rtPath, images: imgPath } = criPaths(version);
  const regBase = [...imgPath, 'registry'];
  const disabled = strList(at(doc, ['disabled_plugins'])) ?? [];
  return {
    enabled: !disabled.some((d) => d === 'cri' || d === CRI_V2 || d === CRI_RUNTIME_V3 || d === `${CRI_V2}`),
    enableSelinux: g([...rtPath, 'enable_selinux'], bool, false),
    disableApparmor: g([...rtPath, 'disable_apparmor'], bool, false),
    restrictOomScoreAdj: g([...rtPath, 'restrict_oom_score_adj'], bool, false),
    unsetSeccompProfile: g([...rtPath, 'unset_seccomp_profile'], str, ''),
    enableUnprivilegedPorts: g([...rtPath, 'enable_unprivileged_ports'], bool, v2x),
    enableUnprivilegedIcmp: g([...rtPath, 'enable_unprivileged_icmp'], bool, v2x),
    disableTcpService: g([...criPath, 'disable_tcp_service'], bool, true),
    streamServerAddress: g([...criPath, 'stream_server_address'], str, '127.0.0.1'),
    streamServerPort: g(
      [...criPath, 'stream_server_port'],
      (x) => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined),
      '0',
    ),
    enableTlsStreaming: g([...criPath, 'enable_tls_streaming'], bool, false),
    defaultRuntimeName: g([...rtPath, 'containerd', 'default_runtime_name'], str, 'runc'),
    runtimes: runtimeHandlers(doc, rtPath, g),
    registryConfigPath: g([...regBase, 'config_path'], str, v2x ? '/etc/containerd/certs.d:/etc/docker/certs.d' : ''),
    legacyInsecure: legacyInsecureRegistries(doc, regBase, g),
    untrustedWorkloadRuntime:
      version <= 2 && Boolean(str(at(doc, [...criPath, 'containerd', 'untrusted_workload_runtime', 'runtime_type']))),
  };
}

/**
 * The API: [grpc] until v4, where it moved to server plugins (2.3 migrates [grpc] only into a plugin without a
 * section).
 */
function grpcSection(doc: Table, version: number, g: Getter): ContainerdGrpc {
  const grpcP = ['plugins', 'io.containerd.server.v1.grpc'];
  const tcpP = ['plugins', 'io.containerd.server.v1.grpc-tcp'];
  const v4 = version >= 4;
  const pickG = <T>(
    plugin: string[],
    key: string,
    legacy: string,
    pick: (v: unknown) => T | undefined,
    d: T,
  ): Val<T> => (v4 && at(doc, plugin) !== undefined ? g([...plugin, key], pick, d) : g(['grpc', legacy], pick, d));
  return {
    address: pickG(grpcP, 'address', 'address', str, '/run/containerd/containerd.sock'),
    uid: pickG(grpcP, 'uid', 'uid', num, 0),
    gid: pickG(grpcP, 'gid', 'gid', num, 0),
    tcpAddress: pickG(tcpP, 'address', 'tcp_address', str, ''),
    tcpTlsCa: pickG(tcpP, 'tls_ca', 'tcp_tls_ca', str, ''),
    tcpTlsCert: pickG(tcpP, 'tls_cert', 'tcp_tls_cert', str, ''),
    tcpTlsKey: pickG(tcpP, 'tls_key', 'tcp_tls_key', str, ''),
  };
}

/** Normalise merged tables of any schema version into the typed view. */
export function normaliseContainerd(
  doc: Table,
  version: number,
  origins: Origins,
  texts: Map<string, string>,
  files: string[],
  problems: string[],
): ContainerdConfig {
  const g: Getter = (p, pick, d) => val(doc, origins, texts, p, pick, d);
  return {
    version,
    files,
    problems,
    cri: criSection(doc, version, g),
    grpc: grpcSection(doc, version, g),
    merged: doc,
  };
}

/** Version of a parsed file: `version = N`, 1 when absent. */
export function configVersion(doc: Table): number | undefined {
  const v = doc.version;
  if (v === undefined) return 1;
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 4 ? n : undefined;
}

function resolveImport(base: string, p: string): string {
  if (p.startsWith('/')) return p;
  const dir = base.slice(0, base.lastIndexOf('/')) || '/';
  return `${dir}/${p}`;
}

/**
 * Load a containerd config with its imports (globs expanded in lexical order, imports of imports followed,
 * each file once), merged as containerd merges them, and normalised. Read once per scan, however many probes
 * ask.
 */
export const loadContainerdConfig = perScan((path: string) => path, readContainerdConfig);

async function readContainerdConfig(host: HostRoot, path: string): Promise<LoadedConfig> {
  const main = await host.readText(path, { maxBytes: 4 * 1024 * 1024 });
  if (!main.ok) return { ok: false, missing: main.code === 'missing', file: path, reason: describeFailure(main) };
  const parsed = parseToml(main.text);
  if (!parsed.ok) return { ok: false, missing: false, file: path, reason: `${path}: ${parsed.reason}` };
  const version = configVersion(parsed.doc);
  if (version === undefined)
    return {
      ok: false,
      missing: false,
      file: path,
      reason: `${path}: unsupported config version ${JSON.stringify(parsed.doc.version)}`,
    };
  const texts = new Map<string, string>([[path, main.text]]);
  const origins: Origins = new Map();
  const doc: Table = {};
  mergeInto(doc, parsed.doc, 'replace', path, origins);
  const files = [path];
  const problems: string[] = [];
  const seen = new Set([path]);
  const queue: { from: string; pattern: string }[] = (strList(parsed.doc.imports) ?? []).map((p) => ({
    from: path,
    pattern: p,
  }));
  while (queue.length > 0 && files.length < CONTAINERD_MAX_IMPORTS) {
    const { from, pattern } = queue.shift()!;
    const full = resolveImport(from, pattern);
    const matches = /[*?[]/.test(full) ? await host.glob(full) : [full];
    for (const f of matches) {
      if (seen.has(f)) continue;
      seen.add(f);
      const t = await host.readText(f, { maxBytes: 4 * 1024 * 1024 });
      if (!t.ok) {
        // containerd ignores a missing import (a glob with no match), and fails on an unreadable one.
        if (t.code !== 'missing') return { ok: false, missing: false, file: f, reason: `import ${describeFailure(t)}` };
        problems.push(`import ${f} does not exist`);
        continue;
      }
      const p = parseToml(t.text);
      if (!p.ok) return { ok: false, missing: false, file: f, reason: `${f}: ${p.reason}` };
      const iv: number | undefined = p.doc.version === undefined ? version : configVersion(p.doc);
      if (iv !== version) problems.push(`${f} is config version ${String(p.doc.version)}, the main file ${version}`);
      texts.set(f, t.text);
      files.push(f);
      const imported = { ...p.doc };
      delete imported.imports;
      delete imported.version;
      if (version <= 2) {
        // 1.x: a plugin section named in an import replaces the whole section.
        const plugins = imported.plugins;
        delete imported.plugins;
        mergeInto(doc, imported, 'mergo', f, origins);
        if (isTable(plugins)) {
          if (!isTable(doc.plugins)) doc.plugins = {};
          const target = doc.plugins as Table;
          for (const [k, v] of Object.entries(plugins)) {
            for (const key of [...origins.keys()]) if (key.startsWith(pathKey(['plugins', k]))) origins.delete(key);
            target[k] = {};
            mergeInto(target[k] as Table, isTable(v) ? v : {}, 'replace', f, origins, ['plugins', k]);
          }
        }
      } else mergeInto(doc, imported, 'mergo', f, origins);
      for (const p2 of strList(p.doc.imports) ?? []) queue.push({ from: f, pattern: p2 });
    }
  }
  return { ok: true, config: normaliseContainerd(doc, version, origins, texts, files, problems) };
}

/** containerd's own flags: --config/-c, --address/-a. */
export function parseContainerdArgs(argv: readonly string[]): { config?: string; address?: string } {
  const p = parseGoFlags(argv.slice(1), new Set(['help', 'h', 'version', 'v']));
  const out: { config?: string; address?: string } = {};
  const c = lastFlag(p.flags, ['config', 'c']);
  const a = lastFlag(p.flags, ['address', 'a']);
  if (c?.value) out.config = c.value;
  if (a?.value) out.address = a.value;
  return out;
}

const CONTAINERD_BINARIES = [
  '/usr/bin/containerd',
  '/usr/local/bin/containerd',
  '/usr/sbin/containerd',
  '/bin/containerd',
];
const RANCHER = [
  {
    flavour: 'k3s' as const,
    dir: '/var/lib/rancher/k3s/agent/etc/containerd',
    socket: '/run/k3s/containerd/containerd.sock',
  },
  {
    flavour: 'rke2' as const,
    dir: '/var/lib/rancher/rke2/agent/etc/containerd',
    socket: '/run/k3s/containerd/containerd.sock',
  },
];

async function instanceFiles(host: HostRoot, inst: Omit<ContainerdInstance, 'files'>): Promise<FileFact[]> {
  const out: FileFact[] = [];
  const cfgFiles = inst.loaded.ok
    ? inst.loaded.config.files
    : (await host.exists(inst.configPath))
      ? [inst.configPath]
      : [];
  for (const f of cfgFiles)
    out.push(await statFile(host, f, f === inst.configPath ? 'config.toml' : 'imported config'));
  if (inst.template) out.push(await statFile(host, inst.template, 'config template'));
  if (await host.exists(inst.socketPath)) out.push(await statFile(host, inst.socketPath, 'containerd.sock'));
  return out;
}

export interface ContainerdGatherOptions {
  /** Config path to use for the system containerd when no running daemon names one. */
  configPath?: string;
  processes?: ProcInfo[];
}

/**
 * Every containerd instance of the host and its effective configuration (the running daemon's --config, else
 * /etc/containerd/config.toml; k3s/RKE2's generated config).
 */
export async function effectiveContainerd(host: HostRoot, o: ContainerdGatherOptions = {}): Promise<ContainerdFacts> {
  const procs = (o.processes ?? (await findProcesses(host, ['containerd']))).filter((p) => p.comm === 'containerd');
  const binary = await (async () => {
    for (const b of CONTAINERD_BINARIES) if (await host.exists(b)) return b;
    return undefined;
  })();
  const instances: ContainerdInstance[] = [];
  const byConfig = new Map<string, ProcInfo>();
  for (const p of procs) byConfig.set(parseContainerdArgs(p.argv).config ?? '/etc/containerd/config.toml', p);
  const add = async (
    flavour: ContainerdInstance['flavour'],
    configPath: string,
    socketDefault: string,
    template?: string,
  ) => {
    if (instances.some((i) => i.configPath === configPath)) return;
    const proc = byConfig.get(configPath);
    const loaded = await loadContainerdConfig(host, configPath);
    const args = proc ? parseContainerdArgs(proc.argv) : {};
    const socketPath =
      args.address ?? (loaded.ok && loaded.config.grpc.address.set ? loaded.config.grpc.address.value : socketDefault);
    const base: Omit<ContainerdInstance, 'files'> = {
      flavour,
      configPath,
      loaded,
      socketPath,
      ...(template ? { template } : {}),
      ...(proc ? { process: { pid: proc.pid, argv: proc.argv, cmdlineFile: proc.cmdlineFile } } : {}),
    };
    instances.push({ ...base, files: await instanceFiles(host, base) });
  };
  for (const r of RANCHER) {
    const cfg = `${r.dir}/config.toml`;
    const hasRunning = byConfig.has(cfg);
    if (hasRunning || (await host.exists(cfg))) {
      const tmpl = (await host.exists(`${r.dir}/config-v3.toml.tmpl`))
        ? `${r.dir}/config-v3.toml.tmpl`
        : (await host.exists(`${r.dir}/config.toml.tmpl`))
          ? `${r.dir}/config.toml.tmpl`
          : undefined;
      await add(r.flavour, cfg, r.socket, tmpl);
    }
  }
  for (const cfg of byConfig.keys())
    if (!instances.some((i) => i.configPath === cfg)) await add('containerd', cfg, '/run/containerd/containerd.sock');
  const sysCfg = o.configPath ?? '/etc/containerd/config.toml';
  if (!instances.some((i) => i.flavour === 'containerd') && (binary || (await host.exists(sysCfg))))
    await add('containerd', sysCfg, '/run/containerd/containerd.sock');
  const basis =
    instances.length === 0
      ? 'no containerd process, binary or config file'
      : instances.map((i) => `${i.flavour} (${i.process ? `pid ${i.process.pid}, ` : ''}${i.configPath})`).join('; ');
  return { installed: instances.length > 0, basis, instances };
}

/** hosts.toml (containerd registry host config): skip_verify and plain-HTTP servers, per host. */
export function parseHostsToml(
  text: string,
): { ok: true; insecure: { what: string; line?: number }[] } | { ok: false; reason: string } {
  const p = parseToml(text);
  if (!p.ok) return p;
  const insecure: { what: string; line?: number }[] = [];
  const server = str(p.doc.server);
  if (server && /^http:\/\//i.test(server))
    insecure.push({ what: `server = "${server}" is plain HTTP`, ...lineOpt(text, ['server']) });
  if (p.doc.skip_verify === true) insecure.push({ what: 'skip_verify = true', ...lineOpt(text, ['skip_verify']) });
  const hosts = p.doc.host;
  if (isTable(hosts)) {
    for (const [h, c] of Object.entries(hosts)) {
      if (at(c, ['skip_verify']) === true)
        insecure.push({ what: `host "${h}": skip_verify = true`, ...lineOpt(text, ['host', h, 'skip_verify']) });
      if (/^http:\/\//i.test(h)) insecure.push({ what: `host "${h}" is plain HTTP`, ...lineOpt(text, ['host', h]) });
    }
  }
  return { ok: true, insecure };
}

function lineOpt(text: string, path: string[]): { line?: number } {
  const l = lineOfKey(text, path);
  return l ? { line: l } : {};
}
