/**
 * Whole-host fixture roots for the OpenSCAP comparison, made of the per-probe fixtures the probes' own tests use:
 * the weak root stacks every probe's weak Debian 12 fixture, the hardened root every hardened one, so one root
 * holds an sshd configuration, account databases, PAM, cron, modprobe.d, sysctls, mounts, packages and services
 * together, as a real host does. Later fixtures win where two carry the same file; every fixture's modes and
 * owners are applied in the same order, to what the root holds at that path.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, fixtureSpec } from '../helpers/hosts.js';

/** Which per-probe fixtures make each root, in the order they are laid down (the last one wins a shared path). */
export const ROOT_LAYERS = {
  weak: [
    'debian12-weak',
    'kernel-weak-node',
    'modules-debian12-weak',
    'services-debian12-weak',
    'audit-debian12-weak',
    'firewall-debian12-stock',
    'files-debian12-weak',
    'mounts-debian12-weak',
    'accounts-debian12-weak',
  ],
  hardened: [
    'debian12-hardened',
    'kernel-cis-node',
    'modules-debian12-hardened',
    'services-debian12-hardened',
    'audit-debian12-hardened',
    'firewall-debian12-nftables',
    'files-debian12-hardened',
    'mounts-debian12-hardened',
    'accounts-debian12-hardened',
  ],
} as const;
export type RootName = keyof typeof ROOT_LAYERS;

export interface ComposedRoot {
  name: RootName;
  root: string;
  cleanup(): void;
}

export function composeRoot(name: RootName): ComposedRoot {
  const dir = mkdtempSync(path.join(os.tmpdir(), `hostward-openscap-${name}-`));
  const root = path.join(dir, 'root');
  mkdirSync(root);
  const databases = new Map<string, Map<string, string>>();
  for (const layer of ROOT_LAYERS[name]) {
    collectAccounts(path.join(FIXTURES, layer), databases);
    overlay(path.join(FIXTURES, layer), root);
    applySpec(root, layer);
  }
  writeAccounts(root, databases);
  if (name === 'hardened') makeHomes(root);
  removeKeepFiles(root);
  writeProcMounts(root);
  return { name, root, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Copies a fixture over the root: a file or link replaces what is at its path (a link is removed, not followed); a
 * directory merges with the directory (or the link to one, as /lib -> usr/lib) already there.
 */
function overlay(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    const there = lstatOrNull(dst);
    if (entry.isDirectory()) {
      if (!there) mkdirSync(dst);
      else if (!statSync(dst).isDirectory()) throw new Error(`${dst}: a directory in ${src} meets a file`);
      overlay(src, dst);
    } else if (entry.isSymbolicLink() && there?.isDirectory()) {
      continue; // a merged-/usr link where another fixture has the directory: the directory serves the same paths
    } else {
      if (there) rmSync(dst, { recursive: true, force: true });
      if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
      else copyFileSync(src, dst);
    }
  }
}

function lstatOrNull(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function applySpec(root: string, layer: string): void {
  const spec = fixtureSpec(layer);
  for (const k of spec.hostKeys ?? []) {
    const [type, bits] = k.split(':') as [string, string | undefined];
    const file = path.join(root, 'etc/ssh', `ssh_host_${type}_key`);
    rmSync(file, { force: true });
    rmSync(`${file}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', '', '-f', file]);
  }
  // Owners before modes: chown(2) clears the setuid and setgid bits.
  for (const [p, owner] of Object.entries(spec.owners ?? {})) {
    const [uid, gid] = owner.split(':').map(Number) as [number, number];
    if (existsSync(path.join(root, p))) chownSync(path.join(root, p), uid, gid);
  }
  for (const [p, mode] of Object.entries(spec.modes ?? {})) {
    if (existsSync(path.join(root, p))) chmodSync(path.join(root, p), parseInt(mode, 8));
  }
}

/** The account databases: the union of every layer's entries by name (a later layer's entry wins). */
const ACCOUNT_FILES = ['etc/passwd', 'etc/group', 'etc/shadow', 'etc/gshadow'];

function collectAccounts(layer: string, databases: Map<string, Map<string, string>>): void {
  for (const f of ACCOUNT_FILES) {
    if (!existsSync(path.join(layer, f))) continue;
    const db = databases.get(f) ?? databases.set(f, new Map()).get(f)!;
    for (const line of readFileSync(path.join(layer, f), 'utf8').split('\n').filter(Boolean)) {
      const [name, , id] = line.split(':') as [string, string, string];
      // Two layers' different accounts with one uid (or groups with one gid) would be a merge artefact, not a host.
      const byId = f === 'etc/passwd' || f === 'etc/group';
      const clash = byId && [...db].some(([n, l]) => n !== name && l.split(':')[2] === id);
      if (!clash) db.set(name, line);
    }
  }
}

/** Rewrites the files in place, so the mode and owner a fixture gave them stay. */
function writeAccounts(root: string, databases: Map<string, Map<string, string>>): void {
  const owners: Record<string, string> = { 'etc/shadow': 'etc/passwd', 'etc/gshadow': 'etc/group' };
  for (const [f, db] of databases) {
    const names = owners[f] ? databases.get(owners[f]) : undefined;
    const lines = [...db].filter(([n]) => !names || names.has(n)).map(([, l]) => l);
    writeFileSync(path.join(root, f), `${lines.join('\n')}\n`);
  }
}

/** A hardened host has a home directory, 0750 and its user's own, for every login user of the merged passwd. */
function makeHomes(root: string): void {
  for (const line of readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n').filter(Boolean)) {
    const [, , uid, gid, , home, shell] = line.split(':');
    if (Number(uid) < 1000 || Number(uid) === 65534 || /nologin|false$/.test(shell ?? '')) continue;
    const dir = path.join(root, home!);
    if (existsSync(dir)) continue;
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    chownSync(dir, Number(uid), Number(gid));
    chmodSync(dir, 0o750);
  }
}

/** The fixtures' .keep files only make git keep empty directories; a host has none (SSG reads them as dot files). */
function removeKeepFiles(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeKeepFiles(path.join(dir, e.name));
    else if (e.name === '.keep') rmSync(path.join(dir, e.name));
  }
}

/** Every mount point of the mount table exists as a directory, as on the host it describes. */
function makeMountPoints(root: string, points: string[]): void {
  for (const p of points) mkdirSync(path.join(root, p), { recursive: true });
}

/**
 * The kernel shows the same mount table as /proc/1/mountinfo and as /proc/mounts; the fixtures carry the first
 * (what hostward reads), OpenSCAP's partition probe reads the second, so the second is written from the first.
 */
function writeProcMounts(root: string): void {
  const info = path.join(root, 'proc/1/mountinfo');
  if (!existsSync(info)) return;
  const lines = readFileSync(info, 'utf8').split('\n').filter(Boolean).map(mountsLine);
  writeFileSync(path.join(root, 'proc/mounts'), `${lines.join('\n')}\n`);
  makeMountPoints(
    root,
    lines.map((l) => l.split(' ')[1]!),
  );
}

/** "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" -> a /proc/mounts line. */
function mountsLine(line: string): string {
  const [left, right] = line.split(' - ') as [string, string];
  const f = left.split(' ');
  const [fstype, source, superOpts] = right.split(' ') as [string, string, string];
  const opts = [...new Set([...(f[5] ?? '').split(','), ...superOpts.split(',')])].join(',');
  return `${source} ${f[4]} ${fstype} ${opts} 0 0`;
}
