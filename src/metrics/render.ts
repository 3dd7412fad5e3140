/** Serving registries on /metrics, for the agent and the collector alike (no probe metric is named here). */
import { Registry } from 'prom-client';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * The text to serve on /metrics: the registries concatenated (undefined ones, such as the scan registry
 * before the first scan, are left out). Throws when two registries share a metric name, which would give
 * a duplicate HELP/TYPE that Prometheus rejects.
 */
export async function renderMetrics(...registries: readonly (Registry | undefined)[]): Promise<string> {
  const present = registries.filter((r): r is Registry => r !== undefined);
  const seen = new Set<string>();
  for (const r of present) {
    for (const m of r.getMetricsAsArray()) {
      if (seen.has(m.name)) throw new Error(`metric ${m.name} is registered in two registries`);
      seen.add(m.name);
    }
  }
  const parts = await Promise.all(present.map((r) => r.metrics()));
  const text = parts
    .map((p) => p.trimEnd())
    .filter((p) => p.length > 0)
    .join('\n\n');
  return text.length > 0 ? text + '\n' : '';
}
