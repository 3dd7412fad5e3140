/**
 * The agent's event-loop delay (perf_hooks.monitorEventLoopDelay): one histogram per watchdog interval, kept
 * for the window. Scans run in a child process, so the agent's loop should never stall for 100 ms.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopFigures {
  /** Longest delay over the window, seconds. */
  maxSeconds: number;
  /** Worst per-interval 99th percentile over the window, seconds. */
  p99Seconds: number;
}

export class EventLoopWindow {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private readonly history: { t: number; max: number; p99: number }[] = [];

  constructor(private readonly windowMs: number) {
    this.loop.enable();
  }

  /** Over the closed intervals of the window and the current one. */
  figures(): EventLoopFigures {
    const cur = this.loop.count > 0 ? [{ max: this.loop.max, p99: this.loop.percentile(99) }] : [];
    const all = [...this.history, ...cur];
    return {
      maxSeconds: all.reduce((m, x) => Math.max(m, x.max), 0) / 1e9,
      p99Seconds: all.reduce((m, x) => Math.max(m, x.p99), 0) / 1e9,
    };
  }

  /** Close the current interval at `t`, and forget the intervals that left the window. */
  roll(t: number): void {
    if (this.loop.count > 0) {
      this.history.push({ t, max: this.loop.max, p99: this.loop.percentile(99) });
      this.loop.reset();
    }
    while (this.history.length > 0 && this.history[0]!.t <= t - this.windowMs) this.history.shift();
  }

  close(): void {
    this.loop.disable();
  }
}
