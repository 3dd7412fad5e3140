/**
 * Test helpers for the ports probe. SAFETY: every connect a test causes goes through `loopbackOnly`, which
 * refuses (throws, before any packet) any address outside 127.0.0.0/8 and ::1.
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/sdk.js';
import type { ProbeContext } from '../../src/sdk.js';
import { tcpConnect } from '../../probes/ports/reachability.js';
import type { Connector } from '../../probes/ports/reachability.js';
import { PORTS_OPTIONS } from '../../probes/ports/option-spec.js';
import type { PortsOptions } from '../../probes/ports/options.js';
import { parsedOptions } from '../helpers/options.js';

export const silent = pino({ level: 'silent' });

export const isLoopbackAddress = (a: string) => /^127\.\d+\.\d+\.\d+$/.test(a) || a === '::1';

/** The only connector tests use: loopback or an exception. `calls` records every attempt. */
export function loopbackOnly(calls: string[] = []): Connector {
  return (address, port, timeoutMs, signal) => {
    calls.push(`${address}:${port}`);
    if (!isLoopbackAddress(address)) throw new Error(`test tried to connect to ${address}:${port}, outside loopback`);
    return tcpConnect(address, port, timeoutMs, signal);
  };
}

/** The probe's context as a scan gives it: `config` is the section, parsed by the probe's declared options. */
export function context(
  root: string,
  config: Record<string, unknown>,
  mode: 'scan' | 'agent' = 'scan',
): ProbeContext<PortsOptions> {
  const host = new HostRoot(root);
  return {
    host,
    exec: async () => ({ ok: false, reason: 'not_found', message: 'no exec in ports tests', stderr: '' }),
    log: silent,
    options: parsedOptions(PORTS_OPTIONS, config, { rootIsHost: host.isHostRoot }),
    signal: new AbortController().signal,
    now: () => new Date(),
    mode,
  };
}

export interface Listening {
  close(): Promise<void>;
  port: number;
}

export async function tcpListen(host: string, opts: { ipv6Only?: boolean; port?: number } = {}): Promise<Listening> {
  const s = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host, port: opts.port ?? 0, ...(opts.ipv6Only ? { ipv6Only: true } : {}) }, () => resolve());
  });
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise((r) => s.close(() => r())) };
}

export async function udpBind(host: string): Promise<Listening> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, host, () => resolve());
  });
  return { port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const l = await tcpListen('127.0.0.1');
  await l.close();
  return l.port;
}

const TCP_H = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

/** A minimal host root whose /proc/1/net/tcp lists LISTEN sockets on 127.0.0.1 at these ports (kernel format). */
export function rootWithListeners(ports: readonly number[]): { root: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-ports-'));
  const netDir = path.join(dir, 'proc/1/net');
  mkdirSync(netDir, { recursive: true });
  const lines = ports.map(
    (p, i) =>
      `${String(i).padStart(4)}: 0100007F:${p.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${70000 + i} 1 0000000000000000 100 0 0 10 0`,
  );
  writeFileSync(path.join(netDir, 'tcp'), [TCP_H, ...lines, ''].join('\n'));
  writeFileSync(
    path.join(netDir, 'fib_trie'),
    'Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 127.0.0.1\n        /32 host LOCAL\n',
  );
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
