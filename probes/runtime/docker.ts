/**
 * Docker: discovery of the daemon (rootful or rootless), its command line, daemon.json, unit files, sockets and
 * TLS files; the effective value of each daemon option (the running daemon's flag, last one wins; else
 * daemon.json or --config-file; else dockerd's default). Facts only: the checks in checks/docker.ts decide.
 */
import type { Evidence, HostRoot } from '../../src/sdk.js';
import { describeFailure } from '../../src/sdk.js';
import { findProcesses, lastGoFlag as lastFlag, parseGoFlags, readEnviron } from '../../src/sdk.js';
import type { FlagOccurrence, ProcInfo } from '../../src/sdk.js';
import { firstExisting, lineOf, statFile } from '../../src/sdk.js';
import type { StatFileFact as FileFact } from '../../src/sdk.js';

export type DockerKind = 'bool' | 'string' | 'list' | 'map';

export interface DockerOption {
  /** daemon.json key. */
  key: string;
  /** dockerd flags (without dashes) that set it; list flags repeat, scalar flags: the last one wins. */
  flags: readonly string[];
  kind: DockerKind;
  default: boolean | string | readonly string[] | Readonly<Record<string, unknown>>;
}

/** The daemon options the checks read (dockerd v20–v28 names). */
export const DOCKER_OPTIONS: readonly DockerOption[] = [
  { key: 'icc', flags: ['icc'], kind: 'bool', default: true },
  { key: 'log-level', flags: ['log-level', 'l'], kind: 'string', default: 'info' },
  { key: 'debug', flags: ['debug', 'D'], kind: 'bool', default: false },
  { key: 'iptables', flags: ['iptables'], kind: 'bool', default: true },
  { key: 'insecure-registries', flags: ['insecure-registry'], kind: 'list', default: [] },
  { key: 'storage-driver', flags: ['storage-driver', 's'], kind: 'string', default: '' },
  { key: 'hosts', flags: ['host', 'H'], kind: 'list', default: [] },
  { key: 'tls', flags: ['tls'], kind: 'bool', default: false },
  { key: 'tlsverify', flags: ['tlsverify'], kind: 'bool', default: false },
  { key: 'tlscacert', flags: ['tlscacert'], kind: 'string', default: '' },
  { key: 'tlscert', flags: ['tlscert'], kind: 'string', default: '' },
  { key: 'tlskey', flags: ['tlskey'], kind: 'string', default: '' },
  { key: 'default-ulimits', flags: ['default-ulimit'], kind: 'map', default: {} },
  { key: 'userns-remap', flags: ['userns-remap'], kind: 'string', default: '' },
  { key: 'authorization-plugins', flags: ['authorization-plugin'], kind: 'list', default: [] },
  { key: 'log-driver', flags: ['log-driver'], kind: 'string', default: 'json-file' },
  { key: 'log-opts', flags: ['log-opt'], kind: 'map', default: {} },
  { key: 'no-new-privileges', flags: ['no-new-privileges'], kind: 'bool', default: false },
  { key: 'live-restore', flags: ['live-restore'], kind: 'bool', default: false },
  { key: 'userland-proxy', flags: ['userland-proxy'], kind: 'bool', default: true },
  { key: 'seccomp-profile', flags: ['seccomp-profile'], kind: 'string', default: '' },
  { key: 'experimental', flags: ['experimental'], kind: 'bool', default: false },
  { key: 'selinux-enabled', flags: ['selinux-enabled'], kind: 'bool', default: false },
  { key: 'data-root', flags: ['data-root', 'graph', 'g'], kind: 'string', default: '/var/lib/docker' },
  { key: 'group', flags: ['group', 'G'], kind: 'string', default: 'docker' },
  { key: 'cgroup-parent', flags: ['cgroup-parent'], kind: 'string', default: '' },
];

/** dockerd's boolean flags: they take no separate value ("--icc=false" is the only way to say false). */
export const DOCKERD_BOOL_FLAGS: ReadonlySet<string> = new Set([
  'icc',
  'iptables',
  'ip6tables',
  'ip-forward',
  'ip-masq',
  'ipv6',
  'tls',
  'tlsverify',
  'no-new-privileges',
  'live-restore',
  'userland-proxy',
  'experimental',
  'selinux-enabled',
  'debug',
  'D',
  'rootless',
  'raw-logs',
  'init',
  'validate',
  'help',
  'h',
  'version',
  'v',
  'disable-legacy-registry',
  'allow-nondistributable-artifacts-all',
  'bridge-accept-fwmark',
]);

export type DockerSetting =
  | { key: string; state: 'set'; value: unknown; source: 'flag' | 'file' | 'default'; evidence: Evidence[] }
  | { key: string; state: 'unknown'; reason: string };

export interface DockerArgs {
  flags: FlagOccurrence[];
  configFile?: string;
  problems: string[];
}

export function parseDockerdArgs(argv: readonly string[]): DockerArgs {
  const p = parseGoFlags(argv.slice(1), DOCKERD_BOOL_FLAGS);
  const out: DockerArgs = {
    flags: p.flags,
    problems: [...p.problems, ...p.positional.map((a) => `unexpected argument ${JSON.stringify(a.slice(0, 80))}`)],
  };
  const cf = lastFlag(p.flags, ['config-file']);
  if (cf?.value) out.configFile = cf.value;
  return out;
}

export type DaemonJson = { ok: true; values: Record<string, unknown> } | { ok: false; reason: string };

/** daemon.json: a JSON object. Anything else is what dockerd would refuse to start with. */
export function parseDaemonJson(text: string): DaemonJson {
  if (text.trim() === '') return { ok: true, values: {} }; // dockerd treats an empty file as no configuration
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: 'not a JSON object' };
  return { ok: true, values: v as Record<string, unknown> };
}

function flagBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return true;
  const s = v.toLowerCase();
  if (['true', '1', 't'].includes(s)) return true;
  if (['false', '0', 'f'].includes(s)) return false;
  return undefined;
}

function fileTypeOk(o: DockerOption, v: unknown): boolean {
  switch (o.kind) {
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'list':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'map':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

export interface Resolved {
  settings: Map<string, DockerSetting>;
  /** Options set both as a flag and in daemon.json: dockerd refuses to start with any of them. */
  conflicts: string[];
}

/**
 * The effective value of every option in DOCKER_OPTIONS: flag (last wins for scalars, all for lists), else the
 * file, else the default. A file that cannot be read makes file-backed values unknown, never defaulted.
 */
export function resolveDocker(
  args: DockerArgs | undefined,
  file: { path: string; text?: string; json: DaemonJson } | undefined,
  cmdlineFile: string | undefined,
): Resolved {
  const settings = new Map<string, DockerSetting>();
  const conflicts: string[] = [];
  for (const o of DOCKER_OPTIONS) {
    const occ = args?.flags.filter((f) => o.flags.includes(f.name)) ?? [];
    const inFile = file?.json.ok && Object.prototype.hasOwnProperty.call(file.json.values, o.key);
    if (occ.length > 0) {
      if (inFile) conflicts.push(o.key);
      const ev: Evidence[] = occ.map((f) => ({ ...(cmdlineFile ? { file: cmdlineFile } : {}), text: f.text }));
      let value: unknown;
      if (o.kind === 'bool') {
        value = flagBool(occ[occ.length - 1]!.value);
        if (value === undefined) {
          settings.set(o.key, { key: o.key, state: 'unknown', reason: `${occ[occ.length - 1]!.text}: not a boolean` });
          continue;
        }
      } else if (o.kind === 'string') value = occ[occ.length - 1]!.value ?? '';
      else if (o.kind === 'list') value = occ.map((f) => f.value ?? '');
      else {
        const m: Record<string, string> = {};
        for (const f of occ) {
          const [k, ...rest] = (f.value ?? '').split('=');
          if (k) m[k] = rest.join('=');
        }
        value = m;
      }
      settings.set(o.key, { key: o.key, state: 'set', value, source: 'flag', evidence: ev });
      continue;
    }
    if (file && !file.json.ok) {
      settings.set(o.key, { key: o.key, state: 'unknown', reason: `${file.path}: ${file.json.reason}` });
      continue;
    }
    if (file && inFile && file.json.ok) {
      const v = file.json.values[o.key];
      if (!fileTypeOk(o, v)) {
        settings.set(o.key, {
          key: o.key,
          state: 'unknown',
          reason: `${file.path}: "${o.key}" must be a ${o.kind}, got ${JSON.stringify(v)?.slice(0, 60)}`,
        });
        continue;
      }
      const line = file.text ? lineOf(file.text, new RegExp(`"${o.key.replace(/[-]/g, '\\-')}"\\s*:`)) : undefined;
      settings.set(o.key, {
        key: o.key,
        state: 'set',
        value: v,
        source: 'file',
        evidence: [
          { file: file.path, ...(line ? { line } : {}), text: `"${o.key}": ${JSON.stringify(v)}`.slice(0, 200) },
        ],
      });
      continue;
    }
    settings.set(o.key, { key: o.key, state: 'set', value: o.default, source: 'default', evidence: [] });
  }
  return { settings, conflicts };
}

export interface DockerDaemon {
  pid: number;
  argv: string[];
  cmdlineFile: string;
  uid?: number;
  rootless: boolean;
  startedAtMs?: number;
}

export interface DockerFacts {
  installed: boolean;
  /** Why hostward thinks Docker is (or is not) installed. */
  basis: string;
  daemon?: DockerDaemon;
  argProblems: string[];
  configPath: string;
  config:
    { state: 'missing' } | { state: 'unreadable'; reason: string } | { state: 'ok'; json: DaemonJson; mtimeMs: number };
  settings: Map<string, DockerSetting>;
  conflicts: string[];
  /** Units, config, sockets, TLS files and registry certificates, each with its role. */
  files: FileFact[];
  /** Owner the files should have: root, or the rootless daemon's user. */
  ownerUid: number;
  /** gid of the group the socket may belong to ("docker" unless --group says otherwise). */
  socketGid?: number;
  /** Where the daemon listens, from -H/hosts and, for fd://, the docker.socket unit. */
  listeners: { address: string; evidence: Evidence }[];
}

const DOCKERD_BINARIES = ['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd', '/bin/dockerd'];
export const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];

/** ListenStream= lines of a systemd socket unit. */
export function parseListenStreams(text: string): { value: string; line: number }[] {
  const out: { value: string; line: number }[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^\s*ListenStream\s*=\s*(.*?)\s*$/.exec(l);
    if (m) {
      if (m[1] === '')
        out.length = 0; // an empty assignment resets the list
      else out.push({ value: m[1]!, line: i + 1 });
    }
  });
  return out;
}

export interface DockerGatherOptions {
  configFile?: string;
  processes?: ProcInfo[];
  groups: Map<string, number>;
  homes: Map<number, string>;
}

function daemonOf(procs: readonly ProcInfo[]): DockerDaemon | undefined {
  const proc = procs.find((p) => p.comm === 'dockerd');
  if (!proc) return undefined;
  return {
    pid: proc.pid,
    argv: proc.argv,
    cmdlineFile: proc.cmdlineFile,
    rootless: (proc.uid ?? 0) !== 0 || proc.argv.includes('--rootless'),
    ...(proc.uid !== undefined ? { uid: proc.uid } : {}),
    ...(proc.startedAtMs !== undefined ? { startedAtMs: proc.startedAtMs } : {}),
  };
}

/** Whose Docker this is: root's, or the rootless daemon's user with their home. */
interface Owner {
  daemon: DockerDaemon | undefined;
  uid: number;
  home: string | undefined;
}

/** daemon.json: -config-file, else the configured path, else the default of a rootful or rootless daemon. */
async function configPathOf(
  host: HostRoot,
  owner: Owner,
  args: DockerArgs | undefined,
  o: DockerGatherOptions,
): Promise<string> {
  const { daemon, home } = owner;
  const xdgConfig = daemon?.rootless ? await readEnviron(host, daemon.pid, 'XDG_CONFIG_HOME') : undefined;
  const defaultConfig = daemon?.rootless
    ? `${xdgConfig ?? `${home ?? '/root'}/.config`}/docker/daemon.json`
    : '/etc/docker/daemon.json';
  return args?.configFile ?? o.configFile ?? defaultConfig;
}

interface Installation {
  binary?: string;
  serviceUnit?: string;
  socketUnit?: string;
  configExists: boolean;
  installed: boolean;
  /** Why hostward thinks Docker is (or is not) installed. */
  basis: string;
}

async function installationOf(host: HostRoot, owner: Owner, configPath: string): Promise<Installation> {
  const { daemon } = owner;
  const binary = await firstExisting(host, DOCKERD_BINARIES);
  const serviceUnit = await firstExisting(
    host,
    UNIT_DIRS.map((d) => `${d}/docker.service`),
  );
  const socketUnit = await firstExisting(
    host,
    UNIT_DIRS.map((d) => `${d}/docker.socket`),
  );
  const configExists = await host.exists(configPath);
  const basis = daemon
    ? `dockerd pid ${daemon.pid}${daemon.rootless ? ` (rootless, uid ${owner.uid})` : ''}`
    : (binary ??
      serviceUnit ??
      (configExists ? configPath : 'no dockerd process, binary, docker.service or daemon.json'));
  return {
    ...(binary ? { binary } : {}),
    ...(serviceUnit ? { serviceUnit } : {}),
    ...(socketUnit ? { socketUnit } : {}),
    configExists,
    installed: Boolean(daemon || binary || serviceUnit || configExists),
    basis,
  };
}

/** daemon.json as read, and what resolveDocker needs of it. */
async function readDaemonConfig(
  host: HostRoot,
  configPath: string,
): Promise<{ config: DockerFacts['config']; file: Parameters<typeof resolveDocker>[1] }> {
  const text = await host.readText(configPath, { maxBytes: 1024 * 1024 });
  if (text.ok) {
    const json = parseDaemonJson(text.text);
    const st = await host.stat(configPath);
    return {
      config: { state: 'ok', json, mtimeMs: st.ok ? st.mtimeMs : 0 },
      file: { path: configPath, text: text.text, json },
    };
  }
  if (text.code === 'missing') return { config: { state: 'missing' }, file: undefined };
  return {
    config: { state: 'unreadable', reason: describeFailure(text) },
    file: {
      path: configPath,
      json: { ok: false, reason: `cannot read: ${text.code.replace(/_/g, ' ')} (${text.reason})` },
    },
  };
}

/** Units, /etc/docker, daemon.json, environment files and registry certificates, each with its role. */
async function configFiles(host: HostRoot, owner: Owner, inst: Installation, configPath: string): Promise<FileFact[]> {
  const rootless = owner.daemon?.rootless;
  const files: FileFact[] = [];
  if (inst.serviceUnit) files.push(await statFile(host, inst.serviceUnit, 'docker.service'));
  if (inst.socketUnit) files.push(await statFile(host, inst.socketUnit, 'docker.socket'));
  if (!rootless && (await host.exists('/etc/docker'))) files.push(await statFile(host, '/etc/docker', '/etc/docker'));
  if (inst.configExists) files.push(await statFile(host, configPath, 'daemon.json'));
  for (const p of ['/etc/default/docker', '/etc/sysconfig/docker'])
    if (!rootless && (await host.exists(p))) files.push(await statFile(host, p, 'environment file'));
  const certsDir = rootless ? `${owner.home ?? '/root'}/.config/docker/certs.d` : '/etc/docker/certs.d';
  const certs = [...(await host.glob(`${certsDir}/*/*.crt`)), ...(await host.glob(`${certsDir}/*/*.cert`))];
  for (const c of certs.slice(0, 1000)) files.push(await statFile(host, c, 'registry certificate'));
  return files;
}

function settingValue(settings: Map<string, DockerSetting>, k: string): unknown {
  const s = settings.get(k);
  return s?.state === 'set' ? s.value : undefined;
}

/** TLS files: only when TLS is in use or a path is given; the defaults are ~/.docker/{ca,cert,key}.pem. */
async function tlsFiles(host: HostRoot, owner: Owner, settings: Map<string, DockerSetting>): Promise<FileFact[]> {
  const val = (k: string) => settingValue(settings, k);
  const tlsOn = val('tls') === true || val('tlsverify') === true;
  const dockerHome = `${owner.daemon?.rootless ? (owner.home ?? '/root') : '/root'}/.docker`;
  const files: FileFact[] = [];
  for (const [k, role, dflt] of [
    ['tlscacert', 'TLS CA certificate', 'ca.pem'],
    ['tlscert', 'TLS certificate', 'cert.pem'],
    ['tlskey', 'TLS key', 'key.pem'],
  ] as const) {
    const v = val(k);
    const p = typeof v === 'string' && v !== '' ? v : tlsOn ? `${dockerHome}/${dflt}` : undefined;
    if (p) files.push(await statFile(host, p, role));
  }
  return files;
}

/** fd:// is whatever docker.socket listens on; without its ListenStream lines, the default socket. */
async function socketActivated(
  host: HostRoot,
  socketUnit: string | undefined,
  ev: Evidence,
): Promise<DockerFacts['listeners']> {
  const fallback = [{ address: 'unix:///run/docker.sock', evidence: ev }];
  if (!socketUnit) return fallback;
  const su = await host.readText(socketUnit, { maxBytes: 256 * 1024 });
  const streams = su.ok ? parseListenStreams(su.text) : [];
  if (streams.length === 0) return fallback;
  return streams.map((s) => ({
    address: s.value.startsWith('/') ? `unix://${s.value}` : `tcp://${s.value}`,
    evidence: { file: socketUnit, line: s.line, text: `ListenStream=${s.value}` },
  }));
}

/** Listeners: -H / hosts; the default unix socket; fd:// is whatever docker.socket says. */
async function listenersOf(
  host: HostRoot,
  owner: Owner,
  settings: Map<string, DockerSetting>,
  socketUnit: string | undefined,
): Promise<DockerFacts['listeners']> {
  const { daemon } = owner;
  const listeners: DockerFacts['listeners'] = [];
  const hostsSetting = settings.get('hosts');
  const hosts = hostsSetting?.state === 'set' ? (hostsSetting.value as string[]) : [];
  const xdgRuntime = daemon?.rootless
    ? ((await readEnviron(host, daemon.pid, 'XDG_RUNTIME_DIR')) ?? `/run/user/${owner.uid}`)
    : undefined;
  const defaultSock = xdgRuntime ? `unix://${xdgRuntime}/docker.sock` : 'unix:///var/run/docker.sock';
  for (const h of hosts.length > 0 ? hosts : [defaultSock]) {
    const ev =
      hostsSetting?.state === 'set'
        ? (hostsSetting.evidence.find((e) => e.text?.includes(h)) ?? hostsSetting.evidence[0] ?? { text: h })
        : { text: h };
    if (h.startsWith('fd://')) listeners.push(...(await socketActivated(host, socketUnit, ev)));
    else listeners.push({ address: h, evidence: ev });
  }
  return listeners;
}

/** The sockets actually present: rootful docker.socket puts it in /run; /var/run is a link to /run. */
async function socketFiles(host: HostRoot, listeners: DockerFacts['listeners']): Promise<FileFact[]> {
  const unix = listeners.filter((l) => l.address.startsWith('unix://')).map((l) => l.address.slice('unix://'.length));
  const files: FileFact[] = [];
  for (const s of new Set(unix)) if (await host.exists(s)) files.push(await statFile(host, s, 'docker.sock'));
  return files;
}

/** The socket's group: --group (a name or a gid), else "docker". */
function socketGidOf(settings: Map<string, DockerSetting>, groups: Map<string, number>): number | undefined {
  const v = settingValue(settings, 'group');
  const groupName = typeof v === 'string' ? v : 'docker';
  return /^\d+$/.test(groupName) ? Number(groupName) : groups.get(groupName);
}

export async function gatherDocker(host: HostRoot, o: DockerGatherOptions): Promise<DockerFacts> {
  const daemon = daemonOf(o.processes ?? (await findProcesses(host, ['dockerd'])));
  const args = daemon ? parseDockerdArgs(daemon.argv) : undefined;
  const uid = daemon?.rootless ? (daemon.uid ?? 0) : 0;
  const owner: Owner = { daemon, uid, home: daemon?.rootless ? o.homes.get(uid) : undefined };
  const configPath = await configPathOf(host, owner, args, o);
  const inst = await installationOf(host, owner, configPath);
  const { config, file } = await readDaemonConfig(host, configPath);
  const { settings, conflicts } = resolveDocker(args, file, daemon?.cmdlineFile);
  const files = [...(await configFiles(host, owner, inst, configPath)), ...(await tlsFiles(host, owner, settings))];
  const listeners = await listenersOf(host, owner, settings, inst.socketUnit);
  files.push(...(await socketFiles(host, listeners)));
  const facts: DockerFacts = {
    installed: inst.installed,
    basis: inst.basis,
    argProblems: args?.problems ?? [],
    configPath,
    config,
    settings,
    conflicts,
    files,
    ownerUid: uid,
    listeners,
  };
  if (daemon) facts.daemon = daemon;
  const socketGid = socketGidOf(settings, o.groups);
  if (socketGid !== undefined) facts.socketGid = socketGid;
  return facts;
}
