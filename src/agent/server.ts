/**
 * The agent (`hostward agent`, the DaemonSet's long-running mode): scans at start and on a cron schedule,
 * and serves the endpoints of DESIGN.md over node:http or node:https (no framework, to keep idle memory small):
 * GET /metrics, /healthz, /readyz, /v1/report, with the authentication of its web configuration
 * (src/agent/endpoints.ts says who may read what).
 *
 * One scan at a time: a cron tick that finds a scan running is skipped, and scanNow() during a scan
 * returns the running scan's report rather than starting another. With agent.watch, a change to a watched
 * configuration file (src/agent/watch.ts) scans at once, or once more right after a running scan.
 */
import { parseSchedule, startTicker, ScheduleError } from './schedule.js';
import { startWatcher } from './watch.js';
import type { Watcher } from './watch.js';
import { startWatchdog, isWatchdogAware, shedSpecs } from './watchdog.js';
import { serveEndpoints } from './endpoints.js';
import type { Endpoints } from './endpoints.js';
import { WebGuard } from './web-auth.js';
import type { Watchdog } from './watchdog.js';
import type { Logger } from 'pino';
import type { Report } from '../contracts.js';
import type { Config } from '../config/config.js';
import type { Probe } from '../sdk.js';
import { createProcessMetrics, renderMetrics, CONTENT_TYPE } from '../metrics/exposition.js';
import { Scans } from './scans.js';
import type { CatalogueEntry } from '../metrics/exposition.js';
import type { Registry } from 'prom-client';

export interface AgentOptions {
  config: Config;
  probes: readonly Probe[];
  log: Logger;
  /** The checks that can exist; defaults to every check of `probes`. */
  catalogue?: readonly CatalogueEntry[];
  /** Overrides config.agent.port; 0 picks a free port. */
  port?: number;
  /** Overrides config.agent.listen with one address. */
  host?: string;
  /**
   * How to scan; defaults to running the probes in this process. The CLI passes a child-process scanner
   * (src/agent/child-scan.ts) so that what a scan loads and allocates is returned to the OS after each scan.
   */
  scan?: () => Promise<Report>;
  /**
   * Called after each successful scan with its report (the alert outbox, src/alerts/). Awaited before the
   * scan counts as done; a failure is logged and does not fail the scan.
   */
  onReport?: (report: Report) => void | Promise<void>;
  /** More registries to serve on /metrics (the alert outbox's). */
  registries?: readonly Registry[];
}

export interface Agent {
  /** The port actually listened on (useful with port 0). */
  port: number;
  /** Stop the schedule, stop serving, and wait for a running scan to finish. */
  close(): Promise<void>;
  /** Scan now, or join the scan already running. */
  scanNow(): Promise<Report>;
}

export { ScheduleError };

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { config } = opts;
  const log = opts.log.child({ component: 'agent' });
  const schedule = parseSchedule(config.agent.schedule);
  const proc = createProcessMetrics();
  const watchdog = startAgentWatchdog(opts);
  let endpoints: Endpoints | undefined;
  const scans = new Scans({
    config,
    probes: opts.probes,
    log,
    probeLog: opts.log,
    catalogue: scannedCatalogue(opts),
    proc,
    scan: opts.scan,
    onReport: opts.onReport,
    ownListeners: () => endpoints?.listeners() ?? [],
  });
  let watcher: Watcher | undefined;
  // A bad web configuration stops the start naming the key (ConfigError), before anything listens.
  const guard = new WebGuard(config.agent.webConfigFile, log);
  try {
    endpoints = await serveEndpoints({
      addresses: opts.host !== undefined ? [opts.host] : config.agent.listen,
      port: opts.port ?? config.agent.port,
      guard,
      log,
      state: {
        metrics: async () => {
          const more = [watcher?.registry, watchdog?.registry, ...(opts.registries ?? [])];
          return { type: CONTENT_TYPE, body: await renderMetrics(scans.lastRegistry, proc.registry, ...more) };
        },
        report: () => scans.lastJson,
      },
    });
  } catch (e) {
    watchdog?.close();
    throw e;
  }
  watcher = startAgentWatcher(opts, () => scans.rescan());
  const ticker = startTicker(schedule, () => {
    // A watch that was missing or lost is retried on each scheduled scan.
    watcher?.refresh();
    scans.background('schedule');
  });
  scans.background('start');

  const served = endpoints;
  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    const running = scans.stop();
    ticker.stop();
    watcher?.close();
    watchdog?.close();
    await served.close(running ?? Promise.resolve());
    log.info('agent stopped');
  }
  return { port: served.port, close: () => (closed ??= close()), scanNow: () => scans.scanNow() };
}

/** The checks that can exist, of the probes that will actually run: only they get zero-filled hostward_checks. */
function scannedCatalogue(opts: AgentOptions): CatalogueEntry[] {
  const { probes } = opts;
  const wanted = opts.config.scan.probes;
  const scanned = wanted?.length ? probes.filter((p) => wanted.includes(p.name)) : probes;
  const names = new Set(scanned.map((p) => p.name));
  const all =
    opts.catalogue ?? probes.flatMap((p) => p.checks.map((c) => ({ id: c.id, probe: p.name, severity: c.severity })));
  return all.filter((c) => names.has(c.probe));
}

/** Resource budgets (agent.watchdog): over them, the scans this agent starts shed optional work. */
function startAgentWatchdog(opts: AgentOptions): Watchdog | undefined {
  const b = opts.config.agent.watchdog;
  if (!b?.enabled) return undefined;
  const watchdog = startWatchdog({
    log: opts.log,
    actions: [...shedSpecs(opts.probes).keys()],
    memoryBytes: b.memoryBytes,
    cpuPercent: b.cpuPercent,
    windowSeconds: b.windowSeconds,
  });
  if (isWatchdogAware(opts.scan)) opts.scan.useWatchdog(watchdog);
  return watchdog;
}

/**
 * With agent.watch, a change to a watched file calls `rescan`. With probes and config the watcher adds the probes'
 * own targets; a change-aware scan is told what changed (watch.ts).
 */
function startAgentWatcher(opts: AgentOptions, rescan: () => void): Watcher | undefined {
  const { config } = opts;
  const w = config.agent.watch;
  if (!w.enabled) return undefined;
  return startWatcher({
    root: config.root,
    debounceMs: w.debounceMs,
    maxWatches: w.maxWatches,
    log: opts.log,
    probes: opts.probes,
    config,
    scan: opts.scan,
    onChange: rescan,
  });
}
