/** Scanning runtime fixture roots with the real engine and the runtime probe alone. */
import { readFileSync, utimesSync, mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { pino } from 'pino';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Finding, Report } from '../../src/contracts.js';
import { runtimeProbe } from '../../probes/runtime/index.js';
import { FIXTURES, fixtureNames, materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';

const log = pino({ level: 'silent' });

/** Statuses seen per check across every runtime test file in this run (pass/fail coverage). */
export const seen = new Map<string, Set<string>>();
export function record(report: Report): void {
  for (const f of report.findings) {
    const s = seen.get(f.check) ?? new Set<string>();
    s.add(f.status);
    seen.set(f.check, s);
  }
}

export async function scanRuntime(root: string, probeConfig: Record<string, unknown> = {}): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.probes = { runtime: probeConfig };
  const report = await runScan({ probes: [runtimeProbe], config, log });
  record(report);
  return report;
}

export const byCheck = (r: Report): Map<string, Finding> => new Map(r.findings.map((f) => [f.check, f]));

export function runtimeFixtureNames(): string[] {
  return fixtureNames().filter((n) => n.startsWith('runtime-'));
}

/** materialize() plus the runtime fixtures' own "mtimes" (host path -> ISO time), which git cannot carry. */
export function materializeRuntime(name: string): Materialized {
  const m = materialize(name);
  const spec = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.fixture.json`), 'utf8')) as {
    mtimes?: Record<string, string>;
  };
  for (const [p, iso] of Object.entries(spec.mtimes ?? {})) {
    const t = new Date(iso);
    utimesSync(path.join(m.root, p), t, t);
  }
  return m;
}

/** A scratch host root written from a map of host path -> content (string, or {text, mode}). */
export function scratchRoot(files: Record<string, string | { text: string | Buffer; mode?: number }>): {
  root: string;
  cleanup(): void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-runtime-'));
  const root = path.join(dir, 'root');
  for (const [p, v] of Object.entries(files)) {
    const full = path.join(root, p);
    mkdirSync(path.dirname(full), { recursive: true });
    const spec = typeof v === 'string' ? { text: v } : v;
    writeFileSync(full, spec.text);
    if (spec.mode !== undefined) chmodSync(full, spec.mode);
  }
  mkdirSync(root, { recursive: true });
  return { root, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** /proc/<pid>/{comm,cmdline,stat,status} text of a running daemon, in the kernel's exact format. */
export function procFiles(
  pid: number,
  comm: string,
  argv: string[],
  opts: { uid?: number; startTicks?: number } = {},
): Record<string, string> {
  const uid = opts.uid ?? 0;
  const start = opts.startTicks ?? 2345;
  return {
    [`/proc/${pid}/comm`]: `${comm}\n`,
    [`/proc/${pid}/cmdline`]: argv.join('\0') + '\0',
    [`/proc/${pid}/stat`]: `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 1077936384 52431 1234 12 0 1234 567 0 0 20 0 18 0 ${start} 2345678336 21234 18446744073709551615 1 1 0 0 0 0 1002060288 0 1073808648 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n`,
    [`/proc/${pid}/status`]: `Name:\t${comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t1\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\n`,
  };
}

export const PROC_STAT =
  'cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\nctxt 123456789\nbtime 1700000000\nprocesses 12345\n';
