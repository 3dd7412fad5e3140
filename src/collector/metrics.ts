/** The collector's metrics, on an injected registry (DESIGN.md: hostward_alerts_sent_total/_failed_total{sink}). */
import { Counter, Gauge, Registry } from 'prom-client';
import { FORBIDDEN_REASONS } from './ingest.js';
import type { Sink } from './sink.js';
import type { Store } from './store.js';

export const REQUEST_OUTCOMES = ['accepted', 'unauthorized', 'forbidden', 'bad_request', 'too_large', 'error'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export interface CollectorMetrics {
  registry: Registry;
  requests: Counter<'outcome'>;
  stored: Counter;
  duplicates: Counter;
  pruned: Counter;
  forbidden: Counter<'reason'>;
  unbound: Counter;
  futureDated: Counter;
  sent: Counter<'sink'>;
  failed: Counter<'sink'>;
  dead: Counter<'sink'>;
}

export function createCollectorMetrics(store: () => Store | undefined, sinks: readonly Sink[]): CollectorMetrics {
  const registry = new Registry();
  const registers = [registry];
  // The order of registration is the order of the series on /metrics.
  const events = eventMetrics(registers);
  const deliveries = deliveryMetrics(registers, sinks);
  collectorGauges(registers, store, sinks);
  return { registry, ...events, ...deliveries };
}

type EventMetrics = Pick<
  CollectorMetrics,
  'requests' | 'stored' | 'duplicates' | 'pruned' | 'forbidden' | 'unbound' | 'futureDated'
>;

/** What became of POST /v1/events requests and their events; every outcome and reason starts at 0. */
function eventMetrics(registers: Registry[]): EventMetrics {
  const requests = new Counter({
    name: 'hostward_collector_event_requests_total',
    help: 'POST /v1/events requests by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of REQUEST_OUTCOMES) requests.inc({ outcome }, 0);
  const stored = new Counter({
    name: 'hostward_collector_events_stored_total',
    help: 'Events stored (first time their id was seen).',
    registers,
  });
  const duplicates = new Counter({
    name: 'hostward_collector_events_duplicate_total',
    help: 'Events whose id was already stored (re-sends), accepted and not stored again.',
    registers,
  });
  const pruned = new Counter({
    name: 'hostward_collector_events_pruned_total',
    help: 'Events deleted by retention (collector.retention.eventsMaxAgeDays).',
    registers,
  });
  const forbidden = new Counter({
    name: 'hostward_collector_events_forbidden_total',
    help: 'POST /v1/events requests refused (403) although their credential is valid, by reason (an event for another node, ...).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of FORBIDDEN_REASONS) forbidden.inc({ reason }, 0);
  const unbound = new Counter({
    name: 'hostward_collector_unbound_token_requests_total',
    help: 'POST /v1/events requests accepted with a token bound to no node (it may write for any node).',
    registers,
  });
  const futureDated = new Counter({
    name: 'hostward_collector_events_future_dated_total',
    help: 'Events dated beyond collector.clockSkewSeconds ahead: stored as sent, entered into fleet state at the collector time.',
    registers,
  });
  return { requests, stored, duplicates, pruned, forbidden, unbound, futureDated };
}

/** Deliveries to each sink, every sink's series starting at 0. */
function deliveryMetrics(
  registers: Registry[],
  sinks: readonly Sink[],
): Pick<CollectorMetrics, 'sent' | 'failed' | 'dead'> {
  const sent = new Counter({
    name: 'hostward_alerts_sent_total',
    help: 'Group changes delivered to and acknowledged by a sink.',
    labelNames: ['sink'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'hostward_alerts_failed_total',
    help: 'Failed delivery attempts to a sink.',
    labelNames: ['sink'] as const,
    registers,
  });
  // A permanent refusal is not retried: without this count, only the logs would say a change was given up.
  const dead = new Counter({
    name: 'hostward_collector_deliveries_dead_total',
    help: 'Group changes a sink refused permanently (a 4xx: configuration); kept in the queue as dead, not retried.',
    labelNames: ['sink'] as const,
    registers,
  });
  for (const s of sinks) {
    sent.inc({ sink: s.name }, 0);
    failed.inc({ sink: s.name }, 0);
    dead.inc({ sink: s.name }, 0);
  }
  return { sent, failed, dead };
}

/** Gauges read from the store at each scrape: the delivery queue per sink, and the nodes by state. */
function collectorGauges(registers: Registry[], store: () => Store | undefined, sinks: readonly Sink[]): void {
  new Gauge({
    name: 'hostward_collector_delivery_queue',
    help: 'Group changes waiting for a sink to acknowledge them.',
    labelNames: ['sink'] as const,
    registers,
    collect() {
      const pending = store()?.pendingDeliveries() ?? {};
      this.reset();
      for (const s of sinks) this.set({ sink: s.name }, pending[s.name] ?? 0);
    },
  });
  new Gauge({
    name: 'hostward_collector_nodes',
    help: 'Nodes known to the collector, by state (silent: no event for longer than silentAfterSeconds).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const c = store()?.nodeCounts() ?? { reporting: 0, silent: 0 };
      this.set({ state: 'reporting' }, c.reporting);
      this.set({ state: 'silent' }, c.silent);
    },
  });
}
