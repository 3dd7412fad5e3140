/**
 * What the agent watches in real time for the integrity policy (issue 7): the rules marked `watch` (by default
 * every rule but the binaries: /etc/ssh, /etc/kubernetes, passwd, shadow, group, sudoers, pam.d, ld.so.preload,
 * cron, systemd units, ...), never the big binary trees, which are left to the schedule.
 *
 * Each watched rule gives two targets:
 * - its parent directory, filtered to the rule's name, so that the path is seen when it is created, replaced
 *   by rename (vipw, useradd, editors and package managers write a temporary file and rename it) or removed;
 *   /etc/ld.so.preload is usually absent, and its creation is exactly what must be seen;
 * - the path itself, when it is (or later becomes) a directory, with its subdirectories down to the rule's
 *   depth (at most MAX_WATCH_DEPTH), skipping the policy's exclusions.
 * Paths are resolved inside the root as the walk resolves them (a merged-/usr /lib/systemd/system is watched as
 * /usr/lib/systemd/system, which is also the path its records carry). A glob rule (/etc/cron.*) watches its
 * parent for names matching the glob, and each directory that matches now.
 */
import path from 'node:path';
import type { HostRoot } from '../host/root.js';
import type { WatchSpec } from '../sdk.js';
import { hasGlobMagic } from '../host/root.js';
import type { Policy } from './types.js';

export const MAX_WATCH_DEPTH = 8;

export async function policyWatchTargets(host: HostRoot, policy: Policy): Promise<WatchSpec[]> {
  const out: WatchSpec[] = [];
  for (const rule of policy.rules) {
    if (!rule.watch) continue;
    const ignore = [...policy.exclude, ...rule.exclude];
    const depth = Math.min(rule.depth, MAX_WATCH_DEPTH);
    const parent = path.posix.dirname(rule.path);
    const name = path.posix.basename(rule.path);
    if (hasGlobMagic(parent)) continue; // e.g. /usr/lib/modules/*/modules.*: no fixed directory to watch
    const parentReal = await host.resolve(parent, true);
    if (!parentReal.ok) continue; // the parent is missing too: left to the schedule
    if (rule.path !== '/') out.push({ path: parentReal.realPath, names: [name] });
    const dirs = hasGlobMagic(name) ? await host.glob(rule.path) : [rule.path];
    for (const d of dirs) {
      const r = await host.resolve(d, false);
      // A missing path is still a target: the watcher picks the directory up when it appears.
      const real = r.ok ? r.realPath : path.posix.join(parentReal.realPath, path.posix.basename(d));
      // The rule's depth counts levels below the path; a watch on a directory sees its entries (one level).
      if (depth >= 1) out.push({ path: real, depth: depth - 1, ignore });
    }
  }
  return out;
}
