/**
 * The trust boundaries of the alert path, against a real collector process (the built CLI, its ingest worker):
 * what one node's credential can write, and what an agent's clock can do to fleet state. Each block starts with
 * the attack as it worked before: a token writing for another node, a glob-bound token inventing names, an
 * agent posting the collector's own checks, and an event dated 9999-12-31 freezing a check, pre-suppressing
 * hostward.node_silent and hostward.baseline_changed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/collector/sqlite.js';
import { MIGRATIONS, Store, groupKey } from '../../src/collector/store.js';
import { pino } from 'pino';
import { Outbox } from '../../src/alerts/outbox.js';
import { Sender } from '../../src/alerts/sender.js';
import { createAlertMetrics } from '../../src/alerts/metrics.js';
import { startCollector } from '../../src/collector/server.js';
import { defaultConfig } from '../../src/config/config.js';
import type { AlertGroup, NodeSummary } from '../../src/contracts.js';
import { event, makeDirs, metric, post, requireBuild, startCollectorProcess, stop, waitFor, TOKEN } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';
import { ISSUER, agentClaims, jwt, keyPair } from './sa-fixtures.js';
import { CATALOGUE } from '../helpers/catalogue.js';

const NODE_A = 'tok-node-a-0123456789abcdef';
const WEB = 'tok-web-glob-0123456789abcdef';
const FAR = '9999-12-31T23:59:59.000Z';
const rsa = keyPair('rsa', 'k1');

let d: Dirs;
let c: Proc;
let seq = 0;
/** An event with a fresh id, dated now unless told otherwise. */
const ev = (over: Parameters<typeof event>[1] = {}) =>
  event(++seq, { id: `t-${seq}`, observedAt: new Date().toISOString(), ...over });
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
const nodes = async () => (await (await fetch(`${c.base}/v1/nodes`, auth)).json()) as NodeSummary[];
const alerts = async () => (await (await fetch(`${c.base}/v1/alerts`, auth)).json()) as AlertGroup[];
const failing = async (node: string) => (await nodes()).find((n) => n.node === node)?.failing ?? [];
const forbidden = (reason: string) => metric(c.base, 'hostward_collector_events_forbidden_total', `reason="${reason}"`);

beforeAll(async () => {
  requireBuild();
  d = makeDirs(
    `  silentAfterSeconds: 2\n  clockSkewSeconds: 60\n` +
      `  serviceAccountTokens:\n    issuer: ${ISSUER}\n    jwksFile: JWKS\n    serviceAccounts: [hostward:hostward-agent]\n`,
  );
  const jwks = path.join(d.dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [rsa.jwk] }));
  writeFileSync(d.config, readFileSync(d.config, 'utf8').replace('JWKS', jwks));
  writeFileSync(d.tokens, `# agents\n${TOKEN}\n${NODE_A} node=node-a\n${WEB} node=web-*\n`);
  c = await startCollectorProcess(d);
});

afterAll(async () => {
  if (c) expect(await stop(c)).toBe(0);
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

describe('node identity: a credential writes for its own node only', () => {
  it('a token bound to node-a writes for node-a; for node-b it gets 403, nothing is stored, and the refusal is counted', async () => {
    expect((await post(c.base, [ev({ node: 'node-a' })], NODE_A)).status).toBe(202);
    const before = await metric(c.base, 'hostward_collector_events_stored_total');
    const r = await post(c.base, [ev({ node: 'node-a' }), ev({ node: 'node-b' })], NODE_A);
    expect(r).toEqual({
      status: 403,
      body: { error: expect.stringMatching(/^\[1\]\.node: "node-b" is not this credential's node/) },
    });
    expect(await metric(c.base, 'hostward_collector_events_stored_total')).toBe(before);
    expect(await forbidden('node_mismatch')).toBe(1);
    expect(await metric(c.base, 'hostward_collector_event_requests_total', 'outcome="forbidden"')).toBe(1);
    expect((await nodes()).map((n) => n.node)).not.toContain('node-b');
  });

  it('a glob binding: web-* writes for web-1, not for db-1', async () => {
    expect((await post(c.base, [ev({ node: 'web-1' })], WEB)).status).toBe(202);
    expect((await post(c.base, [ev({ node: 'db-1' })], WEB)).status).toBe(403);
    expect((await post(c.base, [ev({ node: 'web-1.evil' })], WEB)).status).toBe(202); // '*' takes dots: names are DNS subdomains
  });

  it("a node's token does not open the read API: one node's credential does not list the fleet's weaknesses", async () => {
    expect((await fetch(`${c.base}/v1/nodes`, { headers: { Authorization: `Bearer ${NODE_A}` } })).status).toBe(401);
    expect((await fetch(`${c.base}/v1/nodes`, auth)).status).toBe(200);
  });

  it("an agent cannot post the collector's own checks (it would resolve node_silent or baseline_changed for itself)", async () => {
    for (const check of [
      'hostward.node_silent',
      'hostward.baseline_changed',
      'hostward.baseline_rollback',
      'hostward.clock_skew',
    ]) {
      const r = await post(c.base, [ev({ node: 'node-a', check, probe: 'hostward', status: 'pass' })], NODE_A);
      expect(r).toEqual({ status: 403, body: { error: `[0].check: ${check} is raised by the collector only` } });
    }
    expect(await forbidden('collector_check')).toBe(4);
  });

  it('an unbound token still writes for any node (as before bindings), counted and logged once', async () => {
    const before = await metric(c.base, 'hostward_collector_unbound_token_requests_total');
    expect((await post(c.base, [ev({ node: 'anything-1' })])).status).toBe(202);
    expect((await post(c.base, [ev({ node: 'anything-2' })])).status).toBe(202);
    expect(await metric(c.base, 'hostward_collector_unbound_token_requests_total')).toBe(before + 2);
    // The log line comes through the collector's stdout, which can lag the answer on a busy machine.
    await waitFor(
      () => /token bound to no node/.test(c.logs()) || undefined,
      20_000,
      () => c.logs(),
    );
    expect(c.logs().match(/token bound to no node/g)?.length).toBe(1);
    expect(c.logs()).not.toContain(TOKEN);
  });
});

describe('projected ServiceAccount tokens (k8s_psat pattern)', () => {
  const now = () => Date.now();

  it("the node comes from the token's claim: its own node is written, another is 403", async () => {
    const tok = jwt(agentClaims('sa-node-1', now()), rsa);
    expect((await post(c.base, [ev({ node: 'sa-node-1' })], tok)).status).toBe(202);
    expect(await post(c.base, [ev({ node: 'sa-node-2' })], tok)).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/speaks for node sa-node-1/) },
    });
  });

  it('expired, forged or foreign tokens are 401; a token without the node claim or of another account is 403 with the reason', async () => {
    expect(
      await post(
        c.base,
        [ev({ node: 'sa-node-1' })],
        jwt(agentClaims('sa-node-1', now(), { exp: Math.floor(now() / 1000) - 600 }), rsa),
      ),
    ).toMatchObject({
      status: 401,
      body: { error: expect.stringMatching(/^service account token refused: expired at/) },
    });
    expect(
      (await post(c.base, [ev({ node: 'sa-node-1' })], jwt(agentClaims('sa-node-1', now()), keyPair('rsa', 'k1'))))
        .status,
    ).toBe(401);
    expect(
      (
        await post(
          c.base,
          [ev({ node: 'sa-node-1' })],
          jwt(agentClaims('sa-node-1', now(), { aud: ['https://kubernetes.default.svc'] }), rsa),
        )
      ).status,
    ).toBe(401);
    expect(await post(c.base, [ev({ node: 'sa-node-1' })], jwt(agentClaims(undefined, now()), rsa))).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/kubernetes\.io\.node\.name/) },
    });
    expect(await forbidden('no_node_claim')).toBe(1);
    const other = agentClaims('sa-node-1', now());
    (other['kubernetes.io'] as { serviceaccount: { name: string } }).serviceaccount.name = 'default';
    expect((await post(c.base, [ev({ node: 'sa-node-1' })], jwt(other, rsa))).status).toBe(403);
    expect(await forbidden('service_account')).toBe(1);
  });

  it('a service account token does not open the read API', async () => {
    const tok = jwt(agentClaims('sa-node-1', now()), rsa);
    expect((await fetch(`${c.base}/v1/alerts`, { headers: { Authorization: `Bearer ${tok}` } })).status).toBe(401);
  });
});

describe('per-token cardinality: a glob-bound token cannot invent node names without bound', () => {
  it('web-* (bound 3): a fourth distinct name is refused (403 node_limit), known names still write, and the bound survives a restart', async () => {
    const d2 = makeDirs('  maxNodesPerToken: 3\n');
    writeFileSync(d2.tokens, `${TOKEN}\n${WEB} node=web-*\n`);
    let c2 = await startCollectorProcess(d2);
    try {
      for (const node of ['web-1', 'web-2', 'web-3'])
        expect((await post(c2.base, [ev({ node })], WEB)).status).toBe(202);
      const r = await post(c2.base, [ev({ node: 'web-4' })], WEB);
      expect(r).toMatchObject({
        status: 403,
        body: { error: expect.stringMatching(/already wrote for 3 node names \(collector\.maxNodesPerToken 3\)/) },
      });
      expect(await metric(c2.base, 'hostward_collector_events_forbidden_total', 'reason="node_limit"')).toBe(1);
      expect((await post(c2.base, [ev({ node: 'web-1' }), ev({ node: 'web-3' })], WEB)).status).toBe(202);
      // A request of many new names is refused whole, not admitted up to the bound.
      expect(
        (
          await post(
            c2.base,
            Array.from({ length: 50 }, (_, i) => ev({ node: `web-x${i}` })),
            WEB,
          )
        ).status,
      ).toBe(403);
      // Each token has its own bound.
      expect((await post(c2.base, [ev({ node: 'web-4' })])).status).toBe(202);
      expect(await stop(c2)).toBe(0);
      c2 = await startCollectorProcess(d2);
      expect((await post(c2.base, [ev({ node: 'web-5' })], WEB)).status).toBe(403);
      expect((await post(c2.base, [ev({ node: 'web-2' })], WEB)).status).toBe(202);
    } finally {
      expect(await stop(c2)).toBe(0);
      rmSync(d2.dir, { recursive: true, force: true });
    }
  });
});

describe('time: fleet state follows arrival, not the agent clock', () => {
  it('an event dated 9999-12-31 no longer freezes the check: a later pass resolves it', async () => {
    expect((await post(c.base, [ev({ node: 'clock-1', status: 'fail', observedAt: FAR })])).status).toBe(202);
    expect(await failing('clock-1')).toContain('ssh.password_auth');
    expect(await metric(c.base, 'hostward_collector_events_future_dated_total')).toBe(1);
    // The date is itself a finding.
    const skew = (await alerts()).find((g) => g.check === 'hostward.clock_skew');
    expect(skew).toMatchObject({ severity: 'medium', status: 'open', nodes: ['clock-1'] });
    expect((await post(c.base, [ev({ node: 'clock-1', status: 'pass' })])).status).toBe(202);
    expect(await failing('clock-1')).not.toContain('ssh.password_auth');
    // Its next request dated right resolves it.
    expect(await failing('clock-1')).not.toContain('hostward.clock_skew');
  });

  it('a send time off either way is a finding too; it resolves when the clock is right', async () => {
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    expect(
      (await post(c.base, [ev({ node: 'clock-2', observedAt: hourAgo })], TOKEN, { 'Hostward-Sent-At': hourAgo }))
        .status,
    ).toBe(202);
    expect(await failing('clock-2')).toContain('hostward.clock_skew');
    // A backlog of old events sent now is not skew: the send time says the clock is right.
    expect(
      (
        await post(c.base, [ev({ node: 'clock-2', observedAt: hourAgo })], TOKEN, {
          'Hostward-Sent-At': new Date().toISOString(),
        })
      ).status,
    ).toBe(202);
    expect(await failing('clock-2')).not.toContain('hostward.clock_skew');
    // A send time set right does not hide an event dated far ahead.
    expect(
      (
        await post(c.base, [ev({ node: 'clock-2', observedAt: FAR })], TOKEN, {
          'Hostward-Sent-At': new Date().toISOString(),
        })
      ).status,
    ).toBe(202);
    expect(await failing('clock-2')).toContain('hostward.clock_skew');
  });

  it('hostward.node_silent cannot be pre-suppressed: neither by a far-future event nor by a node_silent pass dated 9999', async () => {
    expect((await post(c.base, [ev({ node: 'silent-1', observedAt: FAR })])).status).toBe(202);
    const attack = await post(c.base, [
      ev({ node: 'silent-1', check: 'hostward.node_silent', probe: 'hostward', status: 'pass', observedAt: FAR }),
    ]);
    expect(attack.status).toBe(403);
    await waitFor(
      async () => ((await failing('silent-1')).includes('hostward.node_silent') ? true : undefined),
      15_000,
      () => 'silent-1 raised as silent',
    );
  });

  it('a baseline dated 9999-12-31 does not pre-suppress hostward.baseline_changed', async () => {
    const D1 = 'a'.repeat(64);
    const D2 = 'b'.repeat(64);
    const created = '2026-11-24T10:00:00.000Z';
    expect(
      (await post(c.base, [ev({ node: 'base-1', observedAt: FAR, baseline: { digest: D1, created, signed: true } })]))
        .status,
    ).toBe(202);
    expect((await post(c.base, [ev({ node: 'base-1', baseline: { digest: D2, created, signed: true } })])).status).toBe(
      202,
    );
    expect(await failing('base-1')).toContain('hostward.baseline_changed');
    expect((await nodes()).find((n) => n.node === 'base-1')!.baseline).toMatchObject({
      digest: D2,
      previousDigest: D1,
      changes: 1,
    });
  });
});

describe('a database poisoned before the upgrade', () => {
  it('the migration brings far-future dates back to their arrival, so the next event counts again', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-poisoned-'));
    try {
      const f = path.join(dir, 'c.db');
      const raw = openDatabase(f);
      raw.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
      MIGRATIONS.slice(0, 6).forEach((m, i) => {
        raw.exec(m);
        raw.prepare(`INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00Z')`).run(i + 1);
      });
      // What the collector of schema 6 made of a fail dated 9999-12-31 and a baseline dated the same.
      const now = Date.now();
      raw
        .prepare(
          `INSERT INTO nodes (node, first_seen_at, last_seen_at, baseline_digest, baseline_created, baseline_signed, baseline_observed_at, baseline_since)
        VALUES ('p-1', ?, ?, ?, ?, 1, ?, ?)`,
        )
        .run(now, now, 'a'.repeat(64), FAR, FAR, now);
      raw
        .prepare(
          `INSERT INTO node_checks (node, check_id, probe, severity, status, failing, title, message, evidence, observed_at, opened_at, updated_at)
        VALUES ('p-1', 'ssh.password_auth', 'ssh', 'high', 'fail', 1, 't', 'm', '[]', ?, ?, ?)`,
        )
        .run(FAR, FAR, now);
      raw
        .prepare(
          `INSERT INTO groups (key, check_id, severity, title, status, node_count, opened_at, updated_at) VALUES (?, 'ssh.password_auth', 'high', 't', 'open', 1, ?, ?)`,
        )
        .run(groupKey('ssh.password_auth', 'high'), FAR, FAR);
      raw.close();
      const store = new Store({ file: f, sinks: [] });
      try {
        expect(store.schemaVersion).toBe(MIGRATIONS.length);
        store.ingest([
          [ev({ node: 'p-1', status: 'pass', baseline: { digest: 'b'.repeat(64), created: FAR, signed: true } })],
        ]);
        const n = store.nodes()[0]!;
        expect(n.failing).toEqual(['hostward.baseline_changed']);
        expect(n.baseline).toMatchObject({ digest: 'b'.repeat(64), previousDigest: 'a'.repeat(64) });
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the agent's side: a projected token read from its file at every delivery", () => {
  it('delivers with the token in force; after the kubelet rotates the file, with the new one; an expired one is not retried forever', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-sa-agent-'));
    const log = pino({ level: 'silent' });
    const tokenFile = path.join(dir, 'token');
    let outbox: Outbox | undefined;
    const metrics = createAlertMetrics(() => outbox);
    outbox = Outbox.open({ dir: path.join(dir, 'outbox'), maxBytes: 1 << 20, maxAgeMs: 3600_000, log });
    const sender = new Sender({
      outbox,
      url: c.base,
      tokenFile,
      log,
      metrics,
      retryInitialMs: 20,
      retryMaxMs: 100,
      rejectedFile: path.join(dir, 'rejected'),
      timeoutMs: 3000,
    });
    const stored = () => metric(c.base, 'hostward_collector_events_stored_total');
    try {
      const t0 = Date.now();
      writeFileSync(tokenFile, jwt(agentClaims('rot-1', t0, { exp: Math.floor(t0 / 1000) - 600 }), rsa));
      const before = await stored();
      const refusedBefore = await metric(c.base, 'hostward_collector_event_requests_total', 'outcome="unauthorized"');
      outbox.append([ev({ node: 'rot-1' })]);
      sender.start();
      await waitFor(
        async () =>
          (await metric(c.base, 'hostward_collector_event_requests_total', 'outcome="unauthorized"')) > refusedBefore
            ? true
            : undefined,
        10_000,
        () => 'a refused attempt',
      );
      expect(outbox.depth).toBe(1); // kept: a credential problem is fixed by the next token, not by dropping events
      writeFileSync(tokenFile, jwt(agentClaims('rot-1', Date.now()), rsa));
      await waitFor(
        () => (outbox.depth === 0 ? true : undefined),
        10_000,
        () => `outbox depth ${outbox.depth}`,
      );
      writeFileSync(tokenFile, jwt(agentClaims('rot-1', Date.now() + 1000), rsa));
      outbox.append([ev({ node: 'rot-1' })]);
      sender.kick();
      await waitFor(
        () => (outbox.depth === 0 ? true : undefined),
        10_000,
        () => `outbox depth ${outbox.depth}`,
      );
      expect(await stored()).toBe(before + 2);
    } finally {
      await sender.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('collector.requireNodeBinding', () => {
  it('an unbound token is refused for events (403 unbound_token) and still reads; a bound one writes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-require-binding-'));
    const tokens = path.join(dir, 'tokens');
    writeFileSync(tokens, `${TOKEN}\n${NODE_A} node=node-a\n`);
    const config = defaultConfig();
    config.collector = {
      ...config.collector,
      listen: '127.0.0.1',
      db: path.join(dir, 'c.db'),
      tokensFile: tokens,
      requireNodeBinding: true,
    };
    const col = await startCollector({
      config,
      log: pino({ level: 'silent' }),
      catalogue: CATALOGUE,
      port: 0,
      sinks: [],
    });
    try {
      const base = `http://127.0.0.1:${col.port}`;
      expect(await post(base, [ev({ node: 'node-a' })])).toMatchObject({
        status: 403,
        body: { error: expect.stringMatching(/bound to no node/) },
      });
      expect(await metric(base, 'hostward_collector_events_forbidden_total', 'reason="unbound_token"')).toBe(1);
      expect((await post(base, [ev({ node: 'node-a' })], NODE_A)).status).toBe(202);
      expect((await fetch(`${base}/v1/nodes`, auth)).status).toBe(200);
    } finally {
      await col.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
