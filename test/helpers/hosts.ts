/**
 * Fixture host roots: test/fixtures/hosts/<name>/ is a host filesystem as it is on disk; <name>.fixture.json
 * beside it says what git cannot carry (file modes, owners, host keys, which are generated here with the real
 * ssh-keygen rather than checked in) and the findings the scan must produce.
 */
import {
  cpSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  mkdirSync,
  statSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Finding, OwnListener } from '../../src/contracts.js';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/hosts');

export interface FixtureSpec {
  description: string;
  /** "rsa:3072", "ecdsa:256", "ed25519" -> /etc/ssh/ssh_host_<type>_key(.pub). */
  hostKeys?: string[];
  /** Host path -> octal mode, applied after copying. */
  modes?: Record<string, string>;
  /** Host path -> "uid:gid". */
  owners?: Record<string, string>;
  /** The scan's clock (ISO 8601), for fixtures whose verdicts depend on dates (metadata age, expiry). */
  now?: string;
  /** Probe configuration for the scan of this fixture. */
  probes?: Record<string, Record<string, unknown>>;
  /** scan.hostRole for this fixture: a root built as a node but without a kubelet says `node` here. */
  hostRole?: 'node' | 'server';
  /** The agent's own listeners, as an agent hands them to its scans (ctx.ownListeners); none in a one-off scan. */
  ownListeners?: OwnListener[];
  /** check id -> expected status (and optionally a substring of the message). */
  expected: Record<string, string | { status: string; message?: string }>;
}

export function fixtureNames(): string[] {
  return readdirNames().filter((n) => existsSync(path.join(FIXTURES, `${n}.fixture.json`)));
}

function readdirNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((n) => !n.endsWith('.json'))
    .sort();
}

export function fixtureSpec(name: string): FixtureSpec {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.fixture.json`), 'utf8')) as FixtureSpec;
}

export interface Materialized {
  root: string;
  spec: FixtureSpec;
  cleanup(): void;
}

/** Copy a fixture root to a temp dir (symlinks kept as links), then apply modes, owners and host keys. */
export function materialize(name: string): Materialized {
  const spec = fixtureSpec(name);
  const dir = mkdtempSync(path.join(os.tmpdir(), `hostward-${name}-`));
  const root = path.join(dir, 'root');
  cpSync(path.join(FIXTURES, name), root, { recursive: true, verbatimSymlinks: true });
  settleModes(root);
  for (const k of spec.hostKeys ?? []) {
    const [type, bits] = k.split(':') as [string, string | undefined];
    const file = path.join(root, 'etc/ssh', `ssh_host_${type}_key`);
    mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', '', '-f', file]);
  }
  // Owners before modes: chown(2) clears the setuid and setgid bits of a file, even for root.
  for (const [p, owner] of Object.entries(spec.owners ?? {})) {
    const [uid, gid] = owner.split(':').map(Number) as [number, number];
    chownSync(path.join(root, p), uid, gid);
  }
  for (const [p, mode] of Object.entries(spec.modes ?? {})) chmodSync(path.join(root, p), parseInt(mode, 8));
  return { root, spec, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Git keeps only the executable bit, so a checkout's modes are whatever the umask left (0664 under umask 002):
 * set them as a host has them, 0755 for directories and executables and 0644 for the rest, before the
 * fixture's own modes. Symlinks are left alone (chmod would follow them).
 */
export function settleModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) settleModes(p);
    else if (e.isFile()) chmodSync(p, statSync(p).mode & 0o111 ? 0o755 : 0o644);
  }
}

/** How a report differs from a fixture's expectations, one readable line per difference (none when it matches). */
export function expectationProblems(findings: readonly Finding[], expected: FixtureSpec['expected']): string[] {
  const by = new Map(findings.map((f) => [f.check, f]));
  const problems: string[] = [];
  for (const [check, want] of Object.entries(expected)) {
    const w = typeof want === 'string' ? { status: want } : want;
    const got = by.get(check);
    if (!got) problems.push(`${check}: no finding`);
    else if (got.status !== w.status) problems.push(`${check}: ${got.status} (want ${w.status}): ${got.message}`);
    else if (w.message && !got.message.includes(w.message))
      problems.push(`${check}: message "${got.message}" lacks "${w.message}"`);
  }
  return problems;
}
