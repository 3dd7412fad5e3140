/**
 * The directories watched now, one fs.watch (inotify) each, through the read-only host mount:
 *
 * - Bounded: at most maxWatches watches; what does not fit is logged once, counted, and left to the schedule.
 * - Never on excluded or missing paths: a missing directory is not watched; sync() (on each scheduled scan)
 *   picks it up once it exists, and drops watches whose directory went away or was replaced.
 * - On a watcher error the watch is closed, the error logged and counted, and the owner told (it asks for a full
 *   re-scan); the schedule remains the fallback until sync() re-adds the watch.
 */
import { readdirSync, statSync, watch } from 'node:fs';
import type { Dirent, FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { digestOf } from './digest.js';
import type { Digest } from './digest.js';
import { ignored } from './targets.js';
import type { CompiledTarget } from './targets.js';

export interface Held {
  w: FSWatcher;
  /** Host path of the watched directory. */
  host: string;
  ino: number;
  /** The targets that cover this directory. */
  covering: CompiledTarget[];
  /** Relevant entry name -> stat signature, for changes that no event reported. */
  digest: Digest;
}

export interface WatchSetOptions {
  /** The host root as mounted in the agent. */
  root: string;
  maxWatches: number;
  log: Logger;
  isExcluded(host: string): boolean;
  /** hostward_watch_errors_total. */
  errors: Counter<'reason'>;
  /** The targets that cover a host directory. */
  coveringOf(dir: string): CompiledTarget[];
  /** An event in watched directory `dir` about its entry `name` (undefined: unknown). */
  onEvent(dir: string, name: string | undefined): void;
  /** The watch of `dir` failed and was dropped. */
  onError(dir: string): void;
}

export class WatchSet {
  private readonly held = new Map<string, Held>();
  private overLimitLogged = false;

  constructor(private readonly o: WatchSetOptions) {}

  get size(): number {
    return this.held.size;
  }

  get(host: string): Held | undefined {
    return this.held.get(host);
  }

  all(): Held[] {
    return [...this.held.values()];
  }

  hosts(): string[] {
    return [...this.held.keys()].sort();
  }

  /** Where host path `host` is in the agent's file system. */
  mounted(host: string): string {
    return path.join(this.o.root, host);
  }

  /** Drop dead watches, then watch each target's directory and its subdirectories down to its depth. */
  sync(targets: readonly CompiledTarget[]): void {
    this.dropDead();
    for (const c of targets) this.addTree(c, c.t.path, c.t.depth ?? 0);
  }

  /** Watch one directory; false when it is missing, excluded, over the bound or cannot be watched. */
  add(host: string): boolean {
    if (this.held.has(host)) return true;
    if (this.o.isExcluded(host)) return false;
    const ino = this.directoryIno(host);
    if (ino === undefined) return false; // missing: retried by sync() on the next scheduled scan
    if (this.held.size >= this.o.maxWatches) {
      this.o.errors.inc({ reason: 'limit' });
      if (!this.overLimitLogged)
        this.o.log.warn(
          { path: host, maxWatches: this.o.maxWatches },
          'watch bound reached; this path is left to the schedule',
        );
      this.overLimitLogged = true;
      return false;
    }
    const w = this.open(host);
    if (!w) return false;
    const covering = this.o.coveringOf(host);
    this.held.set(host, { w, host, ino, covering, digest: digestOf((h) => this.mounted(h), host, covering) });
    return true;
  }

  drop(host: string, reason: 'error' | 'gone', err?: unknown): void {
    const h = this.held.get(host);
    if (!h) return;
    this.held.delete(host);
    try {
      h.w.close();
    } catch {
      // already closed
    }
    this.o.errors.inc({ reason });
    const msg = err instanceof Error ? err.message : err === undefined ? undefined : JSON.stringify(err);
    this.o.log.warn(
      { path: host, reason, ...(msg ? { err: msg } : {}) },
      'watch lost; falling back to the schedule until the next scheduled scan re-adds it',
    );
  }

  closeAll(): void {
    for (const h of this.held.values()) h.w.close();
    this.held.clear();
  }

  private directoryIno(host: string): number | undefined {
    try {
      const st = statSync(this.mounted(host));
      return st.isDirectory() ? st.ino : undefined;
    } catch {
      return undefined;
    }
  }

  private open(host: string): FSWatcher | undefined {
    let w: FSWatcher;
    try {
      w = watch(this.mounted(host), { persistent: false }, (_type, filename) =>
        this.o.onEvent(host, filename === null ? undefined : filename.toString()),
      );
    } catch (e) {
      this.o.errors.inc({ reason: 'error' });
      this.o.log.warn(
        { path: host, err: e instanceof Error ? e.message : String(e) },
        'cannot watch; left to the schedule',
      );
      return undefined;
    }
    w.on('error', (e) => {
      this.drop(host, 'error', e);
      this.o.onError(host);
    });
    return w;
  }

  private addTree(c: CompiledTarget, dir: string, depthLeft: number): void {
    if (!this.add(dir) || depthLeft <= 0) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(this.mounted(dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries) {
      const p = path.posix.join(dir, d.name);
      if (d.isDirectory() && !ignored(c, p, d.name)) this.addTree(c, p, depthLeft - 1);
    }
  }

  /** Drop watches whose directory is gone or was replaced (inotify follows the inode, not the name). */
  private dropDead(): void {
    for (const h of this.all()) {
      let ino: number | undefined;
      try {
        ino = statSync(this.mounted(h.host)).ino;
      } catch {
        ino = undefined;
      }
      if (ino !== h.ino) this.drop(h.host, 'gone');
    }
  }
}
