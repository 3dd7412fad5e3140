/**
 * What the scanned host is for: a Kubernetes node, or a plain server. Some expectations differ (CIS wants IPv4
 * forwarding off on a host that is not a router; a node must route pod traffic, and the kubelet's
 * protectKernelDefaults values mean nothing without a kubelet), so probes read the role from the scan context.
 * Detected from a running kubelet (or k3s/RKE2, which embed it) or the kubelet's configuration on disk;
 * `scan.hostRole: node|server` in the configuration overrides the detection.
 */
import type { HostRoot } from '../host/root.js';

export const HOST_ROLES = ['auto', 'node', 'server'] as const;
export type HostRoleSetting = (typeof HOST_ROLES)[number];

export interface HostRole {
  role: 'node' | 'server';
  /** Why: "a kubelet process runs (pid 812)", "set by scan.hostRole", ... */
  why: string;
}

/** Process names (comm) of a kubelet, alone or embedded (k3s server/agent, RKE2). */
const KUBELET_COMMS = new Set(['kubelet', 'k3s-server', 'k3s-agent', 'k3s', 'rke2']);
/** Files a kubelet's installation leaves, by distribution (kubeadm, k3s, RKE2, managed images). */
const KUBELET_FILES = [
  '/var/lib/kubelet/config.yaml',
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/kubelet/kubelet-config.json',
  '/etc/rancher/k3s/k3s.yaml',
  '/var/lib/rancher/k3s/agent/kubelet.kubeconfig',
  '/var/lib/rancher/rke2/agent/kubelet.kubeconfig',
  '/etc/default/kubelet',
];

export async function detectHostRole(host: HostRoot, setting: HostRoleSetting = 'auto'): Promise<HostRole> {
  if (setting !== 'auto') return { role: setting, why: `set by scan.hostRole: ${setting}` };
  const kubelet = (await host.processes()).find((p) => KUBELET_COMMS.has(p.comm));
  if (kubelet) return { role: 'node', why: `a kubelet runs on it (${kubelet.comm}, pid ${kubelet.pid})` };
  for (const f of KUBELET_FILES)
    if (await host.exists(f)) return { role: 'node', why: `${f} exists (a kubelet is installed)` };
  return { role: 'server', why: 'no kubelet runs or is installed here' };
}
