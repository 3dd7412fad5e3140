/**
 * GET /v1/nodes and GET /v1/alerts in pages. One answer holds at most `limit` items (a default and a maximum),
 * so that no request builds a body of the whole fleet on the event loop (a token may name many nodes). The
 * body stays the JSON array it always was; the next page's cursor comes in the `Hostward-Next-Cursor` header
 * and in `Link: <…>; rel="next"` (RFC 8288), absent on the last page.
 *
 * Cursors are keyset positions (the last item's place in the listing's order), not offsets: a page costs its
 * own rows, and following them visits every item present throughout exactly once while items are added.
 * They are opaque to clients (base64url of a small JSON), checked strictly: a bad one is a 400 naming it.
 */
import type { AlertGroup, NodeSummary } from '../contracts.js';
import type { AlertsPosition, Store } from './store.js';

export const NODES_LIMIT_DEFAULT = 500;
export const NODES_LIMIT_MAX = 2000;
export const ALERTS_LIMIT_DEFAULT = 100;
export const ALERTS_LIMIT_MAX = 500;

/** Longest cursor accepted: a node name is at most 253 characters, a check id short; base64 adds a third. */
const CURSOR_MAX = 2048;

export type ListAnswer =
  { ok: true; body: NodeSummary[] | AlertGroup[]; headers: Record<string, string> } | { ok: false; error: string };

/** Answer GET /v1/nodes or /v1/alerts (`path`) for the query string `search` (with or without its '?'). */
export function listPage(store: Store, path: '/v1/nodes' | '/v1/alerts', search: string): ListAnswer {
  const q = new URLSearchParams(search);
  const nodes = path === '/v1/nodes';
  const limit = parseLimit(
    q.get('limit'),
    nodes ? NODES_LIMIT_DEFAULT : ALERTS_LIMIT_DEFAULT,
    nodes ? NODES_LIMIT_MAX : ALERTS_LIMIT_MAX,
  );
  if (typeof limit === 'string') return { ok: false, error: limit };
  const raw = q.get('cursor');
  const kind = nodes ? 'n' : 'a';
  const pos = raw === null ? undefined : decodeCursor(raw, kind);
  if (typeof pos === 'string') return { ok: false, error: pos };
  let body: NodeSummary[] | AlertGroup[];
  let next: string | undefined;
  if (nodes) {
    const page = store.nodesPage(pos === undefined ? '' : (pos as { node: string }).node, limit);
    const last = page.at(-1);
    if (page.length === limit && last) next = encodeCursor({ k: 'n', node: last.node });
    body = page;
  } else {
    const page = store.alertsPage(pos as AlertsPosition | undefined, limit);
    const last = page.at(-1);
    if (page.length === limit && last) {
      next = encodeCursor({
        k: 'a',
        resolved: last.status === 'resolved' ? 1 : 0,
        check: last.check,
        severity: last.severity,
      });
    }
    body = page;
  }
  const headers: Record<string, string> = {};
  if (next !== undefined) {
    headers['Hostward-Next-Cursor'] = next;
    headers.Link = `<${path}?cursor=${next}&limit=${limit}>; rel="next"`;
  }
  return { ok: true, body, headers };
}

function parseLimit(v: string | null, dflt: number, max: number): number | string {
  if (v === null) return dflt;
  if (!/^[0-9]{1,6}$/.test(v) || Number(v) < 1) return `limit: must be an integer from 1 to ${max} (default ${dflt})`;
  return Math.min(Number(v), max);
}

type Cursor = { k: 'n'; node: string } | ({ k: 'a' } & AlertsPosition);

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** The position a cursor names, or the error to answer (400) when it is not one of this listing's cursors. */
function decodeCursor(raw: string, kind: 'n' | 'a'): { node: string } | AlertsPosition | string {
  const bad = `cursor: not a cursor of ${kind === 'n' ? '/v1/nodes' : '/v1/alerts'} (pass the Hostward-Next-Cursor of the previous page, unchanged)`;
  if (raw.length === 0 || raw.length > CURSOR_MAX || !/^[A-Za-z0-9_-]+$/.test(raw)) return bad;
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return bad;
  }
  if (typeof c !== 'object' || c === null) return bad;
  const o = c as Record<string, unknown>;
  if (kind === 'n') return o.k === 'n' && typeof o.node === 'string' ? { node: o.node } : bad;
  const ok =
    o.k === 'a' &&
    (o.resolved === 0 || o.resolved === 1) &&
    typeof o.check === 'string' &&
    typeof o.severity === 'string';
  return ok ? { resolved: o.resolved as number, check: o.check as string, severity: o.severity as string } : bad;
}
