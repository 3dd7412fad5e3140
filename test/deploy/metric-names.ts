/**
 * The metric names (and their label names) that hostward's code really exports, read from the source: every
 * prom-client metric declared as `name: 'hostward_…'` in src/ (with its `labelNames`), and the probe metrics of
 * src/metrics/probe-metrics.ts. Rules and dashboards are checked against this, so a renamed metric breaks a
 * test instead of an alert silently never firing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROBE_METRICS } from '../../src/metrics/probe-metrics.js';

/** Labels Prometheus or the scrape config adds to every hostward series (PodMonitor relabelings). */
export const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'node', 'endpoint', 'service'];

/** Series Prometheus itself records for every target. */
export const PROMETHEUS_SERIES: Record<string, readonly string[]> = {
  up: [],
  scrape_duration_seconds: [],
  scrape_samples_scraped: [],
};

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** name → label names, for every hostward metric in the code. */
export function exportedMetrics(repo = process.cwd()): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const file of walk(path.join(repo, 'src'))) {
    const text = readFileSync(file, 'utf8');
    // A declaration: name: 'hostward_x', then (before the next `name:`) an optional labelNames: [...].
    const re = /name:\s*'(hostward_[a-z0-9_]+)'([\s\S]*?)(?=name:\s*'|$)/g;
    for (const m of text.matchAll(re)) {
      const labels = /labelNames:\s*\[([^\]]*)\]/.exec(m[2]!.slice(0, 600));
      const names = labels ? [...labels[1]!.matchAll(/'([a-z_]+)'/g)].map((x) => x[1]!) : [];
      const prev = out.get(m[1]!) ?? [];
      out.set(m[1]!, [...new Set([...prev, ...names])]);
    }
    // A name handed to a small factory (outboxTotal(registers, 'hostward_x', help, …)): a series without labels.
    for (const m of text.matchAll(/\(\s*registers,\s*'(hostward_[a-z0-9_]+)'/g))
      if (!out.has(m[1]!)) out.set(m[1]!, []);
  }
  for (const [name, def] of Object.entries(PROBE_METRICS)) out.set(name, def.labelNames);
  return out;
}

export interface SelectorUse {
  metric: string;
  labels: string[];
}

const PROMQL_WORDS = new Set([
  'sum',
  'count',
  'avg',
  'min',
  'max',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'rate',
  'irate',
  'increase',
  'delta',
  'absent',
  'time',
  'label_replace',
  'topk',
  'bottomk',
  'clamp_min',
  'clamp_max',
  'count_values',
  'sort',
  'sort_desc',
  'max_over_time',
  'min_over_time',
  'avg_over_time',
  'last_over_time',
  'changes',
  'resets',
  'vector',
  'scalar',
  'humanize',
  'round',
  'abs',
  'time',
  'timestamp',
  'histogram_quantile',
  'quantile',
  'stddev',
  'group',
  'label_join',
  'day_of_week',
  'days_in_month',
  'ceil',
  'floor',
  'e',
  'inf',
  'nan',
]);

/** Metric names and the label names their selectors use, from a PromQL expression (strings and label lists removed). */
export function selectorsIn(expr: string): SelectorUse[] {
  const out: SelectorUse[] = [];
  // Drop quoted strings inside function arguments such as label_replace(..., "dst", "$1", "src", "(.*)"),
  // but keep selector matchers: read matchers first.
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?/g;
  const stripped = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of stripped.matchAll(re)) {
    const word = m[1]!;
    const before = stripped.slice(0, m.index);
    // Inside a string literal (odd number of quotes before it): not a name.
    if ((before.match(/"/g)?.length ?? 0) % 2 === 1) continue;
    if (PROMQL_WORDS.has(word) || /^\d/.test(word)) continue;
    const after = stripped.slice((m.index ?? 0) + m[0].length).trimStart();
    if (!m[2] && after.startsWith('(')) continue; // a function call
    if (/^[smhdwy]$/.test(word) && /\d$/.test(before.trimEnd().slice(-1))) continue; // a duration unit
    const labels = m[3] ? [...m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((x) => x[1]!) : [];
    out.push({ metric: word, labels });
  }
  return out;
}

/** Problems with the metric names and label names an expression uses; empty when every one is real. */
export function unknownNames(expr: string, exported: Map<string, readonly string[]>): string[] {
  const problems: string[] = [];
  for (const s of selectorsIn(expr)) {
    const labels = exported.get(s.metric) ?? PROMETHEUS_SERIES[s.metric];
    if (!labels) {
      problems.push(`${s.metric}: not a metric hostward exports`);
      continue;
    }
    for (const l of s.labels)
      if (!labels.includes(l) && !TARGET_LABELS.includes(l)) problems.push(`${s.metric}{${l}}: no such label`);
  }
  return problems;
}
