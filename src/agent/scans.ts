/**
 * The agent's scans, one at a time: a cron tick that finds a scan running is skipped, and scanNow() during a
 * scan returns the running scan's report rather than starting another. A watched configuration change scans at
 * once, or once more right after a running scan (rescan). The last report is kept as metrics and as JSON.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { OwnListener, Report } from '../contracts.js';
import { buildRegistry } from '../metrics/exposition.js';
import type { CatalogueEntry, ProcessMetrics } from '../metrics/exposition.js';
import { runScan } from '../scan/runner.js';
import type { Probe } from '../sdk.js';
import { isListenerAware } from './child-scan.js';

export interface ScansOptions {
  config: Config;
  probes: readonly Probe[];
  /** The agent's log (component agent). */
  log: Logger;
  /** The log the probes get when they run in this process: their lines carry {probe}, not {component}. */
  probeLog: Logger;
  /** The checks that get zero-filled hostward_checks series. */
  catalogue: readonly CatalogueEntry[];
  /** hostward_scans_total and hostward_scan_errors_total. */
  proc: ProcessMetrics;
  /** How to scan (src/agent/server.ts, AgentOptions.scan); default: the probes in this process. */
  scan?: (() => Promise<Report>) | undefined;
  /** Called after each successful scan with its report; a failure is logged and does not fail the scan. */
  onReport?: ((report: Report) => void | Promise<void>) | undefined;
  /** The agent's own endpoints as served now, for probes that judge exposure. */
  ownListeners: () => OwnListener[];
}

export class Scans {
  private running: Promise<Report> | undefined;
  private rescanQueued = false;
  private closing = false;
  /** The last report's metrics, and the report as JSON (undefined before the first scan). */
  private registry: Registry | undefined;
  private json: string | undefined;

  constructor(private readonly o: ScansOptions) {}

  get lastRegistry(): Registry | undefined {
    return this.registry;
  }

  get lastJson(): string | undefined {
    return this.json;
  }

  /** Scan now, or join the scan already running. */
  scanNow(): Promise<Report> {
    if (this.running) return this.running;
    const p = this.run();
    this.running = p;
    return p;
  }

  /** A scan nobody awaits (the schedule, the start): skipped while one runs; its failure is already logged. */
  background(why: string): void {
    if (this.closing) return;
    if (this.running) {
      this.o.log.warn({ trigger: why }, 'scan still running; skipping this run');
      return;
    }
    this.scanNow().catch(() => undefined);
  }

  /**
   * A watched configuration file changed: scan now; if a scan is running it may have read the file before the
   * change, so exactly one more scan follows it (further changes meanwhile join that one).
   */
  rescan(): void {
    if (this.closing) return;
    if (!this.running) {
      this.scanNow().catch(() => undefined);
      return;
    }
    if (this.rescanQueued) return;
    this.rescanQueued = true;
    void this.running
      .catch(() => undefined)
      .then(() => {
        this.rescanQueued = false;
        if (!this.closing) this.scanNow().catch(() => undefined);
      });
  }

  /** Start no more scans; returns the one running, if any. */
  stop(): Promise<Report> | undefined {
    this.closing = true;
    return this.running;
  }

  private async run(): Promise<Report> {
    const t0 = performance.now();
    this.o.log.debug('scan started');
    try {
      const report = await this.scanOnce();
      this.keep(report);
      await this.hand(report);
      return report;
    } catch (e) {
      this.o.proc.scanErrors.inc();
      this.o.log.error(
        { err: e instanceof Error ? e.message : String(e), seconds: (performance.now() - t0) / 1000 },
        'scan failed',
      );
      throw e;
    } finally {
      this.o.proc.scans.inc();
      this.running = undefined;
    }
  }

  private scanOnce(): Promise<Report> {
    const { scan, probes, config, probeLog } = this.o;
    const ownListeners = this.o.ownListeners();
    if (isListenerAware(scan)) scan.useOwnListeners(ownListeners);
    return scan ? scan() : runScan({ probes, config, log: probeLog, mode: 'agent', ownListeners });
  }

  /** Serve the report from now on, and log what it found. */
  private keep(report: Report): void {
    this.registry = buildRegistry(report, this.o.catalogue);
    this.json = JSON.stringify(report);
    // Idle memory is what a fleet pays for: with --expose-gc (as the image runs), return the scan's
    // garbage now rather than whenever V8 next feels pressure.
    (globalThis as { gc?: () => void }).gc?.();
    this.o.log.info(
      {
        durationSeconds: report.durationSeconds,
        probes: report.probes.length,
        errors: report.probes.filter((r) => r.status === 'error').length,
        ...report.summary,
      },
      'scan finished',
    );
  }

  /** Hand the report to the alert hook, awaited before the scan counts as done. */
  private async hand(report: Report): Promise<void> {
    if (!this.o.onReport) return;
    try {
      await this.o.onReport(report);
    } catch (e) {
      this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'alert hook failed');
    }
  }
}
