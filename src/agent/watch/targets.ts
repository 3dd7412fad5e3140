/**
 * What the watcher watches and which probes a change re-runs: the targets the probes declare, compiled once,
 * and the questions asked of them (does a target cover this directory, does it care about this entry).
 */
import path from 'node:path';
import { globToRegExp } from '../../host/root.js';
import type { Probe, WatchSpec } from '../../sdk.js';

export interface WatchTarget extends WatchSpec {
  /** The probes that read what is here: a change re-runs these. */
  probes: readonly string[];
}

/**
 * The fixed directories the probes declare (Probe.watch), one target per distinct spec with every probe that
 * declares it, in the probes' order.
 */
export function declaredTargets(probes: readonly Pick<Probe, 'name' | 'watch'>[]): WatchTarget[] {
  const bySpec = new Map<string, WatchTarget & { probes: string[] }>();
  for (const p of probes) {
    for (const s of p.watch ?? []) {
      const key = JSON.stringify([s.path, s.names ?? null, s.depth ?? 0, s.ignore ?? null]);
      const t = bySpec.get(key);
      if (t) t.probes.push(p.name);
      else bySpec.set(key, { ...s, probes: [p.name] });
    }
  }
  return [...bySpec.values()];
}

/** Never watched, whatever a target says: pseudo file systems. */
const NEVER = ['/proc', '/sys', '/dev'];

function globMatch(pattern: string, p: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*') +
      '(/.*)?$',
  );
  return re.test(p);
}

/** Is a host path excluded (the pseudo file systems, or at or below one of `exclude`, globs with `*`)? */
export function exclusion(exclude: readonly string[]): (host: string) => boolean {
  const excluded = [...NEVER, ...exclude];
  return (host) => excluded.some((e) => globMatch(e, host));
}

/** A target with its patterns compiled. */
export interface CompiledTarget {
  t: WatchTarget;
  names: RegExp[] | undefined;
  ignoreName: RegExp[];
  ignorePath: RegExp[];
}

export function compileTarget(t: WatchTarget): CompiledTarget {
  const ignore = t.ignore ?? [];
  return {
    t,
    names: t.names?.map((n) => globToRegExp(n)),
    ignoreName: ignore.filter((g) => !g.startsWith('/')).map((g) => globToRegExp(g)),
    ignorePath: ignore.filter((g) => g.startsWith('/')).map((g) => globToRegExp(g, { globstar: true })),
  };
}

/** Levels of `dir` below `base` (0: the same), or -1 when it is not below. */
function levelBelow(dir: string, base: string): number {
  if (dir === base) return 0;
  const prefix = base === '/' ? '/' : base + '/';
  if (!dir.startsWith(prefix)) return -1;
  return dir.slice(prefix.length).split('/').length;
}

export function ignored(c: CompiledTarget, p: string, name: string): boolean {
  return c.ignoreName.some((r) => r.test(name)) || c.ignorePath.some((r) => r.test(p));
}

/** Does target c cover directory `dir` (at a level within its depth)? */
export function coversDir(c: CompiledTarget, dir: string): boolean {
  const level = levelBelow(dir, c.t.path);
  return level >= 0 && level <= (c.t.depth ?? 0);
}

/** Does target c, which covers `dir`, care about its entry `name` (undefined: unknown)? */
export function coversEntry(c: CompiledTarget, dir: string, name: string | undefined): boolean {
  if (name === undefined) return true;
  if (dir === c.t.path && c.names && !c.names.some((r) => r.test(name))) return false;
  return !ignored(c, path.posix.join(dir, name), name);
}
