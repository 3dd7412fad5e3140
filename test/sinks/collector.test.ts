/**
 * Slack and PagerDuty wired into a real (in-process) collector: configuration checked at start, and an
 * end-to-end run against local receivers on 127.0.0.1: three nodes failing one check give one Slack
 * message and one PagerDuty trigger; resolving them gives one resolve with the same dedup_key. Secrets
 * never reach the log.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { captureLog } from '../helpers/log.js';
import { applyEnv, ConfigError, defaultConfig, validateConfig } from '../../src/config/config.js';
import type { Config } from '../../src/config/config.js';
import { startCollector } from '../../src/collector/server.js';
import type { Collector } from '../../src/collector/server.js';
import { createSinks } from '../../src/collector/sinks.js';
import { event, post, waitFor, TOKEN } from '../collector/helpers.js';
import { pagerdutyOk, slackOk, startFake } from './fakes.js';
import type { Fake } from './fakes.js';
import { CATALOGUE, CHECKS } from '../helpers/catalogue.js';

/** Every delivery left the queue, which it does once the receiver answered. */
const drained = (col: { store: { pendingDeliveries(): Record<string, number> } }) =>
  Object.values(col.store.pendingDeliveries()).every((n) => n === 0);

const SLACK_SECRET = 'XyZsEcReTwEbHoOk42';
const SLACK_PATH = `/services/T0000/B0000/${SLACK_SECRET}`;
const ROUTING_KEY = 'R0UT1NGKEYsecret0123456789abcdef';

let dir: string;
let slack: Fake;
let pd: Fake;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-sinks-'));
  writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
  slack = await startFake(slackOk);
  pd = await startFake(pagerdutyOk);
  writeFileSync(path.join(dir, 'slack-url'), `${slack.base}${SLACK_PATH}\n`);
  writeFileSync(path.join(dir, 'pd-key'), `${ROUTING_KEY}\n`);
});
afterAll(async () => {
  await slack?.close();
  await pd?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function config(name: string, over: Partial<Config['collector']> = {}): Config {
  const c = defaultConfig();
  c.collector = {
    ...c.collector,
    listen: '127.0.0.1',
    db: path.join(dir, `${name}.db`),
    tokensFile: path.join(dir, 'tokens'),
    slackWebhookUrlFile: path.join(dir, 'slack-url'),
    pagerdutyRoutingKeyFile: path.join(dir, 'pd-key'),
    pagerdutyUrl: `${pd.base}/v2/enqueue`,
    deliveryRetryInitialMs: 20,
    deliveryRetryMaxMs: 200,
    ...over,
  };
  return c;
}

const sinksOf = (c: Config) => createSinks(c.collector, CHECKS);

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('YAML keys and environment variables', () => {
    const ctx = { checkIds: new Set<string>(), probes: new Map() };
    const c = validateConfig(
      {
        collector: {
          slackWebhookUrlFile: '/run/slack',
          pagerdutyRoutingKeyFile: '/run/pd',
          pagerdutyUrl: 'https://events.eu.pagerduty.com/v2/enqueue',
        },
      },
      ctx,
    );
    expect(c.collector).toMatchObject({
      slackWebhookUrlFile: '/run/slack',
      pagerdutyRoutingKeyFile: '/run/pd',
      pagerdutyUrl: 'https://events.eu.pagerduty.com/v2/enqueue',
    });
    expect(() => validateConfig({ collector: { slackWebhookUrlFile: 3 } }, ctx)).toThrow(
      /collector\.slackWebhookUrlFile: must be a non-empty string/,
    );
    const e = applyEnv(defaultConfig(), {
      HOSTWARD_SLACK_WEBHOOK_URL_FILE: '/s',
      HOSTWARD_PAGERDUTY_ROUTING_KEY_FILE: '/p',
      HOSTWARD_PAGERDUTY_URL: 'https://x/v2/enqueue',
    });
    expect(e.collector).toMatchObject({
      slackWebhookUrlFile: '/s',
      pagerdutyRoutingKeyFile: '/p',
      pagerdutyUrl: 'https://x/v2/enqueue',
    });
  });

  it('builds both sinks; none when not configured', () => {
    expect(sinksOf(config('a')).map((s) => s.name)).toEqual(['slack', 'pagerduty']);
    const none = defaultConfig().collector;
    expect(createSinks(none, CHECKS)).toEqual([]);
  });

  it('bad configuration fails at start with a ConfigError naming the key, never the secret', () => {
    const missing = configError(() => sinksOf(config('b', { slackWebhookUrlFile: path.join(dir, 'nope') })));
    expect(missing.key).toMatch(/^collector\.slackWebhookUrlFile/);
    expect(missing.message).toContain('ENOENT');
    const httpUrl = path.join(dir, 'http-url');
    writeFileSync(httpUrl, `http://hooks.slack.com${SLACK_PATH}\n`);
    const plain = configError(() => sinksOf(config('b', { slackWebhookUrlFile: httpUrl })));
    expect(plain.key).toMatch(/^collector\.slackWebhookUrlFile/);
    expect(plain.message).toMatch(/https:\/\//);
    expect(plain.message).not.toContain(SLACK_SECRET);
    const notUrl = path.join(dir, 'not-url');
    writeFileSync(notUrl, `${SLACK_SECRET}\n`);
    expect(configError(() => sinksOf(config('b', { slackWebhookUrlFile: notUrl }))).message).not.toContain(
      SLACK_SECRET,
    );
    const empty = path.join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(configError(() => sinksOf(config('b', { pagerdutyRoutingKeyFile: empty }))).key).toMatch(
      /^collector\.pagerdutyRoutingKeyFile/,
    );
    expect(configError(() => sinksOf(config('b', { pagerdutyRoutingKeyFile: dir }))).key).toMatch(
      /^collector\.pagerdutyRoutingKeyFile/,
    );
    expect(
      configError(() => sinksOf(config('b', { pagerdutyUrl: 'http://events.pagerduty.com/v2/enqueue' }))).key,
    ).toMatch(/^collector\.pagerdutyUrl/);
    expect(configError(() => sinksOf(config('b', { pagerdutyUrl: 'not a url' }))).key).toMatch(
      /^collector\.pagerdutyUrl/,
    );
    const urlOnly = defaultConfig().collector;
    urlOnly.pagerdutyUrl = 'https://events.pagerduty.com/v2/enqueue';
    expect(configError(() => createSinks(urlOnly, CHECKS)).key).toMatch(/^collector\.pagerdutyUrl/);
  });

  it('startCollector refuses to start with a bad sink configuration', async () => {
    const { log } = captureLog('trace');
    await expect(
      startCollector({
        config: config('c', { slackWebhookUrlFile: path.join(dir, 'nope') }),
        log,
        catalogue: CATALOGUE,
        port: 0,
        host: '127.0.0.1',
      }),
    ).rejects.toThrow(ConfigError);
  });
});

describe('end to end through the collector', () => {
  let c: Collector | undefined;
  afterAll(async () => {
    await c?.close();
  });

  it('3 nodes failing one check: one Slack message, one PagerDuty trigger; resolving them: one resolve with the same dedup_key; no secret in the log', async () => {
    slack.received.length = 0;
    pd.received.length = 0;
    const cap = captureLog('trace');
    c = await startCollector({ config: config('e2e'), log: cap.log, catalogue: CATALOGUE, port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${c.port}`;
    const nodes = ['worker-1', 'worker-2', 'worker-3'];
    expect(
      await post(
        base,
        nodes.map((node, i) => event(i, { id: `open-${node}`, node })),
      ),
    ).toEqual({ status: 202, body: { accepted: 3 } });
    await waitFor(
      () => (slack.received.length >= 1 && pd.received.length >= 1) || undefined,
      10_000,
      () => 'deliveries',
    );
    await waitFor(
      () => drained(c!) || undefined,
      10_000,
      () => 'the queue drained',
    ); // a second message would be here now
    expect(slack.received).toHaveLength(1);
    expect(pd.received).toHaveLength(1);
    const msg = slack.received[0]!.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(slack.received[0]!.path).toBe(SLACK_PATH);
    expect(msg.blocks[0]!.text!.text).toBe('ssh.password_auth failing on 3 nodes');
    expect(msg.blocks[2]!.text!.text).toBe('*Nodes:* `worker-1`, `worker-2`, `worker-3`');
    const trigger = pd.received[0]!.body as {
      event_action: string;
      dedup_key: string;
      routing_key: string;
      payload: { severity: string; custom_details: { nodes: string[] } };
    };
    expect(trigger).toMatchObject({
      event_action: 'trigger',
      routing_key: ROUTING_KEY,
      payload: { severity: 'error', custom_details: { nodes } },
    });

    expect(
      await post(
        base,
        nodes.map((node, i) => event(10 + i, { id: `pass-${node}`, node, status: 'pass' })),
      ),
    ).toEqual({ status: 202, body: { accepted: 3 } });
    await waitFor(
      () => (slack.received.length >= 2 && pd.received.length >= 2) || undefined,
      10_000,
      () => 'resolves',
    );
    await waitFor(
      () => drained(c!) || undefined,
      10_000,
      () => 'the queue drained',
    );
    expect(pd.received).toHaveLength(2);
    expect(pd.received[1]!.body).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: trigger.dedup_key,
    });
    expect(slack.received).toHaveLength(2);
    expect((slack.received[1]!.body as { blocks: { text?: { text: string } }[] }).blocks[0]!.text!.text).toBe(
      'ssh.password_auth resolved',
    );

    // Failures are logged with the receiver's reason, never with the webhook URL or the routing key.
    slack.answer = () => ({ status: 404, body: 'no_service' });
    pd.answer = () => ({ status: 400, body: `{"status":"invalid event","errors":["routing_key ${ROUTING_KEY}"]}` });
    expect((await post(base, [event(20, { id: 'again', node: 'worker-9' })])).status).toBe(202);
    await waitFor(
      () => (/no_service/.test(cap.text()) && /invalid event/.test(cap.text())) || undefined,
      10_000,
      () => `failure logs: ${cap.text()}`,
    );
    await c.close();
    c = undefined;
    const logs = cap.text();
    expect(logs).toMatch(/sink refused the change/);
    expect(logs).not.toContain(SLACK_SECRET);
    expect(logs).not.toContain(ROUTING_KEY);
    slack.answer = slackOk;
    pd.answer = pagerdutyOk;
  });
});
