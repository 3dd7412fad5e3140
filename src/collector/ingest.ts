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
import { COLLECTOR_CHECKS } from '../contracts.js';
import type { AlertEvent } from '../contracts.js';
import type { Caller } from './auth.js';
import { nodeMatches } from './auth.js';
import type { IngestResult, Store } from './store.js';
import { validateEvents } from './validate.js';

/**
 * Why a request with a valid credential was refused (403), the `reason` of hostward_collector_events_forbidden_total.
 */
export const FORBIDDEN_REASONS = [
  'node_mismatch',
  'node_limit',
  'collector_check',
  'unbound_token',
  'service_account',
  'no_node_claim',
] as const;
export type ForbiddenReason = (typeof FORBIDDEN_REASONS)[number];

export type IngestOutcome =
  | { kind: 'accepted'; accepted: number; stored: number; duplicates: number; futureDated: number }
  | { kind: 'bad'; error: string }
  | { kind: 'forbidden'; reason: ForbiddenReason; error: string }
  | { kind: 'error' };

/** What the collector knows of a request besides its body. */
export interface RequestMeta {
  caller: Caller;
  /** The agent's clock when it sent the request (Hostward-Sent-At), ms since the epoch. */
  sentAtMs?: number;
}

/** The bounds applied to every request, the same on the worker and inline. */
export interface IngestPolicy {
  /** Most distinct node names one static token writes for within the window; 0: no bound. */
  maxNodesPerToken: number;
  tokenNodeWindowMs: number;
}

/**
 * Whether the caller may write these events: each for a node it speaks for, none of the collector's own
 * checks, and a token's distinct node names within its bound. Undefined when admitted.
 */
export function admit(
  store: Store,
  events: readonly AlertEvent[],
  caller: Caller,
  policy: IngestPolicy,
): { reason: ForbiddenReason; error: string } | undefined {
  for (const [i, e] of events.entries()) {
    const ok =
      caller.kind === 'unbound' ||
      (caller.kind === 'node' ? e.node === caller.node : nodeMatches(caller.pattern, e.node));
    if (!ok) {
      const mine =
        caller.kind === 'node' ? `node ${caller.node}` : caller.kind === 'pattern' ? `nodes ${caller.pattern}` : '';
      return {
        reason: 'node_mismatch',
        error: `[${i}].node: ${JSON.stringify(e.node)} is not this credential's node (it speaks for ${mine})`,
      };
    }
    if (COLLECTOR_CHECKS.includes(e.check))
      return { reason: 'collector_check', error: `[${i}].check: ${e.check} is raised by the collector only` };
  }
  if (caller.kind === 'node') return undefined;
  const nodes = events.map((e) => e.node);
  const inUse = store.admitNodes(caller.id, nodes, policy.maxNodesPerToken, policy.tokenNodeWindowMs);
  if (inUse === undefined) return undefined;
  return {
    reason: 'node_limit',
    error: `this token already wrote for ${inUse} node names (collector.maxNodesPerToken ${policy.maxNodesPerToken}); a new one is refused`,
  };
}

export interface Ingester {
  readonly mode: 'worker' | 'inline';
  ingest(body: Buffer, meta: RequestMeta): Promise<IngestOutcome>;
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
  sentAtMs: number | undefined;
  done: (r: IngestResult | Error) => void;
}

/** Group commit over a store: `add` queues a request's events; they are committed together on the next turn. */
export function groupCommitter(
  store: Store,
  onError: (e: Error, requests: number) => void,
): (events: AlertEvent[], sentAtMs: number | undefined, done: Waiting['done']) => void {
  let queue: Waiting[] = [];
  let scheduled = false;
  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take]!.events.length <= MAX_EVENTS_PER_COMMIT))
        n += queue[take++]!.events.length;
      const batch = queue.slice(0, take);
      queue = queue.slice(take);
      try {
        const results = store.ingest(
          batch.map((w) => w.events),
          batch.map((w) => w.sentAtMs),
        );
        batch.forEach((w, i) => w.done(results[i]!));
      } catch (e) {
        onError(e as Error, batch.length);
        for (const w of batch) w.done(e as Error);
      }
    }
  }
  return (events, sentAtMs, done) => {
    queue.push({ events, sentAtMs, done });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

/** Parse, validate, admit and queue one request; `answer` gets its outcome once its transaction committed. */
export function ingestRequest(
  store: Store,
  add: ReturnType<typeof groupCommitter>,
  policy: IngestPolicy,
  body: Uint8Array,
  meta: RequestMeta,
  answer: (r: IngestOutcome) => void,
): void {
  const v = parseEvents(body);
  if (!v.ok) return answer({ kind: 'bad', error: v.error });
  const refused = admit(store, v.events, meta.caller, policy);
  if (refused) return answer({ kind: 'forbidden', ...refused });
  const n = v.events.length;
  add(v.events, meta.sentAtMs, (r) =>
    answer(r instanceof Error ? { kind: 'error' } : { kind: 'accepted', accepted: n, ...r }),
  );
}

export function inlineIngester(store: Store, log: Logger, policy: IngestPolicy): Ingester {
  const add = groupCommitter(store, (e, requests) => log.error({ err: e.message, requests }, 'storing events failed'));
  return {
    mode: 'inline',
    ingest: (body, meta) => new Promise((resolve) => ingestRequest(store, add, policy, body, meta, resolve)),
    markSilent: (ms) => Promise.resolve(store.markSilent(ms)),
    pruneEvents: (before, limit) => Promise.resolve(store.pruneEvents(before, limit)),
    close: () => Promise.resolve(),
  };
}

/** Messages of the worker protocol (ingest-worker.ts). */
export type ToWorker =
  | { t: 'ingest'; id: number; body: Uint8Array; meta: RequestMeta }
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

/** What the worker thread is started with. */
export interface WorkerData {
  file: string;
  sinks: readonly string[];
  policy: IngestPolicy;
  clockSkewMs: number;
}

/**
 * The worker, or undefined when its built file is absent. `fallback` is the inline ingester that takes
 * over if the worker dies (the collector keeps accepting events, on the event loop).
 */
export async function workerIngester(
  opts: WorkerData & { log: Logger; fallback: () => Ingester },
): Promise<Ingester | undefined> {
  if (WORKER_FILE.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER_FILE))) return undefined;
  const data: WorkerData = { file: opts.file, sinks: opts.sinks, policy: opts.policy, clockSkewMs: opts.clockSkewMs };
  const w = new Worker(WORKER_FILE, { workerData: data });
  await new Promise<void>((resolve, reject) => {
    w.once('message', (m: FromWorker) =>
      m.t === 'ready' ? resolve() : reject(new Error('ingest worker: unexpected first message')),
    );
    w.once('error', reject);
  });
  return workerFacade(w, workerLink(w, opts.log, opts.fallback));
}

/** The worker's side of the calls: requests by id, their answers, and the fallback once the worker died. */
interface WorkerLink {
  call(msg: DistributiveOmit<Exclude<ToWorker, { t: 'close' }>, 'id'>): Promise<FromWorker>;
  /** The inline ingester, once the worker died; undefined while it serves. */
  fallback(): Ingester | undefined;
  /** Closing on purpose: the worker's exit is not a death. */
  closing(): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function workerLink(w: Worker, log: Logger, makeFallback: () => Ingester): WorkerLink {
  let nextId = 1;
  const pending = new Map<number, (m: FromWorker) => void>();
  let fallback: Ingester | undefined;
  let closing = false;
  const died = (why: string) => {
    if (fallback || closing) return;
    log.error({ err: why }, 'ingest worker stopped; storing on the main thread from now on');
    fallback = makeFallback();
    // Requests in flight were not answered: their transactions may or may not have committed; a 503
    // makes the agents re-send, and ids make the re-sends harmless.
    for (const [, resolve] of pending) resolve({ t: 'results', results: [] });
    pending.clear();
  };
  const settle = (id: number, m: FromWorker) => {
    const p = pending.get(id);
    pending.delete(id);
    p?.(m);
  };
  w.on('message', (m: FromWorker) => {
    switch (m.t) {
      case 'results':
        for (const { id, r } of m.results) settle(id, { t: 'results', results: [{ id, r }] });
        return;
      case 'silent':
      case 'prune':
        return settle(m.id, m);
      case 'log':
        log.error({ err: m.err, requests: m.requests }, m.msg);
        return;
    }
  });
  // A worker may throw anything, not only an Error.
  w.on('error', (e) => died(e instanceof Error ? e.message : String(e)));
  w.on('exit', (code) => died(`exit code ${code}`));
  return {
    call: (msg) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        w.postMessage({ ...msg, id });
      }),
    fallback: () => fallback,
    closing: () => (closing = true),
  };
}

/** The Ingester over the worker, or over the fallback once the worker died. */
function workerFacade(w: Worker, link: WorkerLink): Ingester {
  return {
    mode: 'worker',
    async ingest(body, meta) {
      const f = link.fallback();
      if (f) return f.ingest(body, meta);
      const m = await link.call({ t: 'ingest', body, meta });
      return m.t === 'results' && m.results[0] ? m.results[0].r : { kind: 'error' };
    },
    async markSilent(ms) {
      const f = link.fallback();
      if (f) return f.markSilent(ms);
      const m = await link.call({ t: 'silent', ms });
      if (m.t !== 'silent' || m.error !== undefined || !m.nodes)
        throw new Error(m.t === 'silent' && m.error ? m.error : 'ingest worker stopped');
      return m.nodes;
    },
    async pruneEvents(before, limit) {
      const f = link.fallback();
      if (f) return f.pruneEvents(before, limit);
      const m = await link.call({ t: 'prune', before, limit });
      if (m.t !== 'prune' || m.error !== undefined || m.n === undefined)
        throw new Error(m.t === 'prune' && m.error ? m.error : 'ingest worker stopped');
      return m.n;
    },
    async close() {
      link.closing();
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage({ t: 'close' } satisfies ToWorker);
      const t = setTimeout(() => void w.terminate(), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
