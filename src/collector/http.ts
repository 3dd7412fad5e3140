/**
 * The collector's answers over node:http: JSON and text bodies that are never cached, bounded request bodies, and
 * refusals that drain what the client is still sending before the connection is cut.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from '../contracts.js';

/** The agent's clock at sending (Hostward-Sent-At, ISO 8601), when given and readable. */
export function sentAt(req: IncomingMessage): { sentAtMs?: number } {
  const h = req.headers['hostward-sent-at'];
  const t = typeof h === 'string' && h.length <= 40 ? Date.parse(h) : NaN;
  return Number.isFinite(t) ? { sentAtMs: t } : {};
}

export function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
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
export function reject(
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

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large' | 'aborted'> {
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

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', JSON.stringify(body), headers);
}

export function send(
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
