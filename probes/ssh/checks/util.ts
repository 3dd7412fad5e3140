/** Small helpers shared by the ssh check tables: per-context evaluation of one keyword, with evidence. */
import type { Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown } from '../../../src/sdk.js';
import type { EffectiveConfig, Setting, SshFacts } from '../types.js';

/**
 * The benchmark sections the checks cite, in one spelling (section ids verified in test/helpers/known-references.ts).
 */
export const CIS_DEBIAN_12 = (id: string): string => `CIS Debian Linux 12 Benchmark v1.1.0 ${id}`;
export const CIS_UBUNTU_2204 = (id: string): string => `CIS Ubuntu Linux 22.04 LTS Benchmark v2.0.0 ${id}`;
export const CIS_DIL = (id: string): string => `CIS Distribution Independent Linux Benchmark v2.0.0 ${id}`;

/** Why no effective configuration exists, or undefined when there is one. */
export function noEffectiveReason(facts: SshFacts): string | undefined {
  if (facts.effective.length > 0) return undefined;
  return facts.effectiveUnavailable ?? 'the effective sshd configuration could not be determined';
}

export function first(s: Setting | undefined): string | undefined {
  return s?.values[0];
}

export function dedupeEvidence(list: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of list) {
    const k = `${e.file ?? ''}:${e.line ?? ''}:${e.text ?? ''}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(e);
    }
  }
  return out;
}

/** "set at /etc/ssh/sshd_config:12" or "the default". */
export function origin(s: Setting | undefined): string {
  const e = s?.evidence?.[0];
  if (e?.file) return `set at ${e.file}${e.line !== undefined ? ':' + e.line : ''}`;
  return 'the default';
}

function disagreement(keyword: string, s: Setting | undefined): string {
  return s?.parserValues
    ? ` (note: the file parser computes ${keyword} ${s.parserValues.join(' ') || '(none)'}; sshd -T wins)`
    : '';
}

/** Collapse context labels: "root, bob and an invalid user from 203.0.113.10". */
function who(contexts: readonly EffectiveConfig[]): string {
  return whoLabels(contexts.map((c) => c.context.label));
}

function whoLabels(list: readonly string[]): string {
  const labels = [...new Set(list)];
  if (labels.length <= 4) return labels.join('; ');
  return `${labels.slice(0, 4).join('; ')} and ${labels.length - 4} more`;
}

export interface KeywordRule {
  keyword: string;
  /** Returns a short description of what is wrong with the value, or undefined when it is fine. */
  bad(value: string, s: Setting, cfg: EffectiveConfig): string | undefined;
  /** The message when every context is fine. */
  ok(value: string): string;
  /** Only these contexts matter (PermitRootLogin only for root); default all. */
  applies?(cfg: EffectiveConfig): boolean;
}

/** The first Match line that leaves one of these keywords undecided in this context, if any. */
export function undecidedFor(cfg: EffectiveConfig, keywords: readonly string[]): Evidence | undefined {
  for (const k of keywords) {
    const u = cfg.settings.get(k)?.undecided;
    if (u) return u;
  }
  return undefined;
}

/** Why a Match line's outcome is unknown, named by the line, for an unknown outcome's message. */
export function undecidedMessage(list: readonly { cfg: EffectiveConfig; line: Evidence }[]): string {
  const byLine = new Map<string, { line: Evidence; labels: string[] }>();
  for (const { cfg, line } of list) {
    const k = `${line.file}:${line.line}`;
    const e = byLine.get(k) ?? { line, labels: [] };
    e.labels.push(cfg.context.label);
    byLine.set(k, e);
  }
  return [...byLine.values()]
    .map(({ line, labels }) => {
      const why = /\bhost\b/i.test(line.text ?? '')
        ? "with UseDNS yes sshd matches Match Host against the client's reverse-resolved name, which hostward does not know"
        : 'its outcome depends on what hostward cannot tell (the exact OpenSSH release for Match Version)';
      return `cannot tell whether "${line.text}" (${line.file}:${line.line}) applies to ${whoLabels(labels)}: ${why}`;
    })
    .join('; ');
}

/**
 * Evaluate one keyword in every connection context (user classes x addresses x ports). Fails when any
 * context is bad and names the contexts, so a Match block that re-enables something for some users is
 * caught, not averaged away. A context whose value depends on a Match block hostward cannot decide never
 * counts as fine: without a failure elsewhere the result is unknown, naming the block.
 */
export function perContext(facts: SshFacts, rule: KeywordRule): Outcome {
  const why = noEffectiveReason(facts);
  if (why) return unknown(why);
  const bad: { cfg: EffectiveConfig; problem: string; s: Setting }[] = [];
  const undecided: { cfg: EffectiveConfig; line: Evidence }[] = [];
  let sample: Setting | undefined;
  const contexts = rule.applies ? facts.effective.filter((c) => rule.applies!(c)) : facts.effective;
  for (const cfg of contexts) {
    const s = cfg.settings.get(rule.keyword);
    if (!s || s.values.length === 0)
      return unknown(`${rule.keyword} is not in the effective configuration for ${cfg.context.label}`);
    if (s.undecided) {
      undecided.push({ cfg, line: s.undecided });
      continue;
    }
    sample ??= s;
    const problem = rule.bad(s.values.join(' '), s, cfg);
    if (problem !== undefined) bad.push({ cfg, problem, s });
  }
  if (bad.length === 0 && undecided.length > 0)
    return unknown(`${rule.keyword}: ${undecidedMessage(undecided)}`, dedupeEvidence(undecided.map((u) => u.line)));
  if (bad.length === 0) {
    return pass(
      rule.ok(sample!.values.join(' ')) + ` (${origin(sample)})` + disagreement(rule.keyword, sample),
      sample!.evidence ?? [],
    );
  }
  return fail(failMessage(rule, bad, contexts.length), dedupeEvidence(bad.flatMap((b) => b.s.evidence ?? [])));
}

function failMessage(
  rule: KeywordRule,
  bad: readonly { cfg: EffectiveConfig; problem: string; s: Setting }[],
  total: number,
): string {
  const byProblem = new Map<string, (typeof bad)[number][]>();
  for (const b of bad) byProblem.set(b.problem, [...(byProblem.get(b.problem) ?? []), b]);
  const parts = [...byProblem].map(([problem, list]) => {
    const all = list.length === total;
    return `${problem} ${all ? 'for every user' : 'for ' + who(list.map((l) => l.cfg))} (${origin(list[0]!.s)})${disagreement(rule.keyword, list[0]!.s)}`;
  });
  return parts.join('; ');
}

/** A yes/no keyword that must have one value. */
export function flag(keyword: string, want: 'yes' | 'no', display: string): KeywordRule {
  return {
    keyword,
    bad: (v) => (v.toLowerCase() === want ? undefined : `${display} ${v}`),
    ok: (v) => `${display} ${v}`,
  };
}

/** An integer keyword that must be within [min, max]. */
export function intRange(keyword: string, display: string, min: number, max: number, zeroMeans?: string): KeywordRule {
  return {
    keyword,
    bad: (v) => {
      const n = Number(v);
      if (!Number.isFinite(n)) return `${display} ${v} is not a number`;
      if (n === 0 && zeroMeans && min > 0) return `${display} 0 (${zeroMeans})`;
      if (n < min || n > max) return `${display} ${v} is outside ${min}..${max}`;
      return undefined;
    },
    ok: (v) => `${display} ${v}`,
  };
}

/** Password logins possible in a context: PasswordAuthentication, or keyboard-interactive backed by PAM. */
export function passwordPaths(cfg: EffectiveConfig): string[] {
  const get = (k: string) => first(cfg.settings.get(k))?.toLowerCase();
  const paths: string[] = [];
  if (get('passwordauthentication') === 'yes') paths.push('PasswordAuthentication yes');
  if (get('kbdinteractiveauthentication') === 'yes' && get('usepam') === 'yes')
    paths.push('KbdInteractiveAuthentication yes with UsePAM yes');
  if (paths.length === 0) return paths;
  // AuthenticationMethods can make a password only a second factor after publickey.
  const am = cfg.settings.get('authenticationmethods')?.values.join(' ') ?? 'any';
  if (am !== 'any') {
    const lists = am
      .split(/\s+/)
      .filter(Boolean)
      .map((l) => l.split(','));
    const passwordAlone = lists.some((l) => l.every((m) => m === 'password' || m.startsWith('keyboard-interactive')));
    if (!passwordAlone) return [];
  }
  // Root cannot use a password unless PermitRootLogin yes.
  if (cfg.context.userClass === 'root' && get('permitrootlogin') !== 'yes') return [];
  return paths;
}
