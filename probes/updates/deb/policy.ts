/**
 * apt's candidate selection with pins (apt-pkg/policy.cc and versionmatch.cc of apt 2.x), and security
 * classification.
 *
 * Package files (each Packages list, and the dpkg status) have a priority: 500 by default, 100 for the
 * status file and for a Release saying ButAutomaticUpgrades: yes, 1 for NotAutomatic: yes. Generic pins
 * ("Package: *", and APT::Default-Release as a first release pin of 990) then set file priorities: the
 * first generic pin matching a file wins, except that "never" overrides and cannot be overridden. Specific
 * pins (named, glob or /regex/ packages) attach to versions: the first matching pin wins per version, and
 * gives that version its priority unless every file holding it is "never". Otherwise a version's priority is
 * the highest of its files. The candidate is found walking versions newest first: a version takes it when
 * its priority is not 0 and is strictly higher than the current candidate's (starting from -1, so negative
 * priorities never win), and it is not older than the installed version unless its priority is >= 1000.
 *
 * Security: a release is a security archive by SECURITY_ARCHIVES (data, with the reason). An update is a
 * security update when its candidate is in a security archive, or when a security archive has a version
 * newer than the installed one that a higher candidate (from -updates, say) masks (Ubuntu's apt_check.py).
 */
import { compareDebVersions as compareVersions, DPKG_STATUS_PATH } from '../../../src/sdk.js';
import type { InstalledPackage } from '../../../src/sdk.js';
import type { AptList, ReleaseFile } from './lists.js';
import type { ReleaseInfo } from './release.js';
import { NEVER_PIN, pinParts } from './preferences.js';
import type { Pin } from './preferences.js';
import { expressionMatcher, isNamePattern } from './pin-match.js';
import type { Matcher } from './pin-match.js';

export const PRIORITY = {
  default: 500,
  notAutomatic: 1,
  butAutomaticUpgrades: 100,
  status: 100,
  defaultRelease: 990,
} as const;

/** How a Release is recognised as a security archive: one line per rule, with where it comes from. */
export const SECURITY_ARCHIVES: readonly { id: string; reason: string; test: (r: ReleaseInfo) => boolean }[] = [
  {
    id: 'debian_security_label',
    reason: 'Debian security archive (Label: Debian-Security)',
    test: (r) => r.label === 'Debian-Security',
  },
  {
    id: 'security_suite',
    reason: 'Suite or Codename ends in -security (Debian, Ubuntu <codename>-security pocket)',
    test: (r) => /-security$/.test(r.suite ?? '') || /-security$/.test(r.codename ?? ''),
  },
  {
    id: 'ubuntu_esm_infra',
    reason: 'Ubuntu Pro ESM Infra (Origin: UbuntuESM, <codename>-infra-security)',
    test: (r) => r.origin === 'UbuntuESM' && /-infra-security$/.test(r.suite ?? r.codename ?? ''),
  },
  {
    id: 'ubuntu_esm_apps',
    reason: 'Ubuntu Pro ESM Apps (Origin: UbuntuESMApps, <codename>-apps-security)',
    test: (r) => r.origin === 'UbuntuESMApps' && /-apps-security$/.test(r.suite ?? r.codename ?? ''),
  },
];

export function securityRule(r: ReleaseInfo | undefined): string | undefined {
  if (!r) return undefined;
  return SECURITY_ARCHIVES.find((s) => s.test(r))?.id;
}

/** A package file's priority before any pin (InitDefaults); `defaultRelease` for callers without pins. */
export function filePriority(rel: ReleaseInfo | undefined, defaultRelease?: string): number {
  if (!rel) return PRIORITY.default;
  if (defaultRelease && (rel.suite === defaultRelease || rel.codename === defaultRelease))
    return PRIORITY.defaultRelease;
  if (rel.butAutomaticUpgrades) return PRIORITY.butAutomaticUpgrades;
  if (rel.notAutomatic) return PRIORITY.notAutomatic;
  return PRIORITY.default;
}

/** Where a priority came from: a preferences record, or APT::Default-Release. */
export interface PinRef {
  file: string;
  line: number;
  priority: number;
  text: string;
}

/** A Packages list or the dpkg status, as apt's policy sees it. */
export interface PackageFile {
  /** Host path of the list (the dpkg status file for the status). */
  path: string;
  status: boolean;
  release?: ReleaseFile;
  /** Host of the list's URI ("" for the status file). */
  site: string;
  /** Component ("now" for the status file, as apt stores it). */
  component: string;
  arch: string;
  security: boolean;
  priority: number;
  /** The generic pin that set `priority`, when one did. */
  pin?: PinRef;
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
  /** Debian: apt pins that made this the candidate (it differs from the candidate without preferences). */
  pins?: PinRef[];
}

/** An installed package whose candidate the preferences change. */
export interface PinEffect {
  name: string;
  arch: string;
  installed: string;
  /** Candidate with the preferences; undefined when no version may be installed. */
  candidate?: string;
  /** Candidate without the preferences (APT::Default-Release still applied). */
  unpinned?: string;
  /** The pins involved: on the versions compared, or on the package files holding them. */
  pins: PinRef[];
  /** Without the preferences this package would have a security update; with them it has none (or an older one). */
  securityWithheld?: string;
}

interface Avail {
  version: string;
  /** Source package name. */
  source: string;
  /** Architecture as the lists say ("all" or the package's). */
  arch: string;
  files: PackageFile[];
  phased?: number;
}

export interface PolicyOptions {
  /** APT::Default-Release, with where it was set (evidence). */
  defaultRelease?: string;
  defaultReleaseAt?: { file: string; line: number };
  /** Records of /etc/apt/preferences and preferences.d, in apt's reading order. */
  pins?: readonly Pin[];
  /** dpkg's native architecture; "Package: name" without ":arch" pins only it (and arch: all). */
  nativeArch?: string;
  /** Host path of the dpkg status file (for evidence). */
  statusPath?: string;
}

export interface PolicyResult {
  updates: PendingUpdate[];
  /** Candidate of every installed package that has one, by "name:arch". */
  candidates: Map<
    string,
    { installed: string; candidate?: string; priorities: { version: string; priority: number }[] }
  >;
  files: PackageFile[];
  effects: PinEffect[];
  problems: string[];
}

// ---- matching pins against package files and versions (pkgVersionMatch) ----

interface ReleaseSpec {
  kind: 'release';
  all: boolean;
  /** apt gave up parsing the terms (too many): the pin matches nothing. */
  invalid: boolean;
  version?: { text: string; prefix: boolean; m: Matcher };
  origin?: Matcher;
  archive?: Matcher;
  codename?: Matcher;
  label?: Matcher;
  component?: Matcher;
  arch?: Matcher;
  /** The simple form ("Pin: release bookworm"): matches Archive or Codename. */
  release?: Matcher;
}
interface OriginSpec {
  kind: 'origin';
  site: Matcher;
}
interface VersionSpec {
  kind: 'version';
  text: string;
  prefix: boolean;
  m: Matcher;
  empty: boolean;
}
type MatchSpec = ReleaseSpec | OriginSpec | VersionSpec;

/** MatchVer: case-insensitive equality, or prefix when the pin ended in "*". */
function matchVer(value: string | undefined, want: string, prefix: boolean): boolean {
  if (value === undefined) return false;
  if (prefix ? value.length < want.length : value.length !== want.length) return false;
  return value.slice(0, want.length).toLowerCase() === want.toLowerCase();
}

function compileSpec(
  type: 'version' | 'release' | 'origin',
  data: string,
  problems: string[],
  where: string,
): MatchSpec {
  const matcher = (p: string) => {
    const m = expressionMatcher(p);
    if (!m.ok) problems.push(`${where}: "${p.slice(0, 60)}": ${m.problem}; apt treats it as matching nothing`);
    return m;
  };
  if (type === 'version') {
    const prefix = data.endsWith('*');
    const text = prefix ? data.slice(0, -1) : data;
    return { kind: 'version', text, prefix, m: matcher(text), empty: data === '' };
  }
  if (type === 'origin') {
    const site = data.length >= 2 && data.startsWith('"') && data.endsWith('"') ? data.slice(1, -1) : data;
    return { kind: 'origin', site: matcher(site) };
  }
  const spec: ReleaseSpec = { kind: 'release', all: false, invalid: false };
  if (data === '') return spec;
  if (data === '*') return { ...spec, all: true };
  if (!data.includes('=')) {
    if (/^\d/.test(data)) {
      const prefix = data.endsWith('*');
      const text = prefix ? data.slice(0, -1) : data;
      spec.version = { text, prefix, m: matcher(text) };
    } else spec.release = matcher(data);
    return spec;
  }
  // TokSplitString(',') over at most 299 characters and 19 fragments; more fragments make the pin match nothing
  const frags = data
    .slice(0, 299)
    .trim()
    .split(/\s*,[\s,]*/)
    .filter((f) => f !== '');
  if (frags.length >= 20) {
    problems.push(
      `${where}: more than 19 comma-separated terms: apt ignores this pin's release terms and it matches nothing`,
    );
    return { ...spec, invalid: true };
  }
  for (const f of frags) {
    if (f.length < 3 || f[1] !== '=') continue;
    const key = f[0]!.toLowerCase();
    const value = f.slice(2);
    if (key === 'v') {
      const prefix = value.endsWith('*');
      const text = prefix ? value.slice(0, -1) : value;
      spec.version = { text, prefix, m: matcher(text) };
    } else if (key === 'o') spec.origin = matcher(value);
    else if (key === 'a') spec.archive = matcher(value);
    else if (key === 'n') spec.codename = matcher(value);
    else if (key === 'l') spec.label = matcher(value);
    else if (key === 'c') spec.component = matcher(value);
    else if (key === 'b') spec.arch = matcher(value);
  }
  return spec;
}

const test = (m: Matcher | undefined, v: string | undefined) => m === undefined || (v !== undefined && m.test(v));

/** FileMatch(PkgFile): whether a release or origin pin matches a package file. */
function fileMatches(spec: ReleaseSpec | OriginSpec, f: PackageFile): boolean {
  if (spec.kind === 'release' && spec.invalid) return false;
  if (f.status) {
    // No Release file: apt compares a= and the simple form with the component ("now") and fails o, l, v, n;
    // there is no "nothing specified" rule here, so an empty release pin matches the status file.
    if (spec.kind === 'origin') return false;
    if (!test(spec.archive, f.component) || !test(spec.release, f.component)) return false;
    if (spec.origin || spec.label || spec.version || spec.codename) return false;
  } else {
    if (spec.kind === 'origin') return spec.site.test(f.site);
    if (!spec.all) {
      if (
        !spec.version &&
        !spec.origin &&
        !spec.archive &&
        !spec.label &&
        !spec.release &&
        !spec.codename &&
        !spec.component &&
        !spec.arch
      )
        return false;
      const r = f.release?.info;
      if (
        spec.version &&
        !(matchVer(r?.version, spec.version.text, spec.version.prefix) || test(spec.version.m, r?.version))
      )
        return false;
      if (!test(spec.origin, r?.origin)) return false;
      if (!test(spec.archive, r?.suite)) return false;
      if (!test(spec.codename, r?.codename)) return false;
      if (spec.release && !(test(spec.release, r?.suite) || test(spec.release, r?.codename))) return false;
      if (!test(spec.label, r?.label)) return false;
    }
  }
  if (spec.all) return true;
  return test(spec.component, f.component) && test(spec.arch, f.arch);
}

interface SpecificPin {
  /** Position among the specific pins (apt applies them in reading order). */
  order: number;
  ref: PinRef;
  name: { exact: string } | { pattern: Matcher; text: string };
  /** Architecture after "name:"; undefined means the native one. */
  arch?: string;
  /** A "src:" pin: `name` is the source package's. */
  source?: boolean;
  spec: MatchSpec;
}

interface GenericPin {
  ref: PinRef;
  spec: ReleaseSpec | OriginSpec;
}

const pinText = (p: Pin) =>
  `Package: ${p.package} / Pin: ${p.pin} / Pin-Priority: ${p.priority === NEVER_PIN ? 'never' : p.priority}`;

function compilePins(pins: readonly Pin[], problems: string[]): { specific: SpecificPins; generic: GenericPin[] } {
  const specific: SpecificPins = { byName: new Map(), bySource: new Map(), patterns: [] };
  let order = 0;
  const generic: GenericPin[] = [];
  for (const p of pins) {
    const parts = pinParts(p.pin);
    if (!parts || p.priority === undefined) continue;
    const where = `${p.file}:${p.line}`;
    const ref: PinRef = { file: p.file, line: p.line, priority: p.priority, text: pinText(p) };
    if (p.package === '*') {
      if (parts.type === 'version') continue;
      generic.push({ ref, spec: compileSpec(parts.type, parts.data, problems, where) as ReleaseSpec | OriginSpec });
      continue;
    }
    const spec = compileSpec(parts.type, parts.data, problems, where);
    for (const word of p.package.split(/\s+/).filter(Boolean)) {
      const source = word.startsWith('src:');
      const named = source ? word.slice(4) : word;
      const colon = named.lastIndexOf(':');
      const bare = colon >= 0 ? named.slice(0, colon) : named;
      const arch = colon >= 0 ? named.slice(colon + 1) : undefined;
      if (source) {
        if (isNamePattern(bare))
          problems.push(
            `${where}: source package patterns (${word.slice(0, 60)}) are not applied by this probe; candidates of their binaries may differ from apt's`,
          );
        else
          specific.bySource.set(bare, [
            ...(specific.bySource.get(bare) ?? []),
            { order: order++, ref, name: { exact: bare }, source: true, ...(arch !== undefined ? { arch } : {}), spec },
          ]);
        continue;
      }
      if (isNamePattern(bare)) {
        const m = expressionMatcher(bare);
        if (!m.ok)
          problems.push(
            `${where}: package pattern "${bare.slice(0, 60)}": ${m.problem}; apt treats it as matching nothing`,
          );
        specific.patterns.push({
          order: order++,
          ref,
          name: { pattern: m, text: bare },
          ...(arch !== undefined ? { arch } : {}),
          spec,
        });
      } else {
        const list = specific.byName.get(bare) ?? [];
        list.push({ order: order++, ref, name: { exact: bare }, ...(arch !== undefined ? { arch } : {}), spec });
        specific.byName.set(bare, list);
      }
    }
  }
  return { specific, generic };
}

interface SpecificPins {
  /** Pins naming a package exactly, by name. */
  byName: Map<string, SpecificPin[]>;
  /** "src:name" pins, by source name: they pin the versions built from that source. */
  bySource: Map<string, SpecificPin[]>;
  patterns: SpecificPin[];
}

/** The pins that may name a package, in preferences order (the first that matches a version wins). */
function pinsForPackage(pins: SpecificPins, name: string, sources: ReadonlySet<string>): SpecificPin[] {
  const exact = pins.byName.get(name) ?? [];
  const bySource = pins.bySource.size ? [...sources].flatMap((src) => pins.bySource.get(src) ?? []) : [];
  const matching = pins.patterns.length
    ? pins.patterns.filter((p) => 'pattern' in p.name && p.name.text !== name && p.name.pattern.test(name))
    : [];
  if (bySource.length === 0 && matching.length === 0) return exact;
  return [...exact, ...bySource, ...matching].sort((a, b) => a.order - b.order);
}

function specificMatchesPackage(p: SpecificPin, name: string, arch: string, native: string): boolean {
  if (p.source) {
    // the source name is checked per version
  } else if ('exact' in p.name) {
    if (p.name.exact !== name) return false;
  } else if (p.name.text === name || !p.name.pattern.test(name)) return false;
  const want = p.arch ?? native;
  return want === 'any' || want === arch;
}

function versionMatches(spec: MatchSpec, v: Avail): boolean {
  if (spec.kind === 'version') {
    if (spec.empty) return false;
    return matchVer(v.version, spec.text, spec.prefix) || spec.m.test(v.version);
  }
  return v.files.some((f) => fileMatches(spec, f));
}

// ---- the policy ----

function versionPriority(v: Avail, pin: SpecificPin | undefined): number {
  if (pin && v.files.some((f) => f.priority !== NEVER_PIN)) return pin.ref.priority;
  let prio = Number.NEGATIVE_INFINITY;
  for (const f of v.files) prio = Math.max(prio, f.priority);
  return prio === Number.NEGATIVE_INFINITY ? 0 : prio;
}

/** GetCandidateVer over versions sorted newest first. */
function candidateOf(versions: readonly Avail[], prios: readonly number[], installed: string | undefined): number {
  let cand = -1;
  let candPrio = -1;
  for (let i = 0; i < versions.length; i++) {
    const prio = prios[i]!;
    if (prio === 0 || prio <= candPrio) continue;
    if (installed !== undefined && prio < 1000 && compareVersions(versions[i]!.version, installed) < 0) continue;
    candPrio = prio;
    cand = i;
  }
  return cand;
}

/** apt's InitDefaults: default priorities, then generic pins in order (first wins; "never" always wins). */
function applyGeneric(files: PackageFile[], generic: readonly GenericPin[]): void {
  const fixed = new Set<PackageFile>();
  for (const g of generic) {
    for (const f of files) {
      if ((!fixed.has(f) || g.ref.priority === NEVER_PIN) && f.priority !== NEVER_PIN && fileMatches(g.spec, f)) {
        f.priority = g.ref.priority;
        f.pin = g.ref;
        fixed.add(f);
      }
    }
  }
}

function defaultReleasePin(
  opts: PolicyOptions,
  files: readonly PackageFile[],
  problems: string[],
): GenericPin | undefined {
  const rel = opts.defaultRelease;
  if (!rel) return undefined;
  const at = opts.defaultReleaseAt;
  const where = at ? `${at.file}:${at.line}` : 'APT::Default-Release';
  // apt accepts it when some file's Suite, Codename or Version matches, when it is "x=..." or matches "now"
  const m = expressionMatcher(rel);
  const named = (v: string | undefined) => v !== undefined && m.test(v);
  const known = files.some(
    (f) => named(f.release?.info?.suite) || named(f.release?.info?.codename) || named(f.release?.info?.version),
  );
  if (!known && !(rel.length > 2 && rel[1] === '=') && !m.test('now')) {
    problems.push(
      `${where}: APT::Default-Release "${rel.slice(0, 60)}" names no release in the lists: apt stops with an error (not applied here)`,
    );
    return undefined;
  }
  const spec = compileSpec('release', rel, problems, where) as ReleaseSpec;
  return {
    ref: {
      file: at?.file ?? 'APT::Default-Release',
      line: at?.line ?? 0,
      priority: PRIORITY.defaultRelease,
      text: `APT::Default-Release "${rel}"`,
    },
    spec,
  };
}

/** dpkg's native architecture: dpkg's own package's, else the most common one installed (not "all"). */
export function nativeArchOf(installed: readonly InstalledPackage[]): string {
  const dpkg = installed.find((p) => p.name === 'dpkg' && p.arch !== 'all');
  if (dpkg) return dpkg.arch;
  const counts = new Map<string, number>();
  for (const p of installed) if (p.arch !== 'all') counts.set(p.arch, (counts.get(p.arch) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'amd64';
}

/** Compute candidates and pending updates for the installed set from the lists and the preferences. */
export function computePolicy(
  installed: readonly InstalledPackage[],
  lists: readonly AptList[],
  opts: PolicyOptions = {},
): PolicyResult {
  const problems: string[] = [];
  const native = opts.nativeArch ?? nativeArchOf(installed);
  const norm = (arch: string) => (arch === 'all' ? native : arch);
  const files = packageFiles(lists, opts);
  const status = files[0]!;
  const dr = defaultReleasePin(opts, files, problems);
  const { specific, generic } = compilePins(opts.pins ?? [], problems);
  const unpinnedPrio = applyFilePins(files, dr, generic);
  const byKey = availableVersions(installed, lists, files, norm);
  const out: PolicyOut = { updates: [], effects: [], candidates: new Map() };
  const ctx: PackageContext = { status, specific, native, unpinnedPrio };
  for (const p of installed) {
    const key = p.name + '\0' + norm(p.arch);
    let versions = byKey.get(key);
    if (!versions) byKey.set(key, (versions = new Map<string, Avail>()));
    decidePackage(ctx, p, norm(p.arch), versions, out);
  }
  const byName = <T extends { name: string; arch: string }>(a: T, b: T) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0;
  return {
    updates: out.updates.sort(byName),
    candidates: out.candidates,
    files,
    effects: out.effects.sort(byName),
    problems,
  };
}

/** The dpkg status (first) and one package file per list, with their priorities before any pin. */
function packageFiles(lists: readonly AptList[], opts: PolicyOptions): PackageFile[] {
  const status: PackageFile = {
    path: opts.statusPath ?? DPKG_STATUS_PATH,
    status: true,
    site: '',
    component: 'now',
    arch: '',
    security: false,
    priority: PRIORITY.status,
  };
  const files: PackageFile[] = [status];
  for (const l of lists) {
    const rel = l.release?.info;
    const f: PackageFile = {
      path: l.path,
      status: false,
      site: l.target?.site ?? '',
      component: l.target?.component ?? '',
      arch: l.target?.arch ?? '',
      security: securityRule(rel) !== undefined,
      priority: filePriority(rel),
    };
    if (l.release) f.release = l.release;
    files.push(f);
  }
  return files;
}

/**
 * Sets the files' priorities from APT::Default-Release and the generic pins; returns each file's priority
 * without the preferences (defaults and APT::Default-Release only), for what the pins change.
 */
function applyFilePins(
  files: PackageFile[],
  dr: GenericPin | undefined,
  generic: readonly GenericPin[],
): Map<PackageFile, number> {
  const baseline = files.map((f) => f.priority);
  applyGeneric(files, dr ? [dr] : []);
  const unpinnedPrio = new Map(files.map((f) => [f, f.priority]));
  files.forEach((f, i) => {
    f.priority = baseline[i]!;
    delete f.pin;
  });
  applyGeneric(files, dr ? [dr, ...generic] : generic);
  return unpinnedPrio;
}

/** The versions the lists offer of each installed name and architecture, by "name\0arch" then version. */
function availableVersions(
  installed: readonly InstalledPackage[],
  lists: readonly AptList[],
  files: readonly PackageFile[],
  norm: (arch: string) => string,
): Map<string, Map<string, Avail>> {
  const byKey = new Map<string, Map<string, Avail>>();
  const wanted = new Set(installed.map((p) => p.name + '\0' + norm(p.arch)));
  lists.forEach((l, i) => {
    const f = files[i + 1]!;
    for (const e of l.entries) {
      const key = e.name + '\0' + norm(e.arch);
      if (!wanted.has(key)) continue;
      let versions = byKey.get(key);
      if (!versions) byKey.set(key, (versions = new Map<string, Avail>()));
      const a = versions.get(e.version);
      if (a) {
        if (!a.files.includes(f)) a.files.push(f);
        if (e.phased !== undefined) a.phased = e.phased;
      } else
        versions.set(e.version, {
          version: e.version,
          source: e.source ?? e.name,
          arch: e.arch,
          files: [f],
          ...(e.phased !== undefined ? { phased: e.phased } : {}),
        });
    }
  });
  return byKey;
}

interface PackageContext {
  status: PackageFile;
  specific: SpecificPins;
  native: string;
  unpinnedPrio: ReadonlyMap<PackageFile, number>;
}

interface PolicyOut {
  updates: PendingUpdate[];
  effects: PinEffect[];
  candidates: PolicyResult['candidates'];
}

/** One installed package: its candidate with and without the preferences, its update and what the pins change. */
function decidePackage(
  ctx: PackageContext,
  p: InstalledPackage,
  arch: string,
  versions: Map<string, Avail>,
  out: PolicyOut,
): void {
  const { status } = ctx;
  const inst = versions.get(p.version);
  if (inst) {
    if (!inst.files.includes(status)) inst.files.push(status);
  } else versions.set(p.version, { version: p.version, source: p.source ?? p.name, arch: p.arch, files: [status] });
  const sorted = [...versions.values()].sort((a, b) => compareVersions(b.version, a.version));
  const pinsFor = pinsForPackage(ctx.specific, p.name, new Set(sorted.map((v) => v.source))).filter((s) =>
    specificMatchesPackage(s, p.name, arch, ctx.native),
  );
  const verPins = sorted.map((v) =>
    pinsFor.find((s) => (!s.source || ('exact' in s.name && s.name.exact === v.source)) && versionMatches(s.spec, v)),
  );
  const prios = sorted.map((v, i) => versionPriority(v, verPins[i]));
  const ci = candidateOf(sorted, prios, p.version);
  const ui = candidateOf(
    sorted,
    sorted.map((v) => Math.max(...v.files.map((f) => ctx.unpinnedPrio.get(f)!))),
    p.version,
  );
  out.candidates.set(`${p.name}:${arch}`, {
    installed: p.version,
    ...(ci >= 0 ? { candidate: sorted[ci]!.version } : {}),
    priorities: sorted.map((v, i) => ({ version: v.version, priority: prios[i]! })),
  });
  const involved = (i: number): PinRef[] =>
    i < 0 ? [] : [verPins[i]?.ref, ...sorted[i]!.files.map((f) => f.pin)].filter((r): r is PinRef => r !== undefined);
  const changed = ci !== ui;
  const pinRefs = changed ? dedupe([...involved(ci), ...involved(ui)]) : [];
  const unpinnedUpdate =
    ui >= 0 && compareVersions(sorted[ui]!.version, p.version) > 0 ? classify(p, sorted, ui) : undefined;
  const u = ci >= 0 && compareVersions(sorted[ci]!.version, p.version) > 0 ? classify(p, sorted, ci) : undefined;
  if (u) {
    if (changed && pinRefs.length) u.pins = pinRefs;
    out.updates.push(u);
  }
  if (!changed) return;
  const e: PinEffect = { name: p.name, arch: p.arch, installed: p.version, pins: pinRefs };
  if (ci >= 0) e.candidate = sorted[ci]!.version;
  if (ui >= 0) e.unpinned = sorted[ui]!.version;
  if (unpinnedUpdate?.security && !u?.security)
    e.securityWithheld = unpinnedUpdate.maskedSecurity ?? unpinnedUpdate.candidate;
  out.effects.push(e);
}

function dedupe(refs: PinRef[]): PinRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = `${r.file}:${r.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function classify(p: InstalledPackage, sorted: readonly Avail[], ci: number): PendingUpdate {
  const pref = sorted[ci]!;
  const lists = pref.files.filter((f) => !f.status);
  const candidateSecurity = lists.some((f) => f.security);
  const u: PendingUpdate = {
    name: p.name,
    arch: pref.arch,
    installed: p.version,
    candidate: pref.version,
    archives: [...new Set(lists.map((f) => f.release?.info?.suite ?? f.release?.info?.codename ?? 'now'))],
    candidateSecurity,
    security: candidateSecurity,
    held: p.held,
    list: (lists.find((f) => f.security) ?? lists[0])?.path ?? DPKG_STATUS_PATH,
  };
  if (!candidateSecurity) {
    const masked = sorted.find(
      (v) =>
        v !== pref &&
        compareVersions(v.version, p.version) > 0 &&
        compareVersions(v.version, pref.version) < 0 &&
        v.files.some((f) => f.security),
    );
    if (masked) {
      u.maskedSecurity = masked.version;
      u.security = true;
    }
  }
  if (pref.phased !== undefined && pref.phased < 100) u.phased = pref.phased;
  return u;
}

/** Pending updates for the installed set (computePolicy's updates). */
export function computeUpdates(
  installed: readonly InstalledPackage[],
  lists: readonly AptList[],
  opts: PolicyOptions = {},
): PendingUpdate[] {
  return computePolicy(installed, lists, opts).updates;
}
