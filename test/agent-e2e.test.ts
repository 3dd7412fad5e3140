/**
 * The agent as the DaemonSet runs it: the built CLI, scans in child processes over a fixture host root,
 * the real exposition checked by promtool, and a clean exit on SIGTERM.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { materialize } from './helpers/hosts.js';
import type { Materialized } from './helpers/hosts.js';
import { promtool } from './helpers/promtool.js';
import { waitFor } from './helpers/wait.js';
import { childScanner } from '../src/agent/child-scan.js';
import { PROBES } from '../probes/registry.js';
import type { Report } from '../src/contracts.js';

const CLI = path.resolve('dist/src/cli/main.js');
const TOKEN = 'e2e-agent-token-4f1c2a9d';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
let host: Materialized;
let agent: ChildProcess;
let base: string;
let logs = '';

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  host = materialize('cloud-init-password');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-agent-'));
  const cfg = path.join(dir, 'hostward.yaml');
  writeFileSync(cfg, 'probes:\n  ssh: { live: false }\nagent:\n  listen: 127.0.0.1\n');
  // exporter-toolkit's flag, with hostward's bearer tokens: /metrics and /v1/report ask for the token.
  writeFileSync(path.join(dir, 'tokens'), `${TOKEN}\n`);
  writeFileSync(path.join(dir, 'web.yml'), 'bearer_tokens_file: tokens\n');
  agent = spawn(
    process.execPath,
    [
      '--expose-gc',
      CLI,
      'agent',
      '--root',
      host.root,
      '--port',
      '0',
      '--config',
      cfg,
      '--web.config.file',
      path.join(dir, 'web.yml'),
    ],
    {
      env: { PATH: process.env.PATH, HOSTWARD_NODE_NAME: 'e2e-node' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  agent.stdout!.setEncoding('utf8').on('data', (d: string) => (logs += d));
  agent.stderr!.setEncoding('utf8').on('data', (d: string) => (logs += d));
  const port = await waitFor(
    () => `the agent to listen: ${logs}`,
    () => Number(/"port":(\d+)[^\n]*agent listening/.exec(logs)?.[1] ?? 0) || undefined,
    10_000,
  );
  base = `http://127.0.0.1:${port}`;
  await waitFor(
    () => `the agent to be ready: ${logs}`,
    async () => (await fetch(`${base}/readyz`)).status === 200,
    10_000,
    50,
  );
});

afterAll(() => {
  agent?.kill('SIGKILL');
  host?.cleanup();
});

describe('hostward agent (built CLI, child-process scans)', () => {
  it('serves promtool-clean metrics with the ssh findings', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const res = await fetch(`${base}/metrics`, auth);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(promtool(text)).toBe('');
    expect(text).toMatch(/^hostward_check_status\{check="ssh\.password_auth",probe="ssh",severity="high"\} 1$/m);
    expect(text).toMatch(/^hostward_check_status\{check="ssh\.dropin_permissions",probe="ssh",severity="high"\} 1$/m);
    expect(text).toMatch(/^hostward_probe_success\{probe="ssh"\} 1$/m);
    expect(text).toMatch(/^hostward_node_info\{os="debian",os_version="12",kernel="6\.1\.0-28-amd64"\} 1$/m);
    expect(text).not.toMatch(/node="|instance="/);
  });

  it('serves the last report to an authenticated request', async () => {
    expect((await fetch(`${base}/v1/report`)).status).toBe(401);
    const r = (await (await fetch(`${base}/v1/report`, auth)).json()) as Report;
    expect(r.node).toBe('e2e-node');
    expect(r.root).toBe(host.root);
    expect(r.findings.find((f) => f.check === 'ssh.password_auth')?.status).toBe('fail');
  });

  it('hands its own listener to the scan child: the ports probe judges it (loopback, bearer)', async () => {
    const r = (await (await fetch(`${base}/v1/report`, auth)).json()) as Report;
    const f = r.findings.find((x) => x.check === 'ports.agent_exposed')!;
    const port = new URL(base).port;
    expect(f.status, f.message).toBe('pass');
    expect(f.message).toBe(`hostward listens on loopback only (127.0.0.1:${port})`);
    expect(f.evidence[0]!.text).toBe(`hostward agent http://127.0.0.1:${port} requires bearer`);
  });

  it('logs JSON lines without secrets and stops cleanly on SIGTERM', async () => {
    expect(logs).toMatch(/"msg":"scan finished"/);
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('childScanner', () => {
  it('rejects with a reason when the scan process fails or prints no report', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-child-'));
    writeFileSync(path.join(d, 'bad.yaml'), 'scan: { failOn: nope }\n');
    await expect(
      childScanner({ probes: PROBES, cli: CLI, root: '/', configFile: path.join(d, 'bad.yaml'), timeoutMs: 10_000 })(),
    ).rejects.toThrow(/exit 2/);
    writeFileSync(path.join(d, 'fake.mjs'), 'console.log("not json")');
    await expect(
      childScanner({ probes: PROBES, cli: path.join(d, 'fake.mjs'), root: '/', timeoutMs: 10_000 })(),
    ).rejects.toThrow(/printed no report/);
    writeFileSync(path.join(d, 'hang.mjs'), 'setInterval(() => {}, 1000)');
    await expect(
      childScanner({ probes: PROBES, cli: path.join(d, 'hang.mjs'), root: '/', timeoutMs: 300 })(),
    ).rejects.toThrow(/killed after 300 ms/);
  });
});
