/** Facts of the tls probe: what gather() found, before any verdict. */

/** Where a certificate location comes from (discovery data in locations.ts). */
export type Distribution = 'kubeadm' | 'kubelet' | 'k3s' | 'rke2' | 'aks' | 'config';

export interface TlsOptions {
  /** A certificate expiring within this many days fails tls.expiring. */
  warnDays: number;
  /** ... and within this many days also tls.expiring_critical. */
  criticalDays: number;
  minRsaBits: number;
  minEcBits: number;
  /** Extra certificate files (absolute host paths or globs; `**` matches directories). */
  paths: string[];
  /** Extra kubeconfigs whose embedded or referenced certificates are judged. */
  kubeconfigs: string[];
  /** Host paths or globs never examined (a file that is not a certificate although it is named like one). */
  exclude: string[];
}

export interface KeyFact {
  /** node:crypto's asymmetricKeyType: rsa, rsa-pss, ec, ed25519, ed448, dsa, ... */
  type: string;
  /** RSA modulus or DSA prime length, or the EC curve's size. */
  bits?: number;
  curve?: string;
}

export interface SignatureFact {
  oid: string;
  /** Undefined when the OID is not in algorithms.ts. */
  name?: string;
  /** The digest, e.g. sha256; 'intrinsic' for EdDSA. */
  hash?: string;
}

/** What one certificate says of itself (certificate.ts reads it from DER). */
export interface ParsedCertificate {
  subject: string;
  issuer: string;
  serial: string;
  notBeforeMs: number;
  notAfterMs: number;
  key: KeyFact;
  signature: SignatureFact;
  isCA: boolean;
  selfSigned: boolean;
  subjectAltName?: string;
  fingerprint256: string;
}

/** A certificate found on the host: where it is, and what it says. */
export interface CertificateFact extends ParsedCertificate {
  /** Unique name, the metric's `path` label: the host path, plus `#fragment` for embedded or bundled certificates. */
  label: string;
  /** Host path of the file holding it, as discovered (a -current.pem link, not its target). */
  file: string;
  /** The file after resolving links. */
  realPath: string;
  line?: number;
  /** Kubeconfig field (client-certificate-data) and/or position in a bundle ("2"). */
  fragment?: string;
  distribution: Distribution;
}

export type ProblemCode =
  | 'unreadable'
  | 'too_large'
  | 'symlink_loop'
  | 'not_a_file'
  | 'no_certificate'
  | 'bad_pem'
  | 'bad_certificate'
  | 'bad_kubeconfig'
  | 'too_many';

/** A source that could not be read or parsed: every per-certificate check is `unknown` unless something fails. */
export interface SourceProblem {
  file: string;
  fragment?: string;
  line?: number;
  code: ProblemCode;
  reason: string;
}

/** How the kubelet's kubeconfig names its client certificate. */
export type KubeletClientRef =
  | { kind: 'embedded'; line?: number; /** label of the certificate in facts.certificates */ label?: string }
  | { kind: 'file'; line?: number; path: string; realPath?: string; failure?: string }
  | { kind: 'none' };

export interface KubeletFacts {
  /** The kubelet kubeconfig found (first of KUBELET.kubeconfigs), if any. */
  kubeconfig?: string;
  /** Why it could not be read or parsed. */
  problem?: string;
  ref?: KubeletClientRef;
  /** /var/lib/kubelet/pki/kubelet-client-current.pem as found. */
  rotated: { path: string; present: boolean; realPath?: string; label?: string; problem?: string };
}

export interface TlsFacts {
  now: number;
  options: TlsOptions;
  certificates: CertificateFact[];
  problems: SourceProblem[];
  /** Files examined (certificate files and kubeconfigs), for messages. */
  filesExamined: number;
  kubelet: KubeletFacts;
}
