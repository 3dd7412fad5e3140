/** Helpers for the kernel probe's tests: scan a root with the kernel probe alone, build small roots. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseProbeOptions, runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { HostRoot } from '../../src/sdk.js';
import type { ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import type { Finding, Report } from '../../src/contracts.js';
import { kernelProbe } from '../../probes/kernel/index.js';
import type { KernelFacts } from '../../probes/kernel/index.js';
import { fixtureNames } from '../helpers/hosts.js';

export const log = pino({ level: 'silent' });

export function kernelFixtureNames(): string[] {
  return fixtureNames().filter((n) => n.startsWith('kernel-'));
}

/** Kernel fixtures are nodes unless a test says otherwise (the role is detected from a kubelet, which they lack). */
export async function scanKernel(
  root: string,
  kernelConfig: Record<string, unknown> = {},
  hostRole: 'auto' | 'node' | 'server' = 'node',
): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.scan.hostRole = hostRole;
  config.probes = { kernel: kernelConfig };
  return runScan({ probes: [kernelProbe], config, log });
}

export function byCheck(report: Report): Map<string, Finding> {
  return new Map(report.findings.map((f) => [f.check, f]));
}

export async function gatherKernel(root: string, kernelConfig: Record<string, unknown> = {}): Promise<KernelFacts> {
  const host = new HostRoot(root);
  const ctx: ProbeContext = {
    host,
    exec: hostExec(host.root),
    log,
    options: parseProbeOptions(kernelProbe, kernelConfig, host),
    signal: new AbortController().signal,
    now: () => new Date(),
    mode: 'scan',
  };
  return (await kernelProbe.gather(ctx)) as KernelFacts;
}

export type Entry = string | Buffer | { symlink: string } | { dir: true };

/** A throwaway host root from host path -> content. */
export function makeRoot(files: Record<string, Entry>): { root: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-kernel-'));
  for (const [p, e] of Object.entries(files)) {
    const f = path.join(dir, p);
    mkdirSync(path.dirname(f), { recursive: true });
    if (typeof e === 'string' || Buffer.isBuffer(e)) writeFileSync(f, e);
    else if ('symlink' in e) symlinkSync(e.symlink, f);
    else mkdirSync(f, { recursive: true });
  }
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** /proc/sys files for sysctl name -> value ("1\n" as the kernel writes it). */
export function sysctlFiles(values: Record<string, number | string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => ['proc/sys/' + k.replace(/\./g, '/'), typeof v === 'number' ? `${v}\n` : v]),
  );
}
