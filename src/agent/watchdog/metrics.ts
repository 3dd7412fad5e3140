/** The watchdog's metrics: its budgets, what it measures, the time over budget and what it shed. */
import { Counter, Gauge, Registry } from 'prom-client';
import type { WatchdogBudget } from '../watchdog.js';
import type { EventLoopFigures } from './event-loop.js';

/** What the gauges read at each scrape. */
export interface WatchdogReadings {
  rss(): number;
  cpuRatio(): number;
  eventLoop(): EventLoopFigures;
}

export interface WatchdogMetrics {
  registry: Registry;
  overSeconds: Counter<'resource'>;
  shedTotal: Counter<'action'>;
  scanPeak: Gauge;
}

export function createWatchdogMetrics(
  budget: WatchdogBudget,
  actions: readonly string[],
  read: WatchdogReadings,
): WatchdogMetrics {
  const registry = new Registry();
  const registers = [registry];
  budgetGauges(budget, registers);
  new Gauge({
    name: 'hostward_watchdog_memory_bytes',
    help: "The agent's resident memory at the watchdog's last sample, in bytes.",
    registers,
    collect() {
      this.set(read.rss());
    },
  });
  new Gauge({
    name: 'hostward_watchdog_cpu_ratio',
    help: 'CPU of the agent and its scans over the window, as a fraction of one core.',
    registers,
    collect() {
      this.set(read.cpuRatio());
    },
  });
  const overSeconds = new Counter({
    name: 'hostward_watchdog_over_budget_seconds_total',
    help: 'Time the agent spent over its memory or CPU budget, in seconds.',
    labelNames: ['resource'] as const,
    registers,
  });
  const shedTotal = new Counter({
    name: 'hostward_watchdog_shed_actions_total',
    help: 'Optional work left out of a scan because the agent was over budget.',
    labelNames: ['action'] as const,
    registers,
  });
  const scanPeak = new Gauge({
    name: 'hostward_watchdog_scan_peak_memory_bytes',
    help: 'Peak resident memory (VmHWM) of the last scan process, as sampled while it ran, in bytes.',
    registers,
  });
  for (const r of ['memory', 'cpu']) overSeconds.labels(r).inc(0);
  for (const a of actions) shedTotal.labels(a).inc(0);
  eventLoopGauges(read, registers);
  return { registry, overSeconds, shedTotal, scanPeak };
}

function budgetGauges(budget: WatchdogBudget, registers: Registry[]): void {
  new Gauge({
    name: 'hostward_watchdog_memory_budget_bytes',
    help: "The watchdog's budget for the agent's resident memory, in bytes.",
    registers,
  }).set(budget.memoryBytes);
  new Gauge({
    name: 'hostward_watchdog_cpu_budget_ratio',
    help: "The watchdog's CPU budget for the agent and its scans, as a fraction of one core averaged over the window.",
    registers,
  }).set(budget.cpuPercent / 100);
  new Gauge({
    name: 'hostward_watchdog_window_seconds',
    help: 'The window the CPU budget is averaged over, in seconds.',
    registers,
  }).set(budget.windowSeconds);
}

function eventLoopGauges(read: WatchdogReadings, registers: Registry[]): void {
  new Gauge({
    name: 'hostward_event_loop_delay_max_seconds',
    help: "Longest delay of the agent's event loop over the watchdog window, in seconds.",
    registers,
    collect() {
      this.set(read.eventLoop().maxSeconds);
    },
  });
  new Gauge({
    name: 'hostward_event_loop_delay_p99_seconds',
    help: "99th percentile of the agent's event-loop delay (worst sampling interval of the window), in seconds.",
    registers,
    collect() {
      this.set(read.eventLoop().p99Seconds);
    },
  });
}
