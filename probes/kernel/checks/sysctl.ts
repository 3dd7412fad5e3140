/**
 * Checks generated from the sysctl table: one check per row, evaluated by one generic function over the
 * readings. A value that meets the expectation passes, one that does not fails with the row's reason; a
 * file that cannot be read or parsed is `unknown`, a missing one is what the row's `absent` says (never fail).
 * A value that passes in force is then held to what the next boot applies from sysctl.d (persistence.ts).
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown } from '../../../src/sdk.js';
import { describe, satisfies, suggested } from '../expectation.js';
import { ABSENT, REASONS, SYSCTL_RULES, sysctlPath } from '../sysctls.js';
import type { SysctlRule } from '../sysctls.js';
import type { KernelFacts, SysctlReading } from '../types.js';
import { judgePersistence } from './persistence.js';

const MAX_NAMES = 8;
const MAX_EVIDENCE = 20;

const list = (names: readonly string[]) =>
  names.length <= MAX_NAMES
    ? names.join(', ')
    : `${names.slice(0, MAX_NAMES).join(', ')} and ${names.length - MAX_NAMES} more`;
const ev = (r: SysctlReading): Evidence => ({ file: r.path, text: r.state === 'ok' ? String(r.value) : r.reason });

export function remediation(rule: SysctlRule): string {
  const v = suggested(rule.expect);
  const server =
    typeof rule.onServer === 'object'
      ? ` on a Kubernetes node (${suggested(rule.onServer.expect)} on any other host)`
      : '';
  let s = `Set ${rule.keys.map((k) => `${k} = ${v}`).join(' and ')}${server} in a file under /etc/sysctl.d/ (e.g. 60-hardening.conf) and apply it with "sysctl --system"; the value must be in force and persisted, and no later file (in name order across /etc, /run, /usr/local/lib and /usr/lib sysctl.d) may set it otherwise.`;
  if (rule.effective === 'max_with_all') {
    const leaf = rule.keys[0]!.split('.').pop()!;
    s += ` The value in force on an interface is the larger of net.ipv4.conf.all.${leaf} and net.ipv4.conf.<interface>.${leaf}, so no interface may be set higher either.`;
  }
  return rule.advice ? `${s} ${rule.advice}` : s;
}

function expectedText(rule: SysctlRule, facts: KernelFacts): { exp: SysctlRule['expect']; text: string } {
  const over = facts.options.expect.get(rule.id);
  const exp = over ?? rule.expect;
  const why = over
    ? ', set in probes.kernel.expect'
    : typeof rule.onServer === 'object'
      ? ` for a ${facts.role.role === 'node' ? 'Kubernetes node' : 'host that is not a Kubernetes node'}: ${facts.role.why}`
      : '';
  return { exp, text: `expected ${describe(exp)}${why}` };
}

/** The row as it applies to this host: a plain server gets the row's onServer expectation and reason. */
function forHost(rule: SysctlRule, facts: KernelFacts): SysctlRule {
  if (facts.role.role !== 'server' || typeof rule.onServer !== 'object') return rule;
  return { ...rule, expect: rule.onServer.expect, reason: rule.onServer.reason };
}

/** What the failing values mean, as sentences after the reason. */
function notes(rule: SysctlRule, values: Iterable<number>): string {
  const out = [...new Set(values)].flatMap((v) => (rule.valueNotes?.[v] ? [`${v} means ${rule.valueNotes[v]}.`] : []));
  return out.length ? ` ${out.join(' ')}` : '';
}

function absent(rule: SysctlRule, missing: readonly SysctlReading[]): Outcome {
  const a = ABSENT[rule.absent];
  const paths = missing.map((r) => r.path);
  return {
    status: a.status,
    message: `${list(paths)} ${paths.length > 1 ? 'do' : 'does'} not exist: ${a.why}`,
    evidence: [],
  };
}

function reading(facts: KernelFacts, name: string): SysctlReading {
  return facts.sysctls.get(name) ?? { state: 'bad', name, path: sysctlPath(name), reason: 'not read' };
}

/** Rows whose keys must each meet the expectation. */
function evaluateKeys(rule: SysctlRule, facts: KernelFacts): Outcome {
  const { exp, text } = expectedText(rule, facts);
  const readings = rule.keys.map((k) => reading(facts, k));
  const evidence = readings.filter((r) => r.state !== 'missing').map(ev);
  const failing = readings.filter(
    (r): r is Extract<SysctlReading, { state: 'ok' }> => r.state === 'ok' && !satisfies(exp, r.value),
  );
  const bad = readings.filter((r) => r.state === 'bad');
  const missing = readings.filter((r) => r.state === 'missing');
  if (failing.length > 0) {
    const also = [...bad, ...missing].map((r) => `${r.path}: ${r.reason}`);
    return fail(
      `${failing.map((r) => `${r.name} = ${r.value}`).join(', ')}, ${text}: ${REASONS[rule.reason]}${also.length ? ` (also: ${also.join('; ')})` : ''}.${notes(
        rule,
        failing.map((r) => r.value),
      )}`,
      evidence,
    );
  }
  if (bad.length > 0) return unknown(bad.map((r) => `${r.path}: ${r.reason}`).join('; '), evidence);
  if (missing.length === readings.length) return absent(rule, missing);
  if (missing.length > 0)
    return unknown(
      `${list(missing.map((r) => r.path))} missing although ${list(readings.filter((r) => r.state === 'ok').map((r) => r.name))} exist${readings.length - missing.length > 1 ? '' : 's'}`,
      evidence,
    );
  return pass(`${readings.map((r) => `${r.name} = ${(r as { value: number }).value}`).join(', ')} (${text})`, evidence);
}

/**
 * Rows whose value in force on an interface is max(conf.all, conf.<iface>) (rp_filter). Every interface is
 * evaluated, and conf.default for interfaces created later (pod veths). lo is left out: packets sent to a
 * local address arrive on it with their route attached, so no reverse path check looks at it.
 */
function evaluateMaxWithAll(rule: SysctlRule, facts: KernelFacts): Outcome {
  const { exp, text } = expectedText(rule, facts);
  const [allKey, defaultKey] = rule.keys as [string, string];
  const leaf = allKey.split('.').pop()!;
  const all = reading(facts, allKey);
  const def = reading(facts, defaultKey);
  if (all.state === 'missing') return absent(rule, [all]);
  if (all.state === 'bad') return unknown(`${all.path}: ${all.reason}`, [ev(all)]);
  const ifs = facts.perInterface.get(leaf);
  const units: { label: string; own: SysctlReading }[] = [];
  if (def.state !== 'missing') units.push({ label: 'new interfaces (default)', own: def });
  for (const [name, r] of ifs?.interfaces ?? [])
    if (name !== 'lo' && r.state !== 'missing') units.push({ label: name, own: r });
  if (units.length === 0) units.push({ label: 'every interface (conf.all)', own: all });

  const inForce = new Map<number, string[]>();
  const bad: string[] = [];
  const failingEvidence: Evidence[] = [];
  /** Failing units whose own value is lower than conf.all's: conf.all is what fails there. */
  const raised: string[] = [];
  for (const u of units) {
    if (u.own.state !== 'ok') {
      bad.push(`${u.own.path}: ${u.own.state === 'bad' ? u.own.reason : 'missing'}`);
      continue;
    }
    const v = Math.max(all.value, u.own.value);
    inForce.set(v, [...(inForce.get(v) ?? []), u.label]);
    if (satisfies(exp, v)) continue;
    if (u.own.value < all.value) raised.push(u.label);
    if (failingEvidence.length < MAX_EVIDENCE) failingEvidence.push(ev(u.own));
  }
  const evidence = [
    ev(all),
    ...(def.state === 'ok' ? [ev(def)] : []),
    ...failingEvidence.filter((e) => e.file !== def.path),
  ];
  const caveats: string[] = [];
  if (ifs?.problem)
    caveats.push(`interfaces not listed (${ifs.problem}), so only conf.all and conf.default were evaluated`);
  if (ifs && ifs.notRead > 0) caveats.push(`${ifs.notRead} more interfaces not read`);
  const caveat = caveats.length ? ` (${caveats.join('; ')})` : '';

  const failing = [...inForce].filter(([v]) => !satisfies(exp, v)).sort(([a], [b]) => a - b);
  if (failing.length > 0) {
    const where = failing.map(([v, labels]) => `${v} on ${list(labels)}`).join('; ');
    const raisedBy = raised.length
      ? ` (${allKey} = ${all.value} overrides the lower own value of ${list(raised)})`
      : '';
    return fail(
      `${leaf} in force is ${where}${raisedBy}, ${text}: ${REASONS[rule.reason]}${bad.length ? ` (also unreadable: ${bad.join('; ')})` : ''}${caveat}.${notes(
        rule,
        failing.map(([v]) => v),
      )}`,
      evidence,
    );
  }
  if (bad.length > 0) return unknown(bad.join('; '), evidence);
  const names = [...inForce.values()].flat();
  const cisNote = !satisfies(exp, all.value)
    ? ` (${allKey} = ${all.value} alone would not do, but every interface's own value makes it ${describe(exp)}; CIS audits conf.all and conf.default)`
    : '';
  return pass(
    `${leaf} in force is ${[...inForce.keys()].join(', ')} on ${list(names)} (max of ${allKey} = ${all.value} and each interface's own value; ${text})${cisNote}${caveat}`,
    evidence,
  );
}

export function evaluateRule(rule: SysctlRule, facts: KernelFacts): Outcome {
  if (facts.role.role === 'server' && rule.onServer === 'skip' && !facts.options.expect.has(rule.id)) {
    return {
      status: 'skip',
      message: `only a Kubernetes node needs this, and this host is not one: ${facts.role.why}`,
      evidence: [],
    };
  }
  if (facts.procSysProblem) return unknown(`cannot read /proc/sys: ${facts.procSysProblem}`);
  const r = forHost(rule, facts);
  const inForce = r.effective === 'max_with_all' ? evaluateMaxWithAll(r, facts) : evaluateKeys(r, facts);
  if (inForce.status !== 'pass' || !facts.persisted) return inForce;
  return judgePersistence(r, expectedText(r, facts).exp, facts, facts.persisted, inForce);
}

export function sysctlCheck(rule: SysctlRule): Check<KernelFacts> {
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    references: [...rule.references],
    remediation: remediation(rule),
    evaluate: (facts) => evaluateRule(rule, facts),
  };
}

export const sysctlChecks: readonly Check<KernelFacts>[] = SYSCTL_RULES.map(sysctlCheck);
