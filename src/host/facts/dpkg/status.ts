/**
 * The installed set from /var/lib/dpkg/status. A package has a current version (as apt sees it) in every
 * state but not-installed and config-files; `Status: hold ok installed` is a hold (apt-mark hold, dpkg
 * --set-selections). Multi-arch: the same name can be installed for several architectures, so the key is
 * name + architecture.
 */
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
