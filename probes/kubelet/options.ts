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
import { STRONG_CIPHER_SUITES } from './checks.js';
import type { KubeletOptions } from './types.js';

const KEYS = ['minEventRecordQPS', 'strongCipherSuites', 'maxProcesses'];

function bad(key: string, problem: string): never {
  throw new Error(`${key}: ${problem}`);
}

function int(c: Record<string, unknown>, key: string, min: number, max: number, dflt: number): number {
  const v = c[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

export function parseKubeletOptions(raw: unknown): KubeletOptions {
  const c = (raw ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) bad('(section)', 'must be a mapping');
  for (const k of Object.keys(c)) if (!KEYS.includes(k)) bad(k, `unknown key (expected one of: ${KEYS.join(', ')})`);
  const o: KubeletOptions = {
    minEventRecordQPS: int(c, 'minEventRecordQPS', 0, 1_000_000, 5),
    strongCipherSuites: [...STRONG_CIPHER_SUITES],
    maxProcesses: int(c, 'maxProcesses', 1, 10_000_000, 100_000),
  };
  if (c.strongCipherSuites !== undefined) {
    const v = c.strongCipherSuites;
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || !/^TLS_[A-Z0-9_]+$/.test(s))) bad('strongCipherSuites', 'must be a non-empty list of cipher suite names (TLS_...)');
    o.strongCipherSuites = v as string[];
  }
  return o;
}
