/**
 * Facts of the updates probe, independent of the package family: the Debian family (dpkg + apt)
 * and the RPM family (rpmdb + dnf cache) fill them as entries of FAMILIES (index.ts); image-based OSes
 * (Flatcar, Bottlerocket, ...) fill `image` instead.
 */
import type { Evidence } from '../../src/sdk.js';
import type { PendingUpdate } from './deb/policy.js';
import type { Pin } from './deb/preferences.js';
import type { PinEffect } from './deb/policy.js';
import type { OsRelease } from './os.js';
import type { ImageFacts } from './image.js';
import type { ComponentFact, PackageRecord } from './components.js';
import type { CacheKind } from './rpm/cache.js';
import type { RpmAutoUpdateFacts } from './rpm/automatic.js';
import type { SecurityAdvisoryMatch } from './rpm/updates.js';

export type { PendingUpdate } from './deb/policy.js';

export interface UpdatesOptions {
  /** A security archive whose Release Date is older than this means updates are not being fetched. */
  maxMetadataAgeDays: number;
  /** Held packages that are expected (kubeadm's install guide holds these), so not a finding. */
  allowedHolds: string[];
  /** Cap on one package list file as read from disk, in bytes. */
  maxListFileBytes: number;
  /** Cap on one package list once decompressed, in bytes. */
  maxListBytes: number;
}

export interface HeldPackage {
  name: string;
  arch: string;
  version: string;
  /** The update it holds back, when one is pending. */
  pending?: PendingUpdate;
  /** Host path of the record that holds it (dpkg status, dnf's versionlock.list); dpkg status when absent. */
  file?: string;
  line: number;
}

export interface SourceFact {
  /** Host path of the Release/InRelease file. */
  path: string;
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  /** Unix ms of the Release Date:, when parseable. */
  date?: number;
  dateText?: string;
  validUntil?: number;
  security: boolean;
  /** Packages lists that belong to this archive. */
  lists: number;
  problem?: string;
}

export interface RebootFacts {
  /** /run/reboot-required exists. */
  flagFile: boolean;
  /** Lines of /run/reboot-required.pkgs. */
  flagPackages: string[];
  /** Running kernel release (proc/sys/kernel/osrelease). */
  running?: string;
  runningSource?: string;
  /** Installed kernel image packages, newest first: name, release, package version. */
  kernels: { name: string; release: string; version: string }[];
  /** Why the running kernel is older than an installed one, when it is. */
  newerKernel?: string;
  /** Why the kernel comparison could not be made, when it could not. */
  kernelNote?: string;
}

export interface AutoUpdateFacts {
  /** apt.conf settings that matter, with evidence: name -> value. */
  settings: Record<string, { value: string; file: string; line: number } | undefined>;
  unattendedUpgradesInstalled: boolean;
  /** Origins-Pattern and Allowed-Origins entries. */
  origins: { value: string; file: string; line: number }[];
  /** systemd timers: enabled (a link in timers.target.wants), masked (a link to /dev/null). */
  timers: Record<string, { enabled: boolean; masked: boolean; path?: string }>;
  problems: string[];
}

/** Facts every package family fills: the checks that are not family-specific read only these. */
interface FamilyBase {
  /** Where the installed set comes from (host path). */
  database: string;
  installedCount: number;
  /** Pending updates (apt's upgradable list, held ones included; dnf check-update's list). */
  updates: PendingUpdate[];
  /** Packages held back from upgrades (dpkg hold, dnf versionlock). */
  holds: HeldPackage[];
  reboot: RebootFacts;
  /** Records of the kubelet and container runtime packages (components.ts), for the end-of-life checks. */
  componentPackages: PackageRecord[];
  problems: string[];
}

export interface DebFamilyFacts extends FamilyBase {
  family: 'deb';
  sources: SourceFact[];
  /** Packages lists found, read and failed. */
  lists: { path: string; packages: number; problem?: string; release?: string }[];
  listsDirExists: boolean;
  pins: Pin[];
  /** What the pins do: installed packages whose candidate they change, and preferences apt rejects or warns about. */
  pinPolicy: { effects: PinEffect[]; problems: string[] };
  automatic: AutoUpdateFacts;
}

/** One configured repository of an RPM host and what its dnf/yum cache holds. */
export interface RepoFact {
  id: string;
  enabled: boolean;
  priority: number;
  /** The .repo file (or dnf.conf) and line of its [section]. */
  file: string;
  line: number;
  cache?: {
    kind: CacheKind;
    /** Host path of the cached repomd.xml. */
    repomd: string;
    revision?: string;
    /** Newest <timestamp> of repomd.xml, Unix ms: when the repository metadata was generated. */
    generated?: number;
    /** mtime of the cached repomd.xml, Unix ms: when dnf last fetched it (dnf's "last metadata expiration check"). */
    fetched: number;
  };
  primary?: { path: string; packages: number; problem?: string };
  updateinfo?: { path: string; advisories: number; security: number; problem?: string };
  /** The repository has modules metadata (RHEL 8 AppStream): dnf's modular filtering is not applied. */
  modular: boolean;
  problems: string[];
}

export interface RpmFamilyFacts extends FamilyBase {
  family: 'rpm';
  /** Why the installed set is unknown (Berkeley DB, unreadable file...), when it is. */
  unreadable?: string;
  repos: RepoFact[];
  /** Cache roots that exist (/var/cache/dnf, /var/cache/libdnf5, /var/cache/yum). */
  cacheRoots: string[];
  /** `dnf updateinfo list --security`: security advisory packages newer than the installed ones. */
  advisories: SecurityAdvisoryMatch[];
  /** Package specs excluded in [main] of dnf.conf. */
  excludes: string[];
  /** dnf 4's versionlock.list as read (host path), or why it does not apply. */
  versionlock?: string;
  automatic: RpmAutoUpdateFacts;
}

export type FamilyFacts = DebFamilyFacts | RpmFamilyFacts;

export interface UpdatesFacts {
  options: UpdatesOptions;
  os: OsRelease;
  /** Minimal / container-optimised (os.ts MINIMAL_OSES), general-purpose, or unknown (no os-release). */
  osClass: { kind: 'minimal' | 'general' | 'unknown'; id?: string; name?: string; reason?: string; rolling?: boolean };
  /** Set on image-based OSes (Flatcar, Bottlerocket, ...): the image and its update state; no package family then. */
  image?: ImageFacts;
  /** Undefined when no supported package family was found. */
  family?: FamilyFacts;
  /** Why no family applies. */
  unsupported?: string;
  /** The kubelet and container runtimes found, with versions from package records or version files. */
  components: ComponentFact[];
  /** The host has Ubuntu Pro ESM Infra archives (Origin: UbuntuESM) in its package lists. */
  esm: boolean;
  now: number;
}

export type { Evidence };
