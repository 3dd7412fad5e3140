/**
 * What a shadow(5) password field holds: a lock ("!", "*", "!!" with or without a hash behind it), nothing,
 * or a crypt(5) hash, classified by its prefix. A locked hash ("!$6$...") still counts: "passwd -u" restores it.
 */

export type HashClass =
  { kind: 'empty' } | { kind: 'locked' } | { kind: 'hash'; scheme: string; strong: boolean; why: string };

/** crypt(5) prefixes: yescrypt, gost-yescrypt, scrypt, bcrypt, SHA-512, SHA-256 are accepted. */
const STRONG: readonly [RegExp, string][] = [
  [/^\$y\$/, 'yescrypt'],
  [/^\$gy\$/, 'gost-yescrypt'],
  [/^\$7\$/, 'scrypt'],
  [/^\$2[by]\$/, 'bcrypt'],
];
const WEAK: readonly [RegExp, string][] = [
  [/^\$1\$/, 'MD5'],
  [/^\$2a?\$/, 'bcrypt with the $2a$/$2$ bug'],
  [/^\$md5[$,]/, 'Sun MD5'],
  [/^\$sha1\$/, 'NetBSD SHA-1'],
  [/^\$3\$/, 'NT hash'],
  [/^_/, 'BSDi extended DES'],
];
/** Rounds below which SHA-crypt is weak: the default is 5000 (crypt(5)); the minimum allowed is 1000. */
const MIN_SHA_ROUNDS = 5000;

export function classifyHash(field: string): HashClass {
  const h = field.replace(/^!+/, '');
  if (field === '') return { kind: 'empty' };
  if (h === '' || h.startsWith('*') || h === 'x') return { kind: 'locked' };
  for (const [re, scheme] of STRONG) if (re.test(h)) return { kind: 'hash', scheme, strong: true, why: scheme };
  const sha = /^\$([56])\$(?:rounds=(\d+)\$)?/.exec(h);
  if (sha) {
    const scheme = sha[1] === '6' ? 'SHA-512' : 'SHA-256';
    const rounds = sha[2] ? Number(sha[2]) : MIN_SHA_ROUNDS;
    if (rounds < MIN_SHA_ROUNDS) return { kind: 'hash', scheme, strong: false, why: `${scheme} with ${rounds} rounds` };
    return { kind: 'hash', scheme, strong: true, why: scheme };
  }
  for (const [re, scheme] of WEAK) if (re.test(h)) return { kind: 'hash', scheme, strong: false, why: scheme };
  // Thirteen characters of the crypt alphabet is traditional DES, which keeps 8 characters of a password.
  if (/^[./0-9A-Za-z]{13}$/.test(h)) return { kind: 'hash', scheme: 'DES', strong: false, why: 'DES' };
  // Not a hash crypt(3) can produce (e.g. "LK", "NP", "locked"): no password matches it, so the account is locked.
  if (!h.startsWith('$')) return { kind: 'locked' };
  return {
    kind: 'hash',
    scheme: 'unrecognised',
    strong: false,
    why: `a method this check does not recognise (${h.slice(0, h.indexOf('$', 1) + 1 || 4)})`,
  };
}
