/** What the collector's request handlers and background work share, built once by startCollector. */
import type { Logger } from 'pino';
import type { CollectorConfig } from '../config/config.js';
import type { CheckCatalogue } from './catalogue.js';
import type { Credentials } from './credentials.js';
import type { Dispatcher } from './delivery.js';
import type { Ingester } from './ingest.js';
import type { CollectorMetrics } from './metrics.js';
import type { Sink } from './sink.js';
import type { Store } from './store.js';

export interface CollectorContext {
  cfg: CollectorConfig;
  log: Logger;
  /** The collector's own connection: reads (page, read API, metrics) and the delivery queue. */
  db: Store;
  /** The write path (ingest.ts): events, silent nodes and retention, on the worker's connection or inline. */
  ingester: Ingester;
  dispatcher: Dispatcher;
  metrics: CollectorMetrics;
  sinks: readonly Sink[];
  credentials: Credentials;
  checks: CheckCatalogue;
  /** True once close() has begun: readiness fails and background work stops starting. */
  closing(): boolean;
}
