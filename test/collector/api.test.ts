import { request } from 'node:http';
/**
 * The collector as a real process on 127.0.0.1: authentication, validation (nothing stored from a
 * rejected request, the server stays up), idempotency, grouping, the file sink, silent nodes, the page.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { openDatabase, pragmaValue } from '../../src/collector/sqlite.js';
import { promtool } from '../helpers/promtool.js';
import type { AlertGroup, NodeSummary } from '../../src/contracts.js';
import { MIGRATIONS, groupKey } from '../../src/collector/store.js';
import { event, makeDirs, metric, post, requireBuild, startCollectorProcess, stop, waitFor, TOKEN } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';

let d: Dirs;
let c: Proc;

beforeAll(async () => {
  requireBuild();
  d = makeDirs('  silentAfterSeconds: 2\n  maxBodyBytes: 262144\n');
  c = await startCollectorProcess(d);
});

afterAll(async () => {
  if (c) expect(await stop(c)).toBe(0);
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

const storedCount = () => metric(c.base, 'hostward_collector_events_stored_total');
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
const alerts = async () => (await (await fetch(`${c.base}/v1/alerts`, auth)).json()) as AlertGroup[];
const nodes = async () => (await (await fetch(`${c.base}/v1/nodes`, auth)).json()) as NodeSummary[];

describe('POST /v1/events: bad input is refused, nothing stored, the server stays up', () => {
  it('401 without a token or with a wrong one', async () => {
    expect(await post(c.base, [event(1)], null)).toEqual({
      status: 401,
      body: { error: 'missing or wrong bearer token' },
    });
    expect((await post(c.base, [event(1)], 'wrong-token')).status).toBe(401);
    expect((await post(c.base, [event(1)], TOKEN + 'x')).status).toBe(401);
    expect((await post(c.base, [event(1)], '')).status).toBe(401);
    expect((await post(c.base, [event(1)], TOKEN, { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
  });

  it('400 naming the first bad field', async () => {
    expect(await post(c.base, '[{"id": "x",')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^body: malformed JSON/) },
    });
    expect(await post(c.base, { events: [] })).toEqual({
      status: 400,
      body: { error: 'body: must be a JSON array of events, got object' },
    });
    expect(await post(c.base, [event(1), { ...event(2), severity: 'urgent' }])).toEqual({
      status: 400,
      body: { error: '[1].severity: must be one of critical, high, medium, low, info' },
    });
    expect(await post(c.base, [{ ...event(1), status: 3 }])).toEqual({
      status: 400,
      body: { error: '[0].status: must be one of pass, fail, unknown, skip' },
    });
    expect(await post(c.base, [{ ...event(1), node: 42 }])).toEqual({
      status: 400,
      body: { error: '[0].node: must be a string, got number' },
    });
    expect(await post(c.base, [{ ...event(1), evidence: [{ line: 'x' }] }])).toEqual({
      status: 400,
      body: { error: '[0].evidence[0].line: must be a non-negative integer' },
    });
    expect(await post(c.base, [{ ...event(1), observedAt: 'yesterday' }])).toEqual({
      status: 400,
      body: { error: '[0].observedAt: invalid format' },
    });
    const { id: _id, ...noId } = event(1);
    expect(await post(c.base, [noId])).toEqual({ status: 400, body: { error: '[0].id: required' } });
    expect(await post(c.base, ['nope'])).toEqual({
      status: 400,
      body: { error: '[0]: must be an object, got string' },
    });
  });

  it('400 for more than 1,000 events in one request, 413 for a huge body', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ id: `m-${i}` }));
    expect(await post(c.base, many)).toEqual({
      status: 400,
      body: { error: 'body: at most 1000 events per request, got 10000' },
    });
    const thousandOne = Array.from({ length: 1001 }, (_, i) => ({ id: `t-${i}` }));
    expect(await post(c.base, thousandOne)).toEqual({
      status: 400,
      body: { error: 'body: at most 1000 events per request, got 1001' },
    });
    const huge = await post(c.base, [{ ...event(1), message: 'x'.repeat(1024 * 1024) }]);
    expect(huge).toEqual({ status: 413, body: { error: 'body larger than 262144 bytes' } });
    // Without Content-Length (chunked): refused while streaming. The server answers 413 and closes without
    // reading the rest, so the client may also see EPIPE on its remaining writes: the answer is what counts.
    const status = await new Promise<number | string>((resolve) => {
      const req = request(`${c.base}/v1/events`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
        },
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      // An answer is read before the connection's end is reported: once it closed, none is coming.
      let failure = '';
      req.on('error', (e) => (failure = e.message));
      req.on('close', () => resolve(`no answer${failure ? `: ${failure}` : ''}`));
      const chunk = 'x'.repeat(16 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 40) {
          sent++;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('stored nothing from any of those, and is still up', async () => {
    expect(await storedCount()).toBe(0);
    expect(await nodes()).toEqual([]);
    expect((await fetch(`${c.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${c.base}/readyz`)).status).toBe(200);
    expect(await metric(c.base, 'hostward_collector_event_requests_total', 'outcome="unauthorized"')).toBe(5);
    expect(
      await metric(c.base, 'hostward_collector_event_requests_total', 'outcome="too_large"'),
    ).toBeGreaterThanOrEqual(2);
  });

  it('wrong methods and paths', async () => {
    expect((await fetch(`${c.base}/v1/events`)).status).toBe(405);
    expect((await fetch(`${c.base}/v1/alerts`, { method: 'DELETE' })).status).toBe(405);
    // The read API shows the fleet's weaknesses: it takes a token like the page (Bearer or Basic).
    for (const path of ['/v1/alerts', '/v1/nodes']) {
      expect((await fetch(`${c.base}${path}`)).status).toBe(401);
      expect((await fetch(`${c.base}${path}`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
      expect(
        (
          await fetch(`${c.base}${path}`, {
            headers: { Authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}` },
          })
        ).status,
      ).toBe(200);
    }
    expect((await fetch(`${c.base}/nope`)).status).toBe(404);
  });
});

describe('accepted events: idempotent, grouped per check and severity, delivered to the file sink', () => {
  it('202 {"accepted": N}; the same id again is accepted and not stored twice', async () => {
    expect(await post(c.base, [event(1)])).toEqual({ status: 202, body: { accepted: 1 } });
    expect(await post(c.base, [event(1), event(1)])).toEqual({ status: 202, body: { accepted: 2 } });
    expect(await storedCount()).toBe(1);
    expect(await metric(c.base, 'hostward_collector_events_duplicate_total')).toBe(2);
  });

  it('one group for the same check failing on many nodes, with a stable key', async () => {
    await post(c.base, [event(2, { id: 'w2', node: 'worker-2' }), event(3, { id: 'w3', node: 'worker-3' })]);
    const a = await alerts();
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({
      key: groupKey('ssh.password_auth', 'high'),
      check: 'ssh.password_auth',
      severity: 'high',
      status: 'open',
      nodes: ['worker-1', 'worker-2', 'worker-3'],
    });
    expect(a[0]!.key).toMatch(/^[0-9a-f]{64}$/);
    const n = await nodes();
    expect(n.map((x) => x.node)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(n[0]!.failing).toEqual(['ssh.password_auth']);
    expect(Date.parse(n[0]!.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('an update of evidence is not a group change; leaving fail resolves; the last node resolves the group', async () => {
    await post(c.base, [event(4, { id: 'w1-msg', message: 'changed' })]);
    await post(c.base, [
      event(5, { id: 'w1-pass', status: 'pass' }),
      event(5, { id: 'w2-pass', node: 'worker-2', status: 'pass' }),
    ]);
    // An older observation arriving late does not reopen it.
    await post(c.base, [event(0, { id: 'w1-late', status: 'fail' })]);
    expect((await alerts())[0]).toMatchObject({ status: 'open', nodes: ['worker-3'] });
    await post(c.base, [event(6, { id: 'w3-unknown', node: 'worker-3', status: 'unknown' })]);
    expect((await alerts())[0]).toMatchObject({ status: 'resolved', nodes: [] });
    // The file sink got open, update, resolve: one line per group change.
    const lines = await waitFor(
      () => {
        if (!existsSync(d.sink)) return undefined;
        const l = readFileSync(d.sink, 'utf8').trim().split('\n');
        return l.length >= 4 ? l : undefined;
      },
      5000,
      () => 'file sink lines',
    );
    const changes = lines.map(
      (l) => JSON.parse(l) as { action: string; nodes: string[]; added: string[]; removed: string[]; key: string },
    );
    expect(changes.map((x) => x.action)).toEqual(['open', 'update', 'update', 'resolve']);
    expect(changes[1]).toMatchObject({ nodes: ['worker-1', 'worker-2', 'worker-3'], added: ['worker-2', 'worker-3'] });
    expect(changes[2]).toMatchObject({ nodes: ['worker-3'], removed: ['worker-1', 'worker-2'] });
    expect(new Set(changes.map((x) => x.key)).size).toBe(1);
    expect(await metric(c.base, 'hostward_alerts_sent_total', 'sink="file"')).toBe(4);
  });

  it('a node that stops reporting becomes a node_silent alert, and recovers when it reports', async () => {
    await post(c.base, [
      event(7, {
        id: 'silent-1',
        node: 'quiet-node',
        check: 'hostward.heartbeat',
        probe: 'hostward',
        status: 'pass',
        severity: 'info',
      }),
    ]);
    const g = await waitFor(
      async () => (await alerts()).find((x) => x.check === 'hostward.node_silent' && x.nodes.includes('quiet-node')),
      15_000,
      () => 'silent alert',
      200,
    );
    expect(g).toMatchObject({ severity: 'high', status: 'open' });
    expect(await metric(c.base, 'hostward_collector_nodes', 'state="silent"')).toBeGreaterThanOrEqual(1);
    await post(c.base, [
      event(8, {
        id: 'silent-2',
        node: 'quiet-node',
        check: 'hostward.heartbeat',
        probe: 'hostward',
        status: 'pass',
        severity: 'info',
      }),
    ]);
    const after = (await alerts()).find((x) => x.check === 'hostward.node_silent');
    expect(after?.nodes ?? []).not.toContain('quiet-node');
  });

  it('serves promtool-clean metrics and an escaped fleet page', async () => {
    expect(promtool(await (await fetch(`${c.base}/metrics`)).text())).toBe('');
    expect((await fetch(`${c.base}/`)).status).toBe(401); // the page takes the agents' tokens (page.ts)
    const res = await fetch(`${c.base}/?show=all`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<tr data-node="worker-1">');
    expect(html).toMatch(/hostward fleet/);
  });

  it('the database is WAL with the schema recorded', () => {
    const db = openDatabase(d.db, { readOnly: true });
    try {
      expect(pragmaValue(db, 'journal_mode')).toBe('wal');
      const versions = MIGRATIONS.map((_, i) => ({ version: i + 1 }));
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(versions);
    } finally {
      db.close();
    }
  });
});
