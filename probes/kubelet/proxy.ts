/**
 * kube-proxy, for CIS 4.1.3/4.1.4 (its kubeconfig) and 4.3.1 (metrics bound to localhost). kube-proxy
 * usually runs as a DaemonSet pod: its flags are in the host's /proc/<pid>/cmdline, and its --config and
 * kubeconfig come from a ConfigMap volume, which the host has under /var/lib/kubelet/pods/<uid>/volumes/.
 * A path inside the container is therefore looked up on the host first, then in the pod's volumes.
 */
import path from 'node:path';
import type { HostRoot } from '../../src/sdk.js';
import {
  parseCgroup,
  lastKubeletFlag as lastFlag,
  parseKubeletFlags as parseFlags,
  wordsOf,
  parseKubeletConfig,
  MAX_CONFIG_BYTES,
  kubeletCandidates,
} from '../../src/sdk.js';
import type { ProxyFacts } from './types.js';

/** kube-proxy's default: metrics on 127.0.0.1:10249. */
export const PROXY_METRICS_DEFAULT = '127.0.0.1:10249';

/** Where kube-proxy kubeconfigs live on hosts that run kube-proxy outside a pod. */
export const PROXY_KUBECONFIG_PATHS = [
  '/var/lib/kube-proxy/kubeconfig',
  '/var/lib/kube-proxy/kubeconfig.conf',
  '/etc/kubernetes/proxy.conf',
  '/etc/kubernetes/kube-proxy.kubeconfig',
  '/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig',
  '/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig',
];

const PROXY_BOOL_FLAGS = new Set([
  'cleanup',
  'masquerade-all',
  'version',
  'help',
  'h',
  'alsologtostderr',
  'logtostderr',
  'profiling',
]);

/**
 * A path as the process sees it, on the host: the same path, else the file of that name in one of the pod's volumes.
 */
async function hostPathFor(host: HostRoot, p: string, podUid: string | undefined): Promise<string | undefined> {
  if ((await host.stat(p)).ok) return p;
  if (!podUid || !/^[0-9a-f-]{32,36}$/.test(podUid)) return undefined;
  const name = path.posix.basename(p);
  const hits = await host.glob(`/var/lib/kubelet/pods/${podUid}/volumes/*/*/${name.replace(/[*?[\]\\]/g, '\\$&')}`);
  return hits[0];
}

export async function gatherProxy(host: HostRoot, maxProcs: number): Promise<ProxyFacts> {
  const facts: ProxyFacts = { present: false, flags: [], problems: [] };
  const procs = await kubeletCandidates(host, (c) => c === 'kube-proxy' || c === 'hyperkube', maxProcs);
  const p = procs.find(
    (x) => /(^|\/)kube-proxy$/.test(x.argv[0]!) || (/(^|\/)hyperkube$/.test(x.argv[0]!) && x.argv[1] === 'kube-proxy'),
  );
  let kubeconfig: string | undefined;
  if (p) {
    facts.present = true;
    facts.pid = p.pid;
    const file = `/proc/${p.pid}/cmdline`;
    const args = /hyperkube$/.test(p.argv[0]!) ? p.argv.slice(2) : p.argv.slice(1);
    const parsed = parseFlags(wordsOf(args, file), PROXY_BOOL_FLAGS);
    facts.flags = parsed.flags;
    facts.problems.push(...parsed.problems.map((x) => `kube-proxy command line: ${x}`));
    const cg = await host.readText(`/proc/${p.pid}/cgroup`, { maxBytes: 64 * 1024 });
    const podUid = cg.ok ? parseCgroup(cg.text).podUid : undefined;
    const cfg = lastFlag(parsed.flags, 'config');
    if (cfg) {
      const hp = await hostPathFor(host, cfg.value, podUid);
      if (!hp) facts.problems.push(`kube-proxy --config ${cfg.value}: not found on the host or in the pod's volumes`);
      else {
        facts.configFile = hp;
        const r = await host.readText(hp, { maxBytes: MAX_CONFIG_BYTES });
        const c = r.ok ? parseKubeletConfig(r.text, hp) : undefined;
        if (!r.ok) facts.problems.push(`${hp}: ${r.code.replace(/_/g, ' ')} (${r.reason})`);
        else if (c && !c.ok) facts.problems.push(`${hp}: ${c.reason}`);
        else if (c?.ok) {
          const mb = c.leaves.find((l) => l.field === 'metricsBindAddress');
          if (mb && typeof mb.value === 'string' && mb.value !== '')
            facts.metricsBindAddress = {
              field: 'metricsBindAddress',
              value: mb.value,
              source: 'config',
              evidence: [mb.evidence],
            };
          const kc = c.leaves.find((l) => l.field === 'clientConnection.kubeconfig');
          if (kc && typeof kc.value === 'string' && kc.value !== '') kubeconfig = kc.value;
        }
      }
    }
    const mbFlag = lastFlag(parsed.flags, 'metrics-bind-address');
    if (mbFlag)
      facts.metricsBindAddress = {
        field: 'metricsBindAddress',
        value: mbFlag.value,
        source: 'flag',
        evidence: [mbFlag.evidence],
      };
    facts.metricsBindAddress ??= {
      field: 'metricsBindAddress',
      value: PROXY_METRICS_DEFAULT,
      source: 'default',
      evidence: [{ text: `kube-proxy default metricsBindAddress ${PROXY_METRICS_DEFAULT}` }],
    };
    const kcFlag = lastFlag(parsed.flags, 'kubeconfig');
    if (kcFlag) kubeconfig = kcFlag.value;
    if (kubeconfig) {
      const hp = await hostPathFor(host, kubeconfig, podUid);
      if (hp) facts.kubeconfig = hp;
      else facts.problems.push(`kube-proxy kubeconfig ${kubeconfig}: not found on the host or in the pod's volumes`);
    }
  }
  if (!facts.kubeconfig) {
    for (const c of PROXY_KUBECONFIG_PATHS) {
      if ((await host.stat(c)).ok) {
        facts.kubeconfig = c;
        facts.present = true;
        break;
      }
    }
  }
  return facts;
}
