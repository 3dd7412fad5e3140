/**
 * Lost events. inotify drops events when its queue overflows (IN_Q_OVERFLOW), and libuv, under fs.watch,
 * discards that notice: an overflow cannot be seen through fs.watch. So the watcher keeps a cheap digest of
 * every watched directory (lstat of its relevant entries: inode, mode, owner, size, mtime and ctime in ns) and
 * compares it at every flush and on every scheduled refresh.
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { coversEntry } from './targets.js';
import type { CompiledTarget } from './targets.js';

/** Relevant entry name -> stat signature. */
export type Digest = Map<string, string>;

/** Signatures of the entries of host directory `dir` that some target of `covering` cares about. */
export function digestOf(mounted: (host: string) => string, dir: string, covering: readonly CompiledTarget[]): Digest {
  const out: Digest = new Map();
  let names: string[];
  try {
    names = readdirSync(mounted(dir));
  } catch {
    return out;
  }
  for (const name of names) {
    if (!covering.some((c) => coversEntry(c, dir, name))) continue;
    const sig = signature(mounted(path.posix.join(dir, name)));
    if (sig !== undefined) out.set(name, sig);
  }
  return out;
}

/** The stat signature of one entry; undefined when it vanished between readdir and lstat. */
function signature(file: string): string | undefined {
  try {
    const st = lstatSync(file, { bigint: true });
    // A directory's times and size move with its entries, which its own watch covers (the parent gets no
    // event for them): only its identity and permissions count here.
    return st.isDirectory()
      ? `d:${st.ino}:${st.mode}:${st.uid}:${st.gid}`
      : `${st.ino}:${st.mode}:${st.uid}:${st.gid}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/** The names whose signature differs between two digests (added, removed or changed). */
export function changedNames(before: Digest, now: Digest): string[] {
  return [...new Set([...before.keys(), ...now.keys()])].filter((name) => before.get(name) !== now.get(name));
}
