/**
 * What is actually reachable: a bounded, rate-limited TCP connect scan of the node's own addresses, and a
 * connect to the cloud metadata endpoint. NodePorts and hostPorts are DNAT rules without a socket, so only
 * this sees them. The connector is injected so tests can hold it to loopback; targets are only ever
 * addresses of this host (a scan never leaves the machine).
 */
import net from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipFamily } from '../../src/sdk.js';
import type { ReachableEndpoint } from './types.js';

export interface ConnectResult {
  open: boolean;
  /** "connected", "ECONNREFUSED", "timeout", "ENETUNREACH"... */
  detail: string;
}

export type Connector = (
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<ConnectResult>;

export const tcpConnect: Connector = (address, port, timeoutMs, signal) =>
  new Promise((resolve) => {
    const sock = net.connect({ host: address, port, timeout: timeoutMs });
    let done = false;
    const finish = (r: ConnectResult) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ open: false, detail: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => finish({ open: true, detail: 'connected' }));
    sock.once('timeout', () => finish({ open: false, detail: 'timeout' }));
    sock.once('error', (e: NodeJS.ErrnoException) => finish({ open: false, detail: e.code ?? e.message }));
  });

/** Addresses of hostward's own network namespace (with hostNetwork, the node's), loopback always included. */
export function ownAddresses(): Set<string> {
  const s = new Set<string>(['::1']);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) s.add(a.address);
  return s;
}

const isLoopback = (a: string) => /^127\./.test(a) || a === '::1';

/**
 * Which addresses to scan: the configured ones or the node's, keeping only addresses of this host (so a
 * connect never leaves it) and no link-local IPv6 (needs a zone), at most `max`.
 */
export function selectTargets(
  candidates: readonly string[],
  own: ReadonlySet<string>,
  max: number,
): { targets: string[]; skipped: { address: string; reason: string }[] } {
  const targets: string[] = [];
  const skipped: { address: string; reason: string }[] = [];
  for (const a of [...new Set(candidates)]) {
    if (ipFamily(a) === 0) skipped.push({ address: a, reason: 'not an IP address' });
    else if (/^fe[89ab]/i.test(a)) skipped.push({ address: a, reason: 'link-local IPv6 (needs an interface zone)' });
    else if (!isLoopback(a) && !own.has(a))
      skipped.push({
        address: a,
        reason: "not an address of hostward's network namespace: a connect would leave the host",
      });
    else if (targets.length >= max) skipped.push({ address: a, reason: `more than maxScanTargets (${max}) addresses` });
    else targets.push(a);
  }
  return { targets, skipped };
}

export interface ScanPlan {
  targets: readonly string[];
  ports: readonly number[];
  ratePerSecond: number;
  concurrency: number;
  connectTimeoutMs: number;
  budgetMs: number;
}

export interface ScanResult {
  attempted: number;
  planned: number;
  open: ReachableEndpoint[];
  incomplete?: string;
  durationMs: number;
}

/** Connect to every (target, port), at most ratePerSecond and concurrency at once, within budgetMs. */
export async function connectScan(plan: ScanPlan, connect: Connector, signal?: AbortSignal): Promise<ScanResult> {
  const t0 = performance.now();
  const jobs = plan.targets.flatMap((address) => plan.ports.map((port) => ({ address, port })));
  const open: ReachableEndpoint[] = [];
  const interval = 1000 / plan.ratePerSecond;
  let nextAt = t0;
  let next = 0;
  let attempted = 0;
  let incomplete: string | undefined;
  const worker = async () => {
    while (next < jobs.length && !incomplete) {
      if (signal?.aborted) {
        incomplete = 'aborted';
        break;
      }
      const now = performance.now();
      if (now - t0 > plan.budgetMs) {
        incomplete = `stopped at the ${plan.budgetMs / 1000} s budget (scanBudgetSeconds)`;
        break;
      }
      const job = jobs[next++]!;
      const wait = nextAt - now;
      nextAt = Math.max(now, nextAt) + interval;
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) {
        incomplete = 'aborted';
        break;
      }
      attempted++;
      const r = await connect(job.address, job.port, plan.connectTimeoutMs, signal);
      if (r.open) open.push(job);
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, jobs.length) }, worker));
  open.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  const r: ScanResult = { attempted, planned: jobs.length, open, durationMs: Math.round(performance.now() - t0) };
  if (incomplete) r.incomplete = incomplete;
  return r;
}
