/**
 * The dnf/yum metadata cache of the enabled repositories, read without running dnf:
 *   dnf 4  <cachedir, default /var/cache/dnf>/<repoid>-<16 hex>/repodata/{repomd.xml, <hash>-primary.xml.gz, ...}
 *   dnf 5  /var/cache/libdnf5/<repoid>-<16 hex>/repodata/...
 *   yum 3  /var/cache/yum/<basearch>/<releasever>/<repoid>/{repomd.xml, <hash>-primary...}
 * The hex suffix is a hash of the repository's URLs, so a repository whose baseurl changed has several
 * directories: the one with the newest repomd.xml is the one dnf uses. repomd.xml names the primary and
 * updateinfo files; they are read with the size caps of the options, decoded by their suffix (compress.ts)
 * and parsed keeping only the installed names (metadata.ts). zchunk (.zck, Fedora) and bzip2 (yum's sqlite
 * files) have no decoder here: such a repository is reported, not guessed.
 */
import path from 'node:path';
import type { HostRoot } from '../../../src/sdk.js';
import { compressionOf, decode } from '../compress.js';
import { parsePrimary, parseRepomd, parseUpdateinfo } from './metadata.js';
import type { Advisory, Repomd, RpmNevra } from './metadata.js';
import type { MainConf, RepoConf } from './repos.js';

export const DNF_CACHE = '/var/cache/dnf';
export const DNF5_CACHE = '/var/cache/libdnf5';
export const YUM_CACHE = '/var/cache/yum';
const REPOMD_MAX = 4 * 1024 * 1024;

export type CacheKind = 'dnf' | 'dnf5' | 'yum';

export interface CacheDir {
  kind: CacheKind;
  repoId: string;
  /** Host path of the directory holding repomd.xml. */
  repodata: string;
  repomdPath: string;
  repomdMtime: number;
}

/** Every cache directory with a repomd.xml, by repository id. */
export async function findCacheDirs(
  host: HostRoot,
  main: MainConf,
): Promise<{ dirs: Map<string, CacheDir[]>; roots: string[] }> {
  const dirs = new Map<string, CacheDir[]>();
  const roots: string[] = [];
  const add = async (kind: CacheKind, repoId: string, repodata: string) => {
    const repomdPath = `${repodata}/repomd.xml`;
    const st = await host.stat(repomdPath);
    if (!st.ok || st.type !== 'file') return;
    const list = dirs.get(repoId) ?? [];
    list.push({ kind, repoId, repodata, repomdPath, repomdMtime: st.mtimeMs });
    dirs.set(repoId, list);
  };
  const hashed = async (kind: CacheKind, root: string) => {
    const d = await host.readDir(root);
    if (!d.ok) return;
    roots.push(root);
    for (const e of d.entries) {
      const m = /^(.+)-([0-9a-f]{16})$/.exec(e.name);
      if (m && e.type === 'directory') await add(kind, m[1]!, `${e.path}/repodata`);
    }
  };
  const dnfRoot = main.cachedir && !main.cachedir.includes('$') ? path.posix.normalize(main.cachedir) : DNF_CACHE;
  await hashed('dnf', dnfRoot);
  await hashed('dnf5', DNF5_CACHE);
  const yum = await host.readDir(YUM_CACHE);
  if (yum.ok) {
    roots.push(YUM_CACHE);
    for (const arch of yum.entries.filter((e) => e.type === 'directory')) {
      const rel = await host.readDir(arch.path);
      if (!rel.ok) continue;
      for (const ver of rel.entries.filter((e) => e.type === 'directory')) {
        const repos = await host.readDir(ver.path);
        if (!repos.ok) continue;
        for (const r of repos.entries) if (r.type === 'directory') await add('yum', r.name, r.path);
      }
    }
  }
  return { dirs, roots };
}

export interface MetadataFile {
  path: string;
  problem?: string;
}

export interface RepoCache {
  dir: CacheDir;
  repomd?: Repomd;
  primary?: MetadataFile & { total: number; packages: RpmNevra[] };
  updateinfo?: MetadataFile & { total: number; advisories: Advisory[] };
  problems: string[];
}

export interface ReadLimits {
  maxFileBytes: number;
  maxDecodedBytes: number;
}

async function readDecoded(
  host: HostRoot,
  file: string,
  limits: ReadLimits,
): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  if (file.endsWith('.zck')) return { ok: false, reason: 'zchunk-compressed (.zck): no zchunk decoder here' };
  if (file.endsWith('.bz2')) return { ok: false, reason: 'bzip2-compressed: no bzip2 decoder here' };
  if (file.endsWith('.sqlite') || file.endsWith('.sqlite.bz2') || file.endsWith('.sqlite.xz'))
    return { ok: false, reason: 'an sqlite metadata database, not XML' };
  const r = await host.readBytes(file, { maxBytes: limits.maxFileBytes });
  if (!r.ok) return { ok: false, reason: `${r.code.replace(/_/g, ' ')} (${r.reason})` };
  return decode(r.bytes, compressionOf(file), limits.maxDecodedBytes);
}

/** The cached file for one repomd <data type>, preferring plain XML over zchunk. */
async function metadataPath(
  host: HostRoot,
  dir: CacheDir,
  repomd: Repomd,
  types: readonly string[],
): Promise<{ path?: string; missing?: string }> {
  const hrefs = types.flatMap((t) => repomd.data.filter((d) => d.type === t));
  if (hrefs.length === 0) return {};
  for (const d of hrefs) {
    const p = `${dir.repodata}/${path.posix.basename(d.href)}`;
    const st = await host.stat(p);
    if (st.ok && st.type === 'file') return { path: p };
  }
  return { missing: `${dir.repodata}/${path.posix.basename(hrefs[0]!.href)}` };
}

/** Read repomd.xml, primary and updateinfo of one cached repository. */
export async function readRepoCache(
  host: HostRoot,
  dir: CacheDir,
  keep: (name: string) => boolean,
  limits: ReadLimits,
): Promise<RepoCache> {
  const out: RepoCache = { dir, problems: [] };
  const rm = await host.readBytes(dir.repomdPath, { maxBytes: REPOMD_MAX });
  if (!rm.ok) {
    out.problems.push(`${dir.repomdPath}: ${rm.code.replace(/_/g, ' ')}`);
    return out;
  }
  const parsed = parseRepomd(rm.bytes);
  if (!parsed.ok) {
    out.problems.push(`${dir.repomdPath}: ${parsed.reason}`);
    return out;
  }
  out.repomd = parsed.repomd;
  const prim = await metadataPath(host, dir, parsed.repomd, ['primary', 'primary_zck']);
  if (prim.path) {
    const d = await readDecoded(host, prim.path, limits);
    if (!d.ok) out.primary = { path: prim.path, problem: d.reason, total: 0, packages: [] };
    else {
      const p = parsePrimary(d.bytes, { keep });
      out.primary = p.ok
        ? { path: prim.path, total: p.total, packages: p.packages }
        : { path: prim.path, problem: p.reason, total: 0, packages: [] };
      if (p.ok) out.problems.push(...p.problems.map((x) => `${prim.path}: ${x}`));
    }
  } else {
    out.problems.push(
      prim.missing
        ? `${prim.missing}: named by repomd.xml but not in the cache`
        : `${dir.repomdPath} names no primary metadata`,
    );
  }
  const ui = await metadataPath(host, dir, parsed.repomd, ['updateinfo', 'updateinfo_zck']);
  if (ui.path) {
    const d = await readDecoded(host, ui.path, limits);
    if (!d.ok) out.updateinfo = { path: ui.path, problem: d.reason, total: 0, advisories: [] };
    else {
      const u = parseUpdateinfo(d.bytes, { keep });
      out.updateinfo = u.ok
        ? { path: ui.path, total: u.total, advisories: u.advisories }
        : { path: ui.path, problem: u.reason, total: 0, advisories: [] };
      if (u.ok) out.problems.push(...u.problems.map((x) => `${ui.path}: ${x}`));
    }
  } else if (ui.missing) out.problems.push(`${ui.missing}: named by repomd.xml but not in the cache`);
  return out;
}

/** The cache directory dnf uses for a repository: the one with the newest repomd.xml. */
export function pickCacheDir(candidates: readonly CacheDir[] | undefined): CacheDir | undefined {
  if (!candidates?.length) return undefined;
  return [...candidates].sort((a, b) => b.repomdMtime - a.repomdMtime)[0];
}

export type { RepoConf };
