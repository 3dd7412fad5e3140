/**
 * Host-root access. Every read of host state goes through here, so that a host mounted at --root (/host in
 * the DaemonSet) is read as the host sees itself: symlinks are resolved *inside* the root (an absolute link
 * /var/run -> /run lands in <root>/run), and `..` stops at the root as it does under chroot. Failures are
 * typed results, never thrown strings, so a probe can turn them into `unknown` findings with a reason.
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { mapLimit } from '../map-limit.js';

/** Default cap for a file read: host config files are small; /proc files are read with the same cap. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
/** How files are opened for reading: O_NONBLOCK so that a FIFO planted at a config path cannot hang the scan. */
const READ_FLAGS = fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOFOLLOW;
/** Linux gives up after 40 links (MAXSYMLINKS); so do we. */
const MAX_SYMLINKS = 40;

export type FailureCode = 'missing' | 'unreadable' | 'too_large' | 'not_a_file' | 'not_a_directory' | 'symlink_loop';

export interface Failure {
  ok: false;
  code: FailureCode;
  /** Host path asked for. */
  path: string;
  /** Human reason, e.g. "EACCES: permission denied" or "larger than 4194304 bytes". */
  reason: string;
}

export type Result<T> = ({ ok: true } & T) | Failure;

export interface FileText {
  /** Host path after resolving links (without the root prefix). */
  realPath: string;
  text: string;
}

export interface FileBytes {
  realPath: string;
  bytes: Buffer;
}

export interface FileStat {
  realPath: string;
  type: 'file' | 'directory' | 'symlink' | 'socket' | 'fifo' | 'block' | 'char' | 'other';
  /** Permission bits and setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface DirEntry {
  name: string;
  /** Host path of the entry under the directory as asked (links in the directory path not resolved, as glob(3)). */
  path: string;
  type: FileStat['type'];
}

/** A process of the host, as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  /** /proc/<pid>/comm, trimmed (a program's name cut at 15 characters; kernel workers show longer ones). */
  comm: string;
}

/** Processes listed at most by HostRoot.processes(); a node has thousands, not this many. */
export const MAX_PROCESSES = 100_000;
/** Reads of /proc/<pid>/... files in flight at once when every process is read. */
export const PROC_READS_IN_FLIGHT = 16;

export interface ReadOptions {
  maxBytes?: number;
  /** Largest chunk readChunks hands on (default 1 MiB). */
  chunkBytes?: number;
}

function typeOf(st: Stats): FileStat['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isBlockDevice()) return 'block';
  if (st.isCharacterDevice()) return 'char';
  return 'other';
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

function failureFromError(hostPath: string, e: unknown): Failure {
  const code = errno(e);
  const reason = e instanceof Error ? e.message.replace(/, (open|lstat|stat|scandir|readlink) '.*'$/, '') : String(e);
  switch (code) {
    case 'ENOENT':
      return { ok: false, code: 'missing', path: hostPath, reason: 'no such file or directory' };
    case 'ENOTDIR':
      return { ok: false, code: 'missing', path: hostPath, reason: 'a parent is not a directory' };
    case 'EISDIR':
      return { ok: false, code: 'not_a_file', path: hostPath, reason: 'is a directory' };
    case 'ELOOP':
      return { ok: false, code: 'symlink_loop', path: hostPath, reason: 'too many levels of symbolic links' };
    default:
      return { ok: false, code: 'unreadable', path: hostPath, reason: code ? `${code}: ${reason}` : reason };
  }
}

/** Normalise a host path to absolute, POSIX, without trailing slash. Relative paths are taken from /. */
export function normaliseHostPath(p: string): string {
  const n = path.posix.normalize('/' + p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

export class HostRoot {
  /** Absolute path of the root on this machine, e.g. "/" or "/host". */
  readonly root: string;
  private processList?: Promise<ProcessEntry[]>;
  /**
   * On the host's own root, the real path of each directory a path was resolved in, so that the next path in it
   * needs an lstat of itself only. Kept for the HostRoot's life, one scan: a directory swapped for a link meanwhile
   * is seen at the next scan, and on the host's own root a link cannot lead out of it.
   */
  private readonly realDirs = new Map<string, string>();

  constructor(root = '/') {
    this.root = path.resolve(root);
  }

  get isHostRoot(): boolean {
    return this.root === '/';
  }

  /** Path on this machine for a host path, without resolving links. Only for code that must pass a path on. */
  fsPath(hostPath: string): string {
    const hp = normaliseHostPath(hostPath);
    return this.root === '/' ? hp : hp === '/' ? this.root : this.root + hp;
  }

  /**
   * Resolve a host path inside the root, following symlinks the way the host kernel would if the root were
   * "/". With follow=false the last component is not followed (lstat semantics).
   */
  async resolve(hostPath: string, follow = true): Promise<Result<{ realPath: string }>> {
    const asked = normaliseHostPath(hostPath);
    const onHost = await this.resolveOnHost(asked, follow);
    if (onHost) return onHost;
    const pending = asked.split('/').filter(Boolean);
    const done: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const comp = pending.shift()!;
      if (comp === '.') continue;
      if (comp === '..') {
        done.pop(); // never above the root, as under chroot
        continue;
      }
      const candidate = '/' + [...done, comp].join('/');
      const isLast = pending.length === 0;
      let st: Stats;
      try {
        st = await fsp.lstat(this.fsPath(candidate));
      } catch (e) {
        const f = failureFromError(asked, e);
        return f.code === 'missing' && !isLast ? { ...f, reason: `${candidate}: ${f.reason}` } : f;
      }
      if (st.isSymbolicLink() && (follow || !isLast)) {
        if (++links > MAX_SYMLINKS) {
          return {
            ok: false,
            code: 'symlink_loop',
            path: asked,
            reason: `more than ${MAX_SYMLINKS} symbolic links (loop at ${candidate})`,
          };
        }
        let target: string;
        try {
          target = await fsp.readlink(this.fsPath(candidate));
        } catch (e) {
          return failureFromError(asked, e);
        }
        const parts = target.split('/').filter(Boolean);
        if (target.startsWith('/')) done.length = 0; // absolute: from the host root, not ours
        pending.unshift(...parts);
        continue;
      }
      if (!isLast && !st.isDirectory()) {
        return { ok: false, code: 'missing', path: asked, reason: `${candidate} is not a directory` };
      }
      done.push(comp);
    }
    return { ok: true, realPath: '/' + done.join('/') };
  }

  /**
   * On the host's own root only: the kernel's resolution of `asked`, which is the walk's there (no link can lead
   * out of "/"), in one or two calls instead of an lstat per component: the directory's real path (realpath(3),
   * kept for the scan: a scan resolves ~1,700 paths in a few dozen directories) and an lstat of the entry, which a
   * link to follow sends through realpath(3) too. A last component that does not exist is the walk's failure
   * as well; any other failure returns undefined, and the walk finds it and its reason.
   */
  private async resolveOnHost(asked: string, follow: boolean): Promise<Result<{ realPath: string }> | undefined> {
    if (this.root !== '/') return undefined;
    if (asked === '/') return { ok: true, realPath: '/' };
    try {
      const entry = await this.entryOnHost(asked);
      let st: Stats;
      try {
        st = await fsp.lstat(entry);
      } catch (e) {
        return errno(e) === 'ENOENT' ? failureFromError(asked, e) : undefined;
      }
      return { ok: true, realPath: follow && st.isSymbolicLink() ? await fsp.realpath(entry) : entry };
    } catch {
      return undefined;
    }
  }

  /** A path's entry in its directory's real path (realpath(3) once per directory per scan). Throws as realpath. */
  private async entryOnHost(asked: string): Promise<string> {
    const parent = path.posix.dirname(asked);
    let realParent = this.realDirs.get(parent);
    if (realParent === undefined) {
      realParent = await fsp.realpath(parent);
      this.realDirs.set(parent, realParent);
    }
    return (realParent === '/' ? '' : realParent) + '/' + path.posix.basename(asked);
  }

  /** A file opened for reading once its path is resolved in the root; a last link is never followed. */
  private async openResolved(asked: string): Promise<Result<{ realPath: string; fh: fsp.FileHandle }>> {
    const direct = await this.openOnHost(asked);
    if (direct) return direct;
    const r = await this.resolve(asked);
    if (!r.ok) return r;
    try {
      return { ok: true, realPath: r.realPath, fh: await fsp.open(this.fsPath(r.realPath), READ_FLAGS) };
    } catch (e) {
      return failureFromError(asked, e);
    }
  }

  /**
   * On the host's own root, the entry opened at once, without the lstat resolving it would take: under O_NOFOLLOW
   * a link fails (ELOOP), and it and any other surprise are left to the full resolution (undefined).
   */
  private async openOnHost(asked: string): Promise<Result<{ realPath: string; fh: fsp.FileHandle }> | undefined> {
    if (this.root !== '/' || asked === '/') return undefined;
    let entry: string;
    try {
      entry = await this.entryOnHost(asked);
    } catch {
      return undefined;
    }
    try {
      return { ok: true, realPath: entry, fh: await fsp.open(entry, READ_FLAGS) };
    } catch (e) {
      return errno(e) === 'ENOENT' ? failureFromError(asked, e) : undefined;
    }
  }

  async stat(hostPath: string, follow = true): Promise<Result<FileStat>> {
    const r = await this.resolve(hostPath, follow);
    if (!r.ok) return r;
    try {
      const st = await fsp.lstat(this.fsPath(r.realPath));
      return {
        ok: true,
        realPath: r.realPath,
        type: typeOf(st),
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: st.size,
        mtimeMs: st.mtimeMs,
        ino: st.ino,
      };
    } catch (e) {
      return failureFromError(normaliseHostPath(hostPath), e);
    }
  }

  /**
   * The text of a symbolic link, not followed (readlink(2)): for links whose target is not a path, such as
   * /proc/<pid>/fd/N -> "socket:[12345]". The directories leading to it are resolved inside the root.
   */
  async readLink(hostPath: string): Promise<Result<{ realPath: string; target: string }>> {
    const asked = normaliseHostPath(hostPath);
    const r = await this.resolve(asked, false);
    if (!r.ok) return r;
    try {
      return { ok: true, realPath: r.realPath, target: await fsp.readlink(this.fsPath(r.realPath)) };
    } catch (e) {
      const f = failureFromError(asked, e);
      return errno(e) === 'EINVAL' ? { ...f, code: 'not_a_file', reason: 'not a symbolic link' } : f;
    }
  }

  /**
   * The host's processes with their comm, in /proc's directory order, read once per HostRoot: the runner
   * makes one HostRoot per scan, so the probes that look for their daemons (sshd, dockerd, kubelet...) share
   * one walk of /proc instead of each reading every pid's comm. A process that exits meanwhile is left out.
   */
  processes(): Promise<ProcessEntry[]> {
    this.processList ??= (async () => {
      const proc = await this.readDir('/proc');
      if (!proc.ok) return [];
      const pids = proc.entries.filter((e) => /^\d+$/.test(e.name)).slice(0, MAX_PROCESSES);
      // Several reads in flight: one after another, a node's hundreds of processes were a wait each.
      const comms = await mapLimit(pids, PROC_READS_IN_FLIGHT, (e) =>
        this.readText(`/proc/${e.name}/comm`, { maxBytes: 64 }),
      );
      return pids.flatMap((e, i) => {
        const comm = comms[i]!;
        return comm.ok ? [{ pid: Number(e.name), comm: comm.text.trim() }] : [];
      });
    })();
    return this.processList;
  }

  async exists(hostPath: string): Promise<boolean> {
    return (await this.resolve(hostPath)).ok;
  }

  /**
   * Read a file's bytes with a size cap. The cap is enforced on what is read, not on stat's size, because
   * /proc and /sys files report size 0.
   */
  async readBytes(hostPath: string, opts: ReadOptions = {}): Promise<Result<FileBytes>> {
    const chunks: Buffer[] = [];
    let total = 0;
    const keep = (c: Buffer) => {
      chunks.push(c);
      total += c.length;
    };
    const r = await this.readChunks(hostPath, keep, opts);
    if (!r.ok) return r;
    return { ok: true, realPath: r.realPath, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
  }

  /**
   * Read a file chunk by chunk (at most opts.chunkBytes each, never reused: `onChunk` may keep them), with the size cap
   * of readBytes, so that a big file (apt's 50 MB package lists) is never held whole. `onChunk` is awaited
   * before the next read; what it throws is thrown on, while read failures are results.
   */
  async readChunks(
    hostPath: string,
    onChunk: (chunk: Buffer) => void | Promise<void>,
    opts: ReadOptions = {},
  ): Promise<Result<{ realPath: string; bytes: number }>> {
    const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const asked = normaliseHostPath(hostPath);
    const r = await this.openResolved(asked);
    if (!r.ok) return r;
    const fh = r.fh;
    let consumerError: { e: unknown } | undefined;
    try {
      const st = await fh.stat();
      if (st.isDirectory()) return { ok: false, code: 'not_a_file', path: asked, reason: 'is a directory' };
      if (!st.isFile() && !st.isCharacterDevice()) {
        return { ok: false, code: 'not_a_file', path: asked, reason: `is a ${typeOf(st)}, not a regular file` };
      }
      if (st.size > max)
        return {
          ok: false,
          code: 'too_large',
          path: asked,
          reason: `${st.size} bytes, larger than the ${max}-byte limit`,
        };
      let total = 0;
      const sized = st.isFile() && st.size > 0;
      const chunkSize = Math.min(Math.max(st.size + 1, 4096), max + 1, opts.chunkBytes ?? 1 << 20);
      for (;;) {
        const buf = Buffer.allocUnsafe(chunkSize);
        const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > max)
          return { ok: false, code: 'too_large', path: asked, reason: `larger than the ${max}-byte limit` };
        try {
          await onChunk(bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead));
        } catch (e) {
          consumerError = { e };
          throw e;
        }
        // A short read of a file with a size is its end (POSIX): no read to hear it again. /proc's files say
        // size 0 and may read short before their end, so they are read until a read gives nothing.
        if (sized && bytesRead < chunkSize) break;
      }
      return { ok: true, realPath: r.realPath, bytes: total };
    } catch (e) {
      if (consumerError) throw consumerError.e;
      return failureFromError(asked, e);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** Read a text file (UTF-8; invalid bytes become U+FFFD, which parsers treat as garbage). */
  async readText(hostPath: string, opts: ReadOptions = {}): Promise<Result<FileText>> {
    const r = await this.readBytes(hostPath, opts);
    if (!r.ok) return r;
    return { ok: true, realPath: r.realPath, text: r.bytes.toString('utf8') };
  }

  /** List a directory, sorted by name (byte order, as glob(3) in the C locale). */
  async readDir(hostPath: string): Promise<Result<{ realPath: string; entries: DirEntry[] }>> {
    const asked = normaliseHostPath(hostPath);
    const r = await this.resolve(asked);
    if (!r.ok) return r;
    try {
      const dirents = await fsp.readdir(this.fsPath(r.realPath), { withFileTypes: true });
      const entries = dirents
        .map((d): DirEntry => ({
          name: d.name,
          path: (asked === '/' ? '' : asked) + '/' + d.name,
          type: d.isFile()
            ? 'file'
            : d.isDirectory()
              ? 'directory'
              : d.isSymbolicLink()
                ? 'symlink'
                : d.isSocket()
                  ? 'socket'
                  : d.isFIFO()
                    ? 'fifo'
                    : 'other',
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { ok: true, realPath: r.realPath, entries };
    } catch (e) {
      const f = failureFromError(asked, e);
      return errno(e) === 'ENOTDIR' ? { ...f, code: 'not_a_directory', reason: 'not a directory' } : f;
    }
  }

  /**
   * The targets of the symbolic links a directory holds (/proc/<pid>/fd: "socket:[12345]", "pipe:[7]"), not
   * followed: the directory is resolved inside the root once, and each entry's link read in it, one readlink(2)
   * per entry instead of the directory's resolution again for each (a node has thousands of open files). An entry
   * gone meanwhile, or not a link, has no target.
   */
  async readLinksIn(
    hostPath: string,
  ): Promise<Result<{ realPath: string; links: { name: string; target?: string }[] }>> {
    const d = await this.readDir(hostPath);
    if (!d.ok) return d;
    const base = this.fsPath(d.realPath);
    const links: { name: string; target?: string }[] = [];
    for (const e of d.entries) {
      try {
        links.push({ name: e.name, target: await fsp.readlink(`${base === '/' ? '' : base}/${e.name}`) });
      } catch {
        links.push({ name: e.name });
      }
    }
    return { ok: true, realPath: d.realPath, links };
  }

  /**
   * Expand a glob pattern (`*`, `?`, `[...]` per component, as glob(3) without GLOB_BRACE) against the host,
   * in lexical order. Hidden files are matched only by a pattern that starts with a dot. Paths that cannot
   * be read are skipped, as glob(3) does without GLOB_ERR.
   */
  async glob(pattern: string): Promise<string[]> {
    const parts = normaliseHostPath(pattern).split('/').filter(Boolean);
    let bases = ['/'];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const next: string[] = [];
      if (!hasGlobMagic(part)) {
        for (const b of bases) {
          const p = (b === '/' ? '' : b) + '/' + part;
          if (last ? await this.exists(p) : (await this.stat(p)).ok) next.push(p);
        }
      } else {
        const re = globToRegExp(part);
        for (const b of bases) {
          const d = await this.readDir(b);
          if (!d.ok) continue;
          for (const e of d.entries) {
            if (e.name.startsWith('.') && !part.startsWith('.')) continue;
            if (re.test(e.name)) next.push(e.path);
          }
        }
      }
      bases = next;
      if (bases.length === 0) break;
    }
    return bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

export function hasGlobMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

/**
 * fnmatch(3) as a regular expression over whole strings: `*` and `?` stay within a path component, `[abc]`,
 * `[!a-z]`, `\x`; with `globstar`, `**` also crosses components.
 */
export function globToRegExp(glob: string, opts: { globstar?: boolean } = {}): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && opts.globstar && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!') || body.startsWith('^')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$', 's');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Format a failure for a finding message: "/etc/ssh/sshd_config: unreadable (EACCES: permission denied)". */
export function describeFailure(f: Failure): string {
  return `${f.path}: ${f.code.replace(/_/g, ' ')} (${f.reason})`;
}
