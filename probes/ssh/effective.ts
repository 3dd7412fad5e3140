/**
 * Effective sshd settings for one connection, computed from the parsed files the way sshd does it:
 * pass 1 loads the global section (and `Match all` blocks) with first-value-wins; pass 2 re-reads only the
 * Match blocks that match the connection into a fresh set of options and copies every option it set over
 * pass 1 (servconf.c parse_server_match_config + copy_set_server_options). Values are formatted the way
 * `sshd -T` prints them so that the two can be compared value for value.
 */
import type { Evidence } from '../../src/sdk.js';
import type { ConnectionContext, Directive, ParsedConfig, Setting } from './types.js';
import {
  ENUMS,
  KEYWORDS,
  PERMIT_TUNNEL_VALUES,
  SUPPORTED_ALGORITHMS,
  defaultFor,
  prohibitPasswordSpelling,
  type AlgorithmClass,
  type KeywordInfo,
  type OpenSshVersionNumber,
} from './keywords.js';
import {
  activeWithoutConnection,
  addrMatchList,
  blockOutcomes,
  parsePort,
  releaseString,
  wildcardMatch,
  matchPatternList,
} from './match.js';

const INT_MAX = 2147483647;

type Norm = { ok: true; values: string[] } | { ok: false; message: string };
const ok = (values: string[]): Norm => ({ ok: true, values });
const bad = (message: string): Norm => ({ ok: false, message });

/** misc.c convtime: 90, 2m, 1h30m, 1W; -1 for invalid. */
export function convtime(s: string): number {
  if (s === '') return -1;
  let total = 0;
  let rest = s;
  while (rest.length > 0) {
    const m = /^[ \t\n\r\f\v]*([+-]?\d+)([sSmMhHdDwW]?)/.exec(rest);
    if (!m) return -1;
    const secs = Number(m[1]);
    if (secs < 0 || secs >= INT_MAX) return -1;
    const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]!.toLowerCase()] ?? 1;
    if (secs > Math.floor(INT_MAX / mult)) return -1;
    total += secs * mult;
    if (total > INT_MAX) return -1;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** strtonum(0, INT_MAX) as atoi_err uses it. */
export function parseIntArg(s: string): number | undefined {
  if (!/^[ \t\n\r\f\v]*[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s.trim());
  return n >= 0 && n <= INT_MAX ? n : undefined;
}

function expandPath(p: string): string {
  if (p.toLowerCase() === 'none') return 'none';
  const t = p === '~' ? '/root' : p.startsWith('~/') ? '/root/' + p.slice(2) : p;
  // sshd makes a relative path absolute from its working directory, which for the daemon is /.
  return t.startsWith('/') ? t : '/' + t;
}

/** Words in a comma list that are not names this build knows (wildcards allowed for key algorithms). */
function invalidAlgorithms(list: string, cls: AlgorithmClass): string[] {
  const all = SUPPORTED_ALGORITHMS[cls];
  const wild = cls === 'key' || cls === 'sig';
  return list.split(',').filter((n) => {
    if (n === '') return true;
    if (all.includes(n)) return false;
    return !(wild && /[*?]/.test(n) && all.some((a) => wildcardMatch(a, n)));
  });
}

/** kex.c kex_assemble_names: resolve +list, -list, ^list or an explicit list against the defaults. */
export function resolveAlgorithms(raw: string, cls: AlgorithmClass, defaults: string): string | undefined {
  const all = SUPPORTED_ALGORITHMS[cls];
  const def = defaults.split(',').filter((d) => d !== '');
  if (raw === '') return defaults;
  if (raw.startsWith('-')) return def.filter((d) => matchPatternList(d, raw.slice(1)) !== 1).join(',');
  let list: string[];
  if (raw.startsWith('+')) list = namesCat(def, raw.slice(1).split(','));
  else if (raw.startsWith('^')) list = namesCat(raw.slice(1).split(','), def);
  else list = raw.split(',');
  let out: string[] = [];
  for (const pat of list) {
    if (pat.startsWith('!')) return undefined;
    out = namesCat(
      out,
      all.filter((a) => matchPatternList(a, pat) === 1),
    );
  }
  return out.length > 0 ? out.join(',') : undefined;
}

/** kex.c kex_names_cat: append names not already present. */
function namesCat(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  for (const n of b) if (n !== '' && !out.includes(n)) out.push(n);
  return out;
}

function normaliseAlgorithms(info: KeywordInfo, arg: string): Norm {
  const cls = info.algorithms!;
  if (arg.startsWith('-')) return ok([arg]);
  const body = arg.startsWith('+') || arg.startsWith('^') ? arg.slice(1) : arg;
  const wrong = invalidAlgorithms(body, cls);
  return wrong.length === 0 ? ok([arg]) : bad(`Bad ${info.name} spec '${arg}'`);
}

function normaliseMaxStartups(arg: string): Norm {
  // sscanf("%d:%d:%d"): returns the fields read; one field keeps the previous rate (see effective()).
  const m = /^\s*([+-]?\d+)(?::\s*([+-]?\d+)(?::\s*([+-]?\d+))?)?/.exec(arg);
  if (!m) return bad('Invalid MaxStartups spec.');
  const [begin, rate, full] = [m[1], m[2], m[3]].map((x) => (x === undefined ? undefined : Number(x)));
  if (rate !== undefined && full === undefined) return bad('Invalid MaxStartups spec.');
  if (full !== undefined && (begin! > full || rate! > 100 || rate! < 1)) return bad('Invalid MaxStartups spec.');
  const max = full ?? begin!;
  if (max <= 0 || begin! <= 0) return bad('Invalid MaxStartups spec.');
  return ok(full === undefined ? [String(begin)] : [`${begin}:${rate}:${full}`]);
}

function normaliseAuthMethods(args: string[]): Norm {
  if (args.includes('any'))
    return args.length === 1 ? ok(['any']) : bad('"any" must appear alone in AuthenticationMethods');
  const method = /^(publickey|password|hostbased|gssapi-with-mic|none|keyboard-interactive(:[^,]+)?)$/;
  for (const list of args) {
    if (list === '' || !list.split(',').every((m) => method.test(m)))
      return bad('invalid AuthenticationMethods method list.');
  }
  return ok([args.join(' ')]);
}

function normaliseUserPatterns(keyword: string, args: string[]): Norm {
  for (const a of args) {
    if (a === '') return bad(`empty ${keyword} pattern`);
    const at = a.indexOf('@');
    if (keyword.endsWith('users') && at >= 0 && addrMatchList(undefined, a.slice(at + 1)) === -2) {
      return bad(`invalid ${keyword} pattern: "${a}"`);
    }
  }
  return ok(args);
}

/** The raw rest of the line after the keyword (ForceCommand and friends keep it verbatim). */
export function restOfLine(text: string): string {
  const m = /^[^\s="]*(?:\s*=\s*|\s+)/.exec(text);
  return m ? text.slice(m[0].length) : '';
}

function normaliseSpecial(kw: string, args: string[], text: string): Norm {
  const a0 = args[0] ?? '';
  switch (kw) {
    case 'port': {
      const p = parsePort(a0);
      return p === undefined ? bad('Badly formatted port number.') : ok([String(p)]);
    }
    case 'listenaddress':
      return ok([args.join(' ')]);
    case 'maxstartups':
      return normaliseMaxStartups(a0);
    case 'permituserenvironment':
      return ok([a0]);
    case 'pubkeyauthoptions': {
      const set = new Set<string>();
      for (const a of args) {
        const l = a.toLowerCase();
        if (l === 'none') continue;
        if (l !== 'touch-required' && l !== 'verify-required') return bad(`unsupported PubkeyAuthOptions option ${a}`);
        set.add(l);
      }
      const out = ['touch-required', 'verify-required'].filter((x) => set.has(x));
      return ok([out.length ? out.join(' ') : 'none']);
    }
    case 'subsystem':
      return args.length < 2 ? bad('Missing subsystem command.') : ok([args.join(' ')]);
    case 'forcecommand':
    case 'authorizedkeyscommand':
    case 'authorizedprincipalscommand':
    case 'versionaddendum': {
      const raw = restOfLine(text).trim();
      return ok([raw.toLowerCase() === 'none' ? 'none' : raw]);
    }
    case 'unusedconnectiontimeout': {
      if (a0.toLowerCase() === 'none') return ok(['none']);
      const t = convtime(a0);
      return t < 0 ? bad('invalid time value.') : ok([t === 0 ? 'none' : String(t)]);
    }
    case 'streamlocalbindmask': {
      if (!/^[0-7]+/.test(a0)) return bad('Invalid StreamLocalBindMask.');
      const v = parseInt(a0, 8);
      return v > 0o777 ? bad('Invalid StreamLocalBindMask.') : ok(['0' + v.toString(8)]);
    }
    case 'ipqos':
      return ok([`${a0.toLowerCase()} ${(args[1] ?? a0).toLowerCase()}`]);
    case 'rekeylimit':
      return normaliseRekeyLimit(args);
    case 'persourcemaxstartups':
      return a0 === 'none'
        ? ok(['none'])
        : parseIntArg(a0) === undefined
          ? bad('PerSourceMaxStartups integer value invalid.')
          : ok([String(parseIntArg(a0))]);
    case 'persourcenetblocksize':
      return ok([a0]);
    default:
      return ok(args);
  }
}

/** misc.c scan_scaled: a number with an optional K/M/G/T (powers of 1024) suffix. */
function scanScaled(s: string): number | undefined {
  const m = /^(\d+)([KMGTPE]?)B?$/i.exec(s);
  if (!m) return undefined;
  const power = m[2] === '' ? 0 : 'KMGTPE'.indexOf(m[2]!.toUpperCase()) + 1;
  return Number(m[1]) * 1024 ** power;
}

function normaliseRekeyLimit(args: string[]): Norm {
  const a0 = args[0] ?? '';
  const limit = a0 === 'default' ? 0 : scanScaled(a0);
  if (limit === undefined || (limit !== 0 && limit < 16)) return bad(`Bad RekeyLimit number '${a0}'`);
  const a1 = args[1];
  const interval = a1 === undefined || a1 === 'none' ? 0 : convtime(a1);
  if (interval < 0) return bad('invalid time value.');
  return ok([`${limit} ${interval}`]);
}

/** Arguments sshd reads as exactly one word; more is "extra arguments at end of line". */
const SINGLE: ReadonlySet<string> = new Set(['flag', 'int', 'time', 'enum', 'path', 'string', 'algorithms']);

/**
 * Check one directive's arguments and format them as `sshd -T` prints them (one entry per printed value).
 * MaxStartups with one number is returned as that number (its rate depends on earlier lines).
 */
export function normaliseDirective(
  keyword: string,
  args: readonly string[],
  text: string,
  version: OpenSshVersionNumber,
): Norm {
  const info = KEYWORDS.get(keyword);
  if (!info) return bad(`Bad configuration option: ${keyword}`);
  if (info.status !== 'ok') return ok([...args]);
  const a0 = args[0] ?? '';
  if (args.length === 0 || (a0 === '' && info.kind !== 'list')) return bad(`${keyword} missing argument.`);
  if (SINGLE.has(info.kind) && args.length > 1 && keyword !== 'permitrootlogin') {
    return bad(`keyword ${keyword} extra arguments at end of line`);
  }
  switch (info.kind) {
    case 'flag': {
      const v = a0.toLowerCase();
      return v === 'yes' || v === 'no' ? ok([v]) : bad(`unsupported option "${a0}".`);
    }
    case 'enum':
      return normaliseEnum(keyword, a0, version);
    case 'int': {
      const n = parseIntArg(a0);
      return n === undefined ? bad(`${keyword} integer value invalid.`) : ok([String(n)]);
    }
    case 'time': {
      const t = convtime(a0);
      return t < 0 ? bad('invalid time value.') : ok([String(t)]);
    }
    case 'path':
      return ok([expandPath(a0)]);
    case 'string':
      if (keyword === 'rdomain') return bad('setting RDomain not supported on this platform.');
      return ok([a0]);
    case 'algorithms':
      return normaliseAlgorithms(info, a0);
    case 'list':
      return normaliseList(keyword, [...args]);
    case 'special':
      return normaliseSpecial(keyword, [...args], text);
  }
}

function normaliseEnum(keyword: string, a0: string, version: OpenSshVersionNumber): Norm {
  if (keyword === 'permittunnel')
    return PERMIT_TUNNEL_VALUES.includes(a0) ? ok([a0]) : bad(`bad PermitTunnel argument ${a0}`);
  const v = ENUMS[keyword]?.[a0.toLowerCase()];
  if (v === undefined) return bad(`unsupported option "${a0}".`);
  return ok([keyword === 'permitrootlogin' && v === 'without-password' ? prohibitPasswordSpelling(version) : v]);
}

function normaliseList(keyword: string, args: string[]): Norm {
  switch (keyword) {
    case 'allowusers':
    case 'denyusers':
    case 'allowgroups':
    case 'denygroups':
      return normaliseUserPatterns(keyword, args);
    case 'acceptenv':
      return args.some((a) => a === '' || a.includes('=')) ? bad('Invalid environment name.') : ok(args);
    case 'setenv':
      return args.some((a) => !a.includes('=')) ? bad('Invalid environment.') : ok(args);
    case 'authenticationmethods':
      return normaliseAuthMethods(args);
    case 'authorizedkeysfile':
      return ok([args.map((a) => (a.startsWith('~/') ? '/root/' + a.slice(2) : a)).join(' ')]);
    case 'permitlisten':
      return ok([args.map((a) => (a === 'any' || a === 'none' || a.includes(':') ? a : '*:' + a)).join(' ')]);
    default:
      return ok([args.join(' ')]);
  }
}

interface Candidate {
  d: Directive;
  values: string[];
}

function evidenceOf(ds: readonly Directive[]): Evidence[] {
  return ds.map((d) => ({ file: d.file, line: d.line, text: d.text }));
}

function candidates(ds: readonly Directive[], version: OpenSshVersionNumber): Candidate[] {
  const out: Candidate[] = [];
  for (const d of ds) {
    const n = normaliseDirective(d.keyword, d.args, d.text, version);
    if (n.ok) out.push({ d, values: n.values });
  }
  return out;
}

/** Combine the lines of one pass for one keyword; undefined when the pass did not set it. */
function combine(info: KeywordInfo, cs: readonly Candidate[]): { values: string[]; from: Directive[] } | undefined {
  if (cs.length === 0) return undefined;
  switch (info.combine) {
    case 'first':
    case 'firstLine':
      return firstOf(info, cs);
    case 'last': {
      if (info.name === 'maxstartups') return foldMaxStartups(cs);
      const c = cs[cs.length - 1]!;
      return { values: c.values, from: [c.d] };
    }
    case 'accumulate':
      return accumulate(info, cs);
  }
}

function firstOf(info: KeywordInfo, cs: readonly Candidate[]): { values: string[]; from: Directive[] } {
  const c = cs[0]!;
  if (info.name !== 'setenv') return { values: c.values, from: [c.d] };
  // SetEnv keeps the first definition of each name within its first line.
  const seen = new Set<string>();
  const values = c.values.filter((v) => {
    const name = v.slice(0, v.indexOf('='));
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
  return { values, from: [c.d] };
}

function accumulate(info: KeywordInfo, cs: readonly Candidate[]): { values: string[]; from: Directive[] } {
  const values: string[] = [];
  const from: Directive[] = [];
  for (const c of cs) {
    if (info.name === 'subsystem' && values.some((v) => v.split(' ')[0] === c.values[0]?.split(' ')[0])) continue;
    values.push(...c.values);
    from.push(c.d);
  }
  return { values, from };
}

/** MaxStartups: every line overwrites; a single number keeps the earlier rate and sets begin = full. */
function foldMaxStartups(cs: readonly Candidate[]): { values: string[]; from: Directive[] } {
  let rate = 30;
  let v = '';
  for (const c of cs) {
    const s = c.values[0]!;
    if (s.includes(':')) {
      v = s;
      rate = Number(s.split(':')[1]);
    } else v = `${s}:${rate}:${s}`;
  }
  return { values: [v], from: cs.map((c) => c.d) };
}

function resolveIfAlgorithms(info: KeywordInfo, values: string[], version: OpenSshVersionNumber): string[] {
  if (info.kind !== 'algorithms' || !info.algorithms) return values;
  const def = defaultFor(info.name, version)?.[0] ?? '';
  const r = resolveAlgorithms(values[0] ?? '', info.algorithms, def);
  return [r ?? ''];
}

function listenAddresses(pass1: readonly Directive[], ports: readonly string[], family: string): string[] {
  const lines = pass1.filter((d) => d.keyword === 'listenaddress');
  const fmt = (host: string, port: string): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  if (lines.length === 0) {
    const hosts = family === 'inet' ? ['0.0.0.0'] : family === 'inet6' ? ['::'] : ['::', '0.0.0.0'];
    return ports.flatMap((p) => hosts.map((h) => fmt(h, p)));
  }
  const out: string[] = [];
  for (const d of lines) {
    const a = d.args[0] ?? '';
    const rd = d.args[1] === 'rdomain' && d.args[2] ? ` rdomain ${d.args[2]}` : '';
    const bareV6 = !a.includes('[') && (a.match(/:/g)?.length ?? 0) >= 2;
    const m = bareV6 ? null : /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(a);
    const host = bareV6 ? a : (m?.[1] ?? a);
    const port = m?.[2];
    for (const p of port ? [String(Number(port))] : ports) out.push(fmt(host, p) + rd);
  }
  return out;
}

function setting(values: string[], from: Directive[] | undefined): Setting {
  return from && from.length > 0
    ? { values, evidence: evidenceOf(from), source: 'file' }
    : { values, source: 'default' };
}

/**
 * The first Match line whose outcome is unknown for this context and that would decide the keyword if it
 * matched: for first-value keywords one that comes before every matching line, for the others any.
 */
function undecidedBy(
  info: KeywordInfo,
  pass2: readonly Directive[],
  unknownBlocks: ReadonlySet<unknown>,
  version: OpenSshVersionNumber,
): Evidence | undefined {
  const cs = candidates(
    pass2.filter((d) => d.keyword === info.name),
    version,
  );
  const firstWins = info.combine === 'first' || info.combine === 'firstLine';
  for (const c of cs) {
    if (unknownBlocks.has(c.d.match)) return { file: c.d.match!.file, line: c.d.match!.line, text: c.d.match!.text };
    if (firstWins) return undefined;
  }
  return undefined;
}

/**
 * Effective settings for one connection: keyword -> values as `sshd -T -C` would print them. Keywords sshd
 * does not print (deprecated, Include, Match) are left out; DebianBanner, ChannelTimeout and LogVerbose are
 * included although -T does not print them. A Match block whose outcome is unknown (Host under UseDNS yes
 * without a known name) counts as not matching, and the keywords it could decide carry `undecided`.
 */
export function effectiveSettings(
  parsed: ParsedConfig,
  ctx: ConnectionContext,
  version: OpenSshVersionNumber & { raw?: string },
): Map<string, Setting> {
  const release = releaseString(version);
  const pass1 = parsed.directives.filter((d) => d.match === null || activeWithoutConnection(d.match, release));
  const outcomes = blockOutcomes(parsed.directives, ctx, release);
  const pass2 = parsed.directives.filter((d) => d.match !== null && outcomes.get(d.match) === true);
  const maybe = parsed.directives.filter((d) => d.match !== null && outcomes.get(d.match) !== false);
  const unknownBlocks = new Set([...outcomes].filter(([, o]) => o === 'unknown').map(([b]) => b));
  const names = new Set<string>([...Object.keys(defaultsKeys(version)), ...parsed.directives.map((d) => d.keyword)]);
  const out = new Map<string, Setting>();
  for (const name of names) {
    const info = KEYWORDS.get(name);
    if (!info || info.status !== 'ok' || name === 'match' || name === 'include' || name === 'listenaddress') continue;
    const s = keywordSetting(info, pass1, pass2, version);
    if (!s) continue;
    const u = info.inMatch && unknownBlocks.size > 0 ? undecidedBy(info, maybe, unknownBlocks, version) : undefined;
    out.set(name, u ? { ...s, undecided: u } : s);
  }
  const ports = out.get('port')?.values ?? ['22'];
  const family = out.get('addressfamily')?.values[0] ?? 'any';
  const la = pass1.filter((d) => d.keyword === 'listenaddress');
  out.set('listenaddress', setting(listenAddresses(pass1, ports, family), la));
  return out;
}

/** One keyword: the matching blocks' value over the global one, else the default. */
function keywordSetting(
  info: KeywordInfo,
  pass1: readonly Directive[],
  pass2: readonly Directive[],
  version: OpenSshVersionNumber,
): Setting | undefined {
  const name = info.name;
  const g = combine(
    info,
    candidates(
      pass1.filter((d) => d.keyword === name),
      version,
    ),
  );
  const m = info.inMatch
    ? combine(
        info,
        candidates(
          pass2.filter((d) => d.keyword === name),
          version,
        ),
      )
    : undefined;
  const won = m ?? g;
  if (won) return setting(resolveIfAlgorithms(info, won.values, version), won.from);
  const def = defaultFor(name, version);
  return def ? setting(resolveIfAlgorithms(info, [...def], version), undefined) : undefined;
}

function defaultsKeys(version: OpenSshVersionNumber): Record<string, true> {
  const o: Record<string, true> = {};
  for (const k of KEYWORDS.keys()) if (defaultFor(k, version) !== undefined) o[k] = true;
  return o;
}
