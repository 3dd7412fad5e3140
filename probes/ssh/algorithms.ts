/**
 * The SSH algorithm rating table: security knowledge as data, modelled on ssh-audit's kexdb (jtesta/ssh-audit
 * src/ssh_audit/ssh2_kexdb.py at 1eb1105, "3.x"), plus the lists of three other standards. Adding an
 * algorithm is one line in ALGORITHMS; adding a standard's list is data in STANDARD_LISTS. test/ssh/algorithms.test.ts
 * checks the table's invariants (every name has a kind, every failing verdict has a reason, no list names an
 * algorithm the table does not know, everything the local OpenSSH implements is in the table).
 *
 * Standards (they disagree, so every verdict names its standard):
 * - 'ssh-audit': ssh-audit 3.x (git HEAD) rules: SHA-1, NIST P-curves, DSA/1024-bit, RC4/3DES/Blowfish/CAST fail;
 *   CBC, encrypt-and-MAC, 64-bit tags/blocks, 2048-bit groups and every KEX that is not post-quantum warn.
 * - 'CIS': the current CIS generation (Ubuntu 22.04 v2.0.0, Ubuntu 24.04 v1.0.0, Debian 12: 5.1.6 Ciphers,
 *   5.1.12 KexAlgorithms, 5.1.15 MACs), which audits `sshd -T` against deny lists. chacha20-poly1305 is listed
 *   as weak unless CVE-2023-48795 is patched, so it is a warning here. Note: this list does NOT name hmac-sha1
 *   (only hmac-sha1-96) but does name umac-128-etm@openssh.com.
 * - 'CIS-DIL': CIS Distribution Independent Linux 2.0.0 5.2.13-5.2.15 (dev-sec/cis-dil-benchmark): a cipher
 *   deny list and MAC/KEX allow lists. The KEX allow list predates sntrup761 and ML-KEM, so OpenSSH 9.x defaults
 *   fail it.
 * - 'dev-sec': dev-sec/ssh-baseline v2.8.1 (libraries/ssh_crypto.rb) expected lists for OpenSSH >= 8.5 (sshd-01..03,
 *   which demand exact equality: anything else fails) and the host key types of sshd-14 (rsa, ecdsa, ed25519).
 *
 * Pseudo-algorithms (ext-info-*, kex-strict-*) are KEX names that are not key exchanges: rateList() ignores them
 * for verdicts and reports them separately (they matter for Terrapin, CVE-2023-48795).
 */

export const ALGORITHM_KINDS = ['kex', 'hostkey', 'cipher', 'mac'] as const;
export type AlgorithmKind = (typeof ALGORITHM_KINDS)[number];

export const STANDARDS = ['ssh-audit', 'CIS', 'CIS-DIL', 'dev-sec'] as const;
export type Standard = (typeof STANDARDS)[number];

/**
 * fail/warn/ok: the standard's verdict. unknown-algorithm: hostward's table does not know the name (never ok).
 * not-covered: the standard has no rule for this kind of algorithm (CIS has no host key algorithm list).
 */
export type Verdict = 'fail' | 'warn' | 'ok' | 'unknown-algorithm' | 'not-covered';

export type ReasonLevel = 'fail' | 'warn' | 'info';

export interface Reason {
  /** Stable identifier, e.g. FAIL_SHA1. */
  readonly id: string;
  readonly level: ReasonLevel;
  readonly text: string;
}

function reason(id: string, level: ReasonLevel, text: string): Reason {
  return Object.freeze({ id, level, text });
}

// ssh-audit's reasons (the wording is ours).
export const FAIL_1024BIT = reason('FAIL_1024BIT', 'fail', 'uses a 1024-bit modulus');
export const FAIL_LOGJAM = reason('FAIL_LOGJAM', 'fail', 'vulnerable to the Logjam attack');
export const FAIL_SHA1 = reason('FAIL_SHA1', 'fail', 'uses the broken SHA-1 hash');
export const FAIL_MD5 = reason('FAIL_MD5', 'fail', 'uses the broken MD5 hash');
export const FAIL_RIPEMD = reason('FAIL_RIPEMD', 'fail', 'uses the deprecated RIPEMD hash');
export const FAIL_NIST_CURVE = reason(
  'FAIL_NIST_CURVE',
  'fail',
  'uses NIST P-curves, suspected of being weakened by their designers',
);
export const FAIL_3DES = reason('FAIL_3DES', 'fail', 'uses the broken and deprecated 3DES cipher');
export const FAIL_DES = reason('FAIL_DES', 'fail', 'uses the broken DES cipher');
export const FAIL_BLOWFISH = reason('FAIL_BLOWFISH', 'fail', 'uses the weak and deprecated Blowfish cipher');
export const FAIL_CAST = reason('FAIL_CAST', 'fail', 'uses the weak and deprecated CAST cipher');
export const FAIL_RC4 = reason('FAIL_RC4', 'fail', 'uses the broken RC4 cipher');
export const FAIL_RIJNDAEL = reason('FAIL_RIJNDAEL', 'fail', 'uses the deprecated, non-standard Rijndael cipher');
export const FAIL_PLAINTEXT = reason('FAIL_PLAINTEXT', 'fail', 'no encryption or integrity protection');
export const WARN_2048BIT = reason(
  'WARN_2048BIT',
  'warn',
  'a 2048-bit modulus gives only 112 bits of symmetric strength',
);
export const WARN_NOT_PQ_SAFE = reason(
  'WARN_NOT_PQ_SAFE',
  'warn',
  'no protection against post-quantum attacks (store now, decrypt later)',
);
export const WARN_EXPERIMENTAL = reason(
  'WARN_EXPERIMENTAL',
  'warn',
  'experimental algorithm (withdrawn sntrup4591761)',
);
export const WARN_CBC = reason('WARN_CBC', 'warn', 'uses the weak CBC cipher mode');
export const WARN_64BIT_BLOCK = reason('WARN_64BIT_BLOCK', 'warn', 'uses a small 64-bit block size (Sweet32)');
export const WARN_ENCRYPT_AND_MAC = reason(
  'WARN_ENCRYPT_AND_MAC',
  'warn',
  'uses encrypt-and-MAC mode (not encrypt-then-MAC)',
);
export const WARN_TAG_64 = reason('WARN_TAG_64', 'warn', 'uses a small 64-bit tag');
export const WARN_TAG_96 = reason('WARN_TAG_96', 'warn', 'uses a small 96-bit tag');
export const WARN_RNDSIG = reason(
  'WARN_RNDSIG',
  'warn',
  'a weak random number generator during signing could reveal the key ((EC)DSA)',
);
export const INFO_HYBRID_PQ = reason('INFO_HYBRID_PQ', 'info', 'hybrid post-quantum key exchange combined with X25519');
export const INFO_PSEUDO = reason('INFO_PSEUDO', 'info', 'pseudo-algorithm: a capability marker, not a key exchange');
export const INFO_STRICT_KEX = reason(
  'INFO_STRICT_KEX',
  'info',
  'strict key exchange marker, the countermeasure for Terrapin (CVE-2023-48795)',
);
export const INFO_TERRAPIN_CHACHA = reason(
  'INFO_TERRAPIN_CHACHA',
  'info',
  'open to the Terrapin prefix truncation attack (CVE-2023-48795) unless strict KEX is offered',
);

// Reasons of the list-based standards.
export const CIS_WEAK_CIPHER = reason(
  'CIS_WEAK_CIPHER',
  'fail',
  'on the CIS weak cipher list (Ubuntu 22.04 v2.0.0 / Debian 12 5.1.6)',
);
export const CIS_CHACHA_REVIEW = reason(
  'CIS_CHACHA_REVIEW',
  'warn',
  'CIS 5.1.6 lists it as weak unless CVE-2023-48795 (Terrapin) is patched',
);
export const CIS_WEAK_KEX = reason(
  'CIS_WEAK_KEX',
  'fail',
  'on the CIS weak key exchange list (Ubuntu 22.04 v2.0.0 / Debian 12 5.1.12)',
);
export const CIS_WEAK_MAC = reason(
  'CIS_WEAK_MAC',
  'fail',
  'on the CIS weak MAC list (Ubuntu 22.04 v2.0.0 / Debian 12 5.1.15)',
);
export const CIS_DIL_WEAK_CIPHER = reason(
  'CIS_DIL_WEAK_CIPHER',
  'fail',
  'on the CIS DIL 2.0.0 5.2.13 weak cipher list',
);
export const CIS_DIL_NOT_ALLOWED_MAC = reason(
  'CIS_DIL_NOT_ALLOWED_MAC',
  'fail',
  'not on the CIS DIL 2.0.0 5.2.14 MAC allow list',
);
export const CIS_DIL_NOT_ALLOWED_KEX = reason(
  'CIS_DIL_NOT_ALLOWED_KEX',
  'fail',
  'not on the CIS DIL 2.0.0 5.2.15 key exchange allow list',
);
export const DEVSEC_NOT_EXPECTED_CIPHER = reason(
  'DEVSEC_NOT_EXPECTED_CIPHER',
  'fail',
  'not in dev-sec ssh-baseline sshd-01 expected ciphers (OpenSSH >= 8.5)',
);
export const DEVSEC_NOT_EXPECTED_KEX = reason(
  'DEVSEC_NOT_EXPECTED_KEX',
  'fail',
  'not in dev-sec ssh-baseline sshd-02 expected key exchanges (OpenSSH >= 8.5)',
);
export const DEVSEC_NOT_EXPECTED_MAC = reason(
  'DEVSEC_NOT_EXPECTED_MAC',
  'fail',
  'not in dev-sec ssh-baseline sshd-03 expected MACs (OpenSSH >= 8.5)',
);
export const DEVSEC_NOT_EXPECTED_HOSTKEY = reason(
  'DEVSEC_NOT_EXPECTED_HOSTKEY',
  'fail',
  'not an rsa, ecdsa or ed25519 host key (dev-sec ssh-baseline sshd-14)',
);

/** Every reason, for the catalogue and the invariant tests. */
export const REASONS: readonly Reason[] = Object.freeze([
  FAIL_1024BIT,
  FAIL_LOGJAM,
  FAIL_SHA1,
  FAIL_MD5,
  FAIL_RIPEMD,
  FAIL_NIST_CURVE,
  FAIL_3DES,
  FAIL_DES,
  FAIL_BLOWFISH,
  FAIL_CAST,
  FAIL_RC4,
  FAIL_RIJNDAEL,
  FAIL_PLAINTEXT,
  WARN_2048BIT,
  WARN_NOT_PQ_SAFE,
  WARN_EXPERIMENTAL,
  WARN_CBC,
  WARN_64BIT_BLOCK,
  WARN_ENCRYPT_AND_MAC,
  WARN_TAG_64,
  WARN_TAG_96,
  WARN_RNDSIG,
  INFO_HYBRID_PQ,
  INFO_PSEUDO,
  INFO_STRICT_KEX,
  INFO_TERRAPIN_CHACHA,
  CIS_WEAK_CIPHER,
  CIS_CHACHA_REVIEW,
  CIS_WEAK_KEX,
  CIS_WEAK_MAC,
  CIS_DIL_WEAK_CIPHER,
  CIS_DIL_NOT_ALLOWED_MAC,
  CIS_DIL_NOT_ALLOWED_KEX,
  DEVSEC_NOT_EXPECTED_CIPHER,
  DEVSEC_NOT_EXPECTED_KEX,
  DEVSEC_NOT_EXPECTED_MAC,
  DEVSEC_NOT_EXPECTED_HOSTKEY,
]);

/** Key types as they appear in a .pub file / the public key blob. */
export type HostKeyType =
  | 'ssh-rsa'
  | 'ssh-dss'
  | 'ecdsa-sha2-nistp256'
  | 'ecdsa-sha2-nistp384'
  | 'ecdsa-sha2-nistp521'
  | 'ssh-ed25519'
  | 'ssh-ed448'
  | 'sk-ecdsa-sha2-nistp256@openssh.com'
  | 'sk-ssh-ed25519@openssh.com';

export interface AlgorithmInfo {
  readonly name: string;
  readonly kind: AlgorithmKind;
  /** ssh-audit's reasons; the ssh-audit verdict is the worst level among them. */
  readonly reasons: readonly Reason[];
  /** ext-info-*, kex-strict-*: advertised in the KEX list but not a key exchange. */
  readonly pseudo?: true;
  /** hostkey: the key type a server must have loaded to offer this algorithm. */
  readonly keyType?: HostKeyType;
  /** hostkey: an OpenSSH certificate algorithm (needs HostCertificate as well as the key). */
  readonly certificate?: true;
  /** cipher: CBC mode (Terrapin together with an ETM MAC). */
  readonly cbc?: true;
  /** cipher: authenticated encryption; the MAC list is not used with it. */
  readonly aead?: true;
  /** cipher: chacha20-poly1305, open to Terrapin without strict KEX. */
  readonly chacha?: true;
  /** mac: encrypt-then-MAC. */
  readonly etm?: true;
}

type Flags = Omit<AlgorithmInfo, 'name' | 'kind' | 'reasons'>;
type Row = readonly [name: string, kind: AlgorithmKind, reasons: readonly Reason[], flags?: Flags];

const PQ = [WARN_NOT_PQ_SAFE];
const NIST_KEX = [FAIL_NIST_CURVE, WARN_NOT_PQ_SAFE];
const NIST_SIG = [FAIL_NIST_CURVE, WARN_RNDSIG];

/** The table. One row per algorithm name and kind. */
const ROWS: readonly Row[] = [
  // Key exchange.
  ['mlkem768x25519-sha256', 'kex', [INFO_HYBRID_PQ]],
  ['sntrup761x25519-sha512', 'kex', [INFO_HYBRID_PQ]],
  ['sntrup761x25519-sha512@openssh.com', 'kex', [INFO_HYBRID_PQ]],
  ['sntrup4591761x25519-sha512@tinyssh.org', 'kex', [WARN_EXPERIMENTAL]],
  ['mlkem768nistp256-sha256', 'kex', [FAIL_NIST_CURVE]],
  ['mlkem1024nistp384-sha384', 'kex', [FAIL_NIST_CURVE]],
  ['curve25519-sha256', 'kex', PQ],
  ['curve25519-sha256@libssh.org', 'kex', PQ],
  ['curve448-sha512', 'kex', PQ],
  ['ecdh-sha2-nistp256', 'kex', NIST_KEX],
  ['ecdh-sha2-nistp384', 'kex', NIST_KEX],
  ['ecdh-sha2-nistp521', 'kex', NIST_KEX],
  ['diffie-hellman-group-exchange-sha256', 'kex', PQ],
  ['diffie-hellman-group-exchange-sha1', 'kex', [FAIL_SHA1, WARN_NOT_PQ_SAFE]],
  ['diffie-hellman-group18-sha512', 'kex', PQ],
  ['diffie-hellman-group16-sha512', 'kex', PQ],
  ['diffie-hellman-group14-sha256', 'kex', [WARN_2048BIT, WARN_NOT_PQ_SAFE]],
  ['diffie-hellman-group14-sha1', 'kex', [FAIL_SHA1, WARN_2048BIT, WARN_NOT_PQ_SAFE]],
  ['diffie-hellman-group1-sha1', 'kex', [FAIL_1024BIT, FAIL_LOGJAM, FAIL_SHA1, WARN_NOT_PQ_SAFE]],
  ['ext-info-s', 'kex', [INFO_PSEUDO], { pseudo: true }],
  ['ext-info-c', 'kex', [INFO_PSEUDO], { pseudo: true }],
  ['kex-strict-s-v00@openssh.com', 'kex', [INFO_PSEUDO, INFO_STRICT_KEX], { pseudo: true }],
  ['kex-strict-c-v00@openssh.com', 'kex', [INFO_PSEUDO, INFO_STRICT_KEX], { pseudo: true }],

  // Host key / signature algorithms.
  ['ssh-ed25519', 'hostkey', [], { keyType: 'ssh-ed25519' }],
  ['ssh-ed25519-cert-v01@openssh.com', 'hostkey', [], { keyType: 'ssh-ed25519', certificate: true }],
  ['sk-ssh-ed25519@openssh.com', 'hostkey', [], { keyType: 'sk-ssh-ed25519@openssh.com' }],
  ['sk-ssh-ed25519-cert-v01@openssh.com', 'hostkey', [], { keyType: 'sk-ssh-ed25519@openssh.com', certificate: true }],
  ['ssh-ed448', 'hostkey', [], { keyType: 'ssh-ed448' }],
  ['rsa-sha2-512', 'hostkey', [], { keyType: 'ssh-rsa' }],
  ['rsa-sha2-256', 'hostkey', [], { keyType: 'ssh-rsa' }],
  ['rsa-sha2-512-cert-v01@openssh.com', 'hostkey', [], { keyType: 'ssh-rsa', certificate: true }],
  ['rsa-sha2-256-cert-v01@openssh.com', 'hostkey', [], { keyType: 'ssh-rsa', certificate: true }],
  ['ssh-rsa', 'hostkey', [FAIL_SHA1], { keyType: 'ssh-rsa' }],
  ['ssh-rsa-cert-v01@openssh.com', 'hostkey', [FAIL_SHA1], { keyType: 'ssh-rsa', certificate: true }],
  ['ecdsa-sha2-nistp256', 'hostkey', NIST_SIG, { keyType: 'ecdsa-sha2-nistp256' }],
  ['ecdsa-sha2-nistp384', 'hostkey', NIST_SIG, { keyType: 'ecdsa-sha2-nistp384' }],
  ['ecdsa-sha2-nistp521', 'hostkey', NIST_SIG, { keyType: 'ecdsa-sha2-nistp521' }],
  [
    'ecdsa-sha2-nistp256-cert-v01@openssh.com',
    'hostkey',
    NIST_SIG,
    { keyType: 'ecdsa-sha2-nistp256', certificate: true },
  ],
  [
    'ecdsa-sha2-nistp384-cert-v01@openssh.com',
    'hostkey',
    NIST_SIG,
    { keyType: 'ecdsa-sha2-nistp384', certificate: true },
  ],
  [
    'ecdsa-sha2-nistp521-cert-v01@openssh.com',
    'hostkey',
    NIST_SIG,
    { keyType: 'ecdsa-sha2-nistp521', certificate: true },
  ],
  ['sk-ecdsa-sha2-nistp256@openssh.com', 'hostkey', NIST_SIG, { keyType: 'sk-ecdsa-sha2-nistp256@openssh.com' }],
  [
    'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
    'hostkey',
    NIST_SIG,
    { keyType: 'sk-ecdsa-sha2-nistp256@openssh.com', certificate: true },
  ],
  ['ssh-dss', 'hostkey', [FAIL_1024BIT, WARN_RNDSIG], { keyType: 'ssh-dss' }],
  ['ssh-dss-cert-v01@openssh.com', 'hostkey', [FAIL_1024BIT, WARN_RNDSIG], { keyType: 'ssh-dss', certificate: true }],

  // Ciphers.
  ['chacha20-poly1305@openssh.com', 'cipher', [INFO_TERRAPIN_CHACHA], { aead: true, chacha: true }],
  ['aes256-gcm@openssh.com', 'cipher', [], { aead: true }],
  ['aes128-gcm@openssh.com', 'cipher', [], { aead: true }],
  ['aes256-ctr', 'cipher', []],
  ['aes192-ctr', 'cipher', []],
  ['aes128-ctr', 'cipher', []],
  ['aes256-cbc', 'cipher', [WARN_CBC], { cbc: true }],
  ['aes192-cbc', 'cipher', [WARN_CBC], { cbc: true }],
  ['aes128-cbc', 'cipher', [WARN_CBC], { cbc: true }],
  ['rijndael-cbc@lysator.liu.se', 'cipher', [FAIL_RIJNDAEL, WARN_CBC], { cbc: true }],
  ['3des-cbc', 'cipher', [FAIL_3DES, WARN_CBC, WARN_64BIT_BLOCK], { cbc: true }],
  ['des-cbc', 'cipher', [FAIL_DES, WARN_CBC, WARN_64BIT_BLOCK], { cbc: true }],
  ['blowfish-cbc', 'cipher', [FAIL_BLOWFISH, WARN_CBC, WARN_64BIT_BLOCK], { cbc: true }],
  ['cast128-cbc', 'cipher', [FAIL_CAST, WARN_CBC, WARN_64BIT_BLOCK], { cbc: true }],
  ['arcfour', 'cipher', [FAIL_RC4]],
  ['arcfour128', 'cipher', [FAIL_RC4]],
  ['arcfour256', 'cipher', [FAIL_RC4]],
  ['none', 'cipher', [FAIL_PLAINTEXT]],

  // MACs.
  ['hmac-sha2-512-etm@openssh.com', 'mac', [], { etm: true }],
  ['hmac-sha2-256-etm@openssh.com', 'mac', [], { etm: true }],
  ['umac-128-etm@openssh.com', 'mac', [], { etm: true }],
  ['umac-64-etm@openssh.com', 'mac', [WARN_TAG_64], { etm: true }],
  ['hmac-sha1-etm@openssh.com', 'mac', [FAIL_SHA1], { etm: true }],
  ['hmac-sha1-96-etm@openssh.com', 'mac', [FAIL_SHA1], { etm: true }],
  ['hmac-md5-etm@openssh.com', 'mac', [FAIL_MD5], { etm: true }],
  ['hmac-md5-96-etm@openssh.com', 'mac', [FAIL_MD5], { etm: true }],
  ['hmac-ripemd160-etm@openssh.com', 'mac', [FAIL_RIPEMD], { etm: true }],
  ['hmac-sha2-512', 'mac', [WARN_ENCRYPT_AND_MAC]],
  ['hmac-sha2-256', 'mac', [WARN_ENCRYPT_AND_MAC]],
  ['umac-128@openssh.com', 'mac', [WARN_ENCRYPT_AND_MAC]],
  ['umac-64@openssh.com', 'mac', [WARN_ENCRYPT_AND_MAC, WARN_TAG_64]],
  ['hmac-sha2-256-96', 'mac', [WARN_ENCRYPT_AND_MAC, WARN_TAG_96]],
  ['hmac-sha2-512-96', 'mac', [WARN_ENCRYPT_AND_MAC, WARN_TAG_96]],
  ['hmac-sha1', 'mac', [FAIL_SHA1, WARN_ENCRYPT_AND_MAC]],
  ['hmac-sha1-96', 'mac', [FAIL_SHA1, WARN_ENCRYPT_AND_MAC]],
  ['hmac-md5', 'mac', [FAIL_MD5, WARN_ENCRYPT_AND_MAC]],
  ['hmac-md5-96', 'mac', [FAIL_MD5, WARN_ENCRYPT_AND_MAC]],
  ['hmac-ripemd160', 'mac', [FAIL_RIPEMD, WARN_ENCRYPT_AND_MAC]],
  ['hmac-ripemd160@openssh.com', 'mac', [FAIL_RIPEMD, WARN_ENCRYPT_AND_MAC]],
  ['none', 'mac', [FAIL_PLAINTEXT]],
];

function key(kind: AlgorithmKind, name: string): string {
  return `${kind}:${name}`;
}

/** The table, indexed by kind and name. */
export const ALGORITHMS: ReadonlyMap<string, AlgorithmInfo> = new Map(
  ROWS.map(([name, kind, reasons, flags]) => [
    key(kind, name),
    Object.freeze({ name, kind, reasons: Object.freeze([...reasons]), ...(flags ?? {}) }),
  ]),
);

/** Number of rows, so a test can tell that no row was shadowed by a duplicate. */
export const ALGORITHM_ROW_COUNT = ROWS.length;

export function lookupAlgorithm(kind: AlgorithmKind, name: string): AlgorithmInfo | undefined {
  return ALGORITHMS.get(key(kind, name));
}

/** Every algorithm of one kind, in table order. */
export function algorithmsOfKind(kind: AlgorithmKind): AlgorithmInfo[] {
  return [...ALGORITHMS.values()].filter((a) => a.kind === kind);
}

/** A list-based standard's rule for one kind: a deny list, or an allow list (anything else fails). */
export interface StandardList {
  readonly mode: 'deny' | 'allow';
  readonly names: readonly string[];
  /** The reason attached to a listed (deny) or unlisted (allow) algorithm. */
  readonly reason: Reason;
  /** Names that only warn, with their own reason (CIS: chacha20 until Terrapin is patched). */
  readonly warn?: readonly { readonly name: string; readonly reason: Reason }[];
  /** Where the list comes from, for finding references. */
  readonly reference: string;
}

const CBC_AND_OLD_CIPHERS = [
  '3des-cbc',
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
  'arcfour',
  'arcfour128',
  'arcfour256',
  'blowfish-cbc',
  'cast128-cbc',
  'rijndael-cbc@lysator.liu.se',
] as const;

/** The list-based standards. A kind that is absent is 'not-covered' by that standard. */
export const STANDARD_LISTS: Readonly<
  Record<Exclude<Standard, 'ssh-audit'>, Partial<Record<AlgorithmKind, StandardList>>>
> = {
  CIS: {
    cipher: {
      mode: 'deny',
      names: CBC_AND_OLD_CIPHERS,
      reason: CIS_WEAK_CIPHER,
      warn: [{ name: 'chacha20-poly1305@openssh.com', reason: CIS_CHACHA_REVIEW }],
      reference: 'CIS Ubuntu Linux 22.04 LTS Benchmark v2.0.0 5.1.6 / CIS Debian Linux 12 Benchmark v1.1.0 5.1.6',
    },
    kex: {
      mode: 'deny',
      names: ['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1'],
      reason: CIS_WEAK_KEX,
      reference: 'CIS Ubuntu Linux 22.04 LTS Benchmark v2.0.0 5.1.12 / CIS Debian Linux 12 Benchmark v1.1.0 5.1.12',
    },
    mac: {
      mode: 'deny',
      names: [
        'hmac-md5',
        'hmac-md5-96',
        'hmac-ripemd160',
        'hmac-sha1-96',
        'umac-64@openssh.com',
        'hmac-md5-etm@openssh.com',
        'hmac-md5-96-etm@openssh.com',
        'hmac-ripemd160-etm@openssh.com',
        'hmac-sha1-96-etm@openssh.com',
        'umac-64-etm@openssh.com',
        'umac-128-etm@openssh.com',
      ],
      reason: CIS_WEAK_MAC,
      reference: 'CIS Ubuntu Linux 22.04 LTS Benchmark v2.0.0 5.1.15 / CIS Debian Linux 12 Benchmark v1.1.0 5.1.15',
    },
  },
  'CIS-DIL': {
    cipher: {
      mode: 'deny',
      names: CBC_AND_OLD_CIPHERS,
      reason: CIS_DIL_WEAK_CIPHER,
      reference: 'CIS Distribution Independent Linux Benchmark v2.0.0 5.2.13',
    },
    mac: {
      mode: 'allow',
      names: ['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512', 'hmac-sha2-256'],
      reason: CIS_DIL_NOT_ALLOWED_MAC,
      reference: 'CIS Distribution Independent Linux Benchmark v2.0.0 5.2.14',
    },
    kex: {
      mode: 'allow',
      names: [
        'curve25519-sha256',
        'curve25519-sha256@libssh.org',
        'ecdh-sha2-nistp256',
        'ecdh-sha2-nistp384',
        'ecdh-sha2-nistp521',
        'diffie-hellman-group-exchange-sha256',
        'diffie-hellman-group16-sha512',
        'diffie-hellman-group18-sha512',
        'diffie-hellman-group14-sha256',
      ],
      reason: CIS_DIL_NOT_ALLOWED_KEX,
      reference: 'CIS Distribution Independent Linux Benchmark v2.0.0 5.2.15',
    },
  },
  'dev-sec': {
    cipher: {
      mode: 'allow',
      names: [
        'chacha20-poly1305@openssh.com',
        'aes256-gcm@openssh.com',
        'aes128-gcm@openssh.com',
        'aes256-ctr',
        'aes192-ctr',
        'aes128-ctr',
      ],
      reason: DEVSEC_NOT_EXPECTED_CIPHER,
      reference: 'dev-sec ssh-baseline sshd-01',
    },
    kex: {
      mode: 'allow',
      names: [
        'sntrup761x25519-sha512@openssh.com',
        'curve25519-sha256@libssh.org',
        'diffie-hellman-group-exchange-sha256',
      ],
      reason: DEVSEC_NOT_EXPECTED_KEX,
      reference: 'dev-sec ssh-baseline sshd-02',
    },
    mac: {
      mode: 'allow',
      names: [
        'hmac-sha2-512-etm@openssh.com',
        'hmac-sha2-256-etm@openssh.com',
        'umac-128-etm@openssh.com',
        'hmac-sha2-512',
        'hmac-sha2-256',
      ],
      reason: DEVSEC_NOT_EXPECTED_MAC,
      reference: 'dev-sec ssh-baseline sshd-03',
    },
    hostkey: {
      mode: 'allow',
      names: [
        'rsa-sha2-512',
        'rsa-sha2-256',
        'ssh-rsa',
        'rsa-sha2-512-cert-v01@openssh.com',
        'rsa-sha2-256-cert-v01@openssh.com',
        'ssh-rsa-cert-v01@openssh.com',
        'ecdsa-sha2-nistp256',
        'ecdsa-sha2-nistp384',
        'ecdsa-sha2-nistp521',
        'ecdsa-sha2-nistp256-cert-v01@openssh.com',
        'ecdsa-sha2-nistp384-cert-v01@openssh.com',
        'ecdsa-sha2-nistp521-cert-v01@openssh.com',
        'ssh-ed25519',
        'ssh-ed25519-cert-v01@openssh.com',
      ],
      reason: DEVSEC_NOT_EXPECTED_HOSTKEY,
      reference: 'dev-sec ssh-baseline sshd-14',
    },
  },
};

/** Where each standard's rules come from, per kind, for finding references. */
export function standardReference(standard: Standard, kind: AlgorithmKind): string | undefined {
  if (standard === 'ssh-audit') return 'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/ssh2_kexdb.py';
  return STANDARD_LISTS[standard][kind]?.reference;
}

export interface AlgorithmRating {
  name: string;
  kind: AlgorithmKind;
  standard: Standard;
  verdict: Verdict;
  /** Why: the fail and warn reasons for fail/warn (info reasons are kept for ok). Empty for unknown/not-covered. */
  reasons: readonly Reason[];
  pseudo: boolean;
}

function worst(reasons: readonly Reason[]): 'fail' | 'warn' | 'ok' {
  if (reasons.some((r) => r.level === 'fail')) return 'fail';
  if (reasons.some((r) => r.level === 'warn')) return 'warn';
  return 'ok';
}

/** Rate one algorithm under one standard. Names the table does not know are 'unknown-algorithm', never ok. */
export function rateAlgorithm(kind: AlgorithmKind, name: string, standard: Standard): AlgorithmRating {
  const info = lookupAlgorithm(kind, name);
  const base = { name, kind, standard };
  if (!info) return { ...base, verdict: 'unknown-algorithm', reasons: [], pseudo: false };
  const pseudo = info.pseudo === true;
  if (pseudo) return { ...base, verdict: 'ok', reasons: info.reasons, pseudo };
  if (standard === 'ssh-audit') {
    const verdict = worst(info.reasons);
    return {
      ...base,
      verdict,
      reasons: verdict === 'ok' ? info.reasons : info.reasons.filter((r) => r.level !== 'info'),
      pseudo,
    };
  }
  const list = STANDARD_LISTS[standard][kind];
  if (!list) return { ...base, verdict: 'not-covered', reasons: [], pseudo };
  const listed = list.names.includes(name);
  if (list.mode === 'deny' ? listed : !listed) return { ...base, verdict: 'fail', reasons: [list.reason], pseudo };
  const w = list.warn?.find((x) => x.name === name);
  if (w) return { ...base, verdict: 'warn', reasons: [w.reason], pseudo };
  return { ...base, verdict: 'ok', reasons: [], pseudo };
}

export interface ListRating {
  standard: Standard;
  kind: AlgorithmKind;
  /** One rating per real algorithm, in list order (pseudo-algorithms excluded). */
  ratings: AlgorithmRating[];
  /** Pseudo-algorithms found in the list (ignored for the verdict). */
  pseudo: string[];
  fail: string[];
  warn: string[];
  unknown: string[];
  /** The worst verdict: fail > unknown-algorithm > warn > ok; not-covered when the standard has no rule. */
  verdict: Verdict;
}

/** Split an `sshd -T` style comma list; tolerates spaces and empty entries. */
export function splitAlgorithmList(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Rate a whole list (array or `sshd -T` comma string) under one standard. */
export function rateList(kind: AlgorithmKind, list: readonly string[] | string, standard: Standard): ListRating {
  const names = typeof list === 'string' ? splitAlgorithmList(list) : [...list];
  const out: ListRating = { standard, kind, ratings: [], pseudo: [], fail: [], warn: [], unknown: [], verdict: 'ok' };
  for (const name of names) {
    const r = rateAlgorithm(kind, name, standard);
    if (r.pseudo) {
      out.pseudo.push(name);
      continue;
    }
    out.ratings.push(r);
    if (r.verdict === 'fail') out.fail.push(name);
    else if (r.verdict === 'warn') out.warn.push(name);
    else if (r.verdict === 'unknown-algorithm') out.unknown.push(name);
  }
  if (standard !== 'ssh-audit' && !STANDARD_LISTS[standard][kind])
    out.verdict = out.unknown.length > 0 ? 'unknown-algorithm' : 'not-covered';
  else if (out.fail.length > 0) out.verdict = 'fail';
  else if (out.unknown.length > 0) out.verdict = 'unknown-algorithm';
  else if (out.warn.length > 0) out.verdict = 'warn';
  return out;
}

/** Rate a list under every standard. */
export function rateListAll(kind: AlgorithmKind, list: readonly string[] | string): Record<Standard, ListRating> {
  return {
    'ssh-audit': rateList(kind, list, 'ssh-audit'),
    CIS: rateList(kind, list, 'CIS'),
    'CIS-DIL': rateList(kind, list, 'CIS-DIL'),
    'dev-sec': rateList(kind, list, 'dev-sec'),
  };
}
