/**
 * collector.tls: the collector as a real process serving HTTPS with certificates made by openssl in a temp
 * dir; client certificates required (mTLS) or optional; the bearer token still required; the agent's
 * sender delivering over mTLS with agent.tls files; no key material in the logs.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Outbox } from '../../src/alerts/outbox.js';
import { Sender } from '../../src/alerts/sender.js';
import { createAlertMetrics } from '../../src/alerts/metrics.js';
import { CLI, event, makeDirs, requireBuild, startCollectorProcess, stop, waitFor, TOKEN } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';
import { makePki } from '../helpers/web.js';
import type { Pki } from '../helpers/web.js';

interface Answer {
  status: number;
  body: string;
}

/** One HTTPS request; resolves with the answer or rejects with the connection's error. */
function call(
  port: number,
  pathName: string,
  opts: { pki: Pki; client?: 'client' | 'rogue'; token?: string | null; body?: unknown },
): Promise<Answer> {
  const { pki } = opts;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? TOKEN}`;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: pathName,
        method: body === undefined ? 'GET' : 'POST',
        headers,
        ca: readFileSync(pki.ca),
        agent: false,
        ...(opts.client === 'client' ? { cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } : {}),
        ...(opts.client === 'rogue' ? { cert: readFileSync(pki.rogueCert), key: readFileSync(pki.rogueKey) } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function stored(port: number, pki: Pki): Promise<number> {
  const m = await call(port, '/metrics', { pki, client: 'client' });
  return Number(/^hostward_collector_events_stored_total (\S+)$/m.exec(m.body)?.[1]);
}

let pkiDir: string;
let pki: Pki;
let required: { d: Dirs; c: Proc } | undefined;
let optional: { d: Dirs; c: Proc } | undefined;

beforeAll(async () => {
  requireBuild();
  pkiDir = mkdtempSync(path.join(os.tmpdir(), 'hostward-pki-'));
  pki = makePki(pkiDir);
  const tls = (requireClientCert: boolean) =>
    `  tls:\n    certFile: ${pki.serverCert}\n    keyFile: ${pki.serverKey}\n    clientCaFile: ${pki.ca}\n    requireClientCert: ${requireClientCert}\n`;
  const d1 = makeDirs(tls(true));
  required = { d: d1, c: await startCollectorProcess(d1) };
  const d2 = makeDirs(tls(false));
  optional = { d: d2, c: await startCollectorProcess(d2) };
});

afterAll(async () => {
  for (const x of [required, optional]) {
    if (!x) continue;
    expect(await stop(x.c)).toBe(0);
    rmSync(x.d.dir, { recursive: true, force: true });
  }
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

describe('collector.tls with requireClientCert: true (mTLS)', () => {
  it('a client without a certificate is refused during the handshake, and nothing is stored', async () => {
    await expect(call(required!.c.port, '/v1/events', { pki, body: [event(1)] })).rejects.toThrow(
      /certificate required|alert|socket hang up|ECONNRESET/i,
    );
    await expect(call(required!.c.port, '/healthz', { pki })).rejects.toThrow();
    expect(await stored(required!.c.port, pki)).toBe(0);
  });

  it('a certificate from another CA is refused', async () => {
    await expect(call(required!.c.port, '/v1/events', { pki, client: 'rogue', body: [event(1)] })).rejects.toThrow(
      /unknown ca|alert|ECONNRESET|hang up/i,
    );
  });

  it('plain HTTP to the HTTPS port gets no answer from the API', async () => {
    const res = await fetch(`http://127.0.0.1:${required!.c.port}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(res).not.toBe(200);
  });

  it('with the client certificate the bearer token is still required', async () => {
    expect(
      (await call(required!.c.port, '/v1/events', { pki, client: 'client', token: null, body: [event(1)] })).status,
    ).toBe(401);
    expect(
      (await call(required!.c.port, '/v1/events', { pki, client: 'client', token: 'wrong', body: [event(1)] })).status,
    ).toBe(401);
    const ok = await call(required!.c.port, '/v1/events', { pki, client: 'client', body: [event(1), event(2)] });
    expect(ok).toEqual({ status: 202, body: '{"accepted":2}' });
    expect(await stored(required!.c.port, pki)).toBe(2);
  });

  it("the agent's sender delivers over mTLS with agent.tls files, and not without its certificate", async () => {
    const log = pino({ level: 'silent' });
    const dir = required!.d.dir;
    const run = async (name: string, tls: { caFile?: string; certFile?: string; keyFile?: string }, ids: string[]) => {
      let outbox: Outbox | undefined;
      const metrics = createAlertMetrics(() => outbox);
      outbox = Outbox.open({ dir: path.join(dir, `outbox-${name}`), maxBytes: 1 << 20, maxAgeMs: 3600_000, log });
      outbox.append(ids.map((id, i) => event(100 + i, { id, node: `tls-${name}` })));
      const sender = new Sender({
        outbox,
        url: `https://127.0.0.1:${required!.c.port}`,
        tokenFile: required!.d.token,
        tls,
        log,
        metrics,
        retryInitialMs: 20,
        retryMaxMs: 100,
        rejectedFile: path.join(dir, `rejected-${name}`),
        timeoutMs: 3000,
      });
      sender.start();
      return { outbox, sender, metrics };
    };
    const good = await run('good', { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }, [
      's-1',
      's-2',
      's-3',
    ]);
    await waitFor(
      () => good.outbox.depth === 0 || undefined,
      10_000,
      () => `outbox depth ${good.outbox.depth}`,
    );
    await good.sender.close();
    expect(await stored(required!.c.port, pki)).toBe(5);

    const bad = await run('nocert', { caFile: pki.ca }, ['n-1']);
    await waitFor(
      async () =>
        ((await bad.metrics.registry.getSingleMetricAsString('hostward_alerts_failed_total')).match(/ (\d+)$/m)?.[1] ??
          '0') !== '0' || undefined,
      10_000,
      () => 'a failed attempt',
    );
    expect(bad.outbox.depth).toBe(1); // kept for later, not dropped
    await bad.sender.close();
    expect(await stored(required!.c.port, pki)).toBe(5);
  });

  it('logs name the files, never key material or tokens', () => {
    const logs = required!.c.logs();
    expect(logs).toContain('collector listening');
    expect(logs).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(logs).not.toContain(TOKEN);
    const keyBody = readFileSync(pki.serverKey, 'utf8').split('\n')[1]!;
    expect(logs).not.toContain(keyBody);
  });
});

describe('collector.tls with a client CA but requireClientCert: false', () => {
  it('no client certificate is fine (the token decides), one from another CA is refused with 403', async () => {
    expect((await call(optional!.c.port, '/v1/events', { pki, token: null, body: [event(1)] })).status).toBe(401);
    expect((await call(optional!.c.port, '/v1/events', { pki, body: [event(1)] })).status).toBe(202);
    expect((await call(optional!.c.port, '/v1/events', { pki, client: 'client', body: [event(2)] })).status).toBe(202);
    const rogue = await call(optional!.c.port, '/v1/events', { pki, client: 'rogue', body: [event(3)] });
    expect(rogue.status).toBe(403);
    expect(rogue.body).toMatch(/client certificate not accepted/);
    expect(await stored(optional!.c.port, pki)).toBe(2);
  });
});

describe('collector.tls configuration errors stop the start, naming the key', () => {
  const start = (extra: string) => {
    const d = makeDirs(extra);
    try {
      const r = spawnSync(process.execPath, [CLI, 'collector', '--port', '0', '--config', d.config], {
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
        timeout: 15_000,
      });
      return { status: r.status, out: r.stdout + r.stderr };
    } finally {
      rmSync(d.dir, { recursive: true, force: true });
    }
  };
  it('an unreadable key file; requireClientCert without a client CA; a missing certFile', () => {
    const bad = start(`  tls:\n    certFile: ${pki.serverCert}\n    keyFile: /nonexistent/server.key\n`);
    expect(bad.status).toBe(2);
    expect(bad.out).toMatch(/collector\.tls\.keyFile: cannot read \/nonexistent\/server\.key: ENOENT/);
    const noCa = start(
      `  tls:\n    certFile: ${pki.serverCert}\n    keyFile: ${pki.serverKey}\n    requireClientCert: true\n`,
    );
    expect(noCa.status).toBe(2);
    expect(noCa.out).toMatch(/collector\.tls\.requireClientCert: needs collector\.tls\.clientCaFile/);
    const noCert = start(`  tls:\n    keyFile: ${pki.serverKey}\n`);
    expect(noCert.status).toBe(2);
    expect(noCert.out).toMatch(/collector\.tls: certFile and keyFile are required/);
  });
});
