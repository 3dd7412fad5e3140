/**
 * Checks over the live probe (probes/ssh/live.ts): what the running daemon actually offers, as opposed to what
 * its configuration files say. The live view is corroboration, not the truth (mscdex/ssh2#706): the methods a
 * server lists after `none` depend on the user name and source address, and cannot show PermitRootLogin,
 * DenyUsers or second factors.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import type { EffectiveConfig, LiveResult, Setting, SshFacts } from '../types.js';

const PROBE_USER_PREFIX = 'hostward-probe-';
const PASSWORD_METHODS = ['password', 'keyboard-interactive'] as const;

function where(live: LiveResult): string {
  return `${live.address}:${live.port}`;
}

function describeUser(user: string): string {
  return user.startsWith(PROBE_USER_PREFIX) ? `a non-existent user (${user})` : user;
}

function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

/**
 * The common preamble: skip when the probe is disabled, unknown when it ran but saw nothing usable.
 * Returns the live result, or the outcome to return instead.
 */
function liveOrOutcome(facts: SshFacts, need: 'methods' | 'offered' | 'banner'): LiveResult | Outcome {
  if (!facts.options.live) return skip('live probe disabled');
  const live = facts.live;
  if (!live) return unknown('the live probe is enabled but produced no result');
  if (need === 'banner') return live;
  if (need === 'offered' && live.offered && live.offered.kex.length > 0) return live;
  if (live.status === 'ok') return live;
  const reason = live.reason ?? live.status;
  if (live.status === 'pq_only') return unknown(`the live probe could not see the authentication methods: ${reason}`);
  return unknown(
    `live probe of ${where(live)} ${live.status === 'unreachable' ? 'could not connect' : 'failed'}: ${reason}`,
  );
}

function isOutcome(v: LiveResult | Outcome): v is Outcome {
  return 'message' in v;
}

/** The user's effective configuration that best matches how the probe connected (same address and port). */
function contextFor(facts: SshFacts, live: LiveResult, user: string): EffectiveConfig | undefined {
  const candidates = facts.effective.filter((e) => {
    if (user.startsWith(PROBE_USER_PREFIX)) return e.context.userClass === 'invalid';
    if (user === 'root') return e.context.userClass === 'root';
    return e.context.user === user;
  });
  let best: EffectiveConfig | undefined;
  let bestScore = -1;
  for (const c of candidates) {
    const score =
      (c.context.addr === live.address ? 4 : 0) +
      (c.context.laddr === live.address ? 2 : 0) +
      (c.context.lport === live.port ? 1 : 0);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function firstValue(cfg: EffectiveConfig, keyword: string): string | undefined {
  return cfg.settings.get(keyword)?.values[0]?.toLowerCase();
}

/**
 * The password-type methods sshd lists after `none` for this context, as its configuration says: password
 * when PasswordAuthentication yes; keyboard-interactive when KbdInteractiveAuthentication yes (sshd lists it
 * even with UsePAM no). With AuthenticationMethods, sshd lists only the first method of each list.
 */
function configuredPasswordMethods(cfg: EffectiveConfig): {
  methods: Set<string>;
  evidence: Evidence[];
  complete: boolean;
} {
  const methods = new Set<string>();
  const evidence: Evidence[] = [];
  const add = (s: Setting | undefined): void => {
    for (const e of s?.evidence ?? []) evidence.push(e);
  };
  const pw = firstValue(cfg, 'passwordauthentication');
  const kbd = firstValue(cfg, 'kbdinteractiveauthentication');
  add(cfg.settings.get('passwordauthentication'));
  add(cfg.settings.get('kbdinteractiveauthentication'));
  if (pw === 'yes') methods.add('password');
  if (kbd === 'yes') methods.add('keyboard-interactive');
  const am = cfg.settings.get('authenticationmethods');
  const amText = am?.values.join(' ').trim() ?? 'any';
  if (amText !== '' && amText !== 'any') {
    add(am);
    const firsts = new Set(amText.split(/\s+/).map((list) => (list.split(',')[0] ?? '').split(':')[0] ?? ''));
    for (const m of [...methods]) if (!firsts.has(m)) methods.delete(m);
  }
  return { methods, evidence, complete: pw !== undefined && kbd !== undefined };
}

/** Algorithm names the two views cannot both report: KEXINIT pseudo-algorithms and GSSAPI key exchange. */
function comparable(name: string): boolean {
  return !name.startsWith('ext-info-') && !name.startsWith('kex-strict-') && !name.startsWith('gss-');
}

interface ListDiff {
  label: string;
  onlyDaemon: string[];
  onlyConfig: string[];
  orderDiffers: boolean;
}

function diffLists(label: string, daemon: readonly string[], config: readonly string[]): ListDiff {
  const d = daemon.filter(comparable);
  const c = config.filter(comparable);
  const onlyDaemon = d.filter((x) => !c.includes(x));
  const onlyConfig = c.filter((x) => !d.includes(x));
  const orderDiffers = onlyDaemon.length === 0 && onlyConfig.length === 0 && d.join(',') !== c.join(',');
  return { label, onlyDaemon, onlyConfig, orderDiffers };
}

function describeDiff(d: ListDiff): string {
  const parts: string[] = [];
  if (d.onlyDaemon.length > 0)
    parts.push(`the daemon offers ${d.onlyDaemon.join(',')} which the configuration does not allow`);
  if (d.onlyConfig.length > 0)
    parts.push(`the configuration allows ${d.onlyConfig.join(',')} which the daemon does not offer`);
  if (d.orderDiffers) parts.push('same algorithms in a different order');
  return `${d.label}: ${parts.join('; ')}`;
}

const livePasswordOffered: Check<SshFacts> = {
  id: 'ssh.live_password_offered',
  title: 'The running sshd does not offer password or keyboard-interactive login',
  severity: 'high',
  references: [
    'dev-sec ssh-baseline sshd-27',
    'dev-sec ssh-baseline sshd-29',
    'https://github.com/dev-sec/ssh-baseline/blob/master/controls/sshd_spec.rb',
    'https://github.com/mscdex/ssh2/issues/706',
  ],
  remediation:
    'Set `PasswordAuthentication no` and `KbdInteractiveAuthentication no` (ChallengeResponseAuthentication on OpenSSH < 8.7) globally and in every Match block, ' +
    'make sure users have keys, then reload sshd (`systemctl reload ssh`). The live check sees what the running daemon answers, so it fails until the daemon is reloaded.',
  evaluate(facts) {
    const live = liveOrOutcome(facts, 'methods');
    if (isOutcome(live)) return live;
    if (live.methods.length === 0)
      return unknown(
        `the live probe of ${where(live)} listed no authentication methods${live.reason ? `: ${live.reason}` : ''}`,
      );
    const byMethod = new Map<string, string[]>();
    for (const m of live.methods) {
      for (const method of m.methods) {
        if ((PASSWORD_METHODS as readonly string[]).includes(method) || method === 'none') {
          byMethod.set(method, [...(byMethod.get(method) ?? []), describeUser(m.user)]);
        }
      }
    }
    const probed = live.methods.map((m) => describeUser(m.user));
    const missing = live.reason ? ` (not seen: ${live.reason})` : '';
    if (byMethod.size === 0) {
      return pass(
        `the daemon at ${where(live)} offers no password methods to ${listWords(probed)}: ${[...new Set(live.methods.flatMap((m) => m.methods))].join(', ') || 'nothing'}${missing}`,
      );
    }
    const parts = [...byMethod].map(([method, users]) =>
      method === 'none'
        ? `accepts login WITHOUT ANY CREDENTIAL for ${listWords(users)}`
        : `offers ${method} to ${listWords(users)}`,
    );
    return fail(`the daemon at ${where(live)} ${parts.join('; ')}${missing}`);
  },
};

/** What comparing the running daemon with its configuration found, gathered over the comparisons. */
interface Comparison {
  problems: string[];
  evidence: Evidence[];
  notes: string[];
  compared: string[];
}

/** The daemon's KEXINIT lists against the effective configuration. */
function compareAlgorithms(offered: NonNullable<LiveResult['offered']>, global: EffectiveConfig, c: Comparison): void {
  const lists: [string, string, readonly string[]][] = [
    ['ciphers', 'Ciphers', offered.ciphers],
    ['macs', 'MACs', offered.macs],
    ['kexalgorithms', 'KexAlgorithms', offered.kex],
  ];
  for (const [keyword, label, list] of lists) {
    const s = global.settings.get(keyword);
    const configured = s?.values[0];
    if (configured === undefined) {
      c.notes.push(`${label} is not in the effective configuration`);
      continue;
    }
    if (list.length === 0) {
      c.notes.push(`the daemon's ${label} list was not seen`);
      continue;
    }
    c.compared.push(label);
    const d = diffLists(label, list, configured.split(','));
    if (d.onlyDaemon.length > 0 || d.onlyConfig.length > 0 || d.orderDiffers) {
      c.problems.push(describeDiff(d));
      for (const e of s?.evidence ?? []) c.evidence.push(e);
    }
  }
}

/** Password exposure: what one probed user is offered against what the configuration says for that user. */
function compareUserMethods(facts: SshFacts, live: LiveResult, m: LiveResult['methods'][number], c: Comparison): void {
  const cfg = contextFor(facts, live, m.user);
  if (!cfg) {
    c.notes.push(`no configuration context for ${describeUser(m.user)}`);
    return;
  }
  const want = configuredPasswordMethods(cfg);
  if (!want.complete) {
    c.notes.push(`password settings unknown for ${describeUser(m.user)}`);
    return;
  }
  c.compared.push(`methods for ${describeUser(m.user)}`);
  const offered = m.methods.filter((x) => (PASSWORD_METHODS as readonly string[]).includes(x));
  const extra = offered.filter((x) => !want.methods.has(x));
  const missing = [...want.methods].filter((x) => !offered.includes(x));
  if (extra.length > 0) {
    c.problems.push(
      `the daemon offers ${extra.join(' and ')} to ${describeUser(m.user)} but the configuration says ${extra
        .map((x) => (x === 'password' ? 'PasswordAuthentication' : 'KbdInteractiveAuthentication'))
        .join('/')} no for ${cfg.context.label}: daemon not reloaded since the config changed`,
    );
    for (const e of want.evidence) c.evidence.push(e);
  } else if (missing.length > 0) {
    c.notes.push(
      `the configuration enables ${missing.join(' and ')} for ${describeUser(m.user)} but the daemon does not offer it`,
    );
  }
}

const liveMatchesConfig: Check<SshFacts> = {
  id: 'ssh.live_matches_config',
  title: 'The running sshd offers what its configuration says',
  severity: 'medium',
  references: ['https://man.openbsd.org/sshd_config', 'https://man.openbsd.org/sshd#T'],
  remediation:
    'The daemon runs with settings other than the configuration on disk: reload or restart it (`systemctl reload ssh`, or `systemctl restart ssh` after changing HostKey or Port), ' +
    'and look for `-o` options on its command line (e.g. RHEL crypto policies, `ps -o args -C sshd`) or a unit file pointing at another configuration.',
  evaluate(facts) {
    const live = liveOrOutcome(facts, 'offered');
    if (isOutcome(live)) return live;
    if (facts.effective.length === 0)
      return unknown(facts.effectiveUnavailable ?? 'the effective sshd configuration could not be determined');
    const c: Comparison = { problems: [], evidence: [], notes: [], compared: [] };
    if (live.offered) compareAlgorithms(live.offered, facts.effective[0]!, c);
    if (live.status === 'ok') for (const m of live.methods) compareUserMethods(facts, live, m, c);
    else c.notes.push(`authentication methods not seen (${live.reason ?? live.status})`);
    const tail = c.notes.length > 0 ? ` (${c.notes.join('; ')})` : '';
    if (c.problems.length > 0)
      return fail(
        `the daemon at ${where(live)} differs from its configuration: ${c.problems.join('; ')}${tail}`,
        dedupe(c.evidence),
      );
    if (c.compared.length === 0) return unknown(`nothing could be compared${tail}`);
    return pass(`the daemon at ${where(live)} matches the configuration (${c.compared.join(', ')})${tail}`);
  },
};

const BANNER_RE = /^SSH-(2\.0|1\.99)-(\S+)(?: (.*))?$/;

const versionBanner: Check<SshFacts> = {
  id: 'ssh.version_banner',
  title: 'The SSH banner does not reveal the distribution patch level',
  severity: 'low',
  references: [
    'dev-sec ssh-baseline sshd-47',
    'https://github.com/dev-sec/ssh-baseline/blob/master/controls/sshd_spec.rb',
    'RFC 4253 §4.2',
  ],
  remediation:
    'On Debian and Ubuntu set `DebianBanner no` in sshd_config and restart sshd: the banner then names only the OpenSSH version (which the protocol always sends). ' +
    'Keep the package patched instead of relying on hiding the version.',
  evaluate(facts) {
    const live = liveOrOutcome(facts, 'banner');
    if (isOutcome(live)) return live.status === 'unknown' ? skip(`no live result: ${live.message}`) : live;
    if (live.banner === undefined) return skip(`no banner from ${where(live)}${live.reason ? `: ${live.reason}` : ''}`);
    const m = BANNER_RE.exec(live.banner);
    if (!m)
      return unknown(
        `the banner from ${where(live)} is not an SSH identification line: ${JSON.stringify(live.banner)}`,
      );
    const evidence = debianBannerEvidence(facts);
    const comment = m[3]?.trim();
    if (comment) {
      return fail(`the banner "${live.banner}" reveals the distribution and patch level ("${comment}")`, evidence);
    }
    return pass(`the banner "${live.banner}" names only the software version`, evidence);
  },
};

/** Where DebianBanner is set (sshd -T does not print it, so only the parsed files know). */
function debianBannerEvidence(facts: SshFacts): Evidence[] {
  const parsed = facts.parsed;
  if (!('directives' in parsed)) return [];
  return parsed.directives
    .filter((d) => d.keyword === 'debianbanner')
    .map((d) => ({ file: d.file, line: d.line, text: d.text }));
}

function dedupe(list: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.file ?? ''}:${e.line ?? ''}:${e.text ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const liveChecks: readonly Check<SshFacts>[] = Object.freeze([
  livePasswordOffered,
  liveMatchesConfig,
  versionBanner,
]);
