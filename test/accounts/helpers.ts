/** Helpers for the accounts probe's tests: scan a root with the accounts probe alone, gather its facts. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { HostRoot } from '../../src/sdk.js';
import type { ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import type { Finding, Report } from '../../src/contracts.js';
import { accountsProbe } from '../../probes/accounts/index.js';
import type { AccountsFacts } from '../../probes/accounts/index.js';
import { fixtureNames } from '../helpers/hosts.js';

export const log = pino({ level: 'silent' });

export function accountsFixtureNames(): string[] {
  return fixtureNames().filter((n) => n.startsWith('accounts-'));
}

export async function scanAccounts(
  root: string,
  hostRole: 'auto' | 'node' | 'server' = 'node',
  now?: string,
): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.scan.hostRole = hostRole;
  config.probes = {};
  return runScan({ probes: [accountsProbe], config, log, ...(now ? { now: () => new Date(now) } : {}) });
}

export function byCheck(report: Report): Map<string, Finding> {
  return new Map(report.findings.map((f) => [f.check, f]));
}

export async function gatherAccounts(root: string): Promise<AccountsFacts> {
  const host = new HostRoot(root);
  const ctx: ProbeContext = {
    host,
    exec: hostExec(host.root),
    log,
    options: undefined,
    signal: new AbortController().signal,
    now: () => new Date('2026-12-06T10:00:00Z'),
    mode: 'scan',
    hostRole: { role: 'server', why: 'test' },
  };
  return (await accountsProbe.gather(ctx)) as AccountsFacts;
}

export type Entry = string | { symlink: string } | { dir: true };

/** A throwaway host root from host path -> content. */
export function makeRoot(files: Record<string, Entry>): { root: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-accounts-'));
  for (const [p, e] of Object.entries(files)) {
    const f = path.join(dir, p);
    mkdirSync(path.dirname(f), { recursive: true });
    if (typeof e === 'string') writeFileSync(f, e);
    else if ('symlink' in e) symlinkSync(e.symlink, f);
    else mkdirSync(f, { recursive: true });
  }
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
