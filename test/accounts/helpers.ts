/** Helpers for the accounts probe's tests: scan a root with the accounts probe alone, gather its facts. */
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

export async function scanAccounts(root: string, hostRole: 'auto' | 'node' | 'server' = 'node', now?: string): Promise<Report> {
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
    host, exec: hostExec(host.root), log, config: {}, signal: new AbortController().signal, now: () => new Date('2026-12-06T10:00:00Z'), mode: 'scan',
    hostRole: { role: 'server', why: 'test' },
  };
  return (await accountsProbe.gather(ctx)) as AccountsFacts;
}
