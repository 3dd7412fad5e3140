/**
 * `hostward collector`: the central collector of DESIGN.md over plain node:http.
 *
 * POST /v1/events   bearer token (constant-time), body limit, schema validation (400 names the first bad
 *                   field; nothing stored from a rejected request), idempotent on event id; 202
 *                   {"accepted": N} only once the events are committed (WAL, synchronous=FULL).
 * GET  /v1/nodes, /v1/alerts (in pages, read-api.ts), /metrics, /healthz, /readyz, and / (an HTML page of the fleet).
 *
 * Concurrent requests are committed together (group commit, ingest.ts), in a worker thread with its own
 * connection so that HTTP is served while a commit goes to the disk. Optional HTTPS and client
 * certificates (collector.tls); events older than collector.retention.eventsMaxAgeDays are pruned.
 *
 * This file puts the parts together and stops them: credentials.ts (who may write), routes.ts (the routes),
 * tls.ts (HTTPS and certificate rotation), upkeep.ts (silent nodes, retention), delivery.ts (the sinks' queue).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config, CollectorConfig } from '../config/config.js';
import type { CheckInfo } from '../contracts.js';
import { checkCatalogue } from './catalogue.js';
import type { CollectorContext } from './context.js';
import { openCredentials } from './credentials.js';
import { Dispatcher } from './delivery.js';
import { inlineIngester, workerIngester } from './ingest.js';
import type { Ingester, IngestPolicy } from './ingest.js';
import { createCollectorMetrics } from './metrics.js';
import type { CollectorMetrics } from './metrics.js';
import { requestListener } from './routes.js';
import type { Sink } from './sink.js';
import { createSinks } from './sinks.js';
import { pragma } from './sqlite.js';
import { Store } from './store.js';
import { tlsOptions, watchTlsFiles } from './tls.js';
import { PRUNE_EVERY_MS, schedulePruning, watchSilentNodes } from './upkeep.js';

export type { Sink, GroupChange, GroupAction } from './sink.js';
export { SinkError } from './sink.js';
export { Store, groupKey } from './store.js';
export { validateEvents } from './validate.js';

export interface CollectorOptions {
  config: Config;
  log: Logger;
  /**
   * The checks' catalogue (titles, references, remediation) for the page and the sinks' texts, as data: the
   * command line builds it from the probe registry, and the collector loads no probe.
   */
  catalogue: readonly CheckInfo[];
  /** Overrides config.collector.port; 0 picks a free port. */
  port?: number;
  /** Overrides config.collector.listen. */
  host?: string;
  /** Sinks to use instead of those built from the configuration (tests). */
  sinks?: readonly Sink[];
  /** How often old events are pruned (default a minute; tests make it short). */
  pruneEveryMs?: number;
}

export interface Collector {
  port: number;
  store: Store;
  close(): Promise<void>;
}

export async function startCollector(opts: CollectorOptions): Promise<Collector> {
  const cfg = opts.config.collector;
  const log = opts.log.child({ component: 'collector' });
  const credentials = openCredentials(cfg, log);
  // TLS files are read before anything else starts: a wrong path stops the start naming the key.
  const tlsInitial = cfg.tls ? tlsOptions(cfg.tls) : undefined;
  const checks = checkCatalogue(opts.catalogue);
  const sinks = opts.sinks ?? createSinks(cfg, checks);
  let closing = false;
  const { db, metrics, dispatcher } = openStore(cfg, sinks, log);
  const ingester = await openIngester(db, cfg, sinks, log);
  const ctx: CollectorContext = {
    cfg,
    log,
    db,
    ingester,
    dispatcher,
    metrics,
    sinks,
    credentials,
    checks,
    closing: () => closing,
  };
  const onRequest = requestListener(ctx);
  // An https.Server has every member of http.Server used here (timeouts, close*Connections).
  const server: Server = tlsInitial ? createTlsServer(tlsInitial, onRequest) : createServer(onRequest);
  const timers = [
    ...(cfg.tls ? [watchTlsFiles(server, cfg.tls, log)] : []),
    watchSilentNodes(ctx),
    schedulePruning(ctx, opts.pruneEveryMs ?? PRUNE_EVERY_MS),
  ];
  const port = await listen(server, opts.port ?? cfg.port, opts.host ?? cfg.listen, log);
  dispatcher.start();
  log.info(
    {
      port,
      ingest: ingester.mode,
      db: cfg.db,
      tokens: credentials.tokens.count,
      unboundTokens: credentials.tokens.unbound,
      serviceAccountTokens: credentials.serviceAccounts !== undefined,
      sinks: sinks.map((s) => s.name),
      schema: db.schemaVersion,
    },
    'collector listening',
  );
  let closed: Promise<void> | undefined;
  const close = () => {
    closing = true;
    return stop(ctx, server, timers);
  };
  return { port, store: db, close: () => (closed ??= close()) };
}

/**
 * The collector's store and what hangs on it: its metrics and the delivery queue's dispatcher. Before anything
 * else is queued, a sink new to this database is told of the groups already open (its first changes).
 */
function openStore(
  cfg: CollectorConfig,
  sinks: readonly Sink[],
  log: Logger,
): { db: Store; metrics: CollectorMetrics; dispatcher: Dispatcher } {
  let store: Store | undefined;
  const metrics = createCollectorMetrics(() => store, sinks);
  const db = new Store({ file: cfg.db, sinks: sinks.map((s) => s.name), clockSkewMs: cfg.clockSkewSeconds * 1000 });
  store = db;
  const byName = new Map(sinks.map((s) => [s.name, s]));
  for (const w of db.welcomeSinks((name, check, severity) => byName.get(name)?.admits?.(check, severity) ?? true)) {
    log.info({ sink: w.sink, groups: w.groups }, 'sink new to this collector: told of the groups already open');
  }
  const dispatcher = new Dispatcher({
    store: db,
    sinks,
    log,
    sent: metrics.sent,
    failed: metrics.failed,
    dead: metrics.dead,
    retryInitialMs: cfg.deliveryRetryInitialMs,
    retryMaxMs: cfg.deliveryRetryMaxMs,
  });
  return { db, metrics, dispatcher };
}

/**
 * The write path (ingest.ts): a worker thread with its own connection when the build has it, so HTTP is served
 * while commits go to the disk; inline otherwise. Checkpoints run in the background: the worker's store runs them
 * when there is a worker, so this connection's automatic checkpoints are then turned off.
 */
async function openIngester(db: Store, cfg: CollectorConfig, sinks: readonly Sink[], log: Logger): Promise<Ingester> {
  const policy: IngestPolicy = {
    maxNodesPerToken: cfg.maxNodesPerToken,
    tokenNodeWindowMs: cfg.retention.eventsMaxAgeDays * 24 * 3600 * 1000,
  };
  const inline = (): Ingester => {
    pragma(db.db, 'wal_autocheckpoint = 1000');
    db.checkpointInBackground(250);
    return inlineIngester(db, log, policy);
  };
  const inWorker = await workerIngester({
    file: cfg.db,
    sinks: sinks.map((s) => s.name),
    policy,
    clockSkewMs: cfg.clockSkewSeconds * 1000,
    log,
    fallback: inline,
  });
  if (inWorker) pragma(db.db, 'wal_autocheckpoint = 0'); // the worker's store checkpoints
  return inWorker ?? inline();
}

/** Listen with the server's timeouts; resolves with the bound port, rejects when the address cannot be had. */
async function listen(server: Server, port: number, host: string, log: Logger): Promise<number> {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error({ err: e.message }, 'server error'));
  return (server.address() as AddressInfo).port;
}

/**
 * Stop in order: no new background work, no new connections (idle ones closed now, busy ones given 5 s), then
 * the write path, the deliveries in flight, the sinks and the store.
 */
async function stop(ctx: CollectorContext, server: Server, timers: readonly NodeJS.Timeout[]): Promise<void> {
  for (const t of timers) clearInterval(t);
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 5000).unref();
  await serverClosed;
  await ctx.ingester.close();
  await ctx.dispatcher.close();
  for (const s of ctx.sinks) await s.close?.();
  await ctx.db.stopCheckpoints();
  ctx.db.close();
  ctx.log.info('collector stopped');
}
