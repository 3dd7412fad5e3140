/**
 * Where node certificates live, per distribution, as data (like kube-bench's per-distribution file lists):
 * finding a file is kept apart from judging it. `**` in a pattern matches any number of directories.
 *
 * Only the kubelet's *current* files are listed: the kubelet leaves every rotated kubelet-client-<time>.pem
 * behind in /var/lib/kubelet/pki, and judging those would report long-replaced certificates as expired.
 */
import type { Distribution } from './types.js';

export interface Location {
  distribution: Distribution;
  /** A certificate file (PEM, bundle, cert+key, or DER), or a kubeconfig with embedded or referenced ones. */
  kind: 'certificate' | 'kubeconfig';
  pattern: string;
}

export const LOCATIONS: readonly Location[] = [
  { distribution: 'kubeadm', kind: 'certificate', pattern: '/etc/kubernetes/pki/**/*.crt' },
  { distribution: 'kubeadm', kind: 'kubeconfig', pattern: '/etc/kubernetes/*.conf' },
  { distribution: 'kubelet', kind: 'certificate', pattern: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
  { distribution: 'kubelet', kind: 'certificate', pattern: '/var/lib/kubelet/pki/kubelet-server-current.pem' },
  { distribution: 'kubelet', kind: 'certificate', pattern: '/var/lib/kubelet/pki/kubelet.crt' },
  // GKE and EKS keep the kubelet's kubeconfig here.
  { distribution: 'kubelet', kind: 'kubeconfig', pattern: '/var/lib/kubelet/kubeconfig' },
  { distribution: 'k3s', kind: 'certificate', pattern: '/var/lib/rancher/k3s/server/tls/**/*.crt' },
  { distribution: 'k3s', kind: 'certificate', pattern: '/var/lib/rancher/k3s/agent/*.crt' },
  { distribution: 'k3s', kind: 'kubeconfig', pattern: '/var/lib/rancher/k3s/agent/*.kubeconfig' },
  { distribution: 'k3s', kind: 'kubeconfig', pattern: '/etc/rancher/k3s/k3s.yaml' },
  { distribution: 'rke2', kind: 'certificate', pattern: '/var/lib/rancher/rke2/server/tls/**/*.crt' },
  { distribution: 'rke2', kind: 'certificate', pattern: '/var/lib/rancher/rke2/agent/*.crt' },
  { distribution: 'rke2', kind: 'kubeconfig', pattern: '/var/lib/rancher/rke2/agent/*.kubeconfig' },
  { distribution: 'rke2', kind: 'kubeconfig', pattern: '/etc/rancher/rke2/rke2.yaml' },
  { distribution: 'aks', kind: 'certificate', pattern: '/etc/kubernetes/certs/*.crt' },
];

/** The kubelet's client identity: its kubeconfig (first that exists) and the file the kubelet rotates. */
export const KUBELET = {
  kubeconfigs: ['/etc/kubernetes/kubelet.conf', '/var/lib/kubelet/kubeconfig'],
  rotatedClient: '/var/lib/kubelet/pki/kubelet-client-current.pem',
} as const;

/** Bounds of discovery: a hostile or huge tree costs a bounded amount of work. */
export const LIMITS = {
  /** Per certificate file (CA bundles are a few hundred KB). */
  certificateBytes: 1024 * 1024,
  kubeconfigBytes: 4 * 1024 * 1024,
  /** Directories below a `**`. */
  walkDepth: 8,
  walkDirectories: 2000,
  files: 2000,
} as const;
