/**
 * The installed set from /var/lib/dpkg/status. A package has a current version (as apt sees it) in every
 * state but not-installed and config-files; `Status: hold ok installed` is a hold (apt-mark hold, dpkg
 * --set-selections). Multi-arch: the same name can be installed for several architectures, so the key is
 * name + architecture.
 */
import type { HostRoot, Result } from '../../root.js';
import { perScan } from '../cache.js';
import { parseDeb822 } from './deb822.js';
import type { Deb822Problem } from './deb822.js';

export interface InstalledPackage {
  name: string;
  arch: string;
  version: string;
  /** dpkg's want (install, hold, deinstall, purge, unknown). */
  want: string;
  /** dpkg's state (installed, unpacked, half-configured, ...). */
  state: string;
  held: boolean;
  /** 1-based line in the status file. */
  line: number;
  /** Source package name, when it differs from the package's (for "Package: src:name" pins). */
  source?: string;
}

export interface DpkgStatus {
  packages: InstalledPackage[];
  problems: Deb822Problem[];
}

const NOT_CURRENT = new Set(['not-installed', 'config-files']);
const WANTS = new Set(['unknown', 'install', 'hold', 'deinstall', 'purge']);
const FIELDS = new Set(['package', 'status', 'version', 'architecture', 'source']);

/** The name in a Source: field ("openssl (3.0.15-1)" -> "openssl"). */
export const sourceName = (field: string | undefined): string | undefined => field?.trim().split(/\s+/)[0] || undefined;

export function parseDpkgStatus(text: string): DpkgStatus {
  const { paragraphs, problems } = parseDeb822(text, { fields: FIELDS });
  const packages: InstalledPackage[] = [];
  for (const p of paragraphs) {
    const name = p.fields.get('package');
    const status = p.fields.get('status');
    if (!name) {
      problems.push({ line: p.line, message: 'paragraph without Package' });
      continue;
    }
    const words = status?.split(/\s+/) ?? [];
    if (words.length !== 3 || !WANTS.has(words[0]!)) {
      problems.push({ line: p.line, message: `${name}: bad Status "${(status ?? '').slice(0, 60)}"` });
      continue;
    }
    const [want, , state] = words as [string, string, string];
    if (NOT_CURRENT.has(state)) continue;
    const version = p.fields.get('version');
    if (!version) {
      problems.push({ line: p.line, message: `${name}: ${state} without Version` });
      continue;
    }
    const pkg: InstalledPackage = {
      name,
      arch: p.fields.get('architecture') ?? 'all',
      version,
      want,
      state,
      held: want === 'hold',
      line: p.line,
    };
    const source = sourceName(p.fields.get('source'));
    if (source && source !== name) pkg.source = source;
    packages.push(pkg);
  }
  return { packages, problems };
}

export const DPKG_STATUS_PATH = '/var/lib/dpkg/status';
/** A status file larger than this is not read (a big host's is a few MB). */
export const MAX_DPKG_STATUS_BYTES = 256 * 1024 * 1024;

export interface DpkgStatusFile {
  realPath: string;
  /** The file's text, for probes that look up one field their own way. */
  text: string;
  /** parseDpkgStatus of the text, parsed on first call and then shared: callers never change it. */
  parsed(): DpkgStatus;
}

/**
 * dpkg's status file, read once per scan (kept with the scan's HostRoot) and parsed at most once: three probes
 * read it (pending updates, the OpenSSH version, installed servers), each on its own before.
 */
export const readDpkgStatus: (host: HostRoot) => Promise<Result<DpkgStatusFile>> = perScan(
  () => '',
  async (host) => {
    const t = await host.readText(DPKG_STATUS_PATH, { maxBytes: MAX_DPKG_STATUS_BYTES });
    if (!t.ok) return t;
    let status: DpkgStatus | undefined;
    return { ok: true, realPath: t.realPath, text: t.text, parsed: () => (status ??= parseDpkgStatus(t.text)) };
  },
);
