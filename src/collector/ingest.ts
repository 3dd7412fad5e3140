/**
 * The write path of POST /v1/events: parse, validate, store with group commit, and the other writes of
 * fleet state (silent nodes, retention). Two ways, one interface:
 *
 * - in a worker thread (ingest-worker.ts) with its own connection: the event loop serving HTTP never waits
 *   for a commit's fsync, JSON parsing or validation, so requests keep being read while a transaction is
 *   on its way to the disk, and the next commit takes all of them;
 * - inline, on the event loop, when the built worker file is not there (tests running the TypeScript
 *   sources) or the worker died.
 *
 * Group commit: requests that arrive while a transaction runs wait for the next one, so one fsync serves
 * many agents. A request is answered only after the transaction holding its events committed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AlertEvent } from '../contracts.js';
import type { Store } from './store.js';
import { validateEvents } from './validate.js';

export type IngestOutcome =
  | { kind: 'accepted'; accepted: number; stored: number; duplicates: number }
  | { kind: 'bad'; error: string }
  | { kind: 'error' };

export interface Ingester {
  readonly mode: 'worker' | 'inline';
  ingest(body: Buffer): Promise<IngestOutcome>;
  markSilent(silentAfterMs: number): Promise<string[]>;
  pruneEvents(before: number, limit: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Most events committed in one transaction; more waiting requests go to the next one. Large enough to
 * share one fsync among many requests, small enough that a commit (some 20 to 40 µs per event) stays short.
 */
export const MAX_EVENTS_PER_COMMIT = 2000;

/** Parse and validate a request body: the events, or the 400 message naming the bad field. */
export function parseEvents(body: Uint8Array): { ok: true; events: AlertEvent[] } | { ok: false; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    return { ok: false, error: `body: malformed JSON (${(e as Error).message.slice(0, 200)})` };
  }
  return validateEvents(parsed);
}

interface Waiting {
  events: AlertEvent[];
  done: (r: { stored: number; duplicates: number } | Error) => void;
}

/** Group commit over a store: `add` queues a request's events; they are committed together on the next turn. */
export function groupCommitter(store: Store, onError: (e: Error, requests: number) => void): (events: AlertEvent[], done: Waiting['done']) => void {
  let queue: Waiting[] = [];
  let scheduled = false;
  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take]!.events.length <= MAX_EVENTS_PER_COMMIT)) n += queue[take++]!.events.length;
      const batch = queue.slice(0, take);
      queue = queue.slice(take);
      try {
        const results = store.ingest(batch.map((w) => w.events));
        batch.forEach((w, i) => w.done(results[i]!));
      } catch (e) {
        onError(e as Error, batch.length);
        for (const w of batch) w.done(e as Error);
      }
    }
  }
  return (events, done) => {
    queue.push({ events, done });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

export function inlineIngester(store: Store, log: Logger): Ingester {
  const add = groupCommitter(store, (e, requests) => log.error({ err: e.message, requests }, 'storing events failed'));
  return {
    mode: 'inline',
    ingest(body) {
      const v = parseEvents(body);
      if (!v.ok) return Promise.resolve({ kind: 'bad', error: v.error });
      return new Promise((resolve) =>
        add(v.events, (r) => resolve(r instanceof Error ? { kind: 'error' } : { kind: 'accepted', accepted: v.events.length, stored: r.stored, duplicates: r.duplicates })),
      );
    },
    markSilent: (ms) => Promise.resolve(store.markSilent(ms)),
    pruneEvents: (before, limit) => Promise.resolve(store.pruneEvents(before, limit)),
    close: () => Promise.resolve(),
  };
}

/** Messages of the worker protocol (ingest-worker.ts). */
export type ToWorker =
  | { t: 'ingest'; id: number; body: Uint8Array }
  | { t: 'silent'; id: number; ms: number }
  | { t: 'prune'; id: number; before: number; limit: number }
  | { t: 'close' };
export type FromWorker =
  | { t: 'ready' }
  | { t: 'results'; results: { id: number; r: IngestOutcome }[] }
  | { t: 'silent'; id: number; nodes?: string[]; error?: string }
  | { t: 'prune'; id: number; n?: number; error?: string }
  | { t: 'log'; msg: string; err: string; requests: number };

const WORKER_FILE = new URL('./ingest-worker.js', import.meta.url);

/**
 * The worker, or undefined when its built file is absent. `fallback` is the inline ingester that takes
 * over if the worker dies (the collector keeps accepting events, on the event loop).
 */
export async function workerIngester(opts: { file: string; sinks: readonly string[]; log: Logger; fallback: () => Ingester }): Promise<Ingester | undefined> {
  if (WORKER_FILE.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER_FILE))) return undefined;
  const w = new Worker(WORKER_FILE, { workerData: { file: opts.file, sinks: opts.sinks } });
  let nextId = 1;
  const pending = new Map<number, (m: FromWorker) => void>();
  let fallback: Ingester | undefined;
  let closing = false;
  const died = (why: string) => {
    if (fallback || closing) return;
    opts.log.error({ err: why }, 'ingest worker stopped; storing on the main thread from now on');
    fallback = opts.fallback();
    // Requests in flight were not answered: their transactions may or may not have committed; a 503
    // makes the agents re-send, and ids make the re-sends harmless.
    for (const [, resolve] of pending) resolve({ t: 'results', results: [] });
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    w.once('message', (m: FromWorker) => (m.t === 'ready' ? resolve() : reject(new Error('ingest worker: unexpected first message'))));
    w.once('error', reject);
  });
  await ready;
  w.on('message', (m: FromWorker) => {
    switch (m.t) {
      case 'results':
        for (const { id, r } of m.results) {
          const p = pending.get(id);
          pending.delete(id);
          p?.({ t: 'results', results: [{ id, r }] });
        }
        return;
      case 'silent':
      case 'prune': {
        const p = pending.get(m.id);
        pending.delete(m.id);
        p?.(m);
        return;
      }
      case 'log':
        opts.log.error({ err: m.err, requests: m.requests }, m.msg);
        return;
    }
  });
  // A worker may throw anything, not only an Error.
  w.on('error', (e) => died(e instanceof Error ? e.message : String(e)));
  w.on('exit', (code) => died(`exit code ${code}`));
  const call = (msg: ToWorker & { id: number }): Promise<FromWorker> =>
    new Promise((resolve) => {
      pending.set(msg.id, resolve);
      w.postMessage(msg);
    });
  return {
    mode: 'worker',
    async ingest(body) {
      if (fallback) return fallback.ingest(body);
      const m = await call({ t: 'ingest', id: nextId++, body });
      return m.t === 'results' && m.results[0] ? m.results[0].r : { kind: 'error' };
    },
    async markSilent(ms) {
      if (fallback) return fallback.markSilent(ms);
      const m = await call({ t: 'silent', id: nextId++, ms });
      if (m.t !== 'silent' || m.error !== undefined || !m.nodes) throw new Error(m.t === 'silent' && m.error ? m.error : 'ingest worker stopped');
      return m.nodes;
    },
    async pruneEvents(before, limit) {
      if (fallback) return fallback.pruneEvents(before, limit);
      const m = await call({ t: 'prune', id: nextId++, before, limit });
      if (m.t !== 'prune' || m.error !== undefined || m.n === undefined) throw new Error(m.t === 'prune' && m.error ? m.error : 'ingest worker stopped');
      return m.n;
    },
    async close() {
      closing = true;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage({ t: 'close' } satisfies ToWorker);
      const t = setTimeout(() => void w.terminate(), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
