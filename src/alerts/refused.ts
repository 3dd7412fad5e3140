/**
 * Events the collector refused (400, 413, 422: retrying cannot help) are set aside by the sender, not retried.
 * So that none is lost silently, the agent keeps which checks had an event refused (in its alert state) and
 * raises its own alert, EVENT_REFUSED_CHECK, naming them; a later event of such a check that the collector
 * accepts means the collector's view of it is current again, and once that holds for all of them the alert
 * resolves. Pure: the caller persists the state and enqueues the events.
 */
import type { AlertEvent } from '../contracts.js';
import { EVENT_REFUSED_CHECK, MAX_EVIDENCE_ITEMS } from '../contracts.js';

/** The last refused event of one check. */
export interface RefusedEvent {
  eventId: string;
  /** The collector's answer (status and its error, which names the first bad field). */
  why: string;
  at: string;
}

/** By check. */
export type Refused = Record<string, RefusedEvent>;

const TITLE = 'The collector refused alert events of this node';
const WHERE = 'outbox/rejected.ndjson in the agent state directory';

function base(node: string, id: string, at: Date): Omit<AlertEvent, 'status' | 'message' | 'evidence'> {
  const observedAt = at.toISOString();
  return { id, node, check: EVENT_REFUSED_CHECK, probe: 'hostward', severity: 'high', title: TITLE, observedAt };
}

/** The failing alert for what is refused now. */
export function refusedAlert(node: string, refused: Refused, id: string, at: Date): AlertEvent {
  const checks = Object.keys(refused).sort();
  const latest = checks.map((c) => refused[c]!).sort((a, b) => b.at.localeCompare(a.at))[0];
  const message =
    `the collector refused the last event of ${checks.length} check${checks.length === 1 ? '' : 's'} (${checks.join(', ')}), ` +
    `so its view of them is stale; latest refusal: ${latest?.why ?? '?'}. The events are set aside in ${WHERE}, not retried`;
  const line = (c: string, r: RefusedEvent) => ({ text: `${c}: event ${r.eventId} refused at ${r.at}: ${r.why}` });
  const evidence = checks.slice(0, MAX_EVIDENCE_ITEMS).map((c) => line(c, refused[c]!));
  return { ...base(node, id, at), status: 'fail', message, evidence };
}

/** The resolve, once a later event of every refused check was accepted. */
export function refusalsResolved(node: string, id: string, at: Date): AlertEvent {
  const message = 'a later event of every check whose event was refused has been accepted';
  return { ...base(node, id, at), status: 'pass', message, evidence: [] };
}

/** `refused` less the checks `delivered` brings up to date (the same object if none); undefined when none is left. */
export function afterDelivery(refused: Refused, delivered: readonly AlertEvent[]): Refused | undefined {
  let out: Refused | undefined = refused;
  for (const e of delivered) {
    const r = out?.[e.check];
    if (!r || r.eventId === e.id) continue;
    const { [e.check]: _, ...left } = out!;
    out = Object.keys(left).length > 0 ? left : undefined;
  }
  return out;
}

/** A persisted `refused` read back (hostile input): undefined when it is not of the shape. */
export function parseRefused(v: unknown): Refused | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Refused = {};
  for (const [check, r] of Object.entries(v)) {
    const x = r as Partial<RefusedEvent> | null;
    if (typeof x !== 'object' || x === null) return undefined;
    if (typeof x.eventId !== 'string' || typeof x.why !== 'string' || typeof x.at !== 'string') return undefined;
    out[check] = { eventId: x.eventId, why: x.why, at: x.at };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
