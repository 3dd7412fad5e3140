/**
 * The kubelet probe: CIS Kubernetes Benchmark 1.12 section 4 (worker node) over the kubelet's effective
 * configuration (effective.ts: flags of the running kubelet, --config, --config-dir drop-ins, distribution
 * paths, defaults) and the owner and mode of its files; kube-proxy's metrics address and kubeconfig.
 * No kubelet on the host: every check is skipped.
 */
import { defineProbe, skip } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import { kubeletChecks } from './checks.js';
import { resolveKubelet, unitFiles } from '../../src/sdk.js';
import { KUBELET_OPTIONS } from './option-spec.js';
import { gatherProxy } from './proxy.js';
import type { FileFact, KubeletEffective, KubeletFacts, KubeletOptions } from './types.js';

export type {
  KubeletFacts,
  KubeletEffective,
  KubeletOptions,
  Setting,
  SettingSource,
  Distribution,
  Flag,
  Leaf,
} from './types.js';
export { resolveKubelet, describeOrigin, parseKubeletConfig, parseKubeletFlags as parseFlags } from '../../src/sdk.js';
export { STRONG_CIPHER_SUITES } from './checks.js';

/** kubeconfigs the kubelet is given by the distributions, when no --kubeconfig is visible. */
const KUBECONFIG_PATHS = [
  '/etc/kubernetes/kubelet.conf',
  '/var/lib/kubelet/kubeconfig',
  '/etc/kubernetes/kubelet/kubeconfig',
  '/etc/kubernetes/kubelet-kubeconfig',
];

const SERVICE_UNITS: Record<KubeletEffective['distribution'], string[]> = {
  k3s: ['k3s.service', 'k3s-agent.service'],
  rke2: ['rke2-server.service', 'rke2-agent.service'],
  kubeadm: ['kubelet.service'],
  eks: ['kubelet.service'],
  gke: ['kubelet.service'],
  aks: ['kubelet.service'],
  generic: ['kubelet.service', 'snap.kubelet.daemon.service'],
};

async function statFact(host: HostRoot, role: FileFact['role'], p: string): Promise<FileFact> {
  const st = await host.stat(p);
  return {
    role,
    path: p,
    stat: st.ok
      ? st
      : { ok: false, missing: st.code === 'missing', reason: `${st.code.replace(/_/g, ' ')} (${st.reason})` },
  };
}

async function gatherFiles(
  host: HostRoot,
  eff: KubeletEffective,
  proxyKubeconfig: string | undefined,
): Promise<FileFact[]> {
  const files: FileFact[] = [];
  const services =
    eff.origin.kind === 'systemd'
      ? eff.origin.files
      : (await Promise.all(SERVICE_UNITS[eff.distribution].map((u) => unitFiles(host, u)))).flat();
  for (const f of services) files.push(await statFact(host, 'service', f));
  if (eff.configFile) files.push(await statFact(host, 'config', eff.configFile));
  for (const d of eff.dropIns) files.push(await statFact(host, 'config', d));
  const kc = typeof eff.kubeconfig?.value === 'string' ? eff.kubeconfig.value : undefined;
  if (kc) files.push(await statFact(host, 'kubeconfig', kc));
  else {
    for (const p of KUBECONFIG_PATHS) {
      const f = await statFact(host, 'kubeconfig', p);
      if ('type' in f.stat) {
        files.push(f);
        break;
      }
    }
  }
  const ca = eff.settings.get('authentication.x509.clientCAFile')?.value;
  if (typeof ca === 'string' && ca !== '') files.push(await statFact(host, 'client_ca', ca));
  if (proxyKubeconfig) files.push(await statFact(host, 'proxy_kubeconfig', proxyKubeconfig));
  return files;
}

async function gather(ctx: ProbeContext<KubeletOptions>): Promise<KubeletFacts> {
  const { options } = ctx;
  const kubelet = await resolveKubelet(ctx.host, { maxProcesses: options.maxProcesses });
  const proxy = kubelet.present
    ? await gatherProxy(ctx.host, options.maxProcesses)
    : { present: false, flags: [], problems: [] };
  const files = kubelet.present ? await gatherFiles(ctx.host, kubelet, proxy.kubeconfig) : [];
  if (kubelet.problems.length > 0)
    ctx.log.debug({ problems: kubelet.problems.slice(0, 20) }, 'kubelet configuration problems');
  return { options, kubelet, files, proxy };
}

export const kubeletProbe = defineProbe({
  name: 'kubelet',
  description:
    "CIS Kubernetes Benchmark worker node checks (section 4) over the kubelet's effective configuration: its running command line, --config, --config-dir drop-ins, kubeadm/EKS/GKE/AKS/k3s/RKE2 paths and the KubeletConfiguration defaults, with the owner and mode of its files and kube-proxy's metrics address.",
  checks: kubeletChecks,
  gather,
  // Its --config and kubeadm's files (pki/etcd is two levels down).
  watch: [
    { path: '/var/lib/kubelet', names: ['config.yaml'] },
    { path: '/etc/kubernetes', depth: 2 },
  ],
  precondition: (facts) =>
    facts.kubelet.present
      ? undefined
      : skip(
          'no kubelet on this host (no kubelet or k3s/RKE2 process, no kubelet.service, no kubelet configuration file)',
        ),
  options: KUBELET_OPTIONS,
});
