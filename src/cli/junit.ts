/**
 * `hostward scan --format junit`: JUnit XML, which every CI system shows as a test report. One test suite per
 * probe, one test case per check: a failing check is a <failure> (its type the severity, its body the evidence
 * and the fix), a check that could not be decided is an <error>, a skipped check or an accepted exception is
 * <skipped> with the reason. The exit code, not this file, is the gate (--fail-on).
 */
import type { Finding, Report } from '../contracts.js';

/** XML text or attribute value: the five entities, and characters XML 1.0 cannot carry dropped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');

function body(f: Finding): string {
  const evidence = f.evidence.map((e) =>
    [e.file ? (e.line !== undefined ? `${e.file}:${e.line}` : e.file) : '', e.text ?? ''].filter(Boolean).join(': '),
  );
  return xmlEscape(
    [
      f.message,
      ...evidence.map((e) => `  ${e}`),
      `fix: ${f.remediation}`,
      `references: ${f.references.join('; ')}`,
    ].join('\n'),
  );
}

function testcase(f: Finding): string {
  const open = `    <testcase${attrs({ classname: `hostward.${f.probe}`, name: `${f.check}: ${f.title}`, time: 0 })}`;
  if (f.status === 'pass') return `${open}/>`;
  let inner: string;
  if (f.status === 'fail' && f.exception)
    inner = `<skipped${attrs({ message: `accepted until ${f.exception.expires}: ${f.exception.reason}` })}/>`;
  else if (f.status === 'fail')
    inner = `<failure${attrs({ type: f.severity, message: `[${f.severity}] ${f.message}` })}>${body(f)}</failure>`;
  else if (f.status === 'unknown') inner = `<error${attrs({ type: 'unknown', message: f.message })}>${body(f)}</error>`;
  else inner = `<skipped${attrs({ message: f.message })}/>`;
  return `${open}>\n      ${inner}\n    </testcase>`;
}

function counts(fs: readonly Finding[]) {
  return {
    tests: fs.length,
    failures: fs.filter((f) => f.status === 'fail' && !f.exception).length,
    errors: fs.filter((f) => f.status === 'unknown').length,
    skipped: fs.filter((f) => f.status === 'skip' || (f.status === 'fail' && f.exception)).length,
  };
}

export function renderJunit(report: Report): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites${attrs({ name: `hostward scan of ${report.node}`, ...counts(report.findings), time: report.durationSeconds.toFixed(3) })}>`,
  );
  for (const run of report.probes) {
    const fs = report.findings.filter((f) => f.probe === run.probe);
    const suite = {
      name: run.probe,
      ...counts(fs),
      time: run.durationSeconds.toFixed(3),
      timestamp: report.startedAt.replace(/(\.\d+)?Z$/, ''),
      hostname: report.node,
    };
    lines.push(`  <testsuite${attrs(suite)}>`);
    if (run.status === 'error')
      lines.push(`    <system-err>${xmlEscape(`probe ${run.probe} did not finish: ${run.error ?? ''}`)}</system-err>`);
    lines.push(...fs.map(testcase));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
