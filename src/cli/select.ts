/**
 * --check and --skip: which of a scan's findings are reported (and gate the exit code). Patterns are globs over
 * check ids (`*` any run of characters, `?` one), matched whole: `ssh.*`, `*.password_auth`.
 */
import { globToRegExp } from '../host/root.js';
import type { Finding, Report } from '../contracts.js';
import { summarise } from '../scan/runner.js';

export interface Selection {
  check: readonly string[];
  skip: readonly string[];
}

/** The patterns that match no check of the catalogue (most likely typos). */
export function unmatchedPatterns(patterns: readonly string[], checkIds: readonly string[]): string[] {
  return patterns.filter((p) => !checkIds.some((id) => globToRegExp(p).test(id)));
}

export function selects(sel: Selection): (f: Finding) => boolean {
  const want = sel.check.map((p) => globToRegExp(p));
  const drop = sel.skip.map((p) => globToRegExp(p));
  return (f) => (want.length === 0 || want.some((re) => re.test(f.check))) && !drop.some((re) => re.test(f.check));
}

/** The report with only the selected findings, and its summary counted again. */
export function selectFindings(report: Report, sel: Selection): Report {
  if (!sel.check.length && !sel.skip.length) return report;
  const findings = report.findings.filter(selects(sel));
  return { ...report, findings, summary: summarise(findings) };
}
