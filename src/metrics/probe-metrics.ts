/**
 * The probe metrics of DESIGN.md, as the probes declare them (Probe.metrics): probes return Measurements naming
 * these, and the exposition creates the gauges. A measurement naming anything else is not exported (and a test
 * fails).
 */
import { PROBES } from '../../probes/registry.js';
import type { ProbeMetric } from '../sdk.js';

export type { ProbeMetric } from '../sdk.js';

export const PROBE_METRICS: Readonly<Record<string, ProbeMetric>> = Object.freeze(
  Object.fromEntries(PROBES.flatMap((p) => Object.entries(p.metrics ?? {}))),
);

/** Why a measurement cannot be exported, or undefined when it can. */
export function measurementProblem(m: {
  metric: string;
  labels: Record<string, string>;
  value: number;
}): string | undefined {
  const def = PROBE_METRICS[m.metric];
  if (!def) return `unknown probe metric ${m.metric}`;
  const keys = Object.keys(m.labels).sort();
  const want = [...def.labelNames].sort();
  if (keys.join(',') !== want.join(',')) return `${m.metric} needs labels {${want.join(',')}}, got {${keys.join(',')}}`;
  if (!Number.isFinite(m.value)) return `${m.metric} value ${m.value} is not finite`;
  return undefined;
}
