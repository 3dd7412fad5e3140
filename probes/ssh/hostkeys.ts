/**
 * Parsers for host key material: OpenSSH public key lines (.pub) and /etc/ssh/moduli. Both are pure functions
 * over text that never throw: garbage, truncated or oversized input gives a typed error with a stable code.
 * readHostPublicKey / readModuli do the I/O through the host-root API and hand the text to the parsers.
 */
import type { HostRoot, Failure } from '../../src/sdk.js';
import type { HostKeyType } from './algorithms.js';

/** A .pub line longer than this is refused without decoding (a 16384-bit RSA certificate is far below it). */
export const MAX_PUBLIC_KEY_LINE = 64 * 1024;
/** Only this much of a .pub file is looked at: the key is on the first non-comment line. */
const MAX_SCAN = MAX_PUBLIC_KEY_LINE * 4;

export type PublicKeyErrorCode =
  /** No key line (empty or only comments). */
  | 'empty'
  /** The line is not "type base64 [comment]". */
  | 'not_a_key_line'
  /** The base64 part is not valid padded base64. */
  | 'bad_base64'
  /** The blob ends before a field it announces. */
  | 'truncated'
  /** The type inside the blob differs from the type written before it, or the curve differs from the type. */
  | 'type_mismatch'
  /** A well-formed blob of a key type hostward does not know. */
  | 'unsupported_type'
  /** The line is longer than MAX_PUBLIC_KEY_LINE. */
  | 'too_large'
  /** The fields decode but make no sense (zero-length modulus, wrong ed25519 length, ...). */
  | 'invalid';

export interface PublicKeyError {
  ok: false;
  code: PublicKeyErrorCode;
  reason: string;
}

export interface PublicKeyInfo {
  ok: true;
  /** The type as written in the blob, e.g. "ssh-rsa", "ssh-ed25519-cert-v01@openssh.com". */
  type: string;
  /** The key's own type, certificates resolved to the key they certify, e.g. "ssh-ed25519". */
  keyType: HostKeyType;
  /** RSA: modulus bits; DSA: bits of p; ECDSA: curve size (256/384/521); Ed25519: 256; Ed448: 456. */
  bits: number;
  certificate: boolean;
  /** FIDO security key (sk-) variant. */
  securityKey: boolean;
  /** ECDSA: nistp256 / nistp384 / nistp521. */
  curve?: string;
  comment?: string;
}

export type ParsedPublicKey = PublicKeyInfo | PublicKeyError;

const err = (code: PublicKeyErrorCode, reason: string): PublicKeyError => ({ ok: false, code, reason });

/** A bounded reader over the SSH wire format (RFC 4251 section 5): uint32 lengths, strings, mpints. */
class WireReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  /** A length-prefixed string, or undefined when the buffer ends first. */
  string(): Buffer | undefined {
    if (this.off + 4 > this.buf.length) return undefined;
    const len = this.buf.readUInt32BE(this.off);
    if (len > this.buf.length - this.off - 4) return undefined;
    const out = this.buf.subarray(this.off + 4, this.off + 4 + len);
    this.off += 4 + len;
    return out;
  }
}

/** Bits of an unsigned big-endian integer, leading zero bytes (mpint sign padding) ignored. */
export function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  const top = bytes[i]!;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(top));
}

const CURVE_BITS: Readonly<Record<string, number>> = { nistp256: 256, nistp384: 384, nistp521: 521 };

const CERT_SUFFIX = '-cert-v01@openssh.com';

/** Certificate type -> the key type it certifies. */
function certifiedType(type: string): string | undefined {
  if (!type.endsWith(CERT_SUFFIX)) return undefined;
  const base = type.slice(0, -CERT_SUFFIX.length);
  // sk-ssh-ed25519-cert-v01@openssh.com certifies sk-ssh-ed25519@openssh.com.
  return base.startsWith('sk-') ? `${base}@openssh.com` : base;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(b64: string): Buffer | PublicKeyError {
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return err('bad_base64', 'the key data is not valid base64');
  return Buffer.from(b64, 'base64');
}

/** The first line that is neither blank nor a # comment, without reading further than needed. */
function firstKeyLine(text: string): string | PublicKeyError {
  let pos = 0;
  const limit = Math.min(text.length, MAX_SCAN);
  while (pos < limit) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    if (end - pos > MAX_PUBLIC_KEY_LINE)
      return err('too_large', `a line is longer than ${MAX_PUBLIC_KEY_LINE} characters`);
    const line = text.slice(pos, end).trim();
    if (line.length > 0 && !line.startsWith('#')) return line;
    pos = end + 1;
  }
  return pos >= MAX_SCAN && text.length > MAX_SCAN
    ? err('too_large', `no key within the first ${MAX_SCAN} characters`)
    : err('empty', 'no key line');
}

/** Decode the fields of a public key blob after its type string. */
function decodeKey(
  type: string,
  r: WireReader,
  certificate: boolean,
): Omit<PublicKeyInfo, 'ok' | 'type' | 'comment'> | PublicKeyError {
  const truncated = (field: string) => err('truncated', `the ${type} key data ends before its ${field}`);
  const base = certificate ? certifiedType(type)! : type;
  if (certificate && !r.string()) return truncated('certificate nonce');
  switch (base) {
    case 'ssh-rsa': {
      const e = r.string();
      if (!e) return truncated('exponent');
      const n = r.string();
      if (!n) return truncated('modulus');
      const bits = bitLength(n);
      if (bits === 0 || bitLength(e) === 0) return err('invalid', 'RSA modulus or exponent is zero');
      return { keyType: 'ssh-rsa', bits, certificate, securityKey: false };
    }
    case 'ssh-dss': {
      const p = r.string();
      if (!p) return truncated('p');
      for (const f of ['q', 'g', 'y']) if (!r.string()) return truncated(f);
      const bits = bitLength(p);
      if (bits === 0) return err('invalid', 'DSA p is zero');
      return { keyType: 'ssh-dss', bits, certificate, securityKey: false };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curveBuf = r.string();
      if (!curveBuf) return truncated('curve name');
      const curve = curveBuf.toString('latin1');
      const expected = base.startsWith('sk-') ? 'nistp256' : base.slice('ecdsa-sha2-'.length);
      if (curve !== expected) return err('type_mismatch', `type ${type} carries curve "${curve.slice(0, 40)}"`);
      const q = r.string();
      if (!q) return truncated('public point');
      if (q.length === 0 || q[0] !== 0x04) return err('invalid', 'the ECDSA public point is not an uncompressed point');
      const securityKey = base.startsWith('sk-');
      if (securityKey && !r.string()) return truncated('application');
      return { keyType: base, bits: CURVE_BITS[curve]!, certificate, securityKey, curve };
    }
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com': {
      const pk = r.string();
      if (!pk) return truncated('public key');
      if (pk.length !== 32) return err('invalid', `an Ed25519 public key has 32 bytes, not ${pk.length}`);
      const securityKey = base.startsWith('sk-');
      if (securityKey && !r.string()) return truncated('application');
      return { keyType: base, bits: 256, certificate, securityKey };
    }
    case 'ssh-ed448': {
      const pk = r.string();
      if (!pk) return truncated('public key');
      if (pk.length !== 57) return err('invalid', `an Ed448 public key has 57 bytes, not ${pk.length}`);
      return { keyType: 'ssh-ed448', bits: 456, certificate, securityKey: false };
    }
    default:
      return err('unsupported_type', `unsupported key type "${type.slice(0, 80)}"`);
  }
}

/** Printable, short: a type string that came from untrusted bytes. */
function printableType(b: Buffer): string | undefined {
  if (b.length === 0 || b.length > 128) return undefined;
  for (const c of b) if (c < 0x21 || c > 0x7e) return undefined;
  return b.toString('latin1');
}

/**
 * Parse an OpenSSH public key line ("type base64 [comment]", as in ssh_host_*_key.pub). The first non-blank,
 * non-comment line is used. Never throws.
 */
export function parsePublicKey(text: string): ParsedPublicKey {
  if (typeof text !== 'string') return err('not_a_key_line', 'not text');
  const line = firstKeyLine(text);
  if (typeof line !== 'string') return line;
  const fields = line.split(/\s+/);
  const written = fields[0] ?? '';
  const b64 = fields[1];
  if (!b64) return err('not_a_key_line', 'expected "type base64 [comment]"');
  if (!/^[A-Za-z0-9@.+-]{1,128}$/.test(written)) return err('not_a_key_line', 'the first field is not a key type');
  const blob = decodeBase64(b64);
  if (!Buffer.isBuffer(blob)) return blob;
  const r = new WireReader(blob);
  const typeBuf = r.string();
  if (!typeBuf) return err('truncated', 'the key data ends before its type');
  const type = printableType(typeBuf);
  if (type === undefined) return err('invalid', 'the key data does not start with a key type');
  if (type !== written) return err('type_mismatch', `the line says ${written} but the key data is ${type}`);
  const certificate = type.endsWith(CERT_SUFFIX);
  const decoded = decodeKey(type, r, certificate);
  if ('ok' in decoded) return decoded;
  const comment = fields.slice(2).join(' ');
  return { ok: true, type, ...decoded, ...(comment ? { comment } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// /etc/ssh/moduli

export interface ModuliGroup {
  line: number;
  /** Bits of the prime as sshd uses it: the size field + 1. */
  bits: number;
  generator: string;
}

export interface ModuliProblem {
  line: number;
  reason: string;
}

export interface ModuliFile {
  groups: ModuliGroup[];
  /** Group sizes in bits (groups[].bits), the shape SshFacts.moduli carries. */
  sizes: number[];
  /** Lines sshd would skip (it logs them and goes on). */
  malformed: ModuliProblem[];
  comments: number;
}

/** Lines of a moduli file beyond this are not read (the stock file has ~420). */
export const MAX_MODULI_LINES = 100_000;

const MODULI_TYPE_SAFE = 2;
const MODULI_TESTS_COMPOSITE = 0x01;

/** Bits of a hex number without BigInt: leading zero digits skipped. */
function hexBits(hex: string): number {
  let i = 0;
  while (i < hex.length && hex[i] === '0') i++;
  if (i === hex.length) return 0;
  const top = parseInt(hex[i]!, 16);
  return (hex.length - i - 1) * 4 + (32 - Math.clz32(top));
}

const DIGITS = /^[0-9]+$/;
const HEX = /^[0-9A-Fa-f]+$/;

/**
 * Parse /etc/ssh/moduli: "time type tests tries size generator modulus" per line, # comments. Applies the
 * checks sshd's parse_prime applies (safe prime, tested and not composite, non-zero trials, the modulus really has
 * size+1 bits, generator > 1), so `sizes` are the groups sshd would actually use.
 */
export function parseModuli(text: string): ModuliFile {
  const out: ModuliFile = { groups: [], sizes: [], malformed: [], comments: 0 };
  const lines = text.split('\n', MAX_MODULI_LINES + 1);
  const cut = lines.length > MAX_MODULI_LINES;
  if (cut) lines.length = MAX_MODULI_LINES;
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      out.comments++;
      return;
    }
    const bad = (reason: string) => out.malformed.push({ line: lineNo, reason });
    const f = line.split(/\s+/);
    if (f.length !== 7) return bad(`expected 7 fields, found ${f.length}`);
    const [time, type, tests, tries, size, gen, modulus] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!DIGITS.test(time)) return bad('the time field is not a number');
    if (!DIGITS.test(type) || Number(type) !== MODULI_TYPE_SAFE)
      return bad(`type ${type} is not ${MODULI_TYPE_SAFE} (safe prime)`);
    const t = DIGITS.test(tests) ? Number(tests) : NaN;
    if (!(t <= 0x1f) || t & MODULI_TESTS_COMPOSITE || !(t & ~MODULI_TESTS_COMPOSITE))
      return bad(`invalid tests flag ${tests}`);
    if (!DIGITS.test(tries) || Number(tries) === 0 || Number(tries) > 1 << 30)
      return bad(`invalid trial count ${tries}`);
    const sz = DIGITS.test(size) ? Number(size) : NaN;
    if (!(sz > 0 && sz <= 64 * 1024)) return bad(`invalid size ${size}`);
    if (!HEX.test(gen) || hexBits(gen) <= 1) return bad(`invalid generator ${gen.slice(0, 20)}`);
    if (!HEX.test(modulus)) return bad('the modulus is not hexadecimal');
    const bits = sz + 1;
    const actual = hexBits(modulus);
    if (actual !== bits) return bad(`the modulus has ${actual} bits, the size field says ${sz} (+1 = ${bits})`);
    out.groups.push({ line: lineNo, bits, generator: gen });
    out.sizes.push(bits);
  });
  if (cut)
    out.malformed.push({
      line: MAX_MODULI_LINES + 1,
      reason: `more than ${MAX_MODULI_LINES} lines: the rest was not read`,
    });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// I/O through the host root; parsing stays above.

/** Read and parse one public key file. */
export async function readHostPublicKey(host: HostRoot, path: string): Promise<ParsedPublicKey | Failure> {
  const r = await host.readText(path, { maxBytes: MAX_SCAN });
  if (!r.ok) return r;
  return parsePublicKey(r.text);
}

/** Read and parse the moduli file (default /etc/ssh/moduli). */
export async function readModuli(host: HostRoot, path = '/etc/ssh/moduli'): Promise<ModuliFile | Failure> {
  const r = await host.readText(path);
  if (!r.ok) return r;
  return parseModuli(r.text);
}
