/**
 * dnf's versionlock plugin (dnf 4: /etc/dnf/plugins/versionlock.list, enabled by
 * /etc/dnf/plugins/versionlock.conf): each line locks a package to a NEVRA pattern,
 * `name-[epoch:]version-release.arch` with globs (`kubelet-0:1.35.0-150500.1.1.*`); a `!` prefix excludes
 * that version instead; `#` starts a comment. A locked package is held: dnf offers no other version of it.
 * dnf 5's /etc/dnf/versionlock.toml is not read (reported).
 */
import type { HostRoot } from '../../../src/sdk.js';
import { parseBool, parseIni, specRegExp } from './repos.js';

export const VERSIONLOCK_CONF = '/etc/dnf/plugins/versionlock.conf';
export const VERSIONLOCK_LIST = '/etc/dnf/plugins/versionlock.list';
export const DNF5_VERSIONLOCK = '/etc/dnf/versionlock.toml';

export interface VersionLock {
  /** Glob over package names. */
  name: string;
  pattern: string;
  line: number;
}

/** Lock lines (exclusions with `!` are not holds). */
export function parseVersionlockList(text: string): { locks: VersionLock[]; problems: string[] } {
  const locks: VersionLock[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.replace(/#.*/, '').trim();
    if (!t || t.startsWith('!')) return;
    // name-[epoch:]version-release.arch: the name is what precedes the last two hyphens
    const parts = t.split('-');
    if (parts.length < 3) {
      if (problems.length < 10) problems.push(`line ${i + 1}: not a name-version-release pattern: ${t.slice(0, 80)}`);
      return;
    }
    locks.push({ name: parts.slice(0, -2).join('-'), pattern: t, line: i + 1 });
  });
  return { locks, problems };
}

export async function readVersionlock(
  host: HostRoot,
): Promise<{ locks: VersionLock[]; file?: string; note: string; problems: string[] }> {
  const list = await host.readText(VERSIONLOCK_LIST, { maxBytes: 1024 * 1024 });
  const dnf5 = await host.stat(DNF5_VERSIONLOCK);
  const dnf5Note = dnf5.ok ? `; ${DNF5_VERSIONLOCK} (dnf 5) is not read` : '';
  if (!list.ok) return { locks: [], note: `no ${VERSIONLOCK_LIST}${dnf5Note}`, problems: [] };
  const conf = await host.readText(VERSIONLOCK_CONF, { maxBytes: 64 * 1024 });
  const main = conf.ok ? parseIni(conf.text).sections.find((s) => s.name === 'main') : undefined;
  if (!conf.ok || !parseBool(main?.values.get('enabled')?.value, false)) {
    return {
      locks: [],
      note: `${VERSIONLOCK_LIST} exists but the plugin is not enabled in ${VERSIONLOCK_CONF}${dnf5Note}`,
      problems: [],
    };
  }
  const r = parseVersionlockList(list.text);
  return {
    ...r,
    file: VERSIONLOCK_LIST,
    note: `${r.locks.length} lock(s) in ${VERSIONLOCK_LIST}${dnf5Note}`,
    problems: r.problems.map((p) => `${VERSIONLOCK_LIST}: ${p}`),
  };
}

/** Whether a lock's name glob matches a package name. */
export function lockMatcher(locks: readonly VersionLock[]): (name: string) => VersionLock | undefined {
  const res = locks.map((l) => ({ l, re: specRegExp(l.name) }));
  return (name) => res.find((x) => x.re.test(name))?.l;
}
