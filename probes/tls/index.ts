/**
 * The tls probe: expiry and strength of node certificates (kubeadm PKI, kubeconfigs, kubelet client and
 * serving certificates, k3s/RKE2, AKS) and whether the kubelet's kubeconfig follows certificate rotation.
 * locations.ts says where to look, gather.ts reads and parses, checks.ts decides.
 */
import { defineProbe, skip } from '../../src/sdk.js';
import type { Measurement } from '../../src/sdk.js';
import type { TlsFacts } from './types.js';
import { gatherTls } from './gather.js';
import { tlsChecks } from './checks.js';
import { TLS_OPTIONS } from './option-spec.js';
import { LOCATIONS } from './locations.js';

export const EXPIRY_METRIC = 'hostward_certificate_expiry_timestamp_seconds';

/** One series per certificate, labelled by its unique host path (with #fragment for embedded or bundled ones). */
export function measureTls(facts: TlsFacts): Measurement[] {
  return facts.certificates.map((c) => ({
    metric: EXPIRY_METRIC,
    labels: { path: c.label },
    value: Math.floor(c.notAfterMs / 1000),
  }));
}

export const tlsProbe = defineProbe({
  name: 'tls',
  description:
    'Node certificates (kubeadm PKI, kubeconfig-embedded, kubelet client and serving, k3s/RKE2, AKS): expired, expiring, not yet valid, weak keys, ' +
    'SHA-1/MD5 signatures, and whether kubelet.conf follows the rotated kubelet-client-current.pem.',
  checks: tlsChecks,
  gather: gatherTls,
  precondition: (facts) =>
    facts.certificates.length === 0 && facts.problems.length === 0 && facts.kubelet.kubeconfig === undefined
      ? skip(
          `no node certificates found (not a Kubernetes node?); looked in ${LOCATIONS.map((l) => l.pattern).join(', ')}${facts.options.paths.length ? ', ' + facts.options.paths.join(', ') : ''}`,
        )
      : undefined,
  measure: measureTls,
  metrics: { [EXPIRY_METRIC]: { help: 'notAfter of each node certificate, as Unix time.', labelNames: ['path'] } },
  // kubeadm's PKI and kubeconfigs (pki/etcd is two levels down).
  watch: [{ path: '/etc/kubernetes', depth: 2 }],
  options: TLS_OPTIONS,
});
