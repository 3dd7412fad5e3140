/** Whether the agent is over its memory or CPU budget, judged at each sample, with the time spent over it. */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { WatchdogBudget } from '../watchdog.js';

export interface Over {
  memory: boolean;
  cpu: boolean;
}

export class BudgetState {
  over: Over = { memory: false, cpu: false };

  constructor(
    private readonly budget: WatchdogBudget,
    private readonly log: Logger,
    /** hostward_watchdog_over_budget_seconds_total. */
    private readonly overSeconds: Counter<'resource'>,
  ) {}

  /** One sample, `elapsed` seconds after the last: count the time spent over, judge again, log each change. */
  update(rss: number, cpuRatio: number, elapsed: number): void {
    const memOver = rss > this.budget.memoryBytes;
    // Hysteresis: leave the over-budget CPU state below 80 % of the budget, so one quiet second does not flap.
    const cpuLimit = this.budget.cpuPercent / 100;
    const cpuOver = this.over.cpu ? cpuRatio > cpuLimit * 0.8 : cpuRatio > cpuLimit;
    if (this.over.memory) this.overSeconds.labels('memory').inc(elapsed);
    if (this.over.cpu) this.overSeconds.labels('cpu').inc(elapsed);
    if (memOver !== this.over.memory) this.logMemory(memOver, rss);
    if (cpuOver !== this.over.cpu) this.logCpu(cpuOver, cpuRatio);
    this.over = { memory: memOver, cpu: cpuOver };
  }

  private logMemory(over: boolean, rss: number): void {
    const figures = { rssBytes: rss, budgetBytes: this.budget.memoryBytes };
    if (over) this.log.warn(figures, 'over the memory budget: shedding optional scan work');
    else this.log.info(figures, 'back within the memory budget');
  }

  private logCpu(over: boolean, cpuRatio: number): void {
    const budgetRatio = this.budget.cpuPercent / 100;
    if (over)
      this.log.warn(
        { cpuRatio: round(cpuRatio), budgetRatio, windowSeconds: this.budget.windowSeconds },
        'over the CPU budget: shedding optional scan work',
      );
    else this.log.info({ cpuRatio: round(cpuRatio), budgetRatio }, 'back within the CPU budget');
  }
}

export function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
