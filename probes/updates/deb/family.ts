/**
 * The Debian family (Debian, Ubuntu and derivatives): dpkg's status database for the installed set, apt's
 * lists for the available set, apt.conf for automatic updates, /run/reboot-required and kernel packages for
 * reboots. Reads only; never runs apt or dpkg.
 */
import os from 'node:os';
import type { HostRoot, ProbeContext } from '../../../src/sdk.js';
import type {
  AutoUpdateFacts,
  DebFamilyFacts,
  HeldPackage,
  RebootFacts,
  SourceFact,
  UpdatesOptions,
} from '../types.js';
import { readDpkgStatus, DPKG_STATUS_PATH } from '../../../src/sdk.js';
import type { InstalledPackage } from '../../../src/sdk.js';
import { readAptListsOffThread } from './lists-off-thread.js';
import type { AptList, ReleaseFile } from './lists.js';
import { computePolicy, securityRule } from './policy.js';
import type { PendingUpdate } from './policy.js';
import { parseAptConf, isAptConfPart } from './apt-conf.js';
import type { AptConf } from './apt-conf.js';
import { parsePreferences, isPreferencesPart } from './preferences.js';
import type { Pin } from './preferences.js';
import { compareDebVersions as compareVersions } from '../../../src/sdk.js';
import { componentRecords } from '../components.js';

export const APT_TIMERS = ['apt-daily.timer', 'apt-daily-upgrade.timer'] as const;

export async function isDebFamily(host: HostRoot): Promise<boolean> {
  const st = await host.stat(DPKG_STATUS_PATH);
  return st.ok && st.type === 'file';
}

async function readDirTexts(
  host: HostRoot,
  dir: string,
  accept: (name: string) => boolean,
): Promise<{ file: string; text: string }[]> {
  const d = await host.readDir(dir);
  if (!d.ok) return [];
  const out: { file: string; text: string }[] = [];
  // apt sorts parts by name in the C locale; readDir is byte-ordered already
  for (const e of d.entries) {
    if (!accept(e.name) || e.type === 'directory') continue;
    const t = await host.readText(e.path, { maxBytes: 1024 * 1024 });
    if (t.ok) out.push({ file: e.path, text: t.text });
  }
  return out;
}

export async function readAptConf(host: HostRoot): Promise<AptConf> {
  const files = await readDirTexts(host, '/etc/apt/apt.conf.d', isAptConfPart);
  const main = await host.readText('/etc/apt/apt.conf', { maxBytes: 1024 * 1024 });
  if (main.ok) files.push({ file: '/etc/apt/apt.conf', text: main.text });
  return parseAptConf(files);
}

/** A preferences file larger than this is not read (apt would read it; the probe says so). */
export const MAX_PREFERENCES_BYTES = 4 * 1024 * 1024;

/** /etc/apt/preferences, then preferences.d in name order, as apt reads them; unreadable files are problems. */
export async function readPreferences(host: HostRoot): Promise<{ pins: Pin[]; problems: string[] }> {
  const problems: string[] = [];
  const files: { file: string; text: string }[] = [];
  const readOne = async (file: string, missingOk: boolean) => {
    const t = await host.readText(file, { maxBytes: MAX_PREFERENCES_BYTES });
    if (t.ok) files.push({ file, text: t.text });
    else if (!(missingOk && t.code === 'missing'))
      problems.push(`${file}: ${t.code.replace(/_/g, ' ')} (${t.reason}): its pins are not applied`);
  };
  await readOne('/etc/apt/preferences', true);
  const d = await host.readDir('/etc/apt/preferences.d');
  // apt sorts parts by name in the C locale; readDir is byte-ordered already
  if (d.ok)
    for (const e of d.entries) if (isPreferencesPart(e.name) && e.type !== 'directory') await readOne(e.path, false);
  const pins: Pin[] = [];
  for (const f of files) {
    const r = parsePreferences(f.text, f.file);
    pins.push(...r.pins);
    problems.push(...r.problems);
  }
  return { pins, problems };
}

const KERNEL_RE = /^linux-image-(?:unsigned-)?(\d[^\s]*)$/;

/** Installed kernel images, newest first (by package version, then by release). */
export function kernelPackages(installed: readonly InstalledPackage[]): RebootFacts['kernels'] {
  return installed
    .map((p) => ({ p, m: KERNEL_RE.exec(p.name) }))
    .filter((x) => x.m && !/-dbg(sym)?$/.test(x.p.name))
    .map((x) => ({ name: x.p.name, release: x.m![1]!, version: x.p.version }))
    .sort((a, b) => compareVersions(b.version, a.version) || compareVersions(b.release, a.release));
}

/** Decide whether the running kernel is older than the newest installed one. */
export function compareKernels(
  running: string | undefined,
  kernels: RebootFacts['kernels'],
): Pick<RebootFacts, 'newerKernel' | 'kernelNote'> {
  if (!running) return { kernelNote: 'the running kernel release is unknown' };
  const newest = kernels[0];
  if (!newest) return { kernelNote: `no linux-image package is installed (kernel ${running} is managed outside dpkg)` };
  const mine = kernels.find((k) => k.release === running);
  if (mine) {
    if (newest.release !== running && compareVersions(newest.version, mine.version) > 0) {
      return {
        newerKernel: `${newest.name} ${newest.version} is installed, newer than the running ${running} (${mine.name} ${mine.version})`,
      };
    }
    return {};
  }
  if (compareVersions(newest.release, running) > 0)
    return {
      newerKernel: `${newest.name} ${newest.version} is installed, newer than the running ${running} (which has no installed package)`,
    };
  return { kernelNote: `the running kernel ${running} has no installed linux-image package` };
}

async function rebootFacts(ctx: ProbeContext, installed: readonly InstalledPackage[]): Promise<RebootFacts> {
  const { host } = ctx;
  const flag = await host.stat('/run/reboot-required');
  const pkgs = await host.readText('/run/reboot-required.pkgs', { maxBytes: 1024 * 1024 });
  const r: RebootFacts = {
    flagFile: flag.ok && flag.type === 'file',
    flagPackages: pkgs.ok
      ? [
          ...new Set(
            pkgs.text
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean),
          ),
        ]
      : [],
    kernels: kernelPackages(installed),
  };
  const rel = await host.readText('/proc/sys/kernel/osrelease', { maxBytes: 4096 });
  if (rel.ok && rel.text.trim()) {
    r.running = rel.text.trim();
    r.runningSource = '/proc/sys/kernel/osrelease';
  } else if (host.isHostRoot) {
    r.running = os.release();
    r.runningSource = 'uname';
  }
  Object.assign(r, compareKernels(r.running, r.kernels));
  return r;
}

async function timerState(host: HostRoot, name: string): Promise<{ enabled: boolean; masked: boolean; path?: string }> {
  const wants = `/etc/systemd/system/timers.target.wants/${name}`;
  const link = await host.stat(wants, false);
  const unit = `/etc/systemd/system/${name}`;
  const u = await host.stat(unit, false);
  let masked = false;
  if (u.ok && u.type === 'symlink') {
    const r = await host.resolve(unit);
    masked = r.ok && r.realPath === '/dev/null';
  }
  return { enabled: link.ok, masked, ...(link.ok ? { path: wants } : masked ? { path: unit } : {}) };
}

export const PERIODIC_KEYS = [
  'APT::Periodic::Enable',
  'APT::Periodic::Update-Package-Lists',
  'APT::Periodic::Unattended-Upgrade',
] as const;

async function autoUpdateFacts(
  host: HostRoot,
  conf: AptConf,
  installed: readonly InstalledPackage[],
): Promise<AutoUpdateFacts> {
  const settings: AutoUpdateFacts['settings'] = {};
  for (const k of PERIODIC_KEYS) settings[k] = conf.scalars.get(k.toLowerCase());
  const origins = [
    ...(conf.lists.get('unattended-upgrade::origins-pattern') ?? []),
    ...(conf.lists.get('unattended-upgrade::allowed-origins') ?? []),
  ];
  const timers: AutoUpdateFacts['timers'] = {};
  for (const t of APT_TIMERS) timers[t] = await timerState(host, t);
  return {
    settings,
    unattendedUpgradesInstalled: installed.some((p) => p.name === 'unattended-upgrades'),
    origins,
    timers,
    problems: conf.problems.slice(0, 20).map((p) => `${p.file}:${p.line}: ${p.message}`),
  };
}

/** Held packages (dpkg's hold), each with its pending update. */
function heldPackages(installed: readonly InstalledPackage[], updates: readonly PendingUpdate[]): HeldPackage[] {
  const byKey = new Map(updates.map((u) => [u.name + '\0' + u.arch, u]));
  return installed
    .filter((p) => p.held)
    .map((p) => {
      const pending = byKey.get(p.name + '\0' + p.arch);
      return { name: p.name, arch: p.arch, version: p.version, line: p.line, ...(pending ? { pending } : {}) };
    });
}

/** What the report says of one archive (its Release file) and the lists read from it. */
function sourceFact(r: ReleaseFile, lists: readonly AptList[]): SourceFact {
  const i = r.info;
  const s: SourceFact = {
    path: r.path,
    security: securityRule(i) !== undefined,
    lists: lists.filter((l) => l.release === r).length,
  };
  if (i?.origin) s.origin = i.origin;
  if (i?.label) s.label = i.label;
  if (i?.suite) s.suite = i.suite;
  if (i?.codename) s.codename = i.codename;
  if (i?.date !== undefined) s.date = i.date;
  if (i?.dateText !== undefined) s.dateText = i.dateText;
  if (i?.validUntil !== undefined) s.validUntil = i.validUntil;
  if (r.problem) s.problem = r.problem;
  return s;
}

export async function gatherDeb(ctx: ProbeContext<UpdatesOptions>): Promise<DebFamilyFacts> {
  const { host, options } = ctx;
  const problems: string[] = [];
  const read = readDpkgStatus(host);
  // The lists' worker starts now and gets the installed names when dpkg's status is read: its start-up overlaps
  // the read. Without a status it gets nothing and ends, and the probe fails below.
  const aptLists = readAptListsOffThread(
    host,
    read.then((st) => {
      if (!st.ok) throw new Error('no dpkg status');
      const names = new Set(st.parsed().packages.map((p) => p.name));
      return { names, maxFileBytes: options.maxListFileBytes, maxListBytes: options.maxListBytes };
    }),
    undefined,
    ctx.signal,
  );
  aptLists.catch(() => undefined); // awaited below, unless the status fails first
  const st = await read;
  if (!st.ok) throw new Error(`cannot read ${DPKG_STATUS_PATH}: ${st.code.replace(/_/g, ' ')} (${st.reason})`);
  const status = st.parsed();
  for (const p of status.problems.slice(0, 10)) problems.push(`${DPKG_STATUS_PATH}:${p.line}: ${p.message}`);
  const installed = status.packages;
  const conf = await readAptConf(host);
  const defaultRelease = conf.scalars.get('apt::default-release');
  const [apt, pins, reboot, automatic] = await Promise.all([
    aptLists,
    readPreferences(host),
    rebootFacts(ctx, installed),
    autoUpdateFacts(host, conf, installed),
  ]);
  const policy = computePolicy(installed, apt.lists, {
    pins: pins.pins,
    statusPath: DPKG_STATUS_PATH,
    ...(defaultRelease?.value
      ? {
          defaultRelease: defaultRelease.value,
          defaultReleaseAt: { file: defaultRelease.file, line: defaultRelease.line },
        }
      : {}),
  });
  const pinProblems = [...pins.problems, ...policy.problems];
  problems.push(...pinProblems.slice(0, 10));
  const updates = policy.updates;
  const holds = heldPackages(installed, updates);
  const sources = apt.releases.map((r) => sourceFact(r, apt.lists));
  for (const f of apt.ignored) problems.push(`${f}: compression not supported, list not read`);
  for (const l of apt.lists)
    if (!l.release) problems.push(`${l.path}: no InRelease/Release file for this list (priority 500 assumed)`);
  return {
    family: 'deb',
    database: DPKG_STATUS_PATH,
    installedCount: installed.length,
    updates,
    holds,
    sources,
    lists: apt.lists.map((l) => ({
      path: l.path,
      packages: l.packages,
      ...(l.problem ? { problem: l.problem } : {}),
      ...(l.release ? { release: l.release.path } : {}),
    })),
    listsDirExists: apt.dirExists,
    pins: pins.pins,
    pinPolicy: { effects: policy.effects, problems: pinProblems.slice(0, 50) },
    reboot,
    automatic,
    componentPackages: componentRecords(installed, DPKG_STATUS_PATH),
    problems,
  };
}
