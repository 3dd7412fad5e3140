/**
 * apt's candidate selection (apt-pkg/policy.cc GetCandidateVer) without pins, and security classification.
 *
 * Priorities of package files: 500 by default; 1 for an archive whose Release says NotAutomatic: yes; 100
 * when it also says ButAutomaticUpgrades: yes (backports); 990 for the archive named by APT::Default-Release;
 * the dpkg status file is 100 and counts only for the installed version. A version's priority is the highest
 * of the files it is in. Walking versions from newest to oldest, a strictly higher priority takes the
 * candidate; at the installed version the walk stops (apt raises the bar to 999 to forbid downgrades).
 * So the candidate is the newest version of the highest priority among those >= the installed one.
 *
 * Security: a release is a security archive by SECURITY_ARCHIVES (data, with the reason). An update is a
 * security update when its candidate is in a security archive, or when a security archive has a version
 * newer than the installed one that a higher candidate (from -updates, say) masks (Ubuntu's apt_check.py).
 */
import { compareVersions } from './version.js';
import type { InstalledPackage } from './dpkg-status.js';
import type { AptList, ReleaseFile } from './lists.js';
import type { ReleaseInfo } from './release.js';

export const PRIORITY = { default: 500, notAutomatic: 1, butAutomaticUpgrades: 100, status: 100, defaultRelease: 990 } as const;

/** How a Release is recognised as a security archive: one line per rule, with where it comes from. */
export const SECURITY_ARCHIVES: readonly { id: string; reason: string; test: (r: ReleaseInfo) => boolean }[] = [
  { id: 'debian_security_label', reason: 'Debian security archive (Label: Debian-Security)', test: (r) => r.label === 'Debian-Security' },
  { id: 'security_suite', reason: 'Suite or Codename ends in -security (Debian, Ubuntu <codename>-security pocket)', test: (r) => /-security$/.test(r.suite ?? '') || /-security$/.test(r.codename ?? '') },
  { id: 'ubuntu_esm_infra', reason: 'Ubuntu Pro ESM Infra (Origin: UbuntuESM, <codename>-infra-security)', test: (r) => r.origin === 'UbuntuESM' && /-infra-security$/.test(r.suite ?? r.codename ?? '') },
  { id: 'ubuntu_esm_apps', reason: 'Ubuntu Pro ESM Apps (Origin: UbuntuESMApps, <codename>-apps-security)', test: (r) => r.origin === 'UbuntuESMApps' && /-apps-security$/.test(r.suite ?? r.codename ?? '') },
];

export function securityRule(r: ReleaseInfo | undefined): string | undefined {
  if (!r) return undefined;
  return SECURITY_ARCHIVES.find((s) => s.test(r))?.id;
}

export function filePriority(rel: ReleaseInfo | undefined, defaultRelease?: string): number {
  if (!rel) return PRIORITY.default;
  if (defaultRelease && (rel.suite === defaultRelease || rel.codename === defaultRelease)) return PRIORITY.defaultRelease;
  if (rel.notAutomatic) return rel.butAutomaticUpgrades ? PRIORITY.butAutomaticUpgrades : PRIORITY.notAutomatic;
  return PRIORITY.default;
}

export interface SourceRef {
  /** Host path of the Packages list. */
  list: string;
  release?: ReleaseFile;
  priority: number;
  security: boolean;
}

export interface PendingUpdate {
  name: string;
  arch: string;
  installed: string;
  candidate: string;
  /** Archives (Suite, else Codename) the candidate is in, as `apt list` shows them. */
  archives: string[];
  /** The candidate is in a security archive (what `apt list` shows as -security). */
  candidateSecurity: boolean;
  /** A security archive has a version newer than installed that the candidate masks; that version. */
  maskedSecurity?: string;
  security: boolean;
  held: boolean;
  /** Phased-Update-Percentage of the candidate (Ubuntu), when below 100. */
  phased?: number;
  /** Host path of a list holding the candidate (evidence; the primary metadata file on RPM hosts). */
  list: string;
  /** RPM: the security advisories the candidate fixes (updateinfo id and severity), most severe first. */
  advisories?: { id: string; severity?: string }[];
}

interface Avail {
  version: string;
  sources: SourceRef[];
  phased?: number;
}

export interface PolicyOptions {
  defaultRelease?: string;
}

/** Compute pending updates for the installed set from the lists. */
export function computeUpdates(installed: readonly InstalledPackage[], lists: readonly AptList[], opts: PolicyOptions = {}): PendingUpdate[] {
  const byKey = new Map<string, Map<string, Avail>>();
  for (const l of lists) {
    const rel = l.release?.info;
    const src: SourceRef = { list: l.path, priority: filePriority(rel, opts.defaultRelease), security: securityRule(rel) !== undefined };
    if (l.release) src.release = l.release;
    for (const e of l.entries) {
      const key = e.name + '\0' + e.arch;
      let versions = byKey.get(key);
      if (!versions) byKey.set(key, (versions = new Map()));
      const a = versions.get(e.version);
      if (a) {
        a.sources.push(src);
        if (e.phased !== undefined) a.phased = e.phased;
      } else versions.set(e.version, e.phased !== undefined ? { version: e.version, sources: [src], phased: e.phased } : { version: e.version, sources: [src] });
    }
  }
  const out: PendingUpdate[] = [];
  for (const p of installed) {
    const versions = byKey.get(p.name + '\0' + p.arch);
    if (!versions) continue;
    const sorted = [...versions.values()].sort((a, b) => compareVersions(b.version, a.version));
    let max = 0;
    let pref: Avail | undefined;
    for (const v of sorted) {
      const cmp = compareVersions(v.version, p.version);
      if (cmp < 0) break; // below the installed version: never a candidate without a pin >= 1000
      const isInstalled = cmp === 0;
      let prio = Math.max(...v.sources.map((s) => s.priority));
      if (isInstalled) prio = Math.max(prio, PRIORITY.status);
      if (prio > max) {
        max = prio;
        pref = v;
      }
      if (isInstalled) break;
    }
    if (!pref || compareVersions(pref.version, p.version) <= 0) continue;
    const candidateSecurity = pref.sources.some((s) => s.security);
    const u: PendingUpdate = {
      name: p.name,
      arch: p.arch,
      installed: p.version,
      candidate: pref.version,
      archives: [...new Set(pref.sources.map((s) => s.release?.info?.suite ?? s.release?.info?.codename ?? 'now'))],
      candidateSecurity,
      security: candidateSecurity,
      held: p.held,
      list: (pref.sources.find((s) => s.security) ?? pref.sources[0]!).list,
    };
    if (!candidateSecurity) {
      const masked = sorted.find((v) => v !== pref && compareVersions(v.version, p.version) > 0 && compareVersions(v.version, pref.version) < 0 && v.sources.some((s) => s.security));
      if (masked) {
        u.maskedSecurity = masked.version;
        u.security = true;
      }
    }
    if (pref.phased !== undefined && pref.phased < 100) u.phased = pref.phased;
    out.push(u);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0));
}
