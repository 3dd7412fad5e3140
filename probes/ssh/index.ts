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
import type { GroupEntry } from './host-facts.js';
import { parseSshOptions } from './options.js';
import { SSH_OPTIONS } from './option-spec.js';
import { findListeners } from './daemon.js';
import type { ParseOptions } from './config-parser.js';
import { authChecks } from './checks/auth.js';
import { settingsChecks } from './checks/settings.js';
import { fileChecks } from './checks/files.js';
import { cryptoChecks } from './checks/crypto.js';
import { liveChecks } from './checks/live.js';

const CONFIG_PATH = '/etc/ssh/sshd_config';
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

async function gather(ctx: ProbeContext): Promise<SshFacts> {
  const options: SshOptions = parseSshOptions(ctx.config, ctx.host.isHostRoot);
  const { host } = ctx;
  const listeners = await findListeners(host);
  const daemons = listeners.map((d) => ({
    pid: d.pid,
    argv: d.argv,
    lines: d.args.lines,
    problems: d.args.problems,
    ...(d.args.configFile ? { configFile: d.args.configFile } : {}),
  }));
  // The file the running daemon reads (sshd -f) wins over the configured and the default path.
  const daemon = listeners[0];
  const configPath =
    daemon?.args.configFile ?? (typeof ctx.config.configPath === 'string' ? ctx.config.configPath : CONFIG_PATH);
  const sshdPath = await findSshd(host);
  const configExists = await host.exists(configPath);
  const canExec = Boolean(sshdPath) && process.getuid?.() === 0;
  const version = await detectVersion(ctx, sshdPath, canExec);
  const base: Pick<SshFacts, 'version' | 'configPath' | 'options' | 'daemons'> = {
    version,
    configPath,
    options,
    daemons,
  };
  const noMod: Failure = { ok: false, code: 'missing', path: '/etc/ssh/moduli', reason: 'not read' };
  if (!sshdPath && !configExists) {
    return {
      ...base,
      installed: false,
      parsed: { ok: false, code: 'missing', path: configPath, reason: 'no sshd_config' },
      sshdT: { used: false, reason: 'sshd is not installed' },
      effective: [],
      files: [],
      hostKeys: [],
      moduli: noMod,
    };
  }

  const parseOptions: ParseOptions = { version };
  if (daemon && daemon.args.lines.length > 0)
    parseOptions.commandLine = { file: `/proc/${daemon.pid}/cmdline`, lines: daemon.args.lines };
  // sshd -T replays what the daemon was started with; without a daemon, a configured path is passed as -f.
  const replay = daemon?.args.replay ?? (configPath !== CONFIG_PATH ? ['-f', configPath] : []);
  const [parsedOrFail, passwdText, groupText] = await Promise.all([
    parseSshdConfig(host, configPath, parseOptions),
    host.readText('/etc/passwd', { maxBytes: 16 * 1024 * 1024 }),
    host.readText('/etc/group', { maxBytes: 16 * 1024 * 1024 }),
  ]);
  const parsed: ParsedConfig | undefined = 'directives' in parsedOrFail ? parsedOrFail : undefined;
  const passwd = passwdText.ok ? parsePasswd(passwdText.text) : [];
  const groups = groupText.ok ? parseGroup(groupText.text) : [];

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
  const contexts: ConnectionContext[] = buildContexts({
    parsed,
    passwd,
    groups,
    ports,
    laddr: localAddress(),
    extraAddresses: options.sourceAddresses,
    useDns,
    ...rdomain,
  });

  const fatal = parsed?.problems.filter((p) => p.fatal) ?? [];
  let sshdT: SshFacts['sshdT'] = {
    used: false,
    reason: !sshdPath ? 'no sshd binary on the host' : 'hostward is not running as root',
  };
  let sshdRejected: string | undefined;
  let effective: EffectiveConfig[] = [];
  let effectiveUnavailable: string | undefined;

  if (canExec && sshdPath) {
    const first = await runSshdT(ctx.exec, sshdPath, contexts[0]!, {
      timeoutMs: options.sshdTimeoutMs,
      extraArgs: replay,
      signal: ctx.signal,
      version,
    });
    if (first.ok) {
      const rest = await mapLimit(contexts.slice(1), 4, (c) =>
        runSshdT(ctx.exec, sshdPath, c, {
          timeoutMs: options.sshdTimeoutMs,
          extraArgs: replay,
          signal: ctx.signal,
          version,
        }),
      );
      const all = [first, ...rest];
      const failed = all.find((r) => !r.ok);
      if (!failed) {
        sshdT = { used: true };
        effective = contexts.map((c, i) => ({
          context: c,
          settings: merge(
            (all[i] as { settings: Map<string, string[]> }).settings,
            parsed ? effectiveSettings(parsed, c, version) : undefined,
          ),
          source: 'sshd -T',
        }));
      } else if (!failed.ok) sshdT = { used: false, reason: `sshd -T failed for some connections: ${failed.reason}` };
    } else {
      sshdT = { used: false, reason: first.reason };
      if (first.rejected) sshdRejected = first.reason;
    }
  }
  if (effective.length === 0) {
    if (!parsed) effectiveUnavailable = `cannot read ${configPath}: ${(parsedOrFail as Failure).reason}`;
    else if (sshdRejected)
      effectiveUnavailable = `sshd refuses this configuration (${sshdRejected}); what a running daemon enforces cannot be known`;
    else if (fatal.length > 0)
      effectiveUnavailable = `sshd would refuse this configuration (${fatal[0]!.message}); what a running daemon enforces cannot be known`;
    else
      effective = contexts.map((c) => ({
        context: c,
        settings: effectiveSettings(parsed, c, version),
        source: 'parser',
      }));
  }

  const files: FileFact[] = [await statFact(host, '/etc/ssh', 'config_dir', groups)];
  if (configExists) files.push(await statFact(host, configPath, 'config', groups));
  for (const f of parsed?.files.slice(1) ?? []) files.push(await statFact(host, f, 'dropin', groups));
  const keyPaths =
    effective[0]?.settings.get('hostkey')?.values ?? globalView?.get('hostkey')?.values ?? DEFAULT_HOST_KEYS;
  const hk = await hostKeyFacts(host, keyPaths, groups);
  files.push(...hk.files);

  const moduliPath = effective[0]?.settings.get('modulifile')?.values[0] ?? '/etc/ssh/moduli';
  const moduliText = await host.readText(moduliPath, { maxBytes: 8 * 1024 * 1024 });
  const moduli: SshFacts['moduli'] = moduliText.ok ? { sizes: parseModuli(moduliText.text).sizes } : moduliText;

  const facts: SshFacts = {
    ...base,
    installed: true,
    parsed: parsed ?? parsedOrFail,
    sshdT,
    effective,
    files,
    hostKeys: hk.keys,
    moduli,
  };
  if (sshdPath) facts.sshdPath = sshdPath;
  if (sshdRejected) facts.sshdRejected = sshdRejected;
  if (effectiveUnavailable) facts.effectiveUnavailable = effectiveUnavailable;

  if (options.live) {
    // Prefer an IPv4 listener: a wildcard on both families is reached on 127.0.0.1 like any client would.
    const listens = effective[0]?.settings.get('listenaddress')?.values ?? [];
    const listen = listens.find((l) => !l.startsWith('[')) ?? listens[0] ?? '0.0.0.0:22';
    const target = liveTarget(listen, options);
    // Ask as every user the contexts name (root, an ordinary user, Match users), plus a random non-user.
    const users = [...new Set(contexts.filter((c) => c.userClass !== 'invalid').map((c) => c.user))].slice(0, 5);
    facts.live = await probeLive({
      address: target.address,
      port: target.port,
      users: [...users, randomProbeUser()],
      timeoutMs: 3000,
      signal: ctx.signal,
    });
  }
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

export const sshProbe = defineProbe<SshFacts>({
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
  validateConfig: (c) => {
    try {
      parseSshOptions(c, true);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  },
});
