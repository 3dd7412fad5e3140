/**
 * Ground truth for the RPM family with the real tools: rpmbuild makes tiny packages (noarch and x86_64, epochs,
 * ~ and ^ versions), `rpm --justdb` installs the old ones into a temp installroot (rpmdb.sqlite, rpm 4.18's
 * sqlite backend), createrepo_c and modifyrepo_c build three repositories (gzip, xz, and bzip2 for a disabled one:
 * Debian's createrepo_c has no zstd) with
 * newer versions and an updateinfo.xml (security advisories with severities, a bugfix advisory), and real dnf
 * fills the installroot's cache (`dnf makecache` on file:// repositories; no network). Then the probe, reading
 * only files, must equal `dnf check-update`, `dnf check-update --security` and
 * `dnf updateinfo list --security` run on the same installroot (cache only): name, arch, version, security flag.
 * Skipped, with the reason, where rpm, rpmbuild, createrepo_c, modifyrepo_c or dnf are missing
 * (Debian packages: rpm, createrepo-c, dnf).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { updatesProbe } from '../../probes/updates/index.js';
import type { RpmFamilyFacts, UpdatesFacts } from '../../probes/updates/types.js';
import { parseProbeOptions } from '../../src/scan/runner.js';

const TOOLS = ['rpm', 'rpmbuild', 'createrepo_c', 'modifyrepo_c', 'dnf'];
const missing = TOOLS.filter((t) => !['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(path.join(d, t))));
const skipReason = missing.length ? `missing ${missing.join(', ')} (Debian packages rpm, createrepo-c, dnf)` : '';

interface Pkg {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch: 'noarch' | 'x86_64' | 'i686';
}

const SPEC = `Name: %{pname}
Version: %{pver}
Release: %{prel}
%if 0%{?pepoch}
Epoch: %{pepoch}
%endif
Summary: hostward test package
License: MIT
%if "%{parch}" == "noarch"
BuildArch: noarch
%endif
%description
hostward test package
%files
`;

// installed (old) versions
const INSTALLED: Pkg[] = [
  { name: 'foo', version: '1.0', release: '1', arch: 'noarch' },
  { name: 'bar', version: '2.0', release: '1', epoch: 1, arch: 'x86_64' },
  { name: 'baz', version: '1.0~rc1', release: '1', arch: 'x86_64' },
  { name: 'qux', version: '1.0', release: '1', arch: 'noarch' },
  { name: 'mix', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'stay', version: '2.0', release: '1', arch: 'x86_64' },
  { name: 'masked', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'ghost', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'excl', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'gonex', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'prio', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'rel', version: '1.0', release: '1.el9', arch: 'x86_64' },
  { name: 'ep', version: '5.0', release: '1', epoch: 2, arch: 'x86_64' },
  { name: 'lib', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'lib', version: '1.0', release: '1', arch: 'i686' },
  { name: 'na', version: '1.0', release: '1', arch: 'noarch' },
  { name: 'inc', version: '1.0', release: '1', arch: 'x86_64' },
];

// repository "baseos" (gzip metadata)
const MAIN: Pkg[] = [
  { name: 'foo', version: '1.1', release: '1', arch: 'noarch' },
  { name: 'foo', version: '1.2', release: '1', arch: 'noarch' },
  { name: 'bar', version: '2.0', release: '2', epoch: 1, arch: 'x86_64' },
  { name: 'bar', version: '9.0', release: '1', arch: 'x86_64' },
  { name: 'baz', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'qux', version: '1.0^git1', release: '1', arch: 'noarch' },
  { name: 'mix', version: '1.1', release: '1', arch: 'noarch' },
  { name: 'stay', version: '2.0', release: '1', arch: 'x86_64' },
  { name: 'stay', version: '1.9', release: '1', arch: 'x86_64' },
  { name: 'masked', version: '1.1', release: '1', arch: 'x86_64' },
  { name: 'masked', version: '1.2', release: '1', arch: 'x86_64' },
  { name: 'ghost', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'excl', version: '2.0', release: '1', arch: 'x86_64' },
  { name: 'gonex', version: '2.0', release: '1', arch: 'x86_64' },
  { name: 'prio', version: '1.5', release: '1', arch: 'x86_64' },
  { name: 'rel', version: '1.0', release: '1.el9_1', arch: 'x86_64' },
  { name: 'ep', version: '9.0', release: '1', epoch: 1, arch: 'x86_64' },
  { name: 'notinstalled', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'lib', version: '1.1', release: '1', arch: 'x86_64' },
  { name: 'lib', version: '1.1', release: '1', arch: 'i686' },
  { name: 'na', version: '1.1', release: '1', arch: 'x86_64' },
];
// repository "fast" (priority 10, xz metadata): its prio 1.1 wins over main's 1.5 with dnf's priorities
const FAST: Pkg[] = [
  { name: 'prio', version: '1.1', release: '1', arch: 'x86_64' },
  { name: 'baz', version: '1.0', release: '1', arch: 'x86_64' },
  { name: 'inc', version: '2.0', release: '1', arch: 'x86_64' },
];
// repository "off" (disabled, zstd metadata)
const OFF: Pkg[] = [{ name: 'foo', version: '9.0', release: '1', arch: 'noarch' }];

const advPkg = (p: Pkg) =>
  `<package name="${p.name}" version="${p.version}" release="${p.release}" epoch="${p.epoch ?? 0}" arch="${p.arch}"><filename>${p.name}-${p.version}-${p.release}.${p.arch}.rpm</filename></package>`;

function updateinfo(advs: { id: string; type: string; severity?: string; pkgs: Pkg[] }[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${advs
    .map(
      (a) => `  <update from="test@example.com" status="stable" type="${a.type}" version="2.0">
    <id>${a.id}</id>
    <title>${a.id}</title>
    <issued date="2026-11-01 00:00:00"/>
    ${a.severity ? `<severity>${a.severity}</severity>` : ''}
    <description>test</description>
    <pkglist><collection short="t"><name>t</name>
      ${a.pkgs.map(advPkg).join('\n      ')}
    </collection></pkglist>
  </update>`,
    )
    .join('\n')}\n</updates>\n`;
}

const MAIN_ADVISORIES = [
  { id: 'HW-2026-0001', type: 'security', severity: 'Important', pkgs: [MAIN[2]!] },
  { id: 'HW-2026-0002', type: 'security', severity: 'Critical', pkgs: [MAIN[4]!] },
  { id: 'HW-2026-0003', type: 'bugfix', pkgs: [MAIN[0]!] },
  { id: 'HW-2026-0004', type: 'security', severity: 'Moderate', pkgs: [MAIN[9]!] },
  {
    id: 'HW-2026-0005',
    type: 'security',
    severity: 'Low',
    pkgs: [{ name: 'ghost', version: '1.5', release: '1', arch: 'x86_64' } as Pkg],
  },
  { id: 'HW-2026-0006', type: 'security', pkgs: [MAIN[15]!] },
  { id: 'HW-2026-0007', type: 'enhancement', pkgs: [MAIN[6]!] },
  { id: 'HW-2026-0008', type: 'security', severity: 'Important', pkgs: [MAIN[19]!] },
];

const log = pino({ level: 'silent' });
let work = '';
let root = '';
let env: NodeJS.ProcessEnv = {};

function build(top: string, p: Pkg): string {
  const args = [
    '--define',
    `_topdir ${top}`,
    '--define',
    `pname ${p.name}`,
    '--define',
    `pver ${p.version}`,
    '--define',
    `prel ${p.release}`,
    '--define',
    `pepoch ${p.epoch ?? 0}`,
    '--define',
    `parch ${p.arch}`,
    '--define',
    '_build_id_links none',
    '--define',
    `_tmppath ${work}`,
  ];
  if (p.arch !== 'noarch') args.push('--target', p.arch);
  execFileSync('rpmbuild', [...args, '-bb', path.join(top, 'SPECS/t.spec')], { env, stdio: 'pipe' });
  return path.join(top, 'RPMS', p.arch, `${p.name}-${p.version}-${p.release}.${p.arch}.rpm`);
}

function makeRepo(name: string, pkgs: Pkg[], compress: string, advisories?: string): string {
  const top = path.join(work, `top-${name}`);
  mkdirSync(path.join(top, 'SPECS'), { recursive: true });
  writeFileSync(path.join(top, 'SPECS/t.spec'), SPEC);
  const dir = path.join(work, `repo-${name}`);
  mkdirSync(dir, { recursive: true });
  for (const p of pkgs) {
    const rpm = build(top, p);
    copyFileSync(rpm, path.join(dir, path.basename(rpm)));
  }
  execFileSync('createrepo_c', ['-q', '--no-database', `--general-compress-type=${compress}`, dir], {
    env,
    stdio: 'pipe',
  });
  if (advisories) {
    const f = path.join(work, `updateinfo-${name}.xml`);
    writeFileSync(f, advisories);
    execFileSync(
      'modifyrepo_c',
      [`--compress-type=${compress}`, '--mdtype=updateinfo', f, path.join(dir, 'repodata')],
      { env, stdio: 'pipe' },
    );
  }
  return dir;
}

function dnf(args: string[]): { out: string; status: number } {
  const r = spawnSync(
    'dnf',
    [
      '-q',
      '--noplugins',
      `--installroot=${root}`,
      `--config=${root}/etc/dnf/dnf.conf`,
      `--setopt=reposdir=${root}/etc/yum.repos.d`,
      `--setopt=cachedir=${root}/var/cache/dnf`,
      '--releasever=9',
      ...args,
    ],
    { env, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0 && r.status !== 100) throw new Error(`dnf ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { out: r.stdout, status: r.status };
}

/** `dnf check-update` rows "name.arch evr repo" (a long name wraps its row onto the next line). */
function checkUpdateRows(out: string): string[] {
  const words = out
    .split('\n')
    .filter((l) => l.trim() && !/^(Obsoleting|Security:|Last metadata)/.test(l))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);
  const rows: string[] = [];
  expect(words.length % 3, `check-update output: ${out}`).toBe(0);
  for (let i = 0; i + 2 < words.length; i += 3) rows.push(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  return rows.sort();
}

describe.skipIf(missing.length > 0)(
  `RPM updates against real dnf${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let facts: RpmFamilyFacts;

    beforeAll(async () => {
      work = mkdtempSync(path.join(os.tmpdir(), 'hostward-dnf-'));
      root = path.join(work, 'root');
      const home = path.join(work, 'home');
      mkdirSync(home, { recursive: true });
      // Debian's rpm keeps its database in ~/.rpmdb; the installroot's must be /var/lib/rpm as on RHEL.
      writeFileSync(path.join(home, '.rpmmacros'), '%_dbpath /var/lib/rpm\n');
      env = { PATH: process.env.PATH, HOME: home, LC_ALL: 'C.UTF-8', TMPDIR: work };

      const main = makeRepo('baseos', MAIN, 'gz', updateinfo(MAIN_ADVISORIES));
      const fast = makeRepo(
        'fast',
        FAST,
        'xz',
        updateinfo([{ id: 'HW-2026-0100', type: 'security', severity: 'Important', pkgs: [FAST[0]!] }]),
      );
      const off = makeRepo('off', OFF, 'bz2');
      const oldTop = path.join(work, 'top-old');
      mkdirSync(path.join(oldTop, 'SPECS'), { recursive: true });
      writeFileSync(path.join(oldTop, 'SPECS/t.spec'), SPEC);
      const old = INSTALLED.map((p) => build(oldTop, p));
      execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--justdb', ...old], {
        env,
        stdio: 'pipe',
      });

      mkdirSync(path.join(root, 'etc/yum.repos.d'), { recursive: true });
      mkdirSync(path.join(root, 'etc/dnf'), { recursive: true });
      writeFileSync(
        path.join(root, 'etc/os-release'),
        'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.5"\n',
      );
      writeFileSync(
        path.join(root, 'etc/dnf/dnf.conf'),
        '[main]\ngpgcheck=0\ninstallonly_limit=3\nexcludepkgs=gone*\n',
      );
      writeFileSync(
        path.join(root, 'etc/yum.repos.d/test.repo'),
        `[main]\nname=ignored: dnf skips [main] in .repo files\nbaseurl=file://${off}\n\n[baseos]\nname=baseos\nbaseurl=file://${main}\nenabled=1\ngpgcheck=0\nexcludepkgs=excl\n\n[fast]\nname=fast\nbaseurl=file://${fast}\npriority=10\nincludepkgs=prio baz\ngpgcheck=0\n\n[off]\nname=off\nbaseurl=file://${off}\nenabled=0\ngpgcheck=0\n`,
      );
      dnf(['makecache']);
      const host = new HostRoot(root);
      const f = (await updatesProbe.gather({
        host,
        exec: hostExec(root),
        log,
        options: parseProbeOptions(updatesProbe, {}, host),
        signal: new AbortController().signal,
        now: () => new Date(),
        mode: 'scan',
      })) as UpdatesFacts;
      expect(f.family?.family).toBe('rpm');
      facts = f.family as RpmFamilyFacts;
    }, 240_000);

    afterAll(() => {
      if (work && !process.env.HOSTWARD_KEEP_TMP) rmSync(work, { recursive: true, force: true });
    });

    it('reads the installroot rpmdb.sqlite and the dnf cache dnf wrote', () => {
      expect(existsSync(path.join(root, 'var/lib/rpm/rpmdb.sqlite'))).toBe(true);
      expect(facts.installedCount).toBe(INSTALLED.length);
      const cacheDirs = readdirSync(path.join(root, 'var/cache/dnf')).filter((d) => /-[0-9a-f]{16}$/.test(d));
      expect(cacheDirs.length).toBeGreaterThanOrEqual(2);
      const byId = new Map(facts.repos.map((r) => [r.id, r]));
      expect(byId.get('baseos')?.primary).toMatchObject({ packages: MAIN.length });
      expect(byId.get('baseos')?.primary?.problem).toBeUndefined();
      expect(byId.get('fast')?.primary?.path).toMatch(/primary\.xml\.xz$/);
      expect(byId.get('fast')?.updateinfo).toMatchObject({ advisories: 1, security: 1 });
      expect(byId.get('off')?.enabled).toBe(false);
      expect(byId.has('main')).toBe(false);
    });

    it('pending updates equal dnf check-update (name.arch, EVR and repository)', () => {
      const r = dnf(['-C', 'check-update']);
      const want = checkUpdateRows(r.out);
      const got = facts.updates.map((u) => `${u.name}.${u.arch} ${u.candidate} ${u.archives.join(',')}`).sort();
      expect(got).toEqual(want);
      // the cases are exercised, not vacuous: caret, noarch replacing x86_64, priority, excludes, epochs
      expect(want).toContain('qux.noarch 1.0^git1-1 baseos');
      expect(want).toContain('mix.noarch 1.1-1 baseos');
      expect(want).toContain('prio.x86_64 1.1-1 fast');
      expect(want).toContain('lib.i686 1.1-1 baseos');
      expect(want).toContain('na.x86_64 1.1-1 baseos');
      expect(want.some((w) => /^(excl|gonex|ep|stay|ghost|inc)\./.test(w))).toBe(false);
      expect(want.length).toBeGreaterThanOrEqual(7);
      expect(r.status).toBe(100);
    });

    it('security updates equal dnf check-update --security', () => {
      const want = checkUpdateRows(dnf(['-C', 'check-update', '--security']).out);
      const got = facts.updates
        .filter((u) => u.security)
        .map((u) => `${u.name}.${u.arch} ${u.candidate} ${u.archives.join(',')}`)
        .sort();
      expect(got).toEqual(want);
      // masked.x86_64 1.2-1 has no advisory itself: it counts through the 1.1-1 security advisory
      expect(want).toContain('masked.x86_64 1.2-1 baseos');
      expect(want.length).toBeGreaterThanOrEqual(4);
      // every non-security update is a pending update dnf lists without --security
      expect(facts.updates.filter((u) => !u.security).length).toBeGreaterThan(0);
    });

    it('security advisories equal dnf updateinfo list --security (id, severity, NEVRA)', () => {
      const out = dnf(['-C', 'updateinfo', 'list', '--security']).out;
      const want = out
        .split('\n')
        .flatMap((l) => {
          const m = /^(\S+)\s+(?:(\S+)\/)?Sec\.\s+(\S+)$/.exec(l.trim());
          return m ? [`${m[1]} ${m[2] === undefined || m[2] === 'Unknown' ? '-' : m[2]} ${m[3]}`] : []; // dnf prints Unknown/Sec. for no <severity>
        })
        .sort();
      const got = facts.advisories.map((a) => `${a.id} ${a.severity ?? '-'} ${a.nevra}`).sort();
      expect(got).toEqual(want);
      expect(want.some((w) => w.startsWith('HW-2026-0005 Low ghost-1.5-1.x86_64'))).toBe(true);
    });
  },
);
