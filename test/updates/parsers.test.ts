/** Every parser of the updates probe on good, malformed, truncated and huge input: problems, never throws or hangs. */
import { describe, it, expect } from 'vitest';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import lz4 from 'lz4-napi';
import { parseDeb822 } from '../../src/host/facts/dpkg/deb822.js';
import { parseDpkgStatus } from '../../src/host/facts/dpkg/status.js';
import { parseRelease, parseReleaseDate, stripPgpArmour } from '../../probes/updates/deb/release.js';
import { parsePackagesList, releaseFor } from '../../probes/updates/deb/lists.js';
import { parseAptConf, isAptConfPart } from '../../probes/updates/deb/apt-conf.js';
import { parsePreferences, isPreferencesPart } from '../../probes/updates/deb/preferences.js';
import { decode, compressionOf } from '../../probes/updates/compress.js';
import { computeUpdates, filePriority, securityRule } from '../../probes/updates/deb/policy.js';
import { compareKernels, kernelPackages } from '../../probes/updates/deb/family.js';
import { UPDATES_OPTIONS } from '../../probes/updates/option-spec.js';
import { parsedOptions } from '../helpers/options.js';
import type { AptList } from '../../probes/updates/deb/lists.js';
import type { InstalledPackage } from '../../src/host/facts/dpkg/status.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseUpdatesOptions = (raw: unknown) => parsedOptions(UPDATES_OPTIONS, raw);

const STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 This package includes shared versions of the standard C library.

Package: libc6
Status: install ok installed
Architecture: i386
Multi-Arch: same
Version: 2.36-9+deb12u4

Package: kubelet
Status: hold ok installed
Architecture: amd64
Version: 1.30.2-1.1

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: halfway
Status: install reinstreq half-configured
Architecture: amd64
Version: 2.0
`;

describe('deb822', () => {
  it('parses fields, continuation lines and paragraphs with line numbers', () => {
    const r = parseDeb822(STATUS);
    expect(r.problems).toEqual([]);
    expect(r.paragraphs).toHaveLength(5);
    expect(r.paragraphs[0]!.fields.get('description')).toContain('\n the system.\n .\n This package');
    expect(r.paragraphs[1]!.line).toBe(13);
    expect(r.paragraphs[2]!.fields.get('status')).toBe('hold ok installed');
  });

  it('is case-insensitive on field names and tolerates CRLF and whitespace-only separators', () => {
    const r = parseDeb822('PACKAGE: a\r\nversion: 1\r\n \t\r\npackage: b\r\nVersion: 2\r\n');
    expect(r.paragraphs.map((p) => [p.fields.get('package'), p.fields.get('version')])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('reports malformed lines and carries on', () => {
    const r = parseDeb822(
      ' leading continuation\nPackage: a\nno colon here\n: empty name\nPackage: dup\n\nVersion: 1\n',
    );
    expect(r.problems.map((p) => p.line)).toEqual([1, 3, 4, 5]);
    expect(r.paragraphs).toHaveLength(2);
  });

  it('handles truncated input (no final newline, cut mid-field)', () => {
    const r = parseDeb822('Package: a\nVersion: 1.0\nDescrip');
    expect(r.paragraphs).toHaveLength(1);
    expect(r.problems).toHaveLength(1);
  });

  // bench/parsers.mjs measures the time; a quadratic parser would not finish this within the test timeout.
  it('parses huge and hostile input', () => {
    const big =
      'Package: x\nDescription: y\n' +
      ' z\n'.repeat(300_000) +
      '\n'.repeat(100_000) +
      'x'.repeat(2_000_000) +
      '\n' +
      ':\n'.repeat(200_000);
    const r = parseDeb822(big, { fields: new Set(['package']) });
    expect(r.paragraphs[0]!.fields.get('package')).toBe('x');
    expect(r.problems.length).toBeLessThanOrEqual(100);
  });

  it('binary garbage gives problems, not a throw', () => {
    const junk = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256)).toString('utf8');
    expect(() => parseDeb822(junk)).not.toThrow();
  });

  it('skips paragraphs by their first field', () => {
    const r = parsePackagesList(
      'Package: a\nVersion: 1\nArchitecture: all\n\nPackage: b\nVersion: 2\nArchitecture: amd64\nPhased-Update-Percentage: 30\n',
      new Set(['b']),
    );
    expect(r.packages).toBe(2);
    expect(r.entries).toEqual([{ name: 'b', version: '2', arch: 'amd64', phased: 30 }]);
  });
});

describe('dpkg status', () => {
  it('keeps installed and partly installed packages per architecture, with holds', () => {
    const s = parseDpkgStatus(STATUS);
    expect(s.packages.map((p) => `${p.name}:${p.arch} ${p.state}${p.held ? ' held' : ''}`)).toEqual([
      'libc6:amd64 installed',
      'libc6:i386 installed',
      'kubelet:amd64 installed held',
      'halfway:amd64 half-configured',
    ]);
  });

  it('reports bad Status and missing Version', () => {
    const s = parseDpkgStatus(
      'Package: a\nStatus: bogus\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n\nVersion: 3\n',
    );
    expect(s.packages).toEqual([]);
    expect(s.problems.map((p) => p.message)).toEqual([
      'a: bad Status "bogus"',
      'b: installed without Version',
      'paragraph without Package',
    ]);
  });
});

const INRELEASE = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Origin: Debian
Label: Debian-Security
Suite: oldstable-security
Version: 12
Codename: bookworm-security
Date: Mon, 23 Nov 2026 11:22:37 UTC
Valid-Until: Mon, 30 Nov 2026 11:22:37 UTC
Acquire-By-Hash: yes
Description: Debian 12 - Security Updates
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 contrib/Contents-amd64
- -dash-escaped: line
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
`;

describe('Release / InRelease', () => {
  it('strips the PGP armour without verifying and reads the first paragraph', () => {
    const r = parseRelease(INRELEASE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.release).toMatchObject({
      origin: 'Debian',
      label: 'Debian-Security',
      suite: 'oldstable-security',
      codename: 'bookworm-security',
      signed: true,
      notAutomatic: false,
    });
    expect(r.release.date).toBe(Date.UTC(2026, 10, 23, 11, 22, 37));
    expect(r.release.validUntil! - r.release.date!).toBe(7 * 86_400_000);
    const s = stripPgpArmour(INRELEASE);
    expect(s.ok && s.text.includes('\n-dash-escaped: line')).toBe(true);
  });

  it('reads NotAutomatic and ButAutomaticUpgrades from a plain Release', () => {
    const r = parseRelease(
      'Origin: Debian Backports\nLabel: Debian Backports\nSuite: stable-backports\nCodename: bookworm-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\nDate: Sat, 21 Nov 2026 20:14:21 UTC\n',
    );
    expect(r.ok && [r.release.notAutomatic, r.release.butAutomaticUpgrades, r.release.signed]).toEqual([
      true,
      true,
      false,
    ]);
    expect(r.ok && filePriority(r.release)).toBe(100);
  });

  it('rejects truncated armour, missing fields and binary data', () => {
    expect(parseRelease(INRELEASE.slice(0, 40))).toMatchObject({ ok: false });
    expect(parseRelease(INRELEASE.slice(0, INRELEASE.indexOf('-----BEGIN PGP SIGNATURE')))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('truncated'),
    });
    expect(parseRelease('Origin: x\nLabel: y\n')).toMatchObject({ ok: false });
    expect(parseRelease('')).toMatchObject({ ok: false });
    expect(parseRelease('\0\0\0Suite: x')).toMatchObject({ ok: false });
    expect(parseRelease('junk before\n' + INRELEASE)).toMatchObject({ ok: false });
  });

  it('reports a bad Date as a problem, keeping the rest', () => {
    const r = parseRelease('Suite: x\nDate: yesterday\n');
    expect(r.ok && r.problems[0]).toContain('Date');
    expect(r.ok && r.release.date).toBeUndefined();
  });

  it('parses RFC 2822 dates with zones and rejects nonsense', () => {
    expect(parseReleaseDate('Sat, 22 Nov 2025 10:21:34 +0100')).toBe(Date.UTC(2025, 10, 22, 9, 21, 34));
    expect(parseReleaseDate('22 Nov 2025 10:21:34 GMT')).toBe(Date.UTC(2025, 10, 22, 10, 21, 34));
    expect(parseReleaseDate('Sat, 22 Foo 2025 10:21:34 UTC')).toBeUndefined();
    expect(parseReleaseDate('Sat, 42 Nov 2025 10:21:34 UTC')).toBeUndefined();
    expect(parseReleaseDate('x'.repeat(100_000))).toBeUndefined();
  });

  it('is fast on a huge Release', () => {
    const r = parseRelease('Suite: x\nSHA256:\n' + ' abc 1 main/binary-amd64/Packages\n'.repeat(200_000));
    expect(r.ok).toBe(true);
  });

  it('classifies security archives by the data table', () => {
    const rel = (o: Partial<{ origin: string; label: string; suite: string; codename: string }>) => ({
      notAutomatic: false,
      butAutomaticUpgrades: false,
      signed: true,
      ...o,
    });
    expect(securityRule(rel({ label: 'Debian-Security', suite: 'stable-security' }))).toBe('debian_security_label');
    expect(securityRule(rel({ origin: 'Ubuntu', suite: 'jammy-security' }))).toBe('security_suite');
    expect(securityRule(rel({ origin: 'UbuntuESMApps', suite: 'jammy-apps-security' }))).toBeDefined();
    expect(securityRule(rel({ origin: 'UbuntuESM', suite: 'jammy-infra-security' }))).toBeDefined();
    expect(securityRule(rel({ origin: 'Ubuntu', suite: 'jammy-updates' }))).toBeUndefined();
    expect(securityRule(rel({ origin: 'Debian', suite: 'stable', codename: 'bookworm' }))).toBeUndefined();
  });

  it('maps lists to the longest release prefix', () => {
    const rs = [
      { path: 'a', prefix: 'deb.debian.org_debian_dists_bookworm' },
      { path: 'b', prefix: 'deb.debian.org_debian_dists_bookworm-updates' },
    ];
    expect(releaseFor('deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.lz4', rs)?.path).toBe(
      'b',
    );
    expect(releaseFor('deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', rs)?.path).toBe('a');
    expect(releaseFor('other_Packages', rs)).toBeUndefined();
  });
});

describe('compressed lists', () => {
  const text = Buffer.from('Package: a\nVersion: 1.0\nArchitecture: amd64\n\n'.repeat(5000));
  const viaCli = (cmd: string, args: string[]) => execFileSync(cmd, args, { input: text, maxBuffer: 1 << 28 });
  const have = (cmd: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`]);
      return true;
    } catch {
      return false;
    }
  };

  it('chooses the codec by name', () => {
    expect(
      ['x_Packages', 'x_Packages.gz', 'x_Packages.xz', 'x_Packages.lz4', 'x_Packages.zst'].map(compressionOf),
    ).toEqual(['none', 'gz', 'xz', 'lz4', 'zst']);
  });

  it('decodes gzip, lz4, xz and zstd to the same bytes', async () => {
    const samples: [string, Buffer][] = [
      ['gz', gzipSync(text)],
      ['lz4', lz4.compressFrameSync(text)],
    ];
    if (have('lz4')) samples.push(['lz4', viaCli('lz4', ['-c'])]);
    if (have('xz')) samples.push(['xz', viaCli('xz', ['-c'])]);
    if (have('zstd')) samples.push(['zst', viaCli('zstd', ['-c'])]);
    expect(samples.length).toBeGreaterThanOrEqual(2);
    for (const [kind, b] of samples) {
      const d = await decode(b, kind as 'gz', 1 << 28);
      expect(d.ok && d.bytes.equals(text), kind).toBe(true);
    }
  });

  it('corrupt, truncated and wrong data are failures with a reason', async () => {
    const gz = gzipSync(text);
    const flipped = Buffer.from(gz);
    flipped[gz.length - 6]! ^= 0xff; // CRC/length trailer
    const cases: [string, Buffer][] = [
      ['gz', gz.subarray(0, gz.length / 2)],
      ['gz', flipped],
      ['gz', Buffer.from('not gzip at all')],
      ['lz4', lz4.compressFrameSync(text).subarray(0, 100)],
      ['lz4', Buffer.alloc(0)],
      ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3])],
      ['zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 9, 9, 9])],
    ];
    for (const [kind, b] of cases) {
      const d = await decode(b, kind as 'gz', 1 << 28);
      expect(d.ok, kind).toBe(false);
      expect(!d.ok && d.reason.length).toBeGreaterThan(0);
    }
  });

  it('stops a decompression bomb at the cap', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const d = await decode(bomb, 'gz', 1024 * 1024);
    expect(d).toMatchObject({ ok: false, reason: expect.stringContaining('larger than') });
    const l = await decode(lz4.compressFrameSync(Buffer.alloc(4 * 1024 * 1024)), 'lz4', 1024 * 1024);
    expect(l.ok).toBe(false);
  });
});

describe('apt.conf', () => {
  it('reads scalars, nested blocks, lists, comments and #clear; later files win', () => {
    const c = parseAptConf([
      {
        file: '/etc/apt/apt.conf.d/20auto-upgrades',
        text: 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1"; // daily\n',
      },
      {
        file: '/etc/apt/apt.conf.d/50unattended-upgrades',
        text: `Unattended-Upgrade::Origins-Pattern {
        // "origin=Debian,codename=\${distro_codename}-updates";
        "origin=Debian,codename=\${distro_codename},label=Debian";
        "origin=Debian,codename=\${distro_codename},label=Debian-Security";
};
/* a block
   comment */
# a hash comment
APT { Periodic { Unattended-Upgrade "0"; }; };
Unattended-Upgrade::Package-Blacklist { "a"; };
#clear Unattended-Upgrade::Package-Blacklist;
`,
      },
    ]);
    expect(c.problems).toEqual([]);
    expect(c.scalars.get('apt::periodic::update-package-lists')).toMatchObject({ value: '1', line: 1 });
    expect(c.scalars.get('apt::periodic::unattended-upgrade')).toMatchObject({
      value: '0',
      file: '/etc/apt/apt.conf.d/50unattended-upgrades',
      line: 9,
    });
    expect(c.lists.get('unattended-upgrade::origins-pattern')?.map((v) => v.value)).toEqual([
      'origin=Debian,codename=${distro_codename},label=Debian',
      'origin=Debian,codename=${distro_codename},label=Debian-Security',
    ]);
    expect(c.lists.has('unattended-upgrade::package-blacklist')).toBe(false);
  });

  it('reports malformed input and never throws', () => {
    const bad = [
      'A "unterminated;\n',
      '}}}',
      'A { B { C "1";',
      '/* never closed',
      'lonely;',
      '#include /etc/passwd;',
      '{ "x"; };',
      'A "1" B "2";',
    ];
    for (const t of bad) {
      const c = parseAptConf([{ file: 'f', text: t }]);
      expect(c.problems.length, t).toBeGreaterThan(0);
    }
    const deep = parseAptConf([{ file: 'f', text: 'A {'.repeat(10_000) }]);
    expect(deep.problems.length).toBeGreaterThan(0);
    const huge = parseAptConf([{ file: 'f', text: 'A::B "x";\n'.repeat(100_000) }]);
    expect(huge.scalars.get('a::b')?.line).toBe(100_000);
  });

  it('reads only the apt.conf.d and preferences.d names apt reads', () => {
    expect(
      ['20auto-upgrades', '50unattended-upgrades.ucf-dist', 'x.conf', 'bad name', 'a~'].map(isAptConfPart),
    ).toEqual([true, false, true, false, false]);
    expect(['nodejs', 'x.pref', 'x.dpkg-old'].map(isPreferencesPart)).toEqual([true, true, false]);
  });
});

describe('apt preferences', () => {
  it('parses pins and reports bad ones', () => {
    const r = parsePreferences(
      '# comment\nPackage: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n\nPackage: x\nPin-Priority: high\n',
      '/etc/apt/preferences.d/nodejs',
    );
    expect(r.pins).toEqual([
      {
        file: '/etc/apt/preferences.d/nodejs',
        line: 2,
        package: 'nodejs',
        pin: 'origin deb.nodesource.com',
        priority: 600,
      },
    ]);
    expect(r.problems).toHaveLength(1);
  });
});

function list(
  path: string,
  rel: Record<string, unknown> | undefined,
  entries: [string, string, string?, number?][],
): AptList {
  const l: AptList = {
    path,
    entries: entries.map(([name, version, arch, phased]) => ({
      name,
      version,
      arch: arch ?? 'amd64',
      ...(phased !== undefined ? { phased } : {}),
    })),
    packages: entries.length,
  };
  if (rel)
    l.release = {
      path: path + '.rel',
      prefix: path,
      info: { notAutomatic: false, butAutomaticUpgrades: false, signed: true, ...rel },
    };
  return l;
}
const inst = (name: string, version: string, held = false): InstalledPackage => ({
  name,
  arch: 'amd64',
  version,
  want: held ? 'hold' : 'install',
  state: 'installed',
  held,
  line: 1,
});

describe('candidate selection and security classification', () => {
  const main = list('main', { origin: 'Debian', suite: 'stable', codename: 'bookworm' }, [
    ['a', '1.0'],
    ['b', '1.0'],
    ['c', '2.0'],
    ['d', '1.0'],
  ]);
  const sec = list(
    'sec',
    { origin: 'Debian', label: 'Debian-Security', suite: 'stable-security', codename: 'bookworm-security' },
    [
      ['a', '1.1'],
      ['c', '2.1'],
    ],
  );
  const upd = list('upd', { origin: 'Debian', suite: 'stable-updates', codename: 'bookworm-updates' }, [['c', '2.2']]);
  const bpo = list('bpo', { suite: 'stable-backports', notAutomatic: true, butAutomaticUpgrades: true }, [
    ['b', '3.0'],
    ['d', '2.0'],
    ['d', '2.1'],
  ]);
  const exp = list('exp', { suite: 'experimental', notAutomatic: true }, [['a', '9.0']]);

  it('follows apt: 500 beats backports (100) and experimental (1); backports upgrade what came from backports', () => {
    const us = computeUpdates(
      [inst('a', '1.0'), inst('b', '1.0'), inst('c', '2.0'), inst('d', '2.0')],
      [main, sec, upd, bpo, exp],
    );
    expect(
      us.map(
        (u) =>
          `${u.name} ${u.installed}->${u.candidate} sec=${u.security} cand=${u.candidateSecurity} masked=${u.maskedSecurity ?? '-'}`,
      ),
    ).toEqual([
      'a 1.0->1.1 sec=true cand=true masked=-',
      'c 2.0->2.2 sec=true cand=false masked=2.1', // a security fix masked by a newer -updates candidate
      'd 2.0->2.1 sec=false cand=false masked=-',
    ]);
  });

  it('never proposes a downgrade, and keeps holds and phasing', () => {
    const phased = list('ph', { origin: 'Ubuntu', suite: 'jammy-updates' }, [['e', '1.1', 'amd64', 10]]);
    const us = computeUpdates([inst('a', '5.0'), inst('e', '1.0', true)], [main, sec, phased]);
    expect(us).toHaveLength(1);
    expect(us[0]).toMatchObject({ name: 'e', candidate: '1.1', held: true, phased: 10, security: false });
  });

  it('APT::Default-Release gets 990', () => {
    const us = computeUpdates([inst('a', '1.0')], [main, sec, exp], { defaultRelease: 'experimental' });
    expect(us[0]?.candidate).toBe('9.0');
  });
});

describe('kernels and options', () => {
  it('finds a newer installed kernel than the running one', () => {
    const ks = kernelPackages([
      inst('linux-image-6.1.0-18-amd64', '6.1.76-1'),
      inst('linux-image-6.1.0-20-amd64', '6.1.85-1'),
      inst('linux-image-amd64', '6.1.85-1'),
      inst('linux-image-6.1.0-20-amd64-dbg', '6.1.85-1'),
    ]);
    expect(ks.map((k) => k.release)).toEqual(['6.1.0-20-amd64', '6.1.0-18-amd64']);
    expect(compareKernels('6.1.0-18-amd64', ks).newerKernel).toContain('linux-image-6.1.0-20-amd64');
    expect(compareKernels('6.1.0-20-amd64', ks)).toEqual({});
    expect(compareKernels('6.18.44-custom', []).kernelNote).toContain('outside dpkg');
    expect(compareKernels(undefined, ks).kernelNote).toBeDefined();
  });

  it('validates options naming the key', () => {
    expect(parseUpdatesOptions(undefined).maxMetadataAgeDays).toBe(8);
    expect(() => parseUpdatesOptions({ maxMetadataAgeDays: 0 })).toThrow(/^maxMetadataAgeDays: /);
    expect(() => parseUpdatesOptions({ allowedHolds: 'kubelet' })).toThrow(/^allowedHolds: /);
    expect(() => parseUpdatesOptions({ bogus: 1 })).toThrow(/^bogus: unknown key/);
    expect(parseUpdatesOptions({ allowedHolds: ['containerd.io'] }).allowedHolds).toEqual(['containerd.io']);
  });
});
