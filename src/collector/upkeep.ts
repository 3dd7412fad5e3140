/**
 * The collector's background work besides delivery: nodes that stopped reporting, and retention of old events.
 * Each returns its timers for close() to clear; neither starts new work once the collector is closing.
 */
import type { CollectorContext } from './context.js';
import { CLOCK_STEP_TOLERANCE_MS } from './store.js';

/** Retention: events deleted per transaction, and how often the pruning runs. */
const PRUNE_BATCH = 2000;
export const PRUNE_EVERY_MS = 60_000;

/**
 * Node silent: checked periodically, but not before the collector has been up for silentAfterSeconds (agents could
 * not reach a collector that was down; they are not silent, it was), measured on the monotonic clock: a step of the
 * wall clock neither ends nor stretches that grace. Steps while running are handled by the store (Store.markSilent
 * translates last-seen times); this only logs them.
 */
export function watchSilentNodes(ctx: CollectorContext): NodeJS.Timeout {
  const { log, ingester, dispatcher } = ctx;
  const silentMs = ctx.cfg.silentAfterSeconds * 1000;
  const startedMono = performance.now();
  let clockMark = { wall: Date.now(), mono: startedMono };
  const timer = setInterval(
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
      if (mono - startedMono < silentMs || ctx.closing()) return;
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
  timer.unref();
  return timer;
}

/**
 * Retention: old events are deleted in short transactions, yielding to requests between them, so a backlog of
 * millions (a first start after an upgrade) never holds the event loop. Runs every `everyMs`, and once soon after
 * the start.
 */
export function schedulePruning(ctx: CollectorContext, everyMs: number): NodeJS.Timeout {
  const { log, ingester, metrics } = ctx;
  const days = ctx.cfg.retention.eventsMaxAgeDays;
  const maxAgeMs = days * 24 * 3600 * 1000;
  let pruning = false;
  function prune(): void {
    if (pruning || ctx.closing()) return;
    pruning = true;
    const before = Date.now() - maxAgeMs;
    let total = 0;
    const step = async (): Promise<void> => {
      if (ctx.closing()) return void (pruning = false);
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
      if (total > 0) log.info({ events: total, olderThanDays: days }, 'old events pruned');
    };
    void step();
  }
  const timer = setInterval(prune, everyMs);
  timer.unref();
  setTimeout(prune, Math.min(5000, everyMs)).unref();
  return timer;
}
