/**
 * The collector's SQLite module (src/collector/sqlite.ts) on real files: what it keeps of better-sqlite3's
 * behaviour on node:sqlite. Transactions commit, or roll back on a throw and leave the connection usable;
 * a second writer waits for the busy timeout and then fails with SQLITE_BUSY; read-only opens refuse
 * writes; unused named parameters are ignored where asked; the page cache is 16 MB.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CACHE_KIB,
  openDatabase,
  pragmaValue,
  prepareLenient,
  sqliteCode,
  transaction,
} from '../../src/collector/sqlite.js';
import type { Database } from '../../src/collector/sqlite.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-sqlite-'));
const open: Database[] = [];
afterAll(() => {
  for (const db of open) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function db(name: string, opts: Parameters<typeof openDatabase>[1] = {}): Database {
  const d = openDatabase(path.join(dir, name), opts);
  open.push(d);
  return d;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const count = (d: Database) => (d.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;

describe('transaction', () => {
  it('commits what fn did and returns its value; a throw rolls everything back and the connection goes on', () => {
    const d = db('tx.db');
    d.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    const ins = d.prepare('INSERT INTO t (x) VALUES (?)');
    expect(transaction(d, () => (ins.run(1), ins.run(2), 'done'))).toBe('done');
    const e = thrown(() =>
      transaction(d, () => {
        ins.run(3);
        ins.run(1); // a duplicate key
      }),
    );
    expect(sqliteCode(e)).toBe('SQLITE_CONSTRAINT');
    expect(d.isTransaction).toBe(false);
    expect(count(d)).toBe(2);
    expect(thrown(() => transaction(d, () => Promise.resolve(ins.run(4))))).toBeInstanceOf(TypeError);
    expect(count(d)).toBe(2);
    transaction(d, () => ins.run(5));
    expect(count(d)).toBe(3);
  });

  it('takes the write lock at BEGIN: a second writer waits for the busy timeout, then fails with SQLITE_BUSY', () => {
    const a = db('lock.db');
    a.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)');
    const b = db('lock.db', { busyTimeoutMs: 200 });
    expect(pragmaValue(b, 'busy_timeout')).toBe(200);
    expect(pragmaValue(db('lock.db'), 'busy_timeout')).toBe(5000);
    a.exec('BEGIN IMMEDIATE');
    try {
      // b only reads, then would write: it must fail at its BEGIN, not after the work.
      let ran = false;
      const e = thrown(() => transaction(b, () => (ran = true)));
      expect(sqliteCode(e)).toBe('SQLITE_BUSY');
      expect(ran).toBe(false);
    } finally {
      a.exec('ROLLBACK');
    }
    transaction(b, () => b.prepare('INSERT INTO t VALUES (1)').run());
    expect(count(a)).toBe(1);
  });
});

describe('opening', () => {
  it('read-only connections refuse writes; a missing file is not created', () => {
    const w = db('ro.db');
    w.exec('CREATE TABLE t (x INTEGER)');
    const r = db('ro.db', { readOnly: true });
    expect(sqliteCode(thrown(() => r.exec('INSERT INTO t VALUES (1)')))).toBe('SQLITE_READONLY');
    expect(sqliteCode(thrown(() => db('absent.db', { readOnly: true })))).toBe('SQLITE_CANTOPEN');
  });

  it('keeps a 16 MB page cache', () => {
    expect(pragmaValue(db('cache.db'), 'cache_size')).toBe(-CACHE_KIB);
  });

  it('named parameters a statement does not use: refused by default, ignored by prepareLenient', () => {
    const d = db('named.db');
    d.exec('CREATE TABLE t (x INTEGER)');
    const sql = 'SELECT COUNT(*) AS n FROM t WHERE x > @min';
    expect(thrown(() => d.prepare(sql).get({ min: 0, unused: 'x' }))).toBeInstanceOf(Error);
    expect(prepareLenient(d, sql).get({ min: 0, unused: 'x' })).toEqual({ n: 0 });
  });

  it('names SQLite result codes by their primary code; other errors have none', () => {
    expect(sqliteCode({ errcode: 261 })).toBe('SQLITE_BUSY'); // SQLITE_BUSY_RECOVERY
    expect(sqliteCode({ errcode: 26 })).toBe('SQLITE_NOTADB');
    expect(sqliteCode(new Error('x'))).toBeUndefined();
  });
});
