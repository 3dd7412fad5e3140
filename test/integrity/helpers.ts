/** Helpers for the integrity tests: throwaway host roots, a key, a state dir, the probe run alone. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Finding, Report } from '../../src/contracts.js';
import { integrityProbe } from '../../probes/integrity/index.js';
import { policyFromObject } from '../../src/integrity/policy.js';
import type { Policy } from '../../src/integrity/types.js';
import { settleModes } from '../helpers/hosts.js';

export const log = pino({ level: 'silent' });

export type Entry = string | Buffer | { symlink: string } | { dir: true };

export interface Sandbox {
  /** The host root. */
  root: string;
  /** The agent's state dir (outside the root), for the database and the key. */
  state: string;
  db: string;
  key: string;
  otherKey: string;
  /** Absolute path on this machine of a host path. */
  at(p: string): string;
  cleanup(): void;
}

export function sandbox(files: Record<string, Entry>): Sandbox {
  const base = mkdtempSync(path.join(os.tmpdir(), 'hostward-integrity-'));
  const root = path.join(base, 'root');
  const state = path.join(base, 'state');
  mkdirSync(root);
  mkdirSync(state);
  for (const [p, e] of Object.entries(files)) {
    const f = path.join(root, p);
    mkdirSync(path.dirname(f), { recursive: true });
    if (typeof e === 'string' || Buffer.isBuffer(e)) writeFileSync(f, e);
    else if ('symlink' in e) symlinkSync(e.symlink, f);
    else mkdirSync(f, { recursive: true });
  }
  settleModes(root); // 0755 and 0644 whatever the umask: the tests compare recorded modes
  const key = path.join(state, 'key');
  const otherKey = path.join(state, 'other-key');
  writeFileSync(key, 'a-test-key-of-thirty-two-bytes!!\n', { mode: 0o600 });
  writeFileSync(otherKey, 'another-key-of-thirty-two-bytes!\n', { mode: 0o600 });
  return {
    root,
    state,
    db: path.join(state, 'integrity.db'),
    key,
    otherKey,
    at: (p) => path.join(root, p),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

export function policy(doc: unknown): Policy {
  return policyFromObject(doc);
}

export async function scanIntegrity(root: string, probeConfig: Record<string, unknown>): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.probes = { integrity: probeConfig };
  return runScan({ probes: [integrityProbe], config, log });
}

export function byCheck(report: Report): Map<string, Finding> {
  return new Map(report.findings.map((f) => [f.check, f]));
}
