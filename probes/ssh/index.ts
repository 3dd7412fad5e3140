/**
 * The ssh probe. Gathers the effective sshd configuration for every connection context two ways: the host's
 * own `sshd -T -C ...` (the truth, when it can run) and hostward's parser of sshd_config (always, for
 * file:line evidence, and the fallback when sshd cannot run). Then file modes, host keys, moduli, and a live
 * ssh2 look at the daemon. The checks in checks/ decide.
 */
import os from 'node:os';
import { defineProbe, skip, mapLimit } from '../../src/sdk.js';
import type { ProbeContext, Failure, HostRoot, ShedSpec, WatchSpec } from '../../src/sdk.js';
import type {
  ConnectionContext,
  EffectiveConfig,
  FileFact,
  HostKeyFact,
  LiveResult,
  ParsedConfig,
  Setting,
  SshFacts,
  SshOptions,
} from './types.js';
import { parseSshdConfig } from './config-parser.js';
import { effectiveSettings } from './effective.js';
import { runSshdT } from './sshd-t.js';
import { parsePublicKey, parseModuli } from './hostkeys.js';
import { probeLive, randomProbeUser } from './live.js';
import { findSshd, detectVersion, parsePasswd, parseGroup, buildContexts } from './host-facts.js';
import type { Account, GroupEntry } from './host-facts.js';
import { DEFAULT_SSH_OPTIONS } from './options.js';
import { SSH_OPTIONS } from './option-spec.js';
import { findListeners } from './daemon.js';
import type { ParseOptions } from './config-parser.js';
import { authChecks } from './checks/auth.js';
import { settingsChecks } from './checks/settings.js';
import { fileChecks } from './checks/files.js';
import { cryptoChecks } from './checks/crypto.js';
import { liveChecks } from './checks/live.js';

const CONFIG_PATH = DEFAULT_SSH_OPTIONS.configPath;
const DEFAULT_HOST_KEYS = ['/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_ed25519_key'];
/** Keywords whose parser value is compared with sshd -T (the ones checks read). */
export const COMPARED_KEYWORDS = [
  'passwordauthentication',
  'kbdinteractiveauthentication',
  'usepam',
  'permitrootlogin',
  'permitemptypasswords',
  'pubkeyauthentication',
  'maxauthtries',
  'x11forwarding',
  'allowtcpforwarding',
  'allowagentforwarding',
  'permittunnel',
  'gatewayports',
  'ignorerhosts',
  'hostbasedauthentication',
  'permituserenvironment',
  'logingracetime',
  'clientaliveinterval',
  'clientalivecountmax',
  'loglevel',
  'maxstartups',
  'maxsessions',
  'banner',
  'allowusers',
  'allowgroups',
  'denyusers',
  'denygroups',
  'ciphers',
  'macs',
  'kexalgorithms',
  'hostkeyalgorithms',
  'strictmodes',
  'gssapiauthentication',
  'kerberosauthentication',
  'ignoreuserknownhosts',
  'x11uselocalhost',
  'disableforwarding',
  'authenticationmethods',
  'port',
  'hostkey',
  'pubkeyacceptedalgorithms',
  'requiredrsasize',
  'compression',
  'tcpkeepalive',
  'usedns',
  'syslogfacility',
  'fingerprinthash',
] as const;

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => norm(v) === norm(b[i]!));
const norm = (v: string) => (v === 'prohibit-password' ? 'without-password' : v);

/** sshd -T's values with the parser's evidence; the parser's differing view kept beside them. */
export function merge(
  fromSshd: Map<string, string[]>,
  fromParser: Map<string, Setting> | undefined,
): Map<string, Setting> {
  const out = new Map<string, Setting>();
  for (const [k, values] of fromSshd) {
    const p = fromParser?.get(k);
    const s: Setting = { values, source: 'sshd -T' };
    if (p?.evidence) s.evidence = p.evidence;
    // sshd -T was given the address as the host name: a Match Host block the parser cannot decide stays undecided.
    if (p?.undecided) s.undecided = p.undecided;
    // An undecided keyword is not a disagreement: sshd -T matched Match Host against the address it was given.
    if (p && !p.undecided && (COMPARED_KEYWORDS as readonly string[]).includes(k) && !same(p.values, values)) {
      s.parserValues = p.values;
    }
    out.set(k, s);
  }
  for (const [k, s] of fromParser ?? []) if (!out.has(k)) out.set(k, s);
  return out;
}

function localAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

async function statFact(
  host: HostRoot,
  path: string,
  role: FileFact['role'],
  groups: readonly GroupEntry[],
): Promise<FileFact> {
  const st = await host.stat(path);
  if (!st.ok) return { path, role, stat: st };
  const group = groups.find((g) => g.gid === st.gid)?.name;
  return { path, role, stat: { mode: st.mode, uid: st.uid, gid: st.gid, ...(group ? { group } : {}) } };
}

async function hostKeyFacts(
  host: HostRoot,
  paths: readonly string[],
  groups: readonly GroupEntry[],
): Promise<{ files: FileFact[]; keys: HostKeyFact[] }> {
  const files: FileFact[] = [];
  const keys: HostKeyFact[] = [];
  for (const p of paths) {
    if (!(await host.exists(p))) continue;
    files.push(await statFact(host, p, 'host_private_key', groups));
    const pub = p + '.pub';
    const text = await host.readText(pub, { maxBytes: 64 * 1024 });
    if (!text.ok) {
      keys.push({ path: p, problem: `${pub}: ${text.reason}` });
      continue;
    }
    files.push(await statFact(host, pub, 'host_public_key', groups));
    const k = parsePublicKey(text.text);
    keys.push(k.ok ? { path: p, type: k.type, bits: k.bits } : { path: p, problem: `${pub}: ${k.reason}` });
  }
  return { files, keys };
}

type Listener = Awaited<ReturnType<typeof findListeners>>[number];
type Base = Pick<SshFacts, 'version' | 'configPath' | 'options' | 'daemons'>;

function daemonFacts(listeners: readonly Listener[]): SshFacts['daemons'] {
  return listeners.map((d) => ({
    pid: d.pid,
    argv: d.argv,
    lines: d.args.lines,
    problems: d.args.problems,
    ...(d.args.configFile ? { configFile: d.args.configFile } : {}),
  }));
}

/** Neither an sshd binary nor an sshd_config: every check skips. */
function notInstalled(base: Base, configPath: string): SshFacts {
  return {
    ...base,
    installed: false,
    parsed: { ok: false, code: 'missing', path: configPath, reason: 'no sshd_config' },
    sshdT: { used: false, reason: 'sshd is not installed' },
    effective: [],
    files: [],
    hostKeys: [],
    moduli: { ok: false, code: 'missing', path: '/etc/ssh/moduli', reason: 'not read' },
  };
}

/** sshd_config as parsed (or why it could not be read), and the users and groups Match blocks name. */
async function readConfiguration(
  host: HostRoot,
  configPath: string,
  parseOptions: ParseOptions,
): Promise<{ parsedOrFail: ParsedConfig | Failure; passwd: Account[]; groups: GroupEntry[] }> {
  const [parsedOrFail, passwdText, groupText] = await Promise.all([
    parseSshdConfig(host, configPath, parseOptions),
    host.readText('/etc/passwd', { maxBytes: 16 * 1024 * 1024 }),
    host.readText('/etc/group', { maxBytes: 16 * 1024 * 1024 }),
  ]);
  return {
    parsedOrFail,
    passwd: passwdText.ok ? parsePasswd(passwdText.text) : [],
    groups: groupText.ok ? parseGroup(groupText.text) : [],
  };
}

interface Inputs {
  parsed: ParsedConfig | undefined;
  passwd: Account[];
  groups: GroupEntry[];
  version: SshFacts['version'];
  options: SshOptions;
}

/** The connection contexts to evaluate, and the global view of the settings Match blocks cannot change. */
function connectionContexts(inp: Inputs): { globalView?: Map<string, Setting>; contexts: ConnectionContext[] } {
  const { parsed, version } = inp;
  // Ports and listen addresses cannot be set in Match blocks: any context gives them.
  const globalView = parsed
    ? effectiveSettings(
        parsed,
        { userClass: 'invalid', user: '', groups: [], host: '', addr: '', laddr: '', lport: 0, label: '' },
        version,
      )
    : undefined;
  const ports = (globalView?.get('port')?.values ?? ['22'])
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0 && n < 65536);
  // UseDNS cannot be set in a Match block; RDomain exists from 7.7, and on Linux an unbound socket reports ''.
  const useDns = globalView?.get('usedns')?.values[0] === 'yes';
  const rdomain = version.major > 7 || (version.major === 7 && version.minor >= 7) ? { rdomain: '' } : {};
  const contexts = buildContexts({
    parsed,
    passwd: inp.passwd,
    groups: inp.groups,
    ports,
    laddr: localAddress(),
    extraAddresses: inp.options.sourceAddresses,
    useDns,
    ...rdomain,
  });
  return { ...(globalView ? { globalView } : {}), contexts };
}

type Resolved = Pick<SshFacts, 'sshdT' | 'sshdRejected' | 'effective' | 'effectiveUnavailable'>;

/** The effective configuration per context from the host's sshd -T, merged with the parser's evidence. */
async function fromSshdT(
  ctx: ProbeContext,
  sshdPath: string,
  contexts: readonly ConnectionContext[],
  replay: readonly string[],
  inp: Inputs,
): Promise<Resolved> {
  const { parsed, version } = inp;
  const run = (c: ConnectionContext) =>
    runSshdT(ctx.exec, sshdPath, c, {
      timeoutMs: inp.options.sshdTimeoutMs,
      extraArgs: replay,
      signal: ctx.signal,
      version,
    });
  const first = await run(contexts[0]!);
  if (!first.ok) return { sshdT: { used: false, reason: first.reason }, effective: [], ...rejected(first) };
  const all = [first, ...(await mapLimit(contexts.slice(1), 4, run))];
  const failed = all.find((r) => !r.ok);
  if (failed && !failed.ok)
    return { sshdT: { used: false, reason: `sshd -T failed for some connections: ${failed.reason}` }, effective: [] };
  const effective = contexts.map((c, i) => ({
    context: c,
    settings: merge(
      (all[i] as { settings: Map<string, string[]> }).settings,
      parsed ? effectiveSettings(parsed, c, version) : undefined,
    ),
    source: 'sshd -T' as const,
  }));
  return { sshdT: { used: true }, effective };
}

function rejected(r: { rejected?: boolean; reason: string }): Pick<Resolved, 'sshdRejected'> {
  return r.rejected ? { sshdRejected: r.reason } : {};
}

function notRun(sshdPath: string | undefined): SshFacts['sshdT'] {
  return { used: false, reason: !sshdPath ? 'no sshd binary on the host' : 'hostward is not running as root' };
}

/** Without sshd -T: the parser's view, unless the configuration is unreadable or sshd would refuse it. */
function fromParser(
  r: Resolved,
  configPath: string,
  parsedOrFail: ParsedConfig | Failure,
  contexts: readonly ConnectionContext[],
  version: SshFacts['version'],
): Resolved {
  if (r.effective.length > 0) return r;
  const parsed = 'directives' in parsedOrFail ? parsedOrFail : undefined;
  const fatal = parsed?.problems.filter((p) => p.fatal) ?? [];
  if (!parsed) return { ...r, effectiveUnavailable: `cannot read ${configPath}: ${(parsedOrFail as Failure).reason}` };
  if (r.sshdRejected)
    return {
      ...r,
      effectiveUnavailable: `sshd refuses this configuration (${r.sshdRejected}); what a running daemon enforces cannot be known`,
    };
  if (fatal.length > 0)
    return {
      ...r,
      effectiveUnavailable: `sshd would refuse this configuration (${fatal[0]!.message}); what a running daemon enforces cannot be known`,
    };
  const effective = contexts.map((c) => ({
    context: c,
    settings: effectiveSettings(parsed, c, version),
    source: 'parser' as const,
  }));
  return { ...r, effective };
}

/** Modes and owners of the configuration, its drop-ins and the host keys; the host keys' types and sizes. */
async function configFiles(
  host: HostRoot,
  configPath: string,
  configExists: boolean,
  parsed: ParsedConfig | undefined,
  keyPaths: readonly string[],
  groups: readonly GroupEntry[],
): Promise<{ files: FileFact[]; hostKeys: HostKeyFact[] }> {
  const files: FileFact[] = [await statFact(host, '/etc/ssh', 'config_dir', groups)];
  if (configExists) files.push(await statFact(host, configPath, 'config', groups));
  for (const f of parsed?.files.slice(1) ?? []) files.push(await statFact(host, f, 'dropin', groups));
  const hk = await hostKeyFacts(host, keyPaths, groups);
  files.push(...hk.files);
  return { files, hostKeys: hk.keys };
}

async function moduliFact(host: HostRoot, effective: readonly EffectiveConfig[]): Promise<SshFacts['moduli']> {
  const moduliPath = effective[0]?.settings.get('modulifile')?.values[0] ?? '/etc/ssh/moduli';
  const moduliText = await host.readText(moduliPath, { maxBytes: 8 * 1024 * 1024 });
  return moduliText.ok ? { sizes: parseModuli(moduliText.text).sizes } : moduliText;
}

/** The live ssh2 look at the daemon, as every user the contexts name plus a random non-user. */
function liveFact(
  ctx: ProbeContext,
  options: SshOptions,
  effective: readonly EffectiveConfig[],
  contexts: readonly ConnectionContext[],
): Promise<LiveResult> {
  // Prefer an IPv4 listener: a wildcard on both families is reached on 127.0.0.1 like any client would.
  const listens = effective[0]?.settings.get('listenaddress')?.values ?? [];
  const listen = listens.find((l) => !l.startsWith('[')) ?? listens[0] ?? '0.0.0.0:22';
  const target = liveTarget(listen, options);
  // Ask as every user the contexts name (root, an ordinary user, Match users), plus a random non-user.
  const users = [...new Set(contexts.filter((c) => c.userClass !== 'invalid').map((c) => c.user))].slice(0, 5);
  return probeLive({
    address: target.address,
    port: target.port,
    users: [...users, randomProbeUser()],
    timeoutMs: 3000,
    signal: ctx.signal,
  });
}

async function gather(ctx: ProbeContext<SshOptions>): Promise<SshFacts> {
  const { host, options } = ctx;
  const listeners = await findListeners(host);
  // The file the running daemon reads (sshd -f) wins over the configured and the default path.
  const daemon = listeners[0];
  const configPath = daemon?.args.configFile ?? options.configPath;
  const sshdPath = await findSshd(host);
  const configExists = await host.exists(configPath);
  const canExec = Boolean(sshdPath) && process.getuid?.() === 0;
  const version = await detectVersion(ctx, sshdPath, canExec);
  const base: Base = { version, configPath, options, daemons: daemonFacts(listeners) };
  if (!sshdPath && !configExists) return notInstalled(base, configPath);

  const parseOptions: ParseOptions = { version };
  if (daemon && daemon.args.lines.length > 0)
    parseOptions.commandLine = { file: `/proc/${daemon.pid}/cmdline`, lines: daemon.args.lines };
  // sshd -T replays what the daemon was started with; without a daemon, a configured path is passed as -f.
  const replay = daemon?.args.replay ?? (configPath !== CONFIG_PATH ? ['-f', configPath] : []);
  const { parsedOrFail, passwd, groups } = await readConfiguration(host, configPath, parseOptions);
  const parsed = 'directives' in parsedOrFail ? parsedOrFail : undefined;
  const inputs: Inputs = { parsed, passwd, groups, version, options };
  const { globalView, contexts } = connectionContexts(inputs);
  const viaSshd: Resolved =
    canExec && sshdPath
      ? await fromSshdT(ctx, sshdPath, contexts, replay, inputs)
      : { sshdT: notRun(sshdPath), effective: [] };
  const resolved = fromParser(viaSshd, configPath, parsedOrFail, contexts, version);
  const { effective } = resolved;
  const keyPaths =
    effective[0]?.settings.get('hostkey')?.values ?? globalView?.get('hostkey')?.values ?? DEFAULT_HOST_KEYS;
  const { files, hostKeys } = await configFiles(host, configPath, configExists, parsed, keyPaths, groups);
  const facts: SshFacts = {
    ...base,
    installed: true,
    parsed: parsed ?? parsedOrFail,
    sshdT: resolved.sshdT,
    effective,
    files,
    hostKeys,
    moduli: await moduliFact(host, effective),
  };
  if (sshdPath) facts.sshdPath = sshdPath;
  if (resolved.sshdRejected) facts.sshdRejected = resolved.sshdRejected;
  if (resolved.effectiveUnavailable) facts.effectiveUnavailable = resolved.effectiveUnavailable;
  if (options.live) facts.live = await liveFact(ctx, options, effective, contexts);
  return facts;
}

/** Where to reach the daemon: a wildcard ListenAddress means loopback works (the agent uses the host network). */
export function liveTarget(
  listen: string,
  o: Pick<SshOptions, 'liveAddress' | 'livePort'>,
): { address: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  let address = m?.[1] ?? listen;
  const port = o.livePort ?? (m ? Number(m[2]) : 22);
  if (address === '0.0.0.0' || address === '') address = '127.0.0.1';
  if (address === '::') address = '::1';
  return { address: o.liveAddress ?? address, port };
}

/** sshd_config and its drop-ins; users and groups, since the probe evaluates per user and group. */
const SSH_WATCH: readonly WatchSpec[] = [
  { path: '/etc/ssh', depth: 1 },
  { path: '/etc', names: ['passwd', 'group'] },
];

/** The live probe (an ssh2 connection to the daemon) is switched off; its checks then say unknown. */
const SSH_SHED: ShedSpec = { action: 'ssh_live', options: { live: false }, checks: /^ssh\.live_/ };

export const sshProbe = defineProbe({
  name: 'ssh',
  description:
    'Effective sshd configuration (sshd -T per connection context, and a parser with Include and Match semantics for evidence), password exposure, root login, forwarding, limits, algorithm ratings, host keys, file modes, and a live ssh2 look at the daemon.',
  checks: [...authChecks, ...settingsChecks, ...cryptoChecks, ...fileChecks, ...liveChecks],
  gather,
  watch: SSH_WATCH,
  shed: SSH_SHED,
  precondition: (facts) =>
    facts.installed ? undefined : skip('sshd is not installed on this host (no sshd binary, no /etc/ssh/sshd_config)'),
  options: SSH_OPTIONS,
});
