/**
 * The probe metrics of DESIGN.md, known to the engine: probes return Measurements naming these, and the
 * exposition creates the gauges. A measurement naming anything else is not exported (and a test fails).
 */
export interface ProbeMetric {
  help: string;
  labelNames: readonly string[];
}

export const PROBE_METRICS: Readonly<Record<string, ProbeMetric>> = {
  hostward_listening_sockets: {
    help: 'Listening sockets of the host network namespace, 1 per (protocol, port, scope) group; scope is any, loopback or address.',
    labelNames: ['protocol', 'port', 'scope'],
  },
  hostward_certificate_expiry_timestamp_seconds: {
    help: 'notAfter of each node certificate, as Unix time.',
    labelNames: ['path'],
  },
  hostward_updates_pending: {
    help: 'Pending package updates; kind is all or security.',
    labelNames: ['kind'],
  },
  hostward_reboot_required: {
    help: '1 when the host asks for a reboot.',
    labelNames: [],
  },
  hostward_integrity_changes: {
    help: 'Files differing from the integrity baseline; change is added, removed or modified.',
    labelNames: ['change'],
  },
};

/** Why a measurement cannot be exported, or undefined when it can. */
export function measurementProblem(m: { metric: string; labels: Record<string, string>; value: number }): string | undefined {
  const def = PROBE_METRICS[m.metric];
  if (!def) return `unknown probe metric ${m.metric}`;
  const keys = Object.keys(m.labels).sort();
  const want = [...def.labelNames].sort();
  if (keys.join(',') !== want.join(',')) return `${m.metric} needs labels {${want.join(',')}}, got {${keys.join(',')}}`;
  if (!Number.isFinite(m.value)) return `${m.metric} value ${m.value} is not finite`;
  return undefined;
}
