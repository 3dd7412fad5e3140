/** Bounded reads through the host root, turned into Read<T> results. */
import type { HostRoot } from '../../../src/sdk.js';
import type { Read } from '../types.js';

/** Account databases and config files are small; 8 MiB holds a passwd of ~100,000 accounts. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Files read from one directory (profile.d, sudoers.d, pwquality.conf.d) at most. */
export const MAX_DIR_FILES = 256;

export async function readParsed<T>(host: HostRoot, file: string, parse: (text: string) => T): Promise<Read<T>> {
  const r = await host.readText(file, { maxBytes: MAX_FILE_BYTES });
  if (!r.ok) return { ok: false, file, code: r.code, reason: r.reason };
  return { ok: true, file, data: parse(r.text) };
}

/** Regular files (or links to them) of a directory whose names pass `keep`, sorted; [] when it does not exist. */
export async function dirFiles(
  host: HostRoot,
  dir: string,
  keep: (name: string) => boolean,
): Promise<{ files: string[]; problem?: string }> {
  const d = await host.readDir(dir);
  if (!d.ok) return d.code === 'missing' ? { files: [] } : { files: [], problem: `${dir}: ${d.reason}` };
  const names = d.entries.filter((e) => (e.type === 'file' || e.type === 'symlink') && keep(e.name)).map((e) => e.path);
  const cut = names.length > MAX_DIR_FILES;
  return {
    files: names.slice(0, MAX_DIR_FILES),
    ...(cut ? { problem: `${dir}: only the first ${MAX_DIR_FILES} of ${names.length} files were read` } : {}),
  };
}

/** "unreadable (EACCES: ...)": the code and reason of a failed read, for messages. */
export const whyNot = (r: { code: string; reason: string }): string => `${r.code.replace(/_/g, ' ')} (${r.reason})`;
