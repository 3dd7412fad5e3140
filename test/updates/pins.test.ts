/**
 * apt pins: the pattern matching (fnmatch FNM_CASEFOLD, POSIX ERE), reading preferences as apt 2.x does,
 * the policy (specific and generic pins, never, downgrades, APT::Default-Release), list targets from file
 * names, and what the checks say. Real apt is compared in pins-ground-truth.test.ts.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { globMatcher, regexMatcher, expressionMatcher, isNamePattern } from '../../probes/updates/deb/pin-match.js';
import { parsePreferences, readPriority, isPreferencesPart, NEVER_PIN } from '../../probes/updates/deb/preferences.js';
import type { Pin } from '../../probes/updates/deb/preferences.js';
import { computePolicy, nativeArchOf } from '../../probes/updates/deb/policy.js';
import { indexTargetOf } from '../../probes/updates/deb/lists.js';
import type { AptList } from '../../probes/updates/deb/lists.js';
import type { InstalledPackage } from '../../src/host/facts/dpkg/status.js';
import { readPreferences, MAX_PREFERENCES_BYTES } from '../../probes/updates/deb/family.js';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { updatesProbe } from '../../probes/updates/index.js';
import { updatesChecks } from '../../probes/updates/checks.js';
import type { UpdatesFacts } from '../../probes/updates/types.js';
import { parseProbeOptions } from '../../src/scan/runner.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-pins-'));
  dirs.push(d);
  return d;
};

describe('pattern matching as apt does it', () => {
  it('globs: case-insensitive, * crosses "/" and ".", brackets, negation, escapes', () => {
    const t = (p: string, s: string) => globMatcher(p).test(s);
    expect(t('lib*', 'libc6')).toBe(true);
    expect(t('LIB*', 'libc6')).toBe(true);
    expect(t('lib*', 'xlibc6')).toBe(false);
    expect(t('*', '.hidden/x')).toBe(true);
    expect(t('lib?', 'libc')).toBe(true);
    expect(t('lib?', 'libc6')).toBe(false);
    expect(t('lib[a-c]*', 'libcap2')).toBe(true);
    expect(t('lib[a-c]*', 'libdb5.3')).toBe(false);
    expect(t('lib[!a-c]*', 'libdb5.3')).toBe(true);
    expect(t('lib[^a-c]*', 'libcap2')).toBe(false);
    expect(t('lib[[:digit:]]', 'lib6')).toBe(true);
    expect(t('[]]x', ']x')).toBe(true);
    expect(t('a\\*', 'a*')).toBe(true);
    expect(t('a\\*', 'ab')).toBe(false);
    expect(t('a[b', 'a[b')).toBe(true); // an unclosed bracket is literal
    expect(t('a\\', 'a\\')).toBe(false); // glibc: a trailing backslash matches nothing
    expect(t('', '')).toBe(true);
    expect(t('*-dev', 'libssl-dev')).toBe(true);
  });

  // bench/parsers.mjs measures the time; a backtracking matcher would not finish this within the test timeout.
  it('globs answer backtracking shapes (linear in pattern times text, not exponential)', () => {
    const p = '*a'.repeat(2000) + 'b';
    const s = 'a'.repeat(20_000);
    expect(globMatcher(p).test(s)).toBe(false);
    expect(globMatcher(p).test(s + 'b')).toBe(true);
    expect(globMatcher('x'.repeat(5000)).ok).toBe(false);
  });

  it('POSIX ERE: unanchored, case-insensitive, classes and GNU escapes', () => {
    const t = (p: string, s: string) => regexMatcher(p).test(s);
    expect(t('^python3', 'python3-yaml')).toBe(true);
    expect(t('^python3', 'libpython3.11')).toBe(false);
    expect(t('python3', 'libpython3.11')).toBe(true);
    expect(t('^LIBC', 'libc6')).toBe(true);
    expect(t('^lib[[:alpha:]]+[[:digit:]]$', 'libc6')).toBe(true);
    expect(t('a{2,3}', 'baab')).toBe(true);
    expect(t('^a{2}$', 'aaa')).toBe(false);
    expect(t('\\<ssl\\>', 'lib ssl x')).toBe(true);
    expect(t('a\\.b', 'a.b')).toBe(true);
    expect(t('a\\.b', 'axb')).toBe(false);
    expect(t('[\\d]', 'd')).toBe(true); // a backslash is literal inside POSIX brackets
    expect(t('(jq|bash)$', 'bash')).toBe(true);
    expect(t('a)', 'a)')).toBe(true); // glibc: an unmatched ) is literal
    expect(t('^b++$', 'bb')).toBe(true); // stacked repetition
    expect(t('^ab*?$', 'abbb')).toBe(true); // *? is not lazy in POSIX: (b*)?
  });

  it('refuses invalid and dangerous expressions as problems, matching nothing', () => {
    for (const p of [
      '([a',
      'x{',
      '*a',
      'a|+',
      '[[:nope:]]',
      '(?i)a',
      'a\\',
      '(a)\\1',
      '(a+)+$',
      '(x*)*y',
      'a{1,2}{3}',
      'a{3,1}',
      'x'.repeat(5000),
    ]) {
      const m = regexMatcher(p);
      expect(m.ok, p).toBe(false);
      expect(m.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'), p).toBe(false);
    }
    expect(expressionMatcher('/^lib/').test('libc6')).toBe(true);
    expect(expressionMatcher('lib*').test('libc6')).toBe(true);
    expect(expressionMatcher('/').test('/')).toBe(true); // a lone slash is a glob
    expect(['lib*', '/x/', 'a?', 'a[b]', 'libc6', 'g++', '/x'].map(isNamePattern)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('reading preferences as apt 2.x does', () => {
  it('reads priorities like strtol, "never" only for Package: *', () => {
    expect(readPriority('600', false)).toEqual({ priority: 600 });
    expect(readPriority(' -1 ', false)).toEqual({ priority: -1 });
    expect(readPriority('+990', false)).toEqual({ priority: 990 });
    expect(readPriority('1001 (pinned)', false)).toEqual({ priority: 1001 });
    expect(readPriority('-32768', true)).toEqual({ priority: -32767 });
    expect(readPriority('never', true)).toEqual({ priority: NEVER_PIN });
    for (const bad of [undefined, '', 'high', '0', '40000', '-40000', 'never', '9'.repeat(30)])
      expect(readPriority(bad, false), String(bad)).toHaveProperty('error');
  });

  it('keeps the records apt applies and says why the others are not', () => {
    const text = [
      'Package: jq',
      'Pin: release n=bookworm',
      'Pin-Priority: 900',
      '',
      '# comment only',
      '',
      'Package: bash',
      'Pin-Priority: 900',
      '',
      'Package: jq',
      'Pin: sources x',
      'Pin-Priority: 900',
      '',
      'Package: *',
      'Pin: version 1.0',
      'Pin-Priority: 900',
      '',
      'Package: *',
      'Pin: release o=Backports',
      'Pin-Priority: never',
      '',
      'Package: curl',
      'Pin: release *',
      '',
      'Package: never-read',
      'Pin: release *',
      'Pin-Priority: 500',
      '',
    ].join('\n');
    const r = parsePreferences(text, '/etc/apt/preferences');
    expect(r.pins.map((p) => `${p.line} ${p.package} ${p.priority}`)).toEqual(['1 jq 900', '18 * -32768']);
    expect(r.problems.map((p) => p.replace(/^[^ ]+ /, ''))).toEqual([
      'a record without Pin: apt ignores it',
      'pin type "sources" is not understood: apt warns and ignores the record',
      'pin type "version" is not understood for "Package: *": apt warns and ignores the record',
      'no Pin-Priority: apt stops with an error and ignores the rest of this file',
    ]);
    expect(r.problems[0]).toMatch(/^\/etc\/apt\/preferences:7: /);
  });

  // Each installed package is matched against every pin (as apt does): 20,000 pins over 200 packages is four
  // million matches, bounded by the timeout rather than a measured time (bench/ keeps the figures).
  it('survives malformed, truncated and huge input', { timeout: 120_000 }, () => {
    for (const t of [
      '\0\0\0',
      'Package',
      'Package: a\nPin: release',
      ':::\n  cont\n',
      'Package: a\nPin: origin x\nPin-Priority: 5'.slice(0, 25),
      '\n\n\n',
    ]) {
      const r = parsePreferences(t, 'f');
      expect(Array.isArray(r.pins)).toBe(true);
    }
    const many = Array.from(
      { length: 20_000 },
      (_, i) => `Package: pkg${i} lib${i}*\nPin: release n=bookworm\nPin-Priority: ${(i % 1500) + 1}\n`,
    ).join('\n');
    const r = parsePreferences(many, 'big');
    expect(r.pins).toHaveLength(20_000);
    const installed = Array.from({ length: 200 }, (_, i) => inst(`lib${i}x`, '1.0'));
    const res = computePolicy(
      installed,
      [
        list(
          'main',
          { suite: 'stable', codename: 'bookworm' },
          installed.map((p) => [p.name, '2.0']),
        ),
      ],
      { pins: r.pins },
    );
    expect(res.candidates.size).toBe(200);
  });

  it('reads only the parts apt reads', () => {
    expect(
      ['nodejs', 'x.pref', 'x.dpkg-old', 'a:b', '.hidden', 'x.', 'bad name', 'x.pref.disabled', 'a.b.pref'].map(
        isPreferencesPart,
      ),
    ).toEqual([true, true, false, true, false, false, false, false, true]);
  });
});

function list(
  p: string,
  rel: Record<string, unknown> | undefined,
  entries: [string, string, string?][],
  site = 'deb.debian.org',
  component = 'main',
  arch = 'amd64',
): AptList {
  const l: AptList = {
    path: p,
    entries: entries.map(([name, version, a]) => ({ name, version, arch: a ?? 'amd64' })),
    packages: entries.length,
    target: { site, component, arch },
  };
  if (rel)
    l.release = {
      path: p + '_Release',
      prefix: p,
      info: { notAutomatic: false, butAutomaticUpgrades: false, signed: true, ...rel },
    };
  return l;
}
const inst = (name: string, version: string, arch = 'amd64'): InstalledPackage => ({
  name,
  arch,
  version,
  want: 'install',
  state: 'installed',
  held: false,
  line: 1,
});
const pins = (text: string): Pin[] => {
  const r = parsePreferences(text, '/etc/apt/preferences');
  expect(r.problems).toEqual([]);
  return r.pins;
};

describe('the policy with pins', () => {
  const main = list(
    'main',
    { origin: 'Debian', label: 'Debian', suite: 'stable', codename: 'bookworm', version: '12.8' },
    [
      ['a', '1.0'],
      ['b', '1.0'],
      ['c', '2.0'],
      ['d', '1.0'],
      ['e', '1.0', 'all'],
    ],
  );
  const sec = list(
    'sec',
    { origin: 'Debian', label: 'Debian-Security', suite: 'stable-security', codename: 'bookworm-security' },
    [
      ['a', '1.1'],
      ['c', '2.1'],
    ],
  );
  const bpo = list(
    'bpo',
    {
      origin: 'Debian Backports',
      suite: 'stable-backports',
      codename: 'bookworm-backports',
      notAutomatic: true,
      butAutomaticUpgrades: true,
    },
    [
      ['b', '3.0'],
      ['d', '2.0'],
    ],
    'backports.example.org',
  );
  const local = list('local', { suite: 'local' }, [['a', '9.0']], '');
  const all = [main, sec, bpo, local];
  const installed = [inst('a', '1.0'), inst('b', '1.0'), inst('c', '2.0'), inst('d', '1.0'), inst('e', '1.0', 'all')];
  const cands = (text: string, opts: { defaultRelease?: string } = {}) => {
    const r = computePolicy(installed, all, { pins: pins(text), ...opts });
    return Object.fromEntries([...r.candidates].map(([k, v]) => [k.split(':')[0], v.candidate ?? 'none']));
  };

  it('without pins: 500 beats backports (100)', () => {
    expect(cands('')).toEqual({ a: '9.0', b: '1.0', c: '2.1', d: '1.0', e: '1.0' });
  });

  it('specific pins: first matching pin per version wins; > 1000 downgrades; < 0 forbids', () => {
    expect(
      cands('Package: a\nPin: version 1.0\nPin-Priority: 1001\n\nPackage: a\nPin: version 1.*\nPin-Priority: 50\n').a,
    ).toBe('1.0');
    expect(
      cands('Package: a\nPin: version 1.*\nPin-Priority: 50\n\nPackage: a\nPin: version 1.0\nPin-Priority: 1001\n').a,
    ).toBe('9.0');
    expect(cands('Package: c\nPin: release n=bookworm\nPin-Priority: 1001\n').c).toBe('2.0');
    expect(cands('Package: c\nPin: version 1.9\nPin-Priority: 1001\n').c).toBe('2.1'); // no such version
    expect(cands('Package: a\nPin: origin ""\nPin-Priority: -1\n').a).toBe('1.1'); // file: sources have an empty site
    expect(cands('Package: b d\nPin: origin backports.example.org\nPin-Priority: 600\n')).toMatchObject({
      b: '3.0',
      d: '2.0',
    });
    expect(cands('Package: /^[bd]$/\nPin: release a=stable-backports\nPin-Priority: 99\n')).toMatchObject({
      b: '1.0',
      d: '1.0',
    }); // 99 < installed 100
  });

  it('generic pins: first match per file wins, never wins always, the status file is a file too', () => {
    expect(cands('Package: *\nPin: release a=stable-backports\nPin-Priority: 500\n')).toMatchObject({
      b: '3.0',
      d: '2.0',
    });
    expect(
      cands(
        'Package: *\nPin: release l=Debian-Security\nPin-Priority: 50\n\nPackage: *\nPin: release l=Debian-Security\nPin-Priority: 900\n',
      ).c,
    ).toBe('2.0');
    expect(
      cands(
        'Package: *\nPin: release *\nPin-Priority: 200\n\nPackage: *\nPin: release n=bookworm-security\nPin-Priority: never\n',
      ),
    ).toMatchObject({ a: '9.0', c: '2.0' });
    // a specific pin does not revive a version whose every file is "never"
    expect(
      cands(
        'Package: *\nPin: release n=bookworm-security\nPin-Priority: never\n\nPackage: c\nPin: version 2.1\nPin-Priority: 990\n',
      ).c,
    ).toBe('2.0');
    expect(cands('Package: *\nPin: release a=now\nPin-Priority: 1001\n')).toMatchObject({ a: '1.0', c: '2.0' });
    expect(cands('Package: *\nPin: release c=main, b=amd64, v=12.*\nPin-Priority: 1001\n').c).toBe('2.0');
  });

  it('arch qualifiers: a bare name pins the native architecture (and arch: all), name:arch that one', () => {
    const both = [inst('libc6', '1.0'), inst('libc6', '1.0', 'i386'), inst('dpkg', '1.0')];
    const lists = [
      list('m', { suite: 'stable' }, [
        ['libc6', '1.0'],
        ['libc6', '1.0', 'i386'],
        ['dpkg', '1.0'],
      ]),
      list('s', { suite: 'stable-security' }, [
        ['libc6', '1.1'],
        ['libc6', '1.1', 'i386'],
      ]),
    ];
    const run = (text: string) =>
      Object.fromEntries(
        [...computePolicy(both, lists, { pins: pins(text) }).candidates].map(([k, v]) => [k, v.candidate]),
      );
    expect(run('Package: libc6\nPin: version 1.0\nPin-Priority: 1001\n')).toMatchObject({
      'libc6:amd64': '1.0',
      'libc6:i386': '1.1',
    });
    expect(run('Package: libc6:i386\nPin: version 1.0\nPin-Priority: 1001\n')).toMatchObject({
      'libc6:amd64': '1.1',
      'libc6:i386': '1.0',
    });
    expect(run('Package: libc6:any\nPin: version 1.0\nPin-Priority: 1001\n')).toMatchObject({
      'libc6:amd64': '1.0',
      'libc6:i386': '1.0',
    });
    expect(nativeArchOf(both)).toBe('amd64');
    expect(nativeArchOf([inst('x', '1', 'arm64'), inst('y', '1', 'all')])).toBe('arm64');
  });

  it('APT::Default-Release comes before every pin; an unknown one is a problem, not applied', () => {
    expect(cands('', { defaultRelease: 'stable-backports' })).toMatchObject({ b: '3.0', d: '2.0' });
    expect(
      cands('Package: *\nPin: release a=stable-backports\nPin-Priority: 50\n', {
        defaultRelease: 'bookworm-backports',
      }),
    ).toMatchObject({ b: '3.0' });
    const r = computePolicy(installed, all, { defaultRelease: 'trixie' });
    expect(r.problems.join()).toContain('names no release');
    expect(r.candidates.get('b:amd64')?.candidate).toBe('1.0');
  });

  it('reports what pins change, with file and line, and security fixes they withhold', () => {
    const r = computePolicy(installed, all, {
      pins: pins(
        'Package: x\nPin: release *\nPin-Priority: 5\n\nPackage: a\nPin: version 1.0\nPin-Priority: 1001\n\nPackage: *\nPin: release a=stable-backports\nPin-Priority: 600\n',
      ),
    });
    expect(
      r.effects.map(
        (e) =>
          `${e.name} ${e.unpinned}->${e.candidate} ${e.pins.map((p) => p.line).join(',')} ${e.securityWithheld ?? '-'}`,
      ),
    ).toEqual(['a 9.0->1.0 5 1.1', 'b 1.0->3.0 9 -', 'd 1.0->2.0 9 -']);
    expect(r.updates.find((u) => u.name === 'b')?.pins?.[0]).toMatchObject({
      file: '/etc/apt/preferences',
      line: 9,
      priority: 600,
    });
    const noLocal = computePolicy(installed, [main, sec], {
      pins: pins('Package: a c\nPin: release n=bookworm\nPin-Priority: 1001\n'),
    });
    expect(noLocal.effects.map((e) => `${e.name} ${e.securityWithheld}`)).toEqual(['a 1.1', 'c 2.1']);
    expect(noLocal.updates).toEqual([]);
  });

  it('src: pins pin every binary built from that source; source patterns are a problem', () => {
    const withSource = [{ ...inst('liba1', '1.0'), source: 'a' }, inst('a', '1.0'), inst('b', '1.0')];
    const lists = [
      {
        ...list('m', { suite: 'stable' }, []),
        entries: [
          { name: 'liba1', version: '1.0', arch: 'amd64', source: 'a' },
          { name: 'liba1', version: '2.0', arch: 'amd64', source: 'a' },
          { name: 'a', version: '1.0', arch: 'amd64' },
          { name: 'a', version: '2.0', arch: 'amd64' },
          { name: 'b', version: '2.0', arch: 'amd64' },
        ],
      },
    ];
    const r = computePolicy(withSource, lists, {
      pins: pins(
        'Package: src:a\nPin: version 1.0\nPin-Priority: 1001\n\nPackage: src:b*\nPin: version 1.0\nPin-Priority: 1001\n',
      ),
    });
    expect(Object.fromEntries([...r.candidates].map(([k, v]) => [k, v.candidate]))).toEqual({
      'liba1:amd64': '1.0',
      'a:amd64': '1.0',
      'b:amd64': '2.0',
    });
    expect(r.problems.join()).toContain('source package patterns');
  });
});

describe('list targets from file names', () => {
  it('reads site, component and architecture as apt named them', () => {
    expect(
      indexTargetOf(
        'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4',
        'deb.debian.org_debian_dists_bookworm',
      ),
    ).toEqual({ site: 'deb.debian.org', component: 'main', arch: 'amd64' });
    expect(
      indexTargetOf(
        'repo.example.org:8080_deb_dists_x_updates_main_binary-arm64_Packages',
        'repo.example.org:8080_deb_dists_x',
      ),
    ).toEqual({ site: 'repo.example.org', component: 'updates/main', arch: 'arm64' });
    expect(indexTargetOf('_srv_repo_dists_local_main_binary-amd64_Packages', '_srv_repo_dists_local')).toEqual({
      site: '',
      component: 'main',
      arch: 'amd64',
    });
    expect(indexTargetOf('download.example.org_my%5frepo_._Packages', 'download.example.org_my%5frepo_.')).toEqual({
      site: 'download.example.org',
      component: '',
      arch: '',
    });
    expect(indexTargetOf('%5b--1%5d:80_x_Packages', undefined).site).toBe('--1');
  });
});

describe('reading preferences from a host and what the checks say', () => {
  it('reports unreadable and oversized files as problems', async () => {
    const root = tmp();
    mkdirSync(path.join(root, 'etc/apt/preferences.d'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/apt/preferences.d/huge'),
      'Package: x\nPin: release *\nPin-Priority: 1\n\n'.repeat(Math.ceil(MAX_PREFERENCES_BYTES / 40) + 10),
    );
    writeFileSync(
      path.join(root, 'etc/apt/preferences.d/ok.pref'),
      'Package: jq\nPin: release *\nPin-Priority: 1001\n',
    );
    writeFileSync(path.join(root, 'etc/apt/preferences.d/skipped.save'), 'garbage');
    mkdirSync(path.join(root, 'etc/apt/preferences.d/sub.pref'));
    const r = await readPreferences(new HostRoot(root));
    expect(r.pins.map((p) => p.file)).toEqual(['/etc/apt/preferences.d/ok.pref']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^\/etc\/apt\/preferences\.d\/huge: too large .*not applied/);
  });

  it('names the pins that change candidates and withhold security fixes', async () => {
    const root = path.join(tmp(), 'root');
    cpSync(path.join(import.meta.dirname, '../fixtures/hosts/updates-debian-security'), root, { recursive: true });
    mkdirSync(path.join(root, 'etc/apt/preferences.d'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/apt/preferences.d/openssl'),
      '# keep the tested build\nPackage: openssl libssl3\nPin: version 3.0.15*\nPin-Priority: 1001\n\nPackage: tzdata\nPin: release n=bookworm-updates\nPin-Priority: -1\n',
    );
    writeFileSync(
      path.join(root, 'etc/apt/preferences'),
      'Package: libc6:i386\nPin: release n=bookworm-security\nPin-Priority: -1\n\nPackage: /([/\nPin: release *\nPin-Priority: 5\n',
    );
    const host = new HostRoot(root);
    const facts = (await updatesProbe.gather({
      host,
      exec: hostExec(host.root),
      log: pino({ level: 'silent' }),
      options: parseProbeOptions(updatesProbe, {}, host),
      signal: new AbortController().signal,
      now: () => new Date('2026-11-24T12:00:00Z'),
      mode: 'scan',
    })) as UpdatesFacts;
    const fam = facts.family!;
    if (fam.family !== 'deb') throw new Error('deb expected');
    expect(fam.updates.map((u) => `${u.name}:${u.arch}`)).toEqual(['libc6:amd64']);
    expect(fam.pinPolicy.effects.map((e) => `${e.name}:${e.arch} ${e.securityWithheld ?? '-'}`)).toEqual([
      'libc6:i386 2.36-9+deb12u10',
      'libssl3:amd64 3.0.17-1~deb12u2',
      'openssl:amd64 3.0.17-1~deb12u2',
      'tzdata:all -',
    ]);
    expect(fam.pinPolicy.problems.join()).toContain('package pattern "/([/": unmatched [');
    const check = (id: string) => updatesChecks.find((c) => c.id === id)!.evaluate(facts);
    const sec = check('updates.security_updates');
    expect(sec.status).toBe('fail');
    expect(sec.message).toMatch(
      /^1 security update\(s\) pending: libc6; 3 security fix\(es\) withheld by apt pins: libc6, libssl3, openssl/,
    );
    expect(sec.message).not.toContain('not applied');
    expect(sec.evidence).toContainEqual(
      expect.objectContaining({
        file: '/etc/apt/preferences.d/openssl',
        line: 2,
        text: expect.stringContaining('openssl:amd64 candidate 3.0.15-1~deb12u1 instead of 3.0.17-1~deb12u2'),
      }),
    );
    expect(sec.evidence).toContainEqual(expect.objectContaining({ file: '/etc/apt/preferences', line: 1 }));
    const pending = check('updates.pending_updates');
    expect(pending.status).toBe('fail');
    expect(pending.message).toContain('apt pins change the candidate of 4 package(s)');
    expect(pending.message).toContain('preferences problems: /etc/apt/preferences:5: package pattern');
    expect(pending.evidence).toContainEqual(
      expect.objectContaining({
        file: '/etc/apt/preferences.d/openssl',
        line: 6,
        text: expect.stringContaining('tzdata:all candidate 2024a-0+deb12u1 instead of 2025b-0+deb12u1'),
      }),
    );
  });
});

/** glibc's own fnmatch(3) and regcomp(3)/regexec(3) through python3's ctypes: the functions apt calls. */
const GLIBC_ORACLE = `
import ctypes, json, sys
libc = ctypes.CDLL('libc.so.6')
cases = json.load(sys.stdin)
out = []
buf = ctypes.create_string_buffer(1024)
for kind, pattern, strings in cases:
    p = pattern.encode()
    if kind == 'glob':
        out.append([libc.fnmatch(p, s.encode(), 16) == 0 for s in strings])
    else:
        if libc.regcomp(buf, p, 1 | 2 | 8) != 0:
            out.append(None)
            continue
        out.append([libc.regexec(buf, s.encode(), 0, None, 0) == 0 for s in strings])
        libc.regfree(buf)
json.dump(out, sys.stdout)
`;
const havePython = spawnSync('python3', ['-c', 'import ctypes; ctypes.CDLL("libc.so.6")']).status === 0;

describe.skipIf(!havePython)('the matchers against glibc fnmatch and regcomp', () => {
  it("gives glibc's answer on random globs and extended regexes", () => {
    const atoms = [
      'a',
      'b',
      'A',
      '-',
      '.',
      '*',
      '?',
      '[',
      ']',
      '!',
      '^',
      '\\\\',
      '[a-b]',
      '[!a]',
      '[[:alpha:]]',
      '(',
      ')',
      '|',
      '+',
      '{2}',
      '{1,2}',
      '$',
      '{',
      '}',
    ];
    const rnd = fc.array(fc.constantFrom(...atoms), { maxLength: 8 }).map((xs) => xs.join(''));
    const strings = [
      '',
      'a',
      'b',
      'ab',
      'AB',
      'a-b',
      'a.b',
      'aab',
      'ba',
      '[a]',
      'a*',
      '!',
      '^a',
      'a\\\\',
      'aaa',
      '{2}',
      'a{',
    ];
    const patterns = fc.sample(rnd, { numRuns: 3000, seed: 42 });
    const cases = patterns.flatMap(
      (p) =>
        [
          ['glob', p, strings],
          ['regex', p, strings],
        ] as const,
    );
    const r = spawnSync('python3', ['-c', GLIBC_ORACLE], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(r.status, r.stderr).toBe(0);
    const glibc = JSON.parse(r.stdout) as (boolean[] | null)[];
    const diffs: string[] = [];
    let refused = 0;
    cases.forEach(([kind, p, ss], i) => {
      const m = kind === 'glob' ? globMatcher(p) : regexMatcher(p);
      if (!m.ok && /nested repetition|back-references/.test(m.problem)) {
        refused++;
        return;
      }
      const want = glibc[i] ?? ss.map(() => false);
      const got = ss.map((s) => m.test(s));
      ss.forEach((s, k) => {
        if (got[k] !== want[k] && diffs.length < 400)
          diffs.push(
            `${kind} ${JSON.stringify(p)} on ${JSON.stringify(s)}: glibc ${want[k]}, ours ${got[k]}${m.ok ? '' : ` (${m.problem})`}`,
          );
      });
    });
    console.log(
      `glibc oracle: ${cases.length} patterns x ${strings.length} strings; ${refused} regexes refused on purpose`,
    );
    expect(diffs).toEqual([]);
  });
});
