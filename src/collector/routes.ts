/**
 * The collector's HTTP routes: POST /v1/events (the agents' writes), the read API and the fleet page behind the
 * collector's tokens, and /metrics, /healthz, /readyz.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ApiError, EventsAccepted } from '../contracts.js';
import { CONTENT_TYPE, renderMetrics } from '../metrics/render.js';
import type { Caller } from './auth.js';
import type { CollectorContext } from './context.js';
import { identify } from './credentials.js';
import { json, methodNotAllowed, readBody, reject, send, sentAt } from './http.js';
import type { ForbiddenReason } from './ingest.js';
import type { RequestOutcome } from './metrics.js';
import { isPagePath, pageCredentials, servePage } from './page.js';
import { FleetQueries } from './queries.js';
import { listPage } from './read-api.js';

/** The server's request listener: every route, and a 500 (or a cut connection) for what throws. */
export function requestListener(ctx: CollectorContext): (req: IncomingMessage, res: ServerResponse) => void {
  const events = new EventsRoute(ctx);
  // The fleet page's queries, prepared on the first view.
  let pageQueries: FleetQueries | undefined;
  const page = () => (pageQueries ??= new FleetQueries(ctx.db.db));
  return (req, res) => {
    route(ctx, req, res, events, page).catch((e: unknown) => {
      ctx.log.error({ err: e instanceof Error ? e.message : String(e), path: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
}

async function route(
  ctx: CollectorContext,
  req: IncomingMessage,
  res: ServerResponse,
  events: EventsRoute,
  pageQueries: () => FleetQueries,
): Promise<void> {
  const p = (req.url ?? '/').split('?', 1)[0];
  if (p === '/v1/events') {
    if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
    return events.post(req, res);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET, HEAD');
  // The fleet page (page.ts): GET /, /new, /groups/<key> and /nodes/<name>, behind the agents' tokens.
  if (isPagePath(p)) {
    const page = servePage(req.url ?? '/', req.headers.authorization, {
      queries: pageQueries(),
      sinks: ctx.sinks.map((s) => s.name),
      authorized: (h) => ctx.credentials.tokens.check(h),
      checkInfo: ctx.checks.info,
    });
    return send(res, page.status, page.type, page.body, page.headers);
  }
  switch (p) {
    case '/v1/nodes':
    case '/v1/alerts':
      return readApi(ctx, req, res, p);
    case '/metrics':
      return send(res, 200, CONTENT_TYPE, await renderMetrics(ctx.metrics.registry));
    case '/healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    case '/readyz':
      return ctx.db.db.isOpen && !ctx.closing()
        ? send(res, 200, 'text/plain; charset=utf-8', 'ok\n')
        : send(res, 503, 'text/plain; charset=utf-8', 'not ready\n');
    default:
      return json(res, 404, { error: 'not found' });
  }
}

/**
 * GET /v1/nodes and /v1/alerts, one page per request (read-api.ts): the next page's cursor is in a header, the body
 * stays an array. The fleet's weaknesses are worth as much to an attacker as to an operator: the read API takes
 * the same tokens as the page (Bearer, or Basic with the token as password).
 */
function readApi(
  ctx: CollectorContext,
  req: IncomingMessage,
  res: ServerResponse,
  p: '/v1/nodes' | '/v1/alerts',
): void {
  if (!ctx.credentials.tokens.check(pageCredentials(req.headers.authorization))) {
    ctx.metrics.requests.inc({ outcome: 'unauthorized' });
    res.setHeader('WWW-Authenticate', 'Bearer realm="hostward collector"');
    return json(res, 401, { error: 'a collector token is required (Authorization: Bearer <token>)' });
  }
  const page = listPage(ctx.db, p, (req.url ?? '').slice(p.length));
  if (!page.ok) return json(res, 400, { error: page.error } satisfies ApiError);
  return json(res, 200, page.body, page.headers);
}

/** POST /v1/events: who sent it, whether they may, the body within its limit; 202 once the events are committed. */
class EventsRoute {
  /** Unbound tokens already warned about, by credential id: said once per token. */
  private readonly warnedUnbound = new Set<string>();

  constructor(private readonly ctx: CollectorContext) {}

  private outcome(o: RequestOutcome): void {
    this.ctx.metrics.requests.inc({ outcome: o });
  }

  async post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const caller = this.admit(req, res);
    if (!caller) return;
    const max = this.ctx.cfg.maxBodyBytes;
    const body = await readBody(req, max);
    if (body === 'too large') {
      this.outcome('too_large');
      return reject(req, res, 413, `body larger than ${max} bytes`);
    }
    if (body === 'aborted') return;
    const r = await this.ctx.ingester.ingest(body, { caller, ...sentAt(req) });
    if (r.kind === 'bad') {
      this.outcome('bad_request');
      return json(res, 400, { error: r.error });
    }
    if (r.kind === 'forbidden') return this.forbid(req, res, r.reason, r.error, caller);
    if (r.kind === 'error') {
      this.outcome('error');
      return json(res, 503, { error: 'events could not be stored; retry' }, { 'Retry-After': '5' });
    }
    const m = this.ctx.metrics;
    m.stored.inc(r.stored);
    m.duplicates.inc(r.duplicates);
    m.futureDated.inc(r.futureDated);
    if (caller.kind === 'unbound') this.unboundUse(caller.id);
    if (r.stored > 0) this.ctx.dispatcher.kick();
    this.outcome('accepted');
    json(res, 202, { accepted: r.accepted } satisfies EventsAccepted);
  }

  /** The caller when the request may be read, else undefined with the refusal answered (before the body). */
  private admit(req: IncomingMessage, res: ServerResponse): Caller | undefined {
    const { cfg, credentials, log } = this.ctx;
    // Optional client certificates: none is fine, but one that does not verify against clientCaFile is refused.
    if (cfg.tls?.clientCaFile !== undefined && !cfg.tls.requireClientCert) {
      const sock = req.socket as TLSSocket;
      if (!sock.authorized && Object.keys(sock.getPeerCertificate()).length > 0) {
        this.outcome('unauthorized');
        return void reject(req, res, 403, `client certificate not accepted: ${String(sock.authorizationError)}`);
      }
    }
    const who = identify(credentials, req.headers.authorization, cfg.requireNodeBinding, log);
    if (!who.ok && who.status === 401) {
      this.outcome('unauthorized');
      return void reject(req, res, 401, who.error, { 'WWW-Authenticate': 'Bearer realm="hostward"' });
    }
    if (!who.ok) return void this.forbid(req, res, who.reason, who.error);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > cfg.maxBodyBytes) {
      this.outcome('too_large');
      return void reject(req, res, 413, `body larger than ${cfg.maxBodyBytes} bytes`);
    }
    return who.caller;
  }

  private forbid(
    req: IncomingMessage,
    res: ServerResponse,
    reason: ForbiddenReason,
    error: string,
    caller?: Caller,
  ): void {
    this.outcome('forbidden');
    this.ctx.metrics.forbidden.inc({ reason });
    this.ctx.log.warn({ reason, error, credential: caller?.id }, "events refused: not this credential's to write");
    reject(req, res, 403, error);
  }

  /** An unbound token writes for any node: allowed, as before bindings, but said once per token and counted. */
  private unboundUse(id: string): void {
    this.ctx.metrics.unbound.inc();
    if (this.warnedUnbound.has(id)) return;
    this.warnedUnbound.add(id);
    this.ctx.log.warn(
      { credential: id },
      'events accepted with a token bound to no node: it can write for any node; bind it (<token> node=<name-or-glob>) or use service account tokens',
    );
  }
}
