/**
 * The RPM family (RHEL, Fedora, Amazon Linux, Rocky, Alma): the installed set from the rpm database
 * (rpmdb.ts), reboot required with needs-restarting -r semantics (the running kernel against the newest
 * installed kernel package), and the kubelet and runtime package records for the end-of-life checks.
 * Pending and security updates from the dnf cache metadata (repomd.xml, primary.xml, updateinfo.xml) are not
 * computed yet: those checks say so ("unknown"), they do not pass.
 */
import os from 'node:os';
import type { ProbeContext } from '../../../src/sdk.js';
import type { RebootFacts } from '../types.js';
import { componentRecords } from '../components.js';
import type { PackageRecord } from '../components.js';
import { locateRpmDb, readRpmDb } from './rpmdb.js';
import type { RpmPackage } from './rpmdb.js';
import { compareEvr, formatEvr, rpmvercmp } from './vercmp.js';

export interface RpmFacts {
  family: 'rpm';
  /** Host path of the rpm database. */
  database: string;
  /** Why the installed set is unknown (Berkeley DB, unreadable file...), when it is. */
  unreadable?: string;
  installedCount: number;
  reboot: RebootFacts;
  componentPackages: PackageRecord[];
  problems: string[];
}

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
export function compareRpmKernels(running: string | undefined, kernels: RebootFacts['kernels']): Pick<RebootFacts, 'newerKernel' | 'kernelNote'> {
  if (!running) return { kernelNote: 'the running kernel release is unknown' };
  const newest = kernels[0];
  if (!newest) return { kernelNote: `no kernel package is installed (kernel ${running} is managed outside rpm)` };
  if (newest.release === running) return {};
  const mine = kernels.find((k) => k.release === running);
  if (mine) return { newerKernel: `${newest.name} ${newest.version} is installed, newer than the running ${running}` };
  if (rpmvercmp(newest.release, running) > 0) return { newerKernel: `${newest.name} ${newest.version} is installed, newer than the running ${running} (which has no installed package)` };
  return { kernelNote: `the running kernel ${running} has no installed kernel package` };
}

export async function isRpmFamily(ctx: ProbeContext): Promise<boolean> {
  return (await locateRpmDb(ctx.host)) !== undefined;
}

export async function gatherRpm(ctx: ProbeContext): Promise<RpmFacts> {
  const { host } = ctx;
  const loc = await locateRpmDb(host);
  if (!loc) throw new Error('no rpm database');
  const db = await readRpmDb(host, loc);
  const pkgs = db.ok ? db.packages : [];
  const reboot: RebootFacts = { flagFile: false, flagPackages: [], kernels: rpmKernels(pkgs) };
  const rel = await host.readText('/proc/sys/kernel/osrelease', { maxBytes: 4096 });
  if (rel.ok && rel.text.trim()) {
    reboot.running = rel.text.trim();
    reboot.runningSource = '/proc/sys/kernel/osrelease';
  } else if (host.isHostRoot) {
    reboot.running = os.release();
    reboot.runningSource = 'uname';
  }
  if (db.ok) Object.assign(reboot, compareRpmKernels(reboot.running, reboot.kernels));
  else reboot.kernelNote = db.reason;
  const records = componentRecords(pkgs.map((p) => ({ name: p.name, version: formatEvr(p), arch: p.arch ?? 'noarch' })), loc.path);
  return {
    family: 'rpm',
    database: loc.path,
    ...(db.ok ? {} : { unreadable: db.reason }),
    installedCount: pkgs.length,
    reboot,
    componentPackages: records,
    problems: db.ok ? db.problems : [db.reason],
  };
}
