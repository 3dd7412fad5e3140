/** Helpers for the kubelet and seccomp probes' tests: scan a root with one probe, gather facts, build small roots. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseProbeOptions, runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { HostRoot } from '../../src/sdk.js';
import type { Probe, ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import type { Finding, Report } from '../../src/contracts.js';
import { fixtureNames } from '../helpers/hosts.js';

export const log = pino({ level: 'silent' });

export function fixturesOf(prefix: string): string[] {
  return fixtureNames().filter((n) => n.startsWith(prefix));
}

export async function scanWith(probe: Probe, root: string, probeConfig: Record<string, unknown> = {}): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.probes = { [probe.name]: probeConfig };
  return runScan({ probes: [probe], config, log });
}

export function byCheck(report: Report): Map<string, Finding> {
  return new Map(report.findings.map((f) => [f.check, f]));
}

export async function gatherWith<F>(probe: Probe, root: string, probeConfig: Record<string, unknown> = {}): Promise<F> {
  const host = new HostRoot(root);
  const ctx: ProbeContext = {
    host,
    exec: hostExec(host.root),
    log,
    options: parseProbeOptions(probe, probeConfig, host),
    signal: new AbortController().signal,
    now: () => new Date(),
    mode: 'scan',
  };
  return (await probe.gather(ctx)) as F;
}

/** A throwaway host root from host path -> content. */
export function makeRoot(files: Record<string, string | Buffer>): { root: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-kubelet-'));
  for (const [p, e] of Object.entries(files)) {
    const f = path.join(dir, p);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, e);
  }
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Run every <prefix>* fixture through one probe and compare with its expectations; returns the statuses
 * seen per check, for the pass-and-fail coverage test.
 */
export function fixtureSuite(
  prefix: string,
  probe: Probe,
  cleanups: (() => void)[],
  seen: Map<string, Set<string>>,
  materialize: (name: string) => {
    root: string;
    spec: {
      probes?: Record<string, Record<string, unknown>>;
      expected: Record<string, string | { status: string; message?: string }>;
    };
    cleanup(): void;
  },
) {
  return async (name: string) => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const report = await scanWith(probe, m.root, m.spec.probes?.[probe.name] ?? {});
    const runs = report.probes;
    if (runs[0]?.status !== 'ok') throw new Error(JSON.stringify(runs));
    const problems: string[] = [];
    if (report.findings.length !== probe.checks.length)
      problems.push(`${report.findings.length} findings for ${probe.checks.length} checks`);
    for (const f of report.findings) {
      const s = seen.get(f.check) ?? new Set<string>();
      s.add(f.status);
      seen.set(f.check, s);
      if (f.message.length === 0) problems.push(`${f.check}: empty message`);
      for (const e of f.evidence)
        if (e.file?.startsWith(m.root)) problems.push(`${f.check}: evidence ${e.file} is not a host path`);
    }
    for (const id of Object.keys(m.spec.expected))
      if (!id.startsWith(probe.name + '.')) problems.push(`${id}: not a ${probe.name} check`);
    const by = byCheck(report);
    for (const [check, want] of Object.entries(m.spec.expected)) {
      const w = typeof want === 'string' ? { status: want } : want;
      const got = by.get(check);
      if (!got) problems.push(`${check}: no finding`);
      else if (got.status !== w.status) problems.push(`${check}: ${got.status} (want ${w.status}): ${got.message}`);
      else if (w.message && !got.message.includes(w.message))
        problems.push(`${check}: message "${got.message}" lacks "${w.message}"`);
    }
    return problems;
  };
}
