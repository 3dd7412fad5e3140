/** Helpers shared by the runtime check tables: gating on installation, aggregation, and file-mode verdicts. */
import type { Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../../src/sdk.js';
import { judgeMode } from '../../../src/sdk.js';
import type { StatFileFact as FileFact, ModeRule } from '../../../src/sdk.js';

/** Combine per-instance outcomes: any fail fails, else any unknown, else any pass, else skip. */
export function combine(parts: { label: string; outcome: Outcome }[]): Outcome {
  if (parts.length === 0) return skip('nothing to check');
  const single = parts.length === 1;
  const pick = (s: Outcome['status']) => parts.filter((p) => p.outcome.status === s);
  const join = (ps: typeof parts) =>
    ps.map((p) => (single ? p.outcome.message : `${p.label}: ${p.outcome.message}`)).join('; ');
  const ev = (ps: typeof parts): Evidence[] => ps.flatMap((p) => p.outcome.evidence ?? []);
  for (const s of ['fail', 'unknown', 'pass'] as const) {
    const ps = pick(s);
    if (ps.length > 0) return { status: s, message: join(ps), evidence: ev(ps) };
  }
  return { status: 'skip', message: join(parts), evidence: [] };
}

/** Owner and mode of the files of one role, compared by bits. */
export function modeOutcome(
  files: readonly FileFact[],
  roles: readonly string[],
  rule: ModeRule,
  what: string,
): Outcome {
  const fs = files.filter((f) => roles.includes(f.role));
  if (fs.length === 0) return skip(`no ${what} on this host`);
  const bad: string[] = [];
  const evidence: Evidence[] = [];
  const unreadable: string[] = [];
  for (const f of fs) {
    if ('ok' in f.stat) {
      unreadable.push(`${f.path}: ${f.stat.reason}`);
      continue;
    }
    const v = judgeMode({ path: f.path, stat: f.stat }, rule);
    if (!v.ok) {
      bad.push(`${f.path}: ${v.problems.join(', ')}`);
      evidence.push(v.evidence);
    }
  }
  if (bad.length > 0) return fail(bad.join('; '), evidence);
  if (unreadable.length > 0) return unknown(`cannot stat ${unreadable.join('; ')}`);
  return pass(
    `${fs.map((f) => f.path).join(', ')}: owner and mode within 0${rule.maxMode.toString(8)}`,
    fs.flatMap((f) =>
      'ok' in f.stat
        ? []
        : [{ file: f.path, text: `mode 0${f.stat.mode.toString(8)} uid ${f.stat.uid} gid ${f.stat.gid}` }],
    ),
  );
}

/** Watched-by-auditd outcome for a list of host paths (only those that exist are required). */
export function auditOutcome(
  watched: Map<string, Evidence>,
  rulesFiles: readonly string[],
  existing: Set<string>,
  paths: readonly string[],
): Outcome {
  const required = paths.filter((p) => existing.has(p));
  if (required.length === 0) return skip('none of the files to audit exist');
  if (rulesFiles.length === 0)
    return fail(
      `auditd is not configured (no /etc/audit/audit.rules or rules.d): ${required.join(', ')} are not audited`,
    );
  const missing = required.filter((p) => !watched.has(p));
  if (missing.length > 0) return fail(`no audit rule for ${missing.join(', ')}`);
  return pass(`audit rules watch ${required.join(', ')}`, required.map((p) => watched.get(p)!).slice(0, 20));
}

export { pass, fail, unknown, skip };
