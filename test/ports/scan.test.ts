/**
 * The ports probe through the real engine (runScan): every ports-* fixture root against its expectations,
 * the reachability scan and the metadata check against loopback listeners in agent mode, and, across all of
 * it, every ports check passing somewhere and failing somewhere.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Finding, OwnListener, Report } from '../../src/contracts.js';
import type { Probe } from '../../src/sdk.js';
import { defineProbe } from '../../src/sdk.js';
import { portsProbe } from '../../probes/ports/index.js';
import { gatherPorts } from '../../probes/ports/gather.js';
import type { PortsFacts } from '../../probes/ports/types.js';
import type { PortsOptions } from '../../probes/ports/options.js';
import { fixtureNames, materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { closedPort, loopbackOnly, rootWithListeners, silent, tcpListen } from './helpers.js';
import type { Listening } from './helpers.js';

const seen = new Map<string, Set<string>>();
const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function record(findings: readonly Finding[]): void {
  for (const f of findings) {
    const s = seen.get(f.check) ?? new Set<string>();
    s.add(f.status);
    seen.set(f.check, s);
  }
}

/** The probe with its connector held to loopback: what every agent-mode test here runs. */
function guardedProbe(calls: string[] = []): Probe {
  return defineProbe<PortsFacts, PortsOptions>({
    ...(portsProbe as unknown as Probe<PortsFacts, PortsOptions>),
    gather: (ctx) => gatherPorts(ctx, { connect: loopbackOnly(calls) }),
  });
}

async function scan(
  root: string,
  ports: Record<string, unknown>,
  mode: 'scan' | 'agent' = 'scan',
  probe: Probe = portsProbe,
  ownListeners?: OwnListener[],
): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.probes = { ports };
  const r = await runScan({ probes: [probe], config, log: silent, mode, ...(ownListeners ? { ownListeners } : {}) });
  record(r.findings);
  return r;
}

const byCheck = (r: Report) => new Map(r.findings.map((f) => [f.check, f]));
const fixtures = fixtureNames().filter((n) => n.startsWith('ports-'));

describe.each(fixtures)('fixture %s', (name) => {
  it('produces the expected ports findings', async () => {
    const m: Materialized = materialize(name);
    cleanups.push(m.cleanup);
    const r = await scan(m.root, m.spec.probes?.ports ?? {}, 'scan', portsProbe, m.spec.ownListeners);
    expect(r.probes).toEqual([expect.objectContaining({ probe: 'ports', status: 'ok' })]);
    const by = byCheck(r);
    const problems: string[] = [];
    for (const [check, want] of Object.entries(m.spec.expected)) {
      expect(check.startsWith('ports.'), `${name} lists only ports checks`).toBe(true);
      const w = typeof want === 'string' ? { status: want } : want;
      const got = by.get(check);
      if (!got) problems.push(`${check}: no finding`);
      else if (got.status !== w.status) problems.push(`${check}: ${got.status} (want ${w.status}): ${got.message}`);
      else if (w.message && !got.message.includes(w.message))
        problems.push(`${check}: message "${got.message}" lacks "${w.message}"`);
    }
    expect(problems).toEqual([]);
    for (const f of r.findings) {
      expect(f.message.length).toBeGreaterThan(0);
      for (const e of f.evidence)
        if (e.file) expect(e.file.startsWith(m.root), `${f.check}: evidence is a host path`).toBe(false);
    }
  });
});

describe('fixture details', () => {
  it('evidence names the file, line, process, pod and command line of each socket', async () => {
    const m = materialize('ports-exposed');
    cleanups.push(m.cleanup);
    // allowList replaces the default, so the kernel's VXLAN socket (8472/udp) is listed too.
    const f = byCheck(await scan(m.root, { allowList: ['22/tcp'] })).get('ports.unexpected_listeners')!;
    expect(f.evidence).toContainEqual({
      file: '/proc/1/net/tcp',
      line: 11,
      text: 'tcp 0.0.0.0:6379 redis-server (pid 4242, uid 999, pod 8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3, cri-o 4b5c6d7e8f90) [redis-server *:6379]',
    });
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ file: '/proc/1/net/udp', text: 'udp 0.0.0.0:8472 kernel socket, no process' }),
    );
  });

  it('exports hostward_listening_sockets{protocol,port,scope}, one series per group', async () => {
    const m = materialize('ports-worker-clean');
    cleanups.push(m.cleanup);
    const r = await scan(m.root, {});
    expect(
      r.measurements.every(
        (x) =>
          x.metric === 'hostward_listening_sockets' &&
          Object.keys(x.labels).sort().join() === 'port,protocol,scope' &&
          x.value === 1,
      ),
    ).toBe(true);
    const series = r.measurements.map((x) => `${x.labels.protocol}/${x.labels.port}/${x.labels.scope}`);
    expect(series).toEqual([
      'tcp/22/any',
      'tcp/53/loopback',
      'udp/53/loopback',
      'udp/68/any',
      'tcp/179/any',
      'udp/323/loopback',
      'udp/4789/any',
      'tcp/8080/loopback',
      'tcp/9750/any',
      'tcp/10248/loopback',
      'tcp/10249/loopback',
      'tcp/10250/any',
      'tcp/10256/any',
    ]);
    expect(new Set(series).size).toBe(series.length);
  });

  it('the scan is bounded in a fixture with a symlink loop among fds', async () => {
    const m = materialize('ports-truncated');
    cleanups.push(m.cleanup);
    const r = await scan(m.root, {});
    expect(r.probes[0]!.status).toBe('ok');
  });
});

describe('agent mode against loopback listeners (no packet leaves 127.0.0.0/8)', () => {
  let allowedListener: Listening;
  let nodePort: Listening;
  let closed: number;
  let root: { root: string; cleanup(): void };
  const calls: string[] = [];
  beforeAll(async () => {
    allowedListener = await tcpListen('127.0.0.1');
    nodePort = await tcpListen('127.0.0.1');
    closed = await closedPort();
    // The root lists only allowedListener as a socket: nodePort is reachable without one, as a NodePort is.
    root = rootWithListeners([allowedListener.port]);
    cleanups.push(
      () => allowedListener.close(),
      () => nodePort.close(),
      () => root.cleanup(),
    );
  });
  afterAll(() => {
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => /^127\.0\.0\.1:\d+$/.test(c))).toBe(true);
  });

  const base = () => ({
    reachability: true,
    reachabilityTargets: ['127.0.0.1'],
    nodePortRange: `${nodePort.port}-${nodePort.port}`,
    extraAllowList: [`${allowedListener.port}/tcp`],
    metadataCheck: true,
    metadataAddress: '127.0.0.1',
    metadataPort: closed,
    connectTimeoutMs: 200,
    scanBudgetSeconds: 5,
  });

  it('reachable NodePorts without a socket are reported and pass when NodePorts are allowed; the closed metadata port passes', async () => {
    const r = await scan(root.root, base(), 'agent', guardedProbe(calls));
    const by = byCheck(r);
    const reach = by.get('ports.reachable_unexpected')!;
    expect(reach.status, reach.message).toBe('pass');
    expect(reach.message).toContain(
      `Reachable NodePorts (${nodePort.port}-${nodePort.port}): 127.0.0.1:${nodePort.port} (no socket: NodePort/hostPort DNAT or proxy)`,
    );
    expect(reach.message).toContain('NodePorts and hostPorts hold no socket');
    const md = by.get('ports.metadata_reachable')!;
    expect(md.status, md.message).toBe('pass');
    expect(md.message).toContain('ECONNREFUSED');
  });

  it('fails on a reachable port outside the allow-list, and on a metadata endpoint that answers', async () => {
    const r = await scan(
      root.root,
      { ...base(), allowNodePorts: false, metadataPort: allowedListener.port },
      'agent',
      guardedProbe(calls),
    );
    const by = byCheck(r);
    const reach = by.get('ports.reachable_unexpected')!;
    expect(reach.status).toBe('fail');
    expect(reach.message).toContain(
      `1 reachable TCP port not in the allow-list: 127.0.0.1:${nodePort.port} (no socket: NodePort/hostPort DNAT or proxy)`,
    );
    const md = by.get('ports.metadata_reachable')!;
    expect(md.status).toBe('fail');
    expect(md.message).toContain(`127.0.0.1:${allowedListener.port}`);
  });

  it('a reachable listener that has a socket and is not allowed fails, naming it', async () => {
    const r = await scan(root.root, { ...base(), extraAllowList: [] }, 'agent', guardedProbe(calls));
    const reach = byCheck(r).get('ports.reachable_unexpected')!;
    expect(reach.status).toBe('fail');
    expect(reach.message).toContain(`127.0.0.1:${allowedListener.port} (socket)`);
  });

  it('auto mode in the agent on a host-namespace root scans only addresses of this host', async () => {
    const m = materialize('ports-worker-clean');
    cleanups.push(m.cleanup);
    // metadataAddress on loopback: the default 169.254.169.254 is never contacted by a test. Outside a
    // Kubernetes pod `auto` leaves the metadata check off; inside one (KUBERNETES_SERVICE_HOST set) it runs.
    const outside = byCheck(
      await scan(
        m.root,
        { metadataAddress: '127.0.0.1', metadataPort: closed, metadataTimeoutMs: 200 },
        'agent',
        guardedProbe(calls),
      ),
    );
    expect(outside.get('ports.metadata_reachable')!.status).toBe('skip');
    expect(outside.get('ports.metadata_reachable')!.message).toContain('outside a Kubernetes pod');
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    let r: Awaited<ReturnType<typeof scan>>;
    try {
      r = await scan(
        m.root,
        { metadataAddress: '127.0.0.1', metadataPort: closed, metadataTimeoutMs: 200 },
        'agent',
        guardedProbe(calls),
      );
    } finally {
      if (saved === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved;
    }
    const by = byCheck(r);
    const reach = by.get('ports.reachable_unexpected')!;
    expect(reach.status).toBe('unknown');
    expect(reach.message).toContain(
      "10.0.1.23 (not an address of hostward's network namespace: a connect would leave the host)",
    );
    expect(by.get('ports.metadata_reachable')!.status).toBe('pass');
  });

  it('auto mode stays off in the agent when hostward cannot tell it reads the host namespace', async () => {
    const m = materialize('ports-no-proc');
    cleanups.push(m.cleanup);
    const before = calls.length;
    const r = await scan(m.root, {}, 'agent', guardedProbe(calls));
    const by = byCheck(r);
    expect(by.get('ports.reachable_unexpected')!.status).toBe('skip');
    expect(by.get('ports.reachable_unexpected')!.message).toContain(
      "cannot tell that it is in the host's network namespace",
    );
    expect(by.get('ports.metadata_reachable')!.status).toBe('skip');
    expect(calls.length).toBe(before);
  });
});

describe('coverage', () => {
  it('every ports check passes somewhere and fails somewhere', () => {
    const missing = portsProbe.checks
      .map((c) => [c.id, seen.get(c.id) ?? new Set<string>()] as const)
      .filter(([, s]) => !s.has('pass') || !s.has('fail'))
      .map(([id, s]) => `${id}: ${[...s].join(',') || 'never seen'}`);
    expect(missing).toEqual([]);
  });
});
