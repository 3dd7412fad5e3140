/**
 * The agent's alert-delivery metrics, on their own registry (served beside the others by renderMetrics):
 * hostward_alerts_sent_total / hostward_alerts_failed_total{sink} of DESIGN.md, the events the collector
 * refused (hostward_alerts_refused_total), plus the outbox's depth, size, age, and what it lost.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Outbox } from './outbox.js';

export const AGENT_SINK = 'collector';

export interface AlertMetrics {
  registry: Registry;
  sent: Counter<'sink'>;
  failed: Counter<'sink'>;
  refused: Counter<'sink'>;
}

export function createAlertMetrics(outbox: () => Outbox | undefined): AlertMetrics {
  const registry = new Registry();
  const registers = [registry];
  const counters = deliveryCounters(registers);
  outboxGauges(registers, outbox);
  outboxTotal(
    registers,
    'hostward_outbox_dropped_events_total',
    'Unsent events dropped because the outbox exceeded its size or age bound (open alerts are re-sent after a drop).',
    () => outbox()?.droppedEvents,
  );
  outboxTotal(
    registers,
    'hostward_outbox_write_errors_total',
    'Failed writes under the agent state directory (outbox, acknowledgement, alert state): a full or read-only disk. Changes are produced again once writes succeed.',
    () => outbox()?.writeErrors,
  );
  outboxTotal(
    registers,
    'hostward_outbox_corrupt_records_total',
    'Outbox records found corrupted or truncated on disk (CRC mismatch) and skipped.',
    () => outbox()?.corruptRecords,
  );
  return { registry, ...counters };
}

/** Sent, failed and refused events, by sink, each exported at 0 from the start. */
function deliveryCounters(registers: Registry[]): Omit<AlertMetrics, 'registry'> {
  const sent = new Counter({
    name: 'hostward_alerts_sent_total',
    help: 'Alert events delivered and acknowledged, by sink (the agent has one: collector).',
    labelNames: ['sink'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'hostward_alerts_failed_total',
    help: 'Alert events in delivery attempts that failed, by sink (each failed attempt counts its events).',
    labelNames: ['sink'] as const,
    registers,
  });
  const refused = new Counter({
    name: 'hostward_alerts_refused_total',
    help: 'Alert events the collector refused (400, 413, 422), set aside and not retried; each raises hostward.event_refused.',
    labelNames: ['sink'] as const,
    registers,
  });
  sent.inc({ sink: AGENT_SINK }, 0);
  failed.inc({ sink: AGENT_SINK }, 0);
  refused.inc({ sink: AGENT_SINK }, 0);
  return { sent, failed, refused };
}

/** The outbox's depth, size and oldest event's age, read at each scrape. */
function outboxGauges(registers: Registry[], outbox: () => Outbox | undefined): void {
  new Gauge({
    name: 'hostward_outbox_events',
    help: 'Alert events in the outbox not yet acknowledged by the collector.',
    registers,
    collect() {
      this.set(outbox()?.depth ?? 0);
    },
  });
  new Gauge({
    name: 'hostward_outbox_bytes',
    help: 'Size of the unacknowledged outbox records, in bytes.',
    registers,
    collect() {
      this.set(outbox()?.bytes ?? 0);
    },
  });
  new Gauge({
    name: 'hostward_outbox_oldest_event_age_seconds',
    help: 'Age of the oldest unacknowledged event in the outbox, in seconds (0 when empty).',
    registers,
    collect() {
      const t = outbox()?.oldestEnqueuedAt;
      this.set(t === undefined ? 0 : Math.max(0, (Date.now() - t) / 1000));
    },
  });
}

/** A counter the outbox keeps itself (since this process started), copied at each scrape once there is an outbox. */
function outboxTotal(registers: Registry[], name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      const n = read();
      if (n !== undefined) {
        this.reset();
        this.inc(n);
      }
    },
  });
}
