/**
 * How a content hash is written in the baseline: hex SHA-256 as it always was (64 hex digits), other algorithms
 * with their name in front (`sha512:<128 hex>`, `blake2b512:<128 hex>`). So every record says which algorithm
 * made it, a baseline can mix them (a policy that moves a rule to SHA-512), and old databases stay readable.
 */
import type { HashAlgorithm } from './types.js';

const HEX_DIGITS: Readonly<Record<HashAlgorithm, number>> = { sha256: 64, sha512: 128, blake2b512: 128 };

/** The algorithm of a stored hash, or undefined when it is not a well-formed hash value. */
export function hashAlgorithmOf(value: string): HashAlgorithm | undefined {
  const colon = value.indexOf(':');
  const algo = (colon < 0 ? 'sha256' : value.slice(0, colon)) as HashAlgorithm;
  const hex = colon < 0 ? value : value.slice(colon + 1);
  if (colon >= 0 && (algo === 'sha256' || !(algo in HEX_DIGITS))) return undefined;
  const n = HEX_DIGITS[algo];
  return n !== undefined && hex.length === n && /^[0-9a-f]+$/.test(hex) ? algo : undefined;
}

/** The stored form of a digest. */
export function formatHash(algo: HashAlgorithm, hex: string): string {
  return algo === 'sha256' ? hex : `${algo}:${hex}`;
}
