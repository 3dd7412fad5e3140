/**
 * Every event the agent enqueues is fitted to what the collector accepts (EVENT_LIMITS, MAX_EVENT_BYTES in
 * src/contracts.ts, which the collector's validator uses too), so that no finding is refused for its size and set
 * aside: a probe may list more evidence than an event carries (updates lists 200 packages, integrity up to 1,000
 * paths). Strings too long are shortened, saying how much was cut; evidence beyond the limit is left out, and
 * the last item and `evidenceOmitted` say how many. The full list stays in the agent's report.
 */
import type { AlertEvent, Evidence } from '../contracts.js';
import { EVENT_LIMITS, MAX_EVENT_BYTES, MAX_EVIDENCE_ITEMS } from '../contracts.js';

/** `s` cut to `max` characters, the end saying how many were cut. */
export function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  const note = (cut: number) => ` … (${cut} characters cut)`;
  let keep = Math.max(0, max - note(s.length).length);
  // Never between the two UTF-16 units of one character: a lone half is unprintable, and the collector refuses it.
  if (keep > 0 && /[\uD800-\uDBFF]/.test(s[keep - 1]!)) keep--;
  return s.slice(0, keep) + note(s.length - keep);
}

function fitItem(e: Evidence): Evidence {
  const long = (e.file?.length ?? 0) > EVENT_LIMITS.evidenceFile || (e.text?.length ?? 0) > EVENT_LIMITS.evidenceText;
  if (!long) return e;
  const out: Evidence = { ...e };
  if (e.file !== undefined) out.file = shorten(e.file, EVENT_LIMITS.evidenceFile);
  if (e.text !== undefined) out.text = shorten(e.text, EVENT_LIMITS.evidenceText);
  return out;
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

function omittedItem(n: number): Evidence {
  const items = `${n} more evidence item${n === 1 ? '' : 's'}`;
  return {
    text: `${items} not sent: an event carries at most ${MAX_EVIDENCE_ITEMS} (the agent's report has them all)`,
  };
}

/** How many items of `items` fit beside the rest of the event and the closing item, within MAX_EVENT_BYTES. */
function itemsThatFit(rest: number, items: readonly Evidence[], limit: number): number {
  // The closing item and the typed count cost at most this much (its number grows by a few digits at most).
  let used = rest + bytes(omittedItem(Number.MAX_SAFE_INTEGER)) + 40;
  let n = 0;
  while (n < items.length && n < limit) {
    used += bytes(items[n]!) + 1;
    if (used > MAX_EVENT_BYTES) break;
    n++;
  }
  return n;
}

/** The event as the collector takes it: strings shortened, at most MAX_EVIDENCE_ITEMS items, bytes bounded. */
export function fitEvent(e: AlertEvent): AlertEvent {
  const items = e.evidence.map(fitItem);
  const title = shorten(e.title, EVENT_LIMITS.title);
  const out: AlertEvent = { ...e, title, message: shorten(e.message, EVENT_LIMITS.message), evidence: items };
  const already = e.evidenceOmitted ?? 0;
  if (items.length <= MAX_EVIDENCE_ITEMS && bytes(out) <= MAX_EVENT_BYTES) return out;
  const rest = bytes({ ...out, evidence: [] });
  const kept = itemsThatFit(rest, items, MAX_EVIDENCE_ITEMS - 1);
  const omitted = already + items.length - kept;
  out.evidence = [...items.slice(0, kept), omittedItem(omitted)];
  out.evidenceOmitted = omitted;
  return out;
}
