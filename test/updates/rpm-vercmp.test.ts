/** rpmvercmp against the cases of rpm's own test suite (rpm-software-management/rpm tests/rpmvercmp.at). */
import { describe, it, expect } from 'vitest';
import { rpmvercmp, compareEvr, formatEvr } from '../../probes/updates/rpm/vercmp.js';

// (a, b, expected) from tests/rpmvercmp.at, including the caret and tilde+caret cases of rpm >= 4.15
const CASES = `
1.0 1.0 0|1.0 2.0 -1|2.0 1.0 1|2.0.1 2.0.1 0|2.0 2.0.1 -1|2.0.1 2.0 1|2.0.1a 2.0.1a 0|2.0.1a 2.0.1 1|2.0.1 2.0.1a -1
5.5p1 5.5p1 0|5.5p1 5.5p2 -1|5.5p2 5.5p1 1|5.5p10 5.5p10 0|5.5p1 5.5p10 -1|5.5p10 5.5p1 1|10xyz 10.1xyz -1|10.1xyz 10xyz 1
xyz10 xyz10 0|xyz10 xyz10.1 -1|xyz10.1 xyz10 1|xyz.4 xyz.4 0|xyz.4 8 -1|8 xyz.4 1|xyz.4 2 -1|2 xyz.4 1
5.5p2 5.6p1 -1|5.6p1 5.5p2 1|5.6p1 6.5p1 -1|6.5p1 5.6p1 1|6.0.rc1 6.0 1|6.0 6.0.rc1 -1|10b2 10a1 1|10a2 10b2 -1
1.0aa 1.0aa 0|1.0a 1.0aa -1|1.0aa 1.0a 1|10.0001 10.0001 0|10.0001 10.1 0|10.1 10.0001 0|10.0001 10.0039 -1|10.0039 10.0001 1
4.999.9 5.0 -1|5.0 4.999.9 1|20101121 20101121 0|20101121 20101122 -1|20101122 20101121 1|2_0 2_0 0|2.0 2_0 0|2_0 2.0 0
a a 0|a+ a+ 0|a+ a_ 0|a_ a+ 0|+a +a 0|+a _a 0|_a +a 0|+_ +_ 0|_+ +_ 0|_+ _+ 0|+ _ 0|_ + 0
1.0~rc1 1.0~rc1 0|1.0~rc1 1.0 -1|1.0 1.0~rc1 1|1.0~rc1 1.0~rc2 -1|1.0~rc2 1.0~rc1 1|1.0~rc1~git123 1.0~rc1~git123 0
1.0~rc1~git123 1.0~rc1 -1|1.0~rc1 1.0~rc1~git123 1
1.0^ 1.0^ 0|1.0^ 1.0 1|1.0 1.0^ -1|1.0^git1 1.0^git1 0|1.0^git1 1.0 1|1.0 1.0^git1 -1|1.0^git1 1.0^git2 -1|1.0^git2 1.0^git1 1
1.0^git1 1.01 -1|1.01 1.0^git1 1|1.0^20160101 1.0^20160101 0|1.0^20160101 1.0.1 -1|1.0.1 1.0^20160101 1
1.0^20160101^git1 1.0^20160101^git1 0|1.0^20160102 1.0^20160101^git1 1|1.0^20160101^git1 1.0^20160102 -1
1.0~rc1^git1 1.0~rc1^git1 0|1.0~rc1^git1 1.0~rc1 1|1.0~rc1 1.0~rc1^git1 -1|1.0^git1~pre 1.0^git1~pre 0|1.0^git1 1.0^git1~pre 1
1.0^git1~pre 1.0^git1 -1
`
  .split(/[|\n]/)
  .map((s) => s.trim())
  .filter(Boolean)
  .map((s) => s.split(' ') as [string, string, string]);

describe('rpmvercmp', () => {
  it(`agrees with rpm's test suite on ${CASES.length} cases`, () => {
    expect(CASES.length).toBe(91);
    const bad = CASES.filter(([a, b, want]) => rpmvercmp(a, b) !== Number(want)).map(
      ([a, b, w]) => `${a} ${b}: ${rpmvercmp(a, b)} want ${w}`,
    );
    expect(bad).toEqual([]);
  });
  it('real Fedora/RHEL release strings', () => {
    expect(rpmvercmp('301.fc41', '300.fc41')).toBe(1);
    expect(rpmvercmp('503.14.1.el9_5', '503.11.1.el9_5')).toBe(1);
    expect(rpmvercmp('1.amzn2023.0.2', '1.amzn2023.0.10')).toBe(-1);
    expect(compareEvr({ epoch: 1, version: '1.0', release: '1' }, { version: '9.9', release: '9' })).toBe(1);
    expect(compareEvr({ version: '2.0', release: '1' }, { epoch: 0, version: '2.0', release: '1' })).toBe(0);
    expect(formatEvr({ epoch: 2, version: '1', release: '3.fc41' })).toBe('2:1-3.fc41');
  });
  // bench/parsers.mjs measures the time on the long input.
  it('is total on hostile and long input', () => {
    const long = '1.'.repeat(200_000);
    expect(rpmvercmp(long, long + '1')).toBe(-1);
    expect(rpmvercmp('9'.repeat(100_000), '9'.repeat(99_999))).toBe(1);
    expect(rpmvercmp('\0\xff~^', '\0\xff~^')).toBe(0);
    expect(rpmvercmp('', '')).toBe(0);
    expect(rpmvercmp('', 'a')).toBe(-1);
  });
});
