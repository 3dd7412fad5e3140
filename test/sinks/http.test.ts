/**
 * The shared HTTP helper and both sinks against local receivers on 127.0.0.1 that answer like Slack and
 * PagerDuty: retryable vs permanent, Retry-After, timeouts, the per-webhook limiter, no secret in errors.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import type { GroupChange } from '../../src/collector/sink.js';
import { SinkError } from '../../src/collector/sink.js';
import { classify, parseRetryAfter, postJson, RateLimiter } from '../../src/sinks/http.js';
import { slackSink } from '../../src/sinks/slack.js';
import { pagerdutySink } from '../../src/sinks/pagerduty.js';
import { pagerdutyOk, slackOk, startFake } from './fakes.js';
import type { Fake } from './fakes.js';

const SLACK_PATH = '/services/T0000/B0000/sEcReTsLaCkToKeN';
const ROUTING_KEY = 'R0UT1NGKEYsecret0123456789abcdef';

const change: GroupChange = {
  key: 'k'.repeat(64),
  check: 'ssh.password_auth',
  severity: 'critical',
  title: 'SSH password authentication is disabled',
  action: 'open',
  status: 'open',
  nodeCount: 1,
  nodes: ['w1'],
  added: ['w1'],
  removed: [],
  openedAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:00.000Z',
};

let slack: Fake;
let pd: Fake;
beforeAll(async () => {
  slack = await startFake(slackOk);
  pd = await startFake(pagerdutyOk);
});
afterAll(async () => {
  await slack?.close();
  await pd?.close();
});
beforeEach(() => {
  slack.received.length = 0;
  pd.received.length = 0;
  slack.answer = slackOk;
  pd.answer = pagerdutyOk;
});

async function failure(p: Promise<unknown>): Promise<SinkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SinkError);
    return e as SinkError;
  }
  throw new Error('expected a SinkError');
}

const signal = () => new AbortController().signal;

describe('Retry-After and classification', () => {
  it('parses delta-seconds and HTTP-dates', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it('2xx ok; 429 and 5xx retryable; 408 retryable; other 4xx and 3xx permanent', () => {
    const o = { what: 'x' };
    expect(() => classify({ status: 204, body: '' }, null, o)).not.toThrow();
    const cases: [number, boolean][] = [
      [429, false],
      [500, false],
      [503, false],
      [408, false],
      [400, true],
      [403, true],
      [404, true],
      [410, true],
      [301, true],
    ];
    for (const [status, permanent] of cases) {
      let err: unknown;
      try {
        classify({ status, body: 'why' }, null, o);
      } catch (e) {
        err = e;
      }
      expect(err, String(status)).toBeInstanceOf(SinkError);
      expect((err as SinkError).permanent, String(status)).toBe(permanent);
    }
  });
});

describe('Slack sink against a local Slack', () => {
  it('200 "ok" delivers a Block Kit message to the webhook path', async () => {
    await slackSink({ url: slack.base + SLACK_PATH, intervalMs: 0 }).deliver(change, signal());
    expect(slack.received).toHaveLength(1);
    expect(slack.received[0]!.path).toBe(SLACK_PATH);
    expect(slack.received[0]!.body).toMatchObject({
      text: expect.stringContaining('ssh.password_auth failing on 1 node'),
      blocks: expect.any(Array),
    });
  });

  it('400 invalid_payload and 404 no_service are permanent configuration errors naming the reason, not the URL', async () => {
    const s = slackSink({ url: slack.base + SLACK_PATH, intervalMs: 0 });
    slack.answer = () => ({ status: 400, body: 'invalid_payload' });
    const e1 = await failure(s.deliver(change, signal()));
    expect(e1.permanent).toBe(true);
    expect(e1.message).toBe('slack: HTTP 400 invalid_payload (configuration error; not retried)');
    slack.answer = () => ({ status: 404, body: 'no_service' });
    const e2 = await failure(s.deliver(change, signal()));
    expect(e2.permanent).toBe(true);
    expect(e2.message).toContain('no_service');
    // A receiver echoing the URL back still does not leak it.
    slack.answer = (r) => ({ status: 403, body: `bad hook ${slack.base}${r.path}` });
    const e3 = await failure(s.deliver(change, signal()));
    expect(e3.message).not.toContain('sEcReTsLaCkToKeN');
  });

  it('429 with Retry-After is retryable and carries the wait; the limiter holds the next message back', async () => {
    const s = slackSink({ url: slack.base + SLACK_PATH, intervalMs: 0 });
    slack.answer = () => ({ status: 429, body: 'rate_limited', headers: { 'Retry-After': '1' } });
    const e = await failure(s.deliver(change, signal()));
    expect(e.permanent).toBe(false);
    expect(e.retryAfterMs).toBe(1000);
    slack.answer = slackOk;
    const t0 = Date.now();
    await s.deliver(change, signal());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('at most one message per second per webhook', async () => {
    const s = slackSink({ url: slack.base + SLACK_PATH });
    const t0 = Date.now();
    await Promise.all([s.deliver(change, signal()), s.deliver(change, signal()), s.deliver(change, signal())]);
    // The n-th message cannot be sent before n seconds have passed, nor arrive before it was sent: lower bounds
    // only, which a busy machine cannot break. 5 ms for clock rounding.
    const at = slack.received.map((r) => r.at - t0).sort((x, y) => x - y);
    expect(at).toHaveLength(3);
    for (let i = 1; i < at.length; i++) expect(at[i]!).toBeGreaterThanOrEqual(1000 * i - 5);
  });

  it('500, a timeout and a refused connection are retryable', async () => {
    const s = slackSink({ url: slack.base + SLACK_PATH, intervalMs: 0, timeoutMs: 200 });
    slack.answer = () => ({ status: 500, body: 'rollup_error' });
    expect((await failure(s.deliver(change, signal()))).permanent).toBe(false);
    slack.answer = () => ({ ...slackOk(), delayMs: 1000 });
    const slow = await failure(s.deliver(change, signal()));
    expect(slow.permanent).toBe(false);
    expect(slow.message).toBe('slack: no answer within 200 ms');
    const closed = await startFake(slackOk);
    const deadUrl = closed.base + SLACK_PATH;
    await closed.close();
    const refused = await failure(slackSink({ url: deadUrl, intervalMs: 0 }).deliver(change, signal()));
    expect(refused.permanent).toBe(false);
    expect(refused.message).toMatch(/^slack: network error/);
    expect(refused.message).not.toContain('sEcReTsLaCkToKeN');
  });

  it('the queue aborting (shutdown) ends a wait for the next slot', async () => {
    const ac = new AbortController();
    // The next slot is ten minutes away: only the abort can end this wait within the test's timeout.
    const s = slackSink({ url: slack.base + SLACK_PATH, intervalMs: 600_000 });
    await s.deliver(change, ac.signal);
    const p = s.deliver(change, ac.signal);
    await new Promise((r) => setImmediate(r)); // the second delivery is waiting for its slot
    ac.abort();
    const e = await failure(p);
    expect(e.permanent).toBe(false);
    expect(slack.received).toHaveLength(1);
  });
});

describe('PagerDuty sink against a local Events API', () => {
  it('202 success; the event carries routing key and dedup_key', async () => {
    await pagerdutySink({ routingKey: ROUTING_KEY, url: pd.base + '/v2/enqueue', intervalMs: 0 }).deliver(
      change,
      signal(),
    );
    expect(pd.received).toHaveLength(1);
    expect(pd.received[0]!.path).toBe('/v2/enqueue');
    expect(pd.received[0]!.body).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: change.key,
      payload: { severity: 'critical' },
    });
  });

  it('400 invalid event is permanent; 429 and 500 are retryable; 429 without Retry-After waits the default', async () => {
    const s = pagerdutySink({
      routingKey: ROUTING_KEY,
      url: pd.base + '/v2/enqueue',
      intervalMs: 0,
      default429Ms: 30_000,
    });
    pd.answer = () => ({
      status: 400,
      body: JSON.stringify({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: [`bad routing_key ${ROUTING_KEY}`],
      }),
    });
    const bad = await failure(s.deliver(change, signal()));
    expect(bad.permanent).toBe(true);
    expect(bad.message).toContain('invalid event');
    expect(bad.message).not.toContain(ROUTING_KEY);
    pd.answer = () => ({ status: 429, body: '' });
    const limited = await failure(s.deliver(change, signal()));
    expect(limited).toMatchObject({ permanent: false, retryAfterMs: 30_000 });
    pd.answer = () => ({ status: 429, body: '', headers: { 'Retry-After': '2' } });
    expect((await failure(s.deliver(change, signal()))).retryAfterMs).toBe(2000);
    pd.answer = () => ({ status: 500, body: 'oops' });
    expect((await failure(s.deliver(change, signal()))).permanent).toBe(false);
  });

  it('postJson resolves with the answer; a redirect is not followed', async () => {
    const a = await postJson(pd.base + '/v2/enqueue', { dedup_key: 'd' }, { what: 'pagerduty' });
    expect(a.status).toBe(202);
    expect(JSON.parse(a.body)).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'd' });
    pd.answer = () => ({ status: 302, body: '', headers: { Location: 'http://127.0.0.1:1/elsewhere' } });
    expect((await failure(postJson(pd.base, {}, { what: 'pagerduty' }))).permanent).toBe(true);
  });
});

describe('RateLimiter', () => {
  it('spaces slots by the interval in call order and honours holdFor', async () => {
    let now = 1000;
    const l = new RateLimiter(100, () => now);
    await l.acquire();
    l.holdFor(0);
    const t0 = Date.now();
    now = 1000; // a fake clock that does not advance: the second slot is 100 ms away
    await l.acquire();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
