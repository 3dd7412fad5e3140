/**
 * Real-time re-scan (issue 7, "Real time, beyond AIDE and Tripwire"): in agent mode the paths that decide
 * verdicts are watched with node:fs.watch (inotify on Linux) through the read-only host mount, and a change
 * re-runs at once only what it needs, instead of waiting for the schedule:
 *
 * - What is watched: the configuration the probes read, as each declares it: Probe.watch, fixed directories
 *   (sshd_config and its drop-ins, daemon.json, containerd/CRI-O config, the kubelet config, /etc/kubernetes,
 *   passwd and group), and Probe.watchTargets, from the probe's configuration (the integrity policy's rules:
 *   /etc/ssh, pam.d, sudoers, cron, systemd units, ld.so.preload, ...; never the binary trees). Each target
 *   names the probes that read it.
 * - What a change runs: the probes of the targets that cover the changed path, and nothing else. When the scan
 *   function is change-aware (src/agent/child-scan.ts), it is told the paths and probes before the re-scan is
 *   requested, and runs those probes alone (the integrity probe re-checks those paths alone) and merges the
 *   result into its last report. A lost watch asks for a full scan.
 * - Bounded: at most maxWatches watches (one per directory); what does not fit is logged, counted, and left
 *   to the schedule. Exported as hostward_watches against hostward_watch_limit (fs.inotify.max_user_watches).
 * - Never on excluded or missing paths: a missing directory is not watched; refresh() (called on each
 *   scheduled scan) picks it up once it exists, and drops watches whose directory went away.
 * - Debounced: events within debounceMs are one change (a burst is flushed after at most 4 × debounceMs).
 * - Lost events. inotify drops events when its queue overflows (IN_Q_OVERFLOW), and libuv, under fs.watch,
 *   discards that notice: an overflow cannot be seen through fs.watch. So the watcher keeps a cheap digest of
 *   every watched directory (lstat of its relevant entries: inode, mode, owner, size, mtime and ctime in ns)
 *   and compares it at every flush and on every scheduled refresh: an entry that changed without an event is
 *   counted in hostward_watch_missed_changes_total and re-checked like an evented one. Within a flush this also
 *   catches a write whose event was dropped while other events of the burst arrived.
 * - On a watcher error (including the watched directory vanishing or an inotify limit) the watch is closed,
 *   the error logged and counted in hostward_watch_errors_total, and a full re-scan is requested; the
 *   schedule remains the fallback until refresh() re-adds the watch.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HostRoot } from '../host/root.js';
import type { Probe } from '../sdk.js';
import type { Config } from '../config/config.js';
import { parseProbeOptions } from '../scan/runner.js';
import { changedNames, digestOf } from './watch/digest.js';
import { ChangeBuffer } from './watch/debounce.js';
import { createWatchMetrics } from './watch/metrics.js';
import type { WatchMetrics } from './watch/metrics.js';
import { compileTarget, coversDir, coversEntry, declaredTargets, exclusion } from './watch/targets.js';
import type { CompiledTarget, WatchTarget } from './watch/targets.js';
import { WatchSet } from './watch/watch-set.js';

export { declaredTargets } from './watch/targets.js';

/** What changed, for a change-aware scan function. */
export interface WatchChange {
  /** Host paths that changed (directories when the entry is unknown). */
  paths: string[];
  /** The probes to re-run: the union over the targets that cover the paths. */
  probes: string[];
  /** Something was lost (a watch failed): only a full scan is safe. */
  full: boolean;
}

/** A scan function that can re-run only what a change needs (src/agent/child-scan.ts). */
export interface ChangeAware {
  changed(change: WatchChange): void;
}

export function isChangeAware(f: unknown): f is ChangeAware {
  return typeof f === 'function' && typeof (f as Partial<ChangeAware>).changed === 'function';
}

export interface WatchOptions {
  /** The host root as mounted in the agent (config.root). */
  root: string;
  /** The fixed targets (default: those `probes` declare, declaredTargets). */
  targets?: readonly WatchTarget[];
  /**
   * Probes whose watch and watchTargets() (options parsed from `config`) add targets; only those config.scan.probes
   * runs.
   */
  probes?: readonly Probe[] | undefined;
  config?: Config | undefined;
  /** The agent's scan function: when change-aware, it is told what changed before onChange is called. */
  scan?: unknown;
  /** Host paths (or absolute globs with `*`) never watched, nor anything below them. */
  exclude?: readonly string[];
  debounceMs: number;
  maxWatches: number;
  log: Logger;
  /** Called once per debounced burst, with the host paths that changed (directories when unknown). */
  onChange: (paths: string[], change: WatchChange) => void;
}

export interface Watcher {
  /**
   * Long-lived registry: hostward_watches, hostward_watch_limit, hostward_watch_events_total,
   * hostward_watch_errors_total, hostward_watch_missed_changes_total.
   */
  readonly registry: Registry;
  /** Number of watches held now. */
  readonly watches: number;
  /** Host paths watched now. */
  watched(): string[];
  /** Settles once the probes' targets are known and watched. */
  readonly ready: Promise<void>;
  /** Re-add missing or failed watches, drop dead ones, look for changes no event reported (each scheduled scan). */
  refresh(): void;
  /** Stop watching; no onChange after this. */
  close(): void;
}

export function startWatcher(opts: WatchOptions): Watcher {
  return new ConfigWatcher(opts);
}

/**
 * The watcher: turns events on the watched directories (WatchSet) into debounced changes (ChangeBuffer) naming
 * the probes to re-run, and finds the changes no event reported (the stat digests).
 */
class ConfigWatcher implements Watcher {
  readonly registry: Registry;
  readonly ready: Promise<void>;
  private readonly log: Logger;
  private readonly metrics: WatchMetrics;
  /** Grows once the probes' own targets are known (ready). */
  private readonly targets: CompiledTarget[];
  /** The probes config.scan.probes runs, when it names some. */
  private readonly scanned: ReadonlySet<string> | undefined;
  private readonly changeAware: ChangeAware | undefined;
  private readonly isExcluded: (host: string) => boolean;
  private readonly dirs: WatchSet;
  private readonly buffer: ChangeBuffer;
  private closed = false;

  constructor(private readonly opts: WatchOptions) {
    this.log = opts.log.child({ component: 'watch' });
    this.scanned = opts.config?.scan.probes?.length ? new Set(opts.config.scan.probes) : undefined;
    this.targets = (opts.targets ?? declaredTargets(opts.probes ?? []))
      .filter((t) => this.wanted(t.probes).length > 0)
      .map(compileTarget);
    this.isExcluded = exclusion(opts.exclude ?? []);
    this.changeAware = isChangeAware(opts.scan) ? opts.scan : undefined;
    this.metrics = createWatchMetrics(opts.root, () => this.dirs.size);
    this.registry = this.metrics.registry;
    this.buffer = new ChangeBuffer(opts.debounceMs, () => this.flush());
    this.dirs = new WatchSet({
      root: opts.root,
      maxWatches: opts.maxWatches,
      log: this.log,
      isExcluded: this.isExcluded,
      errors: this.metrics.errors,
      coveringOf: (dir) => this.coveringOf(dir),
      onEvent: (dir, name) => this.onEvent(dir, name),
      onError: (dir) => this.onWatchError(dir),
    });
    this.sync();
    this.log.info(
      { watches: this.dirs.size, maxWatches: opts.maxWatches, limit: this.metrics.limit },
      'watching configuration paths',
    );
    this.ready = this.addProbeTargets();
  }

  get watches(): number {
    return this.dirs.size;
  }

  watched(): string[] {
    return this.dirs.hosts();
  }

  refresh(): void {
    if (this.closed) return;
    this.sync();
    // The scheduled scan that follows covers what the events missed, unless it is skipped because a scan is
    // running: so the lost changes are also re-checked as changes of their own (rare, and cheap).
    this.recheck(this.unreported(new Map()));
  }

  close(): void {
    this.closed = true;
    this.buffer.stop();
    this.dirs.closeAll();
  }

  /** Only the probes the configuration runs. */
  private wanted(probes: readonly string[]): string[] {
    return this.scanned ? probes.filter((p) => this.scanned!.has(p)) : [...probes];
  }

  private coveringOf(dir: string): CompiledTarget[] {
    return this.targets.filter((c) => coversDir(c, dir));
  }

  /** The probes that a change of entry `name` (undefined: unknown) in `dir` re-runs; empty: nobody cares. */
  private probesFor(dir: string, name: string | undefined): Set<string> {
    const covering = this.dirs.get(dir)?.covering ?? this.coveringOf(dir);
    const out = new Set<string>();
    for (const c of covering) if (coversEntry(c, dir, name)) for (const p of this.wanted(c.t.probes)) out.add(p);
    return out;
  }

  /** Drop dead watches, add missing ones. */
  private sync(): void {
    if (!this.closed) this.dirs.sync(this.targets);
  }

  private onEvent(dir: string, name: string | undefined): void {
    if (this.closed) return;
    if (name !== undefined && this.isExcluded(path.posix.join(dir, name))) return;
    const probes = this.probesFor(dir, name);
    if (probes.size === 0) return;
    this.metrics.events.inc();
    this.changed(name === undefined ? dir : path.posix.join(dir, name), probes);
  }

  /** The watch of `dir` was lost: whatever happened in between is not missed, a full re-scan. */
  private onWatchError(dir: string): void {
    this.buffer.markFull();
    this.changed(dir, this.probesFor(dir, undefined));
  }

  private changed(p: string, probes: Set<string>): void {
    if (!this.closed) this.buffer.add(p, probes);
  }

  private flush(): void {
    if (this.closed || this.buffer.empty) return;
    this.sync(); // a new drop-in directory gets its watch; a removed one is dropped
    const batch = this.buffer.take();
    const paths = [...batch.paths.keys()].sort();
    const probes = [...new Set([...batch.paths.values()].flatMap((s) => [...s]))].sort();
    const change: WatchChange = { paths, probes, full: batch.full };
    this.log.debug(change, 'configuration changed; re-scanning');
    try {
      this.changeAware?.changed(change);
      this.opts.onChange(paths, change);
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'change handler failed');
    }
    // Events come in bursts: when some arrive, others may have been lost (the queue is shared by every watch).
    // Compare the digests now, after the re-scan has been started so that this is not on its path, and re-check
    // what changed unannounced as a change of its own.
    this.recheck(this.unreported(batch.paths));
  }

  /**
   * Entries whose signature changed since the last digest and that no event named (neither pending nor in
   * `reported`, the batch just handed over); the digests are renewed.
   */
  private unreported(reported: ReadonlyMap<string, unknown>): string[] {
    const out: string[] = [];
    const named = (p: string) => this.buffer.has(p) || reported.has(p);
    for (const h of this.dirs.all()) {
      const now = digestOf((d) => this.dirs.mounted(d), h.host, h.covering);
      for (const name of changedNames(h.digest, now)) {
        const p = path.posix.join(h.host, name);
        if (!named(p) && !named(h.host)) out.push(p);
      }
      h.digest = now;
    }
    return out;
  }

  /** Count the changes no event reported, and re-check them as changes of their own. */
  private recheck(lost: string[]): void {
    if (lost.length === 0) return;
    this.metrics.missed.inc(lost.length);
    this.log.warn(
      { paths: lost.slice(0, 20), count: lost.length },
      'changes without a file-system event (events lost): re-checking them',
    );
    for (const p of lost) this.changed(p, this.probesFor(path.posix.dirname(p), path.posix.basename(p)));
  }

  /** The probes' own targets (the integrity policy's), resolved inside the root asynchronously. */
  private async addProbeTargets(): Promise<void> {
    const host = new HostRoot(this.opts.root);
    const listing = (this.opts.probes ?? []).filter((p) => p.watchTargets && this.wanted([p.name]).length > 0);
    await Promise.all(
      listing.map(async (p) => {
        try {
          const options = parseProbeOptions(p, this.opts.config?.probes[p.name], host);
          const specs = await p.watchTargets!({ host, options });
          if (this.closed) return;
          for (const s of specs) this.targets.push(compileTarget({ ...s, probes: [p.name] }));
        } catch (e) {
          this.log.warn(
            { probe: p.name, err: e instanceof Error ? e.message : String(e) },
            'cannot list what this probe reads; its files are left to the schedule',
          );
        }
      }),
    );
    if (this.closed) return;
    this.widenDigests();
    this.sync();
    this.log.info({ watches: this.dirs.size, maxWatches: this.opts.maxWatches }, 'watching probe paths');
  }

  /**
   * More targets may care about more entries of a directory already watched: add those to its digest, and keep
   * the signatures it had, so a change made meanwhile without an event is still found.
   */
  private widenDigests(): void {
    for (const h of this.dirs.all()) {
      h.covering = this.coveringOf(h.host);
      const now = digestOf((d) => this.dirs.mounted(d), h.host, h.covering);
      for (const [name, sig] of now) if (!h.digest.has(name)) h.digest.set(name, sig);
    }
  }
}
