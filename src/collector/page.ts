/**
 * The fleet page for people on the collector: GET / (the fleet: open groups most severe and widest first,
 * the node × check matrix, a chart of failing checks per day), /groups/<key> (a group: what to fix, its
 * nodes, its deliveries), /nodes/<name> (a node: last report, OS, kernel and agent version as its agent sent
 * them, the checks the collector holds by status, its open problems) and /new?since=24h (groups opened
 * since). Server-rendered HTML with inline CSS and inline SVG, no external assets, filters in the query string
 * (they work without JavaScript; a few inline lines only submit the form when a choice changes). Everything
 * from the database is escaped.
 *
 * Authentication is the collector's token set, like POST /v1/events. A browser cannot easily send a
 * bearer header, so the page also takes HTTP Basic with a token as the password (any user name): the
 * browser asks once and resends it, nothing needs a login endpoint, a session store or CSRF protection
 * (the page changes nothing), a token removed from the tokens file stops working at once, and the token
 * never appears in a URL. Like the agents' bearer header it is sent in clear over plain HTTP: put TLS in
 * front of a collector that people reach over a network.
 *
 * Bounded for large fleets: one page of nodes (PAGE_NODES), at most MAX_COLUMNS checks as matrix
 * columns, capped group lists, history and evidence.
 */
import { createHash } from 'node:crypto';
import { HEARTBEAT_CHECK, SEVERITIES } from '../contracts.js';
import type { CheckInfo, Evidence, NodeBaseline, NodeHost } from '../contracts.js';
import type {
  Cell,
  DayCount,
  DeliveryState,
  FailingCheck,
  FleetFilter,
  FleetQueries,
  FleetSummary,
  GroupNode,
  GroupRow,
  HistoryEntry,
  NodeDetail,
  NodeRow,
} from './queries.js';

export const PAGE_NODES = 100;
export const MAX_COLUMNS = 50;
export const MAX_OPEN_GROUPS = 300;
/** Open groups per page of the fleet view and of the new-since view (most severe, then widest, first). */
export const GROUP_ROWS = 50;
/** Failing checks per page of a node's view. */
export const NODE_CHECK_ROWS = 100;
/**
 * Days in the failing-checks chart. Each day's bar counts the checks reported failing in the CHART_WINDOW_MS
 * before the day's end (now, for today): agents re-send open alerts every agent.resendIntervalSeconds (an hour
 * by default), so that window holds each check failing then. At most CHART_MAX_EVENTS are read per window.
 */
export const CHART_DAYS = 14;
export const CHART_WINDOW_MS = 3600_000;
export const CHART_MAX_EVENTS = 500_000;
/** How long a drawn chart is reused: it reads a range of the event log, the rest of the page reads small tables. */
export const CHART_CACHE_MS = 60_000;
/** Time to fix is taken over the groups resolved in this many days, the newest FIX_SAMPLE of them at most. */
export const FIX_WINDOW_DAYS = 30;
export const FIX_SAMPLE = 5000;
export const MAX_RESOLVED_GROUPS = 25;
export const GROUP_PAGE_NODES = 100;
/** Queue rows read for a group's history (one row per change and sink). */
export const HISTORY_ROWS = 300;
/** Queue rows read for the delivery states of the fleet view (newest first; ids only grow). */
export const DELIVERY_WINDOW = 20_000;
export const EVIDENCE_LIMITS = { messageMax: 2000, textMax: 500, evidenceMax: 10 } as const;
const FILTER_TEXT_MAX = 253;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

export interface PageDeps {
  queries: FleetQueries;
  /** Names of the configured sinks. */
  sinks: readonly string[];
  /** Whether an `Authorization: Bearer …` header value carries an accepted token (TokenSet.check). */
  authorized: (bearer: string | undefined) => boolean;
  now?: () => Date;
  /**
   * A check's catalogue entry (remediation, references): the collector passes the catalogue it was started
   * with (catalogue.ts); without it the group view says it has none.
   */
  checkInfo?: (check: string) => CheckInfo | undefined;
}

export interface PageAnswer {
  status: number;
  type: string;
  body: string;
  headers: Record<string, string>;
}

const GROUP_PATH = /^\/groups\/([0-9a-f]{64})$/;
const NODE_PATH = /^\/nodes\/([^/]{1,1000})$/;

/** Whether `path` (without the query) is one of the page's paths. */
export function isPagePath(path: string | undefined): boolean {
  return (
    path === '/' || path === '/new' || (path?.startsWith('/groups/') ?? false) || (path?.startsWith('/nodes/') ?? false)
  );
}

/** The path of a node's view. */
export function nodePath(node: string): string {
  return `/nodes/${encodeURIComponent(node)}`;
}

/**
 * The bearer form of the credentials a request carries: a bearer header as is, or HTTP Basic's password
 * (the user name is ignored). Undefined when there are none.
 */
export function pageCredentials(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const basic = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!basic) return authorization;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const password = decoded.slice(colon + 1);
  return password === '' ? undefined : `Bearer ${password}`;
}

/** Answer a page request (GET or HEAD of a path for which isPagePath holds). */
export function servePage(url: string, authorization: string | undefined, deps: PageDeps): PageAnswer {
  if (!deps.authorized(pageCredentials(authorization))) {
    return {
      status: 401,
      type: 'text/html; charset=utf-8',
      body: layout(
        'Sign in',
        `<h1>hostward fleet</h1><p>Sign in with any user name and one of the collector's tokens as the password.</p>`,
      ),
      headers: { ...SECURITY_HEADERS, 'WWW-Authenticate': 'Basic realm="hostward collector", charset="UTF-8"' },
    };
  }
  const u = new URL(url, 'http://collector');
  const now = deps.now?.() ?? new Date();
  const info = deps.checkInfo ?? (() => undefined);
  if (u.pathname === '/') return html(200, renderFleet(deps.queries, parseView(u.searchParams), deps.sinks, now));
  if (u.pathname === '/new') return html(200, renderNew(deps.queries, u.searchParams, now));
  const nm = NODE_PATH.exec(u.pathname);
  if (nm) {
    const name = decodeSegment(nm[1]!);
    const page = pageParam(u.searchParams, 'page');
    const n = name === undefined ? undefined : deps.queries.node(name, (page - 1) * NODE_CHECK_ROWS, NODE_CHECK_ROWS);
    if (!n)
      return html(
        404,
        layout(
          'Not found',
          `<p><a href="/">← fleet</a></p><h1>No such node</h1><p>The collector has no report from a node of that name.</p>`,
        ),
      );
    return html(200, renderNode(n, page, now));
  }
  const m = GROUP_PATH.exec(u.pathname);
  const g = m ? deps.queries.group(m[1]!) : undefined;
  if (!g) return html(404, layout('Not found', `<p><a href="/">← fleet</a></p><h1>No such group</h1>`));
  return html(200, renderGroup(deps.queries, g, parseView(u.searchParams), deps.sinks, now, info(g.check)));
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A 1-based page number from the query string; anything else is page 1. */
function pageParam(q: URLSearchParams, name: string): number {
  const n = Number(q.get(name) ?? '1');
  return Number.isSafeInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1;
}

export interface View {
  filter: FleetFilter;
  /** Show every node, not only those failing a matching check. */
  all: boolean;
  /** 1-based. */
  page: number;
  /** The page of the open groups list, 1-based (absent: 1). */
  groupPage?: number;
}

/** Query string → view. Unknown values are dropped, not trusted: a bad link shows the unfiltered page. */
export function parseView(q: URLSearchParams): View {
  const text = (k: string) => (q.get(k) ?? '').trim().slice(0, FILTER_TEXT_MAX);
  const probe = text('probe');
  const severities = SEVERITIES.filter((s) => q.getAll('severity').includes(s));
  const page = Number(q.get('page') ?? '1');
  return {
    filter: {
      probe: /^[a-z0-9][a-z0-9_-]*$/.test(probe) ? probe : '',
      severities,
      node: text('node'),
      check: text('check'),
    },
    all: q.get('show') === 'all',
    page: Number.isSafeInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
    groupPage: pageParam(q, 'gpage'),
  };
}

/** The query string of a view (empty fields left out), for links that keep the filters. */
export function viewQuery(v: View, over: Partial<View> = {}): string {
  const w = { ...v, ...over };
  const q = new URLSearchParams();
  if (w.filter.probe) q.set('probe', w.filter.probe);
  for (const s of w.filter.severities) q.append('severity', s);
  if (w.filter.node) q.set('node', w.filter.node);
  if (w.filter.check) q.set('check', w.filter.check);
  if (w.all) q.set('show', 'all');
  if (w.page > 1) q.set('page', String(w.page));
  if ((w.groupPage ?? 1) > 1) q.set('gpage', String(w.groupPage));
  const s = q.toString();
  return s ? `?${s}` : '';
}

type Deliveries = ReturnType<FleetQueries['deliveryStates']>;

/** What the fleet page shows, read once per request. */
interface FleetData {
  summary: FleetSummary;
  checks: FailingCheck[];
  probes: string[];
  nodes: { rows: NodeRow[]; total: number };
  cells: Map<string, Cell>;
  deliveries: Deliveries;
  resolved: GroupRow[];
  /** Open groups of this page of them, and how many there are in all. */
  openShown: GroupRow[];
  openTotal: number;
}

function fleetData(q: FleetQueries, v: View): FleetData {
  const { checks, probes } = q.failingChecks(v.filter);
  const nodes = q.nodes(v.filter, v.all, (v.page - 1) * PAGE_NODES, PAGE_NODES);
  const cells = new Map<string, Cell>();
  for (const c of q.cells(
    v.filter,
    nodes.rows.map((n) => n.node),
  ))
    cells.set(`${c.node}\0${c.check}\0${c.severity}`, c);
  // With a node filter, the groups shown are those failing on a matching node (the matrix columns, already
  // ranked); without one, a page of the groups table in the same order.
  const gpage = v.groupPage ?? 1;
  const ranked = v.filter.node
    ? { rows: [] as GroupRow[], total: checks.length }
    : q.groupsRanked(v.filter, 'open', '', (gpage - 1) * GROUP_ROWS, GROUP_ROWS);
  const openShown = v.filter.node
    ? checks
        .slice((gpage - 1) * GROUP_ROWS, gpage * GROUP_ROWS)
        .map((c) => q.group(c.key))
        .filter((g): g is GroupRow => g !== undefined && g.status === 'open')
    : ranked.rows;
  return {
    summary: q.summary(),
    checks,
    probes,
    nodes,
    cells,
    deliveries: q.deliveryStates(DELIVERY_WINDOW),
    resolved: q.groups(v.filter, 'resolved', MAX_RESOLVED_GROUPS),
    openShown,
    openTotal: ranked.total,
  };
}

function renderFleet(q: FleetQueries, v: View, sinks: readonly string[], now: Date): string {
  const started = performance.now();
  const d = fleetData(q, v);
  const states = d.deliveries.states;
  const out: string[] = [renderFleetHeader(d.summary, d.deliveries, sinks), renderFilters(v, d.probes)];
  out.push(renderMatrix(d, v, now));
  out.push(renderOpenGroups(d, v, sinks, now));
  out.push(renderChartSection(q, now));
  out.push(`<section><h2>Recently resolved</h2>`);
  out.push(
    renderTimeToFix(q.timesToFix(new Date(now.getTime() - FIX_WINDOW_DAYS * 86_400_000).toISOString(), FIX_SAMPLE)),
  );
  if (d.resolved.length === 0) out.push(`<p>None${hasFilter(v) ? ' matching the filters' : ''}.</p>`);
  else {
    out.push(
      `<table class="groups" id="resolved-groups"><thead><tr><th>severity</th><th>check</th><th>check title</th><th>opened</th><th>resolved</th><th>open for</th><th>delivered</th></tr></thead><tbody>`,
    );
    for (const g of d.resolved) {
      out.push(
        `<tr data-group="${e(g.check)}"><td><span class="sev sev-${g.severity}">${e(g.severity)}</span></td><td><a href="/groups/${g.key}">${e(g.check)}</a></td><td>${e(g.title)} <span class="note">(fixed)</span></td><td>${when(g.openedAt, now)}</td><td>${when(g.updatedAt, now)}</td><td class="num">${span(Date.parse(g.updatedAt) - Date.parse(g.openedAt))}</td><td>${renderDeliveryCell(states.get(g.key), sinks, now)}</td></tr>`,
      );
    }
    out.push(`</tbody></table>`);
  }
  out.push(`</section>`);
  out.push(`<footer>Generated ${e(now.toISOString())} in ${(performance.now() - started).toFixed(0)} ms.</footer>`);
  return layout('hostward fleet', out.join(''));
}

function renderFleetHeader(summary: FleetSummary, deliveries: Deliveries, sinks: readonly string[]): string {
  const out: string[] = [];
  out.push(`<header><h1>hostward fleet</h1><p class="summary" id="summary">`);
  out.push(`<span id="count-nodes"><b>${num(summary.nodes)}</b> nodes</span> · `);
  out.push(
    `<span id="count-silent" class="${summary.silent > 0 ? 'bad' : ''}"><b>${num(summary.silent)}</b> silent</span> · `,
  );
  out.push(`<span id="count-failing"><b>${num(summary.failingNodes)}</b> with failing checks</span> · open groups: `);
  out.push(
    SEVERITIES.map((s) => `<span class="sev sev-${s}" id="open-${s}">${num(summary.openGroups[s])} ${s}</span>`).join(
      ' ',
    ),
  );
  out.push(
    `</p>${renderSinkSummary(deliveries, sinks)}<nav class="views"><a href="/new" id="link-new">New in the last 24 hours</a> · <a href="/new?since=7d">last 7 days</a></nav></header>`,
  );
  return out.join('');
}

function renderMatrix(d: FleetData, v: View, now: Date): string {
  const { nodes, checks } = d;
  const columns = checks.slice(0, MAX_COLUMNS);
  const first = nodes.total === 0 ? 0 : (v.page - 1) * PAGE_NODES + 1;
  const last = Math.min(nodes.total, v.page * PAGE_NODES);
  const out: string[] = [`<section><h2>Nodes × failing checks</h2>`];
  out.push(
    `<p id="matrix-count">${nodes.total === 0 ? 'No node matches.' : `Nodes ${num(first)}–${num(last)} of ${num(nodes.total)}${v.all ? '' : ' with a matching failing check'}; ${num(checks.length)} failing check${checks.length === 1 ? '' : 's'}.`}`,
  );
  if (checks.length > columns.length)
    out.push(
      ` <span class="note">Columns show the ${MAX_COLUMNS} most severe and widespread checks; ${num(checks.length - columns.length)} more are counted in “failing” and listed under groups. Narrow by probe, severity or check to see them.</span>`,
    );
  out.push(`</p>`);
  out.push(renderPager(v, nodes.total, PAGE_NODES, ''));
  if (nodes.rows.length > 0) {
    out.push(
      `<div class="scroll"><table class="matrix" id="matrix"><thead><tr><th class="corner">node</th><th>last report</th><th>failing</th><th>integrity baseline</th>`,
    );
    for (const c of columns) {
      out.push(
        `<th class="check"><a href="/groups/${c.key}" title="${e(`${c.check} (${c.severity}): ${c.title} — ${c.nodes} nodes`)}"><span class="sev-dot sev-${c.severity}"></span><span class="vert">${e(c.check)}</span></a></th>`,
      );
    }
    out.push(`</tr></thead><tbody>`);
    for (const n of nodes.rows) out.push(renderMatrixRow(n, columns, d.cells, now));
    out.push(`</tbody></table></div>`);
    out.push(renderPager(v, nodes.total, PAGE_NODES, ''));
  }
  out.push(`</section>`);
  return out.join('');
}

function renderMatrixRow(n: NodeRow, columns: readonly FailingCheck[], cells: Map<string, Cell>, now: Date): string {
  const out: string[] = [
    `<tr data-node="${e(n.node)}"><th scope="row" class="node"><a href="${e(nodePath(n.node))}">${e(n.node)}</a>`,
  ];
  if (n.silent) out.push(` <span class="flag silent">silent</span>`);
  out.push(
    `</th><td class="when${n.silent ? ' bad' : ''}">${when(n.lastSeenAt, now)}</td><td class="num">${n.failing > 0 ? `<span class="sev sev-${n.worst ?? 'info'}">${num(n.failing)}</span>` : '0'}</td>${renderBaseline(n.baseline, now)}`,
  );
  for (const c of columns) {
    const cell = cells.get(`${n.node}\0${c.check}\0${c.severity}`);
    out.push(
      cell
        ? `<td class="cell sev-${c.severity}" title="${e(`${c.check} on ${n.node}: ${cell.message}`)}"><a href="/groups/${c.key}${e(viewQuery({ filter: { probe: '', severities: [], node: n.node, check: '' }, all: false, page: 1 }))}">✕</a></td>`
        : `<td class="cell"></td>`,
    );
  }
  out.push(`</tr>`);
  return out.join('');
}

function renderOpenGroups(d: FleetData, v: View, sinks: readonly string[], now: Date): string {
  const out: string[] = [`<section><h2>Open alert groups</h2>`];
  if (d.openShown.length === 0) {
    out.push(`<p>None${hasFilter(v) ? ' matching the filters' : ''}.</p></section>`);
    return out.join('');
  }
  const onMatching = new Map(d.checks.map((c) => [c.key, c.nodes]));
  out.push(
    `<p class="note">Most severe first, then by how many nodes fail. ${num(d.openTotal)} open group${d.openTotal === 1 ? '' : 's'}${hasFilter(v) ? ' matching the filters' : ''}.</p>`,
  );
  out.push(renderGroupPager(v, d.openTotal));
  out.push(
    `<table class="groups" id="open-groups"><thead><tr><th>severity</th><th>problem</th><th>check</th><th>nodes</th><th>opened</th><th>updated</th><th>delivered</th></tr></thead><tbody>`,
  );
  for (const g of d.openShown) {
    const matching = v.filter.node ? onMatching.get(g.key) : undefined;
    out.push(
      `<tr data-group="${e(g.check)}" data-severity="${g.severity}" data-nodes="${g.nodeCount}"><td><span class="sev sev-${g.severity}">${e(g.severity)}</span></td><td class="problem"><a href="/groups/${g.key}">${problem(g.title)}</a></td><td><code>${e(g.check)}</code></td>`,
    );
    out.push(
      `<td class="num">${num(g.nodeCount)}${matching !== undefined ? ` <span class="note">(${num(matching)} matching)</span>` : ''}</td><td>${when(g.openedAt, now)}</td><td>${when(g.updatedAt, now)}</td><td>${renderDeliveryCell(d.deliveries.states.get(g.key), sinks, now)}</td></tr>`,
    );
  }
  out.push(`</tbody></table>`);
  out.push(renderGroupPager(v, d.openTotal));
  out.push(`</section>`);
  return out.join('');
}

function renderGroup(
  q: FleetQueries,
  g: GroupRow,
  v: View,
  sinks: readonly string[],
  now: Date,
  info: CheckInfo | undefined,
): string {
  const history = q.history(g.key, HISTORY_ROWS);
  const states = q.deliveryStates(DELIVERY_WINDOW).states.get(g.key);
  const nodes = q.groupNodes(g, v.filter.node, (v.page - 1) * GROUP_PAGE_NODES, GROUP_PAGE_NODES, EVIDENCE_LIMITS);
  const out: string[] = [];
  out.push(`<p><a href="/">← fleet</a></p>`);
  const heading =
    g.status === 'open' ? problem(g.title) : `${e(g.title)} <span class="note">(fixed on every node)</span>`;
  out.push(
    `<header><h1><span class="sev sev-${g.severity}">${e(g.severity)}</span> ${heading} <span class="status status-${g.status}" id="group-status">${e(g.status)}</span></h1>`,
  );
  out.push(`<p class="title">check <code>${e(g.check)}</code></p>`);
  out.push(
    `<dl class="facts"><dt>failing nodes</dt><dd id="group-nodes">${num(g.nodeCount)}</dd><dt>opened</dt><dd>${when(g.openedAt, now)}</dd>`,
  );
  out.push(
    g.status === 'resolved'
      ? `<dt>resolved</dt><dd>${when(g.updatedAt, now)}</dd>`
      : `<dt>updated</dt><dd>${when(g.updatedAt, now)}</dd>`,
  );
  out.push(`<dt>delivered</dt><dd>${renderDeliveryCell(states, sinks, now)}</dd></dl></header>`);
  out.push(renderFix(g.check, info));

  out.push(`<section><h2>History</h2>`);
  if (sinks.length === 0 && history.length === 0)
    out.push(`<p>No sink is configured: changes of this group are recorded here only as opened and updated times.</p>`);
  else if (history.length === 0) out.push(`<p>No change of this group has been queued for a sink.</p>`);
  else {
    const sinkNames = [...new Set([...sinks, ...history.flatMap((h) => h.deliveries.map((d) => d.sink))])].sort();
    out.push(
      `<table id="history"><thead><tr><th>when</th><th>change</th><th>nodes after</th><th>joined</th><th>left</th>${sinkNames.map((s) => `<th>${e(s)}</th>`).join('')}</tr></thead><tbody>`,
    );
    for (const h of history) out.push(renderHistoryRow(h, sinkNames, now));
    out.push(`</tbody></table>`);
    if (history.length > 0 && history.reduce((n, h) => n + h.deliveries.length, 0) >= HISTORY_ROWS)
      out.push(`<p class="note">Older changes are not shown.</p>`);
  }
  out.push(`</section>`);

  out.push(`<section><h2>Failing nodes</h2>`);
  out.push(
    `<form method="get" class="filters"><label>node contains <input type="search" name="node" value="${e(v.filter.node)}" maxlength="${FILTER_TEXT_MAX}"></label> <button>Filter</button></form>`,
  );
  out.push(
    `<p id="group-node-count">${num(nodes.total)} node${nodes.total === 1 ? '' : 's'}${v.filter.node ? ' matching' : ''}.</p>`,
  );
  const groupView: View = {
    filter: { probe: '', severities: [], node: v.filter.node, check: '' },
    all: false,
    page: v.page,
  };
  out.push(renderPager(groupView, nodes.total, GROUP_PAGE_NODES, `/groups/${g.key}`));
  if (nodes.rows.length > 0) {
    out.push(
      `<table id="group-nodes-table"><thead><tr><th>node</th><th>last report</th><th>failing since</th><th>observed</th><th>message</th><th>evidence</th></tr></thead><tbody>`,
    );
    for (const n of nodes.rows) out.push(renderGroupNode(n, now));
    out.push(`</tbody></table>`);
  }
  out.push(`</section>`);
  return layout(`${g.check} — hostward fleet`, out.join(''));
}

/** Time to fix: the median and the slowest tenth of the groups resolved in the window. */
function renderTimeToFix(ms: readonly number[]): string {
  if (ms.length === 0)
    return `<p class="note" id="time-to-fix">No group was resolved in the last ${FIX_WINDOW_DAYS} days.</p>`;
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]!;
  return `<p id="time-to-fix">Time to fix, from a group's first failing node to its last fix, over the ${num(ms.length)} group${ms.length === 1 ? '' : 's'} resolved in the last ${FIX_WINDOW_DAYS} days${ms.length >= FIX_SAMPLE ? ' (the newest)' : ''}: median <b id="ttf-median">${span(at(0.5))}</b>, 90th percentile <b id="ttf-p90">${span(at(0.9))}</b>.</p>`;
}

/** A duration in words ("3h", "2d"); unreadable ones as "?". */
function span(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 ? ago(ms).replace(/ ago$/, '') : '?';
}

/**
 * A failing group's heading: the catalogue titles state the desired state ("Password authentication is
 * disabled"), so next to an open badge they read as the opposite of the truth; "Failing:" says which it is.
 */
function problem(title: string): string {
  return `<span class="failing-label">Failing:</span> ${e(title)}`;
}

/** What to do about a check: the catalogue's remediation and references, or why there is none. */
function renderFix(check: string, info: CheckInfo | undefined): string {
  const out = [`<section id="fix"><h2>How to fix</h2>`];
  if (!info) {
    const own = check.startsWith('hostward.');
    out.push(
      `<p class="note">${own ? 'Raised by the collector itself: each node’s message below says what happened and what to do.' : 'This check is not in this collector’s catalogue (an agent of another version sent it): see each node’s message below.'}</p>`,
    );
  } else {
    out.push(
      `<p id="remediation" class="remediation">${e(info.remediation || 'The catalogue gives no remediation for this check.')}</p>`,
    );
    if (info.references.length > 0)
      out.push(
        `<h3>References</h3><ul id="references">${info.references.map((r) => `<li>${linkOrText(r)}</li>`).join('')}</ul>`,
      );
  }
  out.push(`</section>`);
  return out.join('');
}

/** A reference as a link when it is an http(s) URL, else as text. */
function linkOrText(r: string): string {
  return /^https?:\/\/[^\s"<>]+$/.test(r) ? `<a href="${e(r)}" rel="noreferrer">${e(r)}</a>` : e(r);
}

function renderGroupPager(v: View, total: number): string {
  const pages = Math.max(1, Math.ceil(total / GROUP_ROWS));
  if (pages <= 1) return '';
  const cur = Math.min(v.groupPage ?? 1, pages);
  const link = (gp: number, label: string, rel: string) =>
    `<a href="/${e(viewQuery(v, { groupPage: gp }))}" rel="${rel}">${label}</a>`;
  const prev = cur > 1 ? link(cur - 1, '‹ more severe', 'prev') : '<span class="note">‹ more severe</span>';
  const next = cur < pages ? link(cur + 1, 'less severe ›', 'next') : '<span class="note">less severe ›</span>';
  return `<nav class="pager groups-pager">${prev} · groups page ${num(cur)} of ${num(pages)} · ${next}</nav>`;
}

function renderNode(n: NodeDetail, page: number, now: Date): string {
  const c = n.coverage;
  const out: string[] = [`<p><a href="/">← fleet</a></p>`];
  out.push(`<header><h1>${e(n.node)}${n.silent ? ' <span class="flag silent">silent</span>' : ''}</h1>`);
  out.push(
    `<dl class="facts"><dt>last report</dt><dd id="node-last-seen" class="${n.silent ? 'bad' : ''}">${when(n.lastSeenAt, now)}</dd><dt>first report</dt><dd>${when(n.firstSeenAt, now)}</dd>`,
  );
  out.push(`${renderHostFacts(n.host, now)}</dl></header>`);
  out.push(`<section><h2>Checks the collector holds for this node</h2>`);
  out.push(
    `<p class="note">Agents send a check when it starts failing, changes, leaves fail or becomes unknown, so “passing” counts checks that failed and were fixed, not every passing check.</p>`,
  );
  out.push(
    `<table id="coverage"><thead><tr><th>failing</th><th>passing again</th><th>unknown</th><th>other (skipped, accepted exception)</th><th>total</th></tr></thead><tbody><tr>`,
  );
  out.push(
    `<td class="num" id="cov-fail">${num(c.fail)}</td><td class="num" id="cov-pass">${num(c.pass)}</td><td class="num" id="cov-unknown">${num(c.unknown)}</td><td class="num" id="cov-other">${num(c.other)}</td><td class="num" id="cov-total">${num(c.total)}</td></tr></tbody></table></section>`,
  );
  out.push(`<section><h2>Open problems on this node</h2>`);
  if (n.failing.length === 0) out.push(`<p>${page > 1 ? 'No more.' : 'None: no check is failing on this node.'}</p>`);
  else {
    out.push(
      `<table class="groups" id="node-groups"><thead><tr><th>severity</th><th>problem</th><th>check</th><th>failing since</th><th>message</th></tr></thead><tbody>`,
    );
    for (const f of n.failing) {
      out.push(
        `<tr data-group="${e(f.check)}" data-severity="${f.severity}"><td><span class="sev sev-${f.severity}">${e(f.severity)}</span></td><td class="problem"><a href="/groups/${f.key}">${problem(f.title)}</a></td><td><code>${e(f.check)}</code></td>`,
      );
      out.push(
        `<td>${f.openedAt ? when(f.openedAt, now) : '<span class="note">not recorded</span>'}</td><td class="message">${e(f.message)}</td></tr>`,
      );
    }
    out.push(`</tbody></table>`);
  }
  const pages = Math.max(1, Math.ceil(c.fail / NODE_CHECK_ROWS));
  if (pages > 1) {
    const link = (p: number, label: string) => `<a href="${e(nodePath(n.node))}?page=${p}">${label}</a>`;
    out.push(
      `<nav class="pager">${page > 1 ? link(page - 1, '‹ previous') : ''} page ${num(Math.min(page, pages))} of ${num(pages)} ${page < pages ? link(page + 1, 'next ›') : ''}</nav>`,
    );
  }
  out.push(`</section>`);
  return layout(`${n.node} — hostward fleet`, out.join(''));
}

/** The node's OS, kernel, architecture and agent version as its agent last sent them (`<dt>`/`<dd>` pairs). */
function renderHostFacts(h: NodeHost | undefined, now: Date): string {
  if (!h)
    return `<dt>OS, kernel, agent version</dt><dd class="note" id="node-host-missing">not reported: this node's agent sends no host facts (an agent older than this collector); upgrade it, or run <code>hostward scan</code> on the node</dd>`;
  const fact = (v: string | undefined) => (v === undefined ? '<span class="note">not reported</span>' : e(v));
  const id = [h.osId, h.osVersion].filter((x) => x !== undefined).join(' ');
  return (
    `<dt>OS</dt><dd id="node-os">${fact(h.osName)}${id ? ` <span class="note">(${e(id)})</span>` : ''}</dd>` +
    `<dt>kernel</dt><dd id="node-kernel">${fact(h.kernel)}</dd>` +
    `<dt>architecture</dt><dd id="node-arch">${fact(h.arch)}</dd>` +
    `<dt>agent version</dt><dd id="node-agent-version">${fact(h.agentVersion)}</dd>` +
    `<dt>host facts observed</dt><dd id="node-host-observed">${when(h.observedAt, now)}</dd>`
  );
}

const SINCE = /^(\d{1,4})([hd])$/;

/** `since`: "24h", "7d" or an ISO date; anything else is the last 24 hours. */
export function parseSince(s: string | null, now: Date): { at: number; label: string } {
  const m = SINCE.exec(s ?? '');
  if (m) {
    const n = Number(m[1]);
    if (n >= 1)
      return {
        at: now.getTime() - n * (m[2] === 'h' ? 3600_000 : 86_400_000),
        label: `in the last ${n === 1 ? (m[2] === 'h' ? 'hour' : 'day') : `${n} ${m[2] === 'h' ? 'hours' : 'days'}`}`,
      };
  }
  const t = s && /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (Number.isFinite(t) && t <= now.getTime())
    return { at: t, label: `since ${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC` };
  return { at: now.getTime() - 86_400_000, label: 'in the last 24 hours' };
}

function renderNew(q: FleetQueries, params: URLSearchParams, now: Date): string {
  const since = parseSince(params.get('since'), now);
  const page = pageParam(params, 'page');
  const sinceIso = new Date(since.at).toISOString();
  const groups = q.groupsRanked(
    { probe: '', severities: [], node: '', check: '' },
    'open',
    sinceIso,
    (page - 1) * GROUP_ROWS,
    GROUP_ROWS,
  );
  const out: string[] = [`<p><a href="/">← fleet</a></p>`];
  out.push(
    `<header><h1>New ${e(since.label)}</h1><nav class="views">show new: <a href="/new?since=1h">last hour</a> · <a href="/new?since=24h">24 hours</a> · <a href="/new?since=7d">7 days</a> · <a href="/new?since=30d">30 days</a></nav></header>`,
  );
  out.push(`<section><h2>Problems first seen ${e(since.label)}</h2>`);
  out.push(
    `<p class="note" id="new-count">${num(groups.total)} open group${groups.total === 1 ? '' : 's'} opened since ${when(since.at, now)}, most severe first, then by how many nodes fail. A group that was already open and gained nodes is not new: it is on the fleet page.</p>`,
  );
  if (groups.rows.length > 0) {
    out.push(
      `<table class="groups" id="new-groups"><thead><tr><th>severity</th><th>problem</th><th>check</th><th>nodes</th><th>opened</th></tr></thead><tbody>`,
    );
    for (const g of groups.rows) {
      out.push(
        `<tr data-group="${e(g.check)}" data-severity="${g.severity}" data-nodes="${g.nodeCount}"><td><span class="sev sev-${g.severity}">${e(g.severity)}</span></td><td class="problem"><a href="/groups/${g.key}">${problem(g.title)}</a></td><td><code>${e(g.check)}</code></td><td class="num">${num(g.nodeCount)}</td><td>${when(g.openedAt, now)}</td></tr>`,
      );
    }
    out.push(`</tbody></table>`);
  }
  const pages = Math.max(1, Math.ceil(groups.total / GROUP_ROWS));
  if (pages > 1) {
    const link = (p: number, label: string) =>
      `<a href="/new?${e(new URLSearchParams({ since: params.get('since') ?? '24h', page: String(p) }).toString())}">${label}</a>`;
    out.push(
      `<nav class="pager">${page > 1 ? link(page - 1, '‹ previous') : ''} page ${num(Math.min(page, pages))} of ${num(pages)} ${page < pages ? link(page + 1, 'next ›') : ''}</nav>`,
    );
  }
  out.push(`</section>`);
  out.push(renderChartSection(q, now));
  return layout(`New ${since.label} — hostward fleet`, out.join(''));
}

const chartCache = new WeakMap<FleetQueries, { at: number; days: DayCount[] }>();

function chartDays(q: FleetQueries, now: Date): DayCount[] {
  const c = chartCache.get(q);
  if (c && Math.abs(now.getTime() - c.at) <= CHART_CACHE_MS) return c.days;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const ends = Array.from({ length: CHART_DAYS }, (_, i) =>
    Math.min(now.getTime(), today + (i - CHART_DAYS + 2) * 86_400_000),
  );
  const counts = q.failingIn(
    ends.map((to) => ({ from: to - CHART_WINDOW_MS, to })),
    CHART_MAX_EVENTS,
    HEARTBEAT_CHECK,
  );
  const days = ends.map((to, i) => ({ day: new Date(to - 1).toISOString().slice(0, 10), ...counts[i]! }));
  chartCache.set(q, { at: now.getTime(), days });
  return days;
}

function renderChartSection(q: FleetQueries, now: Date): string {
  const days = chartDays(q, now);
  const out = [`<section id="trend"><h2>Failing checks over the last ${CHART_DAYS} days</h2>`];
  out.push(
    `<p class="note">Node and check pairs failing at the end of each UTC day (today: now), from the events the collector stored: agents re-send every open alert hourly by default, so the pairs reported failing in the hour before count. An agent set to re-send less often is counted less.`,
  );
  if (days.some((d) => !d.complete))
    out.push(` Days marked * held more than ${num(CHART_MAX_EVENTS)} events in that hour and are counted short.`);
  out.push(`</p>`);
  out.push(chartSvg(days));
  out.push(`</section>`);
  return out.join('');
}

/** A bar of failing checks per day, drawn on the server (no script, nothing loaded). */
export function chartSvg(days: readonly DayCount[]): string {
  const W = 640;
  const H = 160;
  const left = 52;
  const bottom = 28;
  const top = 12;
  const max = Math.max(1, ...days.map((d) => d.failing));
  const step = (W - left - 8) / Math.max(1, days.length);
  const bar = Math.max(2, step - 6);
  const y = (n: number) => top + (H - top - bottom) * (1 - n / max);
  const parts = [
    `<svg id="trend-chart" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="trend-title"><title id="trend-title">Failing checks at the end of each day</title>`,
  ];
  parts.push(`<rect class="axis" x="${left}" y="${H - bottom}" width="${W - 4 - left}" height="1"></rect>`);
  parts.push(
    `<text class="tick" x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${num(max)}</text><text class="tick" x="${left - 6}" y="${H - bottom + 4}" text-anchor="end">0</text>`,
  );
  days.forEach((d, i) => {
    const x = left + i * step + 3;
    parts.push(
      `<g data-day="${d.day}" data-failing="${d.failing}"><title>${d.day}: ${num(d.failing)} failing${d.complete ? '' : ' (counted short)'}</title>`,
    );
    parts.push(
      `<rect class="bar-fail" x="${x.toFixed(1)}" y="${y(d.failing).toFixed(1)}" width="${bar.toFixed(1)}" height="${(H - bottom - y(d.failing)).toFixed(1)}"></rect>`,
    );
    if (i % 2 === 1 || days.length <= 7)
      parts.push(
        `<text class="tick" x="${(x + bar / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${d.day.slice(5)}${d.complete ? '' : '*'}</text>`,
      );
    parts.push(`</g>`);
  });
  parts.push(`</svg>`);
  return parts.join('');
}

function renderHistoryRow(h: HistoryEntry, sinkNames: readonly string[], now: Date): string {
  const c = h.change;
  const list = (nodes: readonly string[] | undefined) => {
    if (!nodes || nodes.length === 0) return '';
    const shown = nodes.slice(0, 10).map(e).join(', ');
    return nodes.length > 10 ? `${shown}, … (${num(nodes.length)})` : shown;
  };
  const bySink = new Map(h.deliveries.map((d) => [d.sink, d]));
  const cells = sinkNames.map((s) => {
    const d = bySink.get(s);
    if (!d) return `<td class="note">not routed to this sink</td>`;
    return `<td class="delivery" data-sink="${e(s)}">${deliveryState({ ...d, createdAt: h.createdAt }, now)}</td>`;
  });
  return `<tr><td>${when(h.createdAt, now)}</td><td class="action action-${e(c?.action ?? 'unknown')}">${e(c?.action ?? 'unreadable')}</td><td class="num">${c ? num(c.nodeCount) : ''}</td><td>${list(c?.added)}</td><td>${list(c?.removed)}</td>${cells.join('')}</tr>`;
}

interface DeliveryFacts {
  sentAt: number | null;
  deadAt: number | null;
  attempts: number;
  nextAt: number;
  lastError: string | null;
  createdAt: number;
}

/** "sent 10:02", "pending (3 attempts, next 10:05): error", "dead 10:03: error"; errors cut to `errorMax`. */
function deliveryState(d: DeliveryFacts, now: Date, errorMax = 300): string {
  const cut = d.lastError && d.lastError.length > errorMax ? `${d.lastError.slice(0, errorMax)}…` : d.lastError;
  const err = d.lastError ? ` <span class="error" title="${e(d.lastError.slice(0, 1000))}">${e(cut!)}</span>` : '';
  if (d.sentAt !== null)
    return `<span class="ok">sent</span> ${when(d.sentAt, now)}${d.attempts > 1 ? ` <span class="note">after ${d.attempts} attempts</span>` : ''}`;
  if (d.deadAt !== null) return `<span class="bad">dead</span> ${when(d.deadAt, now)}${err}`;
  // Each sink's queue is strictly ordered: a change not tried yet waits behind an earlier one.
  const retry =
    d.attempts > 0
      ? ` <span class="note">${d.attempts} attempt${d.attempts === 1 ? '' : 's'}, next ${when(d.nextAt, now)}</span>`
      : ` <span class="note">not tried yet</span>`;
  return `<span class="warn">pending</span>${retry}${err}`;
}

function renderDeliveryCell(states: readonly DeliveryState[] | undefined, sinks: readonly string[], now: Date): string {
  if (!states || states.length === 0)
    return sinks.length === 0
      ? `<span class="note">no sink configured</span>`
      : `<span class="note">nothing among the newest ${num(DELIVERY_WINDOW)} queued changes</span>`;
  return `<ul class="deliveries">${states
    .map((s) => {
      const counts = [
        s.sent > 0 ? `${num(s.sent)} sent` : '',
        s.pending > 0 ? `${num(s.pending)} pending` : '',
        s.dead > 0 ? `${num(s.dead)} dead` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `<li data-sink="${e(s.sink)}"><b>${e(s.sink)}</b>: ${e(s.last.action ?? '?')} ${deliveryState(s.last, now, 100)} <span class="note">(${counts})</span></li>`;
    })
    .join('')}</ul>`;
}

function renderSinkSummary(
  d: { states: Map<string, DeliveryState[]>; complete: boolean; pending: Map<string, number> },
  sinks: readonly string[],
): string {
  if (sinks.length === 0) return `<p class="sinks note">No sink is configured.</p>`;
  const total = new Map(sinks.map((s) => [s, { sent: 0, pending: d.pending.get(s) ?? 0, dead: 0 }]));
  for (const list of d.states.values()) {
    for (const s of list) {
      const t = total.get(s.sink) ?? { sent: 0, pending: d.pending.get(s.sink) ?? 0, dead: 0 };
      t.sent += s.sent;
      t.dead += s.dead;
      total.set(s.sink, t);
    }
  }
  const parts = [...total].map(
    ([sink, t]) =>
      `<span data-sink="${e(sink)}"><b>${e(sink)}</b> ${num(t.sent)} sent, <span class="${t.pending > 0 ? 'warn' : ''}">${num(t.pending)} pending</span>, <span class="${t.dead > 0 ? 'bad' : ''}">${num(t.dead)} dead</span></span>`,
  );
  const scope = d.complete
    ? ''
    : ` <span class="note">(sent and dead among the newest ${num(DELIVERY_WINDOW)} queued changes; pending: all)</span>`;
  return `<p class="sinks" id="sinks">Deliveries: ${parts.join(' · ')}${scope}</p>`;
}

function renderGroupNode(n: GroupNode, now: Date): string {
  const more =
    n.messageLength > n.message.length ? ` <span class="note">… (${num(n.messageLength)} characters)</span>` : '';
  return `<tr data-node="${e(n.node)}"><th scope="row"><a href="${e(nodePath(n.node))}">${e(n.node)}</a>${n.silent ? ' <span class="flag silent">silent</span>' : ''}</th><td>${n.lastSeenAt === null ? '<span class="note">no report kept</span>' : when(n.lastSeenAt, now)}</td><td>${n.openedAt ? when(n.openedAt, now) : '<span class="note">not recorded</span>'}</td><td>${when(n.observedAt, now)}</td><td class="message">${e(n.message)}${more}</td><td>${renderEvidence(n.evidence, n.evidenceCount)}</td></tr>`;
}

function renderEvidence(ev: Evidence[] | string, count: number): string {
  if (typeof ev === 'string') return `<pre class="evidence">${e(ev)}</pre>`;
  if (ev.length === 0) return '';
  const items = ev.map((x) => {
    const where = x.file !== undefined ? `<code>${e(x.file)}${x.line !== undefined ? `:${x.line}` : ''}</code>` : '';
    return `<li>${where}${x.text !== undefined ? `<pre class="evidence">${e(x.text)}</pre>` : ''}</li>`;
  });
  return `<ul class="evidence">${items.join('')}</ul>${count > ev.length ? `<span class="note">${num(count - ev.length)} more</span>` : ''}`;
}

function renderFilters(v: View, probes: readonly string[]): string {
  const choices = v.filter.probe && !probes.includes(v.filter.probe) ? [...probes, v.filter.probe].sort() : probes;
  const opt = (value: string, label: string, selected: boolean) =>
    `<option value="${e(value)}"${selected ? ' selected' : ''}>${e(label)}</option>`;
  return `<form method="get" action="/" class="filters" id="filters">
<label>probe <select name="probe">${opt('', 'any', v.filter.probe === '')}${choices.map((p) => opt(p, p, p === v.filter.probe)).join('')}</select></label>
<fieldset><legend>severity</legend>${SEVERITIES.map((s) => `<label class="sev-choice"><input type="checkbox" name="severity" value="${s}"${v.filter.severities.includes(s) ? ' checked' : ''}> <span class="sev sev-${s}">${s}</span></label>`).join('')}</fieldset>
<label>node contains <input type="search" name="node" value="${e(v.filter.node)}" maxlength="${FILTER_TEXT_MAX}"></label>
<label>check contains <input type="search" name="check" value="${e(v.filter.check)}" maxlength="${FILTER_TEXT_MAX}"></label>
<label>show <select name="show">${opt('', 'nodes with failures', !v.all)}${opt('all', 'all nodes', v.all)}</select></label>
<button type="submit">Apply</button> <a href="/">clear</a>
</form>`;
}

function renderPager(v: View, total: number, size: number, path: string): string {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return '';
  const link = (page: number, label: string, rel: string) =>
    `<a href="${e(path || '/')}${e(viewQuery(v, { page }))}" rel="${rel}">${label}</a>`;
  const prev =
    v.page > 1 ? link(Math.min(v.page - 1, pages), '‹ previous', 'prev') : '<span class="note">‹ previous</span>';
  const next = v.page < pages ? link(v.page + 1, 'next ›', 'next') : '<span class="note">next ›</span>';
  return `<nav class="pager">${prev} · page ${num(Math.min(v.page, pages))} of ${num(pages)} · ${next}</nav>`;
}

function hasFilter(v: View): boolean {
  return v.filter.probe !== '' || v.filter.severities.length > 0 || v.filter.node !== '' || v.filter.check !== '';
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** An absolute UTC time with how long ago it was; unreadable times are shown as they are. */
/** The node's integrity baseline cell: short digest (full in the title), verified or not, and its last change. */
function renderBaseline(b: NodeBaseline | undefined, now: Date): string {
  if (!b)
    return `<td class="baseline note" title="This node's agent has sent no integrity baseline (the integrity probe is off or has none yet).">none reported</td>`;
  const digest = `<code title="${e(`${b.digest} (built ${b.created}; kept since ${b.since})`)}">${e(b.digest.slice(0, 12))}</code>`;
  const signed = b.signed ? '' : ` <span class="note">unverified</span>`;
  const changed = b.changedAt
    ? ` <span class="flag baseline-changed" title="${e(`${b.changes} change${b.changes === 1 ? '' : 's'}; previous digest ${b.previousDigest ?? '?'}`)}">changed</span> ${when(b.changedAt, now)}`
    : '';
  return `<td class="baseline${b.changedAt ? ' bad' : ''}" data-digest="${e(b.digest)}">${digest}${signed}${changed}</td>`;
}

export function when(t: string | number, now: Date): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) return e(String(t));
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}" title="${iso}">${iso.slice(0, 19).replace('T', ' ')} <span class="ago">(${ago(now.getTime() - ms)})</span></time>`;
}

export function ago(ms: number): string {
  const future = ms < 0;
  const s = Math.round(Math.abs(ms) / 1000);
  const text =
    s < 120
      ? `${s}s`
      : s < 7200
        ? `${Math.round(s / 60)}m`
        : s < 172_800
          ? `${Math.round(s / 3600)}h`
          : `${Math.round(s / 86_400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

const CSS = `
:root{--critical:#b71c1c;--high:#d84315;--medium:#f9a825;--low:#1565c0;--info:#607d8b}
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .4em}
a{color:#0b57d0}table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}
.sev{display:inline-block;padding:0 .45em;border-radius:.6em;color:#fff;font-size:.85em;font-weight:600}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium);color:#222}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.sev-dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-bottom:.3em}
.summary b{font-size:1.1em}.bad{color:var(--critical);font-weight:600}.warn{color:#b26a00;font-weight:600}.ok{color:#2e7d32;font-weight:600}
.note{color:#666;font-size:.9em}.error{color:var(--critical);font-family:ui-monospace,monospace;font-size:.85em}
.filters{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:center;background:#fff;border:1px solid #ddd;padding:.6em .8em}
.filters fieldset{border:0;padding:0;margin:0;display:inline-flex;gap:.4em;align-items:center}.filters legend{float:left;margin-right:.4em;padding:0}
.scroll{overflow:auto;max-height:75vh;border:1px solid #ddd}
.matrix{font-size:13px}.matrix thead th{position:sticky;top:0;z-index:1}
.matrix th.check{vertical-align:bottom;padding:.3em .15em;min-width:1.6em}
.matrix th.check a{text-decoration:none;color:#222;display:flex;flex-direction:column;align-items:center}
.vert{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;padding:.2em 0}
.matrix th.node{position:sticky;left:0;background:#fff;white-space:nowrap}
.matrix .cell{text-align:center;padding:0;min-width:1.6em}.matrix .cell a{display:block;color:#fff;text-decoration:none;font-size:.8em}
.matrix .cell.sev-medium a{color:#222}.when{white-space:nowrap}.num{text-align:right}
.flag{font-size:.75em;padding:0 .4em;border-radius:.5em;border:1px solid}.flag.silent{color:var(--critical);border-color:var(--critical)}.flag.baseline-changed{color:var(--high);border-color:var(--high)}.baseline{white-space:nowrap}
.pager{margin:.4em 0}
ul.deliveries,ul.evidence{margin:0;padding-left:1.1em}
pre.evidence{margin:.1em 0;white-space:pre-wrap;word-break:break-all;max-width:50em;font-size:.85em;background:#f5f5f5;padding:.2em .4em}
.message{max-width:30em;white-space:pre-wrap;word-break:break-word}
.status{font-size:.6em;vertical-align:middle;padding:.1em .5em;border-radius:.5em;border:1px solid}.status-open{color:var(--critical)}.status-resolved{color:#2e7d32}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dl.facts dt{color:#666}dl.facts dd{margin:0}
footer{margin-top:2em;color:#888;font-size:.85em}
.views{margin:.4em 0}.failing-label{color:var(--critical);font-weight:600}h3{font-size:1em;margin:.8em 0 .2em}
#fix{background:#fff;border:1px solid #ddd;padding:.2em 1em .6em;max-width:60em}.remediation{white-space:pre-wrap}
.chart{background:#fff;border:1px solid #ddd}.chart .axis{fill:#999}.chart .tick{font-size:11px;fill:#555}
.bar-fail{fill:var(--high)}
.groups td.problem{min-width:16em}.groups code{word-break:break-all}
.ago{color:#777}time{white-space:nowrap}`;

// Convenience only: apply a filter as soon as a choice changes (the Apply button does the same).
const SCRIPT = `document.querySelectorAll('#filters select,#filters input[type=checkbox]').forEach(function(x){x.addEventListener('change',function(){x.form.submit()})})`;

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // Only the page's own inline style and script run; nothing is loaded from anywhere.
  'Content-Security-Policy': `default-src 'none'; style-src ${hash(CSS)}; script-src ${hash(SCRIPT)}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title>
<style>${CSS}</style>
</head><body>
${body}
<script>${SCRIPT}</script>
</body></html>
`;
}

function html(status: number, body: string): PageAnswer {
  return { status, type: 'text/html; charset=utf-8', body, headers: { ...SECURITY_HEADERS } };
}
