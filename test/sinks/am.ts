/**
 * A real Alertmanager (Debian's prometheus-alertmanager) on a loopback port, with its own configuration and
 * storage in a temp dir, gossip off, and a webhook receiver: a local HTTP server recording every
 * notification. Stopped by its pid.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../collector/helpers.js';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** Alertmanager's webhook payload (version 4). */
export interface AmNotification {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AmAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
}

export interface Receiver {
  base: string;
  got: { path: string; body: AmNotification; at: number }[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { base: '', got: [], close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (raw += s));
    req.on('end', () => {
      r.got.push({ path: req.url ?? '/', body: JSON.parse(raw) as AmNotification, at: Date.now() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Am {
  port: number;
  base: string;
  child: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
  /** The alerts it holds now (GET /api/v2/alerts). */
  alerts(): Promise<{ labels: Record<string, string>; status: { state: string }; endsAt: string }[]>;
}

export interface AmOptions {
  dir: string;
  receiverUrl: string;
  port?: number;
  /** Extra YAML appended to the configuration (inhibit_rules, ...). */
  extra?: string;
}

export async function startAlertmanager(o: AmOptions): Promise<Am> {
  const port = o.port ?? (await freePort());
  mkdirSync(o.dir, { recursive: true });
  const config = path.join(o.dir, 'alertmanager.yml');
  writeFileSync(
    config,
    `global:
  resolve_timeout: 5m
route:
  receiver: hook
  group_by: [alertname, check]
  group_wait: 300ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${o.receiverUrl}
        send_resolved: true
${o.extra ?? ''}`,
  );
  const child = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (logs += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (logs += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`alertmanager exited: ${logs}`);
      try {
        return (await fetch(`${base}/-/ready`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    15_000,
    () => `alertmanager not ready: ${logs}`,
    50,
  );
  return {
    port,
    base,
    child,
    logs: () => logs,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
    async alerts() {
      return (await (await fetch(`${base}/api/v2/alerts`)).json()) as {
        labels: Record<string, string>;
        status: { state: string };
        endsAt: string;
      }[];
    },
  };
}
