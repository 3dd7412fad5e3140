/**
 * The kubelet probe's configuration section (`probes.kubelet` in the YAML), validated with messages naming
 * the key:
 *
 *   probes:
 *     kubelet:
 *       minEventRecordQPS: 5          # eventRecordQPS must be 0 (unlimited) or at least this
 *       strongCipherSuites: [...]     # replaces the CIS 4.2.12 list
 *       maxProcesses: 100000          # processes read when looking for the kubelet and kube-proxy
 */
import { optionProblem, optionInt } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import { STRONG_CIPHER_SUITES } from './checks.js';
import type { KubeletOptions } from './types.js';

export const DEFAULT_KUBELET_OPTIONS: Readonly<KubeletOptions> = Object.freeze({
  minEventRecordQPS: 5,
  strongCipherSuites: STRONG_CIPHER_SUITES,
  maxProcesses: 100_000,
});

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parseKubeletOptions(c: DeclaredSection): KubeletOptions {
  const d = DEFAULT_KUBELET_OPTIONS;
  const o: KubeletOptions = {
    minEventRecordQPS: optionInt(c, 'minEventRecordQPS', d.minEventRecordQPS),
    strongCipherSuites: [...d.strongCipherSuites],
    maxProcesses: optionInt(c, 'maxProcesses', d.maxProcesses),
  };
  if (c.strongCipherSuites !== undefined) {
    const v = c.strongCipherSuites;
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || !/^TLS_[A-Z0-9_]+$/.test(s)))
      optionProblem('strongCipherSuites', 'must be a non-empty list of cipher suite names (TLS_...)');
    o.strongCipherSuites = v as string[];
  }
  return o;
}
