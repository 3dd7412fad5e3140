/**
 * The runtime probe's configuration section (`probes.runtime`), validated with messages naming the key:
 *
 *   probes:
 *     runtime:
 *       dockerConfigFile: /etc/docker/daemon.json     # when no running dockerd says --config-file
 *       containerdConfig: /etc/containerd/config.toml # when no running containerd says --config
 *       crioConfig: /etc/crio/crio.conf
 *       crioConfigDir: /etc/crio/crio.conf.d
 *       kubeletConfig: /var/lib/kubelet/config.yaml   # for the cgroup driver comparison
 */
import { optionProblem } from '../../src/sdk.js';
export interface RuntimeOptions {
  dockerConfigFile?: string;
  containerdConfig?: string;
  crioConfig?: string;
  crioConfigDir?: string;
  kubeletConfig?: string;
}

const KEYS = ['dockerConfigFile', 'containerdConfig', 'crioConfig', 'crioConfigDir', 'kubeletConfig'] as const;

export function parseRuntimeOptions(raw: unknown): RuntimeOptions {
  const c = raw ?? {};
  if (typeof c !== 'object' || Array.isArray(c)) optionProblem('(section)', 'must be a mapping');
  const o: RuntimeOptions = {};
  for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
    if (!(KEYS as readonly string[]).includes(k)) optionProblem(k, `unknown key (expected one of: ${KEYS.join(', ')})`);
    if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0') || v.length > 4096)
      optionProblem(k, `must be an absolute host path, got ${JSON.stringify(v)?.slice(0, 60)}`);
    o[k as (typeof KEYS)[number]] = v;
  }
  return o;
}
