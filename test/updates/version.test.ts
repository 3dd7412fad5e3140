/**
 * The dpkg version comparison against dpkg's own comparators on 100,500 version pairs taken from this machine's
 * apt lists and dpkg status, plus hand-made edge cases: dpkg's Perl one (Dpkg::Version, used by dpkg-dev) on
 * every pair in one process, and the real `dpkg --compare-versions` on an even sample of them.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { compareVersions, parseVersion, verrevcmp } from '../../src/host/facts/dpkg/version.js';
import { decode, compressionOf } from '../../probes/updates/compress.js';
import { parsePackagesList } from '../../probes/updates/deb/lists.js';
import { parseDpkgStatus } from '../../src/host/facts/dpkg/status.js';

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);
const neg = (n: -1 | 0 | 1) => (n === 0 ? 0 : -n);

describe('dpkg version comparison: edge cases', () => {
  const cases: [string, string, -1 | 0 | 1][] = [
    ['1.0', '1.0', 0],
    ['1.0', '1.00', 0],
    ['1.0', '1.0-0', 0], // a missing revision equals "0"
    ['0.11', '0.11-3', -1], // deb-version-compare gets this one wrong
    ['1.0.1+dfsg-4', '1.000-20210130-2', 1], // and this one (leading zeros)
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc1~', 1],
    ['1.0~', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0~~a', '1.0~~', 1],
    ['1.0', '1.0+b1', -1],
    ['1.0', '1.0a', -1], // end of string sorts before letters
    ['1.0a', '1.0+', -1], // letters before other characters
    ['1.0a', '1.0.', -1],
    ['1.0.', '1.0+', 1], // '.' (46) + 256 > '+' (43) + 256
    ['1.0Z', '1.0a', -1], // ASCII order among letters
    ['1:0.1', '2.0', 1],
    ['0:2.0', '2.0', 0],
    ['2:1.0', '10:0.1', -1],
    ['1.2-3-4', '1.2-3-5', -1], // revision after the last hyphen
    ['1.2-3-4', '1.2-4', 1], // upstream 1.2-3 vs 1.2
    ['1.10', '1.9', 1],
    ['1.001', '1.1', 0],
    ['1.0-1ubuntu0.1', '1.0-1ubuntu0.2', -1],
    ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
    ['1.0+dfsg1-1~bpo12+1', '1.0+dfsg1-1', -1],
    ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12', -1],
    ['a', 'b', -1],
    ['1.0', '1.0-0~', 1], // revision 0~ < 0
  ];
  it.each(cases)('%s vs %s is %i', (a, b, want) => {
    expect(sign(compareVersions(a, b))).toBe(want);
    expect(sign(compareVersions(b, a))).toBe(neg(want));
  });

  it('verrevcmp orders ~ below the end of the string and letters above it', () => {
    expect(verrevcmp('~', '')).toBeLessThan(0);
    expect(verrevcmp('', 'a')).toBeLessThan(0);
    expect(verrevcmp('a', '+')).toBeLessThan(0);
    expect(verrevcmp('007', '7')).toBe(0);
  });

  it('parseVersion reports bad syntax as dpkg does, and still splits', () => {
    expect(parseVersion('1:2.3-4')).toEqual({ ok: true, version: { epoch: 1, upstream: '2.3', revision: '4' } });
    expect(parseVersion(':1.0').ok).toBe(false);
    expect(parseVersion('x:1.0').ok).toBe(false);
    expect(parseVersion('1.0-').ok).toBe(false);
    expect(parseVersion('1 .0').ok).toBe(false);
    expect(parseVersion('a1.0').ok).toBe(false);
    expect(parseVersion('1.0_1').ok).toBe(false);
    expect(parseVersion('99999999999:1').ok).toBe(false);
    expect(parseVersion(' 1.0 ').ok).toBe(true);
  });

  it('sorts a byte >= 0x80 as dpkg does: a signed char, so above letters and below other punctuation', () => {
    // dpkg's order() adds 256 to a negative char, which gives the byte again; adding 256 to the byte instead
    // put it above '+' and '.', and the comparator that did so (sshd back-port decisions) disagreed with dpkg.
    expect(sign(compareVersions('1.0\u00e9', '1.0+'))).toBe(-1);
    expect(sign(compareVersions('1.0\u00e9', '1.0.'))).toBe(-1);
    expect(sign(compareVersions('1.0\u00e9', '1.0z'))).toBe(1);
    expect(sign(compareVersions('1.0\u00e9', '1.0'))).toBe(1);
    expect(sign(compareVersions('1.0\u00e9', '1.0~'))).toBe(1);
  });

  it('is linear on huge input', () => {
    // Two million characters: a linear comparison takes milliseconds, a quadratic one (rescanning the digits
    // for each character) hours, so the test's timeout is the bound, without a timing here.
    const a = '1.' + '9'.repeat(1_000_000) + 'a'.repeat(1_000_000);
    expect(compareVersions(a, a + '~')).toBe(1);
    expect(compareVersions(a + '~', a)).toBe(-1);
    expect(compareVersions(a, a)).toBe(0);
  });
});

const LISTS = '/var/lib/apt/lists';
const haveDpkg =
  existsSync('/usr/bin/dpkg') && existsSync(LISTS) && readdirSync(LISTS).some((f) => /_Packages(\.\w+)?$/.test(f));

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The claims ("a op b" lines) that a comparator disagrees with: `argv` reads claims on stdin and prints those it
 * finds false; `parallel` copies each take an even share.
 */
async function disagreements(argv: [string, ...string[]], lines: string[], parallel = 1): Promise<string[]> {
  const chunks = Array.from({ length: parallel }, (_, i) => lines.filter((_, j) => j % parallel === i));
  const outs = await Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<string>((resolve, reject) => {
          const p = spawn(argv[0], argv.slice(1), {
            env: { ...process.env, LC_ALL: 'C' },
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.stderr.on('data', (d: Buffer) => (err += d.toString()));
          p.on('error', reject);
          p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv[0]} exited ${code}: ${err}`))));
          p.stdin.end(chunk.join('\n') + '\n');
        }),
    ),
  );
  return outs.join('').split('\n').filter(Boolean);
}

/** The real dpkg, one process per claim, in parallel shells. */
const DPKG: [string, ...string[]] = [
  'sh',
  '-c',
  'while read -r a op b; do dpkg --compare-versions "$a" "$op" "$b" || printf "%s %s %s\\n" "$a" "$op" "$b"; done',
];
/** dpkg's Perl comparator, every claim in one process; a version it refuses counts as a disagreement. */
const DPKG_PERL: [string, ...string[]] = [
  'perl',
  '-MDpkg::Version',
  '-lne',
  'my ($a, $op, $b) = split / /; my $c = eval { version_compare($a, $b) }; ' +
    'print unless defined $c && ($op eq "lt" ? $c < 0 : $op eq "eq" ? $c == 0 : $c > 0);',
];
const havePerlDpkg = spawnSync('perl', ['-MDpkg::Version', '-e', '1'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!haveDpkg)('dpkg version comparison vs dpkg --compare-versions on this machine', () => {
  it('agrees with dpkg on bytes >= 0x80 against ASCII', () => {
    const ops = { [-1]: 'lt', 0: 'eq', 1: 'gt' } as const;
    for (const other of ['1.0+', '1.0.', '1.0z', '1.0', '1.0~', '1.0A']) {
      const ours = sign(compareVersions('1.0\u00e9', other));
      const agrees = (() => {
        try {
          const env = { ...process.env, LC_ALL: 'C' };
          execFileSync('dpkg', ['--compare-versions', '1.0\u00e9', ops[ours], other], { stdio: 'ignore', env });
          return true;
        } catch {
          return false;
        }
      })();
      expect({ other, ours, agrees }).toEqual({ other, ours, agrees: true });
    }
  });

  // Each claim is one dpkg process (about 5 ms here, far more on a loaded machine: 20,000 pairs took 55 s), so
  // the real dpkg checks an even sample of the pairs, which still takes pairs of every kind below; dpkg's Perl
  // comparator checks all of them. HOSTWARD_VERSION_PAIRS=100500 gives the real dpkg all of them too.
  const target = Number(process.env.HOSTWARD_VERSION_PAIRS ?? 1_000);
  it(
    `agrees with Dpkg::Version on 100,500 real version pairs and with dpkg on ${target} of them, 0 mismatches`,
    { timeout: 600_000 },
    async () => {
      const perPackage = new Map<string, Set<string>>();
      const add = (name: string, v: string) => {
        if (!/^[A-Za-z0-9.+~:-]+$/.test(v)) return; // a shell word; real versions always are
        let s = perPackage.get(name);
        if (!s) perPackage.set(name, (s = new Set()));
        s.add(v);
      };
      for (const f of readdirSync(LISTS).filter((n) => /_Packages(\.(gz|xz|lz4|zst))?$/.test(n))) {
        const d = await decode(readFileSync(`${LISTS}/${f}`), compressionOf(f), 1 << 30);
        if (!d.ok) continue;
        for (const e of parsePackagesList(d.bytes.toString('utf8')).entries) add(e.name, e.version);
      }
      if (existsSync('/var/lib/dpkg/status'))
        for (const p of parseDpkgStatus(readFileSync('/var/lib/dpkg/status', 'utf8')).packages) add(p.name, p.version);

      const pairs: [string, string][] = [];
      // 1. versions of the same package (the comparisons apt makes): all pairs of small groups, neighbours of big ones
      for (const vs of perPackage.values()) {
        const s = [...vs].sort(compareVersions);
        if (s.length <= 8)
          for (let i = 0; i < s.length; i++) for (let j = i + 1; j < s.length; j++) pairs.push([s[i]!, s[j]!]);
        else for (let i = 0; i + 1 < s.length; i++) pairs.push([s[i]!, s[i + 1]!]);
      }
      // 2. all distinct versions in our order, each with its next 1..4 neighbours (the hard, close pairs)
      const all = [...new Set([...perPackage.values()].flatMap((s) => [...s]))].sort(compareVersions);
      for (let k = 1; k <= 4; k++) for (let i = 0; i + k < all.length; i++) pairs.push([all[i]!, all[i + k]!]);
      // 3. random pairs across packages, to reach the target
      const rand = rng(20261124);
      while (pairs.length < 100_500)
        pairs.push([all[Math.floor(rand() * all.length)]!, all[Math.floor(rand() * all.length)]!]);

      const op = (a: string, b: string) => ({ [-1]: 'lt', 0: 'eq', 1: 'gt' })[sign(compareVersions(a, b))];
      const claims = pairs.map(([a, b], i) => (i % 2 ? `${a} ${op(a, b)} ${b}` : `${b} ${op(b, a)} ${a}`));
      const stride = Math.max(1, Math.floor(claims.length / target));
      const sample = claims.filter((_, i) => i % stride === 0).slice(0, target);
      // Control: three deliberately wrong claims must come back, so a silent harness cannot pass.
      const wrong = ['1.0 gt 1.1', '1:0 lt 2.0', '1.0~rc1 eq 1.0'];
      const mismatches = async (argv: [string, ...string[]], lines: string[], parallel?: number) => {
        const bad = await disagreements(argv, [...lines, ...wrong], parallel);
        expect(bad.filter((l) => wrong.includes(l)).sort(), argv[0]).toEqual([...wrong].sort());
        return bad.filter((l) => !wrong.includes(l));
      };
      const byDpkg = await mismatches(DPKG, sample, Math.max(2, os.availableParallelism()));
      const byPerl = havePerlDpkg ? await mismatches(DPKG_PERL, claims) : ['(Dpkg::Version is not installed)'];
      console.log(
        `version pairs from ${all.length} distinct versions of ${perPackage.size} packages: ${byPerl.length} of ${claims.length} mismatch Dpkg::Version, ${byDpkg.length} of ${sample.length} mismatch dpkg --compare-versions`,
      );
      expect(all.length).toBeGreaterThan(1000);
      expect(claims.length).toBeGreaterThanOrEqual(100_500);
      expect(sample.length).toBe(Math.min(target, claims.length));
      expect(byDpkg).toEqual([]);
      expect(byPerl).toEqual([]);
    },
  );
});
