/** The watcher's own metrics, in a long-lived registry served on the agent's /metrics. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';

/** fs.inotify.max_user_watches of the host (through the mount), else of this namespace; undefined if unknown. */
export function inotifyLimit(root: string): number | undefined {
  for (const f of [path.join(root, 'proc/sys/fs/inotify/max_user_watches'), '/proc/sys/fs/inotify/max_user_watches']) {
    try {
      const n = Number(readFileSync(f, 'utf8').trim());
      if (Number.isInteger(n) && n > 0) return n;
    } catch {
      // next
    }
  }
  return undefined;
}

export type WatchFailure = 'error' | 'limit' | 'gone';

export interface WatchMetrics {
  registry: Registry;
  /** fs.inotify.max_user_watches, when known. */
  limit: number | undefined;
  events: Counter;
  errors: Counter<'reason'>;
  missed: Counter;
}

/** hostward_watches (read from `watches` at each scrape) and the watcher's limit, event and error counts. */
export function createWatchMetrics(root: string, watches: () => number): WatchMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'hostward_watches',
    help: 'File-system watches (inotify) the agent holds on configuration directories.',
    registers,
    collect() {
      this.set(watches());
    },
  });
  const limitGauge = new Gauge({
    name: 'hostward_watch_limit',
    help: 'fs.inotify.max_user_watches of the host, the per-user bound the watches count against.',
    registers,
  });
  const events = new Counter({
    name: 'hostward_watch_events_total',
    help: 'File-system events seen on watched configuration paths (before debouncing).',
    registers,
  });
  const errors = new Counter({
    name: 'hostward_watch_errors_total',
    help: 'Watch failures and watches refused by the bound; each falls back to the scheduled scan. reason is error, limit or gone.',
    labelNames: ['reason'] as const,
    registers,
  });
  const missed = new Counter({
    name: 'hostward_watch_missed_changes_total',
    help: 'Changes to watched entries that no file-system event reported (inotify queue overflow, a lost watch), found by comparing stat digests.',
    registers,
  });
  for (const reason of ['error', 'limit', 'gone'] satisfies WatchFailure[]) errors.inc({ reason }, 0);
  const limit = inotifyLimit(root);
  if (limit !== undefined) limitGauge.set(limit);
  return { registry, limit, events, errors, missed };
}
