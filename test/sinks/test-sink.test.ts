/**
 * `hostward collector test-sink NAME` (the built CLI, as a user runs it) against the fake Slack and
 * PagerDuty servers and a real Alertmanager: prints each receiver's status and answer, exits 0 when
 * accepted and 1 when not, and never prints a secret.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, requireBuild, waitFor } from '../collector/helpers.js';
import { pagerdutyOk, slackOk, startFake } from './fakes.js';
import type { Fake } from './fakes.js';
import { freePort, startAlertmanager, startReceiver } from './am.js';
import type { Am, Receiver } from './am.js';

const SLACK_SECRET = 'TeStSiNkSeCrEt777';
const ROUTING_KEY = 'TESTSINKroutingKEY0123456789abcd';
let dir: string;
let slack: Fake;
let pd: Fake;
let am: Am | undefined;
let receiver: Receiver | undefined;
let config: string;

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-testsink-'));
  slack = await startFake(slackOk);
  pd = await startFake(pagerdutyOk);
  receiver = await startReceiver();
  am = await startAlertmanager({ dir: path.join(dir, 'am'), receiverUrl: `${receiver.base}/hook` });
  writeFileSync(path.join(dir, 'slack-url'), `${slack.base}/services/T1/B1/${SLACK_SECRET}\n`);
  writeFileSync(path.join(dir, 'pd-key'), `${ROUTING_KEY}\n`);
  config = path.join(dir, 'hostward.yaml');
  writeFileSync(
    config,
    `collector:
  cluster: lab
  slackWebhookUrlFile: ${path.join(dir, 'slack-url')}
  sinks:
    - { name: oncall, type: pagerduty, routingKeyFile: ${path.join(dir, 'pd-key')}, url: "${pd.base}/v2/enqueue" }
    - { name: am, type: alertmanager, urls: ["${am.base}"] }
`,
  );
});
afterAll(async () => {
  await am?.stop();
  await receiver?.close();
  await slack?.close();
  await pd?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hostward collector test-sink', () => {
  it('Slack: a [TEST] message, "slack: HTTP 200 ok", exit 0', async () => {
    slack.received.length = 0;
    const r = await run('collector', 'test-sink', 'slack', '--config', config);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('slack: HTTP 200 ok\n');
    expect(r.code).toBe(0);
    expect(slack.received).toHaveLength(1);
    const m = slack.received[0]!.body as { text: string; blocks: { text?: { text: string } }[] };
    expect(m.blocks[0]!.text!.text).toBe('[TEST] lab: hostward.test_notification failing on 1 node');
    expect(m.text).toContain('nothing is wrong');
  });

  it("Slack refusing: prints the status and Slack's reason, exit 1, no secret printed", async () => {
    slack.answer = () => ({ status: 404, body: 'no_service' });
    try {
      const r = await run('collector', 'test-sink', 'slack', '--config', config);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('slack: HTTP 404 no_service (refused: a configuration error)\n');
      expect(r.stdout + r.stderr).not.toContain(SLACK_SECRET);
    } finally {
      slack.answer = slackOk;
    }
  });

  it('PagerDuty (named sink): prints the 202 and its JSON answer; the routing key is never printed', async () => {
    pd.received.length = 0;
    const r = await run('collector', 'test-sink', 'oncall', '--config', config);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^oncall: HTTP 202 \{"status":"success","message":"Event processed","dedup_key":"[0-9a-f]{64}"\}\n$/,
    );
    expect(r.stdout).not.toContain(ROUTING_KEY);
    expect((pd.received[0]!.body as { payload: { summary: string; severity: string } }).payload).toMatchObject({
      severity: 'info',
      summary: expect.stringMatching(/^\[TEST\] \[info\] lab: /) as unknown,
    });
  });

  it('Alertmanager: a HostwardTestNotification alert is accepted and held; the receiver is notified', async () => {
    const r = await run('collector', 'test-sink', 'am', '--config', config);
    expect(r.stdout).toBe('am[0]: HTTP 200\n');
    expect(r.code).toBe(0);
    const alerts = await am!.alerts();
    expect(alerts.some((a) => a.labels.alertname === 'HostwardTestNotification' && a.labels.cluster === 'lab')).toBe(
      true,
    );
    const n = await waitFor(
      () => receiver!.got.find((g) => g.body.alerts.some((a) => a.labels.alertname === 'HostwardTestNotification')),
      10_000,
      () => 'notification',
    );
    expect(n.body.alerts[0]!.annotations.description).toContain('nothing is wrong');
  });

  it('a receiver that is down: "failed" with the network reason, exit 1', async () => {
    const down = path.join(dir, 'down.yaml');
    writeFileSync(down, `collector:\n  alertmanagerUrls: ["http://127.0.0.1:${await freePort()}"]\n`);
    const r = await run('collector', 'test-sink', 'alertmanager', '--config', down);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^alertmanager\[0\]: failed: alertmanager\[0\]: network error ECONNREFUSED\n$/);
  });

  it('an unknown name is a configuration error naming the configured sinks (exit 2); no NAME is a usage error', async () => {
    const r = await run('collector', 'test-sink', 'teams', '--config', config);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no sink named "teams" (configured: slack, oncall, am)');
    expect((await run('collector', 'test-sink', '--config', config)).code).toBe(2);
  });
});
