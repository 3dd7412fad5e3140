/**
 * Routing without a `routing` block: each kind of sink gets the groups from its floor up (PagerDuty
 * critical and high, Slack and webhooks medium and above, Alertmanager and files everything). A collector
 * with all of them, fed one failing group per severity: what each receiver holds once the queue is empty is
 * exactly its floor and above. A real Alertmanager; local receivers for Slack, PagerDuty and the webhook.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/config.js';
import type { Config } from '../../src/config/config.js';
import { SEVERITIES } from '../../src/contracts.js';
import type { Severity } from '../../src/contracts.js';
import { startCollector } from '../../src/collector/server.js';
import { groupKey } from '../../src/collector/store.js';
import { DEFAULT_FLOORS, Router } from '../../src/sinks/routing.js';
import { parseRouting } from '../../src/sinks/routing-config.js';
import { event, post, waitFor, TOKEN } from '../collector/helpers.js';
import { pagerdutyOk, slackOk, startFake } from './fakes.js';
import type { Fake } from './fakes.js';
import { startAlertmanager, startReceiver } from './am.js';
import type { Am, Receiver } from './am.js';
import { CATALOGUE } from '../helpers/catalogue.js';

const checkOf = (s: Severity) => `ssh.floor_${s}`;
const down = (floor: Severity) => SEVERITIES.filter((s) => SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(floor));

describe('the default floors (no routing block)', () => {
  const types = new Map([
    ['pagerduty', 'pagerduty'],
    ['slack', 'slack'],
    ['webhook', 'webhook'],
    ['alertmanager', 'alertmanager'],
    ['file', 'file'],
  ] as const);
  const names = [...types.keys(), 'custom'];
  const to = (r: Router, s: Severity) => [...r.sinksFor('ssh.x', s)].sort();

  it('each kind gets its floor and above; a sink of no known kind gets everything', () => {
    const r = new Router(undefined, names, types);
    expect(to(r, 'critical')).toEqual(['alertmanager', 'custom', 'file', 'pagerduty', 'slack', 'webhook']);
    expect(to(r, 'high')).toEqual(['alertmanager', 'custom', 'file', 'pagerduty', 'slack', 'webhook']);
    expect(to(r, 'medium')).toEqual(['alertmanager', 'custom', 'file', 'slack', 'webhook']);
    expect(to(r, 'low')).toEqual(['alertmanager', 'custom', 'file']);
    expect(to(r, 'info')).toEqual(['alertmanager', 'custom', 'file']);
  });

  it('a routing block is applied as configured: routes and default as written, inhibition alone sends everything everywhere', () => {
    const routed = new Router(
      parseRouting({ routes: [{ match: { severity: 'info' }, sinks: ['pagerduty'] }], default: ['slack'] }, 'r'),
      names,
      types,
    );
    expect(to(routed, 'info')).toEqual(['pagerduty']);
    expect(to(routed, 'critical')).toEqual(['slack']);
    const inhibitOnly = new Router(
      parseRouting({ inhibit: [{ source: { severity: 'critical' }, target: { severity: 'low' } }] }, 'r'),
      names,
      types,
    );
    expect(to(inhibitOnly, 'info')).toEqual([...names].sort());
  });
});

describe('a collector with every kind of sink and no routing block', () => {
  let dir: string;
  let slack: Fake;
  let pd: Fake;
  let hook: Fake;
  let amHook: Receiver;
  let am: Am;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-floors-'));
    writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
    slack = await startFake(slackOk);
    pd = await startFake(pagerdutyOk);
    hook = await startFake(() => ({ status: 200, body: 'ok' }));
    amHook = await startReceiver();
    am = await startAlertmanager({ dir: path.join(dir, 'am'), receiverUrl: `${amHook.base}/hook` });
    writeFileSync(path.join(dir, 'slack-url'), `${slack.base}/services/T0/B0/floors\n`);
    writeFileSync(path.join(dir, 'pd-key'), 'R0UT1NGKEYfloors0123456789abcdef\n');
    writeFileSync(path.join(dir, 'hook-url'), `${hook.base}/hook\n`);
  }, 30_000);
  afterAll(async () => {
    await am?.stop();
    await amHook?.close();
    for (const f of [slack, pd, hook]) await f?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function config(): Config {
    const c = defaultConfig();
    c.collector = {
      ...c.collector,
      listen: '127.0.0.1',
      db: path.join(dir, 'c.db'),
      tokensFile: path.join(dir, 'tokens'),
      fileSink: path.join(dir, 'sink.ndjson'),
      slackWebhookUrlFile: path.join(dir, 'slack-url'),
      pagerdutyRoutingKeyFile: path.join(dir, 'pd-key'),
      pagerdutyUrl: `${pd.base}/v2/enqueue`,
      webhookUrlFile: path.join(dir, 'hook-url'),
      alertmanagerUrls: [am.base],
      deliveryRetryInitialMs: 20,
      deliveryRetryMaxMs: 200,
    };
    return c;
  }

  it('each receiver gets exactly the groups of its floor and above', async () => {
    const c = await startCollector({ config: config(), log: pino({ level: 'silent' }), catalogue: CATALOGUE, port: 0 });
    try {
      const base = `http://127.0.0.1:${c.port}`;
      const events = SEVERITIES.map((s, i) =>
        event(i, { id: `floor-${s}`, node: 'w1', check: checkOf(s), severity: s, title: `Floor ${s}` }),
      );
      expect((await post(base, events)).status).toBe(202);
      // Every queued change handed on (delivered, or skipped as not routed): nothing more will arrive.
      await waitFor(
        () => Object.values(c.store.pendingDeliveries()).every((n) => n === 0) || undefined,
        20_000,
        () => `deliveries still pending: ${JSON.stringify(c.store.pendingDeliveries())}`,
      );

      const slackGot = slack.received.map((r) => SEVERITIES.find((s) => JSON.stringify(r.body).includes(checkOf(s))));
      expect(slackGot.sort()).toEqual(down(DEFAULT_FLOORS.slack).sort());

      const keys = new Map(SEVERITIES.map((s) => [groupKey(checkOf(s), s), s]));
      const pdGot = pd.received.map((r) => keys.get((r.body as { dedup_key: string }).dedup_key));
      expect(pdGot.sort()).toEqual(down(DEFAULT_FLOORS.pagerduty).sort());
      expect(pd.received.every((r) => (r.body as { event_action: string }).event_action === 'trigger')).toBe(true);

      const hookGot = hook.received.map((r) => (r.body as { check: string; severity: Severity }).severity);
      expect(hookGot.sort()).toEqual(down(DEFAULT_FLOORS.webhook).sort());

      const amGot = (await am.alerts())
        .filter((a) => a.labels.check?.startsWith('ssh.floor_'))
        .map((a) => a.labels.severity);
      expect(amGot.sort()).toEqual([...SEVERITIES].sort());

      const fileGot = readFileSync(path.join(dir, 'sink.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { severity: Severity }).severity);
      expect(fileGot.sort()).toEqual([...SEVERITIES].sort());
    } finally {
      await c.close();
    }
  }, 60_000);
});
