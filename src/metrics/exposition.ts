/**
 * The Prometheus exposition of DESIGN.md. Metrics belong to the engine: probes never create any.
 *
 * Two registries, both injected rather than prom-client's global default:
 * - a scan registry, built fresh from each report (buildRegistry), so a check or probe that disappears
 *   from the report also disappears from the exposition instead of lingering with a stale value;
 * - a process registry (createProcessMetrics), long-lived, for series that must persist across scans
 *   (counters, process figures).
 * renderMetrics serves them concatenated; their metric names are disjoint by construction and checked.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Report, Severity, Status } from '../contracts.js';
import { STATUSES } from '../contracts.js';
import { PROBE_METRICS, measurementProblem } from './probe-metrics.js';

// In render.ts: the collector serves its registry with them, and loads no probe (this file imports probe metrics).
export { CONTENT_TYPE, renderMetrics } from './render.js';

/** The part of a catalogue entry (CheckInfo) the exposition needs. */
export interface CatalogueEntry {
  id: string;
  probe: string;
  severity: Severity;
}

/**
 * hostward_check_status values. 4 is an addition to DESIGN.md's 0..3: a failing check covered by an
 * accepted exception, so that `== 1` alerts do not page on accepted exceptions.
 */
export const CHECK_STATUS_VALUE = { pass: 0, fail: 1, unknown: 2, skip: 3, accepted: 4 } as const satisfies Record<
  Status | 'accepted',
  number
>;

/** The `status` label values of hostward_checks: the four statuses plus `accepted`. */
export const CHECK_COUNT_STATUSES = [...STATUSES, 'accepted'] as const;
export type CheckCountStatus = (typeof CHECK_COUNT_STATUSES)[number];

export interface BuildOptions {
  /** hostward_build_info's version; defaults to the report's agentVersion. */
  version?: string;
  /** When the scan finished; defaults to the report's startedAt + durationSeconds. */
  finishedAt?: Date;
}

/** Build a fresh registry holding the per-scan metrics of DESIGN.md for one report. */
export function buildRegistry(
  report: Report,
  catalogue: readonly CatalogueEntry[],
  extras: BuildOptions = {},
): Registry {
  const registry = new Registry();
  const gauges = scanGauges([registry]);
  setCheckMetrics(gauges, report, catalogue);
  setScanInfo(gauges, report, extras);
  addProbeMeasurements([registry], report);
  return registry;
}

type ScanGauges = ReturnType<typeof scanGauges>;

/** The per-scan gauges, registered in the order the exposition has always listed them. */
function scanGauges(registers: Registry[]) {
  const checkStatus = new Gauge({
    name: 'hostward_check_status',
    help: 'Status of each check in the last scan: 0 pass, 1 fail, 2 unknown, 3 skip, 4 fail covered by an accepted exception.',
    labelNames: ['check', 'probe', 'severity'] as const,
    registers,
  });
  const checks = new Gauge({
    name: 'hostward_checks',
    help: 'Number of checks in each status in the last scan (accepted: failing checks covered by an accepted exception, not counted in fail).',
    labelNames: ['probe', 'status'] as const,
    registers,
  });
  const probeSuccess = new Gauge({
    name: 'hostward_probe_success',
    help: 'Whether the probe ran without error in the last scan (1) or not (0).',
    labelNames: ['probe'] as const,
    registers,
  });
  const probeDuration = new Gauge({
    name: 'hostward_probe_duration_seconds',
    help: 'How long the probe took in the last scan, in seconds.',
    labelNames: ['probe'] as const,
    registers,
  });
  const lastScan = new Gauge({
    name: 'hostward_last_scan_timestamp_seconds',
    help: 'Unix time the last scan finished.',
    registers,
  });
  const buildInfo = new Gauge({
    name: 'hostward_build_info',
    help: 'Build information of the hostward agent; always 1.',
    labelNames: ['version'] as const,
    registers,
  });
  const nodeInfo = new Gauge({
    name: 'hostward_node_info',
    help: 'Operating system and kernel of the scanned node; always 1.',
    labelNames: ['os', 'os_version', 'kernel'] as const,
    registers,
  });

  return { checkStatus, checks, probeSuccess, probeDuration, lastScan, buildInfo, nodeInfo };
}

/** Check statuses, per-probe counts of each status, and each probe's success and duration. */
function setCheckMetrics(g: ScanGauges, report: Report, catalogue: readonly CatalogueEntry[]): void {
  // Every probe that can report gets every status, 0 rather than absent, so `for:` clauses do not reset.
  const counts = new Map<string, Record<CheckCountStatus, number>>();
  const countsOf = (probe: string): Record<CheckCountStatus, number> => {
    let c = counts.get(probe);
    if (!c) {
      c = { pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 0 };
      counts.set(probe, c);
    }
    return c;
  };
  for (const e of catalogue) countsOf(e.probe);
  for (const p of report.probes) countsOf(p.probe);

  for (const f of report.findings) {
    const status: CheckCountStatus = f.status === 'fail' && f.exception ? 'accepted' : f.status;
    g.checkStatus.set({ check: f.check, probe: f.probe, severity: f.severity }, CHECK_STATUS_VALUE[status]);
    countsOf(f.probe)[status]++;
  }
  for (const [probe, c] of counts) {
    for (const status of CHECK_COUNT_STATUSES) g.checks.set({ probe, status }, c[status]);
  }
  for (const p of report.probes) {
    g.probeSuccess.set({ probe: p.probe }, p.status === 'ok' ? 1 : 0);
    g.probeDuration.set({ probe: p.probe }, p.durationSeconds);
  }
}

/** When the scan finished, the agent's build and the node's operating system. */
function setScanInfo(g: ScanGauges, report: Report, extras: BuildOptions): void {
  const finished = extras.finishedAt ?? new Date(Date.parse(report.startedAt) + report.durationSeconds * 1000);
  const finishedMs = finished.getTime();
  if (Number.isFinite(finishedMs)) g.lastScan.set(finishedMs / 1000);
  g.buildInfo.set({ version: extras.version ?? report.agentVersion }, 1);
  g.nodeInfo.set({ os: report.os.id, os_version: report.os.versionId, kernel: report.os.kernel }, 1);
}

/** Probe metrics: a gauge per metric that has measurements (a report from an older agent may have none). */
function addProbeMeasurements(registers: Registry[], report: Report): void {
  const gauges = new Map<string, Gauge>();
  for (const m of report.measurements ?? []) {
    if (measurementProblem(m)) continue;
    let g = gauges.get(m.metric);
    if (!g) {
      const def = PROBE_METRICS[m.metric]!;
      g = new Gauge({ name: m.metric, help: def.help, labelNames: def.labelNames, registers });
      gauges.set(m.metric, g);
    }
    if (Object.keys(m.labels).length === 0) g.set(m.value);
    else g.set(m.labels, m.value);
  }
}

/** The long-lived, process-level metrics of the agent. */
export interface ProcessMetrics {
  registry: Registry;
  /** Scans completed (successfully or not). */
  scans: Counter;
  /** Scans that threw instead of producing a report. */
  scanErrors: Counter;
}

/**
 * A small set of process metrics with prom-client's default names (so stock dashboards work), instead of
 * collectDefaultMetrics: its ~30 families include an event-loop monitor, a GC histogram and gauges named
 * `*_total` that `promtool check metrics` rejects.
 */
export function createProcessMetrics(): ProcessMetrics {
  const registry = new Registry();
  const registers = [registry];
  const scans = new Counter({ name: 'hostward_scans_total', help: 'Scans run by this process.', registers });
  const scanErrors = new Counter({
    name: 'hostward_scan_errors_total',
    help: 'Scans that failed before producing a report.',
    registers,
  });

  let lastCpu = process.cpuUsage();
  new Counter({
    name: 'hostward_process_cpu_seconds_total',
    help: 'Total user and system CPU time spent by the process, in seconds.',
    registers,
    collect() {
      const now = process.cpuUsage();
      this.inc((now.user - lastCpu.user + now.system - lastCpu.system) / 1e6);
      lastCpu = now;
    },
  }).inc((lastCpu.user + lastCpu.system) / 1e6);
  new Gauge({
    name: 'hostward_process_resident_memory_bytes',
    help: 'Resident memory size of the process, in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'hostward_nodejs_heap_size_used_bytes',
    help: 'V8 heap in use, in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: 'hostward_process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, in seconds.',
    registers,
  }).set(Math.round((Date.now() - process.uptime() * 1000) / 1000));

  return { registry, scans, scanErrors };
}
