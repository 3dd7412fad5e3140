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
import { isListenerAware } from './child-scan.js';
import { serveEndpoints } from './endpoints.js';
import type { Endpoints } from './endpoints.js';
import { WebGuard } from './web-auth.js';
import type { Watchdog } from './watchdog.js';
import type { Logger } from 'pino';
import type { Report } from '../contracts.js';
import type { Config } from '../config/config.js';
import type { Probe } from '../sdk.js';
import { runScan } from '../scan/runner.js';
import { buildRegistry, createProcessMetrics, renderMetrics, CONTENT_TYPE } from '../metrics/exposition.js';
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
  const { config, probes } = opts;
  const log = opts.log.child({ component: 'agent' });
  const schedule = parseSchedule(config.agent.schedule);

  // Only probes that will actually run get zero-filled hostward_checks series.
  const wanted = config.scan.probes;
  const scanned = wanted?.length ? probes.filter((p) => wanted.includes(p.name)) : probes;
  const names = new Set(scanned.map((p) => p.name));
  const catalogue = (
    opts.catalogue ?? probes.flatMap((p) => p.checks.map((c) => ({ id: c.id, probe: p.name, severity: c.severity })))
  ).filter((c) => names.has(c.probe));

  const proc = createProcessMetrics();
  // Resource budgets: over them, the scans this agent starts shed optional work (src/agent/watchdog.ts).
  let watchdog: Watchdog | undefined;
  if (config.agent.watchdog?.enabled) {
    const b = config.agent.watchdog;
    watchdog = startWatchdog({
      log: opts.log,
      actions: [...shedSpecs(probes).keys()],
      memoryBytes: b.memoryBytes,
      cpuPercent: b.cpuPercent,
      windowSeconds: b.windowSeconds,
    });
    if (isWatchdogAware(opts.scan)) opts.scan.useWatchdog(watchdog);
  }
  let scanRegistry: ReturnType<typeof buildRegistry> | undefined;
  let reportJson: string | undefined;
  let running: Promise<Report> | undefined;
  let closing = false;
  let watcher: Watcher | undefined;

  function scanNow(): Promise<Report> {
    if (running) return running;
    const p = (async () => {
      const t0 = performance.now();
      log.debug('scan started');
      try {
        // Probe logs carry {probe}, not the agent's {component}.
        // The agent's own endpoints, as served now, for probes that judge exposure.
        const ownListeners = endpoints.listeners();
        if (isListenerAware(opts.scan)) opts.scan.useOwnListeners(ownListeners);
        const report = await (opts.scan
          ? opts.scan()
          : runScan({ probes, config, log: opts.log, mode: 'agent', ownListeners }));
        scanRegistry = buildRegistry(report, catalogue);
        reportJson = JSON.stringify(report);
        // Idle memory is what a fleet pays for: with --expose-gc (as the image runs), return the scan's
        // garbage now rather than whenever V8 next feels pressure.
        (globalThis as { gc?: () => void }).gc?.();
        log.info(
          {
            durationSeconds: report.durationSeconds,
            probes: report.probes.length,
            errors: report.probes.filter((r) => r.status === 'error').length,
            ...report.summary,
          },
          'scan finished',
        );
        if (opts.onReport) {
          try {
            await opts.onReport(report);
          } catch (e) {
            log.error({ err: e instanceof Error ? e.message : String(e) }, 'alert hook failed');
          }
        }
        return report;
      } catch (e) {
        proc.scanErrors.inc();
        log.error(
          { err: e instanceof Error ? e.message : String(e), seconds: (performance.now() - t0) / 1000 },
          'scan failed',
        );
        throw e;
      } finally {
        proc.scans.inc();
        running = undefined;
      }
    })();
    running = p;
    return p;
  }

  // A scan's failure is already logged; callers that do not await the report must not crash the process.
  const background = (why: string): void => {
    if (closing) return;
    if (running) {
      log.warn({ trigger: why }, 'scan still running; skipping this run');
      return;
    }
    scanNow().catch(() => undefined);
  };

  // A watched configuration file changed: scan now; if a scan is running it may have read the file before
  // the change, so exactly one more scan follows it (further changes meanwhile join that one).
  let rescanQueued = false;
  const rescan = (): void => {
    if (closing) return;
    if (!running) {
      scanNow().catch(() => undefined);
      return;
    }
    if (rescanQueued) return;
    rescanQueued = true;
    void running
      .catch(() => undefined)
      .then(() => {
        rescanQueued = false;
        if (!closing) scanNow().catch(() => undefined);
      });
  };

  // A bad web configuration stops the start naming the key (ConfigError), before anything listens.
  const guard = new WebGuard(config.agent.webConfigFile, log);
  let endpoints: Endpoints;
  try {
    endpoints = await serveEndpoints({
      addresses: opts.host !== undefined ? [opts.host] : config.agent.listen,
      port: opts.port ?? config.agent.port,
      guard,
      log,
      state: {
        metrics: async () => {
          const more = [
            ...(watcher ? [watcher.registry] : []),
            ...(watchdog ? [watchdog.registry] : []),
            ...(opts.registries ?? []),
          ];
          return { type: CONTENT_TYPE, body: await renderMetrics(scanRegistry, proc.registry, ...more) };
        },
        report: () => reportJson,
      },
    });
  } catch (e) {
    watchdog?.close();
    throw e;
  }

  if (config.agent.watch.enabled) {
    const w = config.agent.watch;
    // With probes and config the watcher adds the probes' own targets; a change-aware scan is told what changed
    // (watch.ts).
    watcher = startWatcher({
      root: config.root,
      debounceMs: w.debounceMs,
      maxWatches: w.maxWatches,
      log: opts.log,
      probes,
      config,
      scan: opts.scan,
      onChange: rescan,
    });
  }

  const ticker = startTicker(schedule, () => {
    // A watch that was missing or lost is retried on each scheduled scan.
    watcher?.refresh();
    background('schedule');
  });
  background('start');

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    ticker.stop();
    watcher?.close();
    watchdog?.close();
    await endpoints.close(running ?? Promise.resolve());
    log.info('agent stopped');
  }

  return {
    port: endpoints.port,
    close: () => (closed ??= close()),
    scanNow,
  };
}
