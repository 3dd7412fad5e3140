/**
 * hostward's own listener is judged like any other: no blanket allow of its port, and ports.agent_exposed
 * decides on what the agent answers without authentication, from the listener facts the engine passes to
 * probes (ctx.ownListeners) without knowing which probe reads them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import type { OwnListener, Report } from '../../src/contracts.js';
import { defineProbe } from '../../src/sdk.js';
import type { Probe, ProbeContext } from '../../src/sdk.js';
import { portsProbe } from '../../probes/ports/index.js';
import { gatherPorts } from '../../probes/ports/gather.js';
import type { PortsFacts } from '../../probes/ports/types.js';
import type { PortsOptions } from '../../probes/ports/options.js';
import { DEFAULT_ALLOW_LIST } from '../../probes/ports/options.js';
import { materialize } from '../helpers/hosts.js';
import { loopbackOnly, rootWithListeners, silent, tcpListen } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const METRICS_OPEN = [{ path: '/metrics', reveals: "every check's status" }];
const listener = (over: Partial<OwnListener>): OwnListener => ({
  service: 'hostward agent',
  address: '10.0.1.23',
  port: 9750,
  protocol: 'tcp',
  tls: false,
  authentication: [],
  open: METRICS_OPEN,
  ...over,
});

async function scan(
  root: string,
  own: OwnListener[] | undefined,
  mode: 'scan' | 'agent' = 'scan',
): Promise<Map<string, Report['findings'][number]>> {
  const config = defaultConfig();
  config.root = root;
  // Network parts off: these tests read /proc of a fixture root and send nothing.
  config.probes = { ports: { reachability: false, metadataCheck: false } };
  const r = await runScan({ probes: [portsProbe], config, log: silent, mode, ...(own ? { ownListeners: own } : {}) });
  return new Map(r.findings.map((f) => [f.check, f]));
}

function worker(): string {
  const m = materialize('ports-worker-clean');
  cleanups.push(m.cleanup);
  return m.root;
}

describe('no blanket allow of the agent port', () => {
  it('9750/tcp is not in the default allow-list', () => {
    expect(DEFAULT_ALLOW_LIST.filter((p) => p.startsWith('9750'))).toEqual([]);
  });

  it('a one-off scan sees the agent listener ([::]:9750) as any other: unexpected', async () => {
    const f = (await scan(worker(), undefined)).get('ports.unexpected_listeners')!;
    expect(f.status).toBe('fail');
    expect(f.message).toContain('1 listening socket beyond loopback not in the allow-list: tcp [::]:9750');
    expect((await scan(worker(), undefined)).get('ports.agent_exposed')!.status).toBe('skip');
  });

  it("with the agent's facts, its socket is left to ports.agent_exposed and the allow-list check passes", async () => {
    const by = await scan(worker(), [listener({ address: '::', tls: true, authentication: ['basic'], open: [] })]);
    const u = by.get('ports.unexpected_listeners')!;
    expect(u.status, u.message).toBe('pass');
    expect(u.message).toContain("hostward's own listener ([::]:9750) is judged by ports.agent_exposed");
    const a = by.get('ports.agent_exposed')!;
    expect(a.status).toBe('pass');
    // The socket of /proc/1/net/tcp6 is the evidence beside the agent's own account.
    expect(a.evidence).toContainEqual({ file: '/proc/1/net/tcp6', line: 5, text: 'tcp :::9750 (the socket)' });
    expect(a.evidence[0]).toEqual({ text: 'hostward agent https://[::]:9750 requires basic' });
  });
});

describe("telling the agent's socket from another process's on the same port", () => {
  it('the socket held by the agent (pid 4100, node) is its own; with another pid it is judged as any listener', async () => {
    const mine = (
      await scan(worker(), [listener({ address: '::', authentication: ['bearer'], open: [], pid: 4100 })])
    ).get('ports.unexpected_listeners')!;
    expect(mine.status, mine.message).toBe('pass');
    // An agent on the pod network listens in its own namespace: the host's [::]:9750 belongs to someone else.
    const other = (
      await scan(worker(), [listener({ address: '::', authentication: ['bearer'], open: [], pid: 31337 })])
    ).get('ports.unexpected_listeners')!;
    expect(other.status).toBe('fail');
    expect(other.message).toContain('tcp [::]:9750 node (pid 4100');
  });
});

describe('ports.agent_exposed', () => {
  it('fails beyond loopback without authentication, naming what is open and what it reveals', async () => {
    const a = (await scan(worker(), [listener({}), listener({ address: '127.0.0.1' })])).get('ports.agent_exposed')!;
    expect(a.status).toBe('fail');
    expect(a.severity).toBe('medium');
    expect(a.message).toBe(
      "hostward agent answers anyone on 10.0.1.23:9750 without authentication: /metrics (every check's status)",
    );
    expect(a.references.some((r) => r === 'CIS Kubernetes Benchmark v1.12 4.2.1')).toBe(true);
    expect(a.remediation).toContain('agent.webConfigFile');
  });

  it('on a wildcard address it says that means every address', async () => {
    const a = (await scan(worker(), [listener({ address: '0.0.0.0' })])).get('ports.agent_exposed')!;
    expect(a.status).toBe('fail');
    expect(a.message).toContain("0.0.0.0:9750 (every address of its network namespace: the host's, with hostNetwork)");
  });

  it('passes with authentication, and says so when it crosses the network in plain HTTP', async () => {
    const tls = (await scan(worker(), [listener({ tls: true, authentication: ['basic', 'bearer'], open: [] })])).get(
      'ports.agent_exposed',
    )!;
    expect(tls.status).toBe('pass');
    expect(tls.message).toBe("hostward's endpoints beyond loopback (10.0.1.23:9750) require basic or bearer");
    const plain = (await scan(worker(), [listener({ authentication: ['bearer'], open: [] })])).get(
      'ports.agent_exposed',
    )!;
    expect(plain.status).toBe('pass');
    expect(plain.message).toContain(
      'over plain HTTP on 10.0.1.23:9750, credentials cross the network readable (add tls_server_config)',
    );
  });

  it('passes on loopback only, whatever it asks', async () => {
    const a = (await scan(worker(), [listener({ address: '127.0.0.1' }), listener({ address: '::1' })])).get(
      'ports.agent_exposed',
    )!;
    expect(a.status).toBe('pass');
    expect(a.message).toBe('hostward listens on loopback only (127.0.0.1:9750, [::1]:9750)');
  });

  it('is unknown in the agent when the agent passed no facts, and skipped in a one-off scan', async () => {
    // A root without the host's /proc/1/net in agent mode sends nothing (auto network checks stay off).
    const m = materialize('ports-no-proc');
    cleanups.push(m.cleanup);
    const agent = (await scan(m.root, undefined, 'agent')).get('ports.agent_exposed')!;
    expect(agent.status).toBe('unknown');
    expect(agent.message).toBe('the agent did not say how it serves its endpoints');
    const oneOff = (await scan(m.root, undefined, 'scan')).get('ports.agent_exposed')!;
    expect(oneOff.status).toBe('skip');
  });
});

describe('the reachability scan leaves the agent port to ports.agent_exposed', () => {
  it('a reachable port that is the agent own is not unexpected; another one is', async () => {
    const agentPort = await tcpListen('127.0.0.1');
    const other = await tcpListen('127.0.0.1');
    const root = rootWithListeners([agentPort.port, other.port]);
    cleanups.push(root.cleanup);
    const calls: string[] = [];
    const probe = defineProbe<PortsFacts, PortsOptions>({
      ...(portsProbe as unknown as Probe<PortsFacts, PortsOptions>),
      gather: (ctx) => gatherPorts(ctx, { connect: loopbackOnly(calls) }),
    });
    try {
      const config = defaultConfig();
      config.root = root.root;
      config.probes = {
        ports: {
          reachability: true,
          reachabilityTargets: ['127.0.0.1'],
          nodePortRange: '1-1',
          metadataCheck: false,
          connectTimeoutMs: 200,
        },
      };
      const own = [listener({ address: '0.0.0.0', port: agentPort.port, authentication: ['bearer'], open: [] })];
      const r = await runScan({ probes: [probe], config, log: silent, mode: 'agent', ownListeners: own });
      const reach = r.findings.find((f) => f.check === 'ports.reachable_unexpected')!;
      expect(reach.status).toBe('fail');
      expect(reach.message).toContain(`1 reachable TCP port not in the allow-list: 127.0.0.1:${other.port} (socket)`);
      expect(reach.message).toContain(
        `hostward's own listener (0.0.0.0:${agentPort.port}) is judged by ports.agent_exposed`,
      );
      expect(calls.every((c) => c.startsWith('127.0.0.1:'))).toBe(true);
    } finally {
      await agentPort.close();
      await other.close();
    }
  });
});

describe('the engine passes ownListeners to every probe, without naming one', () => {
  it('ctx.ownListeners is what runScan was given, and absent when it was given none', async () => {
    const seen: (readonly OwnListener[] | undefined)[] = [];
    const probe = defineProbe<null>({
      name: 'spy',
      description: 'records its context',
      checks: [],
      gather: async (ctx: ProbeContext) => {
        seen.push(ctx.ownListeners);
        return null;
      },
    });
    const config = defaultConfig();
    config.root = worker();
    const own = [listener({})];
    await runScan({ probes: [probe], config, log: silent, ownListeners: own });
    await runScan({ probes: [probe], config, log: silent });
    expect(seen).toEqual([own, undefined]);
  });
});
