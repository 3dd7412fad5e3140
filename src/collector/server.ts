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
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Server as TlsServer, ServerOptions as TlsOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { CollectorTls, Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { ApiError, CheckInfo, EventsAccepted } from '../contracts.js';
import { CONTENT_TYPE, renderMetrics } from '../metrics/render.js';
import { TokenSet, bearer } from './auth.js';
import { checkCatalogue } from './catalogue.js';
import type { Caller } from './auth.js';
import { SaTokenVerifier, looksLikeJwt } from './sa-token.js';
import { Dispatcher } from './delivery.js';
import { createCollectorMetrics } from './metrics.js';
import type { RequestOutcome } from './metrics.js';
import { isPagePath, pageCredentials, servePage } from './page.js';
import { FleetQueries } from './queries.js';
import { listPage } from './read-api.js';
import { createSinks } from './sinks.js';
import type { Sink } from './sink.js';
import { CLOCK_STEP_TOLERANCE_MS, Store } from './store.js';
import { pragma } from './sqlite.js';
import { inlineIngester, workerIngester } from './ingest.js';
import type { ForbiddenReason, Ingester, IngestPolicy } from './ingest.js';

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

/** Retention: events deleted per transaction, and how often the pruning runs. */
const PRUNE_BATCH = 2000;
const PRUNE_EVERY_MS = 60_000;
/** How often the TLS certificate and key files are checked for a change (rotation without restart). */
const TLS_RELOAD_EVERY_MS = 30_000;

export async function startCollector(opts: CollectorOptions): Promise<Collector> {
  const cfg = opts.config.collector;
  const log = opts.log.child({ component: 'collector' });
  if (!cfg.tokensFile)
    throw new ConfigError(
      'collector.tokensFile',
      'required: the file of accepted agent tokens, one per line (HOSTWARD_TOKENS_FILE)',
    );
  let tokens: TokenSet;
  try {
    tokens = new TokenSet(cfg.tokensFile, (msg) => log.error({ err: msg }, 'tokens file reload failed'));
  } catch (e) {
    throw new ConfigError('collector.tokensFile', (e as Error).message);
  }
  const saTokens = serviceAccountVerifier(cfg, log);
  // TLS files are read before anything else starts: a wrong path stops the start naming the key.
  const tls = cfg.tls;
  const tlsInitial = tls ? tlsOptions(tls) : undefined;
  const checks = checkCatalogue(opts.catalogue);
  const sinks = opts.sinks ?? createSinks(cfg, checks);
  let closing = false;
  let store: Store | undefined;
  const metrics = createCollectorMetrics(() => store, sinks);
  const clockSkewMs = cfg.clockSkewSeconds * 1000;
  store = new Store({ file: cfg.db, sinks: sinks.map((s) => s.name), clockSkewMs });
  const db = store;
  // Before anything else is queued: a new sink's first changes are the groups already open.
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

  // The write path (ingest.ts): a worker thread with its own connection when the build has it, so
  // HTTP is served while commits go to the disk; inline otherwise. Checkpoints run in the background.
  const inline = (): Ingester => {
    pragma(db.db, 'wal_autocheckpoint = 1000');
    db.checkpointInBackground(250);
    return inlineIngester(db, log, policy);
  };
  const policy: IngestPolicy = {
    maxNodesPerToken: cfg.maxNodesPerToken,
    tokenNodeWindowMs: cfg.retention.eventsMaxAgeDays * 24 * 3600 * 1000,
  };
  const inWorker = await workerIngester({
    file: cfg.db,
    sinks: sinks.map((s) => s.name),
    policy,
    clockSkewMs,
    log,
    fallback: inline,
  });
  if (inWorker) pragma(db.db, 'wal_autocheckpoint = 0'); // the worker's store checkpoints
  const ingester = inWorker ?? inline();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      log.error({ err: e instanceof Error ? e.message : String(e), path: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
  let tlsFiles = tls ? tlsFileStamp(tls) : '';
  // An https.Server has every member of http.Server used here (timeouts, close*Connections).
  const server: Server = tlsInitial ? createTlsServer(tlsInitial, onRequest) : createServer(onRequest);
  const tlsTimer = tls
    ? setInterval(() => {
        const stamp = tlsFileStamp(tls);
        if (stamp === tlsFiles) return;
        try {
          (server as unknown as TlsServer).setSecureContext(tlsOptions(tls));
          tlsFiles = stamp;
          log.info({ certFile: tls.certFile }, 'TLS certificate reloaded');
        } catch (e) {
          // Half-written files during a rotation: keep serving with the old ones and try again.
          log.error(
            { certFile: tls.certFile, err: (e as Error).message.slice(0, 200) },
            'TLS certificate reload failed; keeping the previous one',
          );
        }
      }, TLS_RELOAD_EVERY_MS)
    : undefined;
  tlsTimer?.unref();
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;

  const outcome = (o: RequestOutcome) => metrics.requests.inc({ outcome: o });

  // The fleet page (page.ts): GET /, /new, /groups/<key> and /nodes/<name>, behind the agents' tokens.
  let pageQueries: FleetQueries | undefined;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = (req.url ?? '/').split('?', 1)[0];
    if (p === '/v1/events') {
      if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
      return postEvents(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET, HEAD');
    if (isPagePath(p)) {
      const page = servePage(req.url ?? '/', req.headers.authorization, {
        queries: (pageQueries ??= new FleetQueries(db.db)),
        sinks: sinks.map((s) => s.name),
        authorized: (h) => tokens.check(h),
        checkInfo: checks.info,
      });
      return send(res, page.status, page.type, page.body, page.headers);
    }
    // The fleet's weaknesses are worth as much to an attacker as to an operator: the read API takes the
    // same tokens as the page (Bearer, or Basic with the token as password).
    if ((p === '/v1/nodes' || p === '/v1/alerts') && !tokens.check(pageCredentials(req.headers.authorization))) {
      outcome('unauthorized');
      res.setHeader('WWW-Authenticate', 'Bearer realm="hostward collector"');
      return json(res, 401, { error: 'a collector token is required (Authorization: Bearer <token>)' });
    }
    switch (p) {
      case '/v1/nodes':
      case '/v1/alerts': {
        // One page per request (read-api.ts): the next page's cursor is in a header, the body stays an array.
        const page = listPage(db, p, (req.url ?? '').slice(p.length));
        if (!page.ok) return json(res, 400, { error: page.error } satisfies ApiError);
        return json(res, 200, page.body, page.headers);
      }
      case '/metrics':
        return send(res, 200, CONTENT_TYPE, await renderMetrics(metrics.registry));
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz':
        return db.db.isOpen && !closing
          ? send(res, 200, 'text/plain; charset=utf-8', 'ok\n')
          : send(res, 503, 'text/plain; charset=utf-8', 'not ready\n');
      default:
        return json(res, 404, { error: 'not found' });
    }
  }

  async function postEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Optional client certificates: none is fine, but one that does not verify against clientCaFile is refused.
    if (tls?.clientCaFile !== undefined && !tls.requireClientCert) {
      const sock = req.socket as TLSSocket;
      if (!sock.authorized && Object.keys(sock.getPeerCertificate()).length > 0) {
        outcome('unauthorized');
        return reject(req, res, 403, `client certificate not accepted: ${String(sock.authorizationError)}`);
      }
    }
    const who = identify(req.headers.authorization);
    if (!who.ok && who.status === 401) {
      outcome('unauthorized');
      return reject(req, res, 401, who.error, { 'WWW-Authenticate': 'Bearer realm="hostward"' });
    }
    if (!who.ok) return forbid(req, res, who.reason, who.error);
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
    const r = await ingester.ingest(body, { caller: who.caller, ...sentAt(req) });
    if (r.kind === 'bad') {
      outcome('bad_request');
      return json(res, 400, { error: r.error });
    }
    if (r.kind === 'forbidden') return forbid(req, res, r.reason, r.error, who.caller);
    if (r.kind === 'error') {
      outcome('error');
      return json(res, 503, { error: 'events could not be stored; retry' }, { 'Retry-After': '5' });
    }
    metrics.stored.inc(r.stored);
    metrics.duplicates.inc(r.duplicates);
    metrics.futureDated.inc(r.futureDated);
    if (who.caller.kind === 'unbound') unboundUse(who.caller.id);
    if (r.stored > 0) dispatcher.kick();
    outcome('accepted');
    json(res, 202, { accepted: r.accepted } satisfies EventsAccepted);
  }

  /**
   * Who a request's credential speaks for: a token of the tokens file (bound to nodes or not), else an agent's
   * projected ServiceAccount token. 401 for no valid credential; 403 for a valid one that may not write.
   */
  function identify(
    authorization: string | undefined,
  ):
    | { ok: true; caller: Caller }
    | { ok: false; status: 401; error: string }
    | { ok: false; status: 403; reason: ForbiddenReason; error: string } {
    const caller = tokens.identify(authorization);
    if (caller?.kind === 'unbound' && cfg.requireNodeBinding) {
      return {
        ok: false,
        status: 403,
        reason: 'unbound_token',
        error: 'this token is bound to no node, and collector.requireNodeBinding refuses such tokens for events',
      };
    }
    if (caller) return { ok: true, caller };
    const b = bearer(authorization);
    if (!saTokens || b === undefined || !looksLikeJwt(b))
      return { ok: false, status: 401, error: 'missing or wrong bearer token' };
    const v = saTokens.verify(b);
    if (v.ok)
      return {
        ok: true,
        caller: { kind: 'node', node: v.node, via: 'serviceaccount', id: `serviceaccount:${v.serviceAccount}` },
      };
    if (v.status === 403) return { ok: false, status: 403, reason: v.reason, error: v.detail };
    // Debug only: anyone can send a token-shaped value, and the refusal's reason is in the answer the agent logs.
    log.debug({ reason: v.reason, detail: v.detail }, 'service account token refused');
    return { ok: false, status: 401, error: `service account token refused: ${v.detail}` };
  }

  function forbid(
    req: IncomingMessage,
    res: ServerResponse,
    reason: ForbiddenReason,
    error: string,
    caller?: Caller,
  ): void {
    outcome('forbidden');
    metrics.forbidden.inc({ reason });
    log.warn({ reason, error, credential: caller?.id }, "events refused: not this credential's to write");
    reject(req, res, 403, error);
  }

  // An unbound token writes for any node: allowed, as before bindings, but said once per token and counted.
  const warnedUnbound = new Set<string>();
  function unboundUse(id: string): void {
    metrics.unbound.inc();
    if (warnedUnbound.has(id)) return;
    warnedUnbound.add(id);
    log.warn(
      { credential: id },
      'events accepted with a token bound to no node: it can write for any node; bind it (<token> node=<name-or-glob>) or use service account tokens',
    );
  }

  // Node silent: checked periodically, but not before the collector has been up for silentAfterSeconds
  // (agents could not reach a collector that was down; they are not silent, it was), measured on the
  // monotonic clock: a step of the wall clock neither ends nor stretches that grace. Steps while running
  // are handled by the store (Store.markSilent translates last-seen times); this only logs them.
  const silentMs = cfg.silentAfterSeconds * 1000;
  const startedMono = performance.now();
  let clockMark = { wall: Date.now(), mono: startedMono };
  const silentTimer = setInterval(
    () => {
      const wall = Date.now();
      const mono = performance.now();
      const stepMs = wall - clockMark.wall - (mono - clockMark.mono);
      clockMark = { wall, mono };
      if (Math.abs(stepMs) > CLOCK_STEP_TOLERANCE_MS)
        log.warn(
          { stepSeconds: Math.round(stepMs / 1000) },
          'wall clock stepped; node last-seen times moved onto the new clock',
        );
      if (mono - startedMono < silentMs || closing) return;
      ingester.markSilent(silentMs).then(
        (nodes) => {
          if (nodes.length === 0) return;
          log.warn({ nodes: nodes.slice(0, 50), count: nodes.length }, 'nodes stopped reporting');
          dispatcher.kick();
        },
        (e: unknown) => log.error({ err: (e as Error).message }, 'silent-node check failed'),
      );
    },
    Math.max(250, Math.min(30_000, silentMs / 4)),
  );
  silentTimer.unref();

  // Retention: old events are deleted in short transactions, yielding to requests between them, so a
  // backlog of millions (a first start after an upgrade) never holds the event loop.
  const maxAgeMs = cfg.retention.eventsMaxAgeDays * 24 * 3600 * 1000;
  let pruning = false;
  function prune(): void {
    if (pruning || closing) return;
    pruning = true;
    const before = Date.now() - maxAgeMs;
    let total = 0;
    const step = async (): Promise<void> => {
      if (closing) return void (pruning = false);
      let n: number;
      try {
        n = await ingester.pruneEvents(before, PRUNE_BATCH);
      } catch (e) {
        log.error({ err: (e as Error).message }, 'pruning old events failed');
        return void (pruning = false);
      }
      total += n;
      metrics.pruned.inc(n);
      if (n === PRUNE_BATCH) return void setImmediate(() => void step());
      pruning = false;
      if (total > 0) log.info({ events: total, olderThanDays: cfg.retention.eventsMaxAgeDays }, 'old events pruned');
    };
    void step();
  }
  const pruneTimer = setInterval(prune, opts.pruneEveryMs ?? PRUNE_EVERY_MS);
  pruneTimer.unref();
  setTimeout(prune, Math.min(5000, opts.pruneEveryMs ?? 5000)).unref();

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
  log.info(
    {
      port: bound,
      ingest: ingester.mode,
      db: cfg.db,
      tokens: tokens.count,
      unboundTokens: tokens.unbound,
      serviceAccountTokens: saTokens !== undefined,
      sinks: sinks.map((s) => s.name),
      schema: db.schemaVersion,
    },
    'collector listening',
  );

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    clearInterval(silentTimer);
    clearInterval(pruneTimer);
    if (tlsTimer) clearInterval(tlsTimer);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
    await serverClosed;
    await ingester.close();
    await dispatcher.close();
    for (const s of sinks) await s.close?.();
    db.close();
    log.info('collector stopped');
  }
  return { port: bound, store: db, close: () => (closed ??= close()) };
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(key, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function tlsOptions(t: CollectorTls): TlsOptions {
  return {
    cert: readPem(t.certFile, 'collector.tls.certFile'),
    key: readPem(t.keyFile, 'collector.tls.keyFile'),
    minVersion: 'TLSv1.2',
    ...(t.clientCaFile !== undefined
      ? {
          ca: readPem(t.clientCaFile, 'collector.tls.clientCaFile'),
          requestCert: true,
          rejectUnauthorized: t.requireClientCert,
        }
      : {}),
  };
}

/** Modification times and sizes of the TLS files: a change means a rotation to load. */
function tlsFileStamp(t: CollectorTls): string {
  return [t.certFile, t.keyFile, t.clientCaFile]
    .map((f) => {
      if (f === undefined) return '';
      try {
        const st = statSync(f);
        return `${st.mtimeMs}:${st.size}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/** Verifier of agents' projected ServiceAccount tokens, when collector.serviceAccountTokens is configured. */
function serviceAccountVerifier(cfg: Config['collector'], log: Logger): SaTokenVerifier | undefined {
  const sa = cfg.serviceAccountTokens;
  if (!sa) return undefined;
  const k = 'collector.serviceAccountTokens';
  if (!sa.issuer)
    throw new ConfigError(`${k}.issuer`, "required: the cluster's service account issuer (the tokens' iss)");
  if (!sa.jwksFile)
    throw new ConfigError(`${k}.jwksFile`, "required: the issuer's public keys (kubectl get --raw /openid/v1/jwks)");
  if (sa.serviceAccounts.length === 0)
    throw new ConfigError(`${k}.serviceAccounts`, "required: the agents' service accounts, namespace:name");
  try {
    return new SaTokenVerifier(
      { issuer: sa.issuer, jwksFile: sa.jwksFile, audience: sa.audience, serviceAccounts: sa.serviceAccounts },
      (msg) => log.error({ err: msg }, 'JWKS reload failed; keeping the keys read before'),
    );
  } catch (e) {
    throw new ConfigError(`${k}.jwksFile`, (e as Error).message);
  }
}

/** The agent's clock at sending (Hostward-Sent-At, ISO 8601), when given and readable. */
function sentAt(req: IncomingMessage): { sentAtMs?: number } {
  const h = req.headers['hostward-sent-at'];
  const t = typeof h === 'string' && h.length <= 40 ? Date.parse(h) : NaN;
  return Number.isFinite(t) ? { sentAtMs: t } : {};
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
function reject(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  error: string,
  headers: Record<string, string> = {},
): void {
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

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}
