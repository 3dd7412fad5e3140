/**
 * The scan engine: runs probes concurrently, each with its own timeout and abort signal, evaluates every
 * check over the probe's facts, applies the configuration (disabled checks, severity overrides, accepted
 * exceptions), and assembles the report of DESIGN.md. A probe that throws or times out becomes
 * `probes[].status = "error"` and its checks `unknown`; the scan always completes.
 */
import type { ScanLog } from './log.js';
import type { Finding, Measurement, OwnListener, ProbeRun, Report, Summary, Severity } from '../contracts.js';
import { atLeast } from '../contracts.js';
import type { Probe, Outcome, Check } from '../sdk.js';
import { OptionError, optionErrorKey } from '../probe-options.js';
import { HostRoot } from '../host/root.js';
import { hostExec } from '../host/exec.js';
import { detectOs, detectNodeName } from '../host/os.js';
import { detectHostRole } from './host-role.js';
import type { HostRole } from './host-role.js';
import type { Config } from '../config/config.js';
import { VERSION } from '../version.js';

export interface ScanOptions {
  probes: readonly Probe[];
  config: Config;
  log: ScanLog;
  /** Restrict to these probe names (--probe). */
  only?: readonly string[];
  now?: () => Date;
  /** Passed to probes as ctx.mode; default 'scan'. */
  mode?: 'scan' | 'agent';
  /** Passed to probes as ctx.ownListeners: the endpoints of the agent this scan runs for. */
  ownListeners?: readonly OwnListener[];
}

class ProbeTimeout extends Error {
  readonly code = 'HOSTWARD_PROBE_TIMEOUT';
}

function withTimeout<T>(p: Promise<T>, ms: number, ac: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new ProbeTimeout(`timed out after ${ms / 1000} s`);
      reject(e); // settle first, so the probe's own reaction to the abort cannot win the race
      ac.abort(e);
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Evaluate one check; a check that throws is `unknown` with the reason, never a crashed scan. */
function evaluate<F>(check: Check<F>, facts: F, pre: Outcome | undefined): Outcome {
  if (pre) return pre;
  try {
    return check.evaluate(facts);
  } catch (e) {
    return { status: 'unknown', message: `check could not be evaluated: ${errorMessage(e)}` };
  }
}

export function toFinding(probe: Probe, check: Check<unknown>, o: Outcome, config: Config, today: string): Finding {
  const override = config.checks[check.id];
  const f: Finding = {
    check: check.id,
    probe: probe.name,
    title: check.title,
    status: o.status,
    severity: override?.severity ?? check.severity,
    message: o.message,
    evidence: o.evidence ?? [],
    references: [...check.references],
    remediation: check.remediation,
  };
  if (f.status === 'fail') {
    const ex = config.exceptions.find((e) => e.check === check.id);
    if (ex && ex.expires >= today) f.exception = { reason: ex.reason, expires: ex.expires };
    else if (ex) f.message += ` (the exception "${ex.reason}" expired on ${ex.expires})`;
  }
  return f;
}

export function summarise(findings: readonly Finding[]): Summary {
  const s: Summary = { pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 0 };
  for (const f of findings) {
    if (f.status === 'fail' && f.exception) s.accepted++;
    else s[f.status]++;
  }
  return s;
}

/** True when a finding should fail `scan --fail-on` (or page): failing, at or above the threshold, not accepted. */
export function isGatingFailure(f: Finding, threshold: Severity): boolean {
  return f.status === 'fail' && !f.exception && atLeast(f.severity, threshold);
}

const STATUS_ORDER = { fail: 0, unknown: 1, pass: 2, skip: 3 } as const;

/** What the runner gives every probe of one scan. */
interface ScanRun {
  opts: ScanOptions;
  host: HostRoot;
  exec: ReturnType<typeof hostExec>;
  now: () => Date;
  today: string;
  timeoutMs: number;
  hostRole: HostRole;
}

interface ProbeOutcome {
  run: ProbeRun;
  findings: Finding[];
  measurements: Measurement[];
}

export async function runScan(opts: ScanOptions): Promise<Report> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  const { config } = opts;
  const host = new HostRoot(config.root);
  const exec = hostExec(host.root, { trustedRoots: config.trustedRoots });
  const wanted = opts.only?.length ? opts.only : config.scan.probes;
  const probes = wanted?.length ? opts.probes.filter((p) => wanted.includes(p.name)) : opts.probes;
  const today = started.toISOString().slice(0, 10);
  const timeoutMs = config.scan.probeTimeoutSeconds * 1000;

  const [os, node, hostRole] = await Promise.all([
    detectOs(host),
    config.node ? Promise.resolve(config.node) : detectNodeName(host),
    detectHostRole(host, config.scan.hostRole),
  ]);

  const scan: ScanRun = { opts, host, exec, now, today, timeoutMs, hostRole };
  const results = await Promise.all(probes.map((probe) => runProbe(scan, probe)));
  const findings = results.flatMap((r) => r.findings);

  return {
    node,
    root: host.root,
    agentVersion: VERSION,
    startedAt: started.toISOString(),
    durationSeconds: round((performance.now() - t0) / 1000),
    os,
    probes: results.map((r) => r.run),
    findings,
    summary: summarise(findings),
    measurements: results.flatMap((r) => r.measurements),
  };
}

/** Gather one probe's facts under its timeout; evaluate its checks; collect its measurements and run fields. */
async function runProbe(scan: ScanRun, probe: Probe): Promise<ProbeOutcome> {
  const { config } = scan.opts;
  const log = scan.opts.log.child({ probe: probe.name });
  const p0 = performance.now();
  const { facts, error } = await gatherFacts(scan, probe, log);
  const durationSeconds = (performance.now() - p0) / 1000;
  const pre = error !== undefined ? failedProbe(probe, error) : precondition(probe, facts);
  const findings = probe.checks
    .filter((c) => config.checks[c.id]?.enabled !== false)
    .map((c) => toFinding(probe, c, evaluate(c, facts, pre), config, scan.today))
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.check.localeCompare(b.check));
  const run: ProbeRun = {
    probe: probe.name,
    status: error === undefined ? 'ok' : 'error',
    durationSeconds: round(durationSeconds),
  };
  if (error !== undefined) {
    run.error = error;
    return { run, findings, measurements: [] };
  }
  addRunFields(probe, facts, run, log);
  return { run, findings, measurements: measure(probe, facts, log) };
}

/**
 * A probe's section parsed by its declared options, with this root and environment; undefined for a probe that
 * declares none. The loader validated the section already; one that still fails (a configuration built without the
 * loader) throws naming `probes.<name>.<key>`, so that in a scan the probe fails like any other.
 */
export function parseProbeOptions(probe: Probe, raw: unknown, host: HostRoot, env = process.env): unknown {
  try {
    return probe.options?.parse(raw ?? {}, { rootIsHost: host.isHostRoot, env });
  } catch (e) {
    if (e instanceof OptionError) throw new Error(`${optionErrorKey(probe.name, e)}: ${e.problem}`);
    throw e;
  }
}

async function gatherFacts(scan: ScanRun, probe: Probe, log: ScanLog): Promise<{ facts?: unknown; error?: string }> {
  const { opts } = scan;
  const ac = new AbortController();
  try {
    // Once per scan, after the shed options were set over the section (src/agent/watchdog.ts).
    const options = parseProbeOptions(probe, opts.config.probes[probe.name], scan.host);
    const facts = await withTimeout(
      probe.gather({
        host: scan.host,
        exec: scan.exec,
        log,
        options,
        signal: ac.signal,
        now: scan.now,
        mode: opts.mode ?? 'scan',
        hostRole: scan.hostRole,
        ...(opts.ownListeners ? { ownListeners: opts.ownListeners } : {}),
      }),
      scan.timeoutMs,
      ac,
    );
    return { facts };
  } catch (e) {
    const error = errorMessage(e);
    log.warn({ err: error }, 'probe failed');
    return { error };
  }
}

function failedProbe(probe: Probe, error: string): Outcome {
  return { status: 'unknown', message: `the ${probe.name} probe failed: ${error}` };
}

function precondition(probe: Probe, facts: unknown): Outcome | undefined {
  try {
    return probe.precondition?.(facts);
  } catch (e) {
    return { status: 'unknown', message: `the ${probe.name} probe could not decide: ${errorMessage(e)}` };
  }
}

function measure(probe: Probe, facts: unknown, log: ScanLog): Measurement[] {
  if (!probe.measure) return [];
  try {
    return probe.measure(facts);
  } catch (e) {
    log.warn({ err: errorMessage(e) }, 'probe measurements failed');
    return [];
  }
}

function addRunFields(probe: Probe, facts: unknown, run: ProbeRun, log: ScanLog): void {
  if (!probe.runFields) return;
  try {
    const extra = probe.runFields(facts);
    if (extra.baseline) run.baseline = extra.baseline;
  } catch (e) {
    log.warn({ err: errorMessage(e) }, 'probe run fields failed');
  }
}

function round(s: number): number {
  return Math.round(s * 1e4) / 1e4;
}
