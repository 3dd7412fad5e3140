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
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Finding, Report } from '../contracts.js';
import type { Probe, ShedSpec } from '../sdk.js';
import { summarise } from '../scan/runner.js';
import { BudgetState, round } from './watchdog/budget.js';
import { CpuWindow } from './watchdog/cpu.js';
import { EventLoopWindow } from './watchdog/event-loop.js';
import type { EventLoopFigures } from './watchdog/event-loop.js';
import { createWatchdogMetrics } from './watchdog/metrics.js';
import type { WatchdogMetrics } from './watchdog/metrics.js';

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

export type { EventLoopFigures } from './watchdog/event-loop.js';

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
  return new AgentWatchdog(opts);
}

/**
 * Samples the agent (and its scan children while they run) every interval: the CPU over the window (CpuWindow),
 * the memory and CPU budgets (BudgetState) and the event-loop delay (EventLoopWindow).
 */
class AgentWatchdog implements Watchdog {
  readonly registry: Registry;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sample: () => Sample;
  private readonly cpu: CpuWindow;
  private readonly budget: BudgetState;
  private readonly loop: EventLoopWindow;
  private readonly metrics: WatchdogMetrics;
  private readonly actions: ShedAction[];
  private lastRss: number;
  private lastTick: number;
  private readonly timer: NodeJS.Timeout | undefined;
  /** While a scan runs, its usage is read more often than the budget is checked: a scan may last under a second. */
  private childTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WatchdogOptions) {
    const budget: WatchdogBudget = {
      memoryBytes: opts.memoryBytes ?? DEFAULT_BUDGET.memoryBytes,
      cpuPercent: opts.cpuPercent ?? DEFAULT_BUDGET.cpuPercent,
      windowSeconds: opts.windowSeconds ?? DEFAULT_BUDGET.windowSeconds,
    };
    const windowMs = budget.windowSeconds * 1000;
    this.log = opts.log.child({ component: 'watchdog' });
    this.now = opts.now ?? (() => performance.now());
    this.sample = opts.sample ?? (() => ({ rss: process.memoryUsage.rss(), cpuMicros: cpuMicros(process.cpuUsage()) }));
    const first = this.sample();
    this.cpu = new CpuWindow(windowMs, opts.readChild ?? readProcUsage, first, this.now());
    this.lastRss = first.rss;
    this.lastTick = this.now();
    this.actions = [...(opts.actions ?? [])];
    this.loop = new EventLoopWindow(windowMs);
    this.metrics = createWatchdogMetrics(budget, this.actions, {
      rss: () => this.lastRss,
      cpuRatio: () => this.cpu.ratio,
      eventLoop: () => this.loop.figures(),
    });
    this.registry = this.metrics.registry;
    this.budget = new BudgetState(budget, this.log, this.metrics.overSeconds);
    this.timer = opts.timer === false ? undefined : setInterval(() => this.tick(), this.intervalMs);
    this.timer?.unref();
  }

  private get intervalMs(): number {
    return this.opts.intervalMs ?? 1000;
  }

  tick(): void {
    const t = this.now();
    const s = this.sample();
    this.cpu.pollChildren();
    this.lastRss = s.rss;
    this.cpu.add(t, s);
    const elapsed = (t - this.lastTick) / 1000;
    this.lastTick = t;
    this.budget.update(s.rss, this.cpu.ratio, elapsed);
    this.loop.roll(t);
  }

  overBudget(): { memory: boolean; cpu: boolean } {
    return { ...this.budget.over };
  }

  current(): { cpuRatio: number; rss: number } {
    return { cpuRatio: this.cpu.ratio, rss: this.lastRss };
  }

  eventLoop(): EventLoopFigures {
    return this.loop.figures();
  }

  shedForScan(): ShedAction[] {
    const over = this.budget.over;
    if (!over.memory && !over.cpu) return [];
    const shed = [...this.actions];
    for (const a of shed) this.metrics.shedTotal.labels(a).inc();
    this.log.warn(
      { shed, memory: over.memory, cpu: over.cpu, rssBytes: this.lastRss, cpuRatio: round(this.cpu.ratio) },
      'scan sheds optional work: the agent is over budget',
    );
    return shed;
  }

  trackChild(pid: number): () => void {
    this.cpu.track(pid);
    if (this.opts.timer !== false && !this.childTimer) {
      this.childTimer = setInterval(() => this.cpu.pollChildren(), Math.min(100, this.intervalMs));
      this.childTimer.unref();
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.childExited(pid);
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.childTimer) clearInterval(this.childTimer);
    this.loop.close();
  }

  private childExited(pid: number): void {
    const last = this.cpu.untrack(pid);
    if (this.cpu.running === 0 && this.childTimer) {
      clearInterval(this.childTimer);
      this.childTimer = undefined;
    }
    if (last) this.metrics.scanPeak.set(last.peakRssBytes);
  }
}

function cpuMicros(u: NodeJS.CpuUsage): number {
  return u.user + u.system;
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
