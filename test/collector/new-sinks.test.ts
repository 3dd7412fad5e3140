/**
 * A sink new to the collector hears of the groups already open (real `hostward collector` processes
 * restarted on one database, named file sinks as receivers). Added to a running fleet, a sink gets one
 * `open` per open group its routes admit, with inhibited nodes left out, ahead of later changes; a second
 * restart sends nothing again; removed and added again, it counts as new. A collector killed inside the
 * transaction that queues the announcements leaves nothing queued and nothing recorded, and the next
 * start announces each group once.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, sqliteCode } from '../../src/collector/sqlite.js';
import type { Database } from '../../src/collector/sqlite.js';
import { MIGRATIONS, Store } from '../../src/collector/store.js';
import {
  CLI,
  event,
  kill9,
  makeDirs,
  metric,
  post,
  requireBuild,
  startCollectorProcess,
  stop,
  waitFor,
} from './helpers.js';
import type { Dirs, Proc } from './helpers.js';

interface Line {
  action: string;
  check: string;
  severity: string;
  nodes: string[];
}

let d: Dirs;
/** Every collector started, so that a failed test leaves none running. */
const procs: Proc[] = [];
const file = (sink: string) => path.join(d.dir, `${sink}.ndjson`);
const lines = (sink: string): Line[] =>
  existsSync(file(sink))
    ? readFileSync(file(sink), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
    : [];
const summary = (ls: Line[]) => ls.map((l) => `${l.action} ${l.check} ${l.nodes.join(',')}`);

/**
 * `first` gets every group; the other sinks get medium and above. ssh.password_auth mutes kernel.* on the
 * same node, for every sink that applies hostward's inhibition (file sinks do).
 */
function configure(sinks: readonly string[]): void {
  const named = sinks.map((s) => `    - { name: ${s}, type: file, path: ${file(s)} }`).join('\n');
  const later = sinks.filter((s) => s !== 'first');
  writeFileSync(
    d.config,
    `collector:
  listen: 127.0.0.1
  db: ${d.db}
  tokensFile: ${d.tokens}
  deliveryRetryInitialMs: 20
  deliveryRetryMaxMs: 200
  sinks:
${named}
  routing:
    routes:
      - { match: {}, sinks: [first], continue: true }
${later.length > 0 ? `      - { match: { severity: { min: medium } }, sinks: [${later.join(', ')}] }\n` : ''}    default: []
    inhibit:
      - { source: { check: ssh.password_auth }, target: { check: "kernel.*" } }
`,
  );
}

async function start(sinks: readonly string[]): Promise<Proc> {
  configure(sinks);
  const p = await startCollectorProcess(d);
  procs.push(p);
  return p;
}

async function drained(p: Proc, sinks: readonly string[]): Promise<void> {
  for (const s of sinks) {
    await waitFor(
      async () => (await metric(p.base, 'hostward_collector_delivery_queue', `sink="${s}"`)) === 0 || undefined,
      15_000,
      () => `queue of ${s} not empty`,
    );
  }
}

let n = 0;
const fail = (node: string, check: string, severity: 'high' | 'medium' | 'info', status: 'fail' | 'pass' = 'fail') =>
  event(n++, { id: `ns-${n}`, node, check, severity, probe: check.split('.')[0]!, status, title: check });

beforeAll(() => {
  requireBuild();
  d = makeDirs();
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) await kill9(p);
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

/** The groups open after the first phase, as a new sink routed medium and above must be told of them. */
const ANNOUNCED = ['open kernel.x n4', 'open ssh.password_auth n1,n2'];

describe('a sink new to the collector', () => {
  it('hears of every open group its routes admit, inhibition applied, once, before later changes', async () => {
    let p = await start(['first']);
    const events = [
      fail('n1', 'ssh.password_auth', 'high'),
      fail('n2', 'ssh.password_auth', 'high'),
      fail('n1', 'kernel.x', 'medium'), // muted by ssh.password_auth on n1
      fail('n4', 'kernel.x', 'medium'),
      fail('n3', 'tls.y', 'medium'),
      fail('n1', 'ssh.banner', 'info'), // open, but not routed to the new sinks
    ];
    expect((await post(p.base, events)).status).toBe(202);
    expect((await post(p.base, [fail('n3', 'tls.y', 'medium', 'pass')])).status).toBe(202); // opened and resolved
    await drained(p, ['first']);
    const firstBefore = lines('first').length;
    expect(await stop(p)).toBe(0);

    p = await start(['first', 'late']);
    await waitFor(
      () => lines('late').length >= ANNOUNCED.length || undefined,
      15_000,
      () => `late got ${JSON.stringify(lines('late'))}`,
    );
    await drained(p, ['first', 'late']);
    expect(summary(lines('late'))).toEqual(ANNOUNCED);
    expect(lines('first')).toHaveLength(firstBefore);
    // Then it follows changes as the others do.
    expect((await post(p.base, [fail('n5', 'ssh.password_auth', 'high')])).status).toBe(202);
    await waitFor(
      () => lines('late').length === 3 || undefined,
      15_000,
      () => 'the update did not reach late',
    );
    expect(summary(lines('late')).at(-1)).toBe('update ssh.password_auth n1,n2,n5');
    expect(await stop(p)).toBe(0);
  }, 60_000);

  it('a second restart sends nothing again: the next change is the next line', async () => {
    const p = await start(['first', 'late']);
    expect((await post(p.base, [fail('n6', 'kernel.z', 'high')])).status).toBe(202);
    await waitFor(
      () => lines('late').length >= 4 || undefined,
      15_000,
      () => 'kernel.z did not reach late',
    );
    await drained(p, ['first', 'late']);
    expect(summary(lines('late')).slice(3)).toEqual(['open kernel.z n6']);
    expect(await stop(p)).toBe(0);
  }, 60_000);

  it('removed and added again, it counts as new', async () => {
    let p = await start(['first']);
    expect((await post(p.base, [fail('n4', 'kernel.x', 'medium', 'pass')])).status).toBe(202);
    await drained(p, ['first']);
    expect(await stop(p)).toBe(0);
    const before = lines('late').length;

    p = await start(['first', 'late']);
    await waitFor(
      () => lines('late').length >= before + 2 || undefined,
      15_000,
      () => 'late was not told again',
    );
    await drained(p, ['first', 'late']);
    expect(summary(lines('late')).slice(before).sort()).toEqual([
      'open kernel.z n6',
      'open ssh.password_auth n1,n2,n5',
    ]);
    expect(await stop(p)).toBe(0);
  }, 60_000);
});

describe('a crash inside the transaction that queues the announcements', () => {
  const dbs: Database[] = [];
  afterAll(() => dbs.forEach((db) => db.isOpen && db.close()));
  const count = (db: Database, sql: string) => (db.prepare(sql).get() as { n: number }).n;

  /** Another connection cannot take the write lock: the collector is inside a write transaction. */
  function locked(db: Database): boolean {
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return false;
    } catch (e) {
      if (sqliteCode(e) === 'SQLITE_BUSY') return true;
      throw e;
    }
  }

  it('queues and records nothing; the next start announces each open group once', async () => {
    const raw = openDatabase(d.db);
    const poll = openDatabase(d.db, { busyTimeoutMs: 0 });
    dbs.push(raw, poll);
    // A trigger on the new sink's first queued change that would run for hours: the collector is killed
    // while it runs, after that change and the sink's record were written, before the commit.
    raw.exec(`CREATE TABLE ballast (x INTEGER);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) INSERT INTO ballast SELECT x FROM c;
      CREATE TRIGGER hold_announcement AFTER INSERT ON deliveries WHEN NEW.sink = 'crashy'
      BEGIN SELECT COUNT(*) FROM ballast a, ballast b, ballast c; END;`);
    configure(['first', 'late', 'crashy']);
    const child = spawn(process.execPath, [CLI, 'collector', '--port', '0', '--config', d.config], {
      env: { PATH: process.env.PATH },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // Twice in a row, 100 ms apart: not the instant lock the start takes to check the file.
      let seen = 0;
      await waitFor(
        () => ((seen = locked(poll) ? seen + 1 : 0) >= 2 ? true : undefined),
        30_000,
        () => 'the collector never held the write lock',
        100,
      );
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    raw.exec('DROP TRIGGER hold_announcement; DROP TABLE ballast;');
    expect(count(raw, `SELECT COUNT(*) AS n FROM deliveries WHERE sink = 'crashy'`)).toBe(0);
    expect(count(raw, `SELECT COUNT(*) AS n FROM known_sinks WHERE name = 'crashy'`)).toBe(0);
    const lateBefore = lines('late').length;

    const p = await start(['first', 'late', 'crashy']);
    await waitFor(
      () => lines('crashy').length >= 2 || undefined,
      15_000,
      () => `crashy got ${JSON.stringify(lines('crashy'))}`,
    );
    await drained(p, ['first', 'late', 'crashy']);
    // kernel.x is queued too, and left out at delivery: its one node is muted.
    expect(summary(lines('crashy'))).toEqual(['open kernel.z n6', 'open ssh.password_auth n1,n2,n5']);
    expect(count(raw, `SELECT COUNT(*) AS n FROM deliveries WHERE sink = 'crashy'`)).toBe(3);
    expect(lines('late')).toHaveLength(lateBefore);
    expect(await stop(p)).toBe(0);
  }, 60_000);
});

describe('the upgrade to schema 5', () => {
  it('takes every sink the queue held for known: the first start announces only to sinks that never had a change', () => {
    const f = path.join(d.dir, 'v4.db');
    const raw = openDatabase(f);
    raw.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    MIGRATIONS.slice(0, 4).forEach((m, i) => {
      raw.exec(m);
      raw.prepare(`INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00Z')`).run(i + 1);
    });
    raw.close();
    const old = new Store({ file: f, sinks: ['file'] });
    old.ingest([[event(1, { id: 'v4-1' })]]);
    // Back to version 4, as a collector of that version left it (the later migrations undone too).
    old.db.exec(
      `DROP TABLE known_sinks; DROP TABLE token_nodes; DROP INDEX groups_listing; DELETE FROM schema_migrations WHERE version > 4`,
    );
    for (const c of [
      'baseline_generation',
      'baseline_generation_max',
      'baseline_digest_at_max',
      'host_os_name',
      'host_os_id',
      'host_os_version',
      'host_kernel',
      'host_arch',
      'host_agent_version',
      'host_observed_at',
    ])
      old.db.exec(`ALTER TABLE nodes DROP COLUMN ${c}`);
    old.close();

    const store = new Store({ file: f, sinks: ['file', 'added'] });
    try {
      expect(store.schemaVersion).toBe(MIGRATIONS.length);
      expect(store.welcomeSinks()).toEqual([{ sink: 'added', groups: 1 }]);
      expect(store.nextDelivery('added')?.change).toMatchObject({
        action: 'open',
        check: 'ssh.password_auth',
        nodes: ['worker-1'],
        added: ['worker-1'],
      });
      // 'file' has its own open from before, and nothing more.
      expect(store.pendingDeliveries()).toEqual({ file: 1, added: 1 });
    } finally {
      store.close();
    }
  });
});
