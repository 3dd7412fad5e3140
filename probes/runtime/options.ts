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

/** Validate the section, whose keys are the declared ones (./option-spec.ts): each names an absolute host path. */
export function parseRuntimeOptions(c: Record<string, unknown>): RuntimeOptions {
  const o: RuntimeOptions = {};
  for (const [k, v] of Object.entries(c)) {
    if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0') || v.length > 4096)
      optionProblem(k, `must be an absolute host path, got ${JSON.stringify(v)?.slice(0, 60)}`);
    o[k as keyof RuntimeOptions] = v;
  }
  return o;
}
