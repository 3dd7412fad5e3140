/**
 * The one HTTP helper every network sink uses: POST a JSON body with a timeout and map the answer to the
 * delivery queue's vocabulary. 2xx resolves; 429 is retryable and carries Retry-After (seconds or an
 * HTTP-date); 5xx, timeouts and network errors are retryable; any other status (4xx, a redirect) is a
 * configuration error: permanent, so the queue logs and counts it instead of retrying forever.
 *
 * Error messages name the sink, the status and the receiver's short answer, never the URL (a Slack
 * webhook URL is itself the secret); strings listed in `redact` are masked wherever they appear, in any case
 * and percent-encoded (redact.ts).
 */
import { SinkError } from '../collector/sink.js';
import type { HttpAnswer } from '../collector/sink.js';
import { redactSecrets, redactText as redactOnly } from './redact.js';

export type { HttpAnswer } from '../collector/sink.js';

export interface PostJsonOptions {
  /** Who is speaking, for error messages: "slack", "pagerduty". */
  what: string;
  /** The delivery queue's signal (aborts on collector shutdown). */
  signal?: AbortSignal;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Secrets that must never appear in an error message. */
  redact?: readonly string[];
  /** Wait this long after a 429 that has no usable Retry-After (PagerDuty asks for minutes). */
  default429Ms?: number;
  /** The body is already serialized JSON (a signed webhook signs exactly these bytes). */
  serialized?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** How much of a receiver's error body goes into an error message. */
const BODY_EXCERPT = 200;

/** Retry-After as milliseconds: delta-seconds or an HTTP-date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date names its day and month ("Tue, 24 Nov 2026 10:00:07 GMT"); bare numbers like "-5" are not dates.
  if (!/^[A-Za-z]{3},/.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/**
 * Mask `secrets` and every secret a sink of this process registered (redact.ts: one module for every
 * message's way out): one sink's receiver may echo another's.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return redactSecrets(redactOnly(text, secrets));
}

/** Map a received status to success or a typed SinkError (exported so the classification is testable alone). */
export function classify(
  answer: HttpAnswer,
  retryAfter: string | null,
  opts: Pick<PostJsonOptions, 'what' | 'redact' | 'default429Ms'>,
): void {
  const { status } = answer;
  if (status >= 200 && status < 300) return;
  const excerpt = redactText(answer.body.replace(/\s+/g, ' ').trim().slice(0, BODY_EXCERPT), opts.redact);
  const msg = `${opts.what}: HTTP ${status}${excerpt ? ` ${excerpt}` : ''}`;
  const shown: HttpAnswer = { status, body: excerpt };
  if (status === 429) {
    const ms = parseRetryAfter(retryAfter) ?? opts.default429Ms;
    throw new SinkError(`${msg} (rate limited)`, false, ms, shown);
  }
  if (status >= 500) throw new SinkError(msg, false, parseRetryAfter(retryAfter), shown);
  if (status === 408) throw new SinkError(msg, false, undefined, shown);
  throw new SinkError(`${msg} (configuration error; not retried)`, true, undefined, shown);
}

/** POST `body` as JSON to `url`; resolves with the answer on 2xx, throws SinkError otherwise. */
export async function postJson(url: string, body: unknown, opts: PostJsonOptions): Promise<HttpAnswer> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/plain', ...opts.headers },
      body: opts.serialized && typeof body === 'string' ? body : JSON.stringify(body),
      signal,
      redirect: 'manual',
    });
    text = await res.text();
  } catch (e) {
    if (opts.signal?.aborted) throw new SinkError(`${opts.what}: aborted`, false);
    if (timeout.aborted) throw new SinkError(`${opts.what}: no answer within ${timeoutMs} ms`, false);
    throw new SinkError(`${opts.what}: ${redactText(networkReason(e), opts.redact)}`, false);
  }
  const answer = { status: res.status, body: text };
  classify(answer, res.headers.get('retry-after'), opts);
  return { status: answer.status, body: redactText(text.slice(0, 4096), opts.redact) };
}

function networkReason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string')
    return `network error ${cause.code}`;
  // undici's own refusals ("bad port") carry the reason only in the cause's message.
  if (cause instanceof Error && cause.message) return `network error: ${cause.message}`;
  return `network error: ${e.message}`;
}

/**
 * At most one send per `intervalMs`, in call order (Slack: one message per second per webhook). A 429's
 * Retry-After pushes the next slot out too.
 */
export class RateLimiter {
  private next = 0;
  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the caller may send; the slot is taken on return. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    const wait = at - now;
    if (wait <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      const onAbort = () => {
        clearTimeout(t);
        reject(new SinkError('aborted while rate limited', false));
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The receiver asked us to hold off until now + ms. */
  holdFor(ms: number): void {
    this.next = Math.max(this.next, this.now() + ms);
  }
}

/**
 * At most `limit` sends in any rolling `windowMs` (PagerDuty: about 120 events per minute per routing
 * key). Bursts up to the limit go at once; beyond it the caller waits, and what it has not sent stays in
 * the persistent queue. Share one per routing key across sinks (see `sharedWindowLimiter`).
 */
export class WindowLimiter {
  /** Send times (or reserved slots) inside the window, oldest first. */
  private readonly sent: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the caller may send; the slot is taken on return. Callers are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.chain.then(() => this.take(signal));
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return;
      }
      await sleepUnlessAborted(this.sent[0]! + this.windowMs - now, signal);
    }
  }
}

const sharedLimiters = new Map<string, WindowLimiter>();

/** One limiter per key (a routing key: PagerDuty counts per key, however many sinks use it). */
export function sharedWindowLimiter(key: string, limit: number, windowMs: number): WindowLimiter {
  const id = `${limit}/${windowMs}/${key}`;
  let l = sharedLimiters.get(id);
  if (!l) sharedLimiters.set(id, (l = new WindowLimiter(limit, windowMs)));
  return l;
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(1, ms),
    );
    const onAbort = () => {
      clearTimeout(t);
      reject(new SinkError('aborted while rate limited', false));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
