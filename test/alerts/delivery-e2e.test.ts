/**
 * Agent → collector with real processes on 127.0.0.1: the agent's outbox (test/alerts/driver.mjs, the
 * built dist/src/alerts/ without scans) and the built `hostward collector`. Kill -9 either side in the
 * middle of a burst: every event ends up stored exactly once.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { openDatabase } from '../../src/collector/sqlite.js';
import {
  DRIVER,
  kill9,
  makeDirs,
  metric,
  requireBuild,
  startCollectorProcess,
  stop,
  waitFor,
} from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import { memoryTempDir } from '../helpers/scratch.js';

interface Driver {
  child: ChildProcess;
  status: () => { depth: number; sent: number; failed: number; corrupt: number; dropped: number } | undefined;
  drained: () => boolean;
  exited: Promise<number | null>;
  err: () => string;
}

function startDriver(state: string, base: string, token: string, args: string[] = []): Driver {
  const child = spawn(process.execPath, [DRIVER, '--state', state, '--url', base, '--token', token, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let last: ReturnType<Driver['status']>;
  let drained = false;
  let err = '';
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const v = JSON.parse(l) as { drained?: boolean; depth?: number };
      if (v.drained) drained = true;
      else last = v as NonNullable<ReturnType<Driver['status']>>;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { child, status: () => last, drained: () => drained, exited, err: () => err };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Ids stored for a prefix, and the total row count for it (the primary key makes a duplicate impossible; count anyway).
 */
function storedIds(db: string, prefix: string): { ids: Set<string>; rows: number } {
  const d = openDatabase(db, { readOnly: true });
  try {
    const rows = d.prepare(`SELECT id FROM events WHERE id LIKE ? || '-%'`).all(prefix) as { id: string }[];
    return { ids: new Set(rows.map((r) => r.id)), rows: rows.length };
  } finally {
    d.close();
  }
}

function expectExactlyOnce(db: string, prefix: string, n: number): void {
  const { ids, rows } = storedIds(db, prefix);
  expect(rows).toBe(n);
  for (let i = 0; i < n; i++) if (!ids.has(`${prefix}-${i}`)) throw new Error(`${prefix}-${i} was not stored`);
}

let d: Dirs;
let port: number;
let collector: Proc | undefined;
const agentDirs: string[] = [];
const children: ChildProcess[] = [];
const agentState = () => {
  const s = memoryTempDir('hostward-agent-state-'); // the outbox fsyncs every append and every ack
  agentDirs.push(s);
  return s;
};

beforeAll(async () => {
  requireBuild();
  d = makeDirs();
  port = await freePort();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (collector) await stop(collector);
  for (const s of agentDirs) rmSync(s, { recursive: true, force: true });
  rmSync(d.dir, { recursive: true, force: true });
});

describe('exactly once across crashes (real processes, loopback)', () => {
  it('kill -9 the collector in the middle of a burst of 10,000 events, restart it: every event stored exactly once', async () => {
    collector = await startCollectorProcess(d, port);
    const drv = startDriver(agentState(), collector.base, d.token, [
      '--enqueue',
      '10000',
      '--prefix',
      'burst',
      '--batch',
      '100',
    ]);
    children.push(drv.child);
    const atKill = await waitFor(
      async () => {
        const n = await metric(collector!.base, 'hostward_collector_events_stored_total').catch(() => NaN);
        return n >= 2000 ? n : undefined;
      },
      60_000,
      () => `burst did not start: ${drv.err()}`,
      5,
    );
    await kill9(collector);
    expect(atKill).toBeLessThan(10_000);
    const before = storedIds(d.db, 'burst').rows;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(10_000);
    // Down for a moment: the agent fails, backs off, keeps its outbox.
    const failedBefore = drv.status()?.failed ?? 0;
    await waitFor(
      () => ((drv.status()?.failed ?? 0) > failedBefore ? true : undefined),
      20_000,
      () => `no failed send: ${drv.err()}`,
    );
    expect(drv.status()!.depth).toBeGreaterThan(0);
    collector = await startCollectorProcess(d, port);
    await waitFor(
      () => drv.drained() || undefined,
      60_000,
      () => `agent did not drain: ${JSON.stringify(drv.status())} ${drv.err()}`,
    );
    expect(drv.status()!.failed).toBeGreaterThan(0);
    expectExactlyOnce(d.db, 'burst', 10_000);
    drv.child.kill('SIGTERM');
    expect(await drv.exited).toBe(0);
  }, 120_000);

  it('collector stopped for a while: the outbox grows across agent restarts, then drains completely', async () => {
    expect(await stop(collector!)).toBe(0);
    collector = undefined;
    const state = agentState();
    const a = startDriver(state, `http://127.0.0.1:${port}`, d.token, ['--enqueue', '1500', '--prefix', 'outage']);
    children.push(a.child);
    await waitFor(
      () => ((a.status()?.failed ?? 0) > 0 ? true : undefined),
      20_000,
      () => `no failed send: ${a.err()}`,
    );
    expect(a.status()!.depth).toBe(1500);
    a.child.kill('SIGTERM');
    await a.exited;
    const b = startDriver(state, `http://127.0.0.1:${port}`, d.token, ['--enqueue', '1500', '--prefix', 'outage2']);
    children.push(b.child);
    await waitFor(
      () => ((b.status()?.failed ?? 0) > 0 ? true : undefined),
      20_000,
      () => `no failed send: ${b.err()}`,
    );
    // Both runs' events are kept: the depth reaches 3000 (a drop would leave it short, and this wait would fail).
    await waitFor(
      () => (b.status()?.depth === 3000 ? true : undefined),
      20_000,
      () => `depth ${JSON.stringify(b.status())}`,
    );
    expect(b.drained()).toBe(false);
    collector = await startCollectorProcess(d, port);
    await waitFor(
      () => b.drained() || undefined,
      60_000,
      () => `agent did not drain: ${JSON.stringify(b.status())}`,
    );
    expect(b.status()).toMatchObject({ depth: 0, corrupt: 0, dropped: 0 });
    expectExactlyOnce(d.db, 'outage', 1500);
    expectExactlyOnce(d.db, 'outage2', 1500);
    b.child.kill('SIGTERM');
    await b.exited;
  }, 120_000);

  it('kill -9 the agent mid-send, restart it: nothing lost, nothing duplicated', async () => {
    const state = agentState();
    const stored0 = await metric(collector!.base, 'hostward_collector_events_stored_total');
    const dup0 = await metric(collector!.base, 'hostward_collector_events_duplicate_total');
    const a = startDriver(state, collector!.base, d.token, [
      '--enqueue',
      '10000',
      '--prefix',
      'agentkill',
      '--batch',
      '100',
    ]);
    children.push(a.child);
    await waitFor(
      async () =>
        (await metric(collector!.base, 'hostward_collector_events_stored_total')) >= stored0 + 2000 ? true : undefined,
      60_000,
      () => `agent did not send: ${a.err()}`,
      5,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    const before = storedIds(d.db, 'agentkill').rows;
    expect(before).toBeLessThan(10_000);
    const b = startDriver(state, collector!.base, d.token, ['--exit-when-drained']);
    children.push(b.child);
    expect(await b.exited).toBe(0);
    expectExactlyOnce(d.db, 'agentkill', 10_000);
    // The collector stored exactly 10,000 new events; whatever the killed agent had in flight came again
    // and was accepted as a duplicate, not stored.
    expect(await metric(collector!.base, 'hostward_collector_events_stored_total')).toBe(stored0 + 10_000);
    const dups = (await metric(collector!.base, 'hostward_collector_events_duplicate_total')) - dup0;
    expect(dups).toBeGreaterThanOrEqual(0);
    expect(dups).toBeLessThanOrEqual(100);
  }, 120_000);
});
