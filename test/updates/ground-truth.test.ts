/**
 * Ground truth: a fixture root built from this machine's own dpkg status, apt lists and /etc/apt; the probe's
 * upgradable list (name, architecture, version, installed version, security flag) must equal what
 * `apt list --upgradable` says about the same files. apt's security flag is "one of the archives it shows for
 * the candidate contains -security".
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { MACHINE_LISTS, copyMachineApt, parseAptUpgradable } from './apt-machine.js';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { updatesProbe } from '../../probes/updates/index.js';
import type { UpdatesFacts } from '../../probes/updates/types.js';
import { parseProbeOptions } from '../../src/scan/runner.js';

const LISTS = MACHINE_LISTS;
const haveApt =
  existsSync('/usr/bin/apt') &&
  existsSync('/var/lib/dpkg/status') &&
  existsSync(LISTS) &&
  readdirSync(LISTS).some((f) => /_Packages/.test(f));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function buildRoot(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-updates-gt-'));
  dirs.push(dir);
  const root = path.join(dir, 'root');
  copyMachineApt(root);
  cpSync('/var/lib/dpkg/status', path.join(root, 'var/lib/dpkg/status'));
  // The link's target under the link's name (Node 26's cpSync with dereference takes a link for a directory).
  if (existsSync('/etc/os-release')) copyFileSync(realpathSync('/etc/os-release'), path.join(root, 'etc/os-release'));
  return root;
}

/** `apt list --upgradable` over the fixture's files, without writing apt's caches. */
function aptUpgradable(root: string): string[] {
  const out = execFileSync(
    'apt',
    [
      'list',
      '--upgradable',
      '-o',
      `Dir::State::status=${root}/var/lib/dpkg/status`,
      '-o',
      `Dir::State::Lists=${root}/var/lib/apt/lists`,
      '-o',
      `Dir::Etc=${root}/etc/apt`,
      '-o',
      'Dir::Cache::pkgcache=',
      '-o',
      'Dir::Cache::srcpkgcache=',
    ],
    { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 },
  );
  return parseAptUpgradable(out);
}

describe.skipIf(!haveApt)('ground truth: apt list --upgradable on this machine', () => {
  it("the probe computes exactly apt's upgradable list and security flags", { timeout: 60_000 }, async () => {
    const root = buildRoot();
    const want = aptUpgradable(root);
    const host = new HostRoot(root);
    const facts = (await updatesProbe.gather({
      host,
      exec: hostExec(host.root),
      log: pino({ level: 'silent' }),
      options: parseProbeOptions(updatesProbe, {}, host),
      signal: new AbortController().signal,
      now: () => new Date(),
      mode: 'scan',
    })) as UpdatesFacts;
    const fam = facts.family!;
    if (fam.family !== 'deb') throw new Error(`expected the Debian family, got ${fam.family}`);
    expect(fam.lists.filter((l) => l.problem)).toEqual([]);
    const got = fam.updates
      .map((u) => `${u.name}:${u.arch} ${u.installed} -> ${u.candidate} security=${u.candidateSecurity}`)
      .sort();
    const masked = fam.updates.filter((u) => u.maskedSecurity).map((u) => `${u.name} ${u.maskedSecurity}`);
    console.log(
      `ground truth: apt lists ${want.length} upgradable (${want.filter((r) => r.endsWith('security=true')).length} security); probe ${got.length} (${fam.updates.filter((u) => u.candidateSecurity).length} security, ${masked.length} more masked: ${masked.join(', ') || 'none'})`,
    );
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });
});
