/**
 * The connect scan: rate limit, budget, abort, target selection. SAFETY: connects go only to 127.0.0.1
 * listeners started here, through loopbackOnly; the rest uses a fake connector that sends nothing.
 */
import { describe, it, expect } from 'vitest';
import { connectScan, selectTargets } from '../../probes/ports/reachability.js';
import type { Connector } from '../../probes/ports/reachability.js';
import { gatherPorts } from '../../probes/ports/gather.js';
import { materialize } from '../helpers/hosts.js';
import { closedPort, context, loopbackOnly, tcpListen } from './helpers.js';

const fake =
  (open: (port: number) => boolean, log: number[] = []): Connector =>
  async (_a, port) => {
    log.push(performance.now());
    return { open: open(port), detail: open(port) ? 'connected' : 'ECONNREFUSED' };
  };
const plan = { ratePerSecond: 1000, concurrency: 8, connectTimeoutMs: 100, budgetMs: 5000 };

describe('connectScan', () => {
  it('finds the open ports among loopback listeners', async () => {
    const a = await tcpListen('127.0.0.1');
    const b = await tcpListen('127.0.0.1');
    const c = await closedPort();
    try {
      const calls: string[] = [];
      const r = await connectScan({ ...plan, targets: ['127.0.0.1'], ports: [a.port, b.port, c] }, loopbackOnly(calls));
      expect(r.open).toEqual([
        { address: '127.0.0.1', port: Math.min(a.port, b.port) },
        { address: '127.0.0.1', port: Math.max(a.port, b.port) },
      ]);
      expect(r).toMatchObject({ attempted: 3, planned: 3 });
      expect(r.incomplete).toBeUndefined();
      expect(calls).toHaveLength(3);
    } finally {
      await a.close();
      await b.close();
    }
  });
  it('is rate-limited: 60 connects at 200/s take at least ~0.3 s, whatever the concurrency', async () => {
    const times: number[] = [];
    const r = await connectScan(
      {
        ...plan,
        ratePerSecond: 200,
        concurrency: 64,
        targets: ['127.0.0.1'],
        ports: Array.from({ length: 60 }, (_, i) => 1000 + i),
      },
      fake(() => false, times),
    );
    expect(r.attempted).toBe(60);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(59 * 5 - 20);
  });
  it('stops at the budget and says the result is incomplete', async () => {
    const r = await connectScan(
      {
        ...plan,
        ratePerSecond: 50,
        budgetMs: 200,
        targets: ['127.0.0.1'],
        ports: Array.from({ length: 100 }, (_, i) => 2000 + i),
      },
      fake(() => false),
    );
    expect(r.attempted).toBeLessThan(30);
    expect(r.planned).toBe(100);
    expect(r.incomplete).toContain('budget');
  });
  it('stops on abort', async () => {
    const ac = new AbortController();
    // Aborted once the scan is under way (its second connect), not after a fixed time.
    const times: number[] = [];
    const connect = fake(() => false, times);
    const r = await connectScan(
      { ...plan, ratePerSecond: 20, targets: ['127.0.0.1'], ports: Array.from({ length: 100 }, (_, i) => 3000 + i) },
      async (address, port, ...rest) => {
        const answer = await connect(address, port, ...rest);
        if (times.length === 2) ac.abort();
        return answer;
      },
      ac.signal,
    );
    expect(r.incomplete).toBe('aborted');
    expect(r.attempted).toBeLessThan(10);
  });
});

describe('selectTargets', () => {
  it("keeps only this host's addresses and loopback, no link-local IPv6, at most max", () => {
    const own = new Set(['10.0.1.23', 'fd00::2', 'fe80::1']);
    const r = selectTargets(['10.0.1.23', '203.0.113.9', 'fe80::1', '127.0.0.1', 'fd00::2', '10.0.1.23'], own, 2);
    expect(r.targets).toEqual(['10.0.1.23', '127.0.0.1']);
    expect(r.skipped.map((s) => `${s.address}: ${s.reason.split(' ')[0]}`)).toEqual([
      '203.0.113.9: not',
      'fe80::1: link-local',
      'fd00::2: more',
    ]);
  });
});

describe('scan mode sends no packet', () => {
  const trap: Connector = async (a, p) => {
    throw new Error(`connect to ${a}:${p} in scan mode`);
  };
  it('on this machine (root /) and on a host-namespace fixture root, with default options', async () => {
    const m = materialize('ports-worker-clean');
    try {
      for (const root of ['/', m.root]) {
        const f = await gatherPorts(context(root, {}), { connect: trap });
        expect('off' in f.reachability && f.reachability.off).toContain('one-off scan');
        expect('off' in f.metadata && f.metadata.off).toContain('one-off scan');
      }
    } finally {
      m.cleanup();
    }
  });
  it('explicit false wins in the agent too', async () => {
    const f = await gatherPorts(context('/', { reachability: false, metadataCheck: false }, 'agent'), {
      connect: trap,
    });
    expect('off' in f.reachability && f.reachability.off).toContain('probes.ports.reachability: false');
    expect('off' in f.metadata && f.metadata.off).toContain('probes.ports.metadataCheck: false');
  });
});
