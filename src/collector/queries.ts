/**
 * Read-only queries of the fleet page (page.ts) on the collector's database (store.ts owns the schema
 * and every write). Each query is bounded: the page asks for one page of nodes and a capped number of
 * groups, history rows and evidence, so a fleet of 5,000 nodes × 200 checks renders in one request.
 *
 * Filters are parameters of fixed prepared statements ('' or NULL means "any"), never SQL text.
 */
import { SEVERITIES, probeOf } from '../contracts.js';
import type { AlertGroupStatus, Evidence, NodeBaseline, NodeHost, Severity } from '../contracts.js';
import type { GroupAction, GroupChange } from './sink.js';
import { HOST_COLUMNS, groupKey, nodeBaseline, nodeHost } from './store.js';
import type { GroupRow as DbGroupRow, NodeBaselineRow, NodeHostRow } from './store.js';
import { prepareLenient } from './sqlite.js';
import type { Database as Db, Statement } from './sqlite.js';

export interface FleetFilter {
  /** Exact probe name; '' for any. */
  probe: string;
  /** Severities to show; empty for all. */
  severities: readonly Severity[];
  /** Case-insensitive substring of the node name; '' for any. */
  node: string;
  /** Case-insensitive substring of the check id; '' for any. */
  check: string;
}

export const NO_FILTER: FleetFilter = { probe: '', severities: [], node: '', check: '' };

export interface FleetSummary {
  nodes: number;
  silent: number;
  /** Nodes with at least one failing check (unfiltered). */
  failingNodes: number;
  openGroups: Record<Severity, number>;
}

/** One failing check across the nodes that match the filter (a column of the matrix). */
export interface FailingCheck {
  key: string;
  check: string;
  severity: Severity;
  probe: string;
  title: string;
  /** Matching nodes failing it. */
  nodes: number;
}

export interface NodeRow {
  node: string;
  lastSeenAt: number;
  silent: boolean;
  /** Failing checks matching the filter. */
  failing: number;
  /** The node's most severe matching failure, if any. */
  worst?: Severity;
  /** The node's integrity baseline as last reported (store.ts), if any. */
  baseline?: NodeBaseline;
}

export interface Cell {
  node: string;
  check: string;
  severity: Severity;
  message: string;
}

export interface DeliveryState {
  sink: string;
  sent: number;
  pending: number;
  dead: number;
  /** The newest queued change for this group and sink. */
  last: DeliveryAttempt & { action: GroupAction | undefined; createdAt: number };
}

export interface GroupRow {
  key: string;
  check: string;
  severity: Severity;
  title: string;
  status: AlertGroupStatus;
  nodeCount: number;
  openedAt: string;
  updatedAt: string;
}

/** A queued change's delivery to one sink: sent, dead, or pending with its attempts so far. */
export interface DeliveryAttempt {
  sentAt: number | null;
  deadAt: number | null;
  attempts: number;
  nextAt: number;
  lastError: string | null;
}

export interface HistoryEntry {
  /** The change as queued (one per change; the same for every sink). */
  change: GroupChange | undefined;
  createdAt: number;
  deliveries: (DeliveryAttempt & { sink: string })[];
}

export interface GroupNode {
  node: string;
  lastSeenAt: number | null;
  silent: boolean;
  /** The message, cut to the page's limit; messageLength is the stored length. */
  message: string;
  messageLength: number;
  /** Parsed evidence (the first items, fields cut), or the stored text when it is not a JSON array. */
  evidence: Evidence[] | string;
  evidenceCount: number;
  openedAt: string | null;
  observedAt: string;
}

const SEVERITY_RANK_SQL = `CASE severity ${SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} ELSE 9 END`;

/**
 * Conditions on failing node_checks rows shared by the filtered queries (parameters from `params`). The
 * probe is the first part of the check id (DESIGN.md: ids are `<probe>.<name>`), so a probe filter is a
 * range of the primary key (node, check_id) and of the failing-rows index (check_id, severity, node).
 */
const FILTER_SQL = `failing = 1 AND check_id > @lo AND check_id < @hi
  AND (@sev = '' OR instr(@sev, ',' || severity || ',') > 0)
  AND (@check = '' OR instr(check_id, @check) > 0)`;

/** A type, not an interface: bound as named parameters, it must be a plain record. */
type FilterParams = {
  lo: string;
  hi: string;
  sev: string;
  check: string;
  node: string;
};

function params(f: FleetFilter): FilterParams {
  return {
    // Check ids are [a-z0-9._-]: every one sorts after '' and before '{'; '/' follows '.'.
    lo: f.probe ? `${f.probe}.` : '',
    hi: f.probe ? `${f.probe}/` : '{',
    sev: f.severities.length > 0 ? `,${f.severities.join(',')},` : '',
    check: f.check.toLowerCase(),
    node: f.node.toLowerCase(),
  };
}

function parseJson<T>(s: string): T | undefined {
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

export class FleetQueries {
  private readonly st: Record<string, Statement>;

  constructor(db: Db) {
    // Each takes the whole filter object and uses the values it needs.
    const p = (sql: string) => prepareLenient(db, sql);
    const c = (sql: string) => sql.replace(/\b(failing|check_id|severity)\b/g, 'c.$1');
    this.st = {
      summary: p(`SELECT COUNT(*) AS nodes, COALESCE(SUM(silent), 0) AS silent,
          COALESCE(SUM(EXISTS (SELECT 1 FROM node_checks c WHERE c.node = n.node AND c.failing = 1)), 0) AS failing FROM nodes n`),
      openGroups: p(`SELECT severity, COUNT(*) AS n FROM groups WHERE status = 'open' GROUP BY severity`),
      // Every failing (check, severity) has an open group (store.ts keeps them together): without a node
      // filter the columns and their counts come from the small groups table.
      openChecks:
        p(`SELECT key, check_id, severity, title, node_count FROM groups WHERE status = 'open' AND check_id > @lo AND check_id < @hi
          AND (@sev = '' OR instr(@sev, ',' || severity || ',') > 0) AND (@check = '' OR instr(check_id, @check) > 0)`),
      probes: p(
        `SELECT DISTINCT substr(check_id, 1, instr(check_id, '.') - 1) AS probe FROM groups WHERE status = 'open' ORDER BY probe`,
      ),
      checksOnNodes: p(`SELECT check_id, severity, COUNT(*) AS n FROM node_checks
          WHERE node IN (SELECT value FROM json_each(@nodes)) AND ${FILTER_SQL} GROUP BY check_id, severity`),
      matchingNodes:
        p(`SELECT node, last_seen_at, silent FROM nodes n WHERE (@node = '' OR instr(lower(node), @node) > 0)
          AND (@all = 1 OR EXISTS (SELECT 1 FROM node_checks c WHERE c.node = n.node AND ${c(FILTER_SQL)})) ORDER BY node`),
      nodeCounts: p(`SELECT node, COUNT(*) AS n, MIN(${SEVERITY_RANK_SQL}) AS worst FROM node_checks
          WHERE node IN (SELECT value FROM json_each(@nodes)) AND ${FILTER_SQL} GROUP BY node`),
      // The baseline columns of one page of nodes (store.ts migration 3).
      pageBaselines:
        p(`SELECT node, baseline_digest, baseline_created, baseline_signed, baseline_observed_at, baseline_since, baseline_changed_at,
          baseline_previous, baseline_changes FROM nodes WHERE node IN (SELECT value FROM json_each(@nodes)) AND baseline_digest IS NOT NULL`),
      cells: p(`SELECT node, check_id, severity, substr(message, 1, 300) AS message FROM node_checks
          WHERE node IN (SELECT value FROM json_each(@nodes)) AND ${FILTER_SQL}`),
      groups: p(`SELECT * FROM groups WHERE check_id > @lo AND check_id < @hi
          AND (@sev = '' OR instr(@sev, ',' || severity || ',') > 0) AND (@check = '' OR instr(check_id, @check) > 0)
          AND status = @status ORDER BY updated_at DESC, check_id LIMIT @limit`),
      group: p(`SELECT * FROM groups WHERE key = ?`),
      // One pass over the newest queue rows (the queue has no index by group; ids only grow): counts per
      // group and sink, and the newest row of each.
      deliveryStates:
        p(`SELECT a.group_key, a.sink, a.sent, a.pending, a.dead, d.change, d.created_at, d.sent_at, d.dead_at, d.attempts, d.next_at, d.last_error
          FROM (SELECT group_key, sink, COUNT(sent_at) AS sent, SUM(sent_at IS NULL AND dead_at IS NULL) AS pending, COUNT(dead_at) AS dead, MAX(id) AS last_id
                FROM deliveries WHERE id > @minId GROUP BY group_key, sink) a JOIN deliveries d ON d.id = a.last_id`),
      maxDeliveryId: p(`SELECT COALESCE(MAX(id), 0) AS id FROM deliveries`),
      // Exact, through the queue's partial index of unacknowledged rows.
      pendingBySink: p(
        `SELECT sink, COUNT(*) AS n FROM deliveries WHERE sent_at IS NULL AND dead_at IS NULL GROUP BY sink`,
      ),
      history: p(`SELECT id, sink, change, created_at, sent_at, dead_at, attempts, next_at, last_error FROM deliveries
          WHERE group_key = ? ORDER BY id DESC LIMIT ?`),
      // Evidence is cut down in SQL (at most 100 items of up to 8 KiB each are stored per node).
      groupNodes:
        p(`SELECT c.node, n.last_seen_at, n.silent, substr(c.message, 1, @messageMax) AS message, length(c.message) AS message_length,
            CASE WHEN json_valid(c.evidence) AND json_type(c.evidence) = 'array' THEN json_array_length(c.evidence) ELSE -1 END AS evidence_count,
            CASE WHEN json_valid(c.evidence) AND json_type(c.evidence) = 'array' THEN
              (SELECT json_group_array(json_object('file', substr(json_extract(value, '$.file'), 1, @textMax), 'line', json_extract(value, '$.line'),
                  'text', substr(json_extract(value, '$.text'), 1, @textMax)))
               FROM (SELECT value FROM json_each(c.evidence) LIMIT @evidenceMax))
            ELSE substr(c.evidence, 1, @textMax) END AS evidence,
            c.opened_at, c.observed_at
          FROM node_checks c LEFT JOIN nodes n ON n.node = c.node
          WHERE c.check_id = @check AND c.severity = @severity AND c.failing = 1 AND (@node = '' OR instr(lower(c.node), @node) > 0)
          ORDER BY c.node LIMIT @limit OFFSET @offset`),
      // The page's ranked group lists: most severe first, then widest; one page at a time (the groups table
      // holds one row per check and severity ever failing, so an offset costs little).
      groupsRanked: p(`SELECT * FROM groups WHERE check_id > @lo AND check_id < @hi
          AND (@sev = '' OR instr(@sev, ',' || severity || ',') > 0) AND (@check = '' OR instr(check_id, @check) > 0)
          AND status = @status AND opened_at >= @since ORDER BY ${SEVERITY_RANK_SQL}, node_count DESC, check_id LIMIT @limit OFFSET @offset`),
      groupsRankedCount: p(`SELECT COUNT(*) AS n FROM groups WHERE check_id > @lo AND check_id < @hi
          AND (@sev = '' OR instr(@sev, ',' || severity || ',') > 0) AND (@check = '' OR instr(check_id, @check) > 0)
          AND status = @status AND opened_at >= @since`),
      // Groups resolved since a time (ISO text compares in time order): how long each was open.
      resolvedSince: p(
        `SELECT opened_at, updated_at FROM groups WHERE status = 'resolved' AND updated_at >= ? ORDER BY updated_at DESC LIMIT ?`,
      ),
      node: p(
        `SELECT n.node, n.first_seen_at, n.last_seen_at, n.silent, ${HOST_COLUMNS} FROM nodes n WHERE n.node = ?`,
      ),
      // A range of the primary key (node, check_id): one node's rows only.
      nodeCoverage: p(`SELECT status, failing, COUNT(*) AS n FROM node_checks WHERE node = ? GROUP BY status, failing`),
      nodeFailing:
        p(`SELECT check_id, severity, title, substr(message, 1, 300) AS message, opened_at, observed_at FROM node_checks
          WHERE node = @node AND failing = 1 ORDER BY ${SEVERITY_RANK_SQL}, check_id LIMIT @limit OFFSET @offset`),
      // Events in arrival order (seq), for the failing-checks chart: the first seq at or after a time is found by
      // bisection on the primary key, then one bounded range is read.
      maxSeq: p(`SELECT COALESCE(MAX(seq), 0) AS seq FROM events`),
      seqAtOrAfter: p(`SELECT seq, received_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1`),
      failingInRange: p(`SELECT COUNT(DISTINCT node || char(0) || check_id) AS failing FROM events
          WHERE seq >= @from AND seq <= @to AND status = 'fail' AND check_id <> @heartbeat AND json_extract(body, '$.accepted') IS NOT 1`),
      groupNodeCount:
        p(`SELECT COUNT(*) AS n FROM node_checks WHERE check_id = @check AND severity = @severity AND failing = 1
          AND (@node = '' OR instr(lower(node), @node) > 0)`),
    };
  }

  summary(): FleetSummary {
    const r = this.st.summary!.get() as { nodes: number; silent: number; failing: number };
    const openGroups = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const g of this.st.openGroups!.all() as { severity: Severity; n: number }[]) openGroups[g.severity] = g.n;
    return { nodes: r.nodes, silent: r.silent, failingNodes: r.failing, openGroups };
  }

  /**
   * Failing checks across the nodes matching the filter (the matrix columns), most severe and widest
   * first, and the probes with open groups (for the probe chooser).
   */
  failingChecks(f: FleetFilter): { checks: FailingCheck[]; probes: string[] } {
    const q = params(f);
    const open = this.st.openChecks!.all(q) as {
      key: string;
      check_id: string;
      severity: Severity;
      title: string;
      node_count: number;
    }[];
    let checks: FailingCheck[];
    if (q.node === '') {
      checks = open.map((g) => ({
        key: g.key,
        check: g.check_id,
        severity: g.severity,
        probe: probeOf(g.check_id),
        title: g.title,
        nodes: g.node_count,
      }));
    } else {
      const titles = new Map(open.map((g) => [g.key, g.title]));
      const nodes = (this.st.matchingNodes!.all({ ...q, all: 1 }) as { node: string }[]).map((r) => r.node);
      const rows = this.st.checksOnNodes!.all({ ...q, nodes: JSON.stringify(nodes) }) as {
        check_id: string;
        severity: Severity;
        n: number;
      }[];
      checks = rows.map((r) => {
        const key = groupKey(r.check_id, r.severity);
        return {
          key,
          check: r.check_id,
          severity: r.severity,
          probe: probeOf(r.check_id),
          title: titles.get(key) ?? '',
          nodes: r.n,
        };
      });
    }
    checks.sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        b.nodes - a.nodes ||
        a.check.localeCompare(b.check),
    );
    const probes = (this.st.probes!.all() as { probe: string }[]).map((r) => r.probe);
    return { checks, probes };
  }

  /**
   * Nodes matching the filter, by name: those with a matching failure, or every node (`all`). Returns one
   * page, with its failure counts, and the total; the list of names is one row per node.
   */
  nodes(f: FleetFilter, all: boolean, offset: number, limit: number): { rows: NodeRow[]; total: number } {
    const q = params(f);
    const chosen = this.st.matchingNodes!.all({ ...q, all: all ? 1 : 0 }) as {
      node: string;
      last_seen_at: number;
      silent: number;
    }[];
    const page = chosen.slice(offset, offset + limit);
    const counts = new Map<string, { n: number; worst: number }>();
    const baselines = new Map<string, NodeBaseline>();
    if (page.length > 0) {
      const names = JSON.stringify(page.map((n) => n.node));
      for (const r of this.st.nodeCounts!.all({ ...q, nodes: names }) as { node: string; n: number; worst: number }[])
        counts.set(r.node, r);
      for (const r of this.st.pageBaselines!.all({ nodes: names }) as (NodeBaselineRow & { node: string })[]) {
        const b = nodeBaseline(r);
        if (b) baselines.set(r.node, b);
      }
    }
    const rows = page.map((n) => {
      const fl = counts.get(n.node);
      const row: NodeRow = { node: n.node, lastSeenAt: n.last_seen_at, silent: n.silent === 1, failing: fl?.n ?? 0 };
      const worst = fl ? SEVERITIES[fl.worst] : undefined;
      if (worst) row.worst = worst;
      const b = baselines.get(n.node);
      if (b) row.baseline = b;
      return row;
    });
    return { rows, total: chosen.length };
  }

  /** The matching failures of the given nodes (the cells of one page of the matrix). */
  cells(f: FleetFilter, nodes: readonly string[]): Cell[] {
    if (nodes.length === 0) return [];
    const rows = this.st.cells!.all({ ...params(f), nodes: JSON.stringify(nodes) }) as {
      node: string;
      check_id: string;
      severity: Severity;
      message: string;
    }[];
    return rows.map((r) => ({ node: r.node, check: r.check_id, severity: r.severity, message: r.message }));
  }

  /** Groups by status matching probe, severity and check (a group spans nodes), newest first. */
  groups(f: FleetFilter, status: AlertGroupStatus, limit: number): GroupRow[] {
    return (this.st.groups!.all({ ...params(f), status, limit }) as DbGroupRow[]).map(toGroup);
  }

  group(key: string): GroupRow | undefined {
    const r = this.st.group!.get(key) as DbGroupRow | undefined;
    return r && toGroup(r);
  }

  /**
   * Delivery state per group key and sink from the newest `window` queue rows (`complete` false when the
   * queue holds older ones), and the exact number of unacknowledged rows per sink.
   */
  deliveryStates(window: number): {
    states: Map<string, DeliveryState[]>;
    complete: boolean;
    pending: Map<string, number>;
  } {
    const out = new Map<string, DeliveryState[]>();
    const maxId = (this.st.maxDeliveryId!.get() as { id: number }).id;
    const minId = Math.max(0, maxId - window);
    const pending = new Map((this.st.pendingBySink!.all() as { sink: string; n: number }[]).map((r) => [r.sink, r.n]));
    const rows = this.st.deliveryStates!.all({ minId }) as (QueueRow & {
      group_key: string;
      sent: number;
      pending: number;
      dead: number;
    })[];
    for (const r of rows) {
      const list = out.get(r.group_key) ?? [];
      list.push({
        sink: r.sink,
        sent: r.sent,
        pending: r.pending,
        dead: r.dead,
        last: { action: parseJson<GroupChange>(r.change)?.action, createdAt: r.created_at, ...attemptOf(r) },
      });
      out.set(r.group_key, list);
    }
    for (const list of out.values()) list.sort((a, b) => a.sink.localeCompare(b.sink));
    return { states: out, complete: minId === 0, pending };
  }

  /** A group's newest changes, each with its delivery to every sink. `maxRows` bounds the queue rows read. */
  history(key: string, maxRows: number): HistoryEntry[] {
    const rows = this.st.history!.all(key, maxRows) as (QueueRow & { id: number })[];
    // One change is queued once per sink in the same transaction: same text, same time.
    const entries: HistoryEntry[] = [];
    const byChange = new Map<string, HistoryEntry>();
    for (const r of rows) {
      const id = `${r.created_at}\0${r.change}`;
      let e = byChange.get(id);
      if (!e) {
        e = { change: parseJson<GroupChange>(r.change), createdAt: r.created_at, deliveries: [] };
        byChange.set(id, e);
        entries.push(e);
      }
      e.deliveries.push({ sink: r.sink, ...attemptOf(r) });
    }
    for (const e of entries) e.deliveries.sort((a, b) => a.sink.localeCompare(b.sink));
    return entries;
  }

  /** The failing nodes of a group with their message and evidence (cut to `limits`), one page by node name. */
  groupNodes(
    g: GroupRow,
    node: string,
    offset: number,
    limit: number,
    limits: { messageMax: number; textMax: number; evidenceMax: number },
  ): { rows: GroupNode[]; total: number } {
    const where = { check: g.check, severity: g.severity, node: node.toLowerCase() };
    const total = (this.st.groupNodeCount!.get(where) as { n: number }).n;
    const rows = this.st.groupNodes!.all({ ...where, ...limits, limit, offset }) as {
      node: string;
      last_seen_at: number | null;
      silent: number | null;
      message: string;
      message_length: number;
      evidence_count: number;
      evidence: string;
      opened_at: string | null;
      observed_at: string;
    }[];
    return {
      total,
      rows: rows.map((r) => ({
        node: r.node,
        lastSeenAt: r.last_seen_at,
        silent: r.silent === 1,
        message: r.message,
        messageLength: r.message_length,
        evidence: r.evidence_count >= 0 ? (parseJson<RawEvidence[]>(r.evidence) ?? []).map(cleanEvidence) : r.evidence,
        evidenceCount: Math.max(0, r.evidence_count),
        openedAt: r.opened_at,
        observedAt: r.observed_at,
      })),
    };
  }

  /**
   * One page of groups with `status` matching probe, severity and check, opened at or after `since` (ISO;
   * '' for any): most severe first, then by how many nodes fail, then by check id. Also the total.
   */
  groupsRanked(
    f: FleetFilter,
    status: AlertGroupStatus,
    since: string,
    offset: number,
    limit: number,
  ): { rows: GroupRow[]; total: number } {
    const q = { ...params(f), status, since };
    const rows = (this.st.groupsRanked!.all({ ...q, limit, offset }) as DbGroupRow[]).map(toGroup);
    return { rows, total: (this.st.groupsRankedCount!.get(q) as { n: number }).n };
  }

  /**
   * How long the groups resolved since `since` (ISO) were open, from the first failing node to the last fix
   * (milliseconds, newest first, at most `limit`). A group that opens again starts a new span.
   */
  timesToFix(since: string, limit: number): number[] {
    const rows = this.st.resolvedSince!.all(since, limit) as { opened_at: string; updated_at: string }[];
    return rows
      .map((r) => Date.parse(r.updated_at) - Date.parse(r.opened_at))
      .filter((ms) => Number.isFinite(ms) && ms >= 0);
  }

  /** A node's row, what the collector holds of its checks by status, and one page of its failing checks. */
  node(name: string, offset: number, limit: number): NodeDetail | undefined {
    const r = this.st.node!.get(name) as
      ({ node: string; first_seen_at: number; last_seen_at: number; silent: number } & NodeHostRow) | undefined;
    if (!r) return undefined;
    const coverage: NodeCoverage = { fail: 0, pass: 0, unknown: 0, other: 0, total: 0 };
    for (const c of this.st.nodeCoverage!.all(name) as { status: string; failing: number; n: number }[]) {
      // A failure covered by an accepted exception is stored as status fail, not failing: not counted as failing.
      const k = c.failing === 1 ? 'fail' : c.status === 'pass' ? 'pass' : c.status === 'unknown' ? 'unknown' : 'other';
      coverage[k] += c.n;
      coverage.total += c.n;
    }
    const rows = this.st.nodeFailing!.all({ node: name, limit, offset }) as {
      check_id: string;
      severity: Severity;
      title: string;
      message: string;
      opened_at: string | null;
      observed_at: string;
    }[];
    return {
      node: r.node,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
      silent: r.silent === 1,
      host: nodeHost(r),
      coverage,
      failing: rows.map((x) => ({
        key: groupKey(x.check_id, x.severity),
        check: x.check_id,
        severity: x.severity,
        title: x.title,
        message: x.message,
        openedAt: x.opened_at,
        observedAt: x.observed_at,
      })),
    };
  }

  /**
   * For each window [from, to) (epoch ms, by arrival): the distinct (node, check) pairs reported failing in it,
   * from the stored events (heartbeats and accepted failures left out). Agents re-send every open alert
   * periodically, so a window as long as their re-send interval holds every check failing at its end. Reads at
   * most `maxRows` events per window; `complete` is false for a window that held more.
   */
  failingIn(
    windows: readonly { from: number; to: number }[],
    maxRows: number,
    heartbeat: string,
  ): { failing: number; complete: boolean }[] {
    const maxSeq = (this.st.maxSeq!.get() as { seq: number }).seq;
    return windows.map((w) => {
      if (maxSeq === 0) return { failing: 0, complete: true };
      const from = this.firstSeqAt(w.from, maxSeq);
      const end = this.firstSeqAt(w.to, maxSeq) - 1;
      const to = Math.min(end, from + maxRows - 1);
      if (to < from) return { failing: 0, complete: true };
      const r = this.st.failingInRange!.get({ from, to, heartbeat }) as { failing: number };
      return { failing: r.failing, complete: to === end };
    });
  }

  /** The first event seq received at or after `t` (maxSeq + 1 when none): bisection on the primary key. */
  private firstSeqAt(t: number, maxSeq: number): number {
    let lo = 1;
    let hi = maxSeq + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = this.st.seqAtOrAfter!.get(mid) as { seq: number; received_at: number } | undefined;
      if (!r || r.received_at >= t) hi = mid;
      else lo = r.seq + 1;
    }
    return lo;
  }
}

export interface NodeCoverage {
  /** Checks failing now (not counting accepted exceptions). */
  fail: number;
  /** Checks last reported passing (the agent sends a check when it leaves fail). */
  pass: number;
  unknown: number;
  /** skip, or failures covered by an accepted exception. */
  other: number;
  total: number;
}

export interface NodeFailing {
  key: string;
  check: string;
  severity: Severity;
  title: string;
  message: string;
  openedAt: string | null;
  observedAt: string;
}

export interface NodeDetail {
  node: string;
  firstSeenAt: number;
  lastSeenAt: number;
  silent: boolean;
  /** Its host facts as its agent last reported them; undefined until it sent some. */
  host: NodeHost | undefined;
  coverage: NodeCoverage;
  /** One page of the node's failing checks, most severe first. */
  failing: NodeFailing[];
}

export interface DayCount {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Checks failing at the day's end (now, for today). */
  failing: number;
  /** False when the day's window held more events than were read. */
  complete: boolean;
}

interface RawEvidence {
  file?: unknown;
  line?: unknown;
  text?: unknown;
}

/** Keep only well-typed evidence fields (json_object yields nulls for absent ones). */
function cleanEvidence(e: RawEvidence): Evidence {
  const out: Evidence = {};
  if (typeof e.file === 'string') out.file = e.file;
  if (typeof e.line === 'number') out.line = e.line;
  if (typeof e.text === 'string') out.text = e.text;
  return out;
}

/** The columns of a deliveries (queue) row that the page shows. */
interface QueueRow {
  sink: string;
  change: string;
  created_at: number;
  sent_at: number | null;
  dead_at: number | null;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

/** Where one queued change stands with its sink. */
function attemptOf(r: QueueRow): DeliveryAttempt {
  return { sentAt: r.sent_at, deadAt: r.dead_at, attempts: r.attempts, nextAt: r.next_at, lastError: r.last_error };
}

function toGroup(r: DbGroupRow): GroupRow {
  return {
    key: r.key,
    check: r.check_id,
    severity: r.severity,
    title: r.title,
    status: r.status,
    nodeCount: r.node_count,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
  };
}
