/**
 * The RPM family (RHEL, Fedora, Amazon Linux, Rocky, Alma): the installed set from the rpm database
 * (rpmdb.ts); pending and security updates from the dnf/yum metadata cache of the enabled repositories
 * (repos.ts, cache.ts, metadata.ts) with dnf's upgrade and advisory semantics (updates.ts); reboot required
 * with needs-restarting -r semantics (the running kernel against the newest installed kernel package);
 * automatic updates (automatic.ts); the kubelet and runtime package records for the end-of-life checks.
 * Never runs rpm or dnf: with no cache, the update checks say "unknown" and why.
 */
import os from 'node:os';
import type { HostRoot, ProbeContext } from '../../../src/sdk.js';
import type { RebootFacts, RepoFact, RpmFamilyFacts, UpdatesOptions } from '../types.js';
import { componentRecords } from '../components.js';
import { locateRpmDb, readRpmDb } from './rpmdb.js';
import type { RpmPackage } from './rpmdb.js';
import { compareEvr, formatEvr, rpmvercmp } from './vercmp.js';
import { DEFAULT_REPOS_DIRS, DNF_CONF, YUM_CONF, parseMainConf, parseRepoFile, specMatcher } from './repos.js';
import type { MainConf, RepoConf } from './repos.js';
import { findCacheDirs, pickCacheDir, readRepoCache } from './cache.js';
import { computeRpmUpdates } from './updates.js';
import type { AvailablePackage, RepoAdvisory } from './updates.js';
import { gatherRpmAutomatic } from './automatic.js';
import { lockMatcher, readVersionlock } from './versionlock.js';
import type { HeldPackage } from '../types.js';
import type { PendingUpdate } from '../deb/policy.js';

export const KERNEL_PACKAGES = ['kernel-core', 'kernel', 'kernel-rt-core', 'kernel-64k-core'] as const;

/** Installed kernels as uname -r names them (version-release.arch), newest first. */
export function rpmKernels(pkgs: readonly RpmPackage[]): RebootFacts['kernels'] {
  const names = new Set<string>(KERNEL_PACKAGES);
  const ks = pkgs.filter((p) => names.has(p.name) && p.arch);
  // kernel-core and kernel both exist on Fedora/RHEL 8+: one entry per release
  const byRelease = new Map<string, RpmPackage>();
  for (const k of ks) {
    const rel = `${k.version}-${k.release}.${k.arch}`;
    const cur = byRelease.get(rel);
    if (!cur || (cur.name === 'kernel' && k.name !== 'kernel')) byRelease.set(rel, k);
  }
  return [...byRelease.entries()]
    .sort((a, b) => compareEvr(b[1], a[1]))
    .map(([release, p]) => ({ name: p.name, release, version: formatEvr(p) }));
}

/** needs-restarting -r: a reboot is needed when a kernel newer than the running one is installed. */
export function compareRpmKernels(
  running: string | undefined,
  kernels: RebootFacts['kernels'],
): Pick<RebootFacts, 'newerKernel' | 'kernelNote'> {
  if (!running) return { kernelNote: 'the running kernel release is unknown' };
  const newest = kernels[0];
  if (!newest) return { kernelNote: `no kernel package is installed (kernel ${running} is managed outside rpm)` };
  if (newest.release === running) return {};
  const mine = kernels.find((k) => k.release === running);
  if (mine) return { newerKernel: `${newest.name} ${newest.version} is installed, newer than the running ${running}` };
  if (rpmvercmp(newest.release, running) > 0)
    return {
      newerKernel: `${newest.name} ${newest.version} is installed, newer than the running ${running} (which has no installed package)`,
    };
  return { kernelNote: `the running kernel ${running} has no installed kernel package` };
}

export async function isRpmFamily(host: HostRoot): Promise<boolean> {
  return (await locateRpmDb(host)) !== undefined;
}

/** [main] of dnf.conf (or yum.conf) and every repository of the repository directories, first definition kept. */
export async function readRepoConfig(
  host: HostRoot,
): Promise<{ main: MainConf; repos: RepoConf[]; problems: string[] }> {
  let main: MainConf = { excludes: [], problems: [] };
  const repos: RepoConf[] = [];
  const problems: string[] = [];
  for (const f of [DNF_CONF, YUM_CONF]) {
    const t = await host.readText(f, { maxBytes: 1024 * 1024 });
    if (!t.ok) continue;
    const r = parseMainConf(t.text, f);
    main = r.main;
    repos.push(...r.repos);
    problems.push(...r.main.problems.slice(0, 10));
    break;
  }
  const files: string[] = [];
  for (const dir of main.reposdir ?? DEFAULT_REPOS_DIRS) {
    const d = await host.readDir(dir);
    if (d.ok) for (const e of d.entries) if (e.name.endsWith('.repo') && e.type !== 'directory') files.push(e.path);
  }
  // dnf's order: all files together, by path without ".repo", component by component
  const key = (f: string) => f.slice(0, -'.repo'.length).split('/');
  files.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return ka.length - kb.length;
  });
  for (const file of files) {
    const t = await host.readText(file, { maxBytes: 1024 * 1024 });
    if (!t.ok) {
      problems.push(`${file}: ${t.code.replace(/_/g, ' ')}`);
      continue;
    }
    const r = parseRepoFile(t.text, file);
    problems.push(...r.problems.slice(0, 10));
    for (const repo of r.repos) {
      const first = repos.find((x) => x.id === repo.id);
      if (first)
        problems.push(
          `${repo.file}:${repo.line}: repository ${repo.id} is already defined in ${first.file}:${first.line} (ignored, as dnf does)`,
        );
      else repos.push(repo);
    }
  }
  return { main, repos, problems };
}

async function runningKernel(ctx: ProbeContext): Promise<Pick<RebootFacts, 'running' | 'runningSource'>> {
  const rel = await ctx.host.readText('/proc/sys/kernel/osrelease', { maxBytes: 4096 });
  if (rel.ok && rel.text.trim()) return { running: rel.text.trim(), runningSource: '/proc/sys/kernel/osrelease' };
  if (ctx.host.isHostRoot) return { running: os.release(), runningSource: 'uname' };
  return {};
}

export async function gatherRpm(ctx: ProbeContext<UpdatesOptions>): Promise<RpmFamilyFacts> {
  const { host, options } = ctx;
  const loc = await locateRpmDb(host);
  if (!loc) throw new Error('no rpm database');
  const db = await readRpmDb(host, loc);
  const pkgs: RpmPackage[] = db.ok ? db.packages : [];
  const problems: string[] = db.ok ? [...db.problems] : [db.reason];
  const reboot: RebootFacts = {
    flagFile: false,
    flagPackages: [],
    kernels: rpmKernels(pkgs),
    ...(await runningKernel(ctx)),
  };
  if (db.ok) Object.assign(reboot, compareRpmKernels(reboot.running, reboot.kernels));
  else reboot.kernelNote = db.reason;

  const names = new Set(pkgs.map((p) => p.name));
  const conf = await readRepoConfig(host);
  problems.push(...conf.problems);
  const cached = await readRepoCaches(host, conf, names, options);
  const computed = db.ok
    ? computeRpmUpdates(pkgs, cached.available, cached.advisories, reboot.running)
    : { updates: [], advisories: [] };
  const automatic = await gatherRpmAutomatic(host, names);
  problems.push(...automatic.problems);
  const vl = await readVersionlock(host);
  problems.push(...vl.problems);
  return {
    family: 'rpm',
    database: loc.path,
    ...(db.ok ? {} : { unreadable: db.reason }),
    installedCount: pkgs.length,
    updates: computed.updates,
    advisories: computed.advisories,
    repos: cached.repos,
    cacheRoots: cached.cacheRoots,
    excludes: conf.main.excludes,
    versionlock: vl.note,
    holds: versionlockHolds(pkgs, computed.updates, vl),
    reboot,
    automatic,
    componentPackages: componentRecords(
      pkgs.map((p) => ({ name: p.name, version: formatEvr(p), arch: p.arch ?? 'noarch' })),
      loc.path,
    ),
    problems,
  };
}

interface RepoCaches {
  repos: RepoFact[];
  available: AvailablePackage[];
  advisories: RepoAdvisory[];
  cacheRoots: RpmFamilyFacts['cacheRoots'];
}

/** Every configured repository with what its metadata cache offers (only packages named in `names` are kept). */
async function readRepoCaches(
  host: HostRoot,
  conf: { main: MainConf; repos: RepoConf[] },
  names: ReadonlySet<string>,
  options: UpdatesOptions,
): Promise<RepoCaches> {
  const cacheDirs = await findCacheDirs(host, conf.main);
  const limits = { maxFileBytes: options.maxListFileBytes, maxDecodedBytes: options.maxListBytes };
  const out: RepoCaches = { repos: [], available: [], advisories: [], cacheRoots: cacheDirs.roots };
  // Repositories are read concurrently (decompression runs on the thread pool); results are used in config order.
  const caches = await Promise.all(
    conf.repos.map((rc) => {
      const dir = rc.enabled ? pickCacheDir(cacheDirs.dirs.get(rc.id)) : undefined;
      // Nothing is kept when the installed set is unknown: the cache is still read for its dates and problems.
      return dir ? readRepoCache(host, dir, (n) => names.has(n), limits) : Promise.resolve(undefined);
    }),
  );
  const mainExcluded = specMatcher(conf.main.excludes);
  conf.repos.forEach((rc, i) => out.repos.push(repoFact(rc, caches[i], mainExcluded, out)));
  return out;
}

type RepoCache = NonNullable<Awaited<ReturnType<typeof readRepoCache>>>;

/** One repository's fact; its packages (after the excludes) and advisories go to `out`. */
function repoFact(
  rc: RepoConf,
  cache: RepoCache | undefined,
  mainExcluded: ReturnType<typeof specMatcher>,
  out: Pick<RepoCaches, 'available' | 'advisories'>,
): RepoFact {
  const fact: RepoFact = {
    id: rc.id,
    enabled: rc.enabled,
    priority: rc.priority,
    file: rc.file,
    line: rc.line,
    modular: false,
    problems: [],
  };
  if (!cache) return fact;
  const dir = cache.dir;
  fact.problems.push(...cache.problems.slice(0, 10));
  fact.cache = { kind: dir.kind, repomd: dir.repomdPath, fetched: dir.repomdMtime };
  if (cache.repomd?.revision) fact.cache.revision = cache.repomd.revision;
  if (cache.repomd?.newestTimestamp !== undefined) fact.cache.generated = cache.repomd.newestTimestamp * 1000;
  fact.modular = cache.repomd?.data.some((d) => d.type === 'modules') ?? false;
  const repoExcluded = specMatcher(rc.excludes);
  const included = rc.includes.length ? specMatcher(rc.includes) : () => true;
  if (cache.primary) {
    fact.primary = {
      path: cache.primary.path,
      packages: cache.primary.total,
      ...(cache.primary.problem ? { problem: cache.primary.problem } : {}),
    };
    for (const p of cache.primary.packages) {
      if (mainExcluded(p.name, p.arch) || repoExcluded(p.name, p.arch) || !included(p.name, p.arch)) continue;
      out.available.push({ ...p, repo: rc.id, priority: rc.priority, file: cache.primary.path });
    }
  }
  if (cache.updateinfo) {
    const u = cache.updateinfo;
    fact.updateinfo = {
      path: u.path,
      advisories: u.total,
      security: u.advisories.filter((a) => a.type === 'security').length,
      ...(u.problem ? { problem: u.problem } : {}),
    };
    for (const a of u.advisories) out.advisories.push({ ...a, repo: rc.id, file: u.path });
  }
  return fact;
}

/** Installed packages the versionlock list locks, each with its pending update (marked held). */
function versionlockHolds(
  pkgs: readonly RpmPackage[],
  updates: readonly PendingUpdate[],
  vl: Awaited<ReturnType<typeof readVersionlock>>,
): HeldPackage[] {
  const locked = lockMatcher(vl.locks);
  const byKey = new Map(updates.map((u) => [`${u.name}\0${u.arch}`, u]));
  const holds: HeldPackage[] = [];
  for (const p of pkgs) {
    const l = p.arch ? locked(p.name) : undefined;
    if (!l || !p.arch) continue;
    const pending = byKey.get(`${p.name}\0${p.arch}`) ?? updates.find((u) => u.name === p.name);
    if (pending) pending.held = true;
    holds.push({
      name: p.name,
      arch: p.arch,
      version: formatEvr(p),
      file: vl.file ?? '',
      line: l.line,
      ...(pending ? { pending } : {}),
    });
  }
  return holds;
}
