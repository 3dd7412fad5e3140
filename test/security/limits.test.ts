/**
 * Request size limits of the built `hostward collector` (collector.maxBodyBytes, here 64 KiB) and
 * `hostward agent`: an oversized body gets 413 (declared, or streamed chunked without a length), oversized
 * headers 431, a body sent to a GET-only endpoint is refused; each answered promptly over raw TCP, and
 * the server stays up and keeps serving normal requests.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { event, makeDirs, post, requireBuild, startCollectorProcess, stop, TOKEN } from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import { startAgentProcess, stopAgent } from '../faults/agent.js';
import type { AgentProc } from '../faults/agent.js';

const LIMIT = 64 * 1024;

/** Send raw bytes (head, then body in pieces) and return the status line the server answers with. */
function raw(port: number, head: string, body: Buffer | undefined, chunked = false): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within 10 s: ${got.slice(0, 200)}`));
    }, 10_000);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        clearTimeout(timer);
        sock.destroy();
        resolve({ status: Number(m[1]) });
      }
    });
    sock.on('error', (e) => {
      // The server may cut the connection after answering; an answer already read counts.
      if (!/^HTTP\/1\.1 \d{3}/.test(got)) {
        clearTimeout(timer);
        reject(e);
      }
    });
    sock.on('connect', () => {
      sock.write(head);
      if (!body) return;
      // In pieces, as a slow client would; stop once the answer came.
      let off = 0;
      const piece = () => {
        if (sock.destroyed || off >= body.length) {
          if (chunked && !sock.destroyed) sock.write('0\r\n\r\n');
          return;
        }
        const part = body.subarray(off, off + 16 * 1024);
        off += part.length;
        sock.write(
          chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part,
          () => setImmediate(piece),
        );
      };
      piece();
    });
  });
}

const bigHeader = (host: string) =>
  `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Filler: ${'a'.repeat(100 * 1024)}\r\n\r\n`;

let d: Dirs | undefined;
let collector: Proc | undefined;
let host: Materialized | undefined;
let agent: AgentProc | undefined;

beforeAll(async () => {
  requireBuild();
  d = makeDirs(`  maxBodyBytes: ${LIMIT}\n`);
  collector = await startCollectorProcess(d);
  host = materialize('kernel-weak-node');
  const cfg = path.join(d.dir, 'agent.yaml');
  writeFileSync(cfg, 'scan:\n  probes: [kernel]\nagent:\n  listen: 127.0.0.1\n  watch: { enabled: false }\n');
  agent = startAgentProcess({
    root: host.root,
    config: cfg,
    env: { HOSTWARD_STATE_DIR: path.join(d.dir, 'agent-state'), HOSTWARD_NODE_NAME: 'limits' },
  });
  await agent.port();
}, 60_000);

afterAll(async () => {
  if (agent) await stopAgent(agent);
  if (collector) await stop(collector);
  host?.cleanup();
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

async function stillServes(port: number): Promise<void> {
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
}

describe('collector', () => {
  const auth = `Authorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n`;
  const body = Buffer.from(JSON.stringify([event(1, { message: 'x'.repeat(LIMIT * 4) })]));

  it('413 for a body over the limit, declared by Content-Length, without reading it all', async () => {
    const r = await raw(
      collector!.port,
      `POST /v1/events HTTP/1.1\r\nHost: c\r\n${auth}Content-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(r.status).toBe(413);
    await stillServes(collector!.port);
  });

  it('413 for a chunked body that grows past the limit', async () => {
    const r = await raw(
      collector!.port,
      `POST /v1/events HTTP/1.1\r\nHost: c\r\n${auth}Transfer-Encoding: chunked\r\n\r\n`,
      body,
      true,
    );
    expect(r.status).toBe(413);
    await stillServes(collector!.port);
  });

  it('431 for 100 KiB of headers', async () => {
    expect((await raw(collector!.port, bigHeader('c'), undefined)).status).toBe(431);
    await stillServes(collector!.port);
  });

  it('a body just under the limit is still accepted, so the limit is where it says', async () => {
    // Many events of ordinary size (a single message has its own, smaller limit).
    const batch = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => event(i, { id: `${prefix}-${i}`, node: `n-${i}`, message: 'y'.repeat(400) }));
    const one = JSON.stringify(batch(1, 'size')).length;
    const n = Math.floor((LIMIT - 1000) / one);
    const ok = batch(n, 'limits-ok');
    expect(JSON.stringify(ok).length).toBeGreaterThan(LIMIT - 2 * one);
    expect(JSON.stringify(ok).length).toBeLessThan(LIMIT);
    expect((await post(collector!.base, ok)).status).toBe(202);
    const over = batch(n + 3, 'limits-over');
    expect(JSON.stringify(over).length).toBeGreaterThan(LIMIT);
    expect((await post(collector!.base, over)).status).toBe(413);
  });
});

describe('agent', () => {
  it('431 for 100 KiB of headers', async () => {
    const port = await agent!.port();
    expect((await raw(port, bigHeader('a'), undefined)).status).toBe(431);
    await stillServes(port);
  });

  // Refused without waiting for the body: raw() gives up after 10 s without an answer (how long is no assertion).
  it('a 16 MiB body to its GET-only endpoints is refused, and it keeps serving', async () => {
    const port = await agent!.port();
    const big = Buffer.alloc(16 * 1024 * 1024, 0x61);
    for (const p of ['/metrics', '/v1/report', '/healthz']) {
      const r = await raw(port, `POST ${p} HTTP/1.1\r\nHost: a\r\nContent-Length: ${big.length}\r\n\r\n`, big);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
    }
    await stillServes(port);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
  });
});
