/**
 * Image-based OSes (Flatcar, Bottlerocket, Talos, COS, Fedora CoreOS, RHCOS, ...): no package manager to read,
 * so the facts are the image version from os-release and whatever update state the host keeps in files.
 *
 * What is read, and how sure it is:
 * - All: os-release VERSION_ID, BUILD_ID, VARIANT_ID (verified: os-release(5); research notes §1.6 and §4).
 * - Flatcar: update_engine's configuration, `/usr/share/flatcar/update.conf` (image defaults) overridden by
 *   `/etc/flatcar/update.conf` (GROUP = channel, SERVER = update server; `SERVER=disabled` is how Flatcar's
 *   docs turn updates off), and the legacy `/etc/coreos/update.conf`. The update state itself
 *   (UPDATE_STATUS_UPDATED_NEED_REBOOT, ...) is on D-Bus only, so it is not reported.
 * - ostree systems (Fedora CoreOS, Fedora IoT, RHCOS): `/run/ostree/staged-deployment` exists while a staged
 *   deployment awaits finalization at the next reboot (verified in ostree's and rpm-ostree's sources and
 *   tests), and `/run/ostree-booted` marks an ostree boot.
 * - Bottlerocket: VARIANT_ID names the Kubernetes minor (aws-k8s-1.30, vmware-k8s-1.31); its update state is
 *   only on the API socket (/run/api.sock), which a probe does not call, so it is not reported.
 * - Talos and COS: the image version only (COS VERSION_ID is the milestone, BUILD_ID the build).
 */
import type { HostRoot } from '../../src/sdk.js';
import type { ImageOsId, OsRelease } from './os.js';

export interface ImageFacts {
  os: ImageOsId;
  name: string;
  /** Image version (VERSION_ID, else VERSION). */
  version: string;
  build?: string;
  variant?: string;
  /** Update settings found (key -> value, with the file that set it last). */
  settings: Record<string, { value: string; file: string; line: number }>;
  /** True when an ostree deployment is staged for the next boot; undefined when the OS is not ostree-based. */
  staged?: boolean;
  /** What the probe cannot see on this OS, said plainly. */
  notes: string[];
}

export const FLATCAR_UPDATE_CONF = [
  '/usr/share/flatcar/update.conf',
  '/etc/coreos/update.conf',
  '/etc/flatcar/update.conf',
] as const;
export const OSTREE_STAGED = '/run/ostree/staged-deployment';
const OSTREE_OSES: readonly ImageOsId[] = ['fedora-coreos', 'fedora-iot', 'rhcos'];

/** KEY=value lines (update.conf): later keys win; comments and malformed lines ignored; bounded. */
export function parseKeyValues(text: string, file: string, into: ImageFacts['settings'] = {}): ImageFacts['settings'] {
  const lines = text.split('\n', 1000);
  lines.forEach((raw, i) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) return;
    into[m[1]!.toUpperCase()] = { value: m[2]!.replace(/^(["'])(.*)\1$/, '$2').slice(0, 512), file, line: i + 1 };
  });
  return into;
}

export async function gatherImage(host: HostRoot, os: OsRelease, image: ImageOsId, name: string): Promise<ImageFacts> {
  const facts: ImageFacts = { os: image, name, version: os.versionId || os.version, settings: {}, notes: [] };
  if (os.buildId) facts.build = os.buildId;
  if (os.variantId) facts.variant = os.variantId;
  if (image === 'flatcar') {
    for (const f of FLATCAR_UPDATE_CONF) {
      const t = await host.readText(f, { maxBytes: 64 * 1024 });
      if (t.ok) parseKeyValues(t.text, f, facts.settings);
    }
    facts.notes.push('update_engine state (e.g. UPDATED_NEED_REBOOT) is only on D-Bus, not in a file');
  } else if (OSTREE_OSES.includes(image)) {
    facts.staged = await host.exists(OSTREE_STAGED);
    if (!(await host.exists('/run/ostree-booted')))
      facts.notes.push('/run/ostree-booted is absent (is /run of the host mounted?)');
  } else if (image === 'bottlerocket') {
    facts.notes.push('update state (Idle/Available/Staged/Ready) is only on the API socket /run/api.sock');
  } else {
    facts.notes.push('no update state is kept in files; compare the image version with the fleet target');
  }
  return facts;
}

/** A one-line description of the image and its update settings. */
export function describeImage(i: ImageFacts): string {
  const parts = [`${i.name} ${i.version || '(no VERSION_ID)'}`];
  if (i.build && i.build !== i.version) parts.push(`build ${i.build}`);
  if (i.variant) parts.push(`variant ${i.variant}`);
  const group = i.settings.GROUP;
  const server = i.settings.SERVER;
  if (group) parts.push(`update group ${group.value}`);
  if (server)
    parts.push(server.value === 'disabled' ? 'updates disabled (SERVER=disabled)' : `update server ${server.value}`);
  if (i.staged !== undefined) parts.push(i.staged ? 'an update is staged for the next boot' : 'no update staged');
  return parts.join(', ');
}
