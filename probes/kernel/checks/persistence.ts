/**
 * The second half of every sysctl check: a value that is right in force must also be what the next boot
 * applies from sysctl.d and /etc/sysctl.conf (CIS audits both). Not persisted, or persisted otherwise, fails
 * and names the file (or says none sets it); a file that cannot be read and could decide it makes the check
 * `unknown`. On a Kubernetes node, values the kubelet or the pod network sets at every start (the row's
 * setOnNodeBy) need not be persisted, and the finding says so instead of failing.
 */
import type { Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown } from '../../../src/sdk.js';
import { describe, satisfies } from '../expectation.js';
import type { Expectation } from '../expectation.js';
import { persistedValue } from '../sysctl-conf.js';
import type { ConfSetting, Persisted } from '../sysctl-conf.js';
import type { PersistedFacts } from '../persisted.js';
import type { SysctlRule } from '../sysctls.js';
import type { KernelFacts } from '../types.js';

type Verdict = {
  status: 'pass' | 'fail' | 'unknown';
  text: string;
  evidence?: Evidence;
  /** Nothing sets the key. */
  unset?: true;
};

const at = (s: ConfSetting) => `${s.file}:${s.line}`;
const settingEvidence = (s: ConfSetting): Evidence => ({ file: s.file, line: s.line, text: s.text });
const LOST = "so the next boot does not set it and the value in force is lost, unless it is also the kernel's default";
const SYSCTL_CONF_LAST = ' (/etc/sysctl.conf read last, as procps sysctl --system does: no sysctl.d entry links to it)';

type Unreadable = { path: string; reason: string | undefined; order: number };

/** A key some line sets: right, otherwise, not a number, or undecided because a file after it cannot be read. */
function judgeSet(
  key: string,
  v: Extract<Persisted, { state: 'set' }>,
  inForce: number,
  exp: Expectation,
  unreadable: readonly Unreadable[],
): Verdict {
  const s = v.setting;
  // An explicit line anywhere beats a glob, so with a glob every unreadable file could still decide.
  const could = unreadable.find((u) => v.glob !== undefined || u.order > s.order);
  const how = v.glob ? `${v.glob} = ${s.value} (matching ${key})` : `${key} = ${s.value}`;
  if (could) {
    const text = `${at(s)} sets ${how}, but ${could.path} cannot be read (${could.reason}) and may set it again later`;
    return { status: 'unknown', text };
  }
  const evidence = settingEvidence(s);
  const value = s.value!;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    const text = `${at(s)} sets ${how}, which is not an integer: the kernel refuses it at the next boot and keeps its default`;
    return { status: 'fail', text, evidence };
  }
  const n = Number(value);
  if (n === inForce || satisfies(exp, n)) return { status: 'pass', text: `${at(s)} sets ${how}`, evidence };
  const text = `${at(s)} sets ${how}, so the next boot changes it to ${n} (expected ${describe(exp)})`;
  return { status: 'fail', text, evidence };
}

function judgeKey(key: string, inForce: number, exp: Expectation, p: PersistedFacts): Verdict {
  const v = persistedValue(p.settings, key);
  const unreadable = p.sources.flatMap((s, order) =>
    s.state === 'unreadable' ? [{ path: s.path, reason: s.reason, order }] : [],
  );
  if (v.state === 'set') return judgeSet(key, v, inForce, exp, unreadable);
  if (unreadable.length > 0) {
    const u = unreadable[0]!;
    return { status: 'unknown', text: `no readable file sets ${key}, and ${u.path} cannot be read (${u.reason})` };
  }
  if (v.state === 'excluded') {
    const text = `no file sets ${key} (${at(v.setting)} only keeps sysctl.d globs off it)`;
    return { status: 'fail', text, evidence: settingEvidence(v.setting), unset: true };
  }
  const read = p.sources.filter((s) => s.state === 'read').length;
  const text = `no sysctl configuration file sets ${key} (${read} file${read === 1 ? '' : 's'} read)`;
  return { status: 'fail', text, unset: true };
}

/** The in-force values of the row's keys that were read (conf.default may be absent on a per-interface row). */
function inForceValues(rule: SysctlRule, facts: KernelFacts): [string, number][] {
  return rule.keys.flatMap((k) => {
    const r = facts.sysctls.get(k);
    return r?.state === 'ok' ? [[k, r.value] as [string, number]] : [];
  });
}

const texts = (vs: readonly Verdict[]) => vs.map((v) => v.text).join('; ');

/** The outcome of a row that passes in force, once what the next boot applies is known. */
export function judgePersistence(
  rule: SysctlRule,
  exp: Expectation,
  facts: KernelFacts,
  p: PersistedFacts,
  inForce: Outcome,
): Outcome {
  const undecided = `${inForce.message}; whether the next boot keeps it cannot be told`;
  if (p.problem) return unknown(`${undecided}: ${p.problem}`, inForce.evidence);
  const verdicts = inForceValues(rule, facts).map(([k, v]) => judgeKey(k, v, exp, p));
  const evidence = [...(inForce.evidence ?? []), ...verdicts.flatMap((v) => (v.evidence ? [v.evidence] : []))];
  const note = p.sysctlConfLast ? SYSCTL_CONF_LAST : '';
  const notPassing = verdicts.filter((v) => v.status !== 'pass');
  if (notPassing.length === 0) return pass(`${inForce.message}; persisted: ${texts(verdicts)}${note}`, evidence);
  if (facts.role.role === 'node' && rule.setOnNodeBy) {
    const spared = `a Kubernetes node need not persist it: ${rule.setOnNodeBy}`;
    return pass(`${inForce.message}; as persisted: ${texts(notPassing)}; ${spared}`, evidence);
  }
  const failing = notPassing.filter((v) => v.status === 'fail');
  if (failing.length === 0) return unknown(`${undecided}: ${texts(notPassing)}`, evidence);
  const why = failing.map((v) => (v.unset ? `${v.text}, ${LOST}` : v.text)).join('; ');
  return fail(`${inForce.message}, in force now but not persisted: ${why}${note}`, evidence);
}
