/**
 * Per-scan memory for shared host facts: the engine makes one HostRoot per scan, so a fact kept with its
 * HostRoot is computed once per scan, by whichever probe asks first, and dropped with the scan. The values
 * are shared between probes: callers read them and never change them.
 */
import type { HostRoot } from '../root.js';

/** A memo of `compute` per HostRoot and key (a key holds every input the fact depends on besides the host). */
export function perScan<A extends unknown[], V>(
  key: (...args: A) => string,
  compute: (host: HostRoot, ...args: A) => Promise<V>,
): (host: HostRoot, ...args: A) => Promise<V> {
  const memo = new WeakMap<HostRoot, Map<string, Promise<V>>>();
  return (host, ...args) => {
    let m = memo.get(host);
    if (!m) memo.set(host, (m = new Map<string, Promise<V>>()));
    const k = key(...args);
    let v = m.get(k);
    if (!v) m.set(k, (v = compute(host, ...args)));
    return v;
  };
}
