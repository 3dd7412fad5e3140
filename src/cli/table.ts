/**
 * The table format of `hostward scan`, for people: grouped by probe, failures first, one line per check
 * with its evidence file:line; colour only when writing to a terminal.
 */
import type { Finding, Report, Status } from '../contracts.js';

const COLOURS: Record<Status | 'accepted', string> = {
  fail: '\x1b[31m',
  unknown: '\x1b[33m',
  pass: '\x1b[32m',
  skip: '\x1b[90m',
  accepted: '\x1b[36m',
};
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

function label(f: Finding): { text: string; key: Status | 'accepted' } {
  if (f.status === 'fail' && f.exception) return { text: 'ACCEPTED', key: 'accepted' };
  return { text: f.status.toUpperCase(), key: f.status };
}

function where(f: Finding): string {
  const e = f.evidence.find((x) => x.file);
  if (!e?.file) return '';
  return e.line !== undefined ? `${e.file}:${e.line}` : e.file;
}

export function renderTable(report: Report, opts: { colour: boolean; verbose?: boolean }): string {
  const c = (code: string, s: string) => (opts.colour ? code + s + RESET : s);
  const out: string[] = [];
  out.push(c(BOLD, `hostward ${report.agentVersion} scan of ${report.node}`) + ` (${report.os.prettyName}, kernel ${report.os.kernel})` + (report.root !== '/' ? ` root ${report.root}` : ''));
  const byProbe = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byProbe.get(f.probe) ?? [];
    list.push(f);
    byProbe.set(f.probe, list);
  }
  for (const run of report.probes) {
    out.push('');
    const head = `${run.probe} (${run.durationSeconds.toFixed(2)} s)` + (run.status === 'error' ? ` ERROR: ${run.error ?? ''}` : '');
    out.push(c(BOLD, head));
    const findings = byProbe.get(run.probe) ?? [];
    const idWidth = Math.min(40, Math.max(0, ...findings.map((f) => f.check.length)));
    for (const f of findings) {
      const l = label(f);
      const status = c(COLOURS[l.key], l.text.padEnd(8));
      const loc = where(f);
      const sev = f.status === 'fail' ? `[${f.severity}] ` : '';
      let line = `  ${status} ${f.check.padEnd(idWidth)}  ${sev}${f.message}`;
      if (loc && !f.message.includes(loc)) line += c('\x1b[90m', `  (${loc})`);
      out.push(line);
      if (f.exception) out.push(`           accepted until ${f.exception.expires}: ${f.exception.reason}`);
      if (opts.verbose && f.status === 'fail') out.push(`           fix: ${f.remediation}`);
    }
  }
  const s = report.summary;
  out.push('');
  out.push(
    `${s.pass + s.fail + s.unknown + s.skip + s.accepted} checks: ` +
      [c(COLOURS.fail, `${s.fail} fail`), c(COLOURS.unknown, `${s.unknown} unknown`), c(COLOURS.pass, `${s.pass} pass`), c(COLOURS.skip, `${s.skip} skip`), c(COLOURS.accepted, `${s.accepted} accepted`)].join(', ') +
      ` in ${report.durationSeconds.toFixed(2)} s`,
  );
  return out.join('\n') + '\n';
}
