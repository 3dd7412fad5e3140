/**
 * The scan engine: runs probes concurrently, each with its own timeout and abort signal, evaluates every
 * check over the probe's facts, applies the configuration (disabled checks, severity overrides, accepted
 * exceptions), and assembles the report of DESIGN.md. A probe that throws or times out becomes
 * `probes[].status = "error"` and its checks `unknown`; the scan always completes.
 */
import type { Logger } from 'pino';
import type { Finding, Measurement, OwnListener, ProbeRun, Report, Summary, Severity } from '../contracts.js';
import { atLeast } from '../contracts.js';
import type { Probe, Outcome, Check } from '../sdk.js';
import { HostRoot } from '../host/root.js';
import { hostExec } from '../host/exec.js';
import { detectOs, detectNodeName } from '../host/os.js';
import { detectHostRole } from './host-role.js';
import type { Config } from '../config/config.js';
import { VERSION } from '../version.js';

export interface ScanOptions {
  probes: readonly Probe[];
  config: Config;
  log: Logger;
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

  const results = await Promise.all(
    probes.map(async (probe): Promise<{ run: ProbeRun; findings: Finding[]; measurements: Measurement[] }> => {
      const log = opts.log.child({ probe: probe.name });
      const ac = new AbortController();
      const p0 = performance.now();
      let facts: unknown;
      let error: string | undefined;
      try {
        facts = await withTimeout(
          probe.gather({
            host,
            exec,
            log,
            config: config.probes[probe.name] ?? {},
            signal: ac.signal,
            now,
            mode: opts.mode ?? 'scan',
            hostRole,
            ...(opts.ownListeners ? { ownListeners: opts.ownListeners } : {}),
          }),
          timeoutMs,
          ac,
        );
      } catch (e) {
        error = errorMessage(e);
        log.warn({ err: error }, 'probe failed');
      }
      const durationSeconds = (performance.now() - p0) / 1000;
      let pre: Outcome | undefined;
      if (error !== undefined) pre = { status: 'unknown', message: `the ${probe.name} probe failed: ${error}` };
      else {
        try {
          pre = probe.precondition?.(facts);
        } catch (e) {
          pre = { status: 'unknown', message: `the ${probe.name} probe could not decide: ${errorMessage(e)}` };
        }
      }
      const findings = probe.checks
        .filter((c) => config.checks[c.id]?.enabled !== false)
        .map((c) => toFinding(probe, c, evaluate(c, facts, pre), config, today))
        .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.check.localeCompare(b.check));
      let measurements: Measurement[] = [];
      if (error === undefined && probe.measure) {
        try {
          measurements = probe.measure(facts);
        } catch (e) {
          log.warn({ err: errorMessage(e) }, 'probe measurements failed');
        }
      }
      const run: ProbeRun = {
        probe: probe.name,
        status: error === undefined ? 'ok' : 'error',
        durationSeconds: round(durationSeconds),
      };
      if (error !== undefined) run.error = error;
      if (error === undefined && probe.runFields) {
        try {
          const extra = probe.runFields(facts);
          if (extra.baseline) run.baseline = extra.baseline;
        } catch (e) {
          log.warn({ err: errorMessage(e) }, 'probe run fields failed');
        }
      }
      return { run, findings, measurements };
    }),
  );

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

function round(s: number): number {
  return Math.round(s * 1e4) / 1e4;
}
