/**
 * The RPM update modules on good, malformed, truncated and huge input: dnf's INI files, repomd.xml,
 * primary.xml and updateinfo.xml (real createrepo_c output from the rpm-* fixtures, plus generated
 * documents), the cache layouts of dnf 4, dnf 5 and yum, the update semantics, and automatic updates.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostRoot } from '../../src/host/root.js';
import { parseIni, parseMainConf, parseRepoFile, specMatcher } from '../../probes/updates/rpm/repos.js';
import { parsePrimary, parseRepomd, parseUpdateinfo } from '../../probes/updates/rpm/metadata.js';
import { findCacheDirs, pickCacheDir, readRepoCache } from '../../probes/updates/rpm/cache.js';
import { computeRpmUpdates } from '../../probes/updates/rpm/updates.js';
import type { AvailablePackage, RepoAdvisory } from '../../probes/updates/rpm/updates.js';
import { gatherRpmAutomatic } from '../../probes/updates/rpm/automatic.js';
import { lockMatcher, parseVersionlockList, readVersionlock } from '../../probes/updates/rpm/versionlock.js';
import { FIXTURES } from '../helpers/hosts.js';
import { decode } from '../../probes/updates/compress.js';

const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempRoot(files: Record<string, string | Buffer>, links: Record<string, string> = {}): HostRoot {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-rpmmd-'));
  tmp.push(d);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, p)), { recursive: true });
    writeFileSync(path.join(d, p), c);
  }
  for (const [p, target] of Object.entries(links)) {
    mkdirSync(path.dirname(path.join(d, p)), { recursive: true });
    symlinkSync(target, path.join(d, p));
  }
  return new HostRoot(d);
}

const all = () => true;
const ROCKY_CACHE = path.join(FIXTURES, 'rpm-rocky9-security/var/cache/dnf/baseos-0b6c2d41a3a4f1e2/repodata');
const fileIn = (dir: string, suffix: string) =>
  readFileSync(
    path.join(
      dir,
      readdirSync(dir).find((f) => f.endsWith(suffix))!,
    ),
  );
const gunzip = async (b: Buffer) => {
  const d = await decode(b, 'gz', 1 << 26);
  if (!d.ok) throw new Error(d.reason);
  return d.bytes;
};

describe('dnf INI files', () => {
  it('reads sections, continuation lines, comments and list options as libdnf does', () => {
    const ini = parseIni(
      '# c\n[main]\nexclude=kernel*\n  foo bar,baz\n; other\ngpgcheck = 1\nnot a pair\n\n[x]\nk=v\n',
    );
    expect(ini.sections.map((s) => s.name)).toEqual(['main', 'x']);
    expect(ini.sections[0]!.values.get('exclude')!.value).toBe('kernel*\nfoo bar,baz');
    expect(ini.problems).toEqual([{ line: 7, message: 'not a key=value line: not a pair' }]);
    const m = parseMainConf(
      '[main]\nexclude=kernel*\n  foo bar,baz\nexcludepkgs=qux\ncachedir=/var/cache/dnf\nreposdir=/etc/a.d,/etc/b.d\n[local]\nbaseurl=file:///srv\n',
      '/etc/dnf/dnf.conf',
    );
    expect(m.main.excludes).toEqual(['kernel*', 'foo', 'bar', 'baz', 'qux']);
    expect(m.main.reposdir).toEqual(['/etc/a.d', '/etc/b.d']);
    expect(m.repos.map((r) => r.id)).toEqual(['local']);
  });
  it('skips [main] and invalid ids in .repo files, reads enabled, priority, excludes and includes', () => {
    const r = parseRepoFile(
      '[main]\nenabled=1\n[baseos]\nenabled=0\npriority=5\n[app stream]\n[epel-$releasever]\n[k8s]\nenabled=True\nexclude=kube*\nincludepkgs=kubelet.x86_64\npriority=x\n',
      '/etc/yum.repos.d/a.repo',
    );
    expect(r.repos.map((x) => [x.id, x.enabled, x.priority])).toEqual([
      ['baseos', false, 5],
      ['k8s', true, 99],
    ]);
    expect(r.repos[1]!.excludes).toEqual(['kube*']);
    expect(r.problems.join('\n')).toMatch(/bad repository id \[app stream\][\s\S]*dnf variables/);
    const m = specMatcher(['kube*', 'foo.i686', 'b?r', 'q[ux]x']);
    expect([
      m('kubelet', 'x86_64'),
      m('foo', 'i686'),
      m('foo', 'x86_64'),
      m('bar', 'noarch'),
      m('qux', 'noarch'),
      m('qax', 'noarch'),
    ]).toEqual([true, true, false, true, true, false]);
  });
  it('never throws on garbage and reads long input', () => {
    for (const g of ['[', ']]]', '=', '[a\n=b', '\u0000\u0001[x]\n k=v', ' continuation first'])
      expect(() => parseIni(g)).not.toThrow();
    // bench/parsers.mjs measures the time on this input.
    const big = '[r]\n' + 'exclude=a\n'.repeat(100_000);
    const r = parseRepoFile(big, 'x');
    expect(r.problems).toEqual([]);
    expect(r.repos).toMatchObject([{ id: 'r', excludes: ['a'] }]);
  });
});

describe('repomd.xml', () => {
  it('reads real createrepo_c output: data types, hrefs and timestamps', () => {
    const r = parseRepomd(readFileSync(path.join(ROCKY_CACHE, 'repomd.xml')));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.repomd.revision).toBe('1795435200');
    expect(r.repomd.data.map((d) => d.type).sort()).toEqual(['primary', 'updateinfo']);
    expect(r.repomd.data.find((d) => d.type === 'primary')!.href).toMatch(/^repodata\/[0-9a-f]{64}-primary\.xml\.gz$/);
    expect(r.repomd.newestTimestamp).toBe(1795435200);
  });
  it('says why for malformed, truncated, foreign and entity-laden documents', () => {
    const good = readFileSync(path.join(ROCKY_CACHE, 'repomd.xml'));
    for (let n = 1; n < good.length - 12; n += 37) {
      const r = parseRepomd(good.subarray(0, n));
      expect(r.ok, `cut at ${n}`).toBe(false);
    }
    expect(parseRepomd(Buffer.from('<html><body/></html>'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no <repomd>'),
    });
    expect(parseRepomd(Buffer.from('not xml at all'))).toMatchObject({ ok: false });
    expect(parseRepomd(Buffer.alloc(0)).ok).toBe(false);
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><repomd><revision>&b;</revision></repomd>';
    // Entities are not expanded: the document is refused, not blown up.
    expect(parseRepomd(Buffer.from(bomb))).toMatchObject({ ok: false, reason: expect.stringContaining('entity') });
    const noTs = parseRepomd(
      Buffer.from(
        '<repomd><revision>1700000000</revision><data type="primary"><location href="repodata/p.xml.gz"/></data></repomd>',
      ),
    );
    expect(noTs).toMatchObject({ ok: true, repomd: { newestTimestamp: 1700000000 } });
  });
});

describe('primary.xml', () => {
  it('reads real createrepo_c output, keeping only the names asked for', async () => {
    const xml = await gunzip(fileIn(ROCKY_CACHE, '-primary.xml.gz'));
    const r = parsePrimary(xml, { keep: (n) => n === 'openssl-libs' });
    expect(r).toMatchObject({ ok: true, total: 6 });
    if (!r.ok) return;
    expect([...r.packages].sort((a, b) => a.release.length - b.release.length)).toEqual([
      { name: 'openssl-libs', arch: 'x86_64', epoch: 1, version: '3.2.2', release: '6.el9_5' },
      { name: 'openssl-libs', arch: 'x86_64', epoch: 1, version: '3.2.2', release: '6.el9_5.1' },
    ]);
  });
  it('fails with a reason on every truncation and on garbage, never throws', async () => {
    const xml = await gunzip(fileIn(ROCKY_CACHE, '-primary.xml.gz'));
    for (let n = 0; n < xml.length - 12; n += 53)
      expect(parsePrimary(xml.subarray(0, n), { keep: all }).ok, `cut at ${n}`).toBe(false);
    let seed = 11;
    for (let k = 0; k < 300; k++) {
      const junk = Buffer.from(xml);
      for (let i = 0; i < 20; i++) junk[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % junk.length] = seed & 0xff;
      expect(() => parsePrimary(junk, { keep: all })).not.toThrow();
    }
    const bad = parsePrimary(
      Buffer.from(
        '<metadata><package><name>x</name><arch>noarch</arch><version epoch="zz" ver="1" rel="1"/></package><package><name>y</name></package></metadata>',
      ),
      { keep: all },
    );
    expect(bad).toMatchObject({ ok: true, total: 2, packages: [] });
    if (bad.ok) expect(bad.problems).toHaveLength(2);
  });
  // bench/parsers.mjs measures the time on this input.
  it('parses a generated primary of 30,000 packages, keeping few', () => {
    const pkg = (i: number) =>
      `<package type="rpm"><name>pkg${i}</name><arch>x86_64</arch><version epoch="0" ver="1.${i}" rel="1.el9"/><checksum type="sha256" pkgid="YES">${'a'.repeat(64)}</checksum><summary>s</summary><description>${'d'.repeat(300)}</description><format><rpm:license>MIT</rpm:license><rpm:provides><rpm:entry name="pkg${i}" flags="EQ" epoch="0" ver="1.${i}" rel="1.el9"/><rpm:entry name="libpkg${i}.so.1()(64bit)"/></rpm:provides><rpm:requires><rpm:entry name="libc.so.6()(64bit)"/></rpm:requires><file>/usr/bin/pkg${i}</file></format></package>\n`;
    const parts = [
      '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="30000">\n',
    ];
    for (let i = 0; i < 30_000; i++) parts.push(pkg(i));
    parts.push('</metadata>\n');
    const xml = Buffer.from(parts.join(''));
    const r = parsePrimary(xml, { keep: (n) => n.endsWith('7') });
    expect(r).toMatchObject({ ok: true, total: 30_000 });
    if (r.ok) expect(r.packages).toHaveLength(3000);
    const capped = parsePrimary(xml, { keep: all, maxPackages: 10 });
    expect(
      capped.ok && capped.packages.length === 10 && capped.problems.filter((p) => p.includes('stopped')).length === 1,
    ).toBe(true);
  });
});

describe('updateinfo.xml', () => {
  it('reads real modifyrepo_c output: id, type, severity, issued and packages', async () => {
    const xml = await gunzip(fileIn(ROCKY_CACHE, '-updateinfo.xml.gz'));
    const r = parseUpdateinfo(xml, { keep: all });
    expect(r).toMatchObject({ ok: true, total: 3 });
    if (!r.ok) return;
    expect(r.advisories[0]).toEqual({
      id: 'RLSA-2026:1234',
      type: 'security',
      severity: 'Important',
      issued: '2026-11-10 00:00:00',
      packages: [{ name: 'openssl-libs', arch: 'x86_64', epoch: 1, version: '3.2.2', release: '6.el9_5.1' }],
    });
    expect(r.advisories[2]).toMatchObject({ id: 'RLBA-2026:1200', type: 'bugfix' });
    expect(r.advisories[2]!.severity).toBeUndefined();
    const few = parseUpdateinfo(xml, { keep: (n) => n === 'bash' });
    expect(few.ok && few.advisories.map((a) => a.id)).toEqual(['RLSA-2026:1100']);
  });
  it('fails with a reason when truncated or malformed, and reports advisories without id or with bad packages', async () => {
    const xml = await gunzip(fileIn(ROCKY_CACHE, '-updateinfo.xml.gz'));
    for (let n = 0; n < xml.length - 12; n += 41)
      expect(parseUpdateinfo(xml.subarray(0, n), { keep: all }).ok, `cut at ${n}`).toBe(false);
    const odd = parseUpdateinfo(
      Buffer.from(
        '<updates><update type="security"><pkglist><collection><package name="a" version="1" release="1" arch="x86_64"/></collection></pkglist></update><update type="security"><id>X</id><pkglist><collection><package name="a" version="1" arch="x86_64"/></collection></pkglist></update></updates>',
      ),
      { keep: all },
    );
    expect(odd).toMatchObject({ ok: true, total: 2, advisories: [] });
    if (odd.ok) expect(odd.problems.join('\n')).toMatch(/no <id>[\s\S]*lacks arch, version, release/);
    expect(parseUpdateinfo(Buffer.from('<metadata/>'), { keep: all })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no <updates>'),
    });
  });
});

describe('cache layouts', () => {
  const repomd = (files: string[]) =>
    `<repomd>${files.map((f) => `<data type="${f.includes('updateinfo') ? 'updateinfo' : f.includes('zck') ? 'primary_zck' : 'primary'}"><location href="repodata/${f}"/><timestamp>1700000000</timestamp></data>`).join('')}</repomd>`;
  const primary = (v: string) =>
    gzipSync(
      `<metadata><package type="rpm"><name>bash</name><arch>x86_64</arch><version epoch="0" ver="${v}" rel="1"/></package></metadata>`,
    );
  it('finds dnf 4, dnf 5 and yum caches, and the newest directory of a repository', async () => {
    const host = tempRoot({
      '/var/cache/dnf/baseos-0123456789abcdef/repodata/repomd.xml': repomd(['p-primary.xml.gz']),
      '/var/cache/dnf/baseos-0123456789abcdef/repodata/p-primary.xml.gz': primary('5.1'),
      '/var/cache/dnf/baseos-fedcba9876543210/repodata/repomd.xml': repomd(['q-primary.xml.gz']),
      '/var/cache/dnf/baseos-fedcba9876543210/repodata/q-primary.xml.gz': primary('5.2'),
      '/var/cache/dnf/not-a-cache/repodata/repomd.xml': repomd([]),
      '/var/cache/libdnf5/updates-00000000000000aa/repodata/repomd.xml': repomd(['z-primary.xml.zck']),
      '/var/cache/libdnf5/updates-00000000000000aa/repodata/z-primary.xml.zck': '\0ZCK1',
      '/var/cache/yum/x86_64/7/base/repomd.xml': repomd(['b-primary.sqlite.bz2']),
      '/var/cache/yum/x86_64/7/base/b-primary.sqlite.bz2': 'BZh',
    });
    const old = path.join(host.fsPath('/'), 'var/cache/dnf/baseos-0123456789abcdef/repodata/repomd.xml');
    const { utimesSync } = await import('node:fs');
    utimesSync(old, new Date('2020-01-01'), new Date('2020-01-01'));
    const found = await findCacheDirs(host, { excludes: [], problems: [] });
    expect([...found.dirs.keys()].sort()).toEqual(['base', 'baseos', 'updates']);
    const dir = pickCacheDir(found.dirs.get('baseos'))!;
    expect(dir.repodata).toBe('/var/cache/dnf/baseos-fedcba9876543210/repodata');
    const limits = { maxFileBytes: 1 << 20, maxDecodedBytes: 1 << 20 };
    const c = await readRepoCache(host, dir, all, limits);
    expect(c.primary).toMatchObject({ total: 1, packages: [{ name: 'bash', version: '5.2' }] });
    const zck = await readRepoCache(host, pickCacheDir(found.dirs.get('updates'))!, all, limits);
    expect(zck.primary?.problem).toContain('zchunk');
    const yum = await readRepoCache(host, pickCacheDir(found.dirs.get('base'))!, all, limits);
    expect(yum.primary?.path).toBe('/var/cache/yum/x86_64/7/base/b-primary.sqlite.bz2');
    expect(yum.primary?.problem).toMatch(/bzip2|sqlite/);
  });
  it('reports a missing primary, an oversized file and corrupt compression', async () => {
    const host = tempRoot({
      '/var/cache/dnf/a-0123456789abcdef/repodata/repomd.xml': repomd(['gone-primary.xml.gz']),
      '/var/cache/dnf/b-0123456789abcdef/repodata/repomd.xml': repomd(['big-primary.xml.gz']),
      '/var/cache/dnf/b-0123456789abcdef/repodata/big-primary.xml.gz': gzipSync(Buffer.alloc(4 << 20, 0x20)),
      '/var/cache/dnf/c-0123456789abcdef/repodata/repomd.xml': repomd(['bad-primary.xml.gz']),
      '/var/cache/dnf/c-0123456789abcdef/repodata/bad-primary.xml.gz': primary('1').subarray(0, 20),
      '/var/cache/dnf/d-0123456789abcdef/repodata/repomd.xml': '<repomd><data',
    });
    const found = await findCacheDirs(host, { excludes: [], problems: [] });
    const limits = { maxFileBytes: 1 << 20, maxDecodedBytes: 1 << 20 };
    const read = async (id: string) => readRepoCache(host, pickCacheDir(found.dirs.get(id))!, all, limits);
    expect((await read('a')).problems[0]).toContain('not in the cache');
    expect((await read('b')).primary?.problem).toContain('larger than');
    expect((await read('c')).primary?.problem).toMatch(/corrupt|unexpected end/);
    expect((await read('d')).problems[0]).toContain('malformed repomd.xml');
  });
});

describe('dnf update semantics', () => {
  const av = (name: string, evr: string, arch = 'x86_64', repo = 'baseos', priority = 99): AvailablePackage => {
    const [e, vr] = evr.includes(':') ? [Number(evr.split(':')[0]), evr.split(':')[1]!] : [undefined, evr];
    const [version, release] = [vr.slice(0, vr.lastIndexOf('-')), vr.slice(vr.lastIndexOf('-') + 1)];
    return { name, arch, version, release, ...(e ? { epoch: e } : {}), repo, priority, file: `/p/${repo}` };
  };
  const inst = (name: string, evr: string, arch = 'x86_64') => {
    const { repo: _r, priority: _p, file: _f, ...p } = av(name, evr, arch);
    return p;
  };
  const adv = (id: string, type: string, pkgs: AvailablePackage[], severity?: string): RepoAdvisory => ({
    id,
    type,
    ...(severity ? { severity } : {}),
    packages: pkgs.map(({ repo: _r, priority: _p, file: _f, ...p }) => p),
    repo: 'baseos',
    file: '/u',
  });

  it('picks the newest upgrade per name.arch, across noarch, by priority, never downgrading', () => {
    const r = computeRpmUpdates(
      [
        inst('a', '1.0-1'),
        inst('b', '1.0-1', 'noarch'),
        inst('c', '2:1.0-1'),
        inst('d', '1.0-1'),
        { name: 'gpg-pubkey', version: 'abc', release: '1' },
      ],
      [
        av('a', '1.1-1'),
        av('a', '1.2-1'),
        av('a', '9-1', 'src'),
        av('b', '1.1-1'),
        av('c', '1:9.0-1'),
        av('d', '1.5-1'),
        av('d', '1.1-1', 'x86_64', 'fast', 10),
        av('gpg-pubkey', 'abd-1'),
      ],
      [],
    );
    expect(r.updates.map((u) => `${u.name}.${u.arch} ${u.installed} -> ${u.candidate} ${u.archives}`)).toEqual([
      'a.x86_64 1.0-1 -> 1.2-1 baseos',
      'b.x86_64 1.0-1 -> 1.1-1 baseos',
      'd.x86_64 1.0-1 -> 1.1-1 fast',
    ]);
  });
  it('security: an upgrade at or above a security advisory newer than installed, with severity; advisories newer than installed', () => {
    const r = computeRpmUpdates(
      [inst('a', '1.0-1'), inst('k', '5.0-1'), inst('k', '5.1-1'), inst('g', '1.0-1')],
      [av('a', '1.1-1'), av('a', '1.2-1'), av('k', '5.2-1')],
      [
        adv('S1', 'security', [av('a', '1.1-1')], 'Moderate'),
        adv('S2', 'security', [av('a', '1.1-1')], 'Critical'),
        adv('B1', 'bugfix', [av('k', '5.2-1')]),
        adv('S3', 'security', [av('g', '2.0-1')], 'Low'),
        adv('S4', 'security', [av('k', '5.1-1')], 'Important'),
      ],
      '5.0-1.x86_64',
    );
    expect(r.updates.map((u) => [u.name, u.candidate, u.security, u.advisories?.map((a) => a.id)])).toEqual([
      ['a', '1.2-1', true, ['S2', 'S1']],
      ['k', '5.2-1', false, undefined],
    ]);
    // S4 fixes 5.1-1: newer than the running kernel's 5.0-1 package, so dnf lists it; g has no build available
    expect(r.advisories.map((a) => `${a.id} ${a.nevra} ${a.installed}`)).toEqual([
      'S1 a-1.1-1.x86_64 1.0-1',
      'S2 a-1.1-1.x86_64 1.0-1',
      'S3 g-2.0-1.x86_64 1.0-1',
      'S4 k-5.1-1.x86_64 5.0-1',
    ]);
  });
});

describe('automatic updates', () => {
  it('dnf-automatic-install.timer installs whatever apply_updates says; a masked timer does not count', async () => {
    const host = tempRoot(
      {
        '/etc/dnf/automatic.conf': '[commands]\napply_updates = no\n',
        '/etc/yum/yum-cron.conf': '[commands]\nupdate_cmd = security\napply_updates = yes\n',
        '/dev/null': '',
      },
      {
        '/etc/systemd/system/timers.target.wants/dnf-automatic-install.timer':
          '/usr/lib/systemd/system/dnf-automatic-install.timer',
        '/etc/systemd/system/dnf-automatic.timer': '/dev/null',
      },
    );
    const a = await gatherRpmAutomatic(host, new Set(['dnf-automatic', 'yum-cron']));
    const dnfA = a.tools.find((t) => t.id === 'dnf-automatic')!;
    expect(dnfA.applies).toBe(true);
    expect(dnfA.applyUpdates).toMatchObject({ value: 'no', line: 2 });
    expect(dnfA.units.find((u) => u.unit === 'dnf-automatic.timer')).toMatchObject({ enabled: false, masked: true });
    const yc = a.tools.find((t) => t.id === 'yum-cron')!;
    expect(yc).toMatchObject({ installed: true, applies: false, upgradeType: { value: 'security' } });
  });
  it('yum-cron enabled as a service with apply_updates = yes applies', async () => {
    const host = tempRoot(
      { '/etc/yum/yum-cron.conf': '[commands]\nupdate_cmd = default\napply_updates = yes\n' },
      { '/etc/systemd/system/multi-user.target.wants/yum-cron.service': '/usr/lib/systemd/system/yum-cron.service' },
    );
    const a = await gatherRpmAutomatic(host, new Set(['yum-cron']));
    expect(a.tools.find((t) => t.id === 'yum-cron')).toMatchObject({
      applies: true,
      units: [{ unit: 'yum-cron.service', enabled: true }],
    });
  });
});

describe('dnf versionlock', () => {
  it('reads locks (not ! exclusions), names with hyphens, and only when the plugin is enabled', async () => {
    const r = parseVersionlockList(
      '# comment\nkubelet-0:1.35.0-150500.1.1.*\ncontainer-selinux-2:2.229.0-1.el9.noarch\n!bash-5.1.8-10.el9.*\nbogus\n\n',
    );
    expect(r.locks.map((l) => [l.name, l.line])).toEqual([
      ['kubelet', 2],
      ['container-selinux', 3],
    ]);
    expect(r.problems).toEqual(['line 5: not a name-version-release pattern: bogus']);
    expect(lockMatcher(r.locks)('container-selinux')?.line).toBe(3);
    const off = tempRoot({
      '/etc/dnf/plugins/versionlock.list': 'kubelet-0:1.35.0-1.*\n',
      '/etc/dnf/plugins/versionlock.conf': '[main]\nenabled=0\n',
    });
    expect(await readVersionlock(off)).toMatchObject({ locks: [], note: expect.stringContaining('not enabled') });
    const on = tempRoot({
      '/etc/dnf/plugins/versionlock.list': 'kubelet-0:1.35.0-1.*\n',
      '/etc/dnf/plugins/versionlock.conf': '[main]\nenabled = 1\n',
      '/etc/dnf/versionlock.toml': 'version = "1.0"\n',
    });
    expect(await readVersionlock(on)).toMatchObject({
      locks: [{ name: 'kubelet' }],
      note: expect.stringContaining('versionlock.toml (dnf 5) is not read'),
    });
  });
});
