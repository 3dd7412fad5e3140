/**
 * Helpers of the loopback end-to-end tests: real servers started in their own process groups (so a scan's
 * child processes go with the agent), loopback ports, polling, and an HTTP recorder standing in for the
 * receivers (webhook, Slack, PagerDuty). Everything listens on 127.0.0.1 only.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor as sharedWaitFor } from '../helpers/wait.js';

const LOG_LIMIT = 256 * 1024;

export interface Started {
  name: string;
  /** Also the id of its process group (spawned detached). */
  pid: number;
  proc: ChildProcess;
  logs(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

const running = new Set<Started>();

// A worker that dies between beforeAll and afterAll must not leave servers behind.
process.once('exit', () => {
  for (const s of running) {
    try {
      process.kill(-s.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export function hasBinary(name: string, versionArg = '--version'): boolean {
  const r = spawnSync(name, [versionArg], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/** Start a program (argument array, no shell) in its own process group, keeping the tail of its output. */
export function start(
  name: string,
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Started {
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? { PATH: process.env.PATH },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  let out = '';
  const keep = (d: string) => {
    out += d;
    if (out.length > LOG_LIMIT) out = out.slice(-LOG_LIMIT / 2);
  };
  proc.stdout.setEncoding('utf8').on('data', keep);
  proc.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const s: Started = { name, pid: proc.pid, proc, logs: () => out, exited };
  running.add(s);
  return s;
}

/**
 * True while any process of the group exists (zombies included, as pgrep -g counts them), read from
 * /proc/<pid>/stat: the fields after the command's closing parenthesis are state, ppid, pgrp.
 */
export function groupAlive(pgid: number): boolean {
  return groupSize(pgid, 1) > 0;
}

/** How many processes the group has (zombies included), counting no further than `upTo`. */
export function groupSize(pgid: number, upTo = Infinity): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && ++n >= upTo) return n;
  }
  return n;
}

/** SIGTERM to the whole group, SIGKILL after the grace period; returns once no process of the group is left. */
export async function stop(s: Started, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-s.pid, sig);
    } catch {
      /* the group is gone */
    }
  };
  // Whether the whole group is gone within `ms` (false, not an error, when it is not: the caller escalates).
  const goneWithin = (ms: number) =>
    sharedWaitFor(`${s.name} to exit`, () => !groupAlive(s.pid), ms, 50).then(
      () => true,
      () => false,
    );
  signal('SIGTERM');
  if (!(await goneWithin(graceMs))) {
    signal('SIGKILL');
    await goneWithin(5000);
  }
  // The group is gone; the leader's exit event follows (bounded, should it have been reported already elsewhere).
  await Promise.race([s.exited, sleep(1000)]);
  running.delete(s);
  if (groupAlive(s.pid)) throw new Error(`${s.name}: process group ${s.pid} survived SIGKILL`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A loopback port that was free a moment ago (for programs that cannot be told to take port 0). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Poll until f() returns something other than undefined (false too is a value here), on the suite's waitFor; an
 * error thrown by f() counts as not yet. The error names what was awaited, the last error and what `diagnose` says.
 */
export async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  diagnose?: () => Promise<string> | string,
  intervalMs = 200,
): Promise<T> {
  let lastError = '';
  try {
    const got = await sharedWaitFor(
      () => `${what} for ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`,
      async () => {
        try {
          const value = await f();
          return value === undefined ? undefined : { value };
        } catch (e) {
          lastError = (e as Error).message;
          return undefined;
        }
      },
      timeoutMs,
      intervalMs,
    );
    return got.value;
  } catch (e) {
    const more = diagnose ? await diagnose() : '';
    throw new Error(`${(e as Error).message}${more ? `\n${more}` : ''}`);
  }
}

/** GET /-/ready until 200, failing early (with the program's output) if it exits. */
export async function waitReady(s: Started, url: string, timeoutMs = 30_000): Promise<void> {
  let exited: number | string | undefined;
  void s.exited.then((c) => (exited = c));
  await waitFor(
    `${s.name} at ${url}`,
    async () => {
      if (exited !== undefined) throw new Error(`${s.name} exited (${exited})`);
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return r.status === 200 ? true : undefined;
    },
    timeoutMs,
    () => `${s.name} output:\n${s.logs().slice(-4000)}`,
  );
}

export interface Received {
  path: string;
  at: number;
  body: unknown;
}

export interface Recorder {
  port: number;
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/**
 * An HTTP server that records every POST (path, parsed JSON body) and answers as the real receiver would:
 * Slack's webhook with 200 "ok", PagerDuty's Events API with 202, anything else 200.
 */
export async function startRecorder(): Promise<Recorder> {
  const received: Received[] = [];
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 4 * 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* kept as text */
      }
      received.push({ path: req.url ?? '', at: Date.now(), body });
      if (req.url?.startsWith('/pagerduty')) {
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'success', message: 'Event processed' }));
      } else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** Start a server that takes its port on the command line: pick a free one, retry if another process won the race. */
export async function startOnFreePort(
  name: string,
  launch: (port: number) => Started,
  readyPath: string,
  attempts = 3,
): Promise<{ server: Started; port: number }> {
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    const server = launch(port);
    try {
      await waitReady(server, `http://127.0.0.1:${port}${readyPath}`);
      return { server, port };
    } catch (e) {
      last = e as Error;
      await stop(server);
      if (!/address already in use/i.test(server.logs())) break;
    }
  }
  throw new Error(`${name} did not start: ${last?.message}`);
}
