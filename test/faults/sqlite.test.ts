/**
 * The collector's SQLite file, locked or damaged at start (the built `hostward collector`, real files):
 * a clear one-line error naming the file and what to do, a non-zero exit, and the file byte for byte as
 * it was: never a silent reset to an empty fleet. With the lock gone or the good file back, the same
 * command starts and has every event.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { openDatabase, pragma } from '../../src/collector/sqlite.js';
import { CLI, event, makeDirs, post, requireBuild, startCollectorProcess, stop } from '../collector/helpers.js';
import type { Dirs } from '../collector/helpers.js';

const EVENTS = 40;
let d: Dirs;
let good = '';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Run `hostward collector` until it exits (or 25 s). */
function runCollector(dirs: Dirs): Promise<{ code: number | null; out: string; child: ChildProcess }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'collector', '--port', '0', '--config', dirs.config], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const t = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, child });
    });
  });
}

function eventCount(file: string): number {
  const db = openDatabase(file, { readOnly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM events`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Put the known-good database back (and nothing of a previous run's WAL). */
function restore(): void {
  for (const sfx of ['-wal', '-shm']) rmSync(d.db + sfx, { force: true });
  copyFileSync(good, d.db);
}

beforeAll(async () => {
  requireBuild();
  d = makeDirs();
  const c = await startCollectorProcess(d);
  for (let i = 0; i < EVENTS; i++)
    expect(
      (await post(c.base, [event(i, { id: `keep-${i}`, node: `node-${i}`, message: 'x'.repeat(2000) })])).status,
    ).toBe(202);
  expect(await stop(c)).toBe(0);
  // A clean copy, checkpointed: the tests damage d.db and restore it from this.
  good = `${d.db}.good`;
  const db = openDatabase(d.db);
  pragma(db, 'wal_checkpoint(TRUNCATE)');
  db.close();
  copyFileSync(d.db, good);
  expect(eventCount(good)).toBe(EVENTS);
});

afterAll(() => {
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

describe('the database locked by another process at start', () => {
  it('exits non-zero naming the lock, changes nothing, and starts once the lock is gone', async () => {
    restore();
    const before = sha(d.db);
    // A second connection in another process holds BEGIN EXCLUSIVE.
    const locker = spawn(
      process.execPath,
      [
        '-e',
        `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(process.argv[1]); db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`,
        d.db,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        locker.stdout.once('data', () => resolve());
        locker.once('exit', (c) => reject(new Error(`locker exited ${String(c)}`)));
      });
      const t0 = Date.now();
      const r = await runCollector(d);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toContain(`hostward: collector database ${d.db} is locked by another process`);
      expect(r.out).not.toMatch(/^\s+at /m);
      expect(r.out).not.toContain('collector listening');
      // It waited for the lock (busy_timeout) before giving up, and not forever.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(4500);
      expect(sha(d.db)).toBe(before);
    } finally {
      locker.kill('SIGKILL');
      await new Promise((r) => locker.once('exit', r));
    }
    const c = await startCollectorProcess(d);
    expect(await stop(c)).toBe(0);
    expect(eventCount(d.db)).toBe(EVENTS);
  }, 60_000);
});

/** Ways a database file gets damaged, each applied to a copy of the good one. */
const DAMAGE: Record<string, (file: string) => void> = {
  'garbage from the first byte': (f) => overwrite(f, 0, randomBytes(8192)),
  'truncated to half': (f) => truncateSync(f, Math.floor(statSync(f).size / 2 / 4096) * 4096),
  'last page cut off': (f) => truncateSync(f, statSync(f).size - 4096),
  'header magic overwritten': (f) => overwrite(f, 0, Buffer.from('NOT A DATABASE!\0')),
  'a fleet-state table page overwritten': (f) => {
    const db = openDatabase(f, { readOnly: true });
    const { rootpage, size } = db
      .prepare(
        `SELECT rootpage, (SELECT page_size FROM pragma_page_size) AS size FROM sqlite_master WHERE name = 'node_checks'`,
      )
      .get() as { rootpage: number; size: number };
    db.close();
    overwrite(f, (rootpage - 1) * size, randomBytes(size));
  },
};

function randomBytes(n: number): Buffer {
  // Deterministic "garbage": a repeatable test.
  const b = Buffer.alloc(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function overwrite(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

describe('a damaged database at start', () => {
  for (const [what, damage] of Object.entries(DAMAGE)) {
    it(`${what}: exits non-zero naming the damage, leaves the file untouched`, async () => {
      restore();
      damage(d.db);
      const before = sha(d.db);
      const size = statSync(d.db).size;
      const r = await runCollector(d);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(
        new RegExp(
          `hostward: collector database ${d.db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged \\(SQLITE_(NOTADB|CORRUPT)[^)]*\\); not started and left as it is`,
        ),
      );
      expect(r.out).not.toContain('collector listening');
      expect(r.out).not.toMatch(/^\s+at /m);
      expect(sha(d.db)).toBe(before);
      expect(statSync(d.db).size).toBe(size);
      // Nothing was written beside it either (a WAL with frames would be a write).
      if (existsSync(`${d.db}-wal`)) expect(statSync(`${d.db}-wal`).size).toBe(0);
    }, 30_000);
  }

  it('the good file back: starts, with every event', async () => {
    restore();
    const c = await startCollectorProcess(d);
    expect(await stop(c)).toBe(0);
    expect(eventCount(d.db)).toBe(EVENTS);
  }, 30_000);
});
