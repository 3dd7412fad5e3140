/**
 * The collector keeps each node's integrity baseline digest (issue 7): a real collector process fed events
 * with digests (first stored, same again no change, a new one raises hostward.baseline_changed through the
 * group queue and shows in GET /v1/nodes and the fleet page), validation of the new field, and the store on
 * real SQLite files: migration of a version-2 database, the hold before the check resolves, late events.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../src/collector/sqlite.js';
import type { AlertEvent, NodeSummary } from '../../src/contracts.js';
import { heartbeat } from '../../src/alerts/index.js';
import { MIGRATIONS, Store } from '../../src/collector/store.js';
import { FleetQueries, NO_FILTER } from '../../src/collector/queries.js';
import { TOKEN, event, makeDirs, post, requireBuild, startCollectorProcess, stop, waitFor } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';

const D1 = '1a'.repeat(32);
const D2 = '2b'.repeat(32);
const CREATED = '2026-11-20T08:00:00.000Z';
// The agent's own heartbeat, on event()'s node and clock.
const hb = (i: number, digest: string | undefined, over: Record<string, unknown> = {}): AlertEvent => ({
  ...heartbeat(event(i).node, new Date(event(i).observedAt)),
  id: `hb-${i}`,
  ...(digest ? { baseline: { digest, created: CREATED, signed: true } } : {}),
  ...over,
});

async function getJson<T>(base: string, p: string): Promise<T> {
  const res = await fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe('a real collector keeps the baseline digest', () => {
  let d: Dirs;
  let c: Proc;
  beforeAll(async () => {
    requireBuild();
    d = makeDirs();
    c = await startCollectorProcess(d);
  }, 30_000);
  afterAll(async () => {
    if (c) await stop(c);
    if (d) rmSync(d.dir, { recursive: true, force: true });
  });

  const node = async (name: string) => (await getJson<NodeSummary[]>(c.base, '/v1/nodes')).find((n) => n.node === name);
  const sinkLines = () => {
    try {
      return readFileSync(d.sink, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };

  it('a node without a baseline has no baseline field', async () => {
    expect((await post(c.base, [hb(1, undefined, { node: 'plain-1' })])).status).toBe(202);
    const n = await node('plain-1');
    expect(n).toBeDefined();
    expect(n!.baseline).toBeUndefined();
  });

  it('first digest stored, the same again changes nothing, a new one raises hostward.baseline_changed', async () => {
    expect((await post(c.base, [hb(10, D1)])).status).toBe(202);
    let n = await node('worker-1');
    expect(n!.baseline).toMatchObject({ digest: D1, created: CREATED, signed: true, changes: 0 });
    expect(n!.baseline!.changedAt).toBeUndefined();
    expect(n!.failing).toEqual([]);

    expect((await post(c.base, [hb(11, D1)])).status).toBe(202);
    n = await node('worker-1');
    expect(n!.baseline!.changes).toBe(0);
    expect(n!.failing).toEqual([]);

    // A re-baseline, carried by an ordinary failing event this time.
    expect(
      (
        await post(c.base, [
          event(12, { baseline: { digest: D2, created: '2026-11-24T10:00:11.000Z', signed: false } }),
        ])
      ).status,
    ).toBe(202);
    n = await node('worker-1');
    expect(n!.baseline).toMatchObject({ digest: D2, signed: false, changes: 1, previousDigest: D1 });
    expect(Number.isFinite(Date.parse(n!.baseline!.changedAt!))).toBe(true);
    expect(n!.failing).toEqual(['hostward.baseline_changed', 'ssh.password_auth']);

    const groups = await getJson<{ check: string; severity: string; status: string; nodes: string[] }[]>(
      c.base,
      '/v1/alerts',
    );
    expect(groups.find((g) => g.check === 'hostward.baseline_changed')).toMatchObject({
      severity: 'high',
      status: 'open',
      nodes: ['worker-1'],
    });
    // Delivered through the group queue to the file sink like any group change.
    const change = await waitFor(
      () => sinkLines().find((l) => JSON.stringify(l).includes('hostward.baseline_changed')),
      10_000,
      () => `sink: ${JSON.stringify(sinkLines())}`,
    );
    expect(JSON.stringify(change)).toContain('"open"');

    // The page shows it on the node's row.
    const html = await (await fetch(`${c.base}/?show=all`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    const row = /<tr data-node="worker-1">[^]*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(row).toContain(`data-digest="${D2}"`);
    expect(row).toContain('<span class="flag baseline-changed"');
    expect(row).toContain('unverified');
  });

  it('a late event with the old digest does not flip it back', async () => {
    // observed before the re-baseline (i=5 < 12)
    expect((await post(c.base, [hb(5, D1, { id: 'late-1' })])).status).toBe(202);
    const n = await node('worker-1');
    expect(n!.baseline).toMatchObject({ digest: D2, changes: 1 });
  });

  it('a bad baseline field is a 400 naming it', async () => {
    const cases: [unknown, RegExp][] = [
      [{ digest: 'xyz', created: CREATED, signed: true }, /\[0\]\.baseline\.digest: invalid format/],
      [{ digest: D1.toUpperCase(), created: CREATED, signed: true }, /baseline\.digest: invalid format/],
      [{ digest: 'a'.repeat(10_000), created: CREATED, signed: true }, /baseline\.digest: must be 1 to 128/],
      [{ digest: D1, created: 'yesterday', signed: true }, /baseline\.created: invalid format/],
      [{ digest: D1, created: CREATED, signed: 'yes' }, /baseline\.signed: must be true or false/],
      [{ digest: D1, created: CREATED }, /baseline\.signed/],
      ['D1', /baseline: must be an object, got string/],
      [null, /baseline: must be an object, got null/],
    ];
    for (const [baseline, re] of cases) {
      const r = await post(c.base, [{ ...hb(100, undefined, { node: 'bad-1' }), baseline }]);
      expect(r.status, JSON.stringify(baseline).slice(0, 60)).toBe(400);
      expect((r.body as { error: string }).error).toMatch(re);
    }
    expect(await node('bad-1')).toBeUndefined();
  });

  it('the schema is at the newest version with the group index', () => {
    const db = openDatabase(d.db, { readOnly: true });
    try {
      expect((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v).toBe(
        MIGRATIONS.length,
      );
      expect(
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_group'`).get(),
      ).toBeDefined();
    } finally {
      db.close();
    }
  });
});

describe('the store', () => {
  const dirs: Dirs[] = [];
  afterAll(() => dirs.forEach((x) => rmSync(x.dir, { recursive: true, force: true })));
  const file = () => {
    const x = makeDirs();
    dirs.push(x);
    return path.join(x.dir, 'c.db');
  };

  it('migrates a version-2 database, keeping its nodes, checks, groups and queue', () => {
    const f = file();
    const raw = openDatabase(f);
    raw.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    raw.exec(MIGRATIONS[0]!);
    raw.exec(MIGRATIONS[1]!);
    raw.prepare(`INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z'), (2, '2026-01-02T00:00:00Z')`).run();
    raw
      .prepare(
        `INSERT INTO nodes (node, first_seen_at, last_seen_at, silent) VALUES ('old-1', 1000, 2000, 0), ('old-2', 1000, 3000, 1)`,
      )
      .run();
    raw
      .prepare(
        `INSERT INTO events (id, node, check_id, status, severity, observed_at, received_at, body) VALUES ('ev-1', 'old-1', 'ssh.password_auth', 'fail', 'high', '2026-11-24T10:00:00.000Z', 2000, '{}')`,
      )
      .run();
    raw
      .prepare(
        `INSERT INTO node_checks VALUES ('old-1', 'ssh.password_auth', 'ssh', 'high', 'fail', 1, 't', 'm', '[]', '2026-11-24T10:00:00.000Z', '2026-11-24T10:00:00.000Z', 2000)`,
      )
      .run();
    raw
      .prepare(
        `INSERT INTO deliveries (sink, group_key, change, created_at, next_at) VALUES ('file', 'k', '{}', 2000, 2000)`,
      )
      .run();
    raw.close();

    const store = new Store({ file: f, sinks: ['file'] });
    try {
      expect(store.schemaVersion).toBe(MIGRATIONS.length);
      expect(store.eventCount()).toBe(1);
      const nodes = store.nodes();
      expect(nodes.map((n) => [n.node, n.failing, n.baseline])).toEqual([
        ['old-1', ['ssh.password_auth'], undefined],
        ['old-2', [], undefined],
      ]);
      expect(store.pendingDeliveries()).toEqual({ file: 1 });
      // The re-send of a migrated id is still a duplicate; a new event with a digest is kept.
      expect(store.ingest([[event(1, { id: 'ev-1', node: 'old-1' }), hb(2, D1, { node: 'old-1' })]])).toEqual([
        { stored: 1, duplicates: 1, futureDated: 0 },
      ]);
      expect(store.nodes()[0]!.baseline).toMatchObject({ digest: D1, changes: 0 });
      const plan = store.db
        .prepare(`EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE group_key = ? ORDER BY id DESC LIMIT 10`)
        .all('k') as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toContain('deliveries_group');
    } finally {
      store.close();
    }
    const again = new Store({ file: f, sinks: [] });
    expect(
      (again.db.prepare(`SELECT version FROM schema_migrations ORDER BY version`).all() as { version: number }[]).map(
        (r) => r.version,
      ),
    ).toEqual(MIGRATIONS.map((_, i) => i + 1));
    again.close();
  });

  it('hostward.baseline_changed resolves on the same digest only after the hold; a further change restarts it', () => {
    let now = 1_000_000;
    // A fake clock decades before the events' dates: no skew window, or every event would be re-timed.
    const store = new Store({
      file: file(),
      sinks: ['file'],
      now: () => now,
      baselineChangedHoldMs: 60_000,
      clockSkewMs: Infinity,
    });
    const failing = () => store.nodes().find((n) => n.node === 'worker-1')!.failing;
    const q = new FleetQueries(store.db);
    try {
      store.ingest([[hb(1, D1)]]);
      now += 1000;
      store.ingest([[hb(2, D2)]]);
      expect(failing()).toEqual(['hostward.baseline_changed']);
      const queued = () =>
        (store.db.prepare(`SELECT change FROM deliveries ORDER BY id`).all() as { change: string }[]).map(
          (r) => JSON.parse(r.change) as { check: string; action: string },
        );
      expect(queued().map((c) => `${c.check}:${c.action}`)).toEqual(['hostward.baseline_changed:open']);
      now += 30_000;
      store.ingest([[hb(3, D2)]]);
      expect(failing()).toEqual(['hostward.baseline_changed']); // within the hold
      now += 31_000;
      store.ingest([[hb(4, D2)]]);
      expect(failing()).toEqual([]);
      expect(queued().map((c) => `${c.check}:${c.action}`)).toEqual([
        'hostward.baseline_changed:open',
        'hostward.baseline_changed:resolve',
      ]);
      // A third digest: failing again, counted, previous kept.
      now += 1000;
      store.ingest([[hb(5, D1)]]);
      expect(failing()).toEqual(['hostward.baseline_changed']);
      const b = store.nodes()[0]!.baseline!;
      expect(b).toMatchObject({ digest: D1, previousDigest: D2, changes: 2 });
      // The fleet page's node query carries it too.
      const row = q.nodes(NO_FILTER, true, 0, 10).rows[0]!;
      expect(row.baseline).toMatchObject({ digest: D1, changes: 2 });
      // Many nodes in one request: each kept separately, none changed.
      store.ingest([Array.from({ length: 200 }, (_, i) => hb(1000 + i, D1, { node: `n-${i}` }))]);
      expect(store.nodes().filter((n) => n.baseline?.digest === D1 && n.baseline.changes === 0).length).toBe(200);
    } finally {
      store.close();
    }
  });
});
