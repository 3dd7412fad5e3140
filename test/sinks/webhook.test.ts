/**
 * The generic webhook sink against a local receiver that checks the HMAC signature the way a user's
 * receiver would (verifyWebhook); through the collector with the simple setup (URL and secret from files);
 * errors and logs never hold the URL's token or the secret.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { captureLog } from '../helpers/log.js';
import { ConfigError, defaultConfig } from '../../src/config/config.js';
import { startCollector } from '../../src/collector/server.js';
import { createSinks } from '../../src/collector/sinks.js';
import type { GroupChange } from '../../src/collector/sink.js';
import { SinkError } from '../../src/collector/sink.js';
import { signWebhook, verifyWebhook, webhookSink } from '../../src/sinks/webhook.js';
import { event, post, waitFor, TOKEN } from '../collector/helpers.js';
import { CATALOGUE, CHECKS } from '../helpers/catalogue.js';

const SECRET = 'hmac-SeCrEt-0123456789';
const URL_TOKEN = 'tok3nInTheUrl987';

interface Got {
  headers: IncomingHttpHeaders;
  raw: string;
}
let got: Got[] = [];
let status = 200;
let base = '';
let close: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-webhook-'));
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (raw += s));
    req.on('end', () => {
      got.push({ headers: req.headers, raw });
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status < 300 ? '{"received":true}' : `{"error":"nope ${URL_TOKEN}"}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

const change: GroupChange = {
  key: 'k'.repeat(64),
  check: 'ssh.password_auth',
  severity: 'high',
  title: 'SSH password authentication is disabled',
  action: 'open',
  status: 'open',
  nodeCount: 2,
  nodes: ['w1', 'w2'],
  added: ['w1', 'w2'],
  removed: [],
  openedAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:00.000Z',
};
const signal = () => AbortSignal.timeout(5000);
const hdr = (g: Got) => ({
  timestamp: g.headers['x-hostward-timestamp'] as string | undefined,
  signature: g.headers['x-hostward-signature'] as string | undefined,
});

describe('webhook sink', () => {
  it('posts the change as JSON with a signature the receiver can verify; a changed body or an old timestamp fails verification', async () => {
    got = [];
    const s = webhookSink({
      name: 'hook',
      url: `${base}/in?token=${URL_TOKEN}`,
      secret: SECRET,
      cluster: 'c1',
      publicUrl: 'https://hw.example/',
    });
    const r = await s.deliver(change, signal());
    expect(r).toEqual({ answers: [{ status: 200, body: '{"received":true}' }] });
    expect(got).toHaveLength(1);
    const g = got[0]!;
    expect(g.headers['content-type']).toBe('application/json');
    const body = JSON.parse(g.raw) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'hostward.alert_group',
      version: 1,
      key: change.key,
      check: 'ssh.password_auth',
      nodes: ['w1', 'w2'],
      cluster: 'c1',
      url: 'https://hw.example/?check=ssh.password_auth',
    });
    expect(verifyWebhook(SECRET, hdr(g), g.raw)).toBe(true);
    expect(hdr(g).signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(SECRET, hdr(g), g.raw.replace('w2', 'w3'))).toBe(false);
    expect(verifyWebhook('other-secret', hdr(g), g.raw)).toBe(false);
    expect(verifyWebhook(SECRET, hdr(g), g.raw, Date.now() + 3_600_000)).toBe(false);
    expect(verifyWebhook(SECRET, { timestamp: hdr(g).timestamp }, g.raw)).toBe(false);
    expect(verifyWebhook(SECRET, { timestamp: 'x', signature: hdr(g).signature }, g.raw)).toBe(false);
    expect(signWebhook(SECRET, '1', 'b')).toBe(signWebhook(SECRET, '1', 'b'));
  });

  it('no secret: no signature headers; 5xx retryable, 4xx permanent; errors never carry the URL token', async () => {
    got = [];
    const s = webhookSink({ name: 'hook', url: `${base}/in?token=${URL_TOKEN}` });
    await s.deliver(change, signal());
    expect(got[0]!.headers['x-hostward-signature']).toBeUndefined();
    for (const [code, permanent] of [
      [503, false],
      [400, true],
      [429, false],
    ] as const) {
      status = code;
      const e = await s.deliver(change, signal()).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(SinkError);
      expect((e as SinkError).permanent).toBe(permanent);
      expect((e as SinkError).message).toContain(`HTTP ${code}`);
      expect((e as SinkError).message).not.toContain(URL_TOKEN);
    }
    status = 200;
  });
});

describe('webhook through the collector (simple setup)', () => {
  it('URL and secret from files; a signed delivery arrives; no secret in the log; a secret without a URL is an error', async () => {
    got = [];
    writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
    writeFileSync(path.join(dir, 'url'), `${base}/in?token=${URL_TOKEN}\n`);
    writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`);
    const cfg = defaultConfig();
    Object.assign(cfg.collector, {
      listen: '127.0.0.1',
      db: path.join(dir, 'c.db'),
      tokensFile: path.join(dir, 'tokens'),
      webhookUrlFile: path.join(dir, 'url'),
      webhookSecretFile: path.join(dir, 'secret'),
      deliveryRetryInitialMs: 20,
      deliveryRetryMaxMs: 100,
    });
    const { log, text: logs } = captureLog('trace');
    const c = await startCollector({ config: cfg, log, catalogue: CATALOGUE, port: 0, host: '127.0.0.1' });
    try {
      status = 500; // first attempts fail: the queue retries
      expect((await post(`http://127.0.0.1:${c.port}`, [event(1, { node: 'w9' })])).status).toBe(202);
      await waitFor(
        () => (got.length >= 2 ? true : undefined),
        10_000,
        () => 'a failed attempt and a retry',
      );
      status = 200;
      await waitFor(
        () => (got.some((g) => verifyWebhook(SECRET, hdr(g), g.raw)) && /delivered/.test(logs()) ? true : undefined),
        10_000,
        () => 'signed delivery',
      );
    } finally {
      status = 200;
      await c.close();
    }
    expect(logs()).toMatch(/delivery failed; will retry/);
    expect(logs()).not.toContain(URL_TOKEN);
    expect(logs()).not.toContain(SECRET);
    const bad = defaultConfig().collector;
    bad.webhookSecretFile = path.join(dir, 'secret');
    expect(() => createSinks(bad, CHECKS)).toThrow(ConfigError);
  });
});
