/** The built `hostward agent` as a real process for the fault and security tests (127.0.0.1 only). */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { CLI, waitFor } from '../collector/helpers.js';

export interface AgentProc {
  child: ChildProcess;
  logs: () => string;
  /** The port of /metrics, once the agent listens. */
  port: () => Promise<number>;
  exited: Promise<number | null>;
  metrics: () => Promise<string>;
}

export function startAgentProcess(opts: { root: string; config: string; env: Record<string, string> }): AgentProc {
  const child = spawn(process.execPath, [CLI, 'agent', '--root', opts.root, '--port', '0', '--config', opts.config], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (logs += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (logs += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  let port: Promise<number> | undefined;
  const a: AgentProc = {
    child,
    logs: () => logs,
    exited,
    port: () =>
      (port ??= waitFor(
        () => Number(/"port":(\d+)[^\n]*agent listening/.exec(logs)?.[1] ?? NaN) || undefined,
        60_000,
        () => `the agent to start: ${logs}`,
      )),
    metrics: async () => (await fetch(`http://127.0.0.1:${await a.port()}/metrics`)).text(),
  };
  return a;
}

/** A sample's value from an exposition text; NaN when absent. `labels` as written: sink="collector". */
export function sample(text: string, name: string, labels = ''): number {
  const esc = labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${name}${labels ? `\\{${esc}\\}` : ''} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function stopAgent(a: AgentProc): Promise<number | null> {
  if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
  return a.exited;
}
