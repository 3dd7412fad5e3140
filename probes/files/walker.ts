/**
 * A bounded walk of the host's local file systems for the whole-disk checks (world-writable, unowned, SUID/SGID),
 * the rules of find(1) in the CIS audits: links are never followed, kernel and container trees are never entered
 * (/proc, /sys, /dev, /run, container layers and pod volumes), nor are network, FUSE and overlay mounts (from
 * PID 1's mountinfo). The walk stops at a number of entries or a time budget; what it did not see is counted, so
 * that a check can say `unknown` for it instead of `pass`.
 *
 * Paths are host paths; the file system is reached through HostRoot.fsPath. Since no link is followed and a
 * directory is entered only when lstat says it is one, every path built from a listed directory stays inside
 * the root. The work is done in slices that yield to the event loop, so the other probes of a scan keep running.
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { Stats } from 'node:fs';
import type { HostRoot } from '../../src/worker-sdk.js';
import { offThread } from '../../src/worker-sdk.js';

/** Host paths never entered, as in the integrity probe's walker and the CIS audits. */
export const NEVER_ENTERED = [
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/var/lib/containerd',
  '/var/lib/docker',
  '/var/lib/containers',
  '/var/lib/kubelet/pods',
] as const;

/** File system types not walked: remote, FUSE (often remote or slow), container overlays, kernel pseudo systems. */
const SKIPPED_FS = new RegExp(
  `^(${[
    ...[
      'nfs4?',
      'cifs',
      'smb3?',
      'smbfs',
      'ceph',
      'glusterfs',
      '9p',
      'afs',
      'sshfs',
      'davfs',
      'fuse(\\..*)?',
      'fuseblk',
    ],
    ...['overlay', 'aufs', 'squashfs', 'iso9660', 'proc', 'sysfs', 'devtmpfs', 'devpts', 'cgroup2?', 'securityfs'],
    ...['debugfs', 'tracefs', 'bpf', 'autofs', 'configfs', 'pstore', 'efivarfs', 'selinuxfs', 'mqueue', 'hugetlbfs'],
    ...['binfmt_misc', 'fusectl', 'nsfs', 'rpc_pipefs'],
  ].join('|')})$`,
);

/** Hits kept per category; the count goes on beyond it. SUID/SGID files are few and judged later, so more are kept. */
export const MAX_HITS = 200;
export const MAX_SETID_HITS = 5000;
/** Entries between two looks at the clock; and slices of about this many milliseconds between yields. */
const CLOCK_EVERY = 64;
const SLICE_MS = 8;
const MAX_NOTES = 20;

export interface WalkLimits {
  maxEntries: number;
  budgetMs: number;
}

/** A path the walk reports: what lstat said of it. */
export interface Hit {
  path: string;
  type: 'file' | 'directory' | 'other';
  mode: number;
  uid: number;
  gid: number;
}

export interface HitList {
  hits: Hit[];
  /** All found, including those beyond MAX_HITS. */
  count: number;
}

export type Category = 'worldWritableFiles' | 'worldWritableDirs' | 'unownedUser' | 'unownedGroup' | 'setid';

export interface WalkResult {
  complete: boolean;
  /** Why the walk stopped early. */
  stoppedBy?: 'entries' | 'time' | 'aborted';
  entries: number;
  elapsedMs: number;
  limits: WalkLimits;
  /** Directories found but never listed because the walk stopped; a few of their paths. */
  dirsNotRead: number;
  notRead: string[];
  /** The directory the walk stopped in, and how many of its entries it did not look at. */
  partial?: { dir: string; left: number };
  /** Mount points and paths not entered, with the reason (at most MAX_NOTES). */
  skipped: { path: string; why: string }[];
  /** Directories that could not be listed; a few with the reason. */
  unreadable: { path: string; reason: string }[];
  unreadableCount: number;
  /** Why mount points could not be told apart (no readable mountinfo): every mount was walked as local. */
  mountsProblem?: string;
  found: Record<Category, HitList>;
}

/** A mount from /proc/<pid>/mountinfo: the mount point (unescaped) and the file system type. */
export interface Mount {
  point: string;
  fstype: string;
}

/** Parse mountinfo lines: field 5 is the mount point (octal escapes), the type follows the " - " separator. */
export function parseMountinfo(text: string, max = 100_000): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= max) break;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || !right[0]) continue;
    const point = left[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (!point.startsWith('/')) continue;
    out.push({ point, fstype: right[0] });
  }
  return out;
}

/** Mount points whose file system is not walked, with the type. */
export function skippedMounts(mounts: readonly Mount[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of mounts)
    if (SKIPPED_FS.test(x.fstype)) m.set(x.point, x.fstype);
    else m.delete(x.point); // a later mount over the same point hides the earlier one
  return m;
}

function typeOf(st: Stats): Hit['type'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
}

const empty = (): HitList => ({ hits: [], count: 0 });

function add(list: HitList, h: Hit, max = MAX_HITS): void {
  list.count++;
  if (list.hits.length < max) list.hits.push(h);
}

interface State {
  r: WalkResult;
  stack: string[];
  users: ReadonlySet<number>;
  groups: ReadonlySet<number>;
  mounts: ReadonlyMap<string, string>;
}

function note(list: { path: string; why: string }[], path: string, why: string): void {
  if (list.length < MAX_NOTES) list.push({ path, why });
}

/** Look at one entry: record what it is found to be, and queue it when it is a directory to enter. */
function visit(s: State, host: WalkInput['host'], p: string): void {
  let st: Stats | undefined;
  try {
    st = lstatSync(host.fsPath(p), { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (!st) return; // vanished since the listing
  s.r.entries++;
  // A mount point or kernel tree shows the mounted file system's root: judged by none of the checks.
  if ((NEVER_ENTERED as readonly string[]).includes(p))
    return note(s.r.skipped, p, 'never walked (kernel, runtime or pod tree)');
  const fs = s.mounts.get(p);
  if (fs) return note(s.r.skipped, p, `${fs} mount: not a local file system`);
  const mode = st.mode & 0o7777;
  const type = typeOf(st);
  const hit = (): Hit => ({ path: p, type, mode, uid: st.uid, gid: st.gid });
  const { found } = s.r;
  if (type === 'file' && mode & 0o002) add(found.worldWritableFiles, hit());
  if (type === 'directory' && mode & 0o002 && !(mode & 0o1000)) add(found.worldWritableDirs, hit());
  if (type === 'file' && mode & 0o6000) add(found.setid, hit(), MAX_SETID_HITS);
  if (!s.users.has(st.uid)) add(found.unownedUser, hit());
  if (!s.groups.has(st.gid)) add(found.unownedGroup, hit());
  if (type === 'directory') s.stack.push(p);
}

/**
 * Top-level directories walked first, so that a walk cut short by its budget has seen where programs and
 * configuration live (SUID binaries are under /usr) before data trees.
 */
const FIRST = ['usr', 'etc', 'bin', 'sbin', 'lib', 'lib64', 'root', 'home', 'tmp', 'var', 'opt', 'srv', 'boot'];
const rank = (n: string) => (FIRST.includes(n) ? FIRST.indexOf(n) : FIRST.length);
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function list(s: State, host: WalkInput['host'], dir: string): string[] {
  try {
    const names = readdirSync(host.fsPath(dir));
    return dir === '/' ? names.sort((a, b) => rank(a) - rank(b) || byName(a, b)) : names.sort(byName);
  } catch (e) {
    s.r.unreadableCount++;
    if (s.r.unreadable.length < MAX_NOTES)
      s.r.unreadable.push({ path: dir, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
    return [];
  }
}

function reverseFrom(a: string[], from: number): void {
  for (let i = from, j = a.length - 1; i < j; i++, j--) [a[i], a[j]] = [a[j]!, a[i]!];
}

export interface WalkInput {
  /** Only fsPath is used: the walk builds host paths from listed names and maps them into the root. */
  host: Pick<HostRoot, 'fsPath'>;
  limits: WalkLimits;
  users: ReadonlySet<number>;
  groups: ReadonlySet<number>;
  mounts: ReadonlyMap<string, string>;
  mountsProblem?: string;
  signal?: AbortSignal;
  now?: () => number;
}

/** Walk from / within the limits. Directories are read in name order, depth first. */
export async function walkHost(input: WalkInput): Promise<WalkResult> {
  const now = input.now ?? (() => performance.now());
  const start = now();
  const r: WalkResult = {
    complete: false,
    entries: 0,
    elapsedMs: 0,
    limits: input.limits,
    dirsNotRead: 0,
    notRead: [],
    skipped: [],
    unreadable: [],
    unreadableCount: 0,
    found: {
      worldWritableFiles: empty(),
      worldWritableDirs: empty(),
      unownedUser: empty(),
      unownedGroup: empty(),
      setid: empty(),
    },
    ...(input.mountsProblem ? { mountsProblem: input.mountsProblem } : {}),
  };
  const s: State = { r, stack: ['/'], users: input.users, groups: input.groups, mounts: input.mounts };
  let sliceStart = start;
  let sinceClock = 0;
  outer: while (s.stack.length > 0) {
    // Also looked at between directories, so that an abort sent before or early in the walk stops it at once.
    if (input.signal?.aborted) {
      r.stoppedBy = 'aborted';
      break;
    }
    const dir = s.stack.pop()!;
    const names = list(s, input.host, dir);
    // Pushed in reverse so that the stack pops children in name order.
    const mark = s.stack.length;
    for (let i = 0; i < names.length; i++) {
      if (r.entries >= input.limits.maxEntries) {
        r.stoppedBy = 'entries';
        r.partial = { dir, left: names.length - i };
        break outer;
      }
      visit(s, input.host, (dir === '/' ? '' : dir) + '/' + names[i]!);
      if (++sinceClock < CLOCK_EVERY) continue;
      sinceClock = 0;
      const t = now();
      if (t - start >= input.limits.budgetMs) {
        r.stoppedBy = 'time';
        if (i + 1 < names.length) r.partial = { dir, left: names.length - i - 1 };
        break outer;
      }
      if (t - sliceStart >= SLICE_MS) {
        await new Promise<void>((res) => setImmediate(res));
        sliceStart = now();
        if (input.signal?.aborted) {
          r.stoppedBy = 'aborted';
          if (i + 1 < names.length) r.partial = { dir, left: names.length - i - 1 };
          break outer;
        }
      }
    }
    reverseFrom(s.stack, mark);
  }
  r.complete = r.stoppedBy === undefined;
  r.dirsNotRead = s.stack.length;
  r.notRead = s.stack.slice(-5).reverse();
  r.elapsedMs = Math.round(now() - start);
  return r;
}

/** What the walk worker gets: the walk's input without host, clock or signal (those are the worker's own). */
export type WalkJob = Omit<WalkInput, 'host' | 'signal' | 'now'>;

const WORKER_FILE = new URL('./walk-worker.js', import.meta.url);

/**
 * walkHost in a worker thread, so the walk's system calls and bookkeeping leave the scan's event loop to the other
 * probes; in place when no worker can run (see offThread), with the same result. An abort is told to the walk,
 * which answers with what it saw.
 */
export async function walkOffThread(input: WalkInput & { host: HostRoot }): Promise<WalkResult> {
  const { host, signal, now: _now, ...job } = input;
  try {
    return await offThread<WalkJob, WalkResult>(WORKER_FILE, host, job, () => walkHost(input), {
      signal,
      onAbort: 'tell',
    });
  } catch (e) {
    throw new Error(`file system walk: ${e instanceof Error ? e.message : String(e)}`);
  }
}
