/** ipFamily answers as node:net's isIP does, on valid addresses of every form and on strings that are almost one. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isIP } from 'node:net';
import { ipFamily } from '../src/host/ip.js';

/** Strings made of what addresses are made of, so that most are near misses rather than noise. */
const addressLike = fc
  .array(fc.constantFrom(...'0123456789abcdefABCDEFg:.%-x '.split(''), '::', '255', '256', '01', 'ffff'), {
    maxLength: 24,
  })
  .map((parts) => parts.join(''));

describe('ipFamily', () => {
  it('agrees with isIP on hand-picked edges: zones, mapped forms, leading zeros, brackets, spaces', () => {
    const cases = [
      '::1',
      '::',
      'fe80::1%eth0',
      'fe80::1%',
      'fe80::1%eth0%x',
      '::ffff:1.2.3.4',
      '::ffff:256.1.1.1',
      '::1.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7::',
      '2001:db8:0:0:0:0:2:1:3',
      '12345::',
      '[::1]',
      ' ::1',
      '::1 ',
      'ABCD::ef',
      '1.2.3.4',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4 ',
      '1.2.3.4%eth0',
      '255.255.255.255',
      '256.0.0.1',
      '',
      'a',
    ];
    for (const c of cases) expect(ipFamily(c), JSON.stringify(c)).toBe(isIP(c));
  });

  it('agrees with isIP on generated addresses and near misses', () => {
    const any = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), addressLike, fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(any, (s) => ipFamily(s) === isIP(s)),
      { numRuns: 20_000 },
    );
  });
});
