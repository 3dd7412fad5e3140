/**
 * Which OS this is, from os-release(5): `/etc/os-release`, falling back to `/usr/lib/os-release` (the former is
 * often a relative symlink to the latter, as on Flatcar). Facts only: the fields that identify a release
 * (ID, ID_LIKE, VERSION_ID, VARIANT_ID, BUILD_ID) and the class of OS from MINIMAL_OSES, a table of
 * minimal / container-optimised distributions with the reason each is one.
 */

export interface OsRelease {
  id: string;
  versionId: string;
  idLike: string[];
  variantId: string;
  buildId: string;
  prettyName: string;
  /** os-release's VERSION (e.g. "12 (bookworm)", "3975.2.0"). */
  version: string;
  /** Host path the fields were read from; '' when no os-release could be read. */
  file: string;
}

const MAX_LINES = 500;

/** Unquote an os-release value: shell-style single or double quotes, backslash escapes inside double quotes. */
function unquote(v: string): string {
  const s = v.trim();
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1);
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return s.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
  return s;
}

/** Parse os-release text; unknown keys and malformed lines are ignored (as systemd does). */
export function parseOsRelease(text: string, file = ''): OsRelease {
  const vars = new Map<string, string>();
  let n = 0;
  for (const raw of text.split('\n')) {
    if (++n > MAX_LINES) break;
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m && !vars.has(m[1]!)) vars.set(m[1]!, unquote(m[2]!).slice(0, 256));
  }
  const get = (k: string) => vars.get(k) ?? '';
  return {
    id: get('ID').toLowerCase(),
    versionId: get('VERSION_ID'),
    idLike: get('ID_LIKE').toLowerCase().split(/\s+/).filter(Boolean),
    variantId: get('VARIANT_ID').toLowerCase(),
    buildId: get('BUILD_ID'),
    prettyName: get('PRETTY_NAME'),
    version: get('VERSION'),
    file,
  };
}

export const EMPTY_OS: Readonly<OsRelease> = Object.freeze({
  id: '',
  versionId: '',
  idLike: [],
  variantId: '',
  buildId: '',
  prettyName: '',
  version: '',
  file: '',
});

/** An image-based OS: updated as a whole image, not package by package. */
export type ImageOsId =
  | 'flatcar'
  | 'bottlerocket'
  | 'talos'
  | 'cos'
  | 'fedora-coreos'
  | 'fedora-iot'
  | 'rhcos'
  | 'ubuntu-core'
  | 'microos'
  | 'sle-micro'
  | 'k3os';

export interface MinimalOs {
  /** Stable id of the entry. */
  id: string;
  name: string;
  test: (os: OsRelease) => boolean;
  /** Set for image-based OSes: updated as whole images, so package checks do not apply. */
  image?: ImageOsId;
  /** Whether a release has a fixed end-of-support date (else the channel's newest release is the supported one). */
  rolling: boolean;
  reason: string;
}

/**
 * Minimal / container-optimised OSes. The seeds (securing-base-infrastructure, securing-your-kubernetes-cluster)
 * recommend "a minimal distribution that has been designed just for the purpose of running containers" such as
 * Container Linux (now Flatcar), Ubuntu Core or Atomic Host (now Fedora/RHEL CoreOS), "or maybe even Alpine".
 */
export const MINIMAL_OSES: readonly MinimalOs[] = Object.freeze([
  {
    id: 'flatcar',
    name: 'Flatcar Container Linux',
    image: 'flatcar',
    rolling: true,
    test: (o) => o.id === 'flatcar',
    reason: 'successor of CoreOS Container Linux: read-only /usr, A/B image updates by update_engine',
  },
  {
    id: 'bottlerocket',
    name: 'Bottlerocket',
    image: 'bottlerocket',
    rolling: true,
    test: (o) => o.id === 'bottlerocket',
    reason: 'AWS container host OS: read-only root, image updates through its API, no shell or package manager',
  },
  {
    id: 'talos',
    name: 'Talos Linux',
    image: 'talos',
    rolling: true,
    test: (o) => o.id === 'talos',
    reason: 'API-managed Kubernetes OS: squashfs root, no shell or SSH, image upgrades',
  },
  {
    id: 'cos',
    name: 'Container-Optimized OS',
    image: 'cos',
    rolling: false,
    test: (o) => o.id === 'cos',
    reason:
      'Google Container-Optimized OS: read-only root, image updates (update_engine); milestones have LTS end dates',
  },
  {
    id: 'fedora-coreos',
    name: 'Fedora CoreOS',
    image: 'fedora-coreos',
    rolling: true,
    test: (o) => o.id === 'fedora' && o.variantId === 'coreos',
    reason: 'successor of Container Linux and Atomic Host: rpm-ostree images, Zincati updates',
  },
  {
    id: 'fedora-iot',
    name: 'Fedora IoT',
    image: 'fedora-iot',
    rolling: true,
    test: (o) => o.id === 'fedora' && o.variantId === 'iot',
    reason: 'rpm-ostree image-based Fedora edition for edge and containers',
  },
  {
    id: 'rhcos',
    name: 'Red Hat Enterprise Linux CoreOS',
    image: 'rhcos',
    rolling: true,
    test: (o) => o.id === 'rhcos' || (o.id === 'rhel' && o.variantId === 'coreos'),
    reason: 'OpenShift node OS: rpm-ostree images managed by the Machine Config Operator, versioned with OpenShift',
  },
  {
    id: 'ubuntu-core',
    name: 'Ubuntu Core',
    image: 'ubuntu-core',
    rolling: true,
    test: (o) => o.id === 'ubuntu-core',
    reason: 'snap-based, read-only image Ubuntu (named by the seed)',
  },
  {
    id: 'microos',
    name: 'openSUSE MicroOS',
    image: 'microos',
    rolling: true,
    test: (o) => o.id === 'opensuse-microos',
    reason: 'transactional-update, read-only root container host',
  },
  {
    id: 'sle-micro',
    name: 'SUSE Linux Enterprise Micro',
    image: 'sle-micro',
    rolling: true,
    test: (o) => o.id === 'sle-micro' || o.id === 'sl-micro',
    reason: 'transactional-update, read-only root container host',
  },
  {
    id: 'k3os',
    name: 'k3OS',
    image: 'k3os',
    rolling: true,
    test: (o) => o.id === 'k3os',
    reason: 'k3s-only OS managed through Kubernetes',
  },
  {
    id: 'alpine',
    name: 'Alpine Linux',
    rolling: false,
    test: (o) => o.id === 'alpine',
    reason: 'musl and busybox, a small base with apk packages (named by the seed)',
  },
]);

export interface OsClass {
  /** 'unknown' when no os-release could be read. */
  kind: 'minimal' | 'general' | 'unknown';
  entry?: MinimalOs;
}

export function classifyOs(os: OsRelease): OsClass {
  if (!os.id) return { kind: 'unknown' };
  const entry = MINIMAL_OSES.find((m) => m.test(os));
  return entry ? { kind: 'minimal', entry } : { kind: 'general' };
}

/** A human name for the OS release: PRETTY_NAME, else "ID VERSION_ID". */
export function osLabel(os: OsRelease): string {
  return os.prettyName || [os.id, os.versionId].filter(Boolean).join(' ') || 'unknown OS';
}
