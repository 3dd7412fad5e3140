/**
 * The metric names (and their label names) that hostward's code really exports, read from the prom-client
 * registries the code builds: the agent's per-scan, process, alert, watch and watchdog registries, the collector's,
 * and the probe metrics of src/metrics/probe-metrics.ts (gauges the scan registry creates for the measurements a
 * report carries). Rules and dashboards are checked against this, so a renamed metric breaks a test instead of an
 * alert silently never firing.
 */
import type { Registry } from 'prom-client';
import { createAlertMetrics } from '../../src/alerts/metrics.js';
import { createWatchMetrics } from '../../src/agent/watch/metrics.js';
import { DEFAULT_BUDGET } from '../../src/agent/watchdog.js';
import { createWatchdogMetrics } from '../../src/agent/watchdog/metrics.js';
import { createCollectorMetrics } from '../../src/collector/metrics.js';
import type { Report } from '../../src/contracts.js';
import { buildRegistry, createProcessMetrics } from '../../src/metrics/exposition.js';
import { PROBE_METRICS } from '../../src/metrics/probe-metrics.js';

/** Labels Prometheus or the scrape config adds to every hostward series (PodMonitor relabelings). */
export const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'node', 'endpoint', 'service'];

/** Series Prometheus itself records for every target. */
export const PROMETHEUS_SERIES: Record<string, readonly string[]> = {
  up: [],
  scrape_duration_seconds: [],
  scrape_samples_scraped: [],
};

/** A report with nothing in it: the per-scan registry's own metrics, without probe measurements. */
const EMPTY_REPORT: Report = {
  node: 'n',
  root: '/',
  agentVersion: '0.0.0',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationSeconds: 0,
  os: { id: '', versionId: '', prettyName: '', kernel: '' },
  probes: [],
  findings: [],
  summary: { pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 0 },
  measurements: [],
};

/** Every registry the agent and the collector serve on /metrics, built as the code builds them. */
function registries(): Registry[] {
  const eventLoop = { maxSeconds: 0, p99Seconds: 0 };
  const watchdog = createWatchdogMetrics(DEFAULT_BUDGET, ['integrity_rehash'], {
    rss: () => 0,
    cpuRatio: () => 0,
    eventLoop: () => eventLoop,
  });
  return [
    buildRegistry(EMPTY_REPORT, []),
    createProcessMetrics().registry,
    createAlertMetrics(() => undefined).registry,
    createWatchMetrics('/', () => 0).registry,
    watchdog.registry,
    createCollectorMetrics(() => undefined, []).registry,
  ];
}

/** name → label names, for every hostward metric in the code. */
export function exportedMetrics(): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const registry of registries())
    for (const m of registry.getMetricsAsArray()) {
      // prom-client's metric objects carry their label names; its MetricObject type does not declare them.
      const labels = (m as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
      out.set(m.name, [...new Set([...(out.get(m.name) ?? []), ...labels])]);
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
