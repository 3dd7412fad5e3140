/** The DER reader and the signature algorithm it extracts, on certificates made by openssl, and on hostile bytes. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readTlv, decodeOid, certificateSignatureAlgorithm, firstElementLength } from '../../probes/tls/der.js';
import { signatureFact } from '../../probes/tls/certificate.js';
import { Pki } from './pki.js';
import type { Issued } from './pki.js';

let pki: Pki;
let ca: Issued;
beforeAll(() => {
  pki = new Pki();
  ca = pki.issue({ cn: 'ca', ca: true, from: '2020-01-01', to: '2040-01-01' });
});
afterAll(() => pki.cleanup());

describe('decodeOid', () => {
  it.each([
    ['2a864886f70d01010b', '1.2.840.113549.1.1.11'],
    ['2a8648ce3d040302', '1.2.840.10045.4.3.2'],
    ['2b6570', '1.3.101.112'],
    ['883703', '2.999.3'],
    ['00', '0.0'],
    ['818080800f', '2.268435391'], // 2^28 + 15 - 80,
  ])('%s is %s', (hex, oid) => {
    expect(decodeOid(Buffer.from(hex, 'hex'))).toEqual({ ok: true, value: oid });
  });
  it.each([
    ['', 'empty'],
    ['2a86', 'ends inside an arc'],
    ['2a8001', 'leading 0x80'],
    ['2affffffffffffff7f', 'arc too long'],
  ])('rejects %s (%s)', (hex) => {
    expect(decodeOid(Buffer.from(hex, 'hex')).ok).toBe(false);
  });
});

describe('readTlv', () => {
  it('reads short and long lengths', () => {
    expect(readTlv(Buffer.from('300300', 'hex'), 0, 5)).toMatchObject({ ok: false });
    expect(readTlv(Buffer.from('3003010203', 'hex'), 0)).toEqual({ ok: true, value: { tag: 0x30, start: 2, end: 5 } });
    const long = Buffer.concat([Buffer.from('308200c8', 'hex'), Buffer.alloc(200)]);
    expect(readTlv(long, 0)).toEqual({ ok: true, value: { tag: 0x30, start: 4, end: 204 } });
  });
  it.each([
    ['3080', 'indefinite length'],
    ['3085ffffffffff', 'five length bytes'],
    ['3084ffffffff00', 'length past the end'],
    ['1f8101', 'high tag number'],
    ['30', 'one byte'],
  ])('rejects %s (%s)', (hex) => {
    const r = readTlv(Buffer.from(hex, 'hex'), 0);
    expect(r.ok).toBe(false);
  });
  it('never reads past a limit smaller than the buffer', () => {
    expect(readTlv(Buffer.from('3003010203', 'hex'), 0, 4).ok).toBe(false);
  });
});

describe('signature algorithm from DER (certificates made by openssl)', () => {
  const cases: [string, () => Issued, { name: string; hash: string }][] = [
    [
      'RSA sha256',
      () => pki.issue({ cn: 'a', issuer: ca, from: '2025-01-01', to: '2026-01-01' }),
      { name: 'sha256WithRSAEncryption', hash: 'sha256' },
    ],
    [
      'RSA sha1',
      () => pki.issue({ cn: 'b', issuer: ca, md: 'sha1', from: '2025-01-01', to: '2026-01-01' }),
      { name: 'sha1WithRSAEncryption', hash: 'sha1' },
    ],
    [
      'RSA md5',
      () => pki.issue({ cn: 'c', issuer: ca, md: 'md5', from: '2025-01-01', to: '2026-01-01' }),
      { name: 'md5WithRSAEncryption', hash: 'md5' },
    ],
    [
      'ECDSA sha256',
      () => pki.issue({ cn: 'd', key: 'ec:P-256', from: '2025-01-01', to: '2026-01-01' }),
      { name: 'ecdsa-with-SHA256', hash: 'sha256' },
    ],
    [
      'ECDSA sha384',
      () => pki.issue({ cn: 'e', key: 'ec:P-384', md: 'sha384', from: '2025-01-01', to: '2026-01-01' }),
      { name: 'ecdsa-with-SHA384', hash: 'sha384' },
    ],
    [
      'ECDSA sha1',
      () => pki.issue({ cn: 'e1', key: 'ec:P-256', md: 'sha1', from: '2025-01-01', to: '2026-01-01' }),
      { name: 'ecdsa-with-SHA1', hash: 'sha1' },
    ],
    [
      'Ed25519',
      () => pki.issue({ cn: 'f', key: 'ed25519', from: '2025-01-01', to: '2026-01-01' }),
      { name: 'Ed25519', hash: 'intrinsic' },
    ],
    [
      'RSASSA-PSS sha256',
      () =>
        pki.issue({
          cn: 'g',
          issuer: ca,
          sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:32'],
          from: '2025-01-01',
          to: '2026-01-01',
        }),
      { name: 'RSASSA-PSS with sha256', hash: 'sha256' },
    ],
    // PSS parameters default the digest to SHA-1 when the field is absent (RFC 4055), as openssl writes them here.
    [
      'RSASSA-PSS default digest',
      () =>
        pki.issue({
          cn: 'h',
          issuer: ca,
          md: 'sha1',
          sigopt: ['rsa_padding_mode:pss'],
          from: '2025-01-01',
          to: '2026-01-01',
        }),
      { name: 'RSASSA-PSS with sha1', hash: 'sha1' },
    ],
  ];
  it.each(cases)('%s', (_label, make, want) => {
    const c = make();
    expect(signatureFact(c.der)).toMatchObject(want);
    // Ground truth: what openssl prints as the signature algorithm.
    const text = pki.x509(c, ['-text', '-certopt', 'no_pubkey,no_sigdump,no_extensions']);
    const printed = /Signature Algorithm: (\S+)/.exec(text)?.[1];
    const alias: Record<string, string> = { rsassaPss: 'RSASSA-PSS', ED25519: 'Ed25519' };
    expect(want.name.startsWith(alias[printed!] ?? printed!)).toBe(true);
  });

  it('fails cleanly on every truncation of a real certificate', () => {
    const c = pki.issue({ cn: 't', issuer: ca, from: '2025-01-01', to: '2026-01-01' });
    for (let n = 0; n < c.der.length; n++) {
      const r = certificateSignatureAlgorithm(c.der.subarray(0, n));
      expect(r.ok, `prefix of ${n} bytes`).toBe(false);
    }
    expect(certificateSignatureAlgorithm(c.der).ok).toBe(true);
    expect(firstElementLength(Buffer.concat([c.der, Buffer.from('3000', 'hex')]))).toEqual({
      ok: true,
      value: c.der.length,
    });
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 3000; i++) {
      const b = randomBytes(1 + (i % 300));
      if (i % 2) b[0] = 0x30;
      expect(() => certificateSignatureAlgorithm(b)).not.toThrow();
      expect(() => signatureFact(b)).not.toThrow();
    }
  });
});
