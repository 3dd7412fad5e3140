/**
 * Real-time re-scan (issue 7, "Real time, beyond AIDE and Tripwire"): in agent mode the configuration paths
 * that decide verdicts (sshd_config and its drop-ins, daemon.json, containerd/CRI-O config, the kubelet
 * config, /etc/kubernetes) are watched with node:fs.watch (inotify on Linux) through the read-only host mount,
 * and a change triggers an immediate re-scan instead of waiting for the schedule.
 *
 * - Bounded: at most maxWatches watches (one per directory; a target's direct subdirectories such as
 *   sshd_config.d count one each); what does not fit is logged and counted, and left to the schedule.
 *   Exported as hostward_watches against hostward_watch_limit (fs.inotify.max_user_watches).
 * - Never on excluded or missing paths: a missing directory is not watched; refresh() (called on each
 *   scheduled scan) picks it up once it exists, and drops watches whose directory went away.
 * - Debounced: events within debounceMs are one change (a burst is flushed after at most 4 × debounceMs).
 * - On a watcher error (including the watched directory vanishing or an inotify limit) the watch is closed,
 *   the error logged and counted in hostward_watch_errors_total, and a full re-scan is requested; the
 *   schedule remains the fallback until refresh() re-adds the watch.
 */
import { watch, readFileSync, readdirSync, statSync } from 'node:fs';
import type { Dirent, FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';

export interface WatchTarget {
  /** Host path of a directory (absolute, as on the host, not under the mount). */
  path: string;
  /** Also watch the directory's direct subdirectories (drop-in dirs such as sshd_config.d). */
  subdirs?: boolean;
  /** Only these file names in the directory count as changes (for busy dirs such as /var/lib/kubelet). */
  names?: readonly string[];
}

/** The configuration the probes read; see the module comment. */
export const DEFAULT_WATCH_TARGETS: readonly WatchTarget[] = [
  { path: '/etc/ssh', subdirs: true },
  { path: '/etc/docker' },
  { path: '/etc/containerd', subdirs: true },
  { path: '/etc/crio', subdirs: true },
  { path: '/var/lib/kubelet', names: ['config.yaml'] },
  { path: '/etc/kubernetes', subdirs: true },
];

/** Never watched, whatever a target says: pseudo file systems. */
const NEVER = ['/proc', '/sys', '/dev'];

export interface WatchOptions {
  /** The host root as mounted in the agent (config.root). */
  root: string;
  targets?: readonly WatchTarget[];
  /** Host paths (or absolute globs with `*`) never watched, nor anything below them. */
  exclude?: readonly string[];
  debounceMs: number;
  maxWatches: number;
  log: Logger;
  /** Called once per debounced burst, with the host paths that changed (directories when unknown). */
  onChange: (paths: string[]) => void;
}

export interface Watcher {
  /** Long-lived registry: hostward_watches, hostward_watch_limit, hostward_watch_events_total, hostward_watch_errors_total. */
  readonly registry: Registry;
  /** Number of watches held now. */
  readonly watches: number;
  /** Host paths watched now. */
  watched(): string[];
  /** Re-add missing or failed watches, drop dead ones (called on each scheduled scan). */
  refresh(): void;
  /** Stop watching; no onChange after this. */
  close(): void;
}

function globMatch(pattern: string, p: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '(/.*)?$');
  return re.test(p);
}

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

interface Held {
  w: FSWatcher;
  target: WatchTarget;
  /** Host path of the watched directory. */
  host: string;
  ino: number;
}

export function startWatcher(opts: WatchOptions): Watcher {
  const log = opts.log.child({ component: 'watch' });
  const targets = opts.targets ?? DEFAULT_WATCH_TARGETS;
  const excluded = [...NEVER, ...(opts.exclude ?? [])];
  const held = new Map<string, Held>();
  let closed = false;
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  let overLimitLogged = false;

  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'hostward_watches',
    help: 'File-system watches (inotify) the agent holds on configuration directories.',
    registers,
    collect() {
      this.set(held.size);
    },
  });
  const limit = new Gauge({
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
  for (const reason of ['error', 'limit', 'gone']) errors.inc({ reason }, 0);
  const lim = inotifyLimit(opts.root);
  if (lim !== undefined) limit.set(lim);

  const isExcluded = (host: string): boolean => excluded.some((e) => globMatch(e, host));
  const mounted = (host: string): string => path.join(opts.root, host);

  function flush(): void {
    timer = undefined;
    if (closed || pending.size === 0) return;
    const paths = [...pending].sort();
    pending = new Set();
    refresh(); // a new drop-in directory gets its watch; a removed one is dropped
    log.debug({ paths }, 'configuration changed; re-scanning');
    try {
      opts.onChange(paths);
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'change handler failed');
    }
  }

  function changed(host: string): void {
    if (closed) return;
    pending.add(host);
    const now = Date.now();
    if (timer === undefined) firstAt = now;
    else clearTimeout(timer);
    // Trailing debounce, but a continuous stream of writes still flushes within 4 × debounceMs.
    const wait = Math.max(0, Math.min(opts.debounceMs, firstAt + 4 * opts.debounceMs - now));
    timer = setTimeout(flush, wait);
    timer.unref();
  }

  function drop(host: string, reason: 'error' | 'gone', err?: unknown): void {
    const h = held.get(host);
    if (!h) return;
    held.delete(host);
    try {
      h.w.close();
    } catch {
      // already closed
    }
    errors.inc({ reason });
    const msg = err instanceof Error ? err.message : err === undefined ? undefined : String(err);
    log.warn({ path: host, reason, ...(msg ? { err: msg } : {}) }, 'watch lost; falling back to the schedule until the next scheduled scan re-adds it');
  }

  function add(host: string, target: WatchTarget): void {
    if (held.has(host) || isExcluded(host)) return;
    let ino: number;
    try {
      const st = statSync(mounted(host));
      if (!st.isDirectory()) return;
      ino = st.ino;
    } catch {
      return; // missing: retried by refresh() on the next scheduled scan
    }
    if (held.size >= opts.maxWatches) {
      errors.inc({ reason: 'limit' });
      if (!overLimitLogged) log.warn({ path: host, maxWatches: opts.maxWatches }, 'watch bound reached; this path is left to the schedule');
      overLimitLogged = true;
      return;
    }
    let w: FSWatcher;
    try {
      w = watch(mounted(host), { persistent: false }, (_type, filename) => {
        if (closed) return;
        const name = filename === null ? undefined : filename.toString();
        if (target.names && host === target.path && (name === undefined || !target.names.includes(name))) return;
        if (name !== undefined && isExcluded(path.posix.join(host, name))) return;
        events.inc();
        changed(name === undefined ? host : path.posix.join(host, name));
      });
    } catch (e) {
      errors.inc({ reason: 'error' });
      log.warn({ path: host, err: e instanceof Error ? e.message : String(e) }, 'cannot watch; left to the schedule');
      return;
    }
    w.on('error', (e) => {
      drop(host, 'error', e);
      changed(host); // a full re-scan: whatever happened in between is not missed
    });
    held.set(host, { w, target, host, ino });
  }

  function refresh(): void {
    if (closed) return;
    // Drop watches whose directory is gone or was replaced (inotify follows the inode, not the name).
    for (const h of [...held.values()]) {
      let ino: number | undefined;
      try {
        ino = statSync(mounted(h.host)).ino;
      } catch {
        ino = undefined;
      }
      if (ino !== h.ino) drop(h.host, 'gone');
    }
    for (const t of targets) {
      add(t.path, t);
      if (!t.subdirs || !held.has(t.path)) continue;
      let entries: Dirent[];
      try {
        entries = readdirSync(mounted(t.path), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const d of entries) if (d.isDirectory()) add(path.posix.join(t.path, d.name), t);
    }
  }

  refresh();
  log.info({ watches: held.size, maxWatches: opts.maxWatches, limit: lim }, 'watching configuration paths');

  return {
    registry,
    get watches() {
      return held.size;
    },
    watched: () => [...held.keys()].sort(),
    refresh,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const h of held.values()) h.w.close();
      held.clear();
    },
  };
}
