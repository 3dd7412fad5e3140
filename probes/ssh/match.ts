/**
 * sshd's Match evaluation (servconf.c match_cfg_line, match.c, addrmatch.c) over a ConnectionContext.
 */
import type { ConnectionContext, Directive, MatchBlock, MatchCriterion } from './types.js';

/** match.c match_pattern: `*` any run, `?` one character; no escapes. */
export function wildcardMatch(s: string, pattern: string): boolean {
  // Iterative glob match with backtracking on the last `*`: linear enough for config sizes, never exponential.
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === '*') {
      star = pi++;
      mark = si;
    } else if (pc !== undefined && (pc === '?' || pc === s[si])) {
      pi++;
      si++;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * match.c match_pattern_list: 1 when a positive pattern matches and no negated one does, -1 when a negated
 * pattern matches, 0 otherwise. `lower` lower-cases the patterns (Host matching).
 */
export function matchPatternList(s: string, list: string, lower = false): 1 | 0 | -1 {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    let pat = negated ? raw.slice(1) : raw;
    if (pat.length >= 1023) return 0; // sshd's subpattern buffer: too long never matches
    if (lower) pat = pat.toLowerCase();
    if (wildcardMatch(s, pat)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

export interface ParsedAddress {
  family: 4 | 6;
  /** 4 or 16 bytes. */
  bytes: number[];
}

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIPv6(s: string): number[] | undefined {
  const pct = s.indexOf('%');
  const addr = pct >= 0 ? s.slice(0, pct) : s; // scope id does not take part in matching
  if (!/^[0-9a-fA-F:.]+$/.test(addr)) return undefined;
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A numeric IPv4 (dotted quad) or IPv6 address, as getaddrinfo(AI_NUMERICHOST) reads it. */
export function parseAddress(s: string): ParsedAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = s.includes(':') ? parseIPv6(s) : undefined;
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

/** addrmatch.c addr_pton_cidr: -1 not an address (use wildcard match), -2 bad mask. */
function parseCidr(s: string): { addr: ParsedAddress; len: number } | -1 | -2 {
  if (s.length >= 64) return -1;
  const slash = s.indexOf('/');
  let len: number | undefined;
  let a = s;
  if (slash >= 0) {
    const m = s.slice(slash + 1);
    if (!/^\d+$/.test(m) || Number(m) > 128) return -1;
    len = Number(m);
    a = s.slice(0, slash);
  }
  const addr = parseAddress(a);
  if (!addr) return -1;
  const max = addr.family === 4 ? 32 : 128;
  const l = len ?? max;
  if (l > max) return -2;
  if (!hostBitsZero(addr.bytes, l)) return -2;
  return { addr, len: l };
}

function hostBitsZero(bytes: number[], len: number): boolean {
  for (let bit = len; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

function netMatch(a: ParsedAddress, net: ParsedAddress, len: number): boolean {
  if (a.family !== net.family) return false;
  for (let bit = 0; bit < len; bit++) {
    const i = bit >> 3;
    const sh = 7 - (bit & 7);
    if (((a.bytes[i]! >> sh) & 1) !== ((net.bytes[i]! >> sh) & 1)) return false;
  }
  return true;
}

/**
 * addrmatch.c addr_match_list: 1 match, 0 no match, -1 negated match, -2 invalid list (fatal in a Match
 * line). With addr undefined it only validates the list.
 */
export function addrMatchList(addr: string | undefined, list: string): 1 | 0 | -1 | -2 {
  const a = addr === undefined ? undefined : parseAddress(addr);
  if (addr !== undefined && !a) return 0;
  let ret: 1 | 0 = 0;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const cp = neg ? raw.slice(1) : raw;
    if (cp === '') return -2;
    const cidr = parseCidr(cp);
    if (cidr === -2) return -2;
    const hit = addr === undefined ? false : cidr === -1 ? wildcardMatch(addr, cp) : netMatch(a!, cidr.addr, cidr.len);
    if (hit) {
      if (neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

/** The OpenSSH version a configuration is judged for; without one, the newest behaviour. */
export type MatchVersion = { major: number; minor: number } | undefined;

const atLeast = (v: MatchVersion, major: number, minor: number): boolean =>
  v === undefined || v.major > major || (v.major === major && v.minor >= minor);

/**
 * Criteria sshd's match_cfg_line knows, and from which release (servconf.c per tag): Invalid-User from 9.9,
 * Version from 10.0; the rest are older than any version hostward supports.
 */
export function criterionKnown(kind: string, v: MatchVersion): boolean {
  if (kind === 'invalid-user') return atLeast(v, 9, 9);
  if (kind === 'version') return atLeast(v, 10, 0);
  return ['all', 'user', 'group', 'host', 'address', 'localaddress', 'localport', 'rdomain'].includes(kind);
}

/** Criteria that take no argument (All always; Invalid-User where sshd knows it). */
export function takesNoArgument(kind: string, v: MatchVersion): boolean {
  return kind === 'all' || (kind === 'invalid-user' && criterionKnown(kind, v));
}

/** Why a Match line would be rejected by sshd ("Bad Match condition"), or undefined when it is valid. */
export function validateCriteria(criteria: readonly MatchCriterion[], v?: MatchVersion): string | undefined {
  if (criteria.length === 0) return 'One or more attributes required for Match';
  for (const c of criteria) {
    const why = criterionProblem(c, criteria.length, v);
    if (why) return why;
  }
  return undefined;
}

function criterionProblem(c: MatchCriterion, count: number, v: MatchVersion): string | undefined {
  if (c.kind === 'all') return count > 1 ? "'all' cannot be combined with other Match attributes" : undefined;
  if (takesNoArgument(c.kind, v)) return undefined;
  if (c.patterns === '') return `Missing Match criteria for ${c.kind}`;
  if (!criterionKnown(c.kind, v)) return `Unsupported Match attribute ${c.kind}`;
  if ((c.kind === 'address' || c.kind === 'localaddress') && addrMatchList(undefined, c.patterns) !== 0) {
    return `Invalid Match ${c.kind} argument '${c.patterns}'`;
  }
  if (c.kind === 'localport' && parsePort(c.patterns) === undefined)
    return `Invalid LocalPort '${c.patterns}' on Match line`;
  return undefined;
}

/** misc.c a2port: 1..65535, decimal only. */
export function parsePort(s: string): number | undefined {
  if (!/^\s*\+?\d+$/.test(s)) return undefined;
  const n = Number(s.trim());
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** A Match outcome: the connection matches, does not, or cannot be told from what the probe knows. */
export type MatchOutcome = true | false | 'unknown';

/**
 * One criterion against a context; a missing field (empty string, port 0, no rdomain) never matches, as with
 * `sshd -T -C`. Host under UseDNS yes without a known reverse name is 'unknown' unless the patterns match
 * every name alike.
 */
export function criterionOutcome(c: MatchCriterion, ctx: ConnectionContext, release?: string): MatchOutcome {
  switch (c.kind) {
    case 'all':
      return true;
    case 'user':
      return ctx.user !== '' && matchPatternList(ctx.user, c.patterns) === 1;
    case 'group':
      return groupMatches(c.patterns, ctx);
    case 'host':
      return ctx.hostUnresolved
        ? unresolvedHost(c.patterns)
        : ctx.host !== '' && matchPatternList(ctx.host.toLowerCase(), c.patterns, true) === 1;
    case 'address':
      return ctx.addr !== '' && addrMatchList(ctx.addr, c.patterns) === 1;
    case 'localaddress':
      return ctx.laddr !== '' && addrMatchList(ctx.laddr, c.patterns) === 1;
    case 'localport':
      return ctx.lport > 0 && parsePort(c.patterns) === ctx.lport;
    case 'rdomain':
      // match_pattern_list without lower-casing; on Linux a socket bound to no VRF device reports ''.
      return ctx.rdomain !== undefined && matchPatternList(ctx.rdomain, c.patterns) === 1;
    case 'invalid-user':
      return ctx.userClass === 'invalid';
    case 'version':
      return versionOutcome(c.patterns, release);
    default:
      return false; // unknown criteria are rejected by the parser
  }
}

/** Whether patterns match a name nobody knows: only when a bare `*` is listed and nothing is negated. */
function unresolvedHost(patterns: string): MatchOutcome {
  const list = patterns.split(',');
  return list.includes('*') && !list.some((p) => p.startsWith('!')) ? true : 'unknown';
}

/**
 * Match Version tests sshd's SSH_RELEASE ("OpenSSH_10.0p2", case-sensitive). When only major.minor is known
 * ("OpenSSH_10.0" without the portable level) every plausible level is tried; disagreement is 'unknown'.
 */
export function versionOutcome(patterns: string, release: string | undefined): MatchOutcome {
  if (release === undefined) return 'unknown';
  const candidates = /p\d+$/.test(release) ? [release] : [1, 2, 3, 4].map((p) => `${release}p${p}`);
  const hits = new Set(candidates.map((r) => matchPatternList(r, patterns) === 1));
  return hits.size === 1 ? [...hits][0]! : 'unknown';
}

/** Boolean form for callers that treat 'unknown' as no match. */
export function criterionMatches(c: MatchCriterion, ctx: ConnectionContext, release?: string): boolean {
  return criterionOutcome(c, ctx, release) === true;
}

/** groupaccess.c ga_match_pattern_list: any group matches positively and none is negated. Invalid users never match. */
function groupMatches(patterns: string, ctx: ConnectionContext): boolean {
  if (ctx.user === '' || ctx.userClass === 'invalid') return false;
  let found = false;
  for (const g of ctx.groups) {
    const r = matchPatternList(g, patterns);
    if (r === -1) return false;
    if (r === 1) found = true;
  }
  return found;
}

/** Criteria on one line are ANDed: any false is false, else any unknown is unknown. */
export function criteriaOutcome(
  criteria: readonly MatchCriterion[],
  ctx: ConnectionContext,
  release?: string,
): MatchOutcome {
  if (criteria.length === 0) return false;
  let out: MatchOutcome = true;
  for (const c of criteria) {
    const r = criterionOutcome(c, ctx, release);
    if (r === false) return false;
    if (r === 'unknown') out = 'unknown';
  }
  return out;
}

export function criteriaMatch(criteria: readonly MatchCriterion[], ctx: ConnectionContext, release?: string): boolean {
  return criteriaOutcome(criteria, ctx, release) === true;
}

/** Whether a block applies to the context. */
export function matchBlockApplies(block: MatchBlock, ctx: ConnectionContext, release?: string): boolean {
  return criteriaMatch(block.criteria, ctx, release);
}

/**
 * Whether sshd treats the block as active while loading the configuration without a connection (its first
 * pass): `Match all`, and from 10.0 a block of Version criteria that match this sshd (match_cfg_line evaluates
 * Version even without connection information). A Version outcome hostward cannot tell counts as inactive.
 */
export function activeWithoutConnection(block: MatchBlock, release?: string): boolean {
  const c = block.criteria;
  return (
    c.length > 0 &&
    c.every((x) => x.kind === 'all' || (x.kind === 'version' && versionOutcome(x.patterns, release) === true))
  );
}

/** SSH_RELEASE for a version ("OpenSSH_9.2p1"), with the portable level only when the version string has it. */
export function releaseString(v: { major: number; minor: number; raw?: string }): string {
  const p = v.raw ? /\d+\.\d+(p\d+)/.exec(v.raw)?.[1] : undefined;
  return `OpenSSH_${v.major}.${v.minor}${p ?? ''}`;
}

/** Each Match block of the directives, evaluated once for the context. */
export function blockOutcomes(
  ds: readonly Directive[],
  ctx: ConnectionContext,
  release?: string,
): Map<MatchBlock, MatchOutcome> {
  const out = new Map<MatchBlock, MatchOutcome>();
  for (const d of ds)
    if (d.match && !out.has(d.match)) out.set(d.match, criteriaOutcome(d.match.criteria, ctx, release));
  return out;
}
