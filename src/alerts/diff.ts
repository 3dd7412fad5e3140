/**
 * The state diff of the alert flow (DESIGN.md "Alert flow" 1): the previous state of a node's alerts and
 * a new report in, the events to send and the next state out. Pure: no I/O, the clock and the id source
 * are passed in, so it is tested on values alone.
 *
 * - a check entering `fail` opens an alert (event with status fail);
 * - a change of severity, title, message or evidence while failing updates it (another fail event);
 * - leaving `fail` (pass, skip, or a failure now covered by an accepted exception) resolves it;
 * - `unknown`, or a check missing from the report (its probe errored), never resolves by itself: only
 *   after `unknownGraceScans` consecutive such scans, when that is above 0.
 */
import { createHash } from 'node:crypto';
import type { AlertEvent, BaselineRef, Evidence, Finding, Report, Severity, Status } from '../contracts.js';
import { parseRefused, refusedAlert } from './refused.js';
import type { Refused } from './refused.js';

/** One open alert as the agent remembers it (persisted, so a restarted agent neither re-alerts nor forgets). */
export interface OpenAlert {
  check: string;
  probe: string;
  severity: Severity;
  title: string;
  message: string;
  evidence: Evidence[];
  fingerprint: string;
  openedAt: string;
  /** Consecutive scans in which the check was unknown or absent. */
  unknownScans: number;
}

export interface AlertState {
  version: 1;
  node: string;
  open: Record<string, OpenAlert>;
  /** Epoch ms of the last periodic re-send of open alerts. */
  lastResendAt: number;
  /** Checks whose last event the collector refused (./refused.ts); absent when none. */
  refused?: Refused;
}

export function emptyState(node: string): AlertState {
  return { version: 1, node, open: {}, lastResendAt: 0 };
}

export interface DiffOptions {
  unknownGraceScans: number;
  newId: () => string;
}

export interface DiffResult {
  events: AlertEvent[];
  next: AlertState;
}

/** What identifies the content of a failure: a change of it while failing is an update. */
export function fingerprint(f: Pick<Finding, 'severity' | 'title' | 'message' | 'evidence'>): string {
  return createHash('sha256')
    .update(JSON.stringify([f.severity, f.title, f.message, f.evidence]))
    .digest('hex')
    .slice(0, 32);
}

function isFailing(f: Finding | undefined): boolean {
  return f !== undefined && f.status === 'fail' && f.exception === undefined;
}

export function diffReport(prev: AlertState, report: Report, opts: DiffOptions): DiffResult {
  const observedAt = finishedAt(report);
  const node = report.node;
  const byCheck = new Map<string, Finding>();
  for (const f of report.findings) byCheck.set(f.check, f);

  const events: AlertEvent[] = [];
  const open: Record<string, OpenAlert> = {};
  const event = (
    a: Pick<OpenAlert, 'check' | 'probe' | 'severity' | 'title' | 'message' | 'evidence'>,
    status: Status,
    accepted = false,
  ): AlertEvent => {
    const e: AlertEvent = {
      id: opts.newId(),
      node,
      check: a.check,
      probe: a.probe,
      status,
      severity: a.severity,
      title: a.title,
      message: a.message,
      evidence: a.evidence,
      observedAt,
    };
    if (accepted) e.accepted = true;
    return e;
  };

  // Alerts that were open: still failing (maybe changed), resolved, or unknown.
  for (const [check, a] of Object.entries(prev.open)) {
    const f = byCheck.get(check);
    if (f && isFailing(f)) {
      const fp = fingerprint(f);
      const cur: OpenAlert = { ...fromFinding(f), fingerprint: fp, openedAt: a.openedAt, unknownScans: 0 };
      if (fp !== a.fingerprint) events.push(event(cur, 'fail'));
      open[check] = cur;
    } else if (f === undefined || f.status === 'unknown') {
      const unknownScans = a.unknownScans + 1;
      if (opts.unknownGraceScans > 0 && unknownScans >= opts.unknownGraceScans) {
        const why = f ? f.message : 'the check is no longer reported (its probe failed or was disabled)';
        events.push(event({ ...a, message: `unknown for ${unknownScans} scans: ${why}` }, 'unknown'));
      } else {
        open[check] = { ...a, unknownScans };
      }
    } else {
      // pass, skip, or fail covered by an accepted exception: resolved.
      events.push(event(fromFinding(f), f.status, f.status === 'fail'));
    }
  }
  // Checks newly failing.
  for (const f of report.findings) {
    if (!isFailing(f) || prev.open[f.check] !== undefined || open[f.check] !== undefined) continue;
    const cur: OpenAlert = { ...fromFinding(f), fingerprint: fingerprint(f), openedAt: observedAt, unknownScans: 0 };
    events.push(event(cur, 'fail'));
    open[f.check] = cur;
  }
  const refused = prev.refused ? { refused: prev.refused } : {};
  return { events, next: { version: 1, node, open, lastResendAt: prev.lastResendAt, ...refused } };
}

/** The current state of every open alert, as fresh events (the periodic re-send), the agent's own included. */
export function resendEvents(state: AlertState, newId: () => string, now: Date): AlertEvent[] {
  const own = state.refused ? [refusedAlert(state.node, state.refused, newId(), now)] : [];
  return own.concat(openEvents(state, newId, now));
}

function openEvents(state: AlertState, newId: () => string, now: Date): AlertEvent[] {
  return Object.values(state.open).map((a) => ({
    id: newId(),
    node: state.node,
    check: a.check,
    probe: a.probe,
    status: 'fail' as const,
    severity: a.severity,
    title: a.title,
    message: a.message,
    evidence: a.evidence,
    observedAt: now.toISOString(),
  }));
}

function fromFinding(f: Finding): Pick<OpenAlert, 'check' | 'probe' | 'severity' | 'title' | 'message' | 'evidence'> {
  return {
    check: f.check,
    probe: f.probe,
    severity: f.severity,
    title: f.title,
    message: f.message,
    evidence: f.evidence,
  };
}

function finishedAt(r: Report): string {
  const ms = Date.parse(r.startedAt) + r.durationSeconds * 1000;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : new Date().toISOString();
}

/** Validate a persisted state read back from disk (hostile input: a truncated or hand-edited file). */
export function parseState(text: string): AlertState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Partial<AlertState>;
  if (s.version !== 1 || typeof s.node !== 'string' || typeof s.open !== 'object' || s.open === null) return undefined;
  for (const a of Object.values(s.open)) {
    if (typeof a !== 'object' || a === null || typeof a.check !== 'string' || typeof a.fingerprint !== 'string')
      return undefined;
  }
  const refused = parseRefused(s.refused);
  const lastResendAt = typeof s.lastResendAt === 'number' ? s.lastResendAt : 0;
  return { version: 1, node: s.node, open: s.open, lastResendAt, ...(refused ? { refused } : {}) };
}

const DIGEST_RE = /^[0-9a-f]{32,128}$/;
// The collector's form of a time (src/collector/validate.ts); the probe writes toISOString(), which has it.
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The node's integrity baseline, from the typed ProbeRun.baseline of the report (the integrity probe sets it
 * only for a baseline it verified or checksummed). Undefined when no probe reported one, or when what the
 * report holds is not of the wire format's shape: the report may come from a child process, and an event the
 * collector would refuse would be set aside with everything else it carries.
 */
export function baselineOf(report: Report): BaselineRef | undefined {
  const b = report.probes.find((p) => p.baseline !== undefined)?.baseline;
  if (!b || typeof b.digest !== 'string' || !DIGEST_RE.test(b.digest) || typeof b.signed !== 'boolean')
    return undefined;
  if (typeof b.created !== 'string' || !ISO_RE.test(b.created) || !Number.isFinite(Date.parse(b.created)))
    return undefined;
  const g = b.generation;
  if (g !== undefined && (typeof g !== 'number' || !Number.isSafeInteger(g) || g < 0)) return undefined;
  return { digest: b.digest, created: b.created, signed: b.signed, ...(g !== undefined ? { generation: g } : {}) };
}
