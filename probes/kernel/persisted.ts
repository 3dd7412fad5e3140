/**
 * Reads the persisted sysctl configuration of the scanned root in the order systemd-sysctl applies it
 * (sysctl-conf.ts says how), so that each sysctl check can tell whether the value in force survives a reboot.
 */
import type { HostRoot } from '../../src/sdk.js';
import { applyConf, parseSysctlConf, MAX_CONF_CHARS, SYSCTL_CONF, SYSCTL_CONF_DIRS } from './sysctl-conf.js';
import type { ConfFile, ConfSetting } from './sysctl-conf.js';

/** Configuration files considered at most: a host has a few dozen. */
export const MAX_CONF_FILES = 1000;

export interface ConfSource {
  /** Host path, as listed (a link keeps its own name). */
  path: string;
  /** What the entry contributed: read and parsed, nothing (masked, empty, dangling link, a directory), or unknown. */
  state: 'read' | 'nothing' | 'unreadable';
  /** Why nothing or unreadable. */
  reason?: string;
  /** Lines neither comments nor assignments, for read files. */
  ignoredCount?: number;
}

export interface PersistedFacts {
  /** Why the persisted configuration cannot be judged at all (the root has no /etc, a directory cannot be listed). */
  problem?: string;
  /** Every entry in the order applied, masked ones included. */
  sources: ConfSource[];
  /** Final settings by key (sysctl-conf.ts applyConf). */
  settings: Map<string, ConfSetting>;
  /** /etc/sysctl.conf was read last because no sysctl.d entry leads to it (procps order). */
  sysctlConfLast: boolean;
}

const why = (r: { code: string; reason: string }) => `${r.code.replace(/_/g, ' ')} (${r.reason})`;

/** The *.conf entries to apply, by name, each from the first directory that has the name. */
async function listEntries(host: HostRoot): Promise<{ entries: string[]; problem?: string }> {
  const byName = new Map<string, string>();
  for (const dir of SYSCTL_CONF_DIRS) {
    const d = await host.readDir(dir);
    if (!d.ok) {
      if (d.code === 'missing') continue;
      return { entries: [], problem: `${dir} cannot be listed: ${why(d)}` };
    }
    // conf-files.c leaves hidden files out.
    for (const e of d.entries) {
      if (e.name.endsWith('.conf') && !e.name.startsWith('.') && !byName.has(e.name)) byName.set(e.name, e.path);
    }
  }
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length > MAX_CONF_FILES) {
    return { entries: [], problem: `${names.length} sysctl configuration files, more than the ${MAX_CONF_FILES} read` };
  }
  return { entries: names.map((n) => byName.get(n)!) };
}

type Source = { source: ConfSource; conf?: ConfFile; realPath?: string };

async function readSource(host: HostRoot, path: string): Promise<Source> {
  const link = await host.readLink(path);
  if (link.ok && link.target === '/dev/null') {
    return { source: { path, state: 'nothing', reason: 'masked (a link to /dev/null)' } };
  }
  const r = await host.readText(path, { maxBytes: MAX_CONF_CHARS });
  if (!r.ok) {
    // systemd-sysctl skips a dangling link or a directory with a message; either still masks the name.
    if (r.code === 'missing' || r.code === 'not_a_file') return { source: { path, state: 'nothing', reason: why(r) } };
    return { source: { path, state: 'unreadable', reason: why(r) } };
  }
  const p = parseSysctlConf(r.text);
  if (!p.ok) return { source: { path, state: 'unreadable', reason: p.reason }, realPath: r.realPath };
  return { source: { path, state: 'read', ignoredCount: p.conf.ignoredCount }, conf: p.conf, realPath: r.realPath };
}

export async function readPersisted(host: HostRoot): Promise<PersistedFacts> {
  const etc = await host.readDir('/etc');
  const none = { sources: [], settings: new Map(), sysctlConfLast: false };
  if (!etc.ok) {
    const problem = `the scanned root has no readable /etc (${why(etc)}), so what the next boot applies cannot be read`;
    return { ...none, problem };
  }
  const { entries, problem } = await listEntries(host);
  if (problem) return { ...none, problem };
  const read = await Promise.all(entries.map((p) => readSource(host, p)));
  let sysctlConfLast = false;
  if (!read.some((r) => r.realPath === SYSCTL_CONF)) {
    const last = await readSource(host, SYSCTL_CONF);
    if (last.source.state !== 'nothing') {
      read.push(last);
      sysctlConfLast = true;
    }
  }
  const sources = read.map((r) => r.source);
  const empty: ConfFile = { assignments: [], ignored: [], ignoredCount: 0 };
  const settings = applyConf(read.map((r) => ({ file: r.source.path, conf: r.conf ?? empty })));
  return { sources, settings, sysctlConfLast };
}
