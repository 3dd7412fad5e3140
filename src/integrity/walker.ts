/**
 * The walk: every path the policy governs, in one global order (pre-order, children by name), so the baseline
 * can be a sorted file and a check a merge of two sorted streams in bounded memory.
 *
 * The order compares paths component by component (`/` sorts below every other character), which makes each
 * subtree a contiguous range: that is what lets rules nest (the deepest rule above a path governs it) and
 * lets a check or an accept be limited to a few subtrees.
 *
 * Bounds and safety: links are never followed (rule paths are resolved inside the root up to their last
 * component, which is recorded as it is); a directory is entered only when lstat says it is one; /proc and
 * /sys are never entered; a rule with oneFilesystem records a mount point but does not enter it; the depth
 * is capped. Directories are read with readdir (names and types only); the stat and the hashing of each path
 * happen in the worker pool (./hash-pool.ts).
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { HostRoot, hasGlobMagic } from '../host/root.js';
import { Excluder } from './policy.js';
import type { Policy, ScanProblem } from './types.js';

export const MAX_DEPTH = 256;
export const BATCH = 256;

/** Compare host paths component by component; `/` is lower than any other character. */
export function comparePaths(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x === 47) return -1;
      if (y === 47) return 1;
      return x - y;
    }
  }
  return a.length - b.length;
}

/** p is `base` or below it. */
export function isUnder(p: string, base: string): boolean {
  return base === '/' || p === base || (p.startsWith(base) && p.charCodeAt(base.length) === 47);
}

export interface WalkEntry {
  path: string;
  /** Index of the governing rule in the policy. */
  rule: number;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  rule?: number;
}

interface Governing {
  rule: number;
  depthLeft: number;
  dev: number | undefined;
}

interface Frame {
  dir: string;
  names: string[];
  kinds: (Dirent | undefined)[];
  i: number;
  node: TrieNode | undefined;
  gov: Governing | undefined;
}

const NEVER = ['/proc', '/sys'];

export interface WalkPlan {
  trie: TrieNode;
  /** Rule paths as resolved, for messages. */
  roots: { path: string; rule: number }[];
}

/** Expand globs and resolve each rule path inside the root (not following its last component). */
export async function planWalk(host: HostRoot, policy: Policy, problems: ScanProblem[]): Promise<WalkPlan> {
  const trie: TrieNode = { children: new Map() };
  const roots: WalkPlan['roots'] = [];
  for (const [i, rule] of policy.rules.entries()) {
    const asked = hasGlobMagic(rule.path) ? await host.glob(rule.path) : [rule.path];
    for (const p of asked) {
      const r = await host.resolve(p, false);
      if (!r.ok) {
        if (r.code !== 'missing') problems.push({ path: p, reason: `${r.code.replace(/_/g, ' ')} (${r.reason})` });
        continue;
      }
      if (NEVER.some((n) => isUnder(r.realPath, n))) {
        problems.push({ path: p, reason: `resolves to ${r.realPath}, which is never scanned` });
        continue;
      }
      let node = trie;
      for (const c of r.realPath.split('/').filter(Boolean)) {
        let next = node.children.get(c);
        if (!next) node.children.set(c, (next = { children: new Map() }));
        node = next;
      }
      if (node.rule === undefined) {
        node.rule = i;
        roots.push({ path: r.realPath, rule: i });
      }
    }
  }
  return { trie, roots };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Walk the plan, yielding batches of entries in global order. `scope` limits the walk to these host paths
 * and what is below them.
 */
export async function* walk(
  host: HostRoot,
  policy: Policy,
  plan: WalkPlan,
  problems: ScanProblem[],
  scope?: readonly string[],
): AsyncGenerator<WalkEntry[]> {
  const excluders = policy.rules.map((r) => new Excluder([...policy.exclude, ...r.exclude]));
  const inScope = (p: string) => !scope || scope.some((s) => isUnder(p, s));
  const towardScope = (p: string) => !scope || scope.some((s) => isUnder(s, p));
  const fsPath = (p: string) => host.fsPath(p);
  let batch: WalkEntry[] = [];

  const listDir = (dir: string): { names: string[]; kinds: (Dirent | undefined)[] } | undefined => {
    try {
      const ents = readdirSync(fsPath(dir), { withFileTypes: true });
      ents.sort((a, b) => byName(a.name, b.name));
      return { names: ents.map((e) => e.name), kinds: ents };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        problems.push({ path: dir, reason: `directory unreadable (${code ?? String(e)})` });
      else problems.push({ path: dir, reason: 'vanished during the scan' });
      return undefined;
    }
  };

  const devOf = (p: string): number | undefined => {
    try {
      const st = lstatSync(fsPath(p));
      return st.isDirectory() ? st.dev : undefined;
    } catch {
      return undefined;
    }
  };

  const frameFor = (dir: string, node: TrieNode | undefined, gov: Governing | undefined): Frame | undefined => {
    if (gov && gov.depthLeft > 0) {
      const l = listDir(dir);
      if (!l) return undefined;
      return { dir, names: l.names, kinds: l.kinds, i: 0, node, gov };
    }
    const names = node ? [...node.children.keys()].sort(byName) : [];
    return { dir, names, kinds: names.map(() => undefined), i: 0, node, gov };
  };

  const stack: Frame[] = [];
  const top = plan.trie;
  if (top.rule !== undefined) {
    if (inScope('/')) batch.push({ path: '/', rule: top.rule });
    const r = policy.rules[top.rule]!;
    const f = frameFor('/', top, { rule: top.rule, depthLeft: r.depth, dev: r.oneFilesystem ? devOf('/') : undefined });
    if (f) stack.push(f);
  } else {
    const f = frameFor('/', top, undefined);
    if (f) stack.push(f);
  }

  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.i >= f.names.length) {
      stack.pop();
      continue;
    }
    const idx = f.i++;
    const name = f.names[idx]!;
    const p = f.dir === '/' ? '/' + name : f.dir + '/' + name;
    if (NEVER.includes(p)) continue;
    const cn = f.node?.children.get(name);
    let g: Governing | undefined;
    if (cn?.rule !== undefined) {
      const r = policy.rules[cn.rule]!;
      g = { rule: cn.rule, depthLeft: r.depth, dev: undefined };
    } else if (f.gov && f.gov.depthLeft > 0 && !excluders[f.gov.rule]!.matches(p, name)) {
      g = { rule: f.gov.rule, depthLeft: f.gov.depthLeft - 1, dev: f.gov.dev };
    }
    const emit = g !== undefined && inScope(p);
    if (emit) {
      batch.push({ path: p, rule: g!.rule });
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
    const wantsWhole = g !== undefined && g.depthLeft > 0;
    const wantsRoots = cn !== undefined && cn.children.size > 0;
    if (!wantsWhole && !wantsRoots) continue;
    if (!inScope(p) && !towardScope(p)) continue;
    const kind = f.kinds[idx];
    let isDir: boolean;
    if (
      kind &&
      (kind.isDirectory() ||
        kind.isFile() ||
        kind.isSymbolicLink() ||
        kind.isFIFO() ||
        kind.isSocket() ||
        kind.isBlockDevice() ||
        kind.isCharacterDevice())
    )
      isDir = kind.isDirectory();
    else isDir = devOf(p) !== undefined;
    if (!isDir) continue;
    let childGov = wantsWhole ? g : undefined;
    if (childGov && policy.rules[childGov.rule]!.oneFilesystem) {
      const dev = devOf(p);
      if (dev === undefined) continue; // vanished or replaced since readdir
      if (childGov.dev === undefined) childGov = { ...childGov, dev };
      else if (childGov.dev !== dev) childGov = undefined; // a mount point: recorded, not entered
    }
    if (!childGov && !wantsRoots) continue;
    if (stack.length >= MAX_DEPTH) {
      problems.push({ path: p, reason: `deeper than ${MAX_DEPTH} levels: not entered` });
      continue;
    }
    const nf = frameFor(p, cn, childGov);
    if (nf) stack.push(nf);
  }
  if (batch.length > 0) yield batch;
}
