/**
 * Delivers the outbox to the collector (POST /v1/events), oldest first, in batches of at most
 * MAX_EVENTS_PER_REQUEST, with the bearer token read from a file at each attempt (so a rotated token is
 * picked up; it is never logged). An event leaves the outbox only when the collector answered 2xx.
 *
 * Failures, by class:
 * - network error, timeout, 408, 429, 5xx: retried with exponential back-off and full jitter
 *   (Retry-After honoured up to the maximum);
 * - 400, 413, 422 (the batch itself is refused): the batch is halved until the refused event is alone;
 *   that event is set aside in `rejected.ndjson`, logged, counted (hostward_alerts_refused_total) and handed
 *   to onRefused (which raises the agent's own alert), and delivery goes on; so a bad event is not retried
 *   forever, does not block the others, and is never lost silently;
 * - any other 4xx (401, 403, 404: configuration): logged, counted, retried at the maximum back-off,
 *   never dropped (fixing the token or URL resumes delivery). A 403 is also a credential that may not write
 *   these events (another node's name, a token beyond its node bound): the collector's answer says which.
 */
import { appendFileSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { MAX_EVENTS_PER_REQUEST, WIRE_VERSION } from '../contracts.js';
import type { AlertEvent } from '../contracts.js';
import type { Outbox, PendingEvent } from './outbox.js';
import type { AlertMetrics } from './metrics.js';
import { AGENT_SINK } from './metrics.js';
import { VERSION } from '../version.js';

export interface SenderOptions {
  outbox: Outbox;
  /** The collector's base URL (…/v1/events is appended unless already there). */
  url: string;
  tokenFile?: string;
  log: Logger;
  metrics: AlertMetrics;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /** Most events per request (default and upper bound: MAX_EVENTS_PER_REQUEST). */
  maxBatch?: number;
  /** Largest batch body, roughly (default 1 MiB). */
  maxBatchBytes?: number;
  /** Where refused events are set aside (NDJSON, bounded to about 1 MiB). */
  rejectedFile: string;
  /** For an https:// URL: CA bundle for the collector's certificate, client certificate and key (mTLS), PEM files. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** An event the collector refused was set aside (after it was counted and written to rejectedFile). */
  onRefused?: (event: AlertEvent, why: string) => void;
  /** The collector acknowledged these events. */
  onDelivered?: (events: readonly AlertEvent[]) => void;
}

export type SendOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; afterMs?: number; why: string }
  | { kind: 'refused'; why: string }
  | { kind: 'config'; why: string };

/** Map an HTTP status to what the sender does about it. */
export function classify(status: number): 'ok' | 'retry' | 'refused' | 'config' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 400 || status === 413 || status === 422) return 'refused';
  return 'config';
}

/** Full-jitter exponential back-off: uniform in [0, min(max, initial * 2^attempt)], at least 1 ms. */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 40));
  return Math.max(1, Math.floor(random() * cap));
}

export class Sender {
  private closed = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inflight: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private attempt = 0;
  private batchLimit: number;
  private readonly maxBatch: number;
  private readonly endpoint: string;
  private readonly log: Logger;
  private https: { agent: HttpsAgent; stamp: string } | undefined;

  constructor(private readonly opts: SenderOptions) {
    const u = opts.url.replace(/\/+$/, '');
    this.endpoint = u.endsWith('/v1/events') ? u : `${u}/v1/events`;
    this.log = opts.log.child({ sink: AGENT_SINK });
    this.maxBatch = Math.max(1, Math.min(MAX_EVENTS_PER_REQUEST, opts.maxBatch ?? MAX_EVENTS_PER_REQUEST));
    this.batchLimit = this.maxBatch;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New events are in the outbox: send now rather than at the next tick. */
  kick(): void {
    if (this.attempt === 0) this.wakeUp();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.inflight?.abort();
    this.wakeUp();
    await this.loop;
    this.https?.agent.destroy();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => this.wakeUp(), ms);
      this.timer.unref();
    });
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.step();
      } catch (e) {
        // Nothing here may end delivery for good (the loop's rejection would also take the agent down):
        // log, back off, and try again.
        const wait = backoffMs(this.attempt, this.opts.retryInitialMs, this.opts.retryMaxMs);
        this.attempt++;
        this.log.error(
          { err: (e as NodeJS.ErrnoException).code ?? (e as Error).message, retryInMs: wait },
          'alert delivery loop failed; will retry',
        );
        await this.sleep(wait);
      }
    }
  }

  /** One batch: peek, send, act on the outcome. */
  private async step(): Promise<void> {
    const { outbox } = this.opts;
    outbox.enforceBounds();
    const batch = outbox.peek(this.batchLimit, this.opts.maxBatchBytes ?? 1024 * 1024);
    if (batch.length === 0) {
      await this.sleep(10_000);
      return;
    }
    const outcome = await this.send(batch);
    if (this.closed) return;
    const last = batch[batch.length - 1]!;
    switch (outcome.kind) {
      case 'ok':
        outbox.ack(last.seq);
        this.opts.metrics.sent.inc({ sink: AGENT_SINK }, batch.length);
        this.notify(() => this.opts.onDelivered?.(batch.map((p) => p.event)));
        if (this.attempt > 0)
          this.log.info({ events: batch.length, attempts: this.attempt + 1 }, 'collector reachable again; delivering');
        this.attempt = 0;
        this.batchLimit = this.maxBatch;
        break;
      case 'retry': {
        this.opts.metrics.failed.inc({ sink: AGENT_SINK }, batch.length);
        const wait = Math.min(
          this.opts.retryMaxMs,
          Math.max(outcome.afterMs ?? 0, backoffMs(this.attempt, this.opts.retryInitialMs, this.opts.retryMaxMs)),
        );
        this.attempt++;
        this.log.warn(
          { why: outcome.why, events: batch.length, retryInMs: wait, attempt: this.attempt },
          'delivery to collector failed; will retry',
        );
        await this.sleep(wait);
        break;
      }
      case 'refused':
        this.opts.metrics.failed.inc({ sink: AGENT_SINK }, batch.length);
        if (batch.length > 1) {
          this.batchLimit = Math.ceil(batch.length / 2);
          this.log.warn(
            { why: outcome.why, events: batch.length },
            'collector refused a batch; retrying in halves to isolate the refused event',
          );
        } else {
          this.setAside(batch[0]!, outcome.why);
          outbox.ack(last.seq);
          this.opts.metrics.refused.inc({ sink: AGENT_SINK });
          this.notify(() => this.opts.onRefused?.(batch[0]!.event, outcome.why));
        }
        break;
      case 'config':
        this.opts.metrics.failed.inc({ sink: AGENT_SINK }, batch.length);
        this.attempt++;
        this.log.error(
          { why: outcome.why, url: this.endpoint, retryInMs: this.opts.retryMaxMs },
          'collector refused the agent (check the token file and collector URL); will retry',
        );
        await this.sleep(this.opts.retryMaxMs);
        break;
    }
  }

  /** A callback's failure is logged; it must not stop delivery or undo an acknowledgement. */
  private notify(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(
        { err: (e as NodeJS.ErrnoException).code ?? (e as Error).message },
        'alert delivery callback failed',
      );
    }
  }

  private token(): string | undefined {
    if (!this.opts.tokenFile) return undefined;
    try {
      return readFileSync(this.opts.tokenFile, 'utf8').trim() || undefined;
    } catch (e) {
      this.log.error(
        { tokenFile: this.opts.tokenFile, err: (e as NodeJS.ErrnoException).code ?? 'unreadable' },
        'token file unreadable',
      );
      return undefined;
    }
  }

  private async send(batch: readonly PendingEvent[]): Promise<SendOutcome> {
    const body = '[' + batch.map((p) => JSON.stringify(p.event)).join(',') + ']';
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `hostward/${VERSION}`,
      'Hostward-Wire-Version': String(WIRE_VERSION),
      // The agent's clock at sending: the collector measures the node's clock against its own with it.
      'Hostward-Sent-At': new Date().toISOString(),
    };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const ac = new AbortController();
    this.inflight = ac;
    const timer = setTimeout(() => ac.abort(), this.opts.timeoutMs ?? 15_000);
    try {
      const res =
        this.opts.tls && this.endpoint.startsWith('https:')
          ? await this.postTls(headers, body, ac.signal)
          : await this.postFetch(headers, body, ac.signal);
      const text = res.text;
      const kind = classify(res.status);
      const why = `HTTP ${res.status}${text ? `: ${errorText(text)}` : ''}`;
      if (kind === 'ok') return { kind };
      if (kind === 'retry') {
        const ra = retryAfterMs(res.retryAfter);
        return ra === undefined ? { kind, why } : { kind, why, afterMs: ra };
      }
      return { kind, why };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      return { kind: 'retry', why: err.name === 'AbortError' ? 'timeout' : (err.cause?.code ?? err.message) };
    } finally {
      clearTimeout(timer);
      this.inflight = undefined;
    }
  }

  private async postFetch(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const res = await fetch(this.endpoint, { method: 'POST', headers, body, signal });
    return { status: res.status, text: await res.text().catch(() => ''), retryAfter: res.headers.get('retry-after') };
  }

  /** node:https with the configured CA and client certificate (fetch takes neither without undici). */
  private postTls(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const agent = this.tlsAgent();
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        this.endpoint,
        { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, agent, signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if ((size += c.length) <= 64 * 1024) chunks.push(c);
          });
          res.on('end', () => {
            const ra = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              retryAfter: typeof ra === 'string' ? ra : null,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', (e: Error & { code?: string }) =>
        reject(Object.assign(new Error(e.message), { name: e.name, cause: { code: e.code } })),
      );
      req.end(body);
    });
  }

  /** A keep-alive agent with the PEM files, rebuilt when one of them changes (certificate rotation). */
  private tlsAgent(): HttpsAgent {
    const t = this.opts.tls ?? {};
    const files = [t.caFile, t.certFile, t.keyFile];
    const stamp = files.map((f) => (f === undefined ? '' : `${statSafe(f)}:${mtimeSafe(f)}`)).join('|');
    if (this.https?.stamp === stamp) return this.https.agent;
    this.https?.agent.destroy();
    // Unreadable files throw here: a network-class failure, retried with back-off (the path is logged, never the
    // contents).
    const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
    const ca = read(t.caFile);
    const cert = read(t.certFile);
    const key = read(t.keyFile);
    const agent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 1,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    });
    this.https = { agent, stamp };
    return agent;
  }

  private setAside(p: PendingEvent, why: string): void {
    const file = this.opts.rejectedFile;
    this.log.error(
      { eventId: p.event.id, check: p.event.check, why, file },
      'collector refused an event; set aside, not retried',
    );
    try {
      // Bounded: start over past 1 MiB (the log line above keeps the record).
      if (statSafe(file) > 1024 * 1024) truncateSync(file, 0);
      appendFileSync(file, JSON.stringify({ why, event: p.event }) + '\n', { mode: 0o600 });
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'cannot write the rejected-events file');
    }
  }
}

function statSafe(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

function mtimeSafe(f: string): number {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return 0;
  }
}

function errorText(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: unknown };
    if (typeof v.error === 'string') return v.error.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}

function retryAfterMs(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : undefined;
}
