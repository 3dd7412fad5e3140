/**
 * Ground truth for apt pins: a fixture root built from this machine's dpkg status and apt lists, plus two
 * generated archives in apt's own formats (a NotAutomatic + ButAutomaticUpgrades backports archive on another
 * host, and a NotAutomatic experimental one on a host with a port), and sets of preference files. For every
 * set, real apt reads the same files (`apt-cache policy <every installed package>` and `apt list
 * --upgradable`, with Dir::* options pointing into the fixture and apt's cache file in the fixture's directory),
 * and the probe must agree exactly: candidate and priority of every version of every installed package, and the
 * upgradable list.
 * Sets with errors apt refuses must be the ones the probe reports as "apt stops with an error".
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MACHINE_LISTS, copyMachineApt, parseAptUpgradable } from './apt-machine.js';
import { pino } from 'pino';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { updatesProbe } from '../../probes/updates/index.js';
import type { UpdatesFacts, DebFamilyFacts } from '../../probes/updates/types.js';
import { parseDpkgStatus } from '../../src/host/facts/dpkg/status.js';
import type { InstalledPackage } from '../../src/host/facts/dpkg/status.js';
import { readAptLists } from '../../probes/updates/deb/lists.js';
import type { AptList } from '../../probes/updates/deb/lists.js';
import { computePolicy } from '../../probes/updates/deb/policy.js';
import { readPreferences } from '../../probes/updates/deb/family.js';
import { parseProbeOptions } from '../../src/scan/runner.js';

const LISTS = MACHINE_LISTS;
const haveApt =
  existsSync('/usr/bin/apt-cache') &&
  existsSync('/var/lib/dpkg/status') &&
  existsSync(LISTS) &&
  readdirSync(LISTS).some((f) => /^deb\.debian\.org_debian_dists_bookworm_.*_Packages/.test(f));

let dir = '';
let root = '';
let installed: InstalledPackage[] = [];
let lists: AptList[] = [];
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const BPO = 'backports.example.org_debian_dists_bookworm-backports';
const EXP = 'experimental.example.org:8080_debian_dists_experimental';

/**
 * Replace the Version of one package in a dpkg status text (the fixture's own copy); returns the new status
 * and the paragraph as a Packages list has it (no Status), so that apt sees one version, not two.
 */
function setInstalledVersion(status: string, name: string, version: string): { status: string; listParagraph: string } {
  const start = status.indexOf(`Package: ${name}\n`);
  if (start < 0) throw new Error(`${name} is not in the status file`);
  const end = status.indexOf('\n\n', start);
  const para = status.slice(start, end).replace(/^Version: .*$/m, `Version: ${version}`);
  return {
    status: status.slice(0, start) + para + status.slice(end),
    listParagraph: para.replace(/^Status: .*\n/m, '') + '\n',
  };
}

function buildRoot(): void {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-pins-gt-'));
  root = path.join(dir, 'root');
  mkdirSync(path.join(dir, 'apt-cache'));
  const lists = path.join(root, 'var/lib/apt/lists');
  copyMachineApt(root);
  rmSync(path.join(root, 'etc/apt/preferences'), { force: true });
  rmSync(path.join(root, 'etc/apt/preferences.d'), { recursive: true, force: true });
  mkdirSync(path.join(root, 'etc/apt/preferences.d'));
  // curl installed from backports: ButAutomaticUpgrades (100) must then upgrade it from backports.
  const curl = setInstalledVersion(readFileSync('/var/lib/dpkg/status', 'utf8'), 'curl', '8.14.1-1~bpo12+1');
  writeFileSync(path.join(root, 'var/lib/dpkg/status'), curl.status);
  writeFileSync(
    path.join(root, 'etc/apt/sources.list.d/hostward-test.list'),
    'deb [trusted=yes] http://backports.example.org/debian bookworm-backports main\ndeb [trusted=yes] http://experimental.example.org:8080/debian experimental main\n',
  );
  const rel = (fields: string) =>
    `${fields}Date: Sat, 22 Nov 2025 10:00:00 UTC\nArchitectures: amd64 all\nComponents: main\n`;
  writeFileSync(
    path.join(lists, `${BPO}_Release`),
    rel(
      'Origin: Debian Backports\nLabel: Debian Backports\nSuite: oldstable-backports\nCodename: bookworm-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n',
    ),
  );
  writeFileSync(
    path.join(lists, `${EXP}_Release`),
    rel('Origin: Debian\nLabel: Debian Experimental\nSuite: experimental\nCodename: rc-buggy\nNotAutomatic: yes\n'),
  );
  const para = (name: string, version: string, arch = 'amd64') =>
    `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\nMaintainer: test <t@example.org>\nDescription: generated for the pins ground truth\n`;
  writeFileSync(
    path.join(lists, `${BPO}_main_binary-amd64_Packages`),
    [
      curl.listParagraph,
      para('curl', '8.14.1-2~bpo12+1'),
      para('libcurl4', '8.14.1-2~bpo12+1'),
      para('jq', '1.7.1-3~bpo12+1'),
      para('ca-certificates', '20250419~bpo12+1', 'all'),
      para('bash', '5.2.37-1~bpo12+1'),
    ].join('\n'),
  );
  writeFileSync(
    path.join(lists, `${EXP}_main_binary-amd64_Packages`),
    [para('jq', '1.8.0-1'), para('bash', '5.3-1'), para('perl', '5.40.1-1')].join('\n'),
  );
}

const APT_DIRS = (extra: string[]) => [
  '-o',
  `Dir::State::status=${root}/var/lib/dpkg/status`,
  '-o',
  `Dir::State::Lists=${root}/var/lib/apt/lists`,
  '-o',
  `Dir::Etc=${root}/etc/apt`,
  '-o',
  `Dir::Etc::preferences=${root}/etc/apt/preferences`,
  '-o',
  `Dir::Etc::preferencesparts=${root}/etc/apt/preferences.d`,
  // One cache for every set: preferences are not in it (apt applies them when it loads the cache), and apt
  // checks it against the lists and the status file itself; building it took ~0.7 s of CPU in each of 34 calls.
  '-o',
  `Dir::Cache=${dir}/apt-cache`,
  '-o',
  `Dir::Cache::pkgcache=${dir}/apt-cache/pkgcache.bin`,
  '-o',
  `Dir::Cache::srcpkgcache=${dir}/apt-cache/srcpkgcache.bin`,
  ...extra,
];

function runApt(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 1 << 27,
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

interface AptPolicy {
  candidate?: string;
  installed?: string;
  versions: string[];
}

/** `apt-cache policy` per package: candidate, and "version priority" of each line of the version table. */
function parseAptPolicy(out: string): Map<string, AptPolicy> {
  const m = new Map<string, AptPolicy>();
  let cur: AptPolicy | undefined;
  for (const line of out.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = { versions: [] };
      m.set(head[1]!, cur);
      continue;
    }
    if (!cur) continue;
    const c = /^ {2}Candidate: (\S+)$/.exec(line);
    if (c && c[1] !== '(none)') cur.candidate = c[1]!;
    const i = /^ {2}Installed: (\S+)$/.exec(line);
    if (i) cur.installed = i[1]!;
    const v = /^ (?:\*\*\*| {3}) (\S+) (-?\d+)/.exec(line);
    if (v) cur.versions.push(`${v[1]} ${v[2]}`);
  }
  return m;
}

interface Scenario {
  name: string;
  /** File name under etc/apt ("preferences" or "preferences.d/<part>") -> text. */
  files: Record<string, string>;
  defaultRelease?: string;
  /** apt refuses to run with these files. */
  aptFails?: boolean;
  /** Check that the scenario really pins something: packages whose candidate must differ from the unpinned one. */
  changes?: string[];
  /** Compare only this many installed packages (every n-th, plus the `changes` ones). */
  sample?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'no preferences (NotAutomatic, ButAutomaticUpgrades)', files: {} },
  {
    name: 'version pins: downgrade with 1001, prefix glob, regex, several names',
    files: {
      preferences:
        '# a comment\nPackage: jq\nPin: version 1.6-2.1+deb12u2\nPin-Priority: 1001\n\nPackage: e2fsprogs libcom-err2\nPin: version 1.47.0-2\nPin-Priority: 700\n\n' +
        'Package: /^libcurl/\nPin: version /deb12u14$/\nPin-Priority: 990\n\nPackage: ca-certificates\nPin: version 2025*\nPin-Priority: 400\n\nPackage: bash\nPin: version 5.2.15-2+B*\nPin-Priority: 600\n\nPackage: perl\nPin: version 5.*\nPin-Priority: 50\n',
    },
    changes: ['jq', 'e2fsprogs', 'libcom-err2'],
  },
  {
    name: 'release pins: security -1, updates 50 by archive and component, a specific pin above a generic one',
    files: {
      'preferences.d/10security': 'Package: *\nPin: release n=bookworm-security\nPin-Priority: -1\n',
      'preferences.d/20updates.pref':
        'Package: *\nPin: release a=oldstable-updates, c=main\nPin-Priority: 50\n\nPackage: ca-certificates krb5-locales\nPin: release l=Debian-Security\nPin-Priority: 600\n',
      'preferences.d/30ignored.disabled': 'Package: *\nPin: release *\nPin-Priority: 1001\n',
    },
    changes: ['apt', 'libapt-pkg6.0'],
  },
  {
    name: 'origin and label pins: backports host at 500 first, Debian host 400, experimental label',
    files: {
      preferences:
        'Package: *\nPin: origin backports.example.org\nPin-Priority: 500\n\nPackage: jq\nPin: release l=Debian Experimental\nPin-Priority: 800\n\nPackage: *\nPin: origin "deb.debian.org"\nPin-Priority: 400\n\nPackage: *\nPin: origin experimental.example.org\nPin-Priority: 600\n',
    },
    changes: ['jq', 'bash', 'libcurl4'],
  },
  {
    name: 'glob and regex package names; a generic 990 on a codename',
    files: {
      preferences:
        'Package: lib[a-c]*\nPin: release n=bookworm\nPin-Priority: 1001\n\nPackage: /^python3/ perl*\nPin: release a=oldstable-security\nPin-Priority: -10\n\nPackage: *-DEV LibSystemd?\nPin: release bookworm\nPin-Priority: 1001\n\n' +
        'Package: *\nPin: release n=bookworm-updates\nPin-Priority: 990\n',
    },
    changes: ['libaom3', 'libbrotli1'],
  },
  {
    name: 'case and patterns in pin values: origin glob, archive glob, codename regex, version bracket',
    files: {
      'preferences.d/patterns':
        'Package: *\nPin: origin *.example.org\nPin-Priority: 700\n\nPackage: jq bash\nPin: Release A=OLDSTABLE-*\nPin-Priority: 1001\n\n' +
        'Package: *\nPin: release n=/^bookworm-(updates|security)$/\nPin-Priority: 200\n\nPackage: libcurl4\nPin: version 7.88.1-10+deb12u[0-9]\nPin-Priority: 1001\n',
    },
    changes: ['jq', 'perl', 'libcurl4'],
  },
  {
    name: 'source pins: src:curl to the installed build, src:systemd to bookworm',
    files: {
      preferences:
        'Package: src:curl\nPin: version 7.88.1-10+deb12u14\nPin-Priority: 1001\n\nPackage: src:systemd\nPin: release n=bookworm\nPin-Priority: 1001\n',
    },
    changes: ['libcurl4', 'libcurl3-gnutls'],
  },
  {
    // apt warns once per package name in its cache (121k warnings) and takes ~40 s for all installed names: 40 here
    name: 'an invalid regex: apt warns and the pin matches nothing',
    files: {
      preferences:
        'Package: /([a/\nPin: release *\nPin-Priority: 1001\n\nPackage: /^(jq|bash)$/\nPin: release n=bookworm\nPin-Priority: 1001\n',
    },
    sample: 40,
    changes: ['jq'],
  },
  {
    name: 'APT::Default-Release (990 before every pin) and a generic 995 on bookworm',
    defaultRelease: 'oldstable-security',
    files: {
      preferences:
        'Package: *\nPin: release n=bookworm\nPin-Priority: 995\n\nPackage: *\nPin: release n=bookworm-security\nPin-Priority: 100\n',
    },
  },
  {
    name: 'never, a=now, release *, simple version form, arch qualifiers',
    files: {
      preferences:
        'Package: *\nPin: release o=Debian Backports\nPin-Priority: never\n\nPackage: curl jq:i386 libcurl4:amd64\nPin: origin backports.example.org\nPin-Priority: 990\n\nPackage: bash\nPin: release a=now\nPin-Priority: 1001\n\n' +
        'Package: *\nPin: release 12*\nPin-Priority: 300\n\nPackage: *\nPin: release *\nPin-Priority: 200\n\nPackage: dpkg\nPin: release v=12.15, b=amd64\nPin-Priority: 50\n',
    },
    changes: ['curl', 'bash'],
  },
  {
    name: 'warnings only: unknown pin type, version pin on *, record without Pin, trailing text after the priority',
    files: {
      preferences:
        'Package: jq\nPin: sources foo\nPin-Priority: 900\n\nPackage: *\nPin: version 1.0\nPin-Priority: 900\n\nPackage: bash\nPin-Priority: 900\n\nPackage: jq\nPin: release n=bookworm\nPin-Priority: 1001 (pinned)\n',
    },
    changes: ['jq'],
  },
  { name: 'error: a record without Package', files: { preferences: 'Explanation: nothing else\n' }, aptFails: true },
  { name: 'error: no Pin-Priority', files: { 'preferences.d/x': 'Package: jq\nPin: release *\n' }, aptFails: true },
  {
    name: 'error: Pin-Priority 0',
    files: { preferences: 'Package: jq\nPin: release *\nPin-Priority: 0\n' },
    aptFails: true,
  },
  {
    name: 'error: never on a named package',
    files: { preferences: 'Package: jq\nPin: release *\nPin-Priority: never\n' },
    aptFails: true,
  },
  {
    name: 'error: priority out of range',
    files: { preferences: 'Package: jq\nPin: release *\nPin-Priority: 40000\n' },
    aptFails: true,
  },
  {
    name: 'error: priority is a word',
    files: { preferences: 'Package: jq\nPin: release *\nPin-Priority: high\n' },
    aptFails: true,
  },
];

function writeScenario(s: Scenario): void {
  rmSync(path.join(root, 'etc/apt/preferences'), { force: true });
  rmSync(path.join(root, 'etc/apt/preferences.d'), { recursive: true, force: true });
  mkdirSync(path.join(root, 'etc/apt/preferences.d'));
  for (const [name, text] of Object.entries(s.files)) writeFileSync(path.join(root, 'etc/apt', name), text);
  const conf = path.join(root, 'etc/apt/apt.conf.d/99hostward-test-default-release');
  if (s.defaultRelease) writeFileSync(conf, `APT::Default-Release "${s.defaultRelease}";\n`);
  else rmSync(conf, { force: true });
}

async function gather(): Promise<DebFamilyFacts> {
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
  if (facts.family?.family !== 'deb') throw new Error('expected the Debian family');
  return facts.family;
}

describe.skipIf(!haveApt)('ground truth: apt pins against apt-cache policy on this machine', () => {
  beforeAll(async () => {
    buildRoot();
    installed = parseDpkgStatus(readFileSync(path.join(root, 'var/lib/dpkg/status'), 'utf8')).packages;
    const apt = await readAptLists(new HostRoot(root), {
      names: new Set(installed.map((p) => p.name)),
      maxFileBytes: 1 << 30,
      maxListBytes: 1 << 30,
    });
    lists = apt.lists;
    expect(lists.filter((l) => l.problem)).toEqual([]);
    expect(lists.find((l) => l.path.includes('experimental'))?.target).toEqual({
      site: 'experimental.example.org',
      component: 'main',
      arch: 'amd64',
    });
  }, 120_000);

  for (const s of SCENARIOS) {
    it(s.name, { timeout: 120_000 }, async () => {
      writeScenario(s);
      const extra = s.defaultRelease ? ['-o', `APT::Default-Release=${s.defaultRelease}`] : [];
      const all = [...new Set(installed.filter((p) => p.arch === 'amd64' || p.arch === 'all').map((p) => p.name))];
      const step = s.sample ? Math.ceil(all.length / s.sample) : 1;
      const names = s.sample ? [...new Set([...(s.changes ?? []), ...all.filter((_, i) => i % step === 0)])] : all;
      const pol = runApt('apt-cache', ['policy', ...APT_DIRS(extra), ...names]);
      const host = new HostRoot(root);
      const prefs = await readPreferences(host);
      const fatal = prefs.problems.filter((p) => p.includes('apt stops with an error'));
      if (s.aptFails) {
        expect(pol.status, pol.stderr).not.toBe(0);
        expect(pol.stderr).toMatch(/^E: /m);
        expect(fatal.length, prefs.problems.join('\n')).toBeGreaterThan(0);
        const fam = await gather();
        expect(fam.pinPolicy.problems.join('\n')).toContain('apt stops with an error');
        return;
      }
      expect(pol.status, pol.stderr).toBe(0);
      expect(fatal).toEqual([]);
      const aptPolicy = parseAptPolicy(pol.stdout);
      expect(aptPolicy.size).toBe(names.length);
      const defaultRelease = s.defaultRelease ? { defaultRelease: s.defaultRelease } : {};
      const mine = computePolicy(installed, lists, { pins: prefs.pins, ...defaultRelease });
      const base = computePolicy(installed, lists, defaultRelease);
      const want: string[] = [];
      const got: string[] = [];
      let versions = 0;
      for (const n of names) {
        const a = aptPolicy.get(n)!;
        const p = installed.find((x) => x.name === n)!;
        const c = mine.candidates.get(`${n}:${p.arch === 'all' ? 'amd64' : p.arch}`);
        want.push(`${n} candidate=${a.candidate ?? 'none'} | ${a.versions.join(', ')}`);
        got.push(
          `${n} candidate=${c?.candidate ?? 'none'} | ${c?.priorities.map((v) => `${v.version} ${v.priority}`).join(', ') ?? ''}`,
        );
        versions += a.versions.length;
      }
      expect(got).toEqual(want);
      const changed = names.filter(
        (n) => mine.candidates.get(`${n}:amd64`)?.candidate !== base.candidates.get(`${n}:amd64`)?.candidate,
      );
      for (const n of s.changes ?? []) expect(changed, `the pins should change ${n}`).toContain(n);

      // The probe end to end (preferences read from the root, apt.conf, checks' facts) against apt list.
      const up = runApt('apt', ['list', '--upgradable', ...APT_DIRS(extra)]);
      expect(up.status, up.stderr).toBe(0);
      const fam = await gather();
      const upgradable = fam.updates
        .map((u) => `${u.name}:${u.arch} ${u.installed} -> ${u.candidate} security=${u.candidateSecurity}`)
        .sort();
      expect(upgradable).toEqual(parseAptUpgradable(up.stdout));
      expect(fam.pinPolicy.effects.map((e) => e.name).sort()).toEqual(mine.effects.map((e) => e.name).sort());
      for (const e of fam.pinPolicy.effects)
        expect(e.pins.length, `${e.name} names the pins that change it`).toBeGreaterThan(0);
      console.log(
        `pins ground truth [${s.name}]: ${names.length} packages, ${versions} versions equal to apt-cache policy; ${upgradable.length} upgradable equal to apt list; ${changed.length} candidates changed by pins (${changed.slice(0, 8).join(' ')}); problems: ${prefs.problems.length + mine.problems.length}`,
      );
    });
  }
});
