/**
 * Scans in a short-lived child process: the agent runs `hostward scan --format json` (the CLI contract) and
 * reads the report from its stdout. The idle agent then holds only its HTTP server, schedule and metrics;
 * everything a scan loads (ssh2, parsers, file contents) goes back to the OS when the child exits, a probe
 * that wedges the event loop is killed at the deadline, and a crash in a scan cannot take the agent down.
 *
 * Partial re-scans. The scanner is change-aware (src/agent/watch.ts): told which paths changed and which probes
 * read them, its next scan runs only those probes (`--probe`, with the changed paths in HOSTWARD_CHANGED_PATHS
 * so the integrity probe re-checks them alone) and merges their findings, probe runs and measurements into
 * the last full report; the other probes' findings are kept as they were. A scan with no change pending (the
 * schedule, the start, an explicit scan) is a full one, and so is the scan after a failed partial one or a
 * lost watch.
 */
import { execFile } from 'node:child_process';
import type { ExecFileException } from 'node:child_process';
import type { Finding, Measurement, OwnListener, Report } from '../contracts.js';
import type { Probe } from '../sdk.js';
import { summarise } from '../scan/runner.js';
import type { ChangeAware, WatchChange } from './watch.js';
import { SHED_ENV } from './watchdog.js';
import type { WatchdogAware, WatchdogHooks } from './watchdog.js';

export interface ChildScanOptions {
  /** Path of the CLI entry point (dist/src/cli/main.js). */
  cli: string;
  /** The probes the CLI runs: their declared metrics say which series a partial re-scan replaces. */
  probes: readonly Pick<Probe, 'name' | 'metrics'>[];
  root: string;
  configFile?: string;
  /** Kill the child after this long. */
  timeoutMs: number;
  /** At most this many bytes of report. */
  maxBytes?: number;
  env?: NodeJS.ProcessEnv;
}

/** Tells the child `hostward scan` that it scans for the agent (ctx.mode 'agent'). */
export const SCAN_MODE_ENV = 'HOSTWARD_SCAN_MODE';
/**
 * The host paths that changed, as a JSON list, for a partial re-scan (read by the probes that re-check paths alone).
 */
export const CHANGED_PATHS_ENV = 'HOSTWARD_CHANGED_PATHS';
/** The agent's own listeners as JSON (ctx.ownListeners of the scan's probes). */
export const OWN_LISTENERS_ENV = 'HOSTWARD_OWN_LISTENERS';
/** More changed paths than this are not passed: the probes then look at everything they read. */
const MAX_CHANGED_PATHS = 1000;

/**
 * Which probe produces each probe metric, as the probes declare them (Probe.metrics), so that a partial re-scan
 * replaces exactly the series of the probes it re-ran, including those that now have no series at all.
 */
export function metricOwners(probes: readonly Pick<Probe, 'name' | 'metrics'>[]): ReadonlyMap<string, string> {
  return new Map(probes.flatMap((p) => Object.keys(p.metrics ?? {}).map((m) => [m, p.name] as const)));
}

export class ChildScanError extends Error {
  readonly code = 'HOSTWARD_CHILD_SCAN_FAILED';
}

function isReport(v: unknown): v is Report {
  const r = v as Partial<Report> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.findings) &&
    Array.isArray(r.probes) &&
    typeof r.summary === 'object'
  );
}

/**
 * `prev` with the probes in `rerun` replaced by their results in `part`. Findings keep prev's probe order; the
 * report's time and duration are the partial scan's (it is the latest look at the host). `owners` maps each probe
 * metric to its probe (metricOwners).
 */
export function mergeReports(
  prev: Report,
  part: Report,
  rerun: readonly string[],
  owners: ReadonlyMap<string, string>,
): Report {
  const again = new Set(rerun);
  const byProbe = new Map<string, Finding[]>();
  for (const f of part.findings) {
    const l = byProbe.get(f.probe);
    if (l) l.push(f);
    else byProbe.set(f.probe, [f]);
  }
  const findings: Finding[] = [];
  const order = [
    ...prev.probes.map((p) => p.probe),
    ...part.probes.map((p) => p.probe).filter((p) => !prev.probes.some((q) => q.probe === p)),
  ];
  for (const probe of order) {
    if (again.has(probe)) findings.push(...(byProbe.get(probe) ?? []));
    else findings.push(...prev.findings.filter((f) => f.probe === probe));
  }
  const partRuns = new Map(part.probes.map((r) => [r.probe, r]));
  const probes = order
    .map((p) => (again.has(p) ? partRuns.get(p) : undefined) ?? prev.probes.find((r) => r.probe === p)!)
    .filter(Boolean);
  const partMetrics = new Set(part.measurements.map((m) => m.metric));
  const owned = (m: Measurement) => partMetrics.has(m.metric) || again.has(owners.get(m.metric) ?? '');
  const measurements = [...prev.measurements.filter((m) => !owned(m)), ...part.measurements];
  return {
    ...prev,
    startedAt: part.startedAt,
    durationSeconds: part.durationSeconds,
    probes,
    findings,
    summary: summarise(findings),
    measurements,
  };
}

/** A scanner that can be told the agent's listeners once it has bound them (the port may be chosen at bind). */
export interface ListenerAware {
  useOwnListeners(listeners: readonly OwnListener[]): void;
}

export function isListenerAware(f: unknown): f is ListenerAware {
  return typeof (f as Partial<ListenerAware> | undefined)?.useOwnListeners === 'function';
}

function isOwnListener(v: unknown): v is OwnListener {
  const o = v as Partial<OwnListener> | null;
  if (typeof o !== 'object' || o === null) return false;
  const strings = (l: unknown) => Array.isArray(l) && l.every((x) => typeof x === 'string');
  const paths =
    Array.isArray(o.open) && o.open.every((p) => typeof p?.path === 'string' && typeof p.reveals === 'string');
  return (
    typeof o.service === 'string' &&
    typeof o.address === 'string' &&
    Number.isInteger(o.port) &&
    o.protocol === 'tcp' &&
    typeof o.tls === 'boolean' &&
    strings(o.authentication) &&
    paths &&
    (o.pid === undefined || Number.isInteger(o.pid))
  );
}

/** The listeners the agent passed to this scan; undefined when none were passed or they do not parse. */
export function ownListenersFromEnv(env: NodeJS.ProcessEnv): OwnListener[] | undefined {
  const text = env[OWN_LISTENERS_ENV];
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every(isOwnListener) ? v : undefined;
  } catch {
    return undefined;
  }
}

export type ChildScanner = (() => Promise<Report>) & ChangeAware & WatchdogAware & ListenerAware;

export function childScanner(opts: ChildScanOptions): ChildScanner {
  const s = new PartialScanner(opts);
  return Object.assign(() => s.scan(), {
    useWatchdog: (w: WatchdogHooks) => s.useWatchdog(w),
    useOwnListeners: (l: readonly OwnListener[]) => s.useOwnListeners(l),
    changed: (c: WatchChange) => s.changed(c),
  });
}

/** The changes noted since the last scan, and the last report, which a partial re-scan is merged into. */
class PartialScanner {
  private watchdog: WatchdogHooks | undefined;
  private own: readonly OwnListener[] | undefined;
  private readonly owners: ReadonlyMap<string, string>;
  private last: Report | undefined;
  private paths = new Set<string>();
  private probes = new Set<string>();
  private full = false;

  constructor(private readonly opts: ChildScanOptions) {
    this.owners = metricOwners(opts.probes);
  }

  useWatchdog(w: WatchdogHooks): void {
    this.watchdog = w;
  }

  useOwnListeners(l: readonly OwnListener[]): void {
    this.own = l;
  }

  changed(c: WatchChange): void {
    if (c.full) this.full = true;
    for (const p of c.paths) this.paths.add(p);
    for (const p of c.probes) this.probes.add(p);
  }

  async scan(): Promise<Report> {
    // Take what is pending now: changes noted while this scan runs belong to the next one.
    const changed = [...this.paths].sort();
    const wanted = this.probes;
    const needFull = this.full || this.last === undefined || wanted.size === 0;
    this.paths = new Set();
    this.probes = new Set();
    this.full = false;
    return needFull ? this.fullScan() : this.partialScan(this.last!, wanted, changed);
  }

  private async fullScan(): Promise<Report> {
    try {
      this.last = await this.run([], []);
      return this.last;
    } catch (e) {
      this.full = true;
      throw e;
    }
  }

  private async partialScan(prev: Report, wanted: ReadonlySet<string>, changed: string[]): Promise<Report> {
    const ran = new Set(prev.probes.map((p) => p.probe)); // a probe the configuration does not run stays out
    const rerun = [...wanted].filter((p) => ran.has(p)).sort();
    if (rerun.length === 0) return prev;
    try {
      const part = await this.run(rerun, changed);
      this.last = mergeReports(prev, part, rerun, this.owners);
      return this.last;
    } catch (e) {
      this.full = true; // what this scan should have seen is not lost: the next scan looks at everything
      throw e;
    }
  }

  private run(probes: readonly string[], changed: readonly string[]): Promise<Report> {
    const args = [...scanArgs(this.opts), ...probes.flatMap((p) => ['--probe', p])];
    return runScanProcess(this.opts, args, this.envFor(changed), this.watchdog);
  }

  private envFor(changed: readonly string[]): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...(this.opts.env ?? process.env), [SCAN_MODE_ENV]: 'agent' };
    delete env[CHANGED_PATHS_ENV];
    // Over budget, the agent's watchdog names the optional work this scan leaves out (src/agent/watchdog.ts).
    const shed = this.watchdog?.shedForScan() ?? [];
    if (shed.length > 0) env[SHED_ENV] = shed.join(',');
    else delete env[SHED_ENV];
    if (changed.length > 0 && changed.length <= MAX_CHANGED_PATHS) env[CHANGED_PATHS_ENV] = JSON.stringify(changed);
    if (this.own) env[OWN_LISTENERS_ENV] = JSON.stringify(this.own);
    else delete env[OWN_LISTENERS_ENV];
    return env;
  }
}

/** `hostward scan --format json` on the agent's root and configuration; the probes are added per scan. */
function scanArgs(opts: ChildScanOptions): string[] {
  const config = opts.configFile ? ['--config', opts.configFile] : [];
  return [opts.cli, 'scan', '--format', 'json', '--root', opts.root, ...config];
}

/** Run one scan process and read its report; the watchdog samples it while it runs. */
function runScanProcess(
  opts: ChildScanOptions,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  watchdog: WatchdogHooks | undefined,
): Promise<Report> {
  return new Promise<Report>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      args,
      {
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxBytes ?? 64 * 1024 * 1024,
        env,
        encoding: 'utf8',
      },
      (err, stdout) => {
        untrack?.();
        const r = scanOutcome(err, stdout, opts.timeoutMs);
        if (r instanceof ChildScanError) reject(r);
        else resolve(r);
      },
    );
    const untrack = child.pid !== undefined ? watchdog?.trackChild(child.pid) : undefined;
    // The child's logs (pino, JSON lines on stderr) go where the agent's go.
    child.stderr?.pipe(process.stderr);
  });
}

/** The report a scan process printed, or why there is none. */
function scanOutcome(err: ExecFileException | null, stdout: string, timeoutMs: number): Report | ChildScanError {
  // Exit 1 means "something fails at or above --fail-on": the report is still complete.
  const code = err?.code;
  if (err && code !== 1) {
    const why = err.killed
      ? `killed after ${timeoutMs} ms`
      : `exit ${typeof code === 'number' || typeof code === 'string' ? code : err.message}`;
    return new ChildScanError(`scan process failed (${why})`);
  }
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (!isReport(parsed)) throw new Error('not a report');
    return parsed;
  } catch (e) {
    return new ChildScanError(`scan process printed no report: ${(e as Error).message}`);
  }
}
