/**
 * What the container runtime does when the kubelet sends no seccomp profile: containerd's CRI
 * `unset_seccomp_profile` (empty = unconfined) and CRI-O's `seccomp_use_default_when_empty` (up to 1.29;
 * later CRI-O runs such containers unconfined). The configuration is read by the runtime probe's loaders
 * (imports, drop-ins and merge rules in one place, src/host/facts/runtime/, read once per scan); this module only picks
 * the runtime and
 * words the answer.
 */
import { loadContainerdConfig, loadCrioConfig } from '../../src/sdk.js';
import type { Evidence, HostRoot, Setting, Val } from '../../src/sdk.js';
import type { RuntimeDefault, RuntimeName } from './types.js';

const CONTAINERD_CONFIGS = [
  '/etc/containerd/config.toml',
  '/var/lib/rancher/k3s/agent/etc/containerd/config.toml',
  '/var/lib/rancher/rke2/agent/etc/containerd/config.toml',
];
const CRIO_CONFIG = '/etc/crio/crio.conf';
const CRIO_CONFIG_DIR = '/etc/crio/crio.conf.d';

const where = (v: Val<unknown>): string => {
  const e = v.evidence[0];
  return e?.file ? ` (${e.file}${e.line ? ':' + e.line : ''})` : '';
};

async function containerd(host: HostRoot, why: string): Promise<RuntimeDefault> {
  const out: RuntimeDefault = { runtime: 'containerd', why, evidence: [], problems: [] };
  let main: string | undefined;
  for (const c of CONTAINERD_CONFIGS) if (!main && (await host.stat(c)).ok) main = c;
  if (!main) {
    out.profile = '';
    out.detail = 'unset_seccomp_profile is "" (no config.toml: the built-in default)';
    out.evidence.push({
      text: 'no containerd config.toml: the built-in default unset_seccomp_profile = "" (unconfined) is in force',
    });
    return out;
  }
  const loaded = await loadContainerdConfig(host, main);
  if (!loaded.ok) {
    out.problems.push(loaded.reason);
    out.unreadable = loaded.reason;
    return out;
  }
  out.problems.push(...loaded.config.problems);
  const v = loaded.config.cri.unsetSeccompProfile;
  out.profile = v.value;
  if (v.set) {
    out.detail = `unset_seccomp_profile is ${JSON.stringify(v.value)}${where(v)}`;
    out.evidence.push(...v.evidence);
  } else {
    out.detail = `unset_seccomp_profile is not set in ${main} (default "")`;
    out.evidence.push({ file: main, text: 'unset_seccomp_profile not set: "" (unconfined)' });
  }
  return out;
}

async function crio(host: HostRoot): Promise<RuntimeDefault> {
  const out: RuntimeDefault = { runtime: 'cri-o', why: '', evidence: [], problems: [] };
  const loaded = await loadCrioConfig(host, CRIO_CONFIG, CRIO_CONFIG_DIR);
  if (!loaded.ok) {
    out.problems.push(loaded.reason);
    out.unreadable = loaded.reason;
    return out;
  }
  const useDefault = loaded.config.seccompUseDefaultWhenEmpty;
  const profile = loaded.config.seccompProfile;
  out.detail = useDefault.set
    ? `seccomp_use_default_when_empty is ${String(useDefault.value)}${where(useDefault)}`
    : 'seccomp_use_default_when_empty is not set';
  if (useDefault.value === true) {
    out.profile = (profile.set && profile.value) || 'the CRI-O built-in default';
    out.evidence.push(...useDefault.evidence, ...(profile.set ? profile.evidence : []));
  } else {
    out.profile = '';
    const unset: Evidence = {
      text: 'seccomp_use_default_when_empty is not set: CRI-O 1.30 and later run a container without a profile unconfined (1.24-1.29 defaulted it to true)',
    };
    out.evidence.push(...(useDefault.set ? useDefault.evidence : [unset]));
  }
  return out;
}

/** Which runtime the kubelet uses, from its endpoint, else the running daemons, else installed configs. */
export async function runtimeDefault(
  host: HostRoot,
  endpoint: Setting | undefined,
  daemons: ReadonlySet<string>,
): Promise<RuntimeDefault> {
  const ep = typeof endpoint?.value === 'string' && endpoint.source !== 'default' ? endpoint.value : undefined;
  let rt: RuntimeName = 'unknown';
  let why = '';
  if (ep) {
    why = `the kubelet's containerRuntimeEndpoint ${ep}`;
    rt = /crio/.test(ep)
      ? 'cri-o'
      : /dockershim|cri-dockerd|docker/.test(ep)
        ? 'docker'
        : /containerd/.test(ep)
          ? 'containerd'
          : 'unknown';
  }
  if (rt === 'unknown' && daemons.size > 0) {
    rt = daemons.has('crio') ? 'cri-o' : daemons.has('containerd') ? 'containerd' : 'unknown';
    if (rt !== 'unknown') why = `a running ${rt === 'cri-o' ? 'crio' : 'containerd'} process`;
  }
  if (rt === 'unknown') {
    if ((await host.stat('/etc/crio/crio.conf')).ok || (await host.glob('/etc/crio/crio.conf.d/*')).length > 0)
      [rt, why] = ['cri-o', '/etc/crio exists'];
    else {
      for (const c of CONTAINERD_CONFIGS)
        if (rt === 'unknown' && (await host.stat(c)).ok) [rt, why] = ['containerd', `${c} exists`];
    }
  }
  if (rt === 'containerd') return containerd(host, why);
  if (rt === 'cri-o') return { ...(await crio(host)), why };
  if (rt === 'docker')
    return {
      runtime: 'docker',
      why,
      profile: '',
      detail: 'cri-dockerd sends "unconfined"',
      evidence: [{ text: 'cri-dockerd sends "unconfined" for a pod that names no profile' }],
      problems: [],
    };
  return { runtime: 'unknown', why: 'no runtime endpoint, daemon or configuration found', evidence: [], problems: [] };
}
