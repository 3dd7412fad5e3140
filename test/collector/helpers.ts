/** Real collector processes for the tests: the built CLI on 127.0.0.1 only. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AlertEvent } from '../../src/contracts.js';
import { memoryTempDir } from '../helpers/scratch.js';
import { waitFor as sharedWaitFor } from '../helpers/wait.js';

export const CLI = path.resolve('dist/src/cli/main.js');
export const DRIVER = path.resolve('test/alerts/driver.mjs');
export const TOKEN = 'test-token-0123456789abcdef';

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
}

export interface Dirs {
  dir: string;
  db: string;
  tokens: string;
  token: string;
  sink: string;
  config: string;
}

export function makeDirs(extra = ''): Dirs {
  const dir = memoryTempDir('hostward-collector-'); // the collector fsyncs every batch it stores
  const d: Dirs = {
    dir,
    db: path.join(dir, 'collector.db'),
    tokens: path.join(dir, 'tokens'),
    token: path.join(dir, 'token'),
    sink: path.join(dir, 'sink.ndjson'),
    config: path.join(dir, 'hostward.yaml'),
  };
  writeFileSync(d.tokens, `# agents\nother-token\n${TOKEN}\n`);
  writeFileSync(d.token, `${TOKEN}\n`);
  writeFileSync(
    d.config,
    `collector:\n  listen: 127.0.0.1\n  db: ${d.db}\n  tokensFile: ${d.tokens}\n  fileSink: ${d.sink}\n  deliveryRetryInitialMs: 20\n  deliveryRetryMaxMs: 200\n${extra}`,
  );
  return d;
}

export interface Proc {
  child: ChildProcess;
  port: number;
  base: string;
  logs: () => string;
  exited: Promise<number | null>;
}

/** Start `hostward collector`; resolves once it listens. A fixed port lets a restart keep its address. */
export async function startCollectorProcess(d: Dirs, port = 0): Promise<Proc> {
  const child = spawn(process.execPath, [CLI, 'collector', '--port', String(port), '--config', d.config], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (logs += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (logs += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let bound: number;
  try {
    bound = await waitFor(
      () => {
        const m = /"port":(\d+)[^\n]*collector listening/.exec(logs);
        return m ? Number(m[1]) : undefined;
      },
      60_000, // only a collector that never starts waits this long; on a loaded machine 15 s was not enough
      () => `the collector to start: ${logs}`,
    );
  } catch (e) {
    // A collector that did not start in time is stopped here: the test that failed cannot stop what it never got.
    child.kill('SIGKILL');
    throw e;
  }
  return { child, port: bound, base: `http://127.0.0.1:${bound}`, logs: () => logs, exited };
}

/** The suite's waitFor (helpers/wait.ts), in the argument order these tests use. */
export function waitFor<T>(
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: () => string,
  everyMs = 20,
): Promise<T> {
  return sharedWaitFor(what, f, timeoutMs, everyMs);
}

/**
 * Wait until no named sink has a change queued. Every change is queued to every sink in the transaction that
 * accepts its events (202), and a routed sink announces released nodes before the change's delivery is
 * acknowledged, so once the queues are empty nothing more is on its way: what a test asserts was not sent
 * will not come later.
 */
export async function waitDelivered(base: string, sinks: readonly string[], timeoutMs = 15_000): Promise<void> {
  const queued = async () =>
    Promise.all(sinks.map((s) => metric(base, 'hostward_collector_delivery_queue', `sink="${s}"`)));
  await waitFor(
    async () => (await queued()).every((n) => n === 0) || undefined,
    timeoutMs,
    () => `changes still queued for ${sinks.join(', ')}`,
  );
}

export async function kill9(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

export async function stop(p: Proc): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exited;
}

export function event(i: number, over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: `e-${i}`,
    node: 'worker-1',
    check: 'ssh.password_auth',
    probe: 'ssh',
    status: 'fail',
    severity: 'high',
    title: 'SSH password authentication is disabled',
    message: 'PasswordAuthentication yes',
    evidence: [{ file: '/etc/ssh/sshd_config', line: 3, text: 'PasswordAuthentication yes' }],
    observedAt: new Date(Date.parse('2026-11-24T10:00:00.000Z') + i * 1000).toISOString(),
    ...over,
  };
}

export async function post(
  base: string,
  body: unknown,
  token: string | null = TOKEN,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const h: Record<string, string> = { 'Content-Type': 'application/json', ...headers };
  if (token !== null && h.Authorization === undefined) h.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: h,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

export async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const re = new RegExp(`^${name}${labels ? `\\{${labels.replace(/[{}]/g, '')}\\}` : ''} (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : NaN;
}
