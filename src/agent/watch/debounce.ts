/**
 * Debounced: events within debounceMs are one change, and a continuous stream of writes is still flushed
 * within 4 × debounceMs of its first event.
 */

export interface Batch {
  /** Changed host path -> the probes it re-runs. */
  paths: ReadonlyMap<string, ReadonlySet<string>>;
  /** Something was lost (a watch failed): only a full scan is safe. */
  full: boolean;
}

/** The changes noted since the last flush, and the timer that flushes them. */
export class ChangeBuffer {
  private pending = new Map<string, Set<string>>();
  private full = false;
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;

  constructor(
    private readonly debounceMs: number,
    private readonly flush: () => void,
  ) {}

  /** Note that `p` changed, for `probes`, and push the flush back (within the bound). */
  add(p: string, probes: ReadonlySet<string>): void {
    const s = this.pending.get(p);
    if (s) for (const x of probes) s.add(x);
    else this.pending.set(p, new Set(probes));
    const now = Date.now();
    if (this.timer === undefined) this.firstAt = now;
    else clearTimeout(this.timer);
    // Trailing debounce, but a continuous stream of writes still flushes within 4 × debounceMs.
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstAt + 4 * this.debounceMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
    this.timer.unref();
  }

  /** The next batch asks for a full scan. */
  markFull(): void {
    this.full = true;
  }

  has(p: string): boolean {
    return this.pending.has(p);
  }

  get empty(): boolean {
    return this.pending.size === 0;
  }

  /** Hand over what is pending, and start afresh. */
  take(): Batch {
    const batch = { paths: this.pending, full: this.full };
    this.pending = new Map();
    this.full = false;
    return batch;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
