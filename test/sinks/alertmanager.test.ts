/**
 * The Alertmanager sink against two real Alertmanagers (Debian's 0.25) on loopback, each with a webhook
 * receiver recording what it notified: nodes of one check grouped into one notification, an update when a
 * node joins, a node's resolve, the group's resolve, on both replicas; a replica that is down gets its
 * backlog when it comes back; a restarted Alertmanager (alerts are in memory only) has the firing alerts
 * again after one re-send interval.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/config.js';
import type { Config } from '../../src/config/config.js';
import { startCollector } from '../../src/collector/server.js';
import type { Collector } from '../../src/collector/server.js';
import { alertsForChange, alertsEndpoint, checkAlertmanagerUrl, firingAlert } from '../../src/sinks/alertmanager.js';
import { event, post, waitFor, TOKEN } from '../collector/helpers.js';
import { freePort, startAlertmanager, startReceiver } from './am.js';
import type { Am, AmNotification, Receiver } from './am.js';
import { CATALOGUE, CHECKS } from '../helpers/catalogue.js';

let dir: string;
let receiver: Receiver;
const ams: Am[] = [];
let collector: Collector | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-am-'));
  writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
  receiver = await startReceiver();
});
afterAll(async () => {
  await collector?.close();
  for (const a of ams) await a.stop();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function config(name: string, urls: string[]): Config {
  const c = defaultConfig();
  c.collector = {
    ...c.collector,
    listen: '127.0.0.1',
    db: path.join(dir, `${name}.db`),
    tokensFile: path.join(dir, 'tokens'),
    alertmanagerUrls: urls,
    alertmanagerResendSeconds: 1,
    cluster: 'lab-1',
    publicUrl: 'https://hostward.example.test/',
    deliveryRetryInitialMs: 50,
    deliveryRetryMaxMs: 300,
  };
  return c;
}

const quiet = pino({ level: 'silent' });

/** A counter of the collector's /metrics for one sink (names hold brackets, so no regex from them). */
async function sinkCounter(base: string, name: string, sink: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const prefix = `${name}{sink="${sink}"} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : NaN;
}
const notificationsAt = (p: string) => receiver.got.filter((g) => g.path === p).map((g) => g.body);
const nodesOf = (n: AmNotification, status: 'firing' | 'resolved') =>
  n.alerts
    .filter((a) => a.status === status)
    .map((a) => a.labels.node)
    .sort();

/** The first notification at `p` after index `from` that satisfies `ok`. */
async function notification(p: string, ok: (n: AmNotification) => boolean, what: string): Promise<AmNotification> {
  return waitFor(
    () => notificationsAt(p).find(ok),
    20_000,
    () =>
      `${what} at ${p}; got ${JSON.stringify(notificationsAt(p).map((n) => [n.status, nodesOf(n, 'firing'), nodesOf(n, 'resolved')]))}`,
    50,
  );
}

describe('payloads (pure)', () => {
  it('firing alert: labels, annotations with evidence and remediation, startsAt never after now, endsAt = now + 4 intervals', () => {
    const now = Date.parse('2026-11-24T10:00:00.000Z');
    const a = firingAlert(
      {
        node: 'worker-1',
        check: 'ssh.password_auth',
        probe: 'ssh',
        severity: 'high',
        title: 'SSH password authentication is disabled',
        message: 'PasswordAuthentication yes',
        evidence: [{ file: '/etc/ssh/sshd_config', line: 3, text: 'PasswordAuthentication yes' }],
        openedAt: '2026-11-24T10:05:00.000Z', // the agent's clock is ahead
      },
      now,
      240_000,
      { cluster: 'c1', publicUrl: 'https://h.example/', remediation: CHECKS.remediation },
    );
    expect(a.labels).toEqual({
      alertname: 'HostwardCheckFailed',
      check: 'ssh.password_auth',
      severity: 'high',
      node: 'worker-1',
      probe: 'ssh',
      cluster: 'c1',
    });
    expect(a.startsAt).toBe('2026-11-24T10:00:00.000Z');
    expect(a.endsAt).toBe('2026-11-24T10:04:00.000Z');
    expect(a.annotations.description).toBe(
      'PasswordAuthentication yes\n/etc/ssh/sshd_config:3: PasswordAuthentication yes',
    );
    expect(a.annotations.runbook).toBe(CHECKS.remediation('ssh.password_auth'));
    expect(a.annotations.runbook!.length).toBeGreaterThan(10);
    expect(a.annotations.runbook_url).toBe('https://h.example/?check=ssh.password_auth');
  });

  it('a change posts the current failing nodes and resolves removed nodes unless they fail again', () => {
    const now = Date.parse('2026-11-24T10:00:00.000Z');
    const row = (node: string) => ({
      node,
      check: 'kernel.x',
      probe: 'kernel',
      severity: 'medium' as const,
      title: 't',
      message: 'm',
      evidence: [],
      openedAt: null,
    });
    const change = {
      key: 'k',
      check: 'kernel.x',
      severity: 'medium' as const,
      title: 't',
      action: 'update' as const,
      status: 'open' as const,
      nodeCount: 1,
      nodes: ['a'],
      added: [],
      removed: ['b', 'c'],
      openedAt: '',
      updatedAt: '',
    };
    // "c" left in this (stale) change but fails again now: it must not be resolved.
    const alerts = alertsForChange(change, [row('a'), row('c')], now, 1000);
    expect(alerts.map((a) => [a.labels.node, a.startsAt === undefined ? 'resolved' : 'firing'])).toEqual([
      ['a', 'firing'],
      ['c', 'firing'],
      ['b', 'resolved'],
    ]);
    expect(alerts[2]!.endsAt).toBe(new Date(now).toISOString());
  });

  it('URLs: endpoint under a route prefix; credentials need https; bad ones name the key and never echo the URL', () => {
    expect(alertsEndpoint('http://am-0:9093')).toBe('http://am-0:9093/api/v2/alerts');
    expect(alertsEndpoint('http://am-0:9093/alertmanager/')).toBe('http://am-0:9093/alertmanager/api/v2/alerts');
    expect(() => checkAlertmanagerUrl('http://user:s3cretPW@am-0:9093', 'k')).toThrow(
      /k: a URL with credentials must be https/,
    );
    try {
      checkAlertmanagerUrl('ftp://user:s3cretPW@am', 'collector.alertmanagerUrls[1]');
    } catch (e) {
      expect((e as Error).message).toMatch(/collector\.alertmanagerUrls\[1\]/);
      expect((e as Error).message).not.toContain('s3cretPW');
    }
    expect(() => checkAlertmanagerUrl('not a url', 'k')).toThrow(/k: is not a valid URL/);
  });
});

describe('against two real Alertmanagers', () => {
  it('trigger (grouped across nodes), update, a node resolves, the group resolves: on both replicas', async () => {
    for (const i of [0, 1])
      ams.push(await startAlertmanager({ dir: path.join(dir, `am${i}`), receiverUrl: `${receiver.base}/am${i}` }));
    collector = await startCollector({
      config: config(
        'main',
        ams.map((a) => a.base),
      ),
      log: quiet,
      catalogue: CATALOGUE,
      port: 0,
      host: '127.0.0.1',
    });
    const base = `http://127.0.0.1:${collector.port}`;

    expect(
      (
        await post(
          base,
          ['worker-1', 'worker-2'].map((node, i) => event(i, { id: `o-${node}`, node })),
        )
      ).status,
    ).toBe(202);
    for (const p of ['/am0', '/am1']) {
      const n = await notification(
        p,
        (x) => x.status === 'firing' && nodesOf(x, 'firing').length === 2,
        'two nodes grouped',
      );
      expect(n.groupLabels).toEqual({ alertname: 'HostwardCheckFailed', check: 'ssh.password_auth' });
      expect(n.commonLabels).toEqual({
        alertname: 'HostwardCheckFailed',
        check: 'ssh.password_auth',
        severity: 'high',
        probe: 'ssh',
        cluster: 'lab-1',
      });
      expect(nodesOf(n, 'firing')).toEqual(['worker-1', 'worker-2']);
      const a = n.alerts[0]!;
      expect(a.annotations.summary).toMatch(
        /^ssh\.password_auth failing on worker-[12]: SSH password authentication is disabled$/,
      );
      expect(a.annotations.description).toContain('/etc/ssh/sshd_config:3: PasswordAuthentication yes');
      expect(a.annotations.runbook_url).toBe('https://hostward.example.test/?check=ssh.password_auth');
      expect(a.generatorURL).toBe('https://hostward.example.test/?check=ssh.password_auth');
      // startsAt is when the node started failing (the agent's observation), not when it was posted.
      expect(n.alerts.map((x) => x.startsAt).sort()).toEqual(['2026-11-24T10:00:00Z', '2026-11-24T10:00:01Z']);
    }

    expect((await post(base, [event(5, { id: 'o-worker-3', node: 'worker-3' })])).status).toBe(202);
    for (const p of ['/am0', '/am1'])
      await notification(p, (x) => nodesOf(x, 'firing').length === 3, 'update: worker-3 joined');

    expect((await post(base, [event(10, { id: 'p-worker-1', node: 'worker-1', status: 'pass' })])).status).toBe(202);
    for (const p of ['/am0', '/am1']) {
      const n = await notification(p, (x) => nodesOf(x, 'resolved').includes('worker-1'), 'worker-1 resolved');
      expect(n.status).toBe('firing');
      expect(nodesOf(n, 'firing')).toEqual(['worker-2', 'worker-3']);
    }

    expect(
      (
        await post(
          base,
          ['worker-2', 'worker-3'].map((node, i) => event(20 + i, { id: `p-${node}`, node, status: 'pass' })),
        )
      ).status,
    ).toBe(202);
    for (const p of ['/am0', '/am1']) {
      const n = await notification(p, (x) => x.status === 'resolved', 'group resolved');
      // worker-1, resolved and notified above, is in this one only while Alertmanager holds its resolved alert: it
      // drops a resolved alert once notified, and the sink's re-send of recent resolutions (every second here)
      // brings it back, so whether it is there depends on which came last. The group's own resolutions are.
      expect(nodesOf(n, 'resolved').filter((node) => node !== 'worker-1')).toEqual(['worker-2', 'worker-3']);
      expect(nodesOf(n, 'firing')).toEqual([]);
    }
    // Each replica is its own queue; every change reached both.
    expect(await sinkCounter(base, 'hostward_alerts_sent_total', 'alertmanager[0]')).toBe(4);
    expect(await sinkCounter(base, 'hostward_alerts_sent_total', 'alertmanager[1]')).toBe(4);
    await collector.close();
    collector = undefined;
    for (const a of ams.splice(0)) await a.stop();
  });

  it('a replica down for a while gets its backlog when it comes back, without holding up the other; a restarted one is refilled by the re-send', async () => {
    receiver.got.length = 0;
    const up = await startAlertmanager({ dir: path.join(dir, 'up'), receiverUrl: `${receiver.base}/up` });
    ams.push(up);
    const downPort = await freePort();
    const downBase = `http://127.0.0.1:${downPort}`;
    collector = await startCollector({
      config: config('outage', [up.base, downBase]),
      log: quiet,
      catalogue: CATALOGUE,
      port: 0,
      host: '127.0.0.1',
    });
    const base = `http://127.0.0.1:${collector.port}`;
    expect(
      (
        await post(base, [
          event(0, {
            id: 'k1',
            node: 'worker-7',
            check: 'kernel.randomize_va_space',
            probe: 'kernel',
            severity: 'medium',
          }),
        ])
      ).status,
    ).toBe(202);
    await notification('/up', (x) => nodesOf(x, 'firing').includes('worker-7'), 'the live replica is not held up');
    await waitFor(
      async () =>
        (await sinkCounter(base, 'hostward_alerts_failed_total', 'alertmanager[1]')) >= 2 ? true : undefined,
      10_000,
      () => 'failures to the down replica',
    );

    const late = await startAlertmanager({
      dir: path.join(dir, 'late'),
      receiverUrl: `${receiver.base}/late`,
      port: downPort,
    });
    ams.push(late);
    await notification('/late', (x) => nodesOf(x, 'firing').includes('worker-7'), 'backlog delivered after the outage');

    // Alertmanager keeps alerts in memory only: restart the first one, and the re-send (1 s) refills it.
    await up.stop();
    ams.splice(ams.indexOf(up), 1);
    const again = await startAlertmanager({
      dir: path.join(dir, 'up'),
      receiverUrl: `${receiver.base}/up`,
      port: up.port,
    });
    ams.push(again);
    const held = await waitFor(
      async () => {
        const list = await again.alerts();
        return list.find((a) => a.labels.node === 'worker-7' && a.status.state === 'active');
      },
      10_000,
      () => 'the restarted Alertmanager got the firing alert back',
    );
    expect(held.labels).toMatchObject({ check: 'kernel.randomize_va_space', severity: 'medium', cluster: 'lab-1' });
    // A firing alert ends on its own 4 re-send intervals after the last post if the collector goes away.
    expect(Date.parse(held.endsAt) - Date.now()).toBeLessThanOrEqual(4_000);

    // Resolve: an explicit endsAt reaches both replicas.
    expect(
      (
        await post(base, [
          event(30, {
            id: 'k2',
            node: 'worker-7',
            check: 'kernel.randomize_va_space',
            probe: 'kernel',
            severity: 'medium',
            status: 'pass',
          }),
        ])
      ).status,
    ).toBe(202);
    for (const am of [again, late]) {
      await waitFor(
        async () =>
          (await am.alerts()).some((a) => a.labels.node === 'worker-7' && a.status.state === 'active')
            ? undefined
            : true,
        10_000,
        () => 'resolved on every replica',
      );
    }
    await collector.close();
    collector = undefined;
  });
});

describe('re-send and routing (local receiver)', () => {
  it('re-sends routed failing pairs and, for a while, the alerts it resolved; an update posts only its delta', async () => {
    const { alertmanagerSink } = await import('../../src/sinks/alertmanager.js');
    const { startFake } = await import('./fakes.js');
    const fake = await startFake(() => ({ status: 200, body: '' }));
    const row = (node: string, check: string, severity: 'high' | 'low') => ({
      node,
      check,
      probe: check.split('.')[0]!,
      severity,
      title: 't',
      message: 'm',
      evidence: [],
      openedAt: '2026-11-24T09:00:00.000Z',
    });
    let failing = [row('a', 'ssh.x', 'high'), row('b', 'ssh.x', 'high'), row('a', 'tls.y', 'low')];
    const sink = alertmanagerSink({ name: 'am[0]', configName: 'am', url: fake.base, resendMs: 3_600_000 });
    sink.attach!({
      fleet: {
        failing: (c, s) => failing.filter((f) => f.check === c && f.severity === s),
        allFailing: () => failing,
        failingOn: () => new Map(),
      },
      log: quiet,
      routed: (check) => check.startsWith('ssh.'),
    });
    try {
      const base = {
        key: 'k',
        check: 'ssh.x',
        severity: 'high' as const,
        title: 't',
        status: 'open' as const,
        openedAt: '',
        updatedAt: '',
      };
      failing = [
        row('a', 'ssh.x', 'high'),
        row('b', 'ssh.x', 'high'),
        row('c', 'ssh.x', 'high'),
        row('a', 'tls.y', 'low'),
      ];
      await sink.deliver(
        { ...base, action: 'update', nodeCount: 2, nodes: ['b', 'c'], added: ['c'], removed: ['a'] },
        AbortSignal.timeout(5000),
      );
      failing = failing.filter((f) => f.node !== 'a' || f.check !== 'ssh.x');
      const posted = fake.received[0]!.body as { labels: { node: string }; endsAt: string; startsAt?: string }[];
      // "a" is still failing in fleet state at post time here, so it is not resolved; "c" fires; "b" is not re-posted.
      expect(posted.map((p) => `${p.labels.node}:${p.startsAt ? 'firing' : 'resolved'}`)).toEqual(['c:firing']);
      await sink.deliver(
        { ...base, action: 'update', nodeCount: 2, nodes: ['b', 'c'], added: [], removed: ['a'] },
        AbortSignal.timeout(5000),
      );
      expect(
        (fake.received[1]!.body as { labels: { node: string }; startsAt?: string }[]).map(
          (p) => `${p.labels.node}:${p.startsAt ? 'firing' : 'resolved'}`,
        ),
      ).toEqual(['a:resolved']);
      await sink.resendNow();
      const resent = fake.received[2]!.body as { labels: { node: string; check: string }; startsAt?: string }[];
      // Only routed checks (ssh.*), every failing node, and the recent resolve of "a".
      expect(
        resent.map((p) => `${p.labels.check}/${p.labels.node}:${p.startsAt ? 'firing' : 'resolved'}`).sort(),
      ).toEqual(['ssh.x/a:resolved', 'ssh.x/b:firing', 'ssh.x/c:firing']);
    } finally {
      await sink.close!();
      await fake.close();
    }
  });
});

describe("Alertmanager's own inhibition with hostward's labels", () => {
  it('a critical ssh alert on a node mutes the medium ssh alert on the same node (inhibit_rules equal: [node, cluster])', async () => {
    receiver.got.length = 0;
    const am = await startAlertmanager({
      dir: path.join(dir, 'inhibit'),
      receiverUrl: `${receiver.base}/inh`,
      extra: `inhibit_rules:
  - source_matchers: [alertname="HostwardCheckFailed", severity="critical", probe="ssh"]
    target_matchers: [alertname="HostwardCheckFailed", severity="medium", probe="ssh"]
    equal: [node, cluster]
`,
    });
    ams.push(am);
    collector = await startCollector({
      config: config('inhibit', [am.base]),
      log: quiet,
      catalogue: CATALOGUE,
      port: 0,
      host: '127.0.0.1',
    });
    const base = `http://127.0.0.1:${collector.port}`;
    expect(
      (
        await post(base, [
          event(1, { id: 'i1', node: 'n1', check: 'ssh.root_login', severity: 'critical' }),
          event(2, { id: 'i2', node: 'n1', check: 'ssh.weak_macs', severity: 'medium' }),
          event(3, { id: 'i3', node: 'n2', check: 'ssh.weak_macs', severity: 'medium' }),
        ])
      ).status,
    ).toBe(202);
    const weak = await notification('/inh', (x) => x.groupLabels.check === 'ssh.weak_macs', 'weak_macs notified');
    await notification('/inh', (x) => x.groupLabels.check === 'ssh.root_login', 'root_login notified');
    expect(nodesOf(weak, 'firing')).toEqual(['n2']);
    const held = await am.alerts();
    const n1weak = held.find((a) => a.labels.node === 'n1' && a.labels.check === 'ssh.weak_macs');
    expect(n1weak?.status.state).toBe('suppressed');
    await collector.close();
    collector = undefined;
  });
});
