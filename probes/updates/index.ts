/**
 * The updates probe: pending and security updates, held packages, reboot required, automatic updates and
 * package metadata freshness, computed from the host's package databases; the OS class (minimal or
 * general-purpose) and the end of support of the OS release, the kubelet and the container runtimes. It never
 * runs apt, dpkg, dnf or any package manager or component binary, and never writes to the host.
 *
 * The OS comes from os-release. Image-based OSes (Flatcar, Bottlerocket, Talos, COS, Fedora CoreOS, RHCOS...)
 * are read by image.ts (image version, update settings) and get no package checks. Otherwise package families
 * are modules in FAMILIES, tried in order; the first whose database is on the host fills the family-neutral
 * facts.
 */
import { defineProbe } from '../../src/sdk.js';
import type { HostRoot, Measurement, ProbeContext } from '../../src/sdk.js';
import type { FamilyFacts, UpdatesFacts, UpdatesOptions } from './types.js';
import { UPDATES_OPTIONS } from './option-spec.js';
import { updatesChecks } from './checks.js';
import { gatherDeb, isDebFamily } from './deb/family.js';
import { classifyOs, EMPTY_OS, parseOsRelease } from './os.js';
import type { OsRelease } from './os.js';
import { gatherImage } from './image.js';
import { gatherComponents } from './components.js';
import { gatherRpm, isRpmFamily } from './rpm/family.js';

export interface PackageFamily {
  id: FamilyFacts['family'];
  /** True when this family's package database is on the host. */
  detect(host: HostRoot): Promise<boolean>;
  gather(ctx: ProbeContext<UpdatesOptions>): Promise<FamilyFacts>;
}

export const FAMILIES: readonly PackageFamily[] = Object.freeze([
  { id: 'deb', detect: isDebFamily, gather: gatherDeb },
  { id: 'rpm', detect: isRpmFamily, gather: gatherRpm },
]);

export const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'] as const;

export async function readOsRelease(host: HostRoot): Promise<OsRelease> {
  for (const f of OS_RELEASE_FILES) {
    const t = await host.readText(f, { maxBytes: 64 * 1024 });
    if (t.ok) return parseOsRelease(t.text, f);
  }
  return { ...EMPTY_OS, idLike: [] };
}

async function gather(ctx: ProbeContext<UpdatesOptions>): Promise<UpdatesFacts> {
  const { options } = ctx;
  const os = await readOsRelease(ctx.host);
  const cls = classifyOs(os);
  const facts: UpdatesFacts = {
    options,
    os,
    osClass: {
      kind: cls.kind,
      ...(cls.entry
        ? { id: cls.entry.id, name: cls.entry.name, reason: cls.entry.reason, rolling: cls.entry.rolling }
        : {}),
    },
    components: [],
    esm: false,
    now: ctx.now().getTime(),
  };
  if (cls.entry?.image) {
    facts.image = await gatherImage(ctx.host, os, cls.entry.image, cls.entry.name);
  } else {
    for (const fam of FAMILIES) {
      if (await fam.detect(ctx.host)) {
        facts.family = await fam.gather(ctx);
        for (const p of facts.family.problems.slice(0, 20)) ctx.log.debug({ problem: p }, 'updates input problem');
        break;
      }
    }
    if (!facts.family) {
      facts.unsupported = `no package database found (no /var/lib/dpkg/status, no rpm database${os.id ? `; os-release ID=${os.id}` : ''}): only dpkg/apt and rpm hosts are supported`;
    }
  }
  const fam = facts.family;
  facts.esm = fam?.family === 'deb' && fam.sources.some((s) => s.origin === 'UbuntuESM' && s.lists > 0);
  facts.components = await gatherComponents(ctx.host, {
    ...(fam ? { family: fam.family } : {}),
    records: fam?.componentPackages ?? [],
    os,
    ...(facts.image ? { image: facts.image } : {}),
  });
  return facts;
}

export function measureUpdates(facts: UpdatesFacts): Measurement[] {
  const fam = facts.family;
  const all = fam?.updates.length ?? 0;
  const security = fam?.updates.filter((u) => u.security).length ?? 0;
  const reboot = (fam && (fam.reboot.flagFile || fam.reboot.newerKernel)) || facts.image?.staged ? 1 : 0;
  return [
    { metric: 'hostward_updates_pending', labels: { kind: 'all' }, value: all },
    { metric: 'hostward_updates_pending', labels: { kind: 'security' }, value: security },
    { metric: 'hostward_reboot_required', labels: {}, value: reboot },
  ];
}

export const updatesProbe = defineProbe({
  name: 'updates',
  description:
    'Pending and security updates from dpkg status and apt lists, or from the rpm database and the dnf/yum metadata cache (never running apt or dnf), held packages, reboot required, automatic updates (apt periodic settings, unattended-upgrades origins, dnf-automatic, yum-cron, timers), security metadata freshness; minimal or general-purpose OS, image version and update state of image-based OSes, and the end of support of the OS release, the kubelet and the container runtimes.',
  checks: updatesChecks,
  gather,
  measure: measureUpdates,
  metrics: {
    hostward_updates_pending: { help: 'Pending package updates; kind is all or security.', labelNames: ['kind'] },
    hostward_reboot_required: { help: '1 when the host asks for a reboot.', labelNames: [] },
  },
  options: UPDATES_OPTIONS,
});
