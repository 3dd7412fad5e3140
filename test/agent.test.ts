import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promtool } from './helpers/promtool.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/config.js';
import type { Config } from '../src/config/config.js';
import type { Report } from '../src/contracts.js';
import { defineProbe, fail, pass, unknown } from '../src/sdk.js';
import type { Probe } from '../src/sdk.js';
import { startAgent, ScheduleError } from '../src/agent/server.js';
import type { Agent } from '../src/agent/server.js';
import { waitFor } from './helpers/wait.js';

const silent = pino({ level: 'silent' });

/** Tokens the slow probe's gather takes one at a time, so the test decides when each scan ends. */
function tokens(): { take(): Promise<void>; release(): void } {
  let free = 0;
  const waiting: (() => void)[] = [];
  return {
    take: () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiting.push(r))),
    release: () => {
      const w = waiting.shift();
      if (w) w();
      else free++;
    },
  };
}

interface Fixture {
  probes: Probe[];
  gathers: { fast: number; slow: number };
  release(): void;
}

function fixture(): Fixture {
  const gathers = { fast: 0, slow: 0 };
  const t = tokens();
  const fast = defineProbe<{ password: boolean }>({
    name: 'fast',
    description: 'answers at once',
    checks: [
      {
        id: 'fast.password_auth',
        title: 'no passwords',
        severity: 'high',
        references: [],
        remediation: 'turn it off',
        evaluate: (f) => (f.password ? fail('on') : pass('off')),
      },
      {
        id: 'fast.banner',
        title: 'a banner',
        severity: 'low',
        references: [],
        remediation: '',
        evaluate: () => pass('set'),
      },
    ],
    async gather() {
      gathers.fast++;
      return { password: true };
    },
  });
  const slow = defineProbe<{ ok: boolean }>({
    name: 'slow',
    description: 'waits for the test',
    checks: [
      {
        id: 'slow.thing',
        title: 'a thing',
        severity: 'medium',
        references: [],
        remediation: '',
        evaluate: (f) => (f.ok ? pass('ok') : unknown('?')),
      },
    ],
    async gather() {
      gathers.slow++;
      await t.take();
      return { ok: true };
    },
  });
  return {
    probes: [fast, slow],
    gathers,
    release: t.release,
  };
}

let root: string;
/** A web configuration with a bearer token: /v1/report answers only authenticated requests. */
let webConfigFile: string;
const TOKEN = 'agent-test-token-0123456789';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hostward-agent-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(
    join(root, 'etc/os-release'),
    'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
  );
  writeFileSync(join(root, 'tokens'), `${TOKEN}\n`);
  webConfigFile = join(root, 'web.yml');
  writeFileSync(webConfigFile, `bearer_tokens_file: ${join(root, 'tokens')}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(over: Partial<Config['agent']> = {}): Config {
  const c = defaultConfig();
  c.root = root;
  c.node = 'test-node';
  // A schedule that will not fire during the test.
  c.agent = { ...c.agent, schedule: '0 0 1 1 *', ...over };
  c.exceptions = [{ check: 'fast.password_auth', reason: 'legacy bastion', expires: '2099-01-01' }];
  return c;
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function start(f: Fixture, over: Partial<Config['agent']> = {}): Promise<{ agent: Agent; url: string }> {
  const agent = await startAgent({ config: config(over), probes: f.probes, log: silent, port: 0, host: '127.0.0.1' });
  agents.push(agent);
  return { agent, url: `http://127.0.0.1:${agent.port}` };
}

describe('agent', () => {
  it('is not ready until the first scan is done, then serves metrics and the report', async () => {
    const f = fixture();
    const { url } = await start(f, { webConfigFile });

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/v1/report`, auth)).status).toBe(503);
    // Before the first scan: process metrics only, still a valid exposition.
    const early = await (await fetch(`${url}/metrics`, auth)).text();
    expect(promtool(early)).toBe('');
    expect(early).not.toContain('hostward_check_status');

    f.release();
    await waitFor('the agent to be ready', async () => (await fetch(`${url}/readyz`)).status === 200);

    const res = await fetch(`${url}/metrics`, auth);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(promtool(text)).toBe('');
    expect(text).toContain('hostward_check_status{check="fast.password_auth",probe="fast",severity="high"} 4');
    expect(text).toContain('hostward_check_status{check="slow.thing",probe="slow",severity="medium"} 0');
    expect(text).toContain('hostward_checks{probe="slow",status="fail"} 0');
    expect(text).toContain('hostward_probe_success{probe="slow"} 1');
    expect(text).toMatch(/^hostward_scans_total 1$/m);

    const rep = await fetch(`${url}/v1/report`, auth);
    expect(rep.status).toBe(200);
    expect(rep.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await rep.json()) as Report;
    expect(report.node).toBe('test-node');
    expect(report.os).toMatchObject({ id: 'debian', versionId: '12' });
    expect(report.probes.map((p) => [p.probe, p.status])).toEqual([
      ['fast', 'ok'],
      ['slow', 'ok'],
    ]);
    expect(report.findings.map((x) => x.check).sort()).toEqual(['fast.banner', 'fast.password_auth', 'slow.thing']);
    expect(report.findings.find((x) => x.check === 'fast.password_auth')?.exception?.reason).toBe('legacy bastion');
    expect(report.summary).toEqual({ pass: 2, fail: 0, unknown: 0, skip: 0, accepted: 1 });
    expect(typeof report.startedAt).toBe('string');
    expect(typeof report.durationSeconds).toBe('number');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const f = fixture();
    f.release();
    const { url } = await start(f);
    const nf = await fetch(`${url}/nope`);
    expect(nf.status).toBe(404);
    expect(nf.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await nf.json()).toEqual({ error: 'not found' });
    const post = await fetch(`${url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}/v1/report`, { method: 'DELETE' })).status).toBe(405);
    const head = await fetch(`${url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    // A query string does not change the route.
    expect((await fetch(`${url}/healthz?x=1`)).status).toBe(200);
  });

  it('never runs two scans at once', async () => {
    const f = fixture();
    const { agent, url } = await start(f);
    // The start-up scan is running (the slow probe waits); scanNow joins it.
    await waitFor('the slow probe to start', () => f.gathers.slow === 1);
    const a = agent.scanNow();
    const b = agent.scanNow();
    expect(a).toBe(b);
    await new Promise((r) => setImmediate(r)); // a second scan, had one started, would have gathered by now
    expect(f.gathers).toEqual({ fast: 1, slow: 1 });
    f.release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toBe(rb);
    expect(f.gathers).toEqual({ fast: 1, slow: 1 });

    // Once done, two concurrent calls start exactly one new scan.
    const c = agent.scanNow();
    const d = agent.scanNow();
    await waitFor('the slow probe to start again', () => f.gathers.slow === 2);
    f.release();
    await Promise.all([c, d]);
    expect(f.gathers).toEqual({ fast: 2, slow: 2 });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^hostward_scans_total 2$/m);
  });

  it('scans on the schedule, and skips (and logs) a tick that finds a scan running', async () => {
    const f = fixture();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    // Every second (node-cron's six-field form).
    const agent = await startAgent({
      config: config({ schedule: '* * * * * *' }),
      probes: f.probes,
      log,
      port: 0,
      host: '127.0.0.1',
    });
    agents.push(agent);
    const msgs = () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    // The start-up scan reaches the slow probe (which holds it), then a tick comes and skips.
    await waitFor('the slow probe to start', () => f.gathers.slow === 1);
    await waitFor('the overlapping run to be skipped', () => msgs().includes('scan still running; skipping this run'));
    expect(f.gathers.slow).toBe(1);
    f.release();
    // The next tick after the start-up scan finished starts a new scan.
    await waitFor('the slow probe to start again', () => f.gathers.slow === 2);
    // Spare tokens, so a tick racing close() cannot hold it up.
    for (let i = 0; i < 3; i++) f.release();
  });

  it('rejects an invalid cron schedule at start with a clear error', async () => {
    const f = fixture();
    const bad = startAgent({
      config: config({ schedule: '*/5 * * *' }),
      probes: f.probes,
      log: silent,
      port: 0,
      host: '127.0.0.1',
    });
    await expect(bad).rejects.toBeInstanceOf(ScheduleError);
    await expect(bad).rejects.toThrow(/agent\.schedule: "\*\/5 \* \* \*" is not a valid cron expression/);
    await expect(
      startAgent({
        config: config({ schedule: 'every five minutes' }),
        probes: f.probes,
        log: silent,
        port: 0,
        host: '127.0.0.1',
      }),
    ).rejects.toThrow(/not a valid cron expression/);
  });

  it('logs scan errors without dying, and keeps serving', async () => {
    // A probe whose check table cannot be read makes runScan itself throw (not just the probe fail).
    const broken: Probe = {
      name: 'broken',
      description: 'its check table throws',
      gather: async () => ({}),
      get checks(): never {
        throw new Error('boom');
      },
    };
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const agent = await startAgent({
      config: config(),
      probes: [broken],
      log,
      catalogue: [],
      port: 0,
      host: '127.0.0.1',
    });
    agents.push(agent);
    await expect(agent.scanNow()).rejects.toThrow('boom');
    const url = `http://127.0.0.1:${agent.port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(promtool(text)).toBe('');
    expect(text).toMatch(/^hostward_scan_errors_total [12]$/m);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'scan failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ component: 'agent', err: 'boom' });
  });

  it('close() stops serving and waits for a running scan', async () => {
    const f = fixture();
    const { agent, url } = await start(f);
    await waitFor('the slow probe to start', () => f.gathers.slow === 1);
    let closed = false;
    const closing = agent.close().then(() => (closed = true));
    // It stops serving at once; had it not waited for the scan, it would have finished by then too.
    await waitFor('the agent to stop serving', () =>
      fetch(`${url}/healthz`).then(
        () => false,
        () => true,
      ),
    );
    expect(closed).toBe(false);
    f.release();
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // Closing twice is harmless.
    await agent.close();
  });
});
