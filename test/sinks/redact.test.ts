/**
 * Secrets of the sinks never leave through an echo (redact.ts): a receiver that answers with one segment of the
 * Slack webhook path, the path upper-cased or percent-encoded, or the PagerDuty routing key in another case.
 * The real collector process and the CLI's test-sink: the log, the stored last_error, the fleet page and
 * /metrics hold none of it; harmless words of the path ("services", "api") are left alone.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { openDatabase } from '../../src/collector/sqlite.js';
import { Redactor, looksSecret, slackSecrets, urlSecrets } from '../../src/sinks/redact.js';
import { pagerdutySink } from '../../src/sinks/pagerduty.js';
import { webhookSink } from '../../src/sinks/webhook.js';
import { groupKey } from '../../src/collector/store.js';
import {
  CLI,
  event,
  makeDirs,
  post,
  requireBuild,
  startCollectorProcess,
  stop,
  waitFor,
  TOKEN,
} from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import { startFake } from './fakes.js';
import type { Fake } from './fakes.js';
import { testChange } from '../../src/sinks/test-sink.js';

const TEAM = 'T0AB12CD3';
const CHANNEL = 'B0EF45GH6';
const SECRET = 'Xy7kLmN0pQ3rStU5vWx9Yz1a';
const SLACK_PATH = `/services/${TEAM}/${CHANNEL}/${SECRET}`;

/** Every form of the secret parts an echo may take. */
function forms(parts: string[]): string[] {
  return parts.flatMap((p) => [
    p,
    p.toLowerCase(),
    p.toUpperCase(),
    encodeURIComponent(p),
    encodeURIComponent(p).toLowerCase(),
  ]);
}
const leaks = (text: string, parts: string[]) =>
  forms(parts).filter((f) => text.includes(f) || text.includes(f.replace(/%/g, '%25')));

describe('redaction of secret URLs', () => {
  it('a Slack URL: the whole, the path and each of its three segments, in any case and percent-encoded', () => {
    const url = `https://hooks.slack.com${SLACK_PATH}`;
    const r = new Redactor(slackSecrets(url));
    const echoes = [
      `no_team ${TEAM}`,
      `channel_not_found: ${CHANNEL.toLowerCase()}`,
      `invalid_token ${SECRET.toUpperCase()}`,
      `path ${SLACK_PATH.toUpperCase()}`,
      `path ${encodeURIComponent(SLACK_PATH)}`,
      `twice ${encodeURIComponent(encodeURIComponent(SECRET))}`,
      `mixed ${SECRET.slice(0, 5)}%${SECRET.charCodeAt(5).toString(16)}${SECRET.slice(6)}`,
      `url ${url.toUpperCase()}`,
    ];
    for (const e of echoes) {
      const out = r.redact(e);
      expect(out, e).toContain('[redacted]');
      expect(leaks(out, [TEAM, CHANNEL, SECRET]), out).toEqual([]);
    }
  });

  it('leaves harmless words of a path alone', () => {
    const r = new Redactor(
      urlSecrets(`https://user:S3cretPass@hooks.example/api/v2/services/hooks?token=abcDEF123456&format=json`),
    );
    expect(r.redact('POST /api/v2/services/hooks failed: services unavailable, format json')).toBe(
      'POST /api/v2/services/hooks failed: services unavailable, format json',
    );
    expect(r.redact('bad token ABCdef123456 for user s3cretpass')).toBe('bad token [redacted] for user [redacted]');
    for (const word of ['services', 'api', 'hooks', 'v2', 'enqueue', 'json'])
      expect(looksSecret(word), word).toBe(false);
    for (const s of [TEAM, CHANNEL, SECRET, '8c0a6f0e-1b7d-4c1e-9d61-3b1f7a0c2d11'])
      expect(looksSecret(s), s).toBe(true);
  });

  it('a webhook token in the query and a PagerDuty routing key echoed in another case stay out of errors', async () => {
    const key = 'R0UT1NGk3yabcdefabcdefabcdef1234';
    const hookToken = 'tok3nXYZ987654';
    const fake = await startFake((r) => ({
      status: 400,
      body: `bad key ${key.toLowerCase()} or token ${encodeURIComponent(hookToken.toUpperCase())} at ${r.path.toUpperCase()}`,
    }));
    try {
      const pd = pagerdutySink({ routingKey: key, url: `${fake.base}/v2/enqueue` });
      const hook = webhookSink({ name: 'hook', url: `${fake.base}/in/${hookToken}?token=${hookToken}` });
      for (const s of [pd, hook]) {
        const err = await s.deliver(testChange(), AbortSignal.timeout(10_000)).then(
          () => 'delivered',
          (e: Error) => e.message,
        );
        expect(err).toContain('[redacted]');
        expect(leaks(err, [key, hookToken])).toEqual([]);
      }
    } finally {
      await fake.close();
    }
  });
});

describe('the collector with a Slack receiver that echoes the secret', () => {
  let fake: Fake;
  let d: Dirs;
  let c: Proc | undefined;

  beforeAll(async () => {
    requireBuild();
    // Each answer echoes one segment, the path upper-cased and the path percent-encoded (within the 200
    // characters of an answer an error keeps), and harmless words of it.
    fake = await startFake((r) => ({
      status: 500,
      body: `invalid_token ${SECRET.toLowerCase()} ${r.path.toUpperCase()} ${encodeURIComponent(r.path)} services api`,
    }));
    d = makeDirs();
    const urlFile = path.join(d.dir, 'slack-url');
    writeFileSync(urlFile, `${fake.base}${SLACK_PATH}\n`);
    writeFileSync(
      d.config,
      `collector:\n  listen: 127.0.0.1\n  db: ${d.db}\n  tokensFile: ${d.tokens}\n  slackWebhookUrlFile: ${urlFile}\n  deliveryRetryInitialMs: 20\n  deliveryRetryMaxMs: 100\n`,
    );
    c = await startCollectorProcess(d);
  }, 60_000);

  afterAll(async () => {
    if (c) expect(await stop(c)).toBe(0);
    await fake?.close();
    if (d) rmSync(d.dir, { recursive: true, force: true });
  });

  it('holds no form of it in the log, last_error, the page or /metrics; keeps the harmless words', async () => {
    expect((await post(c!.base, [event(1)])).status).toBe(202);
    await waitFor(
      () => fake.received.length >= 3 || undefined,
      20_000,
      () => `receiver got ${fake.received.length} requests`,
    );
    const db = openDatabase(d.db, { readOnly: true });
    const errors = await waitFor(
      () => {
        const rows = db.prepare(`SELECT last_error FROM deliveries WHERE last_error IS NOT NULL`).all() as {
          last_error: string;
        }[];
        return rows.length > 0 ? rows.map((r) => r.last_error).join('\n') : undefined;
      },
      10_000,
      () => 'no last_error stored',
    );
    db.close();
    expect(errors).toContain('[redacted]');
    expect(errors).toMatch(/services api/);
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
    const key = groupKey('ssh.password_auth', 'high');
    const page =
      (await (await fetch(`${c!.base}/`, auth)).text()) +
      (await (await fetch(`${c!.base}/groups/${key}`, auth)).text());
    expect(page).toContain('[redacted]');
    const metrics = await (await fetch(`${c!.base}/metrics`)).text();
    await waitFor(
      () => c!.logs().includes('delivery failed; will retry') || undefined,
      10_000,
      () => c!.logs(),
    );
    for (const [where, text] of [
      ['log', c!.logs()],
      ['last_error', errors],
      ['page', page],
      ['metrics', metrics],
    ] as const) {
      expect(leaks(text, [TEAM, CHANNEL, SECRET]), where).toEqual([]);
    }
  });

  it('collector test-sink prints the answer without the secret', async () => {
    const run = promisify(execFile);
    const r = await run(process.execPath, [CLI, 'collector', 'test-sink', 'slack', '--config', d.config], {
      env: { PATH: process.env.PATH },
    }).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('[redacted]');
    expect(leaks(r.out, [TEAM, CHANNEL, SECRET])).toEqual([]);
  });
});
