/**
 * CPU of the agent and its scan children over the watchdog's window. CPU is cumulative: the agent's own plus
 * every scan child's, finished children keeping what was last seen of them.
 */
import type { ChildUsage, Sample } from '../watchdog.js';

export class CpuWindow {
  /** CPU of the scan children that have exited, µs. */
  private childCpuDone = 0;
  /** The scan children running now, with the highest usage seen of each. */
  private readonly children = new Map<number, ChildUsage>();
  private readonly history: { t: number; cpu: number }[];
  /** CPU over the window as a fraction of one core, as of the last sample. */
  ratio = 0;

  constructor(
    private readonly windowMs: number,
    private readonly readChild: (pid: number) => ChildUsage | undefined,
    first: Sample,
    t: number,
  ) {
    this.history = [{ t, cpu: this.total(first) }];
  }

  get running(): number {
    return this.children.size;
  }

  /** Add the sample taken at `t` and recompute the ratio over the window. */
  add(t: number, s: Sample): void {
    this.history.push({ t, cpu: this.total(s) });
    while (this.history.length > 2 && this.history[1]!.t <= t - this.windowMs) this.history.shift();
    const oldest = this.history[0]!;
    const span = t - oldest.t;
    // Over the whole window even while the agent is younger than it: the start-up scan alone is no overload.
    this.ratio = Math.max(0, (this.total(s) - oldest.cpu) / 1000 / Math.max(span, this.windowMs));
  }

  /** Read each running child's usage, keeping the highest seen (the last read before it exits may fail). */
  pollChildren(): void {
    for (const [pid, prev] of this.children) {
      const u = this.readChild(pid);
      if (u)
        this.children.set(pid, {
          cpuMicros: Math.max(prev.cpuMicros, u.cpuMicros),
          peakRssBytes: Math.max(prev.peakRssBytes, u.peakRssBytes),
        });
    }
  }

  track(pid: number): void {
    this.children.set(pid, this.readChild(pid) ?? { cpuMicros: 0, peakRssBytes: 0 });
  }

  /** The child exited: what was last seen of it counts as done. Returns that. */
  untrack(pid: number): ChildUsage | undefined {
    const last = this.children.get(pid);
    this.children.delete(pid);
    if (last) this.childCpuDone += last.cpuMicros;
    return last;
  }

  private total(s: Sample): number {
    return s.cpuMicros + this.childCpuDone + [...this.children.values()].reduce((a, c) => a + c.cpuMicros, 0);
  }
}
