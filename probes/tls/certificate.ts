/**
 * Certificate facts from DER, with node:crypto's X509Certificate (names, dates, key, CA flag, SAN) and the
 * DER reader for the signature algorithm, which X509Certificate does not expose. Pure: no I/O, no verdicts.
 */
import { X509Certificate } from 'node:crypto';
import type { KeyFact, ParsedCertificate, SignatureFact } from './types.js';
import { certificateSignatureAlgorithm, firstElementLength, pssHashOid } from './der.js';
import { CURVE_BITS, DIGEST_OIDS, RSASSA_PSS_OID, SIGNATURE_ALGORITHMS } from './algorithms.js';

export type CertificateResult = ({ ok: true } & ParsedCertificate) | { ok: false; reason: string };

/** "C=US\nO=system:masters\nCN=kubernetes-admin" -> "C=US, O=system:masters, CN=kubernetes-admin". */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

export function signatureFact(der: Uint8Array): SignatureFact | { problem: string } {
  const alg = certificateSignatureAlgorithm(der);
  if (!alg.ok) return { problem: `cannot read the signature algorithm: ${alg.reason}` };
  const known = SIGNATURE_ALGORITHMS[alg.value.oid];
  if (!known) return { oid: alg.value.oid };
  if (alg.value.oid !== RSASSA_PSS_OID)
    return known.hash
      ? { oid: alg.value.oid, name: known.name, hash: known.hash }
      : { oid: alg.value.oid, name: known.name };
  const h = pssHashOid(der, alg.value.params);
  if (!h.ok) return { problem: `cannot read the RSASSA-PSS parameters: ${h.reason}` };
  const hash = DIGEST_OIDS[h.value];
  return hash
    ? { oid: alg.value.oid, name: `RSASSA-PSS with ${hash}`, hash }
    : { oid: alg.value.oid, name: `RSASSA-PSS with digest ${h.value}` };
}

function keyFact(x: X509Certificate): KeyFact {
  const k = x.publicKey;
  const type = k.asymmetricKeyType ?? 'unknown';
  const d = k.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss' || type === 'dsa')
    return d.modulusLength !== undefined ? { type, bits: d.modulusLength } : { type };
  if (type === 'ec') {
    const curve = d.namedCurve;
    const bits = curve ? CURVE_BITS[curve] : undefined;
    return { type, ...(curve ? { curve } : {}), ...(bits !== undefined ? { bits } : {}) };
  }
  if (type === 'ed25519') return { type, bits: 256 };
  if (type === 'ed448') return { type, bits: 456 };
  return { type };
}

/** Parse one DER certificate. Anything X509Certificate or the DER reader rejects is a reason, not a throw. */
export function parseCertificate(input: Uint8Array): CertificateResult {
  // OpenSSL's TRUSTED CERTIFICATE appends aux data after the certificate: judge the certificate alone.
  const len = firstElementLength(input);
  if (!len.ok) return { ok: false, reason: `not DER: ${len.reason}` };
  const der = Buffer.from(input.subarray(0, len.value));
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch (e) {
    return { ok: false, reason: `not an X.509 certificate (${e instanceof Error ? e.message : String(e)})` };
  }
  const sig = signatureFact(der);
  if ('problem' in sig) return { ok: false, reason: sig.problem };
  const notBeforeMs = Date.parse(x.validFrom);
  const notAfterMs = Date.parse(x.validTo);
  if (!Number.isFinite(notBeforeMs) || !Number.isFinite(notAfterMs))
    return { ok: false, reason: `unreadable validity dates (${x.validFrom} - ${x.validTo})` };
  let key: KeyFact;
  try {
    key = keyFact(x);
  } catch (e) {
    key = { type: `unsupported (${e instanceof Error ? e.message : String(e)})` };
  }
  const out: ParsedCertificate & { ok: true } = {
    ok: true,
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    serial: x.serialNumber,
    notBeforeMs,
    notAfterMs,
    key,
    signature: sig,
    isCA: x.ca,
    selfSigned: x.subject === x.issuer && x.checkIssued(x),
    fingerprint256: x.fingerprint256,
  };
  if (x.subjectAltName) out.subjectAltName = x.subjectAltName;
  return out;
}
