/**
 * The table format of `hostward scan`, for triage: what to fix first comes first. Failures by severity then
 * check, each with its fix on the next line; then checks that could not be decided; then accepted exceptions;
 * then one line per probe for the checks that did not apply here. Passing checks and each skipped check are
 * listed with --verbose; --quiet prints the failures alone. Lines are wrapped to the terminal's width, and colour
 * (by severity) is used only on a terminal without NO_COLOR.
 */
import { SEVERITIES, severityRank } from '../contracts.js';
import type { Finding, Report, Severity } from '../contracts.js';

export interface TableOptions {
  colour: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** Columns to wrap to (the terminal's width; 120 off a terminal). */
  width?: number;
}

const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';
const GREY = '\x1b[90m';
const SEVERITY_COLOUR: Record<Severity, string> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  info: '\x1b[37m',
};
const STATUS_COLOUR = { PASS: '\x1b[32m', SKIP: GREY, UNKNOWN: '\x1b[35m', ACCEPTED: '\x1b[36m' } as const;
const INDENT = '         ';

type Paint = (code: string, s: string) => string;

/** Words of `text` wrapped to `width`, continuation lines indented; a word longer than a line is cut. */
export function wrap(text: string, width: number, indent: string, first = ''): string[] {
  const lines: string[] = [];
  let line = first;
  const room = Math.max(20, width);
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const sep = line.trim() === '' || line.endsWith(' ') ? '' : ' ';
    if (line.length + sep.length + word.length <= room || line.trim() === '' || line === first) {
      line += sep + word;
      continue;
    }
    lines.push(line);
    line = indent + word;
  }
  lines.push(line);
  return lines.map((l) => (l.length > room ? l.slice(0, room - 1) + '…' : l));
}

function where(f: Finding): string {
  const e = f.evidence.find((x) => x.file);
  if (!e?.file) return '';
  return e.line !== undefined ? `${e.file}:${e.line}` : e.file;
}

const bySeverityThenCheck = (a: Finding, b: Finding) =>
  severityRank(a.severity) - severityRank(b.severity) || a.check.localeCompare(b.check);

function findingLines(
  f: Finding,
  tag: string,
  tagColour: string,
  paint: Paint,
  width: number,
  withFix: boolean,
): string[] {
  const loc = where(f);
  const sev = `[${f.severity}]`.padEnd(11);
  const head = `${paint(tagColour, tag.padEnd(8))} ${paint(SEVERITY_COLOUR[f.severity], sev)}${f.check}  `;
  const visibleHead = `${tag.padEnd(8)} ${sev}${f.check}  `;
  const text = f.message + (loc && !f.message.includes(loc) ? ` (${loc})` : '');
  const wrapped = wrap(text, width, INDENT, visibleHead);
  const out = [head + wrapped[0]!.slice(visibleHead.length), ...wrapped.slice(1)];
  if (f.exception)
    out.push(...wrap(`accepted until ${f.exception.expires}: ${f.exception.reason}`, width, INDENT, INDENT));
  if (withFix && f.remediation) {
    const fix = wrap(f.remediation, width, INDENT + '     ', `${INDENT}fix: `);
    out.push(fix[0]!.replace('fix:', paint(BOLD, 'fix:')), ...fix.slice(1));
  }
  return out;
}

/** "runtime: 46 checks skipped: Docker is not installed (29), CRI-O is not installed (17)" per probe. */
function skippedLines(skips: readonly Finding[], width: number): string[] {
  const byProbe = new Map<string, Map<string, number>>();
  for (const f of skips) {
    const reasons = byProbe.get(f.probe) ?? new Map<string, number>();
    const reason = f.message.length > 80 ? f.message.slice(0, 79) + '…' : f.message;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    byProbe.set(f.probe, reasons);
  }
  const w = Math.max(0, ...[...byProbe.keys()].map((p) => p.length));
  return [...byProbe].map(([probe, reasons]) => {
    const n = [...reasons.values()].reduce((a, b) => a + b, 0);
    const why = [...reasons].sort((a, b) => b[1] - a[1]).map(([r, c]) => (reasons.size > 1 ? `${r} (${c})` : r));
    const line = `  ${probe.padEnd(w)}  ${n} check${n === 1 ? '' : 's'} skipped: ${why.join('; ')}`;
    return line.length > width ? line.slice(0, width - 1) + '…' : line;
  });
}

function summaryLines(report: Report, paint: Paint): string[] {
  const failing = report.findings.filter((f) => f.status === 'fail' && !f.exception);
  const counts = SEVERITIES.map((s) => [s, failing.filter((f) => f.severity === s).length] as const).filter(
    ([, n]) => n > 0,
  );
  const s = report.summary;
  const total = s.pass + s.fail + s.unknown + s.skip + s.accepted;
  return [
    failing.length
      ? `Failing: ${counts.map(([sev, n]) => paint(SEVERITY_COLOUR[sev], `${n} ${sev}`)).join(', ')}`
      : 'Failing: none',
    `${total} checks: ${s.fail} fail, ${s.unknown} unknown, ${s.pass} pass, ${s.skip} skip, ${s.accepted} accepted in ${report.durationSeconds.toFixed(2)} s`,
  ];
}

export function renderTable(report: Report, opts: TableOptions): string {
  const paint: Paint = (code, s) => (opts.colour ? code + s + RESET : s);
  const width = opts.width ?? 120;
  const failing = report.findings.filter((f) => f.status === 'fail' && !f.exception).sort(bySeverityThenCheck);
  const failLines = failing.flatMap((f) => findingLines(f, 'FAIL', SEVERITY_COLOUR[f.severity], paint, width, true));
  if (opts.quiet) return failLines.length ? failLines.join('\n') + '\n' : '';

  const out: string[] = [];
  const title = `hostward ${report.agentVersion} scan of ${report.node}`;
  const head = wrap(
    `${title} (${report.os.prettyName}, kernel ${report.os.kernel})${report.root !== '/' ? ` root ${report.root}` : ''}`,
    width,
    '  ',
  );
  out.push(paint(BOLD, title) + head[0]!.slice(title.length), ...head.slice(1));
  for (const run of report.probes.filter((r) => r.status === 'error'))
    out.push(...wrap(`ERROR    probe ${run.probe} did not finish: ${run.error ?? ''}`, width, INDENT));
  const section = (title: string, lines: string[]) => {
    if (lines.length) out.push('', paint(BOLD, title), ...lines);
  };
  section('To fix, most severe first:', failLines);
  const unknown = report.findings.filter((f) => f.status === 'unknown').sort(bySeverityThenCheck);
  section(
    'Could not be decided here:',
    unknown.flatMap((f) => findingLines(f, 'UNKNOWN', STATUS_COLOUR.UNKNOWN, paint, width, false)),
  );
  const accepted = report.findings.filter((f) => f.status === 'fail' && f.exception).sort(bySeverityThenCheck);
  section(
    'Accepted exceptions:',
    accepted.flatMap((f) => findingLines(f, 'ACCEPTED', STATUS_COLOUR.ACCEPTED, paint, width, false)),
  );
  const skips = report.findings.filter((f) => f.status === 'skip');
  if (opts.verbose) {
    const passes = report.findings.filter((f) => f.status === 'pass').sort(bySeverityThenCheck);
    section(
      'Passing:',
      passes.flatMap((f) => findingLines(f, 'PASS', STATUS_COLOUR.PASS, paint, width, false)),
    );
    section(
      'Not applicable here:',
      [...skips]
        .sort(bySeverityThenCheck)
        .flatMap((f) => findingLines(f, 'SKIP', STATUS_COLOUR.SKIP, paint, width, false)),
    );
  } else {
    section(
      'Not applicable here (--verbose lists each check, and the passing ones):',
      skippedLines(skips, width).map((l) => paint(GREY, l)),
    );
  }
  out.push('', ...summaryLines(report, paint));
  return out.join('\n') + '\n';
}
