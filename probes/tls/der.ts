/**
 * A tiny, bounded DER reader: just enough to take the signatureAlgorithm out of an X.509 Certificate, which
 * node:crypto's X509Certificate does not expose. Every read is checked against the enclosing element's end, so
 * hostile input yields a typed failure, never an exception or an out-of-range read.
 */

export interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

export type DerResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Read one TLV at `pos`, which must end by `limit`. Only low tag numbers and definite lengths (DER). */
export function readTlv(buf: Uint8Array, pos: number, limit = buf.length): DerResult<Tlv> {
  if (limit > buf.length) limit = buf.length;
  if (pos + 2 > limit) return fail(`truncated at offset ${pos}`);
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) return fail(`high tag number at offset ${pos}`);
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) return fail(`indefinite length at offset ${pos}`);
    if (n > 4) return fail(`length of ${n} bytes at offset ${pos}`);
    if (p + n > limit) return fail(`truncated length at offset ${pos}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) return fail(`element at offset ${pos} runs past its end (${len} bytes)`);
  return { ok: true, value: { tag, start: p, end: p + len } };
}

/** Decode the content of an OBJECT IDENTIFIER to dotted form. */
export function decodeOid(bytes: Uint8Array): DerResult<string> {
  if (bytes.length === 0 || bytes.length > 64) return fail(`OID of ${bytes.length} bytes`);
  const arcs: number[] = [];
  let v = 0;
  let n = 0;
  for (const b of bytes) {
    if (n === 0 && b === 0x80) return fail('OID arc with a leading 0x80');
    v = v * 128 + (b & 0x7f);
    if (++n > 7) return fail('OID arc too long'); // 7 x 7 bits stays within Number's exact range
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
      n = 0;
    }
  }
  if (n !== 0) return fail('OID ends inside an arc');
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return { ok: true, value: [...head, ...arcs].join('.') };
}

export interface AlgorithmIdentifier {
  oid: string;
  /** The parameters element, when present. */
  params?: Tlv;
}

function readAlgorithmIdentifier(
  der: Uint8Array,
  pos: number,
  limit: number,
): DerResult<AlgorithmIdentifier & { end: number }> {
  const seq = readTlv(der, pos, limit);
  if (!seq.ok) return seq;
  if (seq.value.tag !== 0x30)
    return fail(`AlgorithmIdentifier is not a SEQUENCE (tag 0x${seq.value.tag.toString(16)})`);
  const oidTlv = readTlv(der, seq.value.start, seq.value.end);
  if (!oidTlv.ok) return oidTlv;
  if (oidTlv.value.tag !== 0x06) return fail('AlgorithmIdentifier does not start with an OID');
  const oid = decodeOid(der.subarray(oidTlv.value.start, oidTlv.value.end));
  if (!oid.ok) return oid;
  const out: AlgorithmIdentifier & { end: number } = { oid: oid.value, end: seq.value.end };
  if (oidTlv.value.end < seq.value.end) {
    const params = readTlv(der, oidTlv.value.end, seq.value.end);
    if (!params.ok) return params;
    out.params = params.value;
  }
  return { ok: true, value: out };
}

/** The outer extent of the first element (a DER certificate followed by OpenSSL "trusted" aux data, say). */
export function firstElementLength(der: Uint8Array): DerResult<number> {
  const t = readTlv(der, 0);
  return t.ok ? { ok: true, value: t.value.end } : t;
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING
 * }
 * Returns the outer signatureAlgorithm, which is what the issuer actually signed with.
 */
export function certificateSignatureAlgorithm(der: Uint8Array): DerResult<AlgorithmIdentifier> {
  const cert = readTlv(der, 0);
  if (!cert.ok) return cert;
  if (cert.value.tag !== 0x30) return fail('not a SEQUENCE');
  const tbs = readTlv(der, cert.value.start, cert.value.end);
  if (!tbs.ok) return tbs;
  if (tbs.value.tag !== 0x30) return fail('tbsCertificate is not a SEQUENCE');
  const alg = readAlgorithmIdentifier(der, tbs.value.end, cert.value.end);
  if (!alg.ok) return alg;
  const { end: _end, ...value } = alg.value;
  return { ok: true, value };
}

/**
 * RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, ... } (RFC 4055).
 * Returns the hash OID; an absent field means SHA-1, which is why PSS needs this at all.
 */
export const SHA1_OID = '1.3.14.3.2.26';
export function pssHashOid(der: Uint8Array, params: Tlv | undefined): DerResult<string> {
  if (!params) return { ok: true, value: SHA1_OID };
  if (params.tag !== 0x30) return fail('RSASSA-PSS parameters are not a SEQUENCE');
  if (params.start === params.end) return { ok: true, value: SHA1_OID };
  const first = readTlv(der, params.start, params.end);
  if (!first.ok) return first;
  if (first.value.tag !== 0xa0) return { ok: true, value: SHA1_OID };
  const alg = readAlgorithmIdentifier(der, first.value.start, first.value.end);
  return alg.ok ? { ok: true, value: alg.value.oid } : alg;
}
