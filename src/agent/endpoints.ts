/**
 * The agent's HTTP endpoints (DESIGN.md "Endpoints") on each configured address, plain or TLS as the web
 * configuration says, with who may read what:
 *
 *   /healthz, /readyz   anyone: the kubelet's probes carry no credentials, and the answer is "ok" or "not yet"
 *   /metrics            anyone without a web configuration (the Prometheus convention); else authenticated
 *   /v1/report          authenticated only: it lists every failing check with its evidence. With no
 *                       authentication configured it is refused (403), saying how to turn it on.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { OwnListener } from '../contracts.js';
import type { WebGuard } from './web-auth.js';

export interface EndpointState {
  metrics(): Promise<{ type: string; body: string }>;
  /** The last report as JSON, or undefined before the first scan. */
  report(): string | undefined;
}

export interface Endpoints {
  /** The port actually listened on (the same on every address). */
  port: number;
  /** What each address serves without authentication, for the scans (ctx.ownListeners). */
  listeners(): OwnListener[];
  /** Stop accepting; idle connections are closed now, the rest when `drained` settles. */
  close(drained: Promise<unknown>): Promise<void>;
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const METRICS_REVEAL = "every check's status, so which weaknesses this node has";

export const REPORT_REFUSED =
  'GET /v1/report lists every failing check with its evidence, so it answers authenticated requests only, ' +
  'and no authentication is configured. Give the agent a web configuration file (agent.webConfigFile, ' +
  '--web.config.file or HOSTWARD_WEB_CONFIG_FILE) with basic_auth_users, bearer_tokens_file, or ' +
  'tls_server_config.client_auth_type RequireAndVerifyClientCert; see deploy/README.md ("What the agent ' +
  'exposes"). /metrics carries the same statuses without the evidence.';

type Headers = Record<string, string | string[]>;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Headers = {}): void {
  const length = Buffer.byteLength(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': length, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

const ok = (res: ServerResponse) => send(res, 200, TEXT_TYPE, 'ok\n');
const error = (res: ServerResponse, status: number, message: string, headers: Headers = {}) =>
  send(res, status, JSON_TYPE, JSON.stringify({ error: message }), headers);

export interface EndpointOptions {
  addresses: readonly string[];
  port: number;
  guard: WebGuard;
  state: EndpointState;
  log: Logger;
}

export async function serveEndpoints(opts: EndpointOptions): Promise<Endpoints> {
  const { servers, port } = await listenAll(opts, requestHandler(opts));
  return {
    port,
    listeners: () => ownListeners(opts, port),
    close: (drained) => closeServers(servers, drained),
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** GET and HEAD only; a failure is logged and answered 500 (or the connection cut when the answer had begun). */
function requestHandler(opts: EndpointOptions): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      error(res, 405, `method ${req.method ?? ''} not allowed`, { Allow: 'GET, HEAD' });
      return;
    }
    route(opts, req, res, path).catch((e: unknown) => {
      opts.log.error({ err: e instanceof Error ? e.message : String(e), path }, 'request failed');
      if (!res.headersSent) error(res, 500, 'internal error');
      else res.destroy();
    });
  };
}

async function route(opts: EndpointOptions, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const { guard, state } = opts;
  if (path === '/healthz') return ok(res);
  if (path === '/readyz') {
    return state.report() === undefined ? send(res, 503, TEXT_TYPE, 'first scan not done\n') : ok(res);
  }
  if (path !== '/metrics' && path !== '/v1/report') return error(res, 404, 'not found');
  if (path === '/v1/report' && guard.methods().length === 0) return error(res, 403, REPORT_REFUSED);
  const v = await guard.authenticate(req);
  if (!v.ok) return error(res, v.status, v.error, v.challenge ? { 'WWW-Authenticate': v.challenge } : {});
  if (path === '/metrics') {
    const m = await state.metrics();
    return send(res, 200, m.type, m.body);
  }
  const report = state.report();
  return report === undefined ? error(res, 503, 'first scan not done') : send(res, 200, JSON_TYPE, report);
}

/** One server per address, all on the same port (port 0: the one the first address got). */
async function listenAll(opts: EndpointOptions, onRequest: Handler): Promise<{ servers: Server[]; port: number }> {
  const { guard, log } = opts;
  const servers: Server[] = [];
  // A rotated certificate (a Secret updated in place) is loaded before the next handshake: this listener
  // runs ahead of the TLS server's own, which reads the secure context.
  const reload = (): void => {
    if (!guard.refresh() || !guard.tls) return;
    for (const s of servers) (s as unknown as HttpsServer).setSecureContext(guard.tlsOptions());
  };
  let port = opts.port;
  try {
    for (const address of opts.addresses) {
      const tls = guard.tls ? (createTlsServer(guard.tlsOptions(), onRequest) as unknown as Server) : undefined;
      const server = tls ?? createServer(onRequest);
      // Scrapes are small; don't let a slow client hold a socket for long.
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
      server.prependListener('connection', reload);
      servers.push(server);
      await listen(server, port, address);
      port = (server.address() as AddressInfo).port; // port 0: every address gets the port the first one got
      server.on('error', (e) => log.error({ err: e.message }, 'server error'));
    }
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw e;
  }
  return { servers, port };
}

/** What each address serves without authentication, for the scans (ctx.ownListeners). */
function ownListeners(opts: EndpointOptions, port: number): OwnListener[] {
  const authentication = opts.guard.methods();
  const open = authentication.length > 0 ? [] : [{ path: '/metrics', reveals: METRICS_REVEAL }];
  const tls = opts.guard.tls;
  const pid = process.pid;
  return opts.addresses.map((address) => ({
    service: 'hostward agent',
    address,
    port,
    protocol: 'tcp',
    tls,
    authentication,
    open,
    pid,
  }));
}

/** Stop accepting; idle connections are closed now, the rest once `drained` settles. */
async function closeServers(servers: readonly Server[], drained: Promise<unknown>): Promise<void> {
  const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
  for (const s of servers) s.closeIdleConnections();
  await drained.catch(() => undefined);
  // Anything still open after the scan finished is a slow client; cut it.
  for (const s of servers) s.closeAllConnections();
  await Promise.all(closed);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
