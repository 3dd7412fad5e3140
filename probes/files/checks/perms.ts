/**
 * The permission rows as checks, and the one verdict over a stat that every ownership-and-mode check of the
 * probe uses (the table's rows, cron.allow and at.allow, home directories).
 */
import type { Check, Evidence, FileStat, Outcome } from '../../../src/sdk.js';
import { checkMode, fail, pass, skip, unknown } from '../../../src/sdk.js';
import { FILE_RULES, expectFor } from '../table.js';
import type { Expect, FileRule } from '../table.js';
import type { Accounts, FilesFacts, PathState } from '../types.js';

export const modeText = (m: number): string => m.toString(8).padStart(4, '0');

const userName = (uid: number, a: Accounts) => a.users.get(uid) ?? String(uid);
const groupName = (gid: number, a: Accounts) => a.groups.get(gid) ?? String(gid);

/** "/etc/shadow 0644 root:root", the realPath named when a link led there. */
export function statText(path: string, st: FileStat, a: Accounts): string {
  const via = st.realPath !== path ? ` (-> ${st.realPath})` : '';
  return `${path}${via} ${modeText(st.mode)} ${userName(st.uid, a)}:${groupName(st.gid, a)}`;
}

const or = (xs: readonly string[]) =>
  xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;

export function expectText(e: Expect): string {
  return `expected ${modeText(e.maxMode)} or stricter, owner ${or(e.owners)}, group ${or(e.groups)}`;
}

const ownerOk = (uid: number, names: readonly string[], a: Accounts) =>
  names.some((n) => (n === 'root' ? uid === 0 : a.users.get(uid) === n));
const groupOk = (gid: number, names: readonly string[], a: Accounts) =>
  names.some((n) => (n === 'root' ? gid === 0 : a.groupIds.get(n) === gid));

/** What is wrong with a stat against an expectation, one phrase each; empty when it meets it. */
export function deviations(st: FileStat, e: Expect, a: Accounts): string[] {
  const out: string[] = [];
  const { extra } = checkMode(st, { maxMode: e.maxMode });
  if (extra) out.push(`mode ${modeText(st.mode)} has bits ${modeText(extra)} beyond ${modeText(e.maxMode)}`);
  if (!ownerOk(st.uid, e.owners, a)) out.push(`owner ${userName(st.uid, a)}`);
  if (!groupOk(st.gid, e.groups, a)) out.push(`group ${groupName(st.gid, a)}`);
  return out;
}

/** The verdict on one path against an expectation; a missing path gets `absent`, never pass. */
export function judgePath(s: PathState, e: Expect, a: Accounts, type: 'file' | 'directory', absent: Outcome): Outcome {
  if (s.state === 'missing') return absent;
  if (s.state === 'error') return unknown(`${s.path}: ${s.reason}`);
  const text = statText(s.path, s.stat, a);
  const evidence: Evidence[] = [{ file: s.path, text: `${text}, ${expectText(e)}` }];
  if (s.stat.type !== type)
    return fail(`${text} is a ${s.stat.type}, expected a ${type === 'file' ? 'regular file' : 'directory'}`, evidence);
  const bad = deviations(s.stat, e, a);
  if (bad.length > 0) return fail(`${text}: ${bad.join(', ')}; ${expectText(e)}`, evidence);
  return pass(`${text}, ${expectText(e)}`, evidence);
}

/** The first of the row's paths that exists, or the first state that is not "missing". */
export function pickPath(facts: FilesFacts, paths: readonly string[]): PathState {
  const states = paths.map((p) => facts.paths.get(p) ?? ({ state: 'error', path: p, reason: 'not read' } as const));
  return states.find((s) => s.state === 'ok') ?? states.find((s) => s.state === 'error') ?? states[0]!;
}

function evaluateRow(rule: FileRule, facts: FilesFacts): Outcome {
  if (rule.needs === 'cron' && !facts.cron.binary)
    return skip('cron is not installed (no cron or crond binary): nothing reads the cron files');
  const s = pickPath(facts, rule.paths);
  const e = expectFor(rule, facts.os.family);
  const names = rule.paths.join(' and ');
  const absent = {
    status: rule.absent.status,
    message: `${names} ${rule.paths.length > 1 ? 'do' : 'does'} not exist: ${rule.absent.why}`,
  };
  const out = judgePath(s, e, facts.accounts, rule.type, absent);
  if (facts.os.family === 'other' && rule.rhel && (out.status === 'pass' || out.status === 'fail')) {
    return {
      ...out,
      message: `${out.message} (${facts.os.name} is neither Debian- nor RHEL-like: Debian's expectation applied)`,
    };
  }
  return out;
}

function remediation(rule: FileRule): string {
  const e = rule.expect;
  const p = rule.paths[0]!;
  const dg = e.groups[e.groups.length - 1]!;
  const group = rule.rhel ? (e.groups[1] ?? dg) : dg;
  let s = `chown ${e.owners[0]}:${group} ${p} && chmod ${modeText(e.maxMode).replace(/^0/, '')} ${p}`;
  if (rule.rhel) s += ` (on RHEL-likes: chown root:root ${p} && chmod 0000 ${p})`;
  return `${s}: ${rule.why}.`;
}

export const permChecks: Check<FilesFacts>[] = FILE_RULES.map((rule) => ({
  id: `files.${rule.id}`,
  title: rule.title,
  severity: rule.severity,
  references: rule.references,
  remediation: remediation(rule),
  evaluate: (facts: FilesFacts) => evaluateRow(rule, facts),
}));
