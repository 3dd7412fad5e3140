/** Helpers for the files probe's tests: scan a root with the files probe alone, gather its facts, build roots. */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseProbeOptions, runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { HostRoot } from '../../src/sdk.js';
import type { ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import type { Finding, Report } from '../../src/contracts.js';
import { filesProbe } from '../../probes/files/index.js';
import type { FilesFacts } from '../../probes/files/index.js';

export const log = pino({ level: 'silent' });

export async function scanFiles(
  root: string,
  files: Record<string, unknown> = {},
  hostRole: 'node' | 'server' = 'node',
): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  config.scan.hostRole = hostRole;
  config.probes = { files: { walkBudgetMs: 60_000, ...files } };
  return runScan({ probes: [filesProbe], config, log });
}

export function byCheck(report: Report): Map<string, Finding> {
  return new Map(report.findings.map((f) => [f.check, f]));
}

export async function gatherFiles(
  root: string,
  files: Record<string, unknown> = {},
  mode: 'scan' | 'agent' = 'scan',
): Promise<FilesFacts> {
  const host = new HostRoot(root);
  const ctx: ProbeContext = {
    host,
    exec: hostExec(host.root),
    log,
    options: parseProbeOptions(filesProbe, { walkBudgetMs: 60_000, ...files }, host),
    signal: new AbortController().signal,
    now: () => new Date(),
    mode,
    hostRole: { role: 'node', why: 'test' },
  };
  return (await filesProbe.gather(ctx)) as FilesFacts;
}

/** A file: its text, and optionally mode and owner ("uid:gid"); a directory; or a symbolic link. */
export type Entry =
  | string
  | { text: string; mode?: number; owner?: string }
  | { dir: true; mode?: number; owner?: string }
  | { symlink: string };

/**
 * A throwaway host root from host path -> entry; modes and owners set explicitly (owners first: chown clears setuid).
 */
export function makeRoot(files: Record<string, Entry>): { root: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-files-'));
  const later: [string, number | undefined, string | undefined][] = [];
  for (const [p, e] of Object.entries(files)) {
    const f = path.join(dir, p);
    mkdirSync(path.dirname(f), { recursive: true });
    if (typeof e === 'string') {
      writeFileSync(f, e);
      later.push([f, 0o644, undefined]);
    } else if ('symlink' in e) symlinkSync(e.symlink, f);
    else if ('dir' in e) {
      mkdirSync(f, { recursive: true });
      later.push([f, e.mode ?? 0o755, e.owner]);
    } else {
      writeFileSync(f, e.text);
      later.push([f, e.mode ?? 0o644, e.owner]);
    }
  }
  for (const [f, , owner] of later) if (owner) chownSync(f, ...(owner.split(':').map(Number) as [number, number]));
  for (const [f, mode] of later) if (mode !== undefined) chmodSync(f, mode);
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const DEBIAN_OS = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
export const ROCKY_OS = 'ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4"\n';
export const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nsvc:x:999:999::/var/lib/svc:/usr/sbin/nologin\n';
export const GROUP = 'root:x:0:\nshadow:x:42:\nalice:x:1000:\nsvc:x:999:\n';
