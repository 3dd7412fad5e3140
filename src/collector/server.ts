/**
 * `hostward collector`: the central collector of DESIGN.md over plain node:http.
 *
 * POST /v1/events   bearer token (constant-time), body limit, schema validation (400 names the first bad
 *                   field; nothing stored from a rejected request), idempotent on event id; 202
 *                   {"accepted": N} only once the events are committed (WAL, synchronous=FULL).
 * GET  /v1/nodes, /v1/alerts, /metrics, /healthz, /readyz, and / (an HTML page of the fleet).
 *
 * Concurrent requests are committed together (group commit): requests validated while a transaction
 * runs wait for the next one, so one fsync serves many agents.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { AlertEvent, ApiError, EventsAccepted } from '../contracts.js';
import { CONTENT_TYPE, renderMetrics } from '../metrics/exposition.js';
import { TokenSet } from './auth.js';
import { Dispatcher } from './delivery.js';
import { createCollectorMetrics } from './metrics.js';
import type { RequestOutcome } from './metrics.js';
import { isPagePath, servePage } from './page.js';
import { FleetQueries } from './queries.js';
import { createSinks } from './sinks.js';
import type { Sink } from './sink.js';
import { Store } from './store.js';
import { validateEvents } from './validate.js';

export type { Sink, GroupChange, GroupAction } from './sink.js';
export { SinkError } from './sink.js';
export { Store, groupKey } from './store.js';
export { validateEvents } from './validate.js';

export interface CollectorOptions {
  config: Config;
  log: Logger;
  /** Overrides config.collector.port; 0 picks a free port. */
  port?: number;
  /** Overrides config.collector.listen. */
  host?: string;
  /** Sinks to use instead of those built from the configuration (tests). */
  sinks?: readonly Sink[];
}

export interface Collector {
  port: number;
  store: Store;
  close(): Promise<void>;
}

/** Most events committed in one transaction; more waiting requests go to the next one. */
const MAX_EVENTS_PER_COMMIT = 20_000;

export async function startCollector(opts: CollectorOptions): Promise<Collector> {
  const cfg = opts.config.collector;
  const log = opts.log.child({ component: 'collector' });
  if (!cfg.tokensFile) throw new ConfigError('collector.tokensFile', 'required: the file of accepted agent tokens, one per line (HOSTWARD_TOKENS_FILE)');
  let tokens: TokenSet;
  try {
    tokens = new TokenSet(cfg.tokensFile);
  } catch (e) {
    throw new ConfigError('collector.tokensFile', (e as Error).message);
  }
  const sinks = opts.sinks ?? createSinks(cfg);
  let closing = false;
  let store: Store | undefined;
  const metrics = createCollectorMetrics(() => store, sinks);
  store = new Store({ file: cfg.db, sinks: sinks.map((s) => s.name) });
  const db = store;
  const dispatcher = new Dispatcher({
    store: db,
    sinks,
    log,
    sent: metrics.sent,
    failed: metrics.failed,
    retryInitialMs: cfg.deliveryRetryInitialMs,
    retryMaxMs: cfg.deliveryRetryMaxMs,
  });

  // Group commit.
  interface Waiting {
    events: AlertEvent[];
    resolve: (n: number) => void;
    reject: (e: unknown) => void;
  }
  let queue: Waiting[] = [];
  let scheduled = false;
  function commit(events: AlertEvent[]): Promise<number> {
    return new Promise((resolve, reject) => {
      queue.push({ events, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }
  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take]!.events.length <= MAX_EVENTS_PER_COMMIT)) n += queue[take++]!.events.length;
      const batch = queue.slice(0, take);
      queue = queue.slice(take);
      try {
        const results = db.ingest(batch.map((w) => w.events));
        let stored = 0;
        let dup = 0;
        batch.forEach((w, i) => {
          stored += results[i]!.stored;
          dup += results[i]!.duplicates;
          w.resolve(w.events.length);
        });
        metrics.stored.inc(stored);
        metrics.duplicates.inc(dup);
        if (stored > 0) dispatcher.kick();
      } catch (e) {
        log.error({ err: (e as Error).message, requests: batch.length }, 'storing events failed');
        for (const w of batch) w.reject(e);
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error({ err: e instanceof Error ? e.message : String(e), path: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;

  const outcome = (o: RequestOutcome) => metrics.requests.inc({ outcome: o });

  // The fleet page (page.ts): GET / and GET /groups/<key>, behind the agents' tokens.
  let pageQueries: FleetQueries | undefined;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = (req.url ?? '/').split('?', 1)[0];
    if (p === '/v1/events') {
      if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
      return postEvents(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET, HEAD');
    if (isPagePath(p)) {
      const page = servePage(req.url ?? '/', req.headers.authorization, { queries: (pageQueries ??= new FleetQueries(db.db)), sinks: sinks.map((s) => s.name), authorized: (h) => tokens.check(h) });
      return send(res, page.status, page.type, page.body, page.headers);
    }
    switch (p) {
      case '/v1/nodes':
        return json(res, 200, db.nodes());
      case '/v1/alerts':
        return json(res, 200, db.alerts());
      case '/metrics':
        return send(res, 200, CONTENT_TYPE, await renderMetrics(metrics.registry));
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz':
        return db.db.open && !closing ? send(res, 200, 'text/plain; charset=utf-8', 'ok\n') : send(res, 503, 'text/plain; charset=utf-8', 'not ready\n');
      default:
        return json(res, 404, { error: 'not found' });
    }
  }

  async function postEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!tokens.check(req.headers.authorization)) {
      outcome('unauthorized');
      return reject(req, res, 401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer realm="hostward"' });
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > cfg.maxBodyBytes) {
      outcome('too_large');
      return reject(req, res, 413, `body larger than ${cfg.maxBodyBytes} bytes`);
    }
    const body = await readBody(req, cfg.maxBodyBytes);
    if (body === 'too large') {
      outcome('too_large');
      return reject(req, res, 413, `body larger than ${cfg.maxBodyBytes} bytes`);
    }
    if (body === 'aborted') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      outcome('bad_request');
      return json(res, 400, { error: `body: malformed JSON (${(e as Error).message.slice(0, 200)})` });
    }
    const v = validateEvents(parsed);
    if (!v.ok) {
      outcome('bad_request');
      return json(res, 400, { error: v.error });
    }
    let accepted: number;
    try {
      accepted = await commit(v.events);
    } catch {
      outcome('error');
      return json(res, 503, { error: 'events could not be stored; retry' }, { 'Retry-After': '5' });
    }
    outcome('accepted');
    json(res, 202, { accepted } satisfies EventsAccepted);
  }

  // Node silent: checked periodically, but not before the collector has been up for silentAfterSeconds
  // (agents could not reach a collector that was down; they are not silent, it was).
  const silentMs = cfg.silentAfterSeconds * 1000;
  const startedAt = Date.now();
  const silentTimer = setInterval(
    () => {
      if (Date.now() - startedAt < silentMs) return;
      try {
        const nodes = db.markSilent(silentMs);
        if (nodes.length > 0) {
          log.warn({ nodes: nodes.slice(0, 50), count: nodes.length }, 'nodes stopped reporting');
          dispatcher.kick();
        }
      } catch (e) {
        log.error({ err: (e as Error).message }, 'silent-node check failed');
      }
    },
    Math.max(250, Math.min(30_000, silentMs / 4)),
  );
  silentTimer.unref();

  const port = opts.port ?? cfg.port;
  const host = opts.host ?? cfg.listen;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error({ err: e.message }, 'server error'));
  dispatcher.start();
  const bound = (server.address() as AddressInfo).port;
  log.info({ port: bound, db: cfg.db, tokens: tokens.count, sinks: sinks.map((s) => s.name), schema: db.schemaVersion }, 'collector listening');

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    clearInterval(silentTimer);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
    await serverClosed;
    await dispatcher.close();
    for (const s of sinks) await s.close?.();
    db.close();
    log.info('collector stopped');
  }
  return { port: bound, store: db, close: () => (closed ??= close()) };
}

function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  reject(req, res, 405, `method ${req.method ?? ''} not allowed`, { Allow: allow });
}

/** How long, and how much, a refused request body is drained before the connection is cut. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Answer an error before (or without) reading the body, and close the connection. The rest of the body is
 * drained for a bounded time ("lingering close"): destroying a socket with unread data sends an RST, and the
 * client's kernel then throws away the answer it has not read yet.
 */
function reject(req: IncomingMessage, res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
  const complete = req.complete;
  // No "Connection: close" here: with it, node's server ends the socket as soon as the answer is written,
  // with the body still unread. The connection is cut below, once the body is drained.
  json(res, status, { error } satisfies ApiError, headers);
  if (!complete) {
    let drained = 0;
    const cut = () => req.destroy();
    req.on('data', (d: Buffer) => {
      drained += d.length;
      if (drained > LINGER_BYTES) cut();
    });
    req.resume();
    res.on('finish', () => {
      if (req.complete) return cut();
      const timer = setTimeout(cut, LINGER_MS);
      timer.unref();
      req.once('end', () => {
        clearTimeout(timer);
        cut();
      });
    });
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (v: Buffer | 'too large' | 'aborted') => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) finish('too large');
      else chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks, size)));
    req.once('aborted', () => finish('aborted'));
    req.once('error', () => finish('aborted'));
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', JSON.stringify(body), headers);
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}
