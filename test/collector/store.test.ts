/**
 * The collector's store on real SQLite files: the migration of events to arrival order (schema 2),
 * retention (pruning oldest first, in batches; idempotency inside the window), group node counts kept by
 * difference (checked against a recount over random histories), and retention in a running collector.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/collector/sqlite.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/config.js';
import { MIGRATIONS, Store } from '../../src/collector/store.js';
import { startCollector } from '../../src/collector/server.js';
import type { AlertEvent, Severity, Status } from '../../src/contracts.js';
import { event, TOKEN, waitFor } from './helpers.js';
import { CATALOGUE } from '../helpers/catalogue.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-store-'));
  dirs.push(d);
  return d;
}
const DAY = 24 * 3600 * 1000;

describe('schema 2: events in arrival order', () => {
  it('migrates a schema-1 database, keeping every event and its idempotency', () => {
    const file = path.join(tmp(), 'c.db');
    const raw = openDatabase(file);
    raw.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    raw.exec(MIGRATIONS[0]!);
    raw.prepare(`INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z')`).run();
    const ins = raw.prepare(
      `INSERT INTO events VALUES (?, 'w1', 'ssh.password_auth', 'fail', 'high', '2026-11-24T10:00:00.000Z', ?, '{}')`,
    );
    for (let i = 0; i < 500; i++) ins.run(`old-${String(i).padStart(3, '0')}`, 1000 + (i % 7));
    raw.close();

    const store = new Store({ file, sinks: [] });
    try {
      expect(store.schemaVersion).toBe(MIGRATIONS.length);
      expect(store.eventCount()).toBe(500);
      const cols = (store.db.prepare(`PRAGMA table_info(events)`).all() as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual([
        'seq',
        'id',
        'node',
        'check_id',
        'status',
        'severity',
        'observed_at',
        'received_at',
        'body',
      ]);
      // Arrival order: received_at never decreases along seq.
      const order = store.db.prepare(`SELECT received_at FROM events ORDER BY seq`).all() as { received_at: number }[];
      expect(order.every((r, i) => i === 0 || r.received_at >= order[i - 1]!.received_at)).toBe(true);
      // A re-send of a migrated id is still a duplicate.
      expect(store.ingest([[event(1, { id: 'old-042' }), event(2, { id: 'new-1' })]])).toEqual([
        { stored: 1, duplicates: 1, futureDated: 0 },
      ]);
    } finally {
      store.close();
    }
    // Opening again applies nothing more.
    const again = new Store({ file, sinks: [] });
    expect(
      (again.db.prepare(`SELECT version FROM schema_migrations ORDER BY version`).all() as { version: number }[]).map(
        (r) => r.version,
      ),
    ).toEqual(MIGRATIONS.map((_, i) => i + 1));
    again.close();
  });
});

describe('retention', () => {
  it('prunes the oldest first, in batches; re-sends inside the window stay duplicates', () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    // The events are dated from 2026-11-24 on, after this fake clock: no skew window here.
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: [], now: () => now, clockSkewMs: Infinity });
    try {
      const batch = (day: number) =>
        Array.from({ length: 100 }, (_, i) => event(day * 1000 + i, { id: `d${day}-${i}`, node: `n${i % 10}` }));
      for (let day = 0; day < 10; day++) {
        store.ingest([batch(day)]);
        now += DAY;
      }
      expect(store.eventCount()).toBe(1000);
      // Keep the last 3 days: days 0..6 (700 events) go, 250 at a time.
      const before = now - 3 * DAY - 1;
      const deleted: number[] = [];
      for (let n = -1; n !== 0;) deleted.push((n = store.pruneEvents(before, 250)));
      expect(deleted).toEqual([250, 250, 200, 0]);
      expect(store.eventCount()).toBe(300);
      // Inside the window: still a duplicate. Outside: stored again (the window must exceed the agents' outbox age).
      expect(store.ingest([[batch(9)[0]!, batch(7)[5]!]])).toEqual([{ stored: 0, duplicates: 2, futureDated: 0 }]);
      expect(store.ingest([[batch(0)[0]!]])).toEqual([{ stored: 1, duplicates: 0, futureDated: 0 }]);
      // Fleet state is not touched by retention.
      expect(store.nodes().map((n) => n.node)).toHaveLength(10);
    } finally {
      store.close();
    }
  });

  it('an empty table, and a front newer than the cutoff, delete nothing', () => {
    let now = 1_000_000;
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: [], now: () => now });
    try {
      expect(store.pruneEvents(Date.now(), 100)).toBe(0);
      store.ingest([[event(1)]]);
      now += 10;
      expect(store.pruneEvents(1_000_000, 100)).toBe(0);
      expect(store.pruneEvents(1_000_001, 100)).toBe(1);
    } finally {
      store.close();
    }
  });

  it('in a running collector: old events are pruned on schedule and counted; recent ones stay', async () => {
    const dir = tmp();
    const tokens = path.join(dir, 'tokens');
    (await import('node:fs')).writeFileSync(tokens, TOKEN + '\n');
    const config = defaultConfig();
    config.collector = {
      ...config.collector,
      listen: '127.0.0.1',
      db: path.join(dir, 'c.db'),
      tokensFile: tokens,
      retention: { eventsMaxAgeDays: 2 },
    };
    const c = await startCollector({
      config,
      log: pino({ level: 'silent' }),
      catalogue: CATALOGUE,
      port: 0,
      sinks: [],
      pruneEveryMs: 50,
    });
    try {
      const base = `http://127.0.0.1:${c.port}`;
      const post = (evs: AlertEvent[]) =>
        fetch(`${base}/v1/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(evs),
        });
      expect(
        (await post(Array.from({ length: 300 }, (_, i) => event(i, { id: `r-${i}`, node: `n${i % 5}` })))).status,
      ).toBe(202);
      // Age the first 120 as if received 3 days ago (a second connection, as an operator's sqlite3 would).
      const other = openDatabase(path.join(dir, 'c.db'));
      other
        .prepare(
          `UPDATE events SET received_at = received_at - ? WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT 120)`,
        )
        .run(3 * DAY);
      other.close();
      const pruned = await waitFor(
        async () => {
          const m = /^hostward_collector_events_pruned_total (\S+)$/m.exec(
            await (await fetch(`${base}/metrics`)).text(),
          );
          return Number(m?.[1]) === 120 ? 120 : undefined;
        },
        5000,
        () => 'pruned counter at 120',
      );
      expect(pruned).toBe(120);
      expect(c.store.eventCount()).toBe(180);
      const ids = (c.store.db.prepare(`SELECT id FROM events ORDER BY seq LIMIT 1`).get() as { id: string }).id;
      expect(ids).toBe('r-120');
    } finally {
      await c.close();
    }
  });
});

describe('group node counts kept by difference', () => {
  const NODES = ['a', 'b', 'c', 'd'];
  const CHECKS = ['ssh.password_auth', 'kernel.aslr'];
  const arbEvent = fc.record({
    node: fc.constantFrom(...NODES),
    check: fc.constantFrom(...CHECKS),
    status: fc.constantFrom<Status>('pass', 'fail', 'unknown', 'skip'),
    severity: fc.constantFrom<Severity>('high', 'medium'),
    accepted: fc.boolean(),
    late: fc.boolean(),
    dupe: fc.boolean(),
  });

  it('equal a recount of failing rows after any history (random batches, severities changing, late and repeated events)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbEvent, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (batches, silentToo) => {
          const dir = tmp();
          let now = 1_800_000_000_000;
          const store = new Store({ file: path.join(dir, 'c.db'), sinks: ['file'], now: () => now });
          try {
            let i = 0;
            const sent: AlertEvent[] = [];
            for (const b of batches) {
              const evs = b.map((x) => {
                if (x.dupe && sent.length > 0) return sent[sent.length - 1]!;
                const e = event(i++, {
                  id: `p-${i}`,
                  node: x.node,
                  check: x.check,
                  status: x.status,
                  severity: x.severity,
                  observedAt: new Date(now - (x.late ? 3_600_000 : 0) + i).toISOString(),
                });
                if (x.accepted) e.accepted = true;
                sent.push(e);
                return e;
              });
              // Group commit: sometimes two requests in one transaction.
              const half = Math.floor(evs.length / 2);
              store.ingest(half > 0 && i % 2 === 0 ? [evs.slice(0, half), evs.slice(half)] : [evs]);
              now += 1000;
              if (silentToo && i % 3 === 0) store.markSilent(500);
              const groups = store.db.prepare(`SELECT check_id, severity, status, node_count FROM groups`).all() as {
                check_id: string;
                severity: string;
                status: string;
                node_count: number;
              }[];
              for (const g of groups) {
                const n = (
                  store.db
                    .prepare(
                      `SELECT COUNT(*) AS n FROM node_checks WHERE check_id = ? AND severity = ? AND failing = 1`,
                    )
                    .get(g.check_id, g.severity) as { n: number }
                ).n;
                expect(g.node_count).toBe(n);
                expect(g.status).toBe(n > 0 ? 'open' : 'resolved');
              }
              // Every failing (check, severity) has a group.
              const failing = store.db
                .prepare(`SELECT DISTINCT check_id, severity FROM node_checks WHERE failing = 1`)
                .all() as { check_id: string; severity: string }[];
              for (const f of failing)
                expect(
                  groups.some((g) => g.check_id === f.check_id && g.severity === f.severity && g.status === 'open'),
                ).toBe(true);
            }
          } finally {
            store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150, seed: 8 },
    );
  });
});
