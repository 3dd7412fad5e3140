/**
 * Richer Slack and PagerDuty: evidence excerpts from fleet state (node_checks), remediation from the
 * catalogue, the fleet page link, resolves only when wanted; PagerDuty's dedup_key from cluster + group
 * key, and its rolling per-routing-key limit with the persistent queue holding what is over it.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { defaultConfig } from '../../src/config/config.js';
import { startCollector } from '../../src/collector/server.js';
import { Store } from '../../src/collector/store.js';
import { Dispatcher } from '../../src/collector/delivery.js';
import type { GroupChange } from '../../src/collector/sink.js';
import { SqliteFleetView } from '../../src/sinks/fleet.js';
import { slackPayload, SLACK_LIMITS } from '../../src/sinks/slack.js';
import { pagerdutyDedupKey, pagerdutyEvent, pagerdutySink } from '../../src/sinks/pagerduty.js';
import { WindowLimiter } from '../../src/sinks/http.js';
import { event, post, waitFor, TOKEN } from '../collector/helpers.js';
import { pagerdutyOk, slackOk, startFake } from './fakes.js';
import type { Fake } from './fakes.js';
import { CATALOGUE, CHECKS } from '../helpers/catalogue.js';

let dir: string;
let slack: Fake;
let pd: Fake;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-enrich-'));
  writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
  slack = await startFake(slackOk);
  pd = await startFake(pagerdutyOk);
});
afterAll(async () => {
  await slack?.close();
  await pd?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const change = (over: Partial<GroupChange> = {}): GroupChange => ({
  key: 'a'.repeat(64),
  check: 'ssh.password_auth',
  severity: 'high',
  title: 'SSH password authentication is disabled',
  action: 'open',
  status: 'open',
  nodeCount: 1,
  nodes: ['w1'],
  added: ['w1'],
  removed: [],
  openedAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:00.000Z',
  ...over,
});
type Block = { type: string; text?: { text: string }; elements?: { text: string }[] };

describe('Slack payload details', () => {
  it('evidence excerpt as a code block, remediation, a link to the fleet page', () => {
    const m = slackPayload(change(), {
      evidence: {
        node: 'w1',
        message: 'PasswordAuthentication yes is in force',
        evidence: [{ file: '/etc/ssh/sshd_config', line: 3, text: 'PasswordAuthentication yes' }],
      },
      remediation: 'Set PasswordAuthentication no',
      link: 'https://hw.example/?check=ssh.password_auth',
      cluster: 'prod',
    });
    const blocks = m.blocks as Block[];
    expect(blocks[0]!.text!.text).toBe('prod: ssh.password_auth failing on 1 node');
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'section', 'context']);
    expect(blocks[3]!.text!.text).toBe(
      '*Evidence* from `w1`:\n```PasswordAuthentication yes is in force\n/etc/ssh/sshd_config:3: PasswordAuthentication yes```',
    );
    expect(blocks[4]!.text!.text).toBe('*Remediation:* Set PasswordAuthentication no');
    expect(blocks[5]!.elements![1]!.text).toBe(
      '<https://hw.example/?check=ssh.password_auth|Open in the hostward fleet page>',
    );
  });

  it('hostile and huge evidence stays inside the limits and inside its code block', () => {
    const huge = 'x'.repeat(100_000);
    const m = slackPayload(change(), {
      evidence: {
        node: 'w`1',
        message: '```<!channel> & ' + huge,
        evidence: Array.from({ length: 500 }, (_, i) => ({ file: `/f${i}`, line: i, text: huge })),
      },
      remediation: huge,
      link: 'https://hw.example/?a=1|<x>',
    });
    const blocks = m.blocks as Block[];
    for (const b of blocks)
      if (b.type === 'section') expect(Array.from(b.text!.text).length).toBeLessThanOrEqual(SLACK_LIMITS.section);
    const ev = blocks.find((b) => b.text?.text.startsWith('*Evidence*'))!.text!.text;
    expect(ev.match(/```/g)).toHaveLength(2);
    expect(ev).toContain('&lt;!channel&gt; &amp;');
    expect(ev).not.toContain('/f5:'); // at most 5 evidence lines
    expect(blocks.at(-1)!.elements).toHaveLength(1); // a link with | or > is left out rather than broken
  });

  it('a resolve carries neither evidence nor remediation', () => {
    const m = slackPayload(
      change({ action: 'resolve', status: 'resolved', nodeCount: 0, nodes: [], removed: ['w1'] }),
      { evidence: { node: 'w1', message: 'm', evidence: [] }, remediation: 'r' },
    );
    expect(JSON.stringify(m)).not.toContain('Remediation');
    expect(JSON.stringify(m)).not.toContain('Evidence');
  });
});

describe('Slack through the collector', () => {
  it('the message shows the stored evidence, the catalogue remediation and the link; with slackSendResolved: false no resolve is posted', async () => {
    slack.received.length = 0;
    writeFileSync(path.join(dir, 'slack-url'), `${slack.base}/services/T/B/enrichsecret\n`);
    const cfg = defaultConfig();
    Object.assign(cfg.collector, {
      listen: '127.0.0.1',
      db: path.join(dir, 'slack.db'),
      tokensFile: path.join(dir, 'tokens'),
      slackWebhookUrlFile: path.join(dir, 'slack-url'),
      publicUrl: 'https://hostward.example.test',
      slackSendResolved: false,
      deliveryRetryInitialMs: 20,
      deliveryRetryMaxMs: 100,
    });
    const c = await startCollector({
      config: cfg,
      log: pino({ level: 'silent' }),
      catalogue: CATALOGUE,
      port: 0,
      host: '127.0.0.1',
    });
    const base = `http://127.0.0.1:${c.port}`;
    try {
      const ev = {
        evidence: [{ file: '/etc/ssh/sshd_config.d/50-cloud-init.conf', line: 1, text: 'PasswordAuthentication yes' }],
        message: 'PasswordAuthentication yes for root from 10.0.0.1',
      };
      expect((await post(base, [event(1, { id: 'x1', node: 'w1', ...ev })])).status).toBe(202);
      await waitFor(
        () => slack.received[0],
        10_000,
        () => 'message',
      );
      const text = JSON.stringify(slack.received[0]!.body);
      expect(text).toContain('/etc/ssh/sshd_config.d/50-cloud-init.conf:1: PasswordAuthentication yes');
      expect(text).toContain('PasswordAuthentication yes for root from 10.0.0.1');
      const fix = CHECKS.remediation('ssh.password_auth')!;
      expect(fix.length).toBeGreaterThan(10);
      expect(text).toContain(JSON.stringify(`*Remediation:* ${fix}`).slice(1, 40));
      expect(text).toContain(
        '<https://hostward.example.test/?check=ssh.password_auth|Open in the hostward fleet page>',
      );
      expect((await post(base, [event(2, { id: 'x2', node: 'w1', status: 'pass' })])).status).toBe(202);
      // A delivery leaves the queue once the receiver answered: a resolved message sent would be here by now.
      await waitFor(
        () => (c.store.pendingDeliveries().slack ?? 0) === 0 || undefined,
        10_000,
        () => 'resolve handled',
      );
      expect(slack.received).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it('fleet view: unparsable stored evidence gives no evidence, not a failed delivery', () => {
    const store = new Store({ file: path.join(dir, 'fleet.db'), sinks: [] });
    try {
      store.ingest([[event(1, { node: 'w1' }), event(2, { node: 'w2' })]]);
      store.db.prepare(`UPDATE node_checks SET evidence = '{not json' WHERE node = 'w2'`).run();
      const rows = new SqliteFleetView(store.db).failing('ssh.password_auth', 'high');
      expect(rows.map((r) => [r.node, r.evidence.length])).toEqual([
        ['w1', 1],
        ['w2', 0],
      ]);
      const on = new SqliteFleetView(store.db).failingOn(
        Array.from({ length: 1200 }, (_, i) => (i === 1100 ? 'w2' : `n${i}`)),
      );
      expect([...on.keys()]).toEqual(['w2']);
    } finally {
      store.close();
    }
  });
});

describe('PagerDuty dedup_key', () => {
  it('is the group key alone, or a SHA-256 of cluster + group key: stable, per cluster, at most 255 characters', () => {
    const key = 'b'.repeat(64);
    expect(pagerdutyDedupKey(key)).toBe(key);
    const k1 = pagerdutyDedupKey(key, 'prod-eu');
    expect(k1).toBe(createHash('sha256').update(`prod-eu\0${key}`).digest('hex'));
    expect(pagerdutyDedupKey(key, 'prod-eu')).toBe(k1);
    expect(pagerdutyDedupKey(key, 'prod-us')).not.toBe(k1);
    expect(pagerdutyDedupKey('z'.repeat(1000), 'c').length).toBeLessThanOrEqual(255);
    expect(pagerdutyDedupKey('z'.repeat(1000)).length).toBe(255);
    const trig = pagerdutyEvent(change({ key }), 'rk', { cluster: 'prod-eu', publicUrl: 'https://hw.example' });
    const res = pagerdutyEvent(change({ key, action: 'resolve', status: 'resolved' }), 'rk', { cluster: 'prod-eu' });
    expect(trig.dedup_key).toBe(k1);
    expect(res).toEqual({ routing_key: 'rk', event_action: 'resolve', dedup_key: k1 });
    expect(trig.links).toEqual([{ href: 'https://hw.example/?check=ssh.password_auth', text: 'hostward fleet page' }]);
    expect(trig.payload!.summary.startsWith('[high] prod-eu: ssh.password_auth failing on 1 node')).toBe(true);
  });
});

describe('PagerDuty rolling limit per routing key', () => {
  it('WindowLimiter: at most N per rolling window, in order; two sinks on one key share it', async () => {
    // A fake clock: how many callers got through is decided by the window, not by how busy the machine is.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const l = new WindowLimiter(3, 300);
      const order: number[] = [];
      const all = Promise.all(Array.from({ length: 7 }, (_, i) => l.acquire().then(() => order.push(i))));
      await vi.advanceTimersByTimeAsync(0);
      expect(order).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(299);
      expect(order).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(1);
      expect(order).toHaveLength(6);
      await vi.advanceTimersByTimeAsync(299);
      expect(order).toHaveLength(6);
      await vi.advanceTimersByTimeAsync(1);
      await all;
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    } finally {
      vi.useRealTimers();
    }
    const ac = new AbortController();
    const full = new WindowLimiter(1, 60_000);
    await full.acquire();
    const waiting = full.acquire(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(/aborted/);

    // Two sinks on one routing key: 4 events under a shared 2-per-400 ms budget take a second window.
    pd.received.length = 0;
    const shared = 'SHAREDkey' + 'y'.repeat(23);
    const opts = { routingKey: shared, url: `${pd.base}/v2/enqueue`, windowLimit: 2, windowMs: 400 };
    const a = pagerdutySink({ ...opts, name: 'pd-a' });
    const b = pagerdutySink({ ...opts, name: 'pd-b' });
    const s0 = Date.now();
    const sig = AbortSignal.timeout(5000);
    await Promise.all([
      a.deliver(change(), sig),
      b.deliver(change(), sig),
      a.deliver(change(), sig),
      b.deliver(change(), sig),
    ]);
    expect(pd.received).toHaveLength(4);
    expect(Date.now() - s0).toBeGreaterThanOrEqual(395);
  });

  it('through the persistent queue: 12 group changes, no more than 5 per second sent to PagerDuty, the rest wait in the queue, none lost', async () => {
    pd.received.length = 0;
    const key = 'RATEkey' + 'x'.repeat(25);
    const sink = pagerdutySink({ routingKey: key, url: `${pd.base}/v2/enqueue`, windowLimit: 5, windowMs: 1000 });
    const store = new Store({ file: path.join(dir, 'rate.db'), sinks: ['pagerduty'] });
    const reg = new Registry();
    const d = new Dispatcher({
      store,
      sinks: [sink],
      log: pino({ level: 'silent' }),
      retryInitialMs: 20,
      retryMaxMs: 100,
      sent: new Counter({ name: 's_total', help: 'h', labelNames: ['sink'] as const, registers: [reg] }),
      failed: new Counter({ name: 'f_total', help: 'h', labelNames: ['sink'] as const, registers: [reg] }),
    });
    try {
      store.ingest([
        Array.from({ length: 12 }, (_, i) => event(i, { id: `r${i}`, check: `kernel.check_${i}`, probe: 'kernel' })),
      ]);
      expect(store.pendingDeliveries().pagerduty).toBe(12);
      const t0 = Date.now();
      d.start();
      await waitFor(
        () => (store.pendingDeliveries().pagerduty ?? 0) === 0 || undefined,
        30_000,
        () => 'drained',
      );
      expect(pd.received).toHaveLength(12);
      // Nothing arrives before it was sent, and the k-th burst of 5 cannot be sent before k windows have passed:
      // lower bounds only, which a busy machine cannot break (it only makes arrivals later). 5 ms for clock rounding.
      const at = pd.received.map((r) => r.at - t0).sort((x, y) => x - y);
      for (let i = 5; i < at.length; i++) expect(at[i]!).toBeGreaterThanOrEqual(1000 * Math.floor(i / 5) - 5);
      expect(new Set(pd.received.map((r) => (r.body as { payload: { group: string } }).payload.group)).size).toBe(12);
    } finally {
      await d.close();
      store.close();
    }
  });
});
