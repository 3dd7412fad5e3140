/**
 * Integrity policies: YAML rules in the spirit of Tripwire and AIDE, validated with messages naming the key,
 * and the default policy for a Kubernetes node (data, below). A policy file:
 *
 *   version: 1
 *   hash: sha256                     # content hash: sha256 (default), sha512 or blake2b512; per rule too
 *   define:                          # optional: property sets of your own
 *     perms: [type, mode, owner, group]
 *   exclude: ["*.swp", "/etc/ssh/moduli"]   # everywhere; absolute globs match the path, others the name
 *   rules:
 *     - path: /etc/ssh               # a host path or a glob (/etc/cron.*)
 *       properties: config           # a set, a property, or a list of both; "-ctime" removes one
 *       recurse: true                # true (default), false (the path alone) or a depth
 *       exclude: ["*.bak"]
 *       category: ssh                # ssh, kubernetes, runtime, accounts, persistence, binaries
 *       oneFilesystem: true          # default: a mount point is recorded, not entered
 *       hash: sha512                 # this rule's content hash algorithm (default: the policy's)
 *       watch: true                  # watched in real time by the agent (default: all but category binaries)
 *
 * Property sets: binaries (everything but growing), config (content and permissions), logs (growth only).
 * A path governed by two rules takes the most specific one (the deepest rule path above it).
 */
import { globToRegExp } from '../host/root.js';
import { yamlLib } from '../lazy-libs.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CATEGORIES, HASH_ALGORITHMS, IntegrityError, PROPERTIES } from './types.js';
import type { Category, HashAlgorithm, Policy, Property, Rule } from './types.js';

export const PROPERTY_SETS: Readonly<Record<string, readonly Property[]>> = {
  binaries: ['type', 'sha256', 'mode', 'owner', 'group', 'size', 'inode', 'links', 'target', 'mtime', 'ctime'],
  config: ['type', 'sha256', 'mode', 'owner', 'group', 'target'],
  logs: ['type', 'growing'],
};

export interface RuleSpec {
  path: string;
  properties: string | readonly string[];
  recurse?: boolean | number;
  exclude?: readonly string[];
  category?: Category;
  oneFilesystem?: boolean;
  hash?: HashAlgorithm;
  watch?: boolean;
}

/**
 * The default policy of a Kubernetes node. Paths that do not exist on a node are simply not there (no
 * finding); merged-/usr links such as /bin -> usr/bin are recorded as links, and their targets are rules
 * of their own.
 */
export const DEFAULT_POLICY: { exclude: readonly string[]; rules: readonly RuleSpec[] } = {
  exclude: ['*.swp', '*.dpkg-tmp'],
  rules: [
    { path: '/etc/ssh', properties: 'config', category: 'ssh' },
    { path: '/etc/kubernetes', properties: 'config', category: 'kubernetes' },
    { path: '/var/lib/kubelet/config.yaml', properties: 'config', category: 'kubernetes' },
    { path: '/etc/default/kubelet', properties: 'config', category: 'kubernetes' },
    { path: '/etc/containerd', properties: 'config', category: 'runtime' },
    { path: '/etc/docker', properties: 'config', category: 'runtime' },
    { path: '/etc/crio', properties: 'config', category: 'runtime' },
    { path: '/etc/cni/net.d', properties: 'config', category: 'runtime' },
    { path: '/etc/passwd', properties: 'config', category: 'accounts' },
    { path: '/etc/shadow', properties: 'config', category: 'accounts' },
    { path: '/etc/group', properties: 'config', category: 'accounts' },
    { path: '/etc/gshadow', properties: 'config', category: 'accounts' },
    { path: '/etc/sudoers', properties: 'config', category: 'accounts' },
    { path: '/etc/sudoers.d', properties: 'config', category: 'accounts' },
    { path: '/etc/pam.d', properties: 'config', category: 'accounts' },
    { path: '/etc/security', properties: 'config', category: 'accounts' },
    { path: '/etc/ld.so.preload', properties: 'config', category: 'persistence' },
    { path: '/etc/ld.so.conf', properties: 'config', category: 'persistence' },
    { path: '/etc/ld.so.conf.d', properties: 'config', category: 'persistence' },
    { path: '/etc/crontab', properties: 'config', category: 'persistence' },
    { path: '/etc/cron.*', properties: 'config', category: 'persistence' },
    { path: '/var/spool/cron', properties: 'config', category: 'persistence' },
    { path: '/etc/systemd/system', properties: 'config', category: 'persistence' },
    { path: '/usr/lib/systemd/system', properties: 'config', category: 'persistence' },
    { path: '/lib/systemd/system', properties: 'config', category: 'persistence' },
    { path: '/etc/modules', properties: 'config', category: 'persistence' },
    { path: '/etc/modules-load.d', properties: 'config', category: 'persistence' },
    { path: '/etc/modprobe.d', properties: 'config', category: 'persistence' },
    { path: '/etc/sysctl.conf', properties: 'config', category: 'persistence' },
    { path: '/etc/sysctl.d', properties: 'config', category: 'persistence' },
    { path: '/usr/lib/modules/*/modules.*', properties: 'binaries', recurse: false, category: 'binaries' },
    { path: '/lib/modules/*/modules.*', properties: 'binaries', recurse: false, category: 'binaries' },
    { path: '/bin', properties: 'binaries', category: 'binaries' },
    { path: '/sbin', properties: 'binaries', category: 'binaries' },
    { path: '/usr/bin', properties: 'binaries', category: 'binaries' },
    { path: '/usr/sbin', properties: 'binaries', category: 'binaries' },
    { path: '/usr/local/bin', properties: 'binaries', category: 'binaries' },
    { path: '/usr/local/sbin', properties: 'binaries', category: 'binaries' },
    { path: '/opt/cni/bin', properties: 'binaries', category: 'binaries' },
  ],
};

/** Host paths no rule may name: never read (kernel interfaces, not files). */
const FORBIDDEN = ['/proc', '/sys'];
const RULE_KEYS = ['path', 'properties', 'recurse', 'exclude', 'category', 'oneFilesystem', 'hash', 'watch'];
const TOP_KEYS = ['version', 'hash', 'define', 'exclude', 'rules'];
const MAX_RULES = 10_000;

function bad(key: string, problem: string): never {
  throw new IntegrityError('policy_invalid', `${key}: ${problem}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/** Normalise an absolute host path: no trailing slash, no `.`/`..`, no doubled slashes. */
export function normalisePath(p: string, key: string): string {
  if (!p.startsWith('/')) bad(key, `must be an absolute host path, got ${show(p)}`);
  if (p.includes('\0')) bad(key, 'must not contain a NUL byte');
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') bad(key, `must not contain "..", got ${show(p)}`);
    out.push(c);
  }
  return '/' + out.join('/');
}

function globList(v: unknown, key: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === ''))
    bad(key, `must be a list of glob patterns, got ${show(v)}`);
  for (const [i, g] of (v as string[]).entries()) {
    try {
      globRegExp(g);
    } catch {
      bad(`${key}[${i}]`, `not a valid glob pattern: ${show(g)}`);
    }
  }
  return v as string[];
}

function propertyList(v: unknown, key: string, sets: Readonly<Record<string, readonly Property[]>>): Set<Property> {
  const items = typeof v === 'string' ? v.split(/[\s,+]+/).filter(Boolean) : v;
  if (!Array.isArray(items) || items.length === 0 || items.some((x) => typeof x !== 'string')) {
    bad(key, `must be a property set, a property, or a non-empty list of them, got ${show(v)}`);
  }
  const out = new Set<Property>();
  const known = `sets ${Object.keys(sets).join(', ')}; properties ${PROPERTIES.join(', ')}`;
  for (const raw of items as string[]) {
    const minus = raw.startsWith('-');
    const name = minus ? raw.slice(1) : raw;
    const props = sets[name] ?? ((PROPERTIES as readonly string[]).includes(name) ? [name as Property] : undefined);
    if (!props) bad(key, `unknown property or set ${show(name)} (expected ${known})`);
    for (const p of props) {
      if (minus) out.delete(p);
      else out.add(p);
    }
  }
  if (out.size === 0) bad(key, 'tracks no property at all');
  out.add('type');
  return out;
}

function depthOf(v: unknown, key: string): number {
  if (v === undefined || v === null || v === true) return Infinity;
  if (v === false) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1000) return v;
  return bad(key, `must be true, false or a depth from 0 to 1000, got ${show(v)}`);
}

function hashOf(v: unknown, key: string, dflt: HashAlgorithm): HashAlgorithm {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || !(HASH_ALGORITHMS as readonly string[]).includes(v))
    bad(key, `must be one of ${HASH_ALGORITHMS.join(', ')}, got ${show(v)}`);
  return v as HashAlgorithm;
}

function ruleOf(
  raw: unknown,
  key: string,
  sets: Readonly<Record<string, readonly Property[]>>,
  hash: HashAlgorithm,
): Rule {
  if (!isObj(raw)) bad(key, `must be a mapping with at least path and properties, got ${show(raw)}`);
  for (const k of Object.keys(raw))
    if (!RULE_KEYS.includes(k)) bad(`${key}.${k}`, `unknown key (expected one of: ${RULE_KEYS.join(', ')})`);
  if (typeof raw.path !== 'string' || raw.path === '')
    bad(`${key}.path`, `must be an absolute host path or glob, got ${show(raw.path)}`);
  const path = normalisePath(raw.path, `${key}.path`);
  for (const f of FORBIDDEN)
    if (path === f || path.startsWith(f + '/')) bad(`${key}.path`, `${f} is a kernel interface and is never scanned`);
  if (path.split('/').some((c) => c === '**'))
    bad(`${key}.path`, '"**" is allowed in exclude patterns, not in rule paths (use recurse)');
  if (raw.properties === undefined) bad(`${key}.properties`, `is required (a set: ${Object.keys(sets).join(', ')})`);
  const rule: Rule = {
    path,
    properties: propertyList(raw.properties, `${key}.properties`, sets),
    depth: depthOf(raw.recurse, `${key}.recurse`),
    exclude: globList(raw.exclude, `${key}.exclude`),
    oneFilesystem: true,
    hash: hashOf(raw.hash, `${key}.hash`, hash),
    watch: true,
  };
  if (raw.oneFilesystem !== undefined) {
    if (typeof raw.oneFilesystem !== 'boolean')
      bad(`${key}.oneFilesystem`, `must be true or false, got ${show(raw.oneFilesystem)}`);
    rule.oneFilesystem = raw.oneFilesystem;
  }
  if (raw.category !== undefined) {
    if (typeof raw.category !== 'string' || !(CATEGORIES as readonly string[]).includes(raw.category)) {
      bad(`${key}.category`, `must be one of ${CATEGORIES.join(', ')}, got ${show(raw.category)}`);
    }
    rule.category = raw.category as Category;
  }
  if (raw.watch !== undefined && typeof raw.watch !== 'boolean')
    bad(`${key}.watch`, `must be true or false, got ${show(raw.watch)}`);
  rule.watch = raw.watch ?? rule.category !== 'binaries';
  return rule;
}

function digestOf(rules: readonly Rule[], exclude: readonly string[]): string {
  // watch does not change what a check reports, and sha256 is left out so that the digests of policies written
  // before the hash key existed stay the same (their baselines do not see a "policy changed" note).
  const canon = JSON.stringify({
    exclude,
    rules: rules.map(({ watch: _watch, hash, ...r }) => ({
      ...r,
      ...(hash !== 'sha256' ? { hash } : {}),
      properties: [...r.properties].sort(),
      depth: r.depth === Infinity ? -1 : r.depth,
    })),
  });
  return createHash('sha256').update(canon).digest('hex');
}

/** Validate a parsed policy document (the YAML's value). Throws IntegrityError('policy_invalid') naming the key. */
export function policyFromObject(doc: unknown): Policy {
  if (!isObj(doc)) bad('(policy)', `must be a mapping with rules, got ${show(doc)}`);
  for (const k of Object.keys(doc))
    if (!TOP_KEYS.includes(k)) bad(k, `unknown key (expected one of: ${TOP_KEYS.join(', ')})`);
  if (doc.version !== undefined && doc.version !== 1) bad('version', `must be 1, got ${show(doc.version)}`);
  const sets: Record<string, readonly Property[]> = { ...PROPERTY_SETS };
  if (doc.define !== undefined && doc.define !== null) {
    if (!isObj(doc.define)) bad('define', 'must be a mapping of set name to a list of properties');
    for (const [name, v] of Object.entries(doc.define)) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) bad(`define.${name}`, 'a set name is lower case letters, digits and _');
      if ((PROPERTIES as readonly string[]).includes(name)) bad(`define.${name}`, 'is the name of a property');
      sets[name] = [...propertyList(v, `define.${name}`, sets)];
    }
  }
  const exclude = globList(doc.exclude, 'exclude');
  if (!Array.isArray(doc.rules) || doc.rules.length === 0)
    bad('rules', `must be a non-empty list of rules, got ${show(doc.rules)}`);
  if (doc.rules.length > MAX_RULES) bad('rules', `more than ${MAX_RULES} rules`);
  const hash = hashOf(doc.hash, 'hash', 'sha256');
  const rules = doc.rules.map((r, i) => ruleOf(r, `rules[${i}]`, sets, hash));
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const prev = seen.get(r.path);
    if (prev !== undefined) bad(`rules[${i}].path`, `${r.path} is already the path of rules[${prev}]`);
    seen.set(r.path, i);
  });
  return { rules, exclude, digest: digestOf(rules, exclude) };
}

/** Parse policy YAML text. `source` names the file in messages. */
export function parsePolicy(text: string, source = 'policy'): Policy {
  const doc = yamlLib().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new IntegrityError('policy_invalid', `${source}: not valid YAML${where}: ${what}`);
  }
  try {
    return policyFromObject(doc.toJS({ maxAliasCount: 100 }));
  } catch (e) {
    if (e instanceof IntegrityError) throw new IntegrityError('policy_invalid', `${source}: ${e.message}`);
    throw new IntegrityError('policy_invalid', `${source}: ${(e as Error).message}`);
  }
}

export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new IntegrityError(
      'policy_invalid',
      `${file}: cannot read the policy (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return parsePolicy(text, file);
}

export function defaultPolicy(): Policy {
  return policyFromObject({
    version: 1,
    exclude: [...DEFAULT_POLICY.exclude],
    rules: DEFAULT_POLICY.rules.map((r) => ({ ...r })),
  });
}

/** The policy of `--path P...`: each path recursively, with every property of the binaries set. */
export function pathsPolicy(paths: readonly string[], hash?: HashAlgorithm): Policy {
  return policyFromObject({
    version: 1,
    ...(hash ? { hash } : {}),
    rules: paths.map((p) => ({ path: p, properties: 'binaries' })),
  });
}

/** The policy the options name: a policy file or object, --path list, or the default policy. */
export function resolvePolicy(opts: {
  policy?: string | Policy;
  paths?: readonly string[];
  hash?: HashAlgorithm;
}): Policy {
  if (opts.policy !== undefined && opts.paths?.length)
    throw new IntegrityError('policy_invalid', 'give a policy or paths, not both');
  if (typeof opts.policy === 'string') return loadPolicyFile(opts.policy);
  if (opts.policy) return opts.policy;
  if (opts.paths?.length) return pathsPolicy(opts.paths, opts.hash);
  return defaultPolicy();
}

/** A glob as a regular expression over whole strings; `**` crosses path components. */
export function globRegExp(glob: string): RegExp {
  return globToRegExp(glob, { globstar: true });
}

/** A compiled exclusion list: absolute patterns match the path, the others its last component. */
export class Excluder {
  private readonly full: RegExp[] = [];
  private readonly base: RegExp[] = [];
  constructor(patterns: readonly string[]) {
    for (const p of patterns)
      (p.startsWith('/') ? this.full : this.base).push(
        globRegExp(p.startsWith('/') ? p.replace(/\/+$/, '') || '/' : p),
      );
  }
  get empty(): boolean {
    return this.full.length === 0 && this.base.length === 0;
  }
  matches(path: string, name: string): boolean {
    for (const r of this.base) if (r.test(name)) return true;
    for (const r of this.full) if (r.test(path)) return true;
    return false;
  }
}
