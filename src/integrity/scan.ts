/**
 * One pass over the policy's paths, shared by writing a baseline and checking against one: the walk (walker.ts)
 * gives paths in order, the hash pool (hash-pool.ts) stats and hashes them in worker threads, and the caller's
 * hooks see each path in walk order, before (prepare) and after (consume) its stat. Memory stays bounded: at most a
 * few batches per worker are in flight.
 */
import { HostRoot } from '../host/root.js';
import { HashPool, WANT_HASH, WANT_TARGET } from './hash-pool.js';
import type { StatItem, StatResult } from './hash-pool.js';
import { planWalk, walk } from './walker.js';
import type { WalkEntry, WalkPlan } from './walker.js';
import { IntegrityError } from './types.js';
import type { CommonOptions, FileRecord, FileType, Policy, Progress, ScanProblem, ScanStats } from './types.js';

/** Problems kept in a result; the rest are counted in a last entry. */
export const MAX_PROBLEMS = 1000;
/** Least time between two progress reports. */
const PROGRESS_EVERY_MS = 200;

/** Runs functions one after the other, in the order they were queued. */
export type Seq = (fn: () => Promise<void>) => Promise<void>;

export interface Hooks<C> {
  /** In walk order, before the entry is statted: what to ask the worker and context for consume(). */
  prepare(e: WalkEntry, seq: Seq): Promise<{ item: StatItem; ctx: C }>;
  /** In walk order, with the worker's answer. */
  consume(e: WalkEntry, r: StatResult, ctx: C): Promise<void> | void;
}

export interface Scan {
  host: HostRoot;
  policy: Policy;
  problems: Problems;
  stats: ScanStats;
}

export class Problems {
  readonly list: ScanProblem[] = [];
  private dropped = 0;
  add(p: ScanProblem): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(p);
    else this.dropped++;
  }
  done(): ScanProblem[] {
    return this.dropped ? [...this.list, { path: '', reason: `${this.dropped} more problems not listed` }] : this.list;
  }
}

/** What to ask the hash pool for under a rule: the content's hash, a link's target. */
export function flagsFor(policy: Policy, rule: number): number {
  const props = policy.rules[rule]!.properties;
  return (props.has('sha256') ? WANT_HASH : 0) | (props.has('target') ? WANT_TARGET : 0);
}

export function toRecord(path: string, r: StatResult): FileRecord {
  return {
    path,
    type: r[0] as FileType,
    mode: r[1],
    uid: r[2],
    gid: r[3],
    size: r[4],
    ino: r[5],
    nlink: r[6],
    mtime: r[7],
    ctime: r[8],
    sha256: r[10],
    target: r[11],
  };
}

/**
 * Queued work run in order, with at most `maxLinks` links of the chain outstanding: queueing waits when the chain
 * is that far behind, which is what bounds the batches in flight.
 */
class Sequencer {
  private chain: Promise<void> = Promise.resolve();
  private readonly links: Promise<void>[] = [];

  constructor(private readonly maxLinks: number) {}

  readonly seq: Seq = async (fn) => {
    this.chain = this.chain.then(fn);
    const link = this.chain;
    link.catch(() => undefined);
    this.links.push(link);
    while (this.links.length > this.maxLinks) await this.links.shift();
  };

  /** Settles when everything queued so far has run; rejects with the first failure. */
  done(): Promise<void> {
    return this.chain;
  }
}

/** Progress reports, at most one per PROGRESS_EVERY_MS (the last one is always given, by the caller). */
class Throttle {
  private last = 0;
  constructor(private readonly onProgress: ((p: Progress) => void) | undefined) {}
  report(p: () => Progress): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (now - this.last <= PROGRESS_EVERY_MS) return;
    this.last = now;
    this.onProgress(p());
  }
}

/**
 * Walk, stat and hash in the pool, and hand results to consume() in walk order. At most a few batches per
 * worker are in flight, so memory does not grow with the tree.
 */
export async function runScan<C>(
  opts: CommonOptions,
  policy: Policy,
  scope: string[] | undefined,
  hooks: Hooks<C>,
  after: (seq: Seq) => Promise<void>,
): Promise<Scan> {
  const t0 = performance.now();
  const host = new HostRoot(opts.root ?? '/');
  const problems = new Problems();
  const stats: ScanStats = { paths: 0, hashed: 0, reused: 0, bytesHashed: 0, durationMs: 0 };
  const rawProblems: ScanProblem[] = [];
  const plan = await planWalk(host, policy, rawProblems);
  const pool = new HashPool(host.root, opts.workers);
  const sequencer = new Sequencer(pool.size * 4);
  const throttle = new Throttle(opts.onProgress);
  const totalFiles = await countFiles(opts, host, policy, plan, scope, throttle, t0);
  const tScan = performance.now();
  const progress = (): Progress => ({
    phase: 'scan',
    files: stats.paths,
    bytes: stats.bytesHashed,
    elapsedMs: performance.now() - tScan,
    ...(totalFiles !== undefined ? { totalFiles } : {}),
  });
  try {
    for await (const batch of walk(host, policy, plan, rawProblems, scope)) {
      checkAbort(opts);
      for (const p of rawProblems.splice(0)) problems.add(p);
      await scanBatch(batch, hooks, pool, sequencer.seq, {
        counted: (r) => countResult(stats, r),
        consumed: () => throttle.report(progress),
      });
    }
    for (const p of rawProblems.splice(0)) problems.add(p);
    checkAbort(opts);
    await after(sequencer.seq);
    await sequencer.done();
  } finally {
    await pool.close();
  }
  stats.durationMs = Math.round(performance.now() - t0);
  opts.onProgress?.(progress());
  return { host, policy, problems, stats };
}

function checkAbort(opts: CommonOptions): void {
  if (opts.signal?.aborted) throw new IntegrityError('aborted', 'the integrity scan was aborted');
}

/**
 * For a progress bar with a total and an ETA: a first walk that only counts (readdir, no stat of files). Undefined
 * when nobody asked for it.
 */
async function countFiles(
  opts: CommonOptions,
  host: HostRoot,
  policy: Policy,
  plan: WalkPlan,
  scope: string[] | undefined,
  throttle: Throttle,
  t0: number,
): Promise<number | undefined> {
  if (!opts.countFirst || !opts.onProgress) return undefined;
  let n = 0;
  for await (const batch of walk(host, policy, plan, [], scope)) {
    checkAbort(opts);
    n += batch.length;
    throttle.report(() => ({ phase: 'count', files: n, bytes: 0, elapsedMs: performance.now() - t0 }));
  }
  return n;
}

/**
 * One batch: prepared in walk order, sent to the pool, and its answers consumed in walk order; `then` is told of
 * each answer before its consume() and of the batch's end.
 */
async function scanBatch<C>(
  batch: readonly WalkEntry[],
  hooks: Hooks<C>,
  pool: HashPool,
  seq: Seq,
  then: { counted: (r: StatResult) => void; consumed: () => void },
): Promise<void> {
  const items: StatItem[] = [];
  const ctxs: C[] = [];
  for (const e of batch) {
    const { item, ctx } = await hooks.prepare(e, seq);
    items.push(item);
    ctxs.push(ctx);
  }
  const answer = pool.run(items);
  answer.catch(() => undefined);
  await seq(async () => {
    const res = await answer;
    for (let i = 0; i < batch.length; i++) {
      const r = res[i]!;
      then.counted(r);
      await hooks.consume(batch[i]!, r, ctxs[i]!);
    }
    then.consumed();
  });
}

/** A path examined: hashed (r[13] bytes read), or its baseline hash reused (r[13] is -1). */
function countResult(stats: ScanStats, r: StatResult): void {
  stats.paths++;
  if (r[13] > 0 || (r[13] === 0 && r[10] !== null)) {
    stats.hashed++;
    stats.bytesHashed += r[13];
  } else if (r[13] === -1) stats.reused++;
}
