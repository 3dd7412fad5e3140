/**
 * The tls check table. Per-certificate checks judge every certificate found and aggregate:
 * - fail when any certificate fails (the message lists them; each is one evidence entry with path and subject);
 * - otherwise unknown when a source could not be read or parsed (garbage PEM, truncated, symlink loop, too large,
 *   a kubeconfig that is not YAML) or a certificate cannot be judged (unknown algorithm): the reason is given,
 *   and a certificate that fails is never hidden by another that is unreadable;
 * - otherwise pass.
 *
 * Expiry has two checks with nested windows rather than one whose message varies: the severity (and so
 * routing and `--fail-on`) is a property of the check, so the critical window needs its own id. A certificate
 * 3 days from expiry fails both, as tiered alerts do; one moving from 8 to 6 days adds the critical failure
 * without resolving the warning. Expired certificates fail tls.expired only.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../src/sdk.js';
import type { CertificateFact, TlsFacts } from './types.js';
import { WEAK_DIGEST } from './algorithms.js';
import type { Digest } from './algorithms.js';

const DAY = 86_400_000;
const LIST_MAX = 5;
const EVIDENCE_MAX = 100;

type Verdict = { status: 'pass' | 'fail' | 'unknown'; text: string };

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const name = (c: CertificateFact) => `${c.label} (${c.subject || 'empty subject'})`;

function days(ms: number): string {
  const d = Math.floor(Math.abs(ms) / DAY);
  if (d >= 1) return `${d} day${d === 1 ? '' : 's'}`;
  const h = Math.floor(Math.abs(ms) / 3_600_000);
  return `${h} hour${h === 1 ? '' : 's'}`;
}

export function certEvidence(c: CertificateFact, text: string): Evidence {
  return {
    file: c.file,
    ...(c.line !== undefined ? { line: c.line } : {}),
    text: `${c.fragment !== undefined ? `#${c.fragment}: ` : ''}${c.subject}: ${text}`,
  };
}

function list(items: readonly string[]): string {
  const head = items.slice(0, LIST_MAX).join('; ');
  return items.length > LIST_MAX ? `${head}; and ${items.length - LIST_MAX} more` : head;
}

function problemsNote(facts: TlsFacts): string {
  const n = facts.problems.length;
  return n === 0
    ? ''
    : ` (also, ${n} source${n === 1 ? '' : 's'} could not be read: ${list(facts.problems.map((p) => `${p.file}${p.fragment ? '#' + p.fragment : ''}: ${p.reason}`))})`;
}

/** Judge every certificate with `judge` and aggregate as the header says. */
function perCertificate(
  facts: TlsFacts,
  judge: (c: CertificateFact) => Verdict,
  what: { fail: string; pass: string; none?: string },
): Outcome {
  if (facts.certificates.length === 0 && facts.problems.length === 0) {
    return skip(
      `no certificates found in the ${facts.filesExamined} file${facts.filesExamined === 1 ? '' : 's'} examined`,
    );
  }
  const judged = facts.certificates.map((c) => ({ c, v: judge(c) }));
  const fails = judged.filter((j) => j.v.status === 'fail');
  const unknowns = judged.filter((j) => j.v.status === 'unknown');
  const total = facts.certificates.length;
  if (fails.length > 0) {
    return fail(
      `${fails.length} of ${total} certificate${total === 1 ? '' : 's'} ${what.fail}: ${list(fails.map((j) => `${name(j.c)} ${j.v.text}`))}${problemsNote(facts)}`,
      fails.slice(0, EVIDENCE_MAX).map((j) => certEvidence(j.c, j.v.text)),
    );
  }
  if (unknowns.length > 0 || facts.problems.length > 0) {
    const reasons = [
      ...facts.problems.map((p) => `${p.file}${p.fragment ? '#' + p.fragment : ''}: ${p.reason}`),
      ...unknowns.map((j) => `${name(j.c)}: ${j.v.text}`),
    ];
    const evidence: Evidence[] = [
      ...facts.problems.map((p) => ({
        file: p.file,
        ...(p.line !== undefined ? { line: p.line } : {}),
        text: `${p.fragment ? '#' + p.fragment + ': ' : ''}${p.reason}`,
      })),
      ...unknowns.map((j) => certEvidence(j.c, j.v.text)),
    ];
    const judgedOk = total - unknowns.length;
    return unknown(
      `cannot judge every certificate: ${list(reasons)}${judgedOk > 0 ? `; the other ${judgedOk} ${what.pass}` : ''}`,
      evidence.slice(0, EVIDENCE_MAX),
    );
  }
  const counted = `${total} certificate${total === 1 ? '' : 's'} in ${facts.filesExamined} file${facts.filesExamined === 1 ? '' : 's'}`;
  return pass(what.none ? `none of the ${counted} ${what.none}` : `all ${counted} ${what.pass}`);
}

function earliest(facts: TlsFacts): string {
  const c = [...facts.certificates].sort((a, b) => a.notAfterMs - b.notAfterMs)[0];
  return c ? `; the first to expire is ${name(c)} on ${iso(c.notAfterMs)}` : '';
}

const RENEW =
  'Renew the certificate before it expires. kubeadm control plane: `kubeadm certs check-expiration`, then `kubeadm certs renew all` and restart the ' +
  'control-plane static pods (kube-apiserver, kube-controller-manager, kube-scheduler, etcd), and copy the new admin.conf to users. Kubelet client ' +
  'certificates renew themselves when rotation works (see tls.kubelet_client_rotation); a self-signed kubelet.crt is regenerated when deleted and ' +
  'the kubelet restarted. k3s/RKE2 renew certificates within 90 days of expiry when the service restarts (`k3s certificate rotate`). For other ' +
  'files, renew with their issuer.';
const EXPIRY_REFS = [
  'https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/',
  'https://kubernetes.io/docs/tasks/tls/certificate-rotation/',
  'https://docs.k3s.io/cli/certificate',
];

function expiryWindow(facts: TlsFacts, c: CertificateFact, windowDays: number): Verdict {
  const left = c.notAfterMs - facts.now;
  if (left < 0) return { status: 'pass', text: 'has already expired (tls.expired)' };
  return left <= windowDays * DAY
    ? { status: 'fail', text: `expires in ${days(left)}, on ${iso(c.notAfterMs)}` }
    : { status: 'pass', text: `valid until ${iso(c.notAfterMs)}` };
}

/** tls.expiring and tls.expiring_critical: the same check over the window `days` picks from the options. */
function expiryCheck(
  id: string,
  title: string,
  severity: Check<TlsFacts>['severity'],
  days: (o: TlsFacts['options']) => number,
): Check<TlsFacts> {
  return {
    id,
    title,
    severity,
    references: EXPIRY_REFS,
    remediation: RENEW,
    evaluate: (facts) => {
      const n = days(facts.options);
      const o = perCertificate(facts, (c) => expiryWindow(facts, c, n), {
        fail: `expire within ${n} days`,
        pass: `are valid for more than ${n} days`,
        none: `expires within ${n} days`,
      });
      return o.status === 'pass' ? { ...o, message: o.message + earliest(facts) } : o;
    },
  };
}

function isWeakDigest(hash: string | undefined): hash is Digest {
  return hash !== undefined && hash in WEAK_DIGEST;
}

export const certificateChecks: readonly Check<TlsFacts>[] = [
  {
    id: 'tls.expired',
    title: 'No node certificate has expired',
    severity: 'critical',
    references: EXPIRY_REFS,
    remediation: RENEW,
    evaluate: (facts) =>
      perCertificate(
        facts,
        (c) =>
          c.notAfterMs < facts.now
            ? { status: 'fail', text: `expired ${days(facts.now - c.notAfterMs)} ago, on ${iso(c.notAfterMs)}` }
            : { status: 'pass', text: '' },
        { fail: 'have expired', pass: 'are unexpired', none: 'has expired' },
      ),
  },
  expiryCheck(
    'tls.expiring_critical',
    'No node certificate expires within the critical window (criticalDays, default 7)',
    'high',
    (o) => o.criticalDays,
  ),
  expiryCheck(
    'tls.expiring',
    'No node certificate expires within the warning window (warnDays, default 30)',
    'medium',
    (o) => o.warnDays,
  ),
  {
    id: 'tls.not_yet_valid',
    title: 'No node certificate is used before its validity starts',
    severity: 'high',
    references: ['RFC 5280 §4.1.2.5'],
    remediation:
      'A certificate whose notBefore is in the future is rejected ("x509: certificate has expired or is not yet valid"). Check the node\'s clock ' +
      '(chrony/systemd-timesyncd in sync, `timedatectl`), and the clock of the machine that issued the certificate; reissue it if its dates are wrong.',
    evaluate: (facts) =>
      perCertificate(
        facts,
        (c) =>
          c.notBeforeMs > facts.now
            ? {
                status: 'fail',
                text: `is valid only from ${iso(c.notBeforeMs)}, in ${days(c.notBeforeMs - facts.now)}`,
              }
            : { status: 'pass', text: '' },
        { fail: 'are not valid yet', pass: 'have started their validity', none: 'is used before its validity starts' },
      ),
  },
  {
    id: 'tls.weak_key',
    title: 'Node certificates have strong keys (RSA at least minRsaBits, EC at least minEcBits)',
    severity: 'high',
    references: ['https://doi.org/10.6028/NIST.SP.800-131Ar2', 'NIST SP 800-57 Part 1 Rev. 5 Table 2', 'FIPS 186-5'],
    remediation:
      'Reissue the certificate with a 2048-bit (or larger) RSA key or an EC P-256/P-384 key. kubeadm: set `encryptionAlgorithm` (RSA-2048, RSA-3072, ' +
      'RSA-4096, ECDSA-P256) in ClusterConfiguration (v1beta4) and renew; for a CA, this means a CA rotation ' +
      '(https://kubernetes.io/docs/tasks/tls/manual-rotation-of-ca-certificates/).',
    evaluate: (facts) =>
      perCertificate(
        facts,
        (c): Verdict => {
          const { type, bits, curve } = c.key;
          if (type === 'rsa' || type === 'rsa-pss') {
            if (bits === undefined) return { status: 'unknown', text: 'RSA key of unknown size' };
            return bits < facts.options.minRsaBits
              ? { status: 'fail', text: `has a ${bits}-bit RSA key (minimum ${facts.options.minRsaBits})` }
              : { status: 'pass', text: '' };
          }
          if (type === 'ec') {
            if (bits === undefined)
              return {
                status: 'unknown',
                text: `EC key on curve ${curve ?? '(unnamed)'}, whose size hostward does not know`,
              };
            return bits < facts.options.minEcBits
              ? { status: 'fail', text: `has a ${bits}-bit EC key (${curve}; minimum ${facts.options.minEcBits})` }
              : { status: 'pass', text: '' };
          }
          if (type === 'dsa')
            return {
              status: 'fail',
              text: `has a DSA key${bits ? ` (${bits} bits)` : ''}; DSA is no longer approved for signatures`,
            };
          if (type === 'ed25519' || type === 'ed448') return { status: 'pass', text: '' };
          return { status: 'unknown', text: `has a key of type ${type}, which hostward cannot rate` };
        },
        { fail: 'have weak keys', pass: 'have strong keys' },
      ),
  },
  {
    id: 'tls.weak_signature',
    title: 'Node certificates are not signed with SHA-1 or MD5',
    severity: 'high',
    references: ['https://doi.org/10.6028/NIST.SP.800-131Ar2', 'RFC 6151', 'https://sha-mbles.github.io/'],
    remediation:
      'Reissue the certificate signed with SHA-256 or stronger (kubeadm and the kubelet do so by default; an old or hand-made CA may not). ' +
      'Self-signed CA certificates are exempt: their own signature is never verified, only trusted.',
    evaluate: (facts) =>
      perCertificate(
        facts,
        (c): Verdict => {
          const s = c.signature;
          if (s.name === undefined)
            return { status: 'unknown', text: `is signed with an algorithm hostward does not know (OID ${s.oid})` };
          if (s.hash === undefined)
            return { status: 'unknown', text: `is signed with ${s.name}, whose digest hostward does not know` };
          if (!isWeakDigest(s.hash)) return { status: 'pass', text: '' };
          // A trust anchor's self-signature is never relied on; what it signs is judged on its own.
          if (c.selfSigned && c.isCA) return { status: 'pass', text: `self-signed CA with ${s.name} (exempt)` };
          return { status: 'fail', text: `is signed with ${s.name}: ${WEAK_DIGEST[s.hash]}` };
        },
        { fail: 'have weak signatures', pass: 'are signed with a sound digest' },
      ),
  },
];

function validAt(c: CertificateFact | undefined, now: number): c is CertificateFact {
  return c !== undefined && c.notBeforeMs <= now && now <= c.notAfterMs;
}

function state(c: CertificateFact, now: number): string {
  return c.notAfterMs < now ? `expired on ${iso(c.notAfterMs)}` : `expires on ${iso(c.notAfterMs)}`;
}

export const kubeletClientRotation: Check<TlsFacts> = {
  id: 'tls.kubelet_client_rotation',
  title: "The kubelet's kubeconfig uses its rotated client certificate (kubelet-client-current.pem)",
  severity: 'high',
  references: [
    'CIS Kubernetes Benchmark v1.12 4.2.10',
    'https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/troubleshooting-kubeadm/#kubelet-client-cert',
    'https://github.com/kubernetes/kubernetes/issues/71825',
    'https://github.com/kubernetes/kubeadm/issues/2054',
  ],
  remediation:
    'In the kubelet kubeconfig (/etc/kubernetes/kubelet.conf), replace `client-certificate-data` and `client-key-data` with ' +
    '`client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem` and `client-key: /var/lib/kubelet/pki/kubelet-client-current.pem`, ' +
    'then restart the kubelet. If kubelet-client-current.pem is itself expired, regenerate kubelet.conf with `kubeadm kubeconfig user ' +
    '--org system:nodes --client-name system:node:$NODE` on a control-plane node (or re-join the node). Keep `rotateCertificates: true`.',
  evaluate: (facts) => {
    const k = facts.kubelet;
    const byLabel = (l: string | undefined) =>
      l === undefined ? undefined : facts.certificates.find((c) => c.label === l);
    const rotated = byLabel(k.rotated.label);
    const rotatedNote = !k.rotated.present
      ? ` and there is no ${k.rotated.path}`
      : rotated
        ? ` while ${k.rotated.path}${rotated.realPath !== k.rotated.path ? ` (-> ${rotated.realPath})` : ''} ${validAt(rotated, facts.now) ? 'is valid until' : 'expires'} ${iso(rotated.notAfterMs)}`
        : ` and ${k.rotated.path} cannot be read (${k.rotated.problem ?? 'no certificate'})`;
    if (!k.kubeconfig)
      return skip(
        `no kubelet kubeconfig on this host (looked for /etc/kubernetes/kubelet.conf, /var/lib/kubelet/kubeconfig)`,
      );
    const at: Evidence = { file: k.kubeconfig };
    if (k.problem) return unknown(`${k.kubeconfig}: ${k.problem}`, [at]);
    const ref = k.ref ?? { kind: 'none' as const };
    if (ref.kind === 'none')
      return skip(
        `${k.kubeconfig} has no client certificate (the kubelet authenticates with a token or an exec plugin)`,
      );
    if (ref.line !== undefined) at.line = ref.line;
    if (ref.kind === 'embedded') {
      const cert = byLabel(ref.label);
      at.text = 'client-certificate-data: (embedded)';
      const what = cert
        ? `its client certificate (${cert.subject}, ${state(cert, facts.now)})`
        : 'a client certificate that cannot be parsed';
      if (cert && rotated && cert.fingerprint256 === rotated.fingerprint256) {
        return fail(
          `${k.kubeconfig} embeds a copy of the current rotated certificate: the next rotation will not reach it, and it ${state(cert, facts.now)}`,
          [at],
        );
      }
      const stale = rotated && validAt(rotated, facts.now) ? 'a stale copy of ' : '';
      return fail(`${k.kubeconfig} embeds ${stale}${what}, which no rotation renews,${rotatedNote}`, [at]);
    }
    at.text = `client-certificate: ${ref.path}`;
    if (ref.failure)
      return fail(
        `${k.kubeconfig} names ${ref.path} as the kubelet's client certificate, which cannot be used: ${ref.failure}`,
        [at],
      );
    if (ref.path === k.rotated.path) {
      if (!rotated)
        return unknown(
          `${k.kubeconfig} names ${ref.path}, the rotated certificate, but it cannot be read: ${k.rotated.problem ?? 'no certificate in it'}`,
          [at],
        );
      return pass(
        `${k.kubeconfig} names ${ref.path}, which the kubelet rotates (now -> ${rotated.realPath}, ${state(rotated, facts.now)})`,
        [at],
      );
    }
    const named = facts.certificates.find((c) => c.realPath === ref.realPath);
    if (
      rotated &&
      validAt(rotated, facts.now) &&
      (ref.realPath === rotated.realPath || named?.fingerprint256 !== rotated.fingerprint256)
    ) {
      const which =
        ref.realPath === rotated.realPath
          ? 'the file kubelet-client-current.pem points to today, which the next rotation replaces'
          : named
            ? `a certificate (${named.subject}) that ${state(named, facts.now)}`
            : 'a file that holds no readable certificate';
      return fail(`${k.kubeconfig} names ${ref.path}: ${which},${rotatedNote}`, [at]);
    }
    if (!named) return unknown(`${k.kubeconfig} names ${ref.path}, which holds no readable certificate`, [at]);
    return pass(
      `${k.kubeconfig} names ${ref.path} (${state(named, facts.now)}), and there is no newer rotated certificate`,
      [at],
    );
  },
};

export const tlsChecks: readonly Check<TlsFacts>[] = [...certificateChecks, kubeletClientRotation];
