/**
 * Pending and security updates with dnf's semantics (dnf 4 / libdnf), from the installed set and the cached
 * repository metadata:
 * - an available package upgrades the installed packages of the same name whose arch is the same or where
 *   either side is noarch (libdnf what_upgrades), when every one of them has a lower EVR; src/nosrc never;
 * - among repositories offering a name, only those of the best (lowest) priority count
 *   (upgrades_by_priority);
 * - `dnf check-update` lists the newest such upgrade per name.arch (query.latest()); excludes from dnf.conf
 *   and the repository (excludepkgs, includepkgs) are applied before;
 * - security (`dnf check-update --security`): the upgrade is >= a package of a type="security" advisory of
 *   the same name and arch that is newer than the installed one;
 * - advisories (`dnf updateinfo list --security`): security advisory packages newer than the newest
 *   installed package of the same name and arch, or than the running kernel's packages.
 * Modular filtering (RHEL 8 AppStream modules.yaml) and obsoletes are not applied; the result says so when a
 * repository has module metadata.
 */
import type { PendingUpdate } from '../deb/policy.js';
import type { RpmNevra, Advisory } from './metadata.js';
import { compareEvr, formatEvr } from './vercmp.js';

export interface AvailablePackage extends RpmNevra {
  repo: string;
  priority: number;
  /** Host path of the primary file (evidence). */
  file: string;
}

export interface InstalledRpm {
  name: string;
  arch?: string;
  epoch?: number;
  version: string;
  release: string;
}

export interface RepoAdvisory extends Advisory {
  repo: string;
  file: string;
}

export interface SecurityAdvisoryMatch {
  id: string;
  severity?: string;
  issued?: string;
  /** The advisory package, name-[epoch:]version-release.arch as dnf prints it. */
  nevra: string;
  name: string;
  arch: string;
  /** Installed EVR it is newer than. */
  installed: string;
  repo: string;
  file: string;
}

export interface RpmUpdatesResult {
  updates: PendingUpdate[];
  advisories: SecurityAdvisoryMatch[];
}

const SEVERITY_RANK: Record<string, number> = { critical: 4, important: 3, moderate: 2, low: 1 };
export const severityRank = (s: string | undefined) => SEVERITY_RANK[(s ?? '').toLowerCase()] ?? 0;

const archOk = (installedArch: string, availArch: string) =>
  installedArch === availArch || installedArch === 'noarch' || availArch === 'noarch';

export const nevraText = (p: RpmNevra) => `${p.name}-${formatEvr(p)}.${p.arch}`;

function byNameArch<T extends { name: string; arch?: string }>(xs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = `${x.name}\0${x.arch}`;
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}

type Installed = InstalledRpm & { arch: string };
type Upgrade = { pkg: AvailablePackage; over: Installed; repos: Set<string> };
type SecurityPackages = Map<string, { adv: RepoAdvisory; pkg: RpmNevra }[]>;

export function computeRpmUpdates(
  installedAll: readonly InstalledRpm[],
  available: readonly AvailablePackage[],
  advisories: readonly RepoAdvisory[],
  runningKernel?: string,
): RpmUpdatesResult {
  const installed = installedAll.filter((p): p is Installed => !!p.arch && p.name !== 'gpg-pubkey');
  const newest = newestUpgrades(installed, available);
  const secPkgs = securityPackages(advisories);
  const latestInstalled = latestInstalledOf(installed, runningKernel);
  const updates = [...newest].map(([key, u]) => pendingUpdate(key, u, secPkgs, latestInstalled));
  updates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0));
  return { updates, advisories: advisoryMatches(secPkgs, latestInstalled) };
}

/** The newest upgrade per name.arch among the best-priority repositories (upgrades_by_priority, latest()). */
function newestUpgrades(installed: readonly Installed[], available: readonly AvailablePackage[]): Map<string, Upgrade> {
  const instByName = new Map<string, Installed[]>();
  for (const p of installed) {
    const l = instByName.get(p.name);
    if (l) l.push(p);
    else instByName.set(p.name, [p]);
  }
  // upgrades_by_priority: per name, only the best-priority repositories
  const bestPrio = new Map<string, number>();
  for (const a of available) {
    if (!instByName.has(a.name) || a.arch === 'src' || a.arch === 'nosrc') continue;
    const b = bestPrio.get(a.name);
    if (b === undefined || a.priority < b) bestPrio.set(a.name, a.priority);
  }
  const newest = new Map<string, Upgrade>();
  for (const a of available) {
    if (a.arch === 'src' || a.arch === 'nosrc' || bestPrio.get(a.name) !== a.priority) continue;
    const matching = (instByName.get(a.name) ?? []).filter((i) => archOk(i.arch, a.arch));
    if (matching.length === 0 || matching.some((i) => compareEvr(i, a) >= 0)) continue;
    const over = matching.reduce((x, y) => (compareEvr(y, x) > 0 ? y : x));
    const key = `${a.name}\0${a.arch}`;
    const cur = newest.get(key);
    const c = cur ? compareEvr(a, cur.pkg) : 1;
    if (!cur || c > 0) newest.set(key, { pkg: a, over, repos: new Set([a.repo]) });
    else if (c === 0) cur.repos.add(a.repo);
  }
  return newest;
}

/** The packages of security advisories, by name.arch. */
function securityPackages(advisories: readonly RepoAdvisory[]): SecurityPackages {
  const secPkgs: SecurityPackages = new Map();
  for (const adv of advisories.filter((a) => a.type === 'security')) {
    for (const p of adv.packages) {
      const k = `${p.name}\0${p.arch}`;
      const l = secPkgs.get(k);
      if (l) l.push({ adv, pkg: p });
      else secPkgs.set(k, [{ adv, pkg: p }]);
    }
  }
  return secPkgs;
}

/** The newest installed per name.arch (query.installed().latest()), plus the running kernel's packages. */
function latestInstalledOf(installed: readonly Installed[], runningKernel?: string): Map<string, Installed[]> {
  const latestInstalled = new Map<string, Installed[]>();
  for (const [k, ps] of byNameArch(installed)) {
    const top = ps.reduce((x, y) => (compareEvr(y, x) > 0 ? y : x));
    const keep = [top];
    if (runningKernel)
      for (const p of ps) if (p !== top && `${p.version}-${p.release}.${p.arch}` === runningKernel) keep.push(p);
    latestInstalled.set(k, keep);
  }
  return latestInstalled;
}

function pendingUpdate(
  key: string,
  u: Upgrade,
  secPkgs: SecurityPackages,
  latestInstalled: ReadonlyMap<string, Installed[]>,
): PendingUpdate {
  const inst = latestInstalled.get(`${u.over.name}\0${u.pkg.arch}`)?.[0] ?? u.over;
  const fixes = (secPkgs.get(key) ?? []).filter((s) => compareEvr(s.pkg, inst) > 0 && compareEvr(u.pkg, s.pkg) >= 0);
  const sec = fixes.length > 0;
  const pu: PendingUpdate = {
    name: u.pkg.name,
    arch: u.pkg.arch,
    installed: formatEvr(u.over),
    candidate: formatEvr(u.pkg),
    archives: [...u.repos].sort(),
    candidateSecurity: sec,
    security: sec,
    held: false,
    list: u.pkg.file,
  };
  if (sec) {
    const ids = [...new Map(fixes.map((f) => [f.adv.id, f.adv])).values()].sort(
      (a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.id < b.id ? -1 : 1),
    );
    pu.advisories = ids.map((a) => ({ id: a.id, ...(a.severity ? { severity: a.severity } : {}) }));
  }
  return pu;
}

/** `dnf updateinfo list --security`: advisory packages newer than the newest installed of their name.arch. */
function advisoryMatches(
  secPkgs: SecurityPackages,
  latestInstalled: ReadonlyMap<string, Installed[]>,
): SecurityAdvisoryMatch[] {
  const matches = new Map<string, SecurityAdvisoryMatch>();
  for (const [k, list] of secPkgs) {
    for (const inst of latestInstalled.get(k) ?? []) {
      for (const { adv, pkg } of list) {
        if (compareEvr(pkg, inst) <= 0) continue;
        const nevra = nevraText(pkg);
        const id = `${adv.id}\0${nevra}`;
        if (matches.has(id)) continue;
        matches.set(id, {
          id: adv.id,
          ...(adv.severity ? { severity: adv.severity } : {}),
          ...(adv.issued ? { issued: adv.issued } : {}),
          nevra,
          name: pkg.name,
          arch: pkg.arch,
          installed: formatEvr(inst),
          repo: adv.repo,
          file: adv.file,
        });
      }
    }
  }
  return [...matches.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.nevra < b.nevra ? -1 : 1));
}
