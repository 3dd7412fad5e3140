/**
 * The collector's fleet state in one SQLite file (node:sqlite through sqlite.ts; WAL, synchronous=FULL: a commit is on
 * disk when it returns). Schema versions are recorded in `schema_migrations` and applied in order.
 *
 * Tables: events (every accepted event, keyed by id: the idempotency of re-sends), node_checks (the
 * current state of each node and check), nodes (last seen, silent), groups (one per check + severity
 * with its failing nodes) and deliveries (the persistent queue to the sinks: a row is marked sent only
 * when its sink acknowledged it).
 *
 * A group changes when its set of failing nodes changes: open (first node), update (nodes added or
 * removed), resolve (last node gone). A message or evidence change on a node already failing updates
 * node_checks but is not a group change, so sinks are not re-notified for it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BASELINE_CHANGED_CHECK, CLOCK_SKEW_CHECK, HEARTBEAT_CHECK, NODE_SILENT_CHECK } from '../contracts.js';
import { BASELINE_ROLLBACK_CHECK } from '../contracts.js';
import type {
  AlertEvent,
  AlertGroup,
  AlertGroupStatus,
  BaselineRef,
  HostFacts,
  NodeBaseline,
  NodeHost,
  NodeSummary,
  Severity,
} from '../contracts.js';
import type { GroupChange, GroupAction } from './sink.js';
import { BUSY_TIMEOUT_MS, openDatabase, pragma, sqliteCode, transaction } from './sqlite.js';
import type { Database as Db, Statement } from './sqlite.js';

/** The node's baseline as GET /v1/nodes shows it, from its row (undefined until one was reported). */
export function nodeBaseline(r: NodeBaselineRow): NodeBaseline | undefined {
  if (r.baseline_digest === null || r.baseline_since === null) return undefined;
  const b: NodeBaseline = {
    digest: r.baseline_digest,
    created: r.baseline_created ?? '',
    signed: r.baseline_signed === 1,
    since: new Date(r.baseline_since).toISOString(),
    changes: r.baseline_changes,
  };
  if (r.baseline_changed_at !== null) b.changedAt = new Date(r.baseline_changed_at).toISOString();
  if (r.baseline_previous !== null) b.previousDigest = r.baseline_previous;
  if (typeof r.baseline_generation === 'number') b.generation = r.baseline_generation;
  return b;
}

/** A node's host facts as its row holds them (selected as in HOST_COLUMNS). */
export interface NodeHostRow {
  host_os_name: string | null;
  host_os_id: string | null;
  host_os_version: string | null;
  host_kernel: string | null;
  host_arch: string | null;
  host_agent_version: string | null;
  host_observed_at: string | null;
}

/** Each host fact and its column: the one list the columns, the SELECTs and the UPDATE derive from. */
const HOST_FIELDS: readonly [keyof HostFacts, keyof NodeHostRow][] = [
  ['osName', 'host_os_name'],
  ['osId', 'host_os_id'],
  ['osVersion', 'host_os_version'],
  ['kernel', 'host_kernel'],
  ['arch', 'host_arch'],
  ['agentVersion', 'host_agent_version'],
];

/** The columns of NodeHostRow, for a SELECT of the nodes table aliased `n`. */
export const HOST_COLUMNS = [...HOST_FIELDS.map(([, c]) => `n.${c}`), 'n.host_observed_at'].join(', ');

/** What GET /v1/nodes lists of a node, for a SELECT of the nodes table aliased `n`. */
const NODE_SUMMARY_COLUMNS = `n.node AS node, n.last_seen_at AS last_seen_at, n.baseline_digest, n.baseline_created,
  n.baseline_signed, n.baseline_observed_at, n.baseline_since, n.baseline_changed_at, n.baseline_previous,
  n.baseline_changes, n.baseline_generation, ${HOST_COLUMNS},
  (SELECT json_group_array(check_id) FROM (SELECT check_id FROM node_checks c WHERE c.node = n.node AND c.failing = 1
    ORDER BY check_id)) AS failing`;

type NodeSummaryRow = { node: string; last_seen_at: number; failing: string } & NodeBaselineRow & NodeHostRow;

function nodeSummary(r: NodeSummaryRow): NodeSummary {
  const out: NodeSummary = {
    node: r.node,
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
    failing: JSON.parse(r.failing) as string[],
  };
  const b = nodeBaseline(r);
  if (b) out.baseline = b;
  const h = nodeHost(r);
  if (h) out.host = h;
  return out;
}

/** The node's host facts as GET /v1/nodes shows them, from its row (undefined until its agent sent some). */
export function nodeHost(r: NodeHostRow): NodeHost | undefined {
  if (r.host_observed_at === null) return undefined;
  const out: NodeHost = { observedAt: r.host_observed_at };
  for (const [k, col] of HOST_FIELDS) {
    const v = r[col];
    if (v !== null) out[k] = v;
  }
  return out;
}

/** Stable group key: hex SHA-256 of check, NUL, severity (the same on every collector and restart). */
export function groupKey(check: string, severity: Severity): string {
  return createHash('sha256').update(`${check}\0${severity}`).digest('hex');
}

/** Exported for the migration tests. */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    check_id TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    body TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE nodes (
    node TEXT PRIMARY KEY,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    silent INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE TABLE node_checks (
    node TEXT NOT NULL,
    check_id TEXT NOT NULL,
    probe TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    failing INTEGER NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    opened_at TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (node, check_id)
  ) WITHOUT ROWID;
  CREATE INDEX node_checks_failing ON node_checks (check_id, severity, node) WHERE failing = 1;
  CREATE TABLE groups (
    key TEXT PRIMARY KEY,
    check_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    node_count INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sink TEXT NOT NULL,
    group_key TEXT NOT NULL,
    change TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    sent_at INTEGER,
    dead_at INTEGER,
    last_error TEXT
  );
  CREATE INDEX deliveries_pending ON deliveries (sink, id) WHERE sent_at IS NULL AND dead_at IS NULL;
  `,
  // 2: events in arrival order (a rowid table: inserts append) with the id in a unique index. The
  // WITHOUT ROWID table kept ~400-byte rows in random id (UUID) order, so every insert dirtied its own
  // page: 3 to 4 times slower. Arrival order also lets retention delete from the front without an index.
  `
  CREATE TABLE events_v2 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    node TEXT NOT NULL,
    check_id TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  INSERT INTO events_v2 (id, node, check_id, status, severity, observed_at, received_at, body)
    SELECT id, node, check_id, status, severity, observed_at, received_at, body FROM events ORDER BY received_at, id;
  DROP TABLE events;
  ALTER TABLE events_v2 RENAME TO events;
  `,
  // 3: each node's integrity baseline as its agent last reported it (digest, creation, signed), when the
  // collector first saw that digest, and its changes after the first (each one raises
  // hostward.baseline_changed). The fleet page's group history reads the queue by group.
  `
  ALTER TABLE nodes ADD COLUMN baseline_digest TEXT;
  ALTER TABLE nodes ADD COLUMN baseline_created TEXT;
  ALTER TABLE nodes ADD COLUMN baseline_signed INTEGER;
  ALTER TABLE nodes ADD COLUMN baseline_observed_at TEXT;
  ALTER TABLE nodes ADD COLUMN baseline_since INTEGER;
  ALTER TABLE nodes ADD COLUMN baseline_changed_at INTEGER;
  ALTER TABLE nodes ADD COLUMN baseline_previous TEXT;
  ALTER TABLE nodes ADD COLUMN baseline_changes INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX deliveries_group ON deliveries (group_key, id);
  `,
  // 4: per sink that applies inhibition, what it was told of each group an inhibit rule targets and which
  // nodes it held back, so that they are announced when what muted them resolves (src/sinks/routing.ts).
  `
  CREATE TABLE inhibition_ledger (
    sink TEXT NOT NULL,
    group_key TEXT NOT NULL,
    told INTEGER NOT NULL,
    muted TEXT NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY (sink, group_key)
  ) WITHOUT ROWID;
  `,
  // 5: the sinks (queue names) this database has known, so that one configured later hears of the groups
  // already open (Store.welcomeSinks). Seeded with every sink the queue has held: those had every change,
  // and must not get every open group again on the first start after the upgrade.
  `
  CREATE TABLE known_sinks (
    name TEXT PRIMARY KEY,
    since INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO known_sinks (name, since) SELECT sink, MIN(created_at) FROM deliveries GROUP BY sink;
  `,
  // 6: the baseline generation each node last reported, and the highest it reported with that baseline's
  // digest: a generation below it, or the same with another digest, is an older baseline put back
  // (hostward.baseline_rollback). Unknown (NULL) for agents that send no generation.
  `
  ALTER TABLE nodes ADD COLUMN baseline_generation INTEGER;
  ALTER TABLE nodes ADD COLUMN baseline_generation_max INTEGER;
  ALTER TABLE nodes ADD COLUMN baseline_digest_at_max TEXT;
  `,
  // 7: the node names each agent token wrote for, and when last, so that a token's distinct names can be
  // bounded (collector.maxNodesPerToken) across restarts. `token` is the token's handle (a digest prefix).
  // And dates stored before the skew window existed are brought back to when they arrived if they lie more
  // than a day beyond it: an event dated 9999-12-31 would otherwise keep its check frozen after the upgrade.
  `
  UPDATE node_checks SET observed_at = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch')
    WHERE observed_at > strftime('%Y-%m-%dT%H:%M:%SZ', updated_at / 1000 + 86400, 'unixepoch');
  UPDATE nodes SET baseline_observed_at = strftime('%Y-%m-%dT%H:%M:%fZ', last_seen_at / 1000.0, 'unixepoch')
    WHERE baseline_observed_at > strftime('%Y-%m-%dT%H:%M:%SZ', last_seen_at / 1000 + 86400, 'unixepoch');
  CREATE TABLE token_nodes (
    token TEXT NOT NULL,
    node TEXT NOT NULL,
    first_used INTEGER NOT NULL,
    last_used INTEGER NOT NULL,
    PRIMARY KEY (token, node)
  ) WITHOUT ROWID;
  `,
  // 8: GET /v1/alerts is read in pages (open groups first, then by check and severity): this index gives that
  // order and each page's start (keyset paging), so a page costs its own rows, never the groups before it.
  `
  CREATE INDEX groups_listing ON groups (status = 'resolved', check_id, severity);
  `,
  // 9: each node's host facts as its agent last reported them (OS, kernel, architecture, agent version) and when
  // the agent observed them (ISO 8601, UTC, so that later compares greater): GET /v1/nodes and the node page show
  // what a node runs. NULL until its agent sends them (agents from before host facts never do).
  `
  ALTER TABLE nodes ADD COLUMN host_os_name TEXT;
  ALTER TABLE nodes ADD COLUMN host_os_id TEXT;
  ALTER TABLE nodes ADD COLUMN host_os_version TEXT;
  ALTER TABLE nodes ADD COLUMN host_kernel TEXT;
  ALTER TABLE nodes ADD COLUMN host_arch TEXT;
  ALTER TABLE nodes ADD COLUMN host_agent_version TEXT;
  ALTER TABLE nodes ADD COLUMN host_observed_at TEXT;
  `,
];

/** Thrown when the database cannot be used at start; the message is the whole story (no stack). */
export class StoreOpenError extends Error {
  readonly code = 'HOSTWARD_DB_UNUSABLE';
}

function unusable(file: string, e: unknown): Error {
  const err = e as Error & { code?: string };
  const code = sqliteCode(e) ?? (typeof err.code === 'string' ? err.code : '');
  let msg: string;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    msg = `collector database ${file} is locked by another process (another collector on the same file?); not started, nothing was changed`;
  } else if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    msg = `collector database ${file} is damaged (${code}: ${err.message}); not started and left as it is: restore it from a backup, or move it away to start with an empty database`;
  } else return e instanceof Error ? e : new Error(String(e));
  const out = new StoreOpenError(msg);
  // An operational condition, not a bug: the CLI prints the stack, which would bury the message.
  out.stack = msg;
  return out;
}

export interface IngestResult {
  /** Events newly stored. */
  stored: number;
  /** Events whose id was already stored (re-sends). */
  duplicates: number;
  /** Stored events dated beyond the skew window: fleet state took the collector's time for them. */
  futureDated: number;
}

export interface Delivery {
  id: number;
  sink: string;
  change: GroupChange;
  attempts: number;
  nextAt: number;
}

interface NodeCheckRow {
  severity: Severity;
  failing: number;
  observed_at: string;
  opened_at: string | null;
}

/** A row of the groups table as SQLite returns it (also read by queries.ts). */
export interface GroupRow {
  key: string;
  check_id: string;
  severity: Severity;
  title: string;
  status: AlertGroupStatus;
  node_count: number;
  opened_at: string;
  updated_at: string;
}

/** Net membership changes of one group within a transaction. */
interface Touched {
  check: string;
  severity: Severity;
  title: string;
  added: Set<string>;
  removed: Set<string>;
}

type Touch = (check: string, severity: Severity, title: string, node: string, joined: boolean) => void;

/**
 * Wall and monotonic clocks may drift apart this much between two silent-node checks without it being
 * taken for a step (NTP slews at most 0.5 ms/s; a check runs at least every 30 s).
 */
export const CLOCK_STEP_TOLERANCE_MS = 2000;

/** How many node names a group of GET /v1/alerts lists (nodeCount has the total). */
export const ALERT_NODES_MAX = 1000;

/** Where a page of GET /v1/alerts ends: its last group's place in the listing's order. */
export interface AlertsPosition {
  /** 1 for a resolved group, 0 for an open one (open groups are listed first). */
  resolved: number;
  check: string;
  severity: string;
}

/** How many node names a group change carries (nodeCount has the total). */
export const CHANGE_NODES_MAX = 100;

export interface StoreOptions {
  file: string;
  /** Names of the configured sinks: each group change is queued once per sink. */
  sinks: readonly string[];
  now?: () => number;
  /**
   * A monotonic clock in milliseconds (default performance.now): tells a step of the wall clock (NTP, a
   * restored VM) from time that really passed, for the silent-node check (markSilent). Without it, an
   * injected `now` is taken as steady time (tests of other things); production injects neither.
   */
  monotonic?: () => number;
  /**
   * Copy the WAL back into the database file (checkpoint) from a worker thread with its own connection,
   * every this many milliseconds, instead of inside the commit that crosses 1000 WAL pages: the
   * collector's event loop then never waits for a checkpoint. 0 or absent: SQLite's automatic checkpoints.
   */
  checkpointEveryMs?: number;
  /**
   * How long a node's `hostward.baseline_changed` stays failing: it resolves on the first report of the same
   * digest received this long after the change (a later change restarts it). Default BASELINE_CHANGED_HOLD_MS.
   */
  baselineChangedHoldMs?: number;
  /**
   * How far an agent's clock may be from the collector's (default DEFAULT_CLOCK_SKEW_MS). Events dated further
   * ahead are stored as sent but enter fleet state at the collector's time, and the node fails
   * `hostward.clock_skew`, as it does when a request's send time (Hostward-Sent-At) is off by more, either way.
   */
  clockSkewMs?: number;
}

/** Five minutes: NTP keeps healthy clocks within milliseconds; a request is in flight for at most seconds. */
export const DEFAULT_CLOCK_SKEW_MS = 300_000;
/** How often a token's use for a node already recorded is written again (its last_used). */
const TOKEN_NODE_REFRESH_MS = 3600_000;

/**
 * One hour: long enough for the people paged to look, short enough that an expected re-baseline
 * (`hostward integrity accept` after an upgrade) does not stay open; the node's row keeps the change time.
 */
export const BASELINE_CHANGED_HOLD_MS = 3600_000;

export interface NodeBaselineRow {
  baseline_digest: string | null;
  baseline_created: string | null;
  baseline_signed: number | null;
  baseline_observed_at: string | null;
  baseline_since: number | null;
  baseline_changed_at: number | null;
  baseline_previous: string | null;
  baseline_changes: number;
  /** From the generation migration on (absent from queries that do not select them). */
  baseline_generation?: number | null;
  baseline_generation_max?: number | null;
  baseline_digest_at_max?: string | null;
}

const ROLLBACK_TITLE = 'Integrity baseline rolled back';
const CLOCK_SKEW_TITLE = "Node clock differs from the collector's";

function shortDigest(d: string): string {
  return d.slice(0, 12);
}

/**
 * The WAL file's size once a checkpoint has emptied it (journal_size_limit, on every connection): a burst grows
 * the WAL by hundreds of megabytes, and without a limit SQLite reuses the file at that size until a restart.
 */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;
/** How long the WAL must stay unchanged (ingest idle) before the checkpoint worker truncates it to nothing. */
export const WAL_IDLE_TRUNCATE_MS = 1000;

/**
 * The checkpoint worker (plain CommonJS, evaluated: it needs no file of its own next to the build). Each tick
 * copies what it can (PASSIVE: never waits for a writer). When the WAL has had no new frame for idleMs, ingest
 * is idle: a TRUNCATE checkpoint then copies the rest and cuts the file to zero bytes, so that the database
 * plus its WAL shrink back to the live data after a burst. It may wait for readers (busy timeout) in this
 * thread, never on the event loop; writers arriving meanwhile wait for it at most that long. During a burst
 * PASSIVE checkpoints copy frames but the WAL only grows (a writer is always appending), so once the WAL is
 * larger than half the database (and than twice journal_size_limit) a RESTART checkpoint makes the next writer start
 * the WAL over, which journal_size_limit then cuts: database plus WAL stay within about twice the live data.
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.file, { timeout: workerData.busyTimeoutMs });
db.exec('PRAGMA synchronous = FULL');
db.exec('PRAGMA journal_size_limit = ' + workerData.walLimit);
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
const pageSize = db.prepare('PRAGMA page_size').get().page_size;
const { statSync } = require('node:fs');
const dbBytes = () => {
  try {
    return statSync(workerData.file).size;
  } catch {
    return 0;
  }
};
let lastLog = -1;
let unchangedSince = Date.now();
const timer = setInterval(() => {
  try {
    const r = passive.get();
    const now = Date.now();
    if (r.log !== lastLog) {
      lastLog = r.log;
      unchangedSince = now;
      // Still being written: when it has outgrown the bound, the next writer starts it over.
      if (r.log * pageSize > Math.max(2 * workerData.walLimit, dbBytes() / 2)) restart.get();
    } else if (r.log > 0 && now - unchangedSince >= workerData.idleMs) {
      const t = truncate.get();
      if (t.busy === 0) lastLog = 0;
      unchangedSince = now;
    }
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message) });
  }
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** What one ingest transaction gathers across its requests, applied once every event is in. */
interface Batch {
  now: number;
  nowIso: string;
  touched: Map<string, Touched>;
  touch: Touch;
  /** Nodes with an event in the batch. */
  seen: Set<string>;
  /** The last baseline and host facts each node reported in the batch, by observation time. */
  baselines: Map<string, { baseline: BaselineRef; observedAt: string }>;
  hosts: Map<string, { host: HostFacts; observedAt: string }>;
  /** Each node's clock offset as the last request that tells it shows it (null: within the window). */
  clocks: Map<string, number | null>;
}

/** Note what a newly stored event carries besides its status (observedAt: as fleet state takes it). */
function noteCarried(b: Batch, e: AlertEvent, observedAt: string): void {
  const later = (had: { observedAt: string } | undefined) =>
    !had || Date.parse(had.observedAt) <= Date.parse(observedAt);
  if (e.baseline && later(b.baselines.get(e.node))) b.baselines.set(e.node, { baseline: e.baseline, observedAt });
  if (e.host && later(b.hosts.get(e.node))) b.hosts.set(e.node, { host: e.host, observedAt });
}

function tracker(): { touched: Map<string, Touched>; touch: Touch } {
  const touched = new Map<string, Touched>();
  const touch: Touch = (check, severity, title, node, joined) => {
    const k = `${check}\0${severity}`;
    let t = touched.get(k);
    if (!t) touched.set(k, (t = { check, severity, title, added: new Set(), removed: new Set() }));
    if (joined) {
      t.title = title;
      if (!t.removed.delete(node)) t.added.add(node);
    } else if (!t.added.delete(node)) t.removed.add(node);
  };
  return { touched, touch };
}

export class Store {
  readonly db: Db;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  /** Both clocks as read at the previous silent-node check (or at open): the reference for a step. */
  private clockMark: { wall: number; mono: number };
  private readonly sinks: readonly string[];
  private readonly st: Record<string, Statement>;
  private checkpointer: Worker | undefined;
  private readonly file: string;
  private readonly baselineChangedHoldMs: number;
  private readonly clockSkewMs: number;
  /** Per token handle, the nodes it wrote for within the window, with when each was last written down. */
  private readonly tokenNodes = new Map<string, Map<string, number>>();
  /** Token uses admitted but not written yet: written by the next ingest transaction. */
  private pendingTokenNodes: { token: string; node: string; at: number }[] = [];
  readonly schemaVersion: number;

  constructor(opts: StoreOptions) {
    if (opts.file !== ':memory:') mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
    try {
      this.db = openDatabase(opts.file);
    } catch (e) {
      throw unusable(opts.file, e);
    }
    this.now = opts.now ?? Date.now;
    this.monotonic = opts.monotonic ?? opts.now ?? (() => performance.now());
    this.clockMark = { wall: this.now(), mono: this.monotonic() };
    this.file = opts.file;
    this.sinks = opts.sinks;
    this.baselineChangedHoldMs = opts.baselineChangedHoldMs ?? BASELINE_CHANGED_HOLD_MS;
    this.clockSkewMs = opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    try {
      // openDatabase set the busy timeout: another connection's lock does not fail these at once.
      pragma(this.db, 'journal_mode = WAL');
      pragma(this.db, 'synchronous = FULL');
      pragma(this.db, `journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      pragma(this.db, 'foreign_keys = ON');
      if (opts.file !== ':memory:') this.checkUsable();
      this.schemaVersion = this.migrate();
    } catch (e) {
      this.db.close();
      throw unusable(opts.file, e);
    }
    if (opts.checkpointEveryMs && opts.file !== ':memory:') this.startCheckpointer(opts.file, opts.checkpointEveryMs);
    const p = (sql: string) => this.db.prepare(sql);
    this.st = {
      insertEvent: p(
        `INSERT OR IGNORE INTO events (id, node, check_id, status, severity, observed_at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getNodeCheck: p(
        `SELECT severity, failing, observed_at, opened_at FROM node_checks WHERE node = ? AND check_id = ?`,
      ),
      // Positional parameters: binding an object by name costs a lookup per parameter per event.
      upsertNodeCheck:
        p(`INSERT INTO node_checks (node, check_id, probe, severity, status, failing, title, message, evidence, observed_at, opened_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (node, check_id) DO UPDATE SET probe = excluded.probe, severity = excluded.severity, status = excluded.status,
          failing = excluded.failing, title = excluded.title, message = excluded.message, evidence = excluded.evidence,
          observed_at = excluded.observed_at, opened_at = excluded.opened_at, updated_at = excluded.updated_at`),
      getNode: p(`SELECT silent FROM nodes WHERE node = ?`),
      upsertNode: p(`INSERT INTO nodes (node, first_seen_at, last_seen_at, silent) VALUES (?, ?, ?, 0)
        ON CONFLICT (node) DO UPDATE SET last_seen_at = MAX(last_seen_at, excluded.last_seen_at), silent = 0`),
      failingNodes: p(
        `SELECT node FROM node_checks WHERE check_id = ? AND severity = ? AND failing = 1 ORDER BY node LIMIT ${CHANGE_NODES_MAX}`,
      ),
      getGroup: p(`SELECT * FROM groups WHERE key = ?`),
      upsertGroup: p(`INSERT INTO groups (key, check_id, severity, title, status, node_count, opened_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET title = excluded.title, status = excluded.status, node_count = excluded.node_count,
          opened_at = excluded.opened_at, updated_at = excluded.updated_at`),
      enqueue: p(`INSERT INTO deliveries (sink, group_key, change, created_at, next_at) VALUES (?, ?, ?, ?, ?)`),
      knownSinks: p(`SELECT name FROM known_sinks`),
      addKnownSink: p(`INSERT INTO known_sinks (name, since) VALUES (?, ?)`),
      forgetSink: p(`DELETE FROM known_sinks WHERE name = ?`),
      abandonDeliveries: p(
        `UPDATE deliveries SET dead_at = ?, last_error = ? WHERE sink = ? AND sent_at IS NULL AND dead_at IS NULL`,
      ),
      dropLedger: p(`DELETE FROM inhibition_ledger WHERE sink = ?`),
      openGroups: p(`SELECT * FROM groups WHERE status = 'open' ORDER BY check_id, severity`),
      nextDelivery: p(
        `SELECT id, sink, change, attempts, next_at FROM deliveries WHERE sink = ? AND sent_at IS NULL AND dead_at IS NULL ORDER BY id LIMIT 1`,
      ),
      markSent: p(`UPDATE deliveries SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`),
      markRetry: p(`UPDATE deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`),
      markDead: p(`UPDATE deliveries SET attempts = attempts + 1, dead_at = ?, last_error = ? WHERE id = ?`),
      pendingBySink: p(
        `SELECT sink, COUNT(*) AS n FROM deliveries WHERE sent_at IS NULL AND dead_at IS NULL GROUP BY sink`,
      ),
      // Retention: events arrive in seq order with a non-decreasing received_at (but for clock steps), so
      // the oldest are at the front; a bounded look at the front needs no index on received_at.
      pruneEvents: p(
        `DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?) AND received_at < ?`,
      ),
      silentCandidates: p(`SELECT node, last_seen_at FROM nodes WHERE silent = 0 AND last_seen_at < ?`),
      // A step of the wall clock by `offset`: last-seen times from before the previous check (on the old
      // clock) are moved onto the new one; times since then, whose clock cannot be told, become now.
      shiftLastSeen: p(`UPDATE nodes SET last_seen_at = CASE
          WHEN last_seen_at <= @before AND NOT (last_seen_at BETWEEN @recentFrom AND @now) THEN MIN(last_seen_at + @offset, @now)
          ELSE @now END`),
      // Last seen in the future: the clock was stepped back (while this process ran or before it started).
      clampLastSeen: p(`UPDATE nodes SET last_seen_at = ? WHERE last_seen_at > ?`),
      setSilent: p(`UPDATE nodes SET silent = 1 WHERE node = ?`),
      getBaseline:
        p(`SELECT baseline_digest, baseline_created, baseline_signed, baseline_observed_at, baseline_since, baseline_changed_at, baseline_previous, baseline_changes,
        baseline_generation, baseline_generation_max, baseline_digest_at_max FROM nodes WHERE node = ?`),
      // Same digest: refresh what the agent says about it (creation, verified) and the observation time.
      refreshBaseline: p(
        `UPDATE nodes SET baseline_created = ?, baseline_signed = ?, baseline_observed_at = ? WHERE node = ?`,
      ),
      setBaseline:
        p(`UPDATE nodes SET baseline_digest = ?, baseline_created = ?, baseline_signed = ?, baseline_observed_at = ?, baseline_since = ?,
        baseline_changed_at = ?, baseline_previous = ?, baseline_changes = ? WHERE node = ?`),
      setGeneration: p(
        `UPDATE nodes SET baseline_generation = ?, baseline_generation_max = ?, baseline_digest_at_max = ? WHERE node = ?`,
      ),
      // Replaces every fact (one the agent no longer sends is gone), unless the row holds later ones.
      setHost: p(`UPDATE nodes SET ${HOST_FIELDS.map(([, c]) => `${c} = ?`).join(', ')}, host_observed_at = ?
        WHERE node = ? AND (host_observed_at IS NULL OR host_observed_at <= ?)`),
      // The read API's (GET /v1/nodes, /v1/alerts) and the metrics', prepared once like the rest.
      nodes: p(`SELECT ${NODE_SUMMARY_COLUMNS} FROM nodes n ORDER BY n.node`),
      alerts: p(`SELECT g.*, (SELECT json_group_array(node) FROM (SELECT node FROM node_checks c
            WHERE c.check_id = g.check_id AND c.severity = g.severity AND c.failing = 1 ORDER BY node)) AS nodes
         FROM groups g ORDER BY g.status = 'resolved', g.check_id, g.severity`),
      // One page of each, after a position (keyset paging): a range of the primary key and of groups_listing.
      nodesPage: p(`SELECT ${NODE_SUMMARY_COLUMNS} FROM nodes n WHERE n.node > ? ORDER BY n.node LIMIT ?`),
      alertsPage: p(`SELECT g.*, (SELECT json_group_array(node) FROM (SELECT node FROM node_checks c
            WHERE c.check_id = g.check_id AND c.severity = g.severity AND c.failing = 1 ORDER BY node LIMIT ${ALERT_NODES_MAX})) AS nodes
         FROM groups g WHERE (g.status = 'resolved', g.check_id, g.severity) > (?, ?, ?)
         ORDER BY g.status = 'resolved', g.check_id, g.severity LIMIT ?`),
      nodeCounts: p(`SELECT SUM(silent = 0) AS reporting, SUM(silent = 1) AS silent FROM nodes`),
      eventCount: p(`SELECT COUNT(*) AS n FROM events`),
      tokenNodes: p(`SELECT node, last_used FROM token_nodes WHERE token = ? AND last_used >= ?`),
      useTokenNode: p(`INSERT INTO token_nodes (token, node, first_used, last_used) VALUES (?, ?, ?, ?)
        ON CONFLICT (token, node) DO UPDATE SET last_used = MAX(last_used, excluded.last_used)`),
      pruneTokenNodes: p(`DELETE FROM token_nodes WHERE last_used < ?`),
    };
    // Up to 100 rows per group change: node:sqlite builds an object per row at twice better-sqlite3's cost.
    this.st.failingNodes!.setReturnArrays(true);
  }

  /**
   * Refuse a database that cannot be trusted or written, before anything writes to it (a migration, an
   * ingest): the file is left exactly as found. The fleet-state tables are checked page by page (small);
   * the events table, the bulk of the file, is not read at start (its damage surfaces as failed stores).
   */
  private checkUsable(): void {
    const tables = (
      this.db
        .prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'nodes', 'node_checks', 'groups', 'deliveries')`,
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    for (const t of tables) {
      const problems = (pragma(this.db, `quick_check('${t}')`) as { quick_check: string }[])
        .map((r) => r.quick_check)
        .filter((m) => m !== 'ok');
      if (problems.length > 0)
        throw Object.assign(new Error(`table ${t}: ${problems.slice(0, 3).join('; ')}`), { code: 'SQLITE_CORRUPT' });
    }
    // A write lock, taken and given back at once: another process holding it (BEGIN EXCLUSIVE, a second
    // collector on the same file) fails the start after busy_timeout rather than every write later.
    this.db.exec('BEGIN IMMEDIATE');
    this.db.exec('ROLLBACK');
  }

  private migrate(): number {
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
    );
    const row = this.db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${current} is newer than this collector knows (${MIGRATIONS.length}); upgrade the collector`,
      );
    }
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      transaction(this.db, () => {
        this.db.exec(MIGRATIONS[v - 1]!);
        this.db
          .prepare(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`)
          .run(v, new Date().toISOString());
      });
    }
    return MIGRATIONS.length;
  }

  /**
   * Store requests' events in one transaction (group commit): durable when this returns. Returns one
   * result per request, in order. BEGIN IMMEDIATE, as every write of fleet state: with the ingest worker
   * two connections write, and a deferred transaction that read before another's commit could not write.
   */
  ingest(requests: readonly (readonly AlertEvent[])[], sentAt: readonly (number | undefined)[] = []): IngestResult[] {
    return transaction(this.db, () => {
      const now = this.now();
      const b: Batch = {
        now,
        nowIso: new Date(now).toISOString(),
        ...tracker(),
        seen: new Set(),
        baselines: new Map(),
        hosts: new Map(),
        clocks: new Map(),
      };
      for (const u of this.pendingTokenNodes.splice(0)) this.st.useTokenNode!.run(u.token, u.node, u.at, u.at);
      const results = requests.map((events, i) => this.ingestRequest(b, events, sentAt[i]));
      this.refreshNodes(b);
      for (const [node, x] of b.baselines) this.noteBaseline(node, x.baseline, x.observedAt, now, b.touch);
      for (const [node, x] of b.hosts) this.noteHost(node, x.host, x.observedAt);
      for (const [node, offset] of b.clocks) this.noteClock(node, offset, now, b.touch);
      for (const g of b.touched.values()) this.recompute(g, now);
      return results;
    });
  }

  /** One request's events, stored and applied to fleet state; what they carry is noted in the batch. */
  private ingestRequest(b: Batch, events: readonly AlertEvent[], sent: number | undefined): IngestResult {
    let stored = 0;
    let duplicates = 0;
    let futureDated = 0;
    const ahead = new Map<string, number>();
    for (const e of events) {
      b.seen.add(e.node);
      const r = this.st.insertEvent!.run(
        e.id,
        e.node,
        e.check,
        e.status,
        e.severity,
        e.observedAt,
        b.now,
        JSON.stringify(e),
      );
      if (r.changes === 0) {
        duplicates++;
        continue;
      }
      stored++;
      // Fleet state never follows the agent's clock alone: an event dated beyond the skew window enters it
      // at the collector's time of arrival, so a far-future date cannot freeze a check.
      const by = Date.parse(e.observedAt) - b.now;
      ahead.set(e.node, Math.max(ahead.get(e.node) ?? -Infinity, by));
      const observedAt = by > this.clockSkewMs ? b.nowIso : e.observedAt;
      if (by > this.clockSkewMs) futureDated++;
      noteCarried(b, e, observedAt);
      if (e.check === HEARTBEAT_CHECK) continue;
      this.apply(e, observedAt, b.now, b.touch);
    }
    this.noteRequestClock(b, events, sent, ahead);
    return { stored, duplicates, futureDated };
  }

  /** Each node's clock offset as this request shows it, kept in the batch (the last request that tells wins). */
  private noteRequestClock(
    b: Batch,
    events: readonly AlertEvent[],
    sent: number | undefined,
    ahead: ReadonlyMap<string, number>,
  ): void {
    const nodes = sent === undefined ? ahead.keys() : new Set(events.map((e) => e.node)).values();
    for (const node of nodes) {
      // The send time tells either way; an event dated ahead of the window tells on its own.
      // Without a send time, old dates tell nothing: the agent may be sending a backlog.
      const dated = ahead.get(node) ?? -Infinity;
      const sentOff = sent === undefined ? 0 : sent - b.now;
      const offset = dated > this.clockSkewMs && dated > Math.abs(sentOff) ? dated : sentOff;
      b.clocks.set(node, Math.abs(offset) > this.clockSkewMs ? offset : null);
    }
  }

  /** The nodes of the batch were seen now: their last-seen time, and a silent one reporting again resolves. */
  private refreshNodes(b: Batch): void {
    for (const node of b.seen) {
      const before = this.st.getNode!.get(node) as { silent: number } | undefined;
      this.st.upsertNode!.run(node, b.now, b.now);
      if (before?.silent !== 1) continue;
      this.setCheck(
        node,
        NODE_SILENT_CHECK,
        'hostward',
        'high',
        'pass',
        false,
        'Node stopped reporting',
        'reporting again',
        '[]',
        b.nowIso,
        b.now,
        b.touch,
      );
    }
  }

  /**
   * Keep the node's host facts, all of them replaced by the latest report (a fact its agent no longer sends is
   * gone); facts observed before the ones kept (a re-send arriving late) are ignored.
   */
  private noteHost(node: string, host: HostFacts, observedAt: string): void {
    const at = new Date(Date.parse(observedAt)).toISOString();
    const facts = HOST_FIELDS.map(([k]) => host[k] ?? null);
    this.st.setHost!.run(...facts, at, node, at);
  }

  /**
   * Keep the node's baseline. The first digest seen is stored; the same one again only refreshes it; another
   * one is a re-baseline (`integrity accept` or `init`, by an operator or by someone with root and the key)
   * and fails `hostward.baseline_changed`, which resolves per baselineChangedHoldMs. A baseline observed
   * before the one kept (a re-send arriving late) is ignored, so it cannot flip the digest back.
   */
  private noteBaseline(node: string, b: BaselineRef, observedAt: string, now: number, touch: Touch): void {
    const row = this.st.getBaseline!.get(node) as NodeBaselineRow | undefined;
    if (!row) return;
    if (row.baseline_observed_at !== null && Date.parse(row.baseline_observed_at) > Date.parse(observedAt)) return;
    this.noteGeneration(node, row, b, observedAt, now, touch);
    const signed = b.signed ? 1 : 0;
    if (row.baseline_digest === b.digest) {
      this.st.refreshBaseline!.run(b.created, signed, observedAt, node);
      if (
        row.baseline_changed_at !== null &&
        now - row.baseline_changed_at >= this.baselineChangedHoldMs &&
        (this.st.getNodeCheck!.get(node, BASELINE_CHANGED_CHECK) as NodeCheckRow | undefined)?.failing === 1
      ) {
        this.setCheck(
          node,
          BASELINE_CHANGED_CHECK,
          'hostward',
          'high',
          'pass',
          false,
          'Integrity baseline changed',
          `the baseline ${shortDigest(b.digest)} has been kept since ${new Date(row.baseline_changed_at).toISOString()}`,
          '[]',
          observedAt,
          now,
          touch,
        );
      }
      return;
    }
    if (row.baseline_digest === null) {
      this.st.setBaseline!.run(b.digest, b.created, signed, observedAt, now, null, null, 0, node);
      return;
    }
    this.st.setBaseline!.run(
      b.digest,
      b.created,
      signed,
      observedAt,
      now,
      now,
      row.baseline_digest,
      row.baseline_changes + 1,
      node,
    );
    const message =
      `the integrity baseline changed from ${shortDigest(row.baseline_digest)} (created ${row.baseline_created ?? '?'}) to ${shortDigest(b.digest)} ` +
      `(created ${b.created}, ${b.signed ? 'signed and verified by the agent' : 'not verified by the agent'}): unless someone ran hostward integrity accept or init on this node, treat it as tampering`;
    const evidence = JSON.stringify([
      { text: `previous digest ${row.baseline_digest}` },
      { text: `new digest ${b.digest}` },
    ]);
    this.setCheck(
      node,
      BASELINE_CHANGED_CHECK,
      'hostward',
      'high',
      'fail',
      true,
      'Integrity baseline changed',
      message,
      evidence,
      observedAt,
      now,
      touch,
    );
  }

  /**
   * A rollback: the node's baseline generation (under the baseline's MAC) went below the highest it reported,
   * or that generation came back with another digest: an older, validly signed baseline was put back, so what
   * it recorded compares clean again. hostward.baseline_rollback (critical) fails until the node reports the
   * highest generation's baseline again or a higher one (integrity init --min-generation). Between baselines
   * from before generations (0 and 0) an older one cannot be told apart; agents that send none are not judged.
   */
  private noteGeneration(
    node: string,
    row: NodeBaselineRow,
    b: BaselineRef,
    observedAt: string,
    now: number,
    touch: Touch,
  ): void {
    const g = b.generation;
    if (g === undefined) return;
    const max = row.baseline_generation_max ?? null;
    const atMax = row.baseline_digest_at_max ?? null;
    if (max === null || g > max || (g === max && b.digest === atMax)) {
      this.st.setGeneration!.run(
        g,
        max === null || g > max ? g : max,
        max === null || g > max ? b.digest : atMax,
        node,
      );
      if ((this.st.getNodeCheck!.get(node, BASELINE_ROLLBACK_CHECK) as NodeCheckRow | undefined)?.failing === 1) {
        const message = `the node is back at generation ${g} (${shortDigest(b.digest)}), the highest it reported`;
        this.setCheck(
          node,
          BASELINE_ROLLBACK_CHECK,
          'hostward',
          'critical',
          'pass',
          false,
          ROLLBACK_TITLE,
          message,
          '[]',
          observedAt,
          now,
          touch,
        );
      }
      return;
    }
    this.st.setGeneration!.run(g, max, atMax, node);
    if ((g === 0 && max === 0) || b.digest === row.baseline_digest) return;
    const message =
      `the integrity baseline went back to generation ${g} (${shortDigest(b.digest)}) after generation ${max} (${shortDigest(atMax ?? '')}): ` +
      `an older baseline was put back, and what it recorded compares as unchanged again. Unless an operator restored it, treat it as ` +
      `tampering; rebuild the baseline past it with hostward integrity init --min-generation ${max + 1}`;
    const evidence = JSON.stringify([
      { text: `highest generation ${max}, digest ${atMax ?? '?'}` },
      { text: `now generation ${g}, digest ${b.digest}` },
    ]);
    this.setCheck(
      node,
      BASELINE_ROLLBACK_CHECK,
      'hostward',
      'critical',
      'fail',
      true,
      ROLLBACK_TITLE,
      message,
      evidence,
      observedAt,
      now,
      touch,
    );
  }

  private apply(e: AlertEvent, observedAt: string, now: number, touch: Touch): void {
    const failing = e.status === 'fail' && e.accepted !== true;
    this.setCheck(
      e.node,
      e.check,
      e.probe,
      e.severity,
      e.status,
      failing,
      e.title,
      e.message,
      JSON.stringify(e.evidence),
      observedAt,
      now,
      touch,
    );
  }

  /**
   * A node's clock, as its last request showed it: off by more than the skew window (offset, positive ahead)
   * fails hostward.clock_skew; within it (null) resolves it. A skewed clock is a finding of its own: it breaks
   * certificate checks and log correlation on the node, and it is what a forged far-future date looks like.
   */
  private noteClock(node: string, offset: number | null, now: number, touch: Touch): void {
    const failing = (this.st.getNodeCheck!.get(node, CLOCK_SKEW_CHECK) as NodeCheckRow | undefined)?.failing === 1;
    const nowIso = new Date(now).toISOString();
    const window = Math.round(this.clockSkewMs / 1000);
    if (offset === null) {
      if (failing)
        this.setCheck(
          node,
          CLOCK_SKEW_CHECK,
          'hostward',
          'medium',
          'pass',
          false,
          CLOCK_SKEW_TITLE,
          `the node's clock is within ${window} s of the collector's again`,
          '[]',
          nowIso,
          now,
          touch,
        );
      return;
    }
    const s = Math.round(Math.abs(offset) / 1000);
    const message =
      `the node's clock is ${s} s ${offset > 0 ? 'ahead of' : 'behind'} the collector's (more than the ${window} s allowed): the collector orders its ` +
      `events by arrival and takes its own time for events dated ahead; fix the node's time synchronisation (chrony, systemd-timesyncd), ` +
      `and unless its clock was set on purpose, look at who changed it`;
    const evidence = JSON.stringify([{ text: `offset ${offset > 0 ? '+' : '-'}${s} s, measured ${nowIso}` }]);
    this.setCheck(
      node,
      CLOCK_SKEW_CHECK,
      'hostward',
      'medium',
      'fail',
      true,
      CLOCK_SKEW_TITLE,
      message,
      evidence,
      nowIso,
      now,
      touch,
    );
  }

  /**
   * Admit a token's use for these nodes: at most `max` distinct node names within `windowMs` (0: no bound).
   * Returns the number of names already in use when the new ones would go beyond it, else undefined (admitted;
   * new names are recorded with the next ingest transaction). Runs on the thread that ingests, so two requests
   * cannot both take the last free place.
   */
  admitNodes(token: string, nodes: Iterable<string>, max: number, windowMs: number): number | undefined {
    const now = this.now();
    let known = this.tokenNodes.get(token);
    if (!known) {
      known = new Map(
        (this.st.tokenNodes!.all(token, now - windowMs) as { node: string; last_used: number }[]).map((r) => [
          r.node,
          r.last_used,
        ]),
      );
      this.tokenNodes.set(token, known);
    }
    const fresh = [...new Set(nodes)].filter((n) => !known.has(n) || known.get(n)! < now - windowMs);
    if (max > 0 && fresh.length > 0) {
      for (const [n, at] of known) if (at < now - windowMs) known.delete(n);
      if (known.size + fresh.length > max) return known.size;
    }
    for (const n of new Set(nodes)) {
      const at = known.get(n);
      if (at !== undefined && at >= now - TOKEN_NODE_REFRESH_MS) continue;
      known.set(n, now);
      this.pendingTokenNodes.push({ token, node: n, at: now });
    }
    return undefined;
  }

  private setCheck(
    node: string,
    check: string,
    probe: string,
    severity: Severity,
    status: string,
    failing: boolean,
    title: string,
    message: string,
    evidence: string,
    observedAt: string,
    now: number,
    touch: Touch,
  ): void {
    const prev = this.st.getNodeCheck!.get(node, check) as NodeCheckRow | undefined;
    // An older observation arriving late (a re-send overtaken by a newer event) does not roll state back.
    // Safe to compare because no date here is beyond the collector's clock plus the skew window (ingest
    // re-times those): a forged far-future date cannot freeze a check for longer than that window.
    if (prev && Date.parse(prev.observed_at) > Date.parse(observedAt)) return;
    const wasFailing = prev?.failing === 1;
    const openedAt = failing ? (wasFailing && prev?.opened_at ? prev.opened_at : observedAt) : null;
    this.st.upsertNodeCheck!.run(
      node,
      check,
      probe,
      severity,
      status,
      failing ? 1 : 0,
      title,
      message,
      evidence,
      observedAt,
      openedAt,
      now,
    );
    if (wasFailing && (!failing || prev.severity !== severity)) touch(check, prev.severity, title, node, false);
    if (failing && (!wasFailing || prev.severity !== severity)) touch(check, severity, title, node, true);
  }

  /** Turn a group's net membership change into a group row update and one queued delivery per sink. */
  private recompute(t: Touched, now: number): void {
    if (t.added.size === 0 && t.removed.size === 0) return;
    const { check, severity } = t;
    const key = groupKey(check, severity);
    const g = this.st.getGroup!.get(key) as GroupRow | undefined;
    const before = g && g.status === 'open' ? g.node_count : 0;
    // Kept by difference: added and removed are the exact net membership changes of this transaction, so
    // counting the group's failing rows again (O(fleet) per group per commit) is not needed.
    const count = before + t.added.size - t.removed.size;
    let action: GroupAction;
    if (before === 0 && count === 0) return;
    if (before === 0) action = 'open';
    else if (count === 0) action = 'resolve';
    else action = 'update';
    const nowIso = new Date(now).toISOString();
    const title = count > 0 ? t.title : (g?.title ?? t.title);
    const status: AlertGroupStatus = count > 0 ? 'open' : 'resolved';
    const openedAt = action === 'open' ? nowIso : (g?.opened_at ?? nowIso);
    this.st.upsertGroup!.run(key, check, severity, title, status, count, openedAt, nowIso);
    if (this.sinks.length === 0) return;
    const change: GroupChange = {
      key,
      check,
      severity,
      title,
      action,
      status,
      nodeCount: count,
      nodes: count === 0 ? [] : this.failingNodes(check, severity),
      added: [...t.added].sort().slice(0, CHANGE_NODES_MAX),
      removed: [...t.removed].sort().slice(0, CHANGE_NODES_MAX),
      openedAt,
      updatedAt: nowIso,
    };
    const json = JSON.stringify(change);
    for (const sink of this.sinks) this.st.enqueue!.run(sink, key, json, now, now);
  }

  /**
   * Configured sinks this database does not know (never configured, or removed since) hear of the groups
   * already open: one `open` per group that `admits` lets through to it (its routes), queued in the
   * transaction that records the sink as known and ahead of any later change. A crash leaves both or
   * neither, so a restart neither loses nor repeats them; inhibition applies at delivery, as to any change.
   * Known sinks no longer configured are forgotten: their unsent changes are given up (a sink added again
   * starts from the open groups, not from a stale backlog) and their inhibition ledger dropped.
   * Returns, for each new sink, how many groups it was told of.
   */
  welcomeSinks(
    admits: (sink: string, check: string, severity: Severity) => boolean = () => true,
  ): { sink: string; groups: number }[] {
    return transaction(this.db, () => {
      const now = this.now();
      const known = new Set((this.st.knownSinks!.all() as { name: string }[]).map((r) => r.name));
      for (const name of known) {
        if (this.sinks.includes(name)) continue;
        this.st.abandonDeliveries!.run(now, 'not delivered: the sink was removed from the configuration', name);
        this.st.dropLedger!.run(name);
        this.st.forgetSink!.run(name);
      }
      const open = this.st.openGroups!.all() as GroupRow[];
      const changes = new Map<string, string>();
      const changeOf = (g: GroupRow): string => {
        let c = changes.get(g.key);
        if (c === undefined) changes.set(g.key, (c = JSON.stringify(this.openChange(g, now))));
        return c;
      };
      return this.sinks
        .filter((sink) => !known.has(sink))
        .map((sink) => {
          this.st.addKnownSink!.run(sink, now);
          const told = open.filter((g) => admits(sink, g.check_id, g.severity));
          for (const g of told) this.st.enqueue!.run(sink, g.key, changeOf(g), now, now);
          return { sink, groups: told.length };
        });
    });
  }

  /** A group's failing nodes as a change lists them (the first CHANGE_NODES_MAX by name). */
  private failingNodes(check: string, severity: Severity): string[] {
    return (this.st.failingNodes!.all(check, severity) as [string][]).map((r) => r[0]);
  }

  /** An open group as an `open` change: every failing node (up to CHANGE_NODES_MAX) is news to the sink. */
  private openChange(g: GroupRow, now: number): GroupChange {
    const nodes = this.failingNodes(g.check_id, g.severity);
    return {
      key: g.key,
      check: g.check_id,
      severity: g.severity,
      title: g.title,
      action: 'open',
      status: 'open',
      nodeCount: g.node_count,
      nodes,
      added: nodes,
      removed: [],
      openedAt: g.opened_at,
      updatedAt: new Date(now).toISOString(),
    };
  }

  /**
   * Nodes that stopped reporting become failing `hostward.node_silent` checks (one group across the fleet).
   *
   * Silence is measured on the wall clock (last_seen_at persists across restarts), guarded against steps
   * of that clock with the monotonic one. Between two calls, wall and monotonic time must advance alike;
   * when they differ by more than CLOCK_STEP_TOLERANCE_MS the wall clock was stepped by the difference
   * (offset), and before anything is judged every node's last-seen time is translated onto the new clock:
   * - seen before the previous call (surely on the old clock): last_seen_at + offset, capped at now, so
   *   its real silence is kept: a forward step raises no node_silent storm, and a backward step does
   *   not postpone the detection of a node that really stopped;
   * - seen since the previous call (either clock; no way to tell): now, a fresh grace of at most one
   *   call interval.
   * A last-seen time in the future (the clock stepped back while the collector was down, or between an
   * ingest and this call) becomes now. Steps while the collector was down look like downtime: the
   * caller gives every node silentAfterMs of grace after a start (server.ts), on the monotonic clock.
   */
  markSilent(silentAfterMs: number): string[] {
    return transaction(this.db, () => {
      const now = this.now();
      const mono = this.monotonic();
      const mark = this.clockMark;
      this.clockMark = { wall: now, mono };
      const elapsed = mono - mark.mono;
      const offset = now - mark.wall - elapsed;
      if (Math.abs(offset) > CLOCK_STEP_TOLERANCE_MS) {
        this.st.shiftLastSeen!.run({ before: mark.wall, recentFrom: now - elapsed, now, offset });
      }
      this.st.clampLastSeen!.run(now, now);
      const rows = this.st.silentCandidates!.all(now - silentAfterMs) as { node: string; last_seen_at: number }[];
      const { touched, touch } = tracker();
      for (const r of rows) {
        this.st.setSilent!.run(r.node);
        const since = new Date(r.last_seen_at).toISOString();
        this.setCheck(
          r.node,
          NODE_SILENT_CHECK,
          'hostward',
          'high',
          'fail',
          true,
          'Node stopped reporting',
          `no event from the agent since ${since}`,
          '[]',
          new Date(now).toISOString(),
          now,
          touch,
        );
      }
      for (const g of touched.values()) this.recompute(g, now);
      return rows.map((r) => r.node);
    });
  }

  nodes(): NodeSummary[] {
    return (this.st.nodes!.all() as NodeSummaryRow[]).map(nodeSummary);
  }

  alerts(): AlertGroup[] {
    const rows = this.st.alerts!.all() as (GroupRow & { nodes: string })[];
    return rows.map((g) => ({
      key: g.key,
      check: g.check_id,
      severity: g.severity,
      status: g.status,
      nodes: JSON.parse(g.nodes) as string[],
      nodeCount: g.node_count,
      openedAt: g.opened_at,
      updatedAt: g.updated_at,
    }));
  }

  /** Up to `limit` nodes by name after `after` ('' for the first page): GET /v1/nodes. */
  nodesPage(after: string, limit: number): NodeSummary[] {
    return (this.st.nodesPage!.all(after, limit) as NodeSummaryRow[]).map(nodeSummary);
  }

  /**
   * Up to `limit` groups after a position (open ones first, then by check and severity; `after` undefined for
   * the first page), each with its first ALERT_NODES_MAX failing nodes by name: GET /v1/alerts.
   */
  alertsPage(after: AlertsPosition | undefined, limit: number): AlertGroup[] {
    const a = after ?? { resolved: -1, check: '', severity: '' };
    const rows = this.st.alertsPage!.all(a.resolved, a.check, a.severity, limit) as (GroupRow & { nodes: string })[];
    return rows.map((g) => ({
      key: g.key,
      check: g.check_id,
      severity: g.severity,
      status: g.status,
      nodes: JSON.parse(g.nodes) as string[],
      nodeCount: g.node_count,
      openedAt: g.opened_at,
      updatedAt: g.updated_at,
    }));
  }

  /** Node count by state, for metrics. */
  nodeCounts(): { reporting: number; silent: number } {
    const r = this.st.nodeCounts!.get() as { reporting: number | null; silent: number | null };
    return { reporting: r.reporting ?? 0, silent: r.silent ?? 0 };
  }

  eventCount(): number {
    return (this.st.eventCount!.get() as { n: number }).n;
  }

  /** The oldest unacknowledged delivery of a sink (strict order per sink), or undefined. */
  nextDelivery(sink: string): Delivery | undefined {
    const r = this.st.nextDelivery!.get(sink) as
      { id: number; sink: string; change: string; attempts: number; next_at: number } | undefined;
    return (
      r && {
        id: r.id,
        sink: r.sink,
        change: JSON.parse(r.change) as GroupChange,
        attempts: r.attempts,
        nextAt: r.next_at,
      }
    );
  }

  markSent(id: number): void {
    this.st.markSent!.run(this.now(), id);
  }

  markRetry(id: number, nextAt: number, error: string): void {
    this.st.markRetry!.run(nextAt, error.slice(0, 1000), id);
  }

  markDead(id: number, error: string): void {
    this.st.markDead!.run(this.now(), error.slice(0, 1000), id);
  }

  pendingDeliveries(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.st.pendingBySink!.all() as { sink: string; n: number }[]) out[r.sink] = r.n;
    return out;
  }

  /**
   * Delete up to `limit` events received before `before` (ms since the epoch), oldest first, in one short
   * transaction. Returns how many were deleted: call again (letting requests in between) while it
   * returns `limit`. Re-sends of an event still inside the window remain duplicates; an event older than
   * the window sent again would be stored again, so the window must exceed the agents' outbox age.
   */
  pruneEvents(before: number, limit: number): number {
    const n = Number(this.st.pruneEvents!.run(limit, before).changes);
    // Token uses age out with the events: a name unused for the retention window no longer counts.
    if (n < limit) this.st.pruneTokenNodes!.run(before);
    return n;
  }

  /** Checkpoints from a worker thread from now on (see StoreOptions.checkpointEveryMs). */
  checkpointInBackground(everyMs: number): void {
    if (!this.checkpointer && this.file !== ':memory:') this.startCheckpointer(this.file, everyMs);
  }

  private startCheckpointer(file: string, everyMs: number): void {
    const w = new Worker(CHECKPOINT_WORKER, {
      eval: true,
      workerData: {
        file: path.resolve(file),
        everyMs,
        busyTimeoutMs: BUSY_TIMEOUT_MS,
        walLimit: WAL_SIZE_LIMIT_BYTES,
        idleMs: WAL_IDLE_TRUNCATE_MS,
      },
    });
    w.unref();
    // The worker's failure must not leave the WAL growing: SQLite's own checkpoints take over again.
    const fallBack = () => {
      if (this.checkpointer !== w) return;
      this.checkpointer = undefined;
      if (this.db.isOpen) pragma(this.db, 'wal_autocheckpoint = 1000');
    };
    w.on('error', fallBack);
    w.on('exit', fallBack);
    w.on('message', (m: { error?: string }) => {
      if (m.error === undefined) return;
      fallBack();
      w.postMessage('close');
    });
    this.checkpointer = w;
    pragma(this.db, 'wal_autocheckpoint = 0');
  }

  /**
   * Stops the background checkpointer and waits until its connection is closed, so that the store's own is the
   * last: SQLite checkpoints and removes the WAL when the last connection closes, and after close() nothing
   * touches the database's files any more.
   */
  async stopCheckpoints(): Promise<void> {
    const w = this.checkpointer;
    if (!w) return;
    this.checkpointer = undefined;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('close');
    const t = setTimeout(() => void w.terminate(), 5000);
    await exited;
    clearTimeout(t);
  }

  close(): void {
    const w = this.checkpointer;
    this.checkpointer = undefined;
    w?.postMessage('close');
    if (this.db.isOpen) this.db.close();
  }
}
