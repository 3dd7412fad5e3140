/**
 * Issue 9: an alert muted by inhibition is announced once what muted it resolves. Through real collector
 * processes (the built CLI) with named file sinks and a webhook receiver on 127.0.0.1; the second test
 * kills the collector (SIGKILL) while the announcement is being refused and checks it arrives, once,
 * after the restart.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { GroupChange } from '../../src/collector/sink.js';
import type { Severity } from '../../src/contracts.js';
import {
  event,
  kill9,
  makeDirs,
  post,
  requireBuild,
  startCollectorProcess,
  stop,
  waitDelivered,
  waitFor,
} from './helpers.js';
import type { Dirs, Proc } from './helpers.js';

const INHIBIT = `    inhibit:
      - source: { check: "ssh.*", severity: critical }
        target: { check: "ssh.*", severity: [medium, low] }
`;

const procs: Proc[] = [];
const dirs: Dirs[] = [];
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await stop(p);
  for (const d of dirs) rmSync(d.dir, { recursive: true, force: true });
});
beforeAll(() => requireBuild());

const ev = (i: number, node: string, check: string, severity: Severity, status: 'fail' | 'pass' = 'fail') =>
  event(i, { id: `${node}-${check}-${status}-${i}`, node, check, probe: check.split('.')[0]!, severity, status });
const show = (l: GroupChange) => `${l.check}:${l.action}:${l.nodeCount}:${l.nodes.join(',')}:+${l.added.join(',')}`;

describe('a muted group is announced when its inhibiting check resolves', () => {
  it('file sinks: open for a group never sent, update for one sent without the node; once; other nodes unaffected; muting later sends nothing', async () => {
    const pre = makeDirs();
    const file = (n: string) => path.join(pre.dir, `${n}.ndjson`);
    const d = makeDirs(`  sinks:
    - { name: pager, type: file, path: ${file('pager')} }
    - { name: ops, type: file, path: ${file('ops')} }
  routing:
    routes:
      - { match: { severity: critical }, sinks: [pager] }
    default: [ops]
${INHIBIT}`);
    dirs.push(pre, d);
    const lines = (n: string): GroupChange[] =>
      existsSync(file(n))
        ? readFileSync(file(n), 'utf8')
            .split('\n')
            .filter((l) => l)
            .map((l) => JSON.parse(l) as GroupChange)
        : [];
    const p = await startCollectorProcess(d);
    procs.push(p);

    expect(
      (
        await post(p.base, [
          ev(1, 'a', 'ssh.root_login', 'critical'),
          ev(2, 'a', 'ssh.weak_macs', 'medium'), // only on a: muted, not sent
          ev(3, 'a', 'ssh.banner', 'low'), // a muted ...
          ev(4, 'b', 'ssh.banner', 'low'), // ... b not: sent with b only
        ])
      ).status,
    ).toBe(202);
    await waitFor(
      () => (lines('pager').length >= 1 && lines('ops').length >= 1) || undefined,
      10_000,
      () => `first deliveries: ${p.logs()}`,
    );
    await waitDelivered(p.base, ['pager', 'ops']);
    expect(lines('pager').map(show)).toEqual(['ssh.root_login:open:1:a:+a']);
    expect(lines('ops').map(show)).toEqual(['ssh.banner:open:1:b:+b']);

    // The critical is fixed on a: both groups now show a, each once.
    expect((await post(p.base, [ev(10, 'a', 'ssh.root_login', 'critical', 'pass')])).status).toBe(202);
    await waitFor(
      () => (lines('ops').length >= 3 && lines('pager').length >= 2) || undefined,
      10_000,
      () => `re-announcements: ${JSON.stringify(lines('ops'))}`,
    );
    await waitDelivered(p.base, ['pager', 'ops']);
    expect(lines('pager').map(show)).toEqual(['ssh.root_login:open:1:a:+a', 'ssh.root_login:resolve:0::+']);
    expect(lines('ops').slice(1).map(show).sort()).toEqual(['ssh.banner:update:2:a,b:+a', 'ssh.weak_macs:open:1:a:+a']);

    // The reverse: a fails the critical again (muted again: nothing to ops), another node's critical comes
    // and goes (nothing it muted), and the critical on a is fixed again: ops already shows a, so no news.
    expect(
      (await post(p.base, [ev(20, 'a', 'ssh.root_login', 'critical'), ev(21, 'c', 'ssh.root_login', 'critical')]))
        .status,
    ).toBe(202);
    await waitFor(
      () => lines('pager').length >= 3 || undefined,
      10_000,
      () => 'second critical',
    );
    expect((await post(p.base, [ev(22, 'c', 'ssh.root_login', 'critical', 'pass')])).status).toBe(202);
    expect((await post(p.base, [ev(23, 'a', 'ssh.root_login', 'critical', 'pass')])).status).toBe(202);
    await waitFor(
      () => (lines('pager').length >= 5 && lines('pager').at(-1)!.action === 'resolve') || undefined,
      10_000,
      () => JSON.stringify(lines('pager')),
    );
    await waitDelivered(p.base, ['pager', 'ops']);
    expect(lines('ops')).toHaveLength(3);
    expect(lines('ops').filter((l) => l.check === 'ssh.weak_macs')).toHaveLength(1);

    // A later change of the group that was announced is an ordinary update showing a.
    expect((await post(p.base, [ev(30, 'd', 'ssh.weak_macs', 'medium')])).status).toBe(202);
    await waitFor(
      () => lines('ops').length >= 4 || undefined,
      10_000,
      () => 'update',
    );
    expect(show(lines('ops')[3]!)).toBe('ssh.weak_macs:update:2:a,d:+d');
    expect(await stop(p)).toBe(0);
  }, 40_000);

  it('survives a collector killed between the resolve and the announcement: delivered once after the restart', async () => {
    // A webhook receiver that refuses (503) while `refusing`: the announcement stays queued.
    let refusing = false;
    const accepted: GroupChange[] = [];
    let refused = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (s: string) => (body += s));
      req.on('end', () => {
        if (refusing) {
          refused++;
          res.writeHead(503).end();
          return;
        }
        accepted.push(JSON.parse(body) as GroupChange);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const pre = makeDirs();
      writeFileSync(
        path.join(pre.dir, 'hook-url'),
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook\n`,
      );
      const d = makeDirs(`  sinks:
    - { name: pager, type: file, path: ${path.join(pre.dir, 'pager.ndjson')} }
    - { name: hook, type: webhook, urlFile: ${path.join(pre.dir, 'hook-url')} }
  routing:
    routes:
      - { match: { severity: critical }, sinks: [pager] }
    default: [hook]
${INHIBIT}`);
      dirs.push(pre, d);
      let p = await startCollectorProcess(d);
      procs.push(p);
      expect(
        (
          await post(p.base, [
            ev(1, 'a', 'ssh.root_login', 'critical'),
            ev(2, 'a', 'ssh.weak_macs', 'medium'),
            ev(3, 'b', 'ssh.kex', 'medium'), // b fails only a medium check: unaffected throughout
          ])
        ).status,
      ).toBe(202);
      await waitFor(
        () => accepted.length >= 1 || undefined,
        10_000,
        () => `kex open: ${p.logs()}`,
      );
      await waitDelivered(p.base, ['pager', 'hook']);
      expect(accepted.map(show)).toEqual(['ssh.kex:open:1:b:+b']);

      refusing = true;
      expect((await post(p.base, [ev(10, 'a', 'ssh.root_login', 'critical', 'pass')])).status).toBe(202);
      await waitFor(
        () => refused >= 2 || undefined,
        10_000,
        () => `no attempt to announce: ${p.logs()}`,
      );
      await kill9(p);

      refusing = false;
      p = await startCollectorProcess(d);
      procs.push(p);
      await waitFor(
        () => accepted.length >= 2 || undefined,
        10_000,
        () => `announcement after restart: ${p.logs()}`,
      );
      await waitDelivered(p.base, ['pager', 'hook']);
      expect(accepted.map(show)).toEqual(['ssh.kex:open:1:b:+b', 'ssh.weak_macs:open:1:a:+a']);
      expect(await stop(p)).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 40_000);
});

describe('the ledger, driven by hand over a real store', () => {
  it('a permanent refusal of an announcement gives it up without blocking the cue; a retried cue announces nothing twice', async () => {
    const { Store } = await import('../../src/collector/store.js');
    const { SqliteFleetView } = await import('../../src/sinks/fleet.js');
    const { InhibitionLedger, Router, routedSink } = await import('../../src/sinks/routing.js');
    const { parseRouting } = await import('../../src/sinks/routing-config.js');
    const { SinkError } = await import('../../src/collector/sink.js');
    const { pino } = await import('pino');
    const store = new Store({ file: ':memory:', sinks: ['s'] });
    try {
      const got: GroupChange[] = [];
      let refuse = false;
      const inner = {
        name: 's',
        deliver: (c: GroupChange) => {
          if (refuse && c.check === 'ssh.weak_macs') return Promise.reject(new SinkError('400 bad', true));
          got.push(c);
          return Promise.resolve();
        },
      };
      const router = new Router(
        parseRouting({ inhibit: [{ source: { severity: 'critical' }, target: { severity: 'medium' } }] }, 'r'),
        ['s'],
      );
      const sink = routedSink(inner, router);
      const ledger = new InhibitionLedger(store.db);
      sink.attach!({
        fleet: new SqliteFleetView(store.db),
        log: pino({ level: 'silent' }),
        routed: () => true,
        ledger,
      } as Parameters<NonNullable<typeof sink.attach>>[0]);
      const signal = new AbortController().signal;
      const drain = async () => {
        for (let d = store.nextDelivery('s'); d; d = store.nextDelivery('s')) {
          await sink.deliver(d.change, signal);
          store.markSent(d.id);
        }
      };
      store.ingest([[ev(1, 'a', 'ssh.root_login', 'critical'), ev(2, 'a', 'ssh.weak_macs', 'medium')]]);
      await drain();
      expect(got.map(show)).toEqual(['ssh.root_login:open:1:a:+a']);
      expect(ledger.withholding('s', ['a']).map((e) => [e.change.check, e.told, e.muted])).toEqual([
        ['ssh.weak_macs', false, ['a']],
      ]);

      refuse = true;
      store.ingest([[ev(3, 'a', 'ssh.root_login', 'critical', 'pass')]]);
      await drain();
      // The resolve (the cue) went out; the refused announcement is given up, not retried forever.
      expect(got.map(show)).toEqual(['ssh.root_login:open:1:a:+a', 'ssh.root_login:resolve:0::+']);
      expect(ledger.withholding('s', ['a'])).toEqual([]);

      // The same cue delivered again (a crash before it was marked): nothing is announced twice.
      refuse = false;
      const cue = JSON.parse(
        (store.db.prepare(`SELECT change FROM deliveries ORDER BY id DESC LIMIT 1`).get() as { change: string }).change,
      ) as GroupChange;
      await sink.deliver(cue, signal);
      expect(got.filter((c) => c.check === 'ssh.weak_macs')).toEqual([]);
    } finally {
      store.close();
    }
  });
});
