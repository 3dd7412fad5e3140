/**
 * The updates probe: pending and security updates, held packages, reboot required, automatic updates and
 * package metadata freshness, computed from the host's package databases. It never runs apt, dpkg, dnf or
 * any package manager, and never writes to the host.
 *
 * Package families are modules in FAMILIES, tried in order; the first whose database is on the host fills
 * the family-neutral facts. The Debian family (dpkg + apt) is the one implemented; the RPM family (rpmdb +
 * dnf cache metadata) and image-based OSes (Flatcar, Bottlerocket, Talos, COS) are further entries.
 */
import { defineProbe, skip } from '../../src/sdk.js';
import type { HostRoot, Measurement, ProbeContext } from '../../src/sdk.js';
import type { FamilyFacts, UpdatesFacts, UpdatesOptions } from './types.js';
import { parseUpdatesOptions } from './options.js';
import { updatesChecks } from './checks.js';
import { gatherDeb, isDebFamily } from './deb/family.js';

export interface PackageFamily {
  id: FamilyFacts['family'];
  /** True when this family's package database is on the host. */
  detect(host: HostRoot): Promise<boolean>;
  gather(ctx: ProbeContext, options: UpdatesOptions): Promise<FamilyFacts>;
}

export const FAMILIES: readonly PackageFamily[] = Object.freeze([{ id: 'deb', detect: isDebFamily, gather: gatherDeb }]);

/** ID, VERSION_ID and ID_LIKE of os-release(5). */
export function parseOsRelease(text: string): UpdatesFacts['os'] {
  const get = (k: string) => {
    const m = new RegExp(`^${k}=(.*)$`, 'm').exec(text);
    return m ? m[1]!.trim().replace(/^(["'])(.*)\1$/, '$2') : '';
  };
  return { id: get('ID'), versionId: get('VERSION_ID'), idLike: get('ID_LIKE').split(/\s+/).filter(Boolean) };
}

async function gather(ctx: ProbeContext): Promise<UpdatesFacts> {
  const options = parseUpdatesOptions(ctx.config);
  let osText = await ctx.host.readText('/etc/os-release', { maxBytes: 64 * 1024 });
  if (!osText.ok) osText = await ctx.host.readText('/usr/lib/os-release', { maxBytes: 64 * 1024 });
  const os = osText.ok ? parseOsRelease(osText.text) : { id: '', versionId: '', idLike: [] };
  const facts: UpdatesFacts = { options, os, now: ctx.now().getTime() };
  for (const fam of FAMILIES) {
    if (await fam.detect(ctx.host)) {
      facts.family = await fam.gather(ctx, options);
      for (const p of facts.family.problems.slice(0, 20)) ctx.log.debug({ problem: p }, 'updates input problem');
      return facts;
    }
  }
  facts.unsupported = `not a Debian-family host (no /var/lib/dpkg/status${os.id ? `; os-release ID=${os.id}` : ''}): only dpkg/apt hosts are supported so far (RPM-family and image-based OSes are future work)`;
  return facts;
}

export function measureUpdates(facts: UpdatesFacts): Measurement[] {
  const fam = facts.family;
  const all = fam?.updates.length ?? 0;
  const security = fam?.updates.filter((u) => u.security).length ?? 0;
  const reboot = fam && (fam.reboot.flagFile || fam.reboot.newerKernel) ? 1 : 0;
  return [
    { metric: 'hostward_updates_pending', labels: { kind: 'all' }, value: all },
    { metric: 'hostward_updates_pending', labels: { kind: 'security' }, value: security },
    { metric: 'hostward_reboot_required', labels: {}, value: reboot },
  ];
}

export const updatesProbe = defineProbe<UpdatesFacts>({
  name: 'updates',
  description: 'Pending and security updates from dpkg status and apt lists (never running apt), held packages, reboot required, automatic updates (apt periodic settings, unattended-upgrades origins, timers) and security metadata freshness.',
  checks: updatesChecks,
  gather,
  precondition: (facts) => (facts.family ? undefined : skip(facts.unsupported ?? 'no supported package manager')),
  measure: measureUpdates,
  validateConfig: (c) => {
    try {
      parseUpdatesOptions(c);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  },
});
