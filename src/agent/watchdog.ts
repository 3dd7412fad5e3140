/**
 * The agent's own watchdog, after osquery's (whose defaults are 200 MB and 10 % CPU for 12 s): a memory
 * budget for the long-running agent process and a CPU budget for the agent plus its scan children, averaged
 * over a window. Over budget, the agent sheds optional work in the scans it starts (what the probes declare as
 * Probe.shed: the live ssh probe, the integrity probe's rolling rehash) before the kernel's OOM killer or the
 * kubelet's eviction does worse, says so in its log, and exports what it measures and what it shed.
 *
 * Also measures the agent's event-loop delay (perf_hooks.monitorEventLoopDelay): scans run in a child process,
 * so the agent's loop should never stall for 100 ms; hostward_event_loop_delay_*_seconds show it does not.
 *
 * The scan child's CPU and peak memory are sampled from /proc/<pid>/stat and /proc/<pid>/status (VmHWM) every
 * 100 ms while it runs (a lower bound: the last 100 ms before it exits are not seen).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Finding, Report } from '../contracts.js';
import type { Probe, ShedSpec } from '../sdk.js';
import { summarise } from '../scan/runner.js';

/** Optional work a scan can do without: the name of a ShedSpec that a probe declares. */
export type ShedAction = string;

type Shedding = Pick<Probe, 'name' | 'shed'>;

/** The optional work the probes declare, by action, with the probe that declares it. */
export function shedSpecs(probes: readonly Shedding[]): ReadonlyMap<ShedAction, { probe: string; spec: ShedSpec }> {
  return new Map(probes.flatMap((p) => (p.shed ? [[p.shed.action, { probe: p.name, spec: p.shed }] as const] : [])));
}

/** Tells the scan child (`hostward scan`) what to shed: a comma-separated list of ShedAction. */
export const SHED_ENV = 'HOSTWARD_SHED';

export interface WatchdogBudget {
  /** Resident memory of the agent process, bytes (default 150 MiB; osquery: 200 MB). */
  memoryBytes: number;
  /** CPU of the agent and its scans as a percentage of one core, averaged over the window (default 5; osquery: 10). */
  cpuPercent: number;
  /** The averaging window, seconds (default 60; osquery: 12, for a worker that runs all the time). */
  windowSeconds: number;
}

export const DEFAULT_BUDGET: WatchdogBudget = { memoryBytes: 150 * 1024 * 1024, cpuPercent: 5, windowSeconds: 60 };

export interface Sample {
  /** Resident memory of this process, bytes. */
  rss: number;
  /** CPU (user + system) of this process since it started, microseconds. */
  cpuMicros: number;
}

export interface WatchdogOptions extends Partial<WatchdogBudget> {
  log: Logger;
  /** What a scan can shed over budget (the keys of shedSpecs over the probes); none by default. */
  actions?: readonly ShedAction[];
  /** Sampling interval, ms (default 1000). */
  intervalMs?: number;
  /** How to sample this process (tests inject one). */
  sample?: () => Sample;
  /** How to read a child's CPU (µs) and peak RSS (bytes) from /proc (tests inject one). */
  readChild?: (pid: number) => ChildUsage | undefined;
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** Start the sampling timer (default true; tests call tick() by hand). */
  timer?: boolean;
}

export interface ChildUsage {
  cpuMicros: number;
  peakRssBytes: number;
}

export interface EventLoopFigures {
  /** Longest delay over the window, seconds. */
  maxSeconds: number;
  /** Worst per-interval 99th percentile over the window, seconds. */
  p99Seconds: number;
}

export interface Watchdog {
  readonly registry: Registry;
  /** What the next scan should shed: empty while within budget. Counts and logs each shed action. */
  shedForScan(): ShedAction[];
  /** Sample a scan child's CPU and peak memory while it runs; returns a function to call when it has exited. */
  trackChild(pid: number): () => void;
  /** Whether the agent is over a budget now. */
  overBudget(): { memory: boolean; cpu: boolean };
  /** The CPU over the window as a fraction of one core, and the last RSS sample. */
  current(): { cpuRatio: number; rss: number };
  eventLoop(): EventLoopFigures;
  /** Take one sample now (the timer does this every interval). */
  tick(): void;
  close(): void;
}

/** Clock ticks per second for /proc/<pid>/stat: 100 on every Linux architecture Node runs on. */
const CLK_TCK = 100;

/** utime + stime (µs) from /proc/<pid>/stat and VmHWM (bytes) from /proc/<pid>/status; undefined once it is gone. */
export function readProcUsage(pid: number): ChildUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces or ')': fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]); // fields 14 and 15 of proc(5), counted from 3
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    if (!Number.isFinite(ticks)) return undefined;
    return { cpuMicros: (ticks * 1e6) / CLK_TCK, peakRssBytes: hwm ? Number(hwm[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

export function startWatchdog(opts: WatchdogOptions): Watchdog {
  const budget: WatchdogBudget = {
    memoryBytes: opts.memoryBytes ?? DEFAULT_BUDGET.memoryBytes,
    cpuPercent: opts.cpuPercent ?? DEFAULT_BUDGET.cpuPercent,
    windowSeconds: opts.windowSeconds ?? DEFAULT_BUDGET.windowSeconds,
  };
  const log = opts.log.child({ component: 'watchdog' });
  const intervalMs = opts.intervalMs ?? 1000;
  const now = opts.now ?? (() => performance.now());
  const sample = opts.sample ?? (() => ({ rss: process.memoryUsage.rss(), cpuMicros: cpuMicros(process.cpuUsage()) }));
  const readChild = opts.readChild ?? readProcUsage;
  const windowMs = budget.windowSeconds * 1000;

  // CPU is cumulative: the agent's own plus every scan child's (finished children keep what was last seen).
  let childCpuDone = 0;
  const children = new Map<number, ChildUsage>();
  const cpuTotal = (s: Sample) =>
    s.cpuMicros + childCpuDone + [...children.values()].reduce((a, c) => a + c.cpuMicros, 0);

  const first = sample();
  const history: { t: number; cpu: number }[] = [{ t: now(), cpu: cpuTotal(first) }];
  let lastRss = first.rss;
  let cpuRatio = 0;
  let over = { memory: false, cpu: false };
  let lastTick = now();

  const registry = new Registry();
  const registers = [registry];
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
  new Gauge({
    name: 'hostward_watchdog_memory_bytes',
    help: "The agent's resident memory at the watchdog's last sample, in bytes.",
    registers,
    collect() {
      this.set(lastRss);
    },
  });
  new Gauge({
    name: 'hostward_watchdog_cpu_ratio',
    help: 'CPU of the agent and its scans over the window, as a fraction of one core.',
    registers,
    collect() {
      this.set(cpuRatio);
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
  const actions = [...(opts.actions ?? [])];
  for (const a of actions) shedTotal.labels(a).inc(0);

  // Event-loop delay: one histogram per interval, kept for the window.
  const loop: ReturnType<typeof monitorEventLoopDelay> = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const loopHistory: { t: number; max: number; p99: number }[] = [];
  const loopFigures = (): EventLoopFigures => {
    const cur = loop.count > 0 ? [{ max: loop.max, p99: loop.percentile(99) }] : [];
    const all = [...loopHistory, ...cur];
    return {
      maxSeconds: all.reduce((m, x) => Math.max(m, x.max), 0) / 1e9,
      p99Seconds: all.reduce((m, x) => Math.max(m, x.p99), 0) / 1e9,
    };
  };
  new Gauge({
    name: 'hostward_event_loop_delay_max_seconds',
    help: "Longest delay of the agent's event loop over the watchdog window, in seconds.",
    registers,
    collect() {
      this.set(loopFigures().maxSeconds);
    },
  });
  new Gauge({
    name: 'hostward_event_loop_delay_p99_seconds',
    help: "99th percentile of the agent's event-loop delay (worst sampling interval of the window), in seconds.",
    registers,
    collect() {
      this.set(loopFigures().p99Seconds);
    },
  });

  function pollChildren(): void {
    for (const [pid, prev] of children) {
      const u = readChild(pid);
      if (u)
        children.set(pid, {
          cpuMicros: Math.max(prev.cpuMicros, u.cpuMicros),
          peakRssBytes: Math.max(prev.peakRssBytes, u.peakRssBytes),
        });
    }
  }
  // While a scan runs, its usage is read more often than the budget is checked: a scan may last under a second.
  let childTimer: NodeJS.Timeout | undefined;

  function tick(): void {
    const t = now();
    const s = sample();
    pollChildren();
    lastRss = s.rss;
    history.push({ t, cpu: cpuTotal(s) });
    while (history.length > 2 && history[1]!.t <= t - windowMs) history.shift();
    const oldest = history[0]!;
    const span = t - oldest.t;
    // Over the whole window even while the agent is younger than it: the start-up scan alone is no overload.
    cpuRatio = Math.max(0, (cpuTotal(s) - oldest.cpu) / 1000 / Math.max(span, windowMs));

    const elapsed = (t - lastTick) / 1000;
    lastTick = t;
    const memOver = s.rss > budget.memoryBytes;
    // Hysteresis: leave the over-budget CPU state below 80 % of the budget, so one quiet second does not flap.
    const cpuLimit = budget.cpuPercent / 100;
    const cpuOver = over.cpu ? cpuRatio > cpuLimit * 0.8 : cpuRatio > cpuLimit;
    if (over.memory) overSeconds.labels('memory').inc(elapsed);
    if (over.cpu) overSeconds.labels('cpu').inc(elapsed);
    if (memOver !== over.memory) {
      if (memOver)
        log.warn(
          { rssBytes: s.rss, budgetBytes: budget.memoryBytes },
          'over the memory budget: shedding optional scan work',
        );
      else log.info({ rssBytes: s.rss, budgetBytes: budget.memoryBytes }, 'back within the memory budget');
    }
    if (cpuOver !== over.cpu) {
      if (cpuOver)
        log.warn(
          { cpuRatio: round(cpuRatio), budgetRatio: cpuLimit, windowSeconds: budget.windowSeconds },
          'over the CPU budget: shedding optional scan work',
        );
      else log.info({ cpuRatio: round(cpuRatio), budgetRatio: cpuLimit }, 'back within the CPU budget');
    }
    over = { memory: memOver, cpu: cpuOver };

    if (loop.count > 0) {
      loopHistory.push({ t, max: loop.max, p99: loop.percentile(99) });
      loop.reset();
    }
    while (loopHistory.length > 0 && loopHistory[0]!.t <= t - windowMs) loopHistory.shift();
  }

  const timer = opts.timer === false ? undefined : setInterval(tick, intervalMs);
  timer?.unref();

  return {
    registry,
    tick,
    overBudget: () => ({ ...over }),
    current: () => ({ cpuRatio, rss: lastRss }),
    eventLoop: loopFigures,
    shedForScan() {
      if (!over.memory && !over.cpu) return [];
      const shed = [...actions];
      for (const a of shed) shedTotal.labels(a).inc();
      log.warn(
        { shed, memory: over.memory, cpu: over.cpu, rssBytes: lastRss, cpuRatio: round(cpuRatio) },
        'scan sheds optional work: the agent is over budget',
      );
      return shed;
    },
    trackChild(pid) {
      children.set(pid, readChild(pid) ?? { cpuMicros: 0, peakRssBytes: 0 });
      if (opts.timer !== false && !childTimer) {
        childTimer = setInterval(pollChildren, Math.min(100, intervalMs));
        childTimer.unref();
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const last = children.get(pid);
        children.delete(pid);
        if (children.size === 0 && childTimer) {
          clearInterval(childTimer);
          childTimer = undefined;
        }
        if (last) {
          childCpuDone += last.cpuMicros;
          scanPeak.set(last.peakRssBytes);
        }
      };
    },
    close() {
      if (timer) clearInterval(timer);
      if (childTimer) clearInterval(childTimer);
      loop.disable();
    },
  };
}

function cpuMicros(u: NodeJS.CpuUsage): number {
  return u.user + u.system;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The shed actions named by the agent for this scan (HOSTWARD_SHED); names no probe declares are ignored. */
export function shedFromEnv(env: NodeJS.ProcessEnv, probes: readonly Shedding[]): ShedAction[] {
  const raw = env[SHED_ENV];
  if (!raw) return [];
  const known = shedSpecs(probes);
  return raw.split(',').filter((a) => known.has(a));
}

/** In the scan child: each shed action sets its options over its probe's section, keeping the rest of it. */
export function applyShed(config: Config, shed: readonly ShedAction[], probes: readonly Shedding[]): void {
  const specs = shedSpecs(probes);
  for (const a of shed) {
    const s = specs.get(a);
    if (s) config.probes[s.probe] = { ...config.probes[s.probe], ...s.spec.options };
  }
}

/**
 * In the scan child, after the scan: a check that skipped because its work was shed (ShedSpec.checks) says
 * `unknown`, so that shedding never resolves an alert.
 */
export function markShed(report: Report, shed: readonly ShedAction[], probes: readonly Shedding[]): void {
  if (shed.length === 0) return;
  const specs = shedSpecs(probes);
  const mark = (f: Finding, action: ShedAction) => {
    f.status = 'unknown';
    f.message = `not checked: the agent is over its resource budget and shed ${action.replace('_', ' ')} work (${f.message})`;
  };
  for (const f of report.findings) {
    for (const a of shed) if (f.status === 'skip' && specs.get(a)?.spec.checks?.test(f.check)) mark(f, a);
  }
  report.summary = summarise(report.findings);
}

/** What a scanner needs from the watchdog: what to shed, and the scan child to sample. */
export type WatchdogHooks = Pick<Watchdog, 'shedForScan' | 'trackChild'>;

/** A scanner that starts scan processes (src/agent/child-scan.ts) takes the agent's watchdog. */
export interface WatchdogAware {
  useWatchdog(w: WatchdogHooks): void;
}

export function isWatchdogAware(v: unknown): v is WatchdogAware {
  return typeof (v as Partial<WatchdogAware> | null)?.useWatchdog === 'function';
}
