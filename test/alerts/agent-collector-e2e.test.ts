/**
 * `hostward agent` (the built CLI, child-process scans over a fixture host root) delivering to
 * `hostward collector`: the failing ssh checks become fleet alerts under the node's Kubernetes name, the node's
 * host facts (OS, kernel, architecture, agent version) reach GET /v1/nodes and the node page, and a restarted
 * agent pod (same state directory) neither re-alerts nor forgets.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { promtool } from '../helpers/promtool.js';
import {
  CLI,
  makeDirs,
  requireBuild,
  startCollectorProcess,
  stop,
  waitDelivered,
  waitFor,
  TOKEN,
} from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import type { AlertGroup, NodeSummary } from '../../src/contracts.js';
import { VERSION } from '../../src/version.js';

let host: Materialized;
let d: Dirs;
let collector: Proc;
let state: string;
let cfg: string;

interface Agent {
  child: ChildProcess;
  logs: () => string;
  port: () => Promise<number>;
  exited: Promise<number | null>;
}

function startAgentProcess(): Agent {
  const child = spawn(process.execPath, [CLI, 'agent', '--root', host.root, '--port', '0', '--config', cfg], {
    env: {
      PATH: process.env.PATH,
      HOSTWARD_NODE_NAME: 'k8s-worker-7',
      HOSTWARD_COLLECTOR_URL: collector.base,
      HOSTWARD_TOKEN_FILE: d.token,
      HOSTWARD_STATE_DIR: state,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (logs += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (logs += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return {
    child,
    logs: () => logs,
    exited,
    port: () =>
      waitFor(
        () => Number(/"port":(\d+)[^\n]*agent listening/.exec(logs)?.[1] ?? NaN) || undefined,
        60_000,
        () => `the agent to start: ${logs}`,
      ),
  };
}

const alerts = async () =>
  (await (
    await fetch(`${collector.base}/v1/alerts`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  ).json()) as AlertGroup[];
const sinkLines = () => (existsSync(d.sink) ? readFileSync(d.sink, 'utf8').trim().split('\n').filter(Boolean) : []);

beforeAll(async () => {
  requireBuild();
  host = materialize('cloud-init-password');
  d = makeDirs();
  collector = await startCollectorProcess(d);
  state = mkdtempSync(path.join(os.tmpdir(), 'hostward-agent-state-'));
  cfg = path.join(state, '..', `${path.basename(state)}.yaml`);
  // procNetFallback off: the fixture root has no /proc/1/net, and this machine's own sockets (other tests' listeners,
  // such as 4194, coming and going) would open or resolve ports alerts between the two agents' scans.
  writeFileSync(
    cfg,
    'probes:\n  ssh: { live: false }\n  ports: { procNetFallback: false }\n' +
      'agent:\n  listen: 127.0.0.1\n  retryInitialMs: 50\n  retryMaxMs: 500\n',
  );
});

afterAll(async () => {
  if (collector) await stop(collector);
  host?.cleanup();
  rmSync(state, { recursive: true, force: true });
  rmSync(cfg, { force: true });
  rmSync(d.dir, { recursive: true, force: true });
});

describe('hostward agent → hostward collector', () => {
  it('delivers the failing checks; a restarted agent neither re-alerts nor forgets', async () => {
    const a = startAgentProcess();
    const port = await a.port();
    const g = await waitFor(
      async () => (await alerts()).find((x) => x.check === 'ssh.password_auth'),
      30_000,
      () => a.logs(),
    );
    expect(g).toMatchObject({ severity: 'high', status: 'open', nodes: ['k8s-worker-7'] });
    const nodes = (await (
      await fetch(`${collector.base}/v1/nodes`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json()) as NodeSummary[];
    expect(nodes).toEqual([
      expect.objectContaining({ node: 'k8s-worker-7', failing: expect.arrayContaining(['ssh.password_auth']) }),
    ]);
    // The host facts of the scanned root (its os-release and kernel release), the machine and the agent's version.
    expect(nodes[0]!.host).toEqual({
      osName: 'Debian GNU/Linux 12 (bookworm)',
      osId: 'debian',
      osVersion: '12',
      kernel: readFileSync(path.join(host.root, 'proc/sys/kernel/osrelease'), 'utf8').trim(),
      arch: os.machine(),
      agentVersion: VERSION,
      observedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // And the node page shows them.
    const page = await (
      await fetch(`${collector.base}/nodes/k8s-worker-7`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(page).toContain('<dd id="node-kernel">6.1.0-28-amd64</dd>');
    expect(page).toContain(`<dd id="node-agent-version">${VERSION}</dd>`);

    // The agent's metrics include the outbox, promtool-clean.
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^hostward_alerts_sent_total\{sink="collector"\} [1-9]/m.test(t) ? t : undefined;
      },
      10_000,
      () => 'sent counter',
    );
    expect(text).toMatch(/^hostward_outbox_events 0$/m);
    expect(text).toMatch(/^hostward_alerts_failed_total\{sink="collector"\} 0$/m);
    expect(promtool(text)).toBe('');
    const opened = await waitFor(
      () => (sinkLines().length > 0 ? sinkLines() : undefined),
      5000,
      () => 'sink',
    );
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.logs()).not.toContain('test-token');

    // Restart: same state dir; the first scan is unchanged. The re-send of open alerts (due at start)
    // refreshes the collector but changes no group, so no sink sees anything new.
    const b = startAgentProcess();
    const bPort = await b.port();
    // The collector has accepted the first scan's events (sent, nothing left in the outbox), and every group change
    // they could cause has reached the sink (its queue is empty): what the sink has not seen now, it never will.
    await waitFor(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${bPort}/metrics`)).text();
        return /^hostward_alerts_sent_total\{sink="collector"\} [1-9]/m.test(t) && /^hostward_outbox_events 0$/m.test(t)
          ? true
          : undefined;
      },
      30_000,
      () => b.logs(),
    );
    await waitDelivered(collector.base, ['file']);
    expect(sinkLines()).toEqual(opened);
    expect((await alerts()).find((x) => x.check === 'ssh.password_auth')).toMatchObject({
      status: 'open',
      nodes: ['k8s-worker-7'],
      openedAt: g.openedAt,
    });
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 90_000);
});
