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
  const w = new Walker(host, policy, problems, scope);
  const stack: Frame[] = [];
  let batch: WalkEntry[] = [];
  const first = w.start(plan.trie, stack);
  if (first) batch.push(first);
  while (stack.length > 0) {
    const e = w.step(stack);
    if (!e) continue;
    batch.push(e);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** One walk's state: the directories it reads, what it governs and where it may go. */
class Walker {
  private readonly excluders: Excluder[];

  constructor(
    private readonly host: HostRoot,
    private readonly policy: Policy,
    private readonly problems: ScanProblem[],
    private readonly scope: readonly string[] | undefined,
  ) {
    this.excluders = policy.rules.map((r) => new Excluder([...policy.exclude, ...r.exclude]));
  }

  private inScope(p: string): boolean {
    return !this.scope || this.scope.some((s) => isUnder(p, s));
  }

  private towardScope(p: string): boolean {
    return !this.scope || this.scope.some((s) => isUnder(s, p));
  }

  /** The root's frame on the stack; the entry of `/` itself when a rule governs it. */
  start(top: TrieNode, stack: Frame[]): WalkEntry | undefined {
    let gov: Governing | undefined;
    if (top.rule !== undefined) {
      const r = this.policy.rules[top.rule]!;
      gov = { rule: top.rule, depthLeft: r.depth, dev: r.oneFilesystem ? this.devOf('/') : undefined };
    }
    const f = this.frameFor('/', top, gov);
    if (f) stack.push(f);
    return top.rule !== undefined && this.inScope('/') ? { path: '/', rule: top.rule } : undefined;
  }

  /**
   * The next name of the frame on top of the stack: its entry when a rule governs it and it is in scope, and
   * the frame of the directory when it is to be entered. A frame done is popped.
   */
  step(stack: Frame[]): WalkEntry | undefined {
    const f = stack[stack.length - 1]!;
    if (f.i >= f.names.length) {
      stack.pop();
      return undefined;
    }
    const idx = f.i++;
    const name = f.names[idx]!;
    const p = f.dir === '/' ? '/' + name : f.dir + '/' + name;
    if (NEVER.includes(p)) return undefined;
    const cn = f.node?.children.get(name);
    const g = this.governing(f, p, name, cn);
    const entry = g !== undefined && this.inScope(p) ? { path: p, rule: g.rule } : undefined;
    this.enter(stack, f.kinds[idx], p, cn, g);
    return entry;
  }

  /** The rule that governs `p`: its own when a rule names it, else its directory's while depth and excludes allow. */
  private governing(f: Frame, p: string, name: string, cn: TrieNode | undefined): Governing | undefined {
    if (cn?.rule !== undefined) {
      const r = this.policy.rules[cn.rule]!;
      return { rule: cn.rule, depthLeft: r.depth, dev: undefined };
    }
    if (f.gov && f.gov.depthLeft > 0 && !this.excluders[f.gov.rule]!.matches(p, name))
      return { rule: f.gov.rule, depthLeft: f.gov.depthLeft - 1, dev: f.gov.dev };
    return undefined;
  }

  /** Push the frame of `p` when it is a directory the walk goes into: governed below it, or toward a rule path. */
  private enter(
    stack: Frame[],
    kind: Dirent | undefined,
    p: string,
    cn: TrieNode | undefined,
    g: Governing | undefined,
  ): void {
    const wantsWhole = g !== undefined && g.depthLeft > 0;
    const wantsRoots = cn !== undefined && cn.children.size > 0;
    if (!wantsWhole && !wantsRoots) return;
    if (!this.inScope(p) && !this.towardScope(p)) return;
    if (!this.isDirectory(kind, p)) return;
    let childGov = wantsWhole ? g : undefined;
    if (childGov && this.policy.rules[childGov.rule]!.oneFilesystem) {
      const dev = this.devOf(p);
      if (dev === undefined) return; // vanished or replaced since readdir
      if (childGov.dev === undefined) childGov = { ...childGov, dev };
      else if (childGov.dev !== dev) childGov = undefined; // a mount point: recorded, not entered
    }
    if (!childGov && !wantsRoots) return;
    if (stack.length >= MAX_DEPTH) {
      this.problems.push({ path: p, reason: `deeper than ${MAX_DEPTH} levels: not entered` });
      return;
    }
    const nf = this.frameFor(p, cn, childGov);
    if (nf) stack.push(nf);
  }

  /** Whether `p` is a directory: from readdir's type when it gave one, else from lstat. */
  private isDirectory(kind: Dirent | undefined, p: string): boolean {
    const known =
      kind &&
      (kind.isDirectory() ||
        kind.isFile() ||
        kind.isSymbolicLink() ||
        kind.isFIFO() ||
        kind.isSocket() ||
        kind.isBlockDevice() ||
        kind.isCharacterDevice());
    return known ? kind.isDirectory() : this.devOf(p) !== undefined;
  }

  private listDir(dir: string): { names: string[]; kinds: (Dirent | undefined)[] } | undefined {
    try {
      const ents = readdirSync(this.host.fsPath(dir), { withFileTypes: true });
      ents.sort((a, b) => byName(a.name, b.name));
      return { names: ents.map((e) => e.name), kinds: ents };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        this.problems.push({ path: dir, reason: `directory unreadable (${code ?? String(e)})` });
      else this.problems.push({ path: dir, reason: 'vanished during the scan' });
      return undefined;
    }
  }

  /** The device of a directory, or undefined when `p` is no directory (or is gone). */
  private devOf(p: string): number | undefined {
    try {
      const st = lstatSync(this.host.fsPath(p));
      return st.isDirectory() ? st.dev : undefined;
    } catch {
      return undefined;
    }
  }

  /** A governed directory lists what it holds; one only on the way to rule paths lists the rule paths' names. */
  private frameFor(dir: string, node: TrieNode | undefined, gov: Governing | undefined): Frame | undefined {
    if (gov && gov.depthLeft > 0) {
      const l = this.listDir(dir);
      if (!l) return undefined;
      return { dir, names: l.names, kinds: l.kinds, i: 0, node, gov };
    }
    const names = node ? [...node.children.keys()].sort(byName) : [];
    return { dir, names, kinds: names.map(() => undefined), i: 0, node, gov };
  }
}
