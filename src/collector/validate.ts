/**
 * Schema validation of POST /v1/events bodies (DESIGN.md "Wire format"). The first bad field is named in
 * the error (`[3].severity: must be one of …`); unknown fields are ignored, so a newer agent's additions
 * do not break an older collector. Unknown keys of `host` are dropped for the same reason; its known ones are
 * held strictly (printable text within HOST_FACT_LIMITS), since they are shown to people as they are.
 */
import {
  EVENT_LIMITS,
  HOST_FACT_LIMITS,
  HOST_FACT_TOKEN_RE,
  HOST_FACT_TOKENS,
  MAX_EVENTS_PER_REQUEST,
  SEVERITIES,
  STATUSES,
  UNPRINTABLE_RE,
  isSeverity,
} from '../contracts.js';
import type { AlertEvent, BaselineRef, Evidence, HostFacts, Status } from '../contracts.js';

/** The contract's limits, which the agent fits its events to (src/alerts/limits.ts): one definition for both ends. */
export const LIMITS = EVENT_LIMITS;

export type Validated = { ok: true; events: AlertEvent[] } | { ok: false; error: string };

const CHECK_RE = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;
const PROBE_RE = /^[a-z0-9][a-z0-9_-]*$/;
// Kubernetes node names are DNS subdomains; allow what a bare host may call itself too.
const NODE_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const ID_RE = /^[A-Za-z0-9._:-]+$/;
// SHA-256 today (64); room for SHA-512 or BLAKE2 MACs, never free text.
const DIGEST_RE = /^[0-9a-f]{32,128}$/;

class Bad extends Error {}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string, at: string, max: number, re?: RegExp): string {
  const v = o[k];
  if (v === undefined) throw new Bad(`${at}.${k}: required`);
  if (typeof v !== 'string') throw new Bad(`${at}.${k}: must be a string, got ${typeName(v)}`);
  if (v.length === 0 || v.length > max) throw new Bad(`${at}.${k}: must be 1 to ${max} characters, got ${v.length}`);
  if (re && !re.test(v)) throw new Bad(`${at}.${k}: invalid format`);
  return v;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function evidence(v: unknown, at: string): Evidence[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Bad(`${at}: must be an array, got ${typeName(v)}`);
  if (v.length > LIMITS.evidence) throw new Bad(`${at}: at most ${LIMITS.evidence} items, got ${v.length}`);
  return v.map((e, i) => {
    const here = `${at}[${i}]`;
    if (!isObj(e)) throw new Bad(`${here}: must be an object, got ${typeName(e)}`);
    const out: Evidence = {};
    if (e.file !== undefined) {
      if (typeof e.file !== 'string' || e.file.length > LIMITS.evidenceFile)
        throw new Bad(`${here}.file: must be a string of at most ${LIMITS.evidenceFile} characters`);
      out.file = e.file;
    }
    if (e.line !== undefined) {
      if (typeof e.line !== 'number' || !Number.isInteger(e.line) || e.line < 0)
        throw new Bad(`${here}.line: must be a non-negative integer`);
      out.line = e.line;
    }
    if (e.text !== undefined) {
      if (typeof e.text !== 'string' || e.text.length > LIMITS.evidenceText)
        throw new Bad(`${here}.text: must be a string of at most ${LIMITS.evidenceText} characters`);
      out.text = e.text;
    }
    return out;
  });
}

export function validateEvent(v: unknown, at: string): AlertEvent {
  if (!isObj(v)) throw new Bad(`${at}: must be an object, got ${typeName(v)}`);
  const id = str(v, 'id', at, LIMITS.id, ID_RE);
  const node = str(v, 'node', at, LIMITS.node, NODE_RE);
  const check = str(v, 'check', at, LIMITS.check, CHECK_RE);
  const probe = str(v, 'probe', at, LIMITS.probe, PROBE_RE);
  if (!(STATUSES as readonly unknown[]).includes(v.status))
    throw new Bad(`${at}.status: must be one of ${STATUSES.join(', ')}`);
  if (!isSeverity(v.severity)) throw new Bad(`${at}.severity: must be one of ${SEVERITIES.join(', ')}`);
  const title = str(v, 'title', at, LIMITS.title);
  const message = typeof v.message === 'string' && v.message.length === 0 ? '' : str(v, 'message', at, LIMITS.message);
  const ev = evidence(v.evidence, `${at}.evidence`);
  const observedAt = str(v, 'observedAt', at, 40, ISO_RE);
  if (!Number.isFinite(Date.parse(observedAt))) throw new Bad(`${at}.observedAt: not a valid time`);
  if (v.accepted !== undefined && typeof v.accepted !== 'boolean')
    throw new Bad(`${at}.accepted: must be true or false`);
  const e: AlertEvent = {
    id,
    node,
    check,
    probe,
    status: v.status as Status,
    severity: v.severity,
    title,
    message,
    evidence: ev,
    observedAt,
  };
  if (v.accepted === true) e.accepted = true;
  if (v.baseline !== undefined) e.baseline = baseline(v.baseline, `${at}.baseline`);
  if (v.evidenceOmitted !== undefined) e.evidenceOmitted = count(v.evidenceOmitted, `${at}.evidenceOmitted`);
  if (v.host !== undefined) {
    const host = hostFacts(v.host, `${at}.host`);
    if (host) e.host = host;
  }
  return e;
}

/** The known host facts, each checked; undefined when none is there (an empty object, or only unknown keys). */
function hostFacts(v: unknown, at: string): HostFacts | undefined {
  if (!isObj(v)) throw new Bad(`${at}: must be an object, got ${typeName(v)}`);
  const out: HostFacts = {};
  for (const k of Object.keys(HOST_FACT_LIMITS) as (keyof HostFacts)[]) {
    if (v[k] === undefined) continue;
    const s = str(v, k, at, HOST_FACT_LIMITS[k], HOST_FACT_TOKENS.includes(k) ? HOST_FACT_TOKEN_RE : undefined);
    if (UNPRINTABLE_RE.test(s)) throw new Bad(`${at}.${k}: control or format characters are not allowed`);
    out[k] = s;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function baseline(v: unknown, at: string): BaselineRef {
  if (!isObj(v)) throw new Bad(`${at}: must be an object, got ${typeName(v)}`);
  const digest = str(v, 'digest', at, 128, DIGEST_RE);
  const created = str(v, 'created', at, 40, ISO_RE);
  if (!Number.isFinite(Date.parse(created))) throw new Bad(`${at}.created: not a valid time`);
  if (typeof v.signed !== 'boolean') throw new Bad(`${at}.signed: must be true or false`);
  const ref: BaselineRef = { digest, created, signed: v.signed };
  if (v.generation !== undefined) ref.generation = count(v.generation, `${at}.generation`);
  return ref;
}

/** A non-negative integer well inside a double's exact range (generations, counts). */
function count(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 48)
    throw new Bad(`${at}: must be an integer from 0 to 2^48`);
  return v;
}

/** Validate a parsed body: a JSON array of 1..MAX_EVENTS_PER_REQUEST events. */
export function validateEvents(body: unknown): Validated {
  try {
    if (!Array.isArray(body)) throw new Bad(`body: must be a JSON array of events, got ${typeName(body)}`);
    if (body.length > MAX_EVENTS_PER_REQUEST)
      throw new Bad(`body: at most ${MAX_EVENTS_PER_REQUEST} events per request, got ${body.length}`);
    return { ok: true, events: body.map((e, i) => validateEvent(e, `[${i}]`)) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: e.message };
    throw e;
  }
}
