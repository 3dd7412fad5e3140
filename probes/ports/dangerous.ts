/**
 * Known dangerous ports on a Kubernetes node, as data: one entry is one failing check. A new port is one
 * entry; the reasons are named so an entry says why, not only what. Invariants are tested in
 * test/ports/dangerous.test.ts (unique snake_case ids, valid ports, no overlap with the default allow-list).
 */
import type { Severity } from '../../src/sdk.js';

export const REASONS = {
  UNAUTHENTICATED_ROOT:
    'whoever connects gets root on the node: the Docker Engine API without TLS has no authentication',
  NO_AUTHENTICATION: 'serves node and pod data with no authentication at all',
  CLUSTER_ADMIN_NO_AUTH:
    'the legacy insecure apiserver port skips authentication and authorization: cluster-admin for whoever connects',
  CLUSTER_SECRETS:
    'etcd holds every Secret of the cluster; off-host it must be reachable only by the apiservers and its peers, with mTLS',
  INFO_LEAK: 'discloses details of the node and its workloads to anyone who can connect',
  LEGACY_RPC:
    'an RPC port mapper, unused on a Kubernetes node, with a history of amplification and information-disclosure abuse',
} as const;
export type Reason = keyof typeof REASONS;

export interface DangerousPort {
  /** Check id, `ports.<snake_case>`. */
  check: string;
  title: string;
  service: string;
  ports: readonly number[];
  protocols: readonly ('tcp' | 'udp')[];
  /** any: a listener anywhere fails, loopback included; off_loopback: only listeners beyond loopback. */
  exposure: 'any' | 'off_loopback';
  severity: Severity;
  reason: Reason;
  /**
   * Process names (comm) that identify the service on a common port: a listener held by another, known
   * process is not this service. An unattributed listener still fails (it cannot be ruled out).
   */
  owners?: readonly string[];
  references: readonly string[];
  remediation: string;
}

export const DANGEROUS_PORTS: readonly DangerousPort[] = [
  {
    check: 'ports.docker_api_plain',
    title: 'The Docker Engine API is not served without TLS (2375/tcp)',
    service: 'Docker Engine API (plain HTTP)',
    ports: [2375],
    protocols: ['tcp'],
    exposure: 'any',
    severity: 'critical',
    reason: 'UNAUTHENTICATED_ROOT',
    references: [
      'CIS Docker Benchmark v1.6.0 2.7',
      'docker-bench-security check_2_7',
      'https://docs.docker.com/engine/security/protect-access/',
    ],
    remediation:
      'Remove "-H tcp://...:2375" from dockerd (systemd unit, /etc/docker/daemon.json "hosts"); if remote access is needed use 2376 with --tlsverify and client certificates, or SSH.',
  },
  {
    check: 'ports.kubelet_read_only',
    title: 'The kubelet read-only port is closed (10255/tcp)',
    service: 'kubelet read-only API',
    ports: [10255],
    protocols: ['tcp'],
    exposure: 'any',
    severity: 'high',
    reason: 'NO_AUTHENTICATION',
    references: [
      'CIS Kubernetes Benchmark v1.12 4.2.4',
      'https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/',
    ],
    remediation:
      'Set readOnlyPort: 0 in the kubelet configuration file (or --read-only-port=0) and restart the kubelet.',
  },
  {
    check: 'ports.insecure_apiserver',
    title: 'No legacy insecure kube-apiserver port (8080/tcp)',
    service: 'kube-apiserver insecure port',
    ports: [8080],
    protocols: ['tcp'],
    exposure: 'any',
    severity: 'critical',
    reason: 'CLUSTER_ADMIN_NO_AUTH',
    owners: ['kube-apiserver', 'hyperkube'],
    references: [
      'CIS Kubernetes Benchmark v1.20 1.2.18',
      'kube-bench cfg/cis-1.20/master.yaml 1.2.18',
      'CVE-2020-8558',
    ],
    remediation: 'Run kube-apiserver with --insecure-port=0 (removed in 1.24: upgrade), and serve only the TLS port.',
  },
  {
    check: 'ports.etcd_exposed',
    title: 'etcd client and peer ports are not open beyond loopback (2379, 2380/tcp)',
    service: 'etcd',
    ports: [2379, 2380],
    protocols: ['tcp'],
    exposure: 'off_loopback',
    severity: 'high',
    reason: 'CLUSTER_SECRETS',
    references: [
      'CIS Kubernetes Benchmark v1.12 2.1',
      'CIS Kubernetes Benchmark v1.12 2.2',
      'https://etcd.io/docs/latest/op-guide/security/',
    ],
    remediation:
      'On a worker, nothing should serve etcd. On a control-plane node, require client certificates (--client-cert-auth, --peer-client-cert-auth) and firewall 2379/2380 to the control-plane nodes; accept this finding with an exception there.',
  },
  {
    check: 'ports.cadvisor',
    title: 'No standalone cAdvisor port (4194/tcp)',
    service: 'cAdvisor web UI and API',
    ports: [4194],
    protocols: ['tcp'],
    exposure: 'any',
    severity: 'medium',
    reason: 'INFO_LEAK',
    owners: ['kubelet', 'cadvisor', 'hyperkube'],
    references: [
      'kube-hunter KHV043',
      'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.12.md',
    ],
    remediation:
      'Kubernetes 1.12 removed --cadvisor-port from the kubelet: upgrade the kubelet or drop --cadvisor-port; scrape container metrics through the kubelet /metrics/cadvisor endpoint, which needs authentication.',
  },
  {
    check: 'ports.kubelet_healthz_exposed',
    title: 'The kubelet healthz port listens on loopback only (10248/tcp)',
    service: 'kubelet healthz',
    ports: [10248],
    protocols: ['tcp'],
    exposure: 'off_loopback',
    severity: 'medium',
    reason: 'INFO_LEAK',
    references: ['https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/'],
    remediation: 'Set healthzBindAddress: 127.0.0.1 in the kubelet configuration (the default).',
  },
  {
    check: 'ports.rpcbind',
    title: 'rpcbind is not listening (111/tcp, 111/udp)',
    service: 'rpcbind / portmapper',
    ports: [111],
    protocols: ['tcp', 'udp'],
    exposure: 'any',
    severity: 'medium',
    reason: 'LEGACY_RPC',
    references: [
      'CIS Debian Linux 12 Benchmark v1.1.0 2.1.12',
      'dev-sec cis-dil-benchmark cis-dil-benchmark-2.2.7',
      'Lynis STRG-1902',
    ],
    remediation:
      'Stop and mask rpcbind.service and rpcbind.socket (systemctl mask --now rpcbind.socket rpcbind.service) unless the node mounts NFSv3.',
  },
];
