/**
 * Knowledge tables of the tls probe, as data: signature algorithms by OID, digests with the reason a weak one
 * is weak, and EC curve sizes. A new algorithm is one line; test/tls/algorithms.test.ts holds the invariants.
 */

export type Digest = 'md2' | 'md4' | 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'intrinsic';

/** Why a digest is unfit for certificate signatures; absent for sound ones. */
export const WEAK_DIGEST: Readonly<Partial<Record<Digest, string>>> = {
  md2: 'MD2 is broken (preimage attacks) and was withdrawn in RFC 6149',
  md4: 'MD4 is broken (collisions by hand) and was withdrawn in RFC 6150',
  md5: 'MD5 collisions are practical and were used to forge a CA certificate (2008) and Flame (2012)',
  sha1: 'SHA-1 chosen-prefix collisions are practical (SHAmbles, 2020); NIST SP 800-131A disallows it for signatures',
};

export interface SignatureAlgorithm {
  name: string;
  /** undefined: the digest is in the parameters (RSASSA-PSS). */
  hash: Digest | undefined;
}

export const RSASSA_PSS_OID = '1.2.840.113549.1.1.10';

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', hash: 'md2' },
  '1.2.840.113549.1.1.3': { name: 'md4WithRSAEncryption', hash: 'md4' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1' },
  '1.3.14.3.2.29': { name: 'sha1WithRSASignature (OIW)', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  [RSASSA_PSS_OID]: { name: 'RSASSA-PSS', hash: undefined },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  '1.2.840.10040.4.3': { name: 'dsa-with-SHA1', hash: 'sha1' },
  '2.16.840.1.101.3.4.3.1': { name: 'dsa-with-SHA224', hash: 'sha224' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa-with-SHA256', hash: 'sha256' },
  '1.3.101.112': { name: 'Ed25519', hash: 'intrinsic' },
  '1.3.101.113': { name: 'Ed448', hash: 'intrinsic' },
};

/** Digest OIDs, for the hashAlgorithm inside RSASSA-PSS parameters. */
export const DIGEST_OIDS: Readonly<Record<string, Digest>> = {
  '1.2.840.113549.2.2': 'md2',
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Sizes of the named curves node:crypto reports (asymmetricKeyDetails.namedCurve). */
export const CURVE_BITS: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp192k1: 192,
  secp224r1: 224,
  secp224k1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};
