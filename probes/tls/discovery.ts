/**
 * Expands the location patterns on the host: globs through ctx.host, `**` by a bounded walk that does not
 * follow directory links (no loops). Explicit paths are taken when the entry exists, even as a dangling or
 * looping link, so that reading it reports why it is unusable instead of the file silently vanishing.
 */
import type { HostRoot, DirEntry } from '../../src/sdk.js';
import { globToRegExp } from '../../src/sdk.js';
import type { Distribution } from './types.js';
import { LIMITS } from './locations.js';

export interface Candidate {
  path: string;
  kind: 'certificate' | 'kubeconfig';
  distribution: Distribution;
  /** The kubeconfig that names this file, when it was found that way. */
  namedBy?: string;
}

const hasMagic = (s: string) => /[*?[]/.test(s);

/** A whole-path glob (`*` within a component, `**` across components) as a RegExp, for `exclude`. */
export function pathGlobToRegExp(pattern: string): RegExp {
  const parts = pattern.split('/').filter(Boolean);
  let re = '^';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '**') re += i === parts.length - 1 ? '(?:/.*)?' : '(?:/[^/]+)*';
    else re += '/' + globToRegExp(p).source.slice(1, -1);
  }
  return new RegExp(re + '$');
}

/** Non-directory entries under `base`, breadth-first; directory links are not followed (no loops). */
async function walk(
  host: HostRoot,
  base: string,
  signal: AbortSignal,
): Promise<{ files: DirEntry[]; truncated: boolean }> {
  const files: DirEntry[] = [];
  let level = [base];
  let seen = 0;
  for (let depth = 0; depth <= LIMITS.walkDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const d of level) {
      if (signal.aborted || ++seen > LIMITS.walkDirectories) return { files, truncated: true };
      const r = await host.readDir(d);
      if (!r.ok) continue;
      for (const e of r.entries) {
        if (e.type === 'directory') next.push(e.path);
        else files.push(e);
      }
    }
    level = next;
  }
  return { files, truncated: level.length > 0 };
}

/** Paths matching one pattern, in lexical order; `truncated` when a bound cut the walk short. */
export async function expand(
  host: HostRoot,
  pattern: string,
  signal: AbortSignal,
): Promise<{ paths: string[]; truncated: boolean }> {
  const idx = pattern.indexOf('/**/');
  if (idx >= 0) {
    const base = pattern.slice(0, idx) || '/';
    const rest = pattern.slice(idx + 4);
    if (rest.includes('/')) return { paths: [], truncated: false }; // one `**` followed by a file name: all the locations need
    const re = globToRegExp(rest);
    const { files, truncated } = await walk(host, base, signal);
    const paths = files
      .filter((e) => re.test(e.name) && (!e.name.startsWith('.') || rest.startsWith('.')))
      .map((e) => e.path);
    return { paths: paths.sort(), truncated };
  }
  if (!hasMagic(pattern)) return { paths: (await host.stat(pattern, false)).ok ? [pattern] : [], truncated: false };
  return { paths: await host.glob(pattern), truncated: false };
}
