/**
 * The one module that knows which SQLite binding the collector runs on: Node's built-in `node:sqlite`
 * (DatabaseSync; nothing to compile at install). The rest of the collector keeps writing
 * `db.prepare(sql).get(...)` and `db.exec(sql)`; what differs from better-sqlite3, which it used before, is
 * wrapped here:
 *
 * - openDatabase: every connection waits up to 5 s for another's lock (better-sqlite3's default; node:sqlite
 *   waits 0) and keeps a 16 MB page cache (better-sqlite3's build default; SQLite's is 2 MB), read-only
 *   opens, and a clear error on a Node.js without node:sqlite;
 * - transaction(db, fn): BEGIN IMMEDIATE, COMMIT, ROLLBACK on a throw (better-sqlite3's `.immediate()`);
 * - pragma, pragmaValue: better-sqlite3's `db.pragma(text)` and its `{ simple: true }`;
 * - prepareLenient: a statement that ignores named parameters it does not use, as better-sqlite3 did;
 * - sqliteCode: the name of SQLite's result code ('SQLITE_BUSY'), which node:sqlite gives as a number.
 *
 * node:sqlite is loaded on first use (types only are imported), so that the commands other than the collector
 * still run on a Node.js without it, and the collector says clearly what it needs.
 */
import { createRequire } from 'node:module';
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';

type Params = SQLInputValue[] | [Record<string, SQLInputValue>, ...SQLInputValue[]];
/** node:sqlite's statement with its rows typed `unknown` (as better-sqlite3 typed them): each caller names its row. */
export interface Statement extends Omit<StatementSync, 'get' | 'all'> {
  get(...params: Params): unknown;
  all(...params: Params): unknown[];
}
export interface Database extends Omit<DatabaseSync, 'prepare'> {
  prepare(sql: string): Statement;
}
type SqliteModule = typeof import('node:sqlite');

/** How long a connection waits for another's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

const requireHere = createRequire(import.meta.url);
let sqlite: SqliteModule | undefined;

function load(): SqliteModule {
  if (sqlite) return sqlite;
  try {
    sqlite = requireHere('node:sqlite') as SqliteModule;
  } catch {
    throw new Error(
      `the collector keeps its state with node:sqlite, which Node.js ${process.version} does not have: run it on Node.js 22.13 or later`,
    );
  }
  return sqlite;
}

/**
 * Page cache per connection, in KiB (negative: KiB, not pages): better-sqlite3's build default; SQLite's own is 2 MB.
 */
export const CACHE_KIB = 16_000;

export function openDatabase(file: string, opts: { readOnly?: boolean; busyTimeoutMs?: number } = {}): Database {
  const { DatabaseSync } = load();
  const db = new DatabaseSync(file, {
    readOnly: opts.readOnly ?? false,
    timeout: opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS,
  }) as Database;
  try {
    // With 2 MB the unique index of event ids (random UUIDs) falls out of the cache: inserts took 30 % more CPU.
    db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
  } catch (e) {
    // A file that is not a database fails here already.
    db.close();
    throw e;
  }
  return db;
}

/**
 * Run `fn` in one write transaction. IMMEDIATE takes the write lock at BEGIN: with two connections writing
 * (the ingest worker's and the dispatcher's), a deferred transaction that read before the other's commit
 * could not write. A throw, or a failed COMMIT (disk full), rolls back and leaves the connection usable.
 */
export function transaction<T>(db: Database, fn: () => T): T {
  const st = control(db);
  st.begin.run();
  try {
    const result = fn();
    if (result instanceof Promise)
      throw new TypeError('a transaction function must not be async: the transaction would end before it');
    st.commit.run();
    return result;
  } catch (e) {
    if (db.isTransaction) st.rollback.run();
    throw e;
  }
}

/** BEGIN, COMMIT and ROLLBACK prepared once per connection (a commit per request is the common case). */
const controls = new WeakMap<Database, { begin: Statement; commit: Statement; rollback: Statement }>();
function control(db: Database): { begin: Statement; commit: Statement; rollback: Statement } {
  let c = controls.get(db);
  if (!c)
    controls.set(
      db,
      (c = { begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK') }),
    );
  return c;
}

/** The rows of `PRAGMA <text>`. */
export function pragma(db: Database, text: string): Record<string, SQLOutputValue>[] {
  return db.prepare(`PRAGMA ${text}`).all() as Record<string, SQLOutputValue>[];
}

/** The first column of the first row of `PRAGMA <text>`. */
export function pragmaValue(db: Database, text: string): SQLOutputValue | undefined {
  const row = pragma(db, text)[0];
  return row === undefined ? undefined : Object.values(row)[0];
}

/** A statement given one object of filter values, of which it uses only some (node:sqlite refuses the others). */
export function prepareLenient(db: Database, sql: string): Statement {
  const st = db.prepare(sql);
  st.setAllowUnknownNamedParameters(true);
  return st;
}

/** SQLite's primary result codes by number (sqlite3.h), for messages and decisions on an error. */
const RESULT_CODES = [
  'OK',
  'ERROR',
  'INTERNAL',
  'PERM',
  'ABORT',
  'BUSY',
  'LOCKED',
  'NOMEM',
  'READONLY',
  'INTERRUPT',
  'IOERR',
  'CORRUPT',
  'NOTFOUND',
  'FULL',
  'CANTOPEN',
  'PROTOCOL',
  'EMPTY',
  'SCHEMA',
  'TOOBIG',
  'CONSTRAINT',
  'MISMATCH',
  'MISUSE',
  'NOLFS',
  'AUTH',
  'FORMAT',
  'RANGE',
  'NOTADB',
  'NOTICE',
  'WARNING',
];

/** 'SQLITE_BUSY', 'SQLITE_NOTADB', ... for an error SQLite raised (extended codes by their primary); else undefined. */
export function sqliteCode(e: unknown): string | undefined {
  const n = (e as { errcode?: unknown } | null)?.errcode;
  if (typeof n !== 'number') return undefined;
  return `SQLITE_${RESULT_CODES[n & 0xff] ?? String(n)}`;
}
