/**
 * What a sandboxed binary could still reach inside an untrusted root, checked before it runs. The sandbox
 * (sandbox.ts) takes every capability away but keeps the effective uid 0, so the binary can open whatever
 * the root's files allow their owner. Three things in a root would reach the host that way:
 *
 * - a device node (a block device of the host's disk, /dev/mem, /dev/kvm) on a mount that allows devices;
 * - a kernel filesystem mounted inside the root (proc, sysfs, devtmpfs, cgroup...): the host seen from it;
 * - a host filesystem mounted again inside the root (a bind of the host's /run, with its sockets).
 *
 * Any of them and the binary does not run. Device nodes allowed: null, zero, full, random, urandom, and tty
 * (the sandbox has no controlling terminal, so opening it fails). The walk reads directory entries only
 * (no symlink is followed, nothing is opened); a root that changes while it runs (a live container's
 * filesystem) can add a node after the walk: mount such a root nodev (docs/threat-model.md).
 */
import { lstatSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import type { Dirent } from 'node:fs';

export const MAX_WALK_ENTRIES = 2_000_000;

const KERNEL_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'debugfs',
  'tracefs',
  'securityfs',
  'bpf',
  'efivarfs',
  'configfs',
  'fusectl',
  'binfmt_misc',
  'nsfs',
  'pstore',
  'selinuxfs',
  'mqueue',
  'hugetlbfs',
  'rpc_pipefs',
]);

/** char major:minor of the harmless devices. */
const ALLOWED_CHAR = new Set(['1:3', '1:5', '1:7', '1:8', '1:9', '5:0']);

export interface MountEntry {
  dev: string;
  mountPoint: string;
  options: string[];
  fstype: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/<pid>/mountinfo lines: "id parent major:minor root mountpoint options [optional...] - fstype source super". */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({ dev: f[2]!, mountPoint: unescape(f[4]!), options: f[5]!.split(','), fstype: f[dash + 1]! });
  }
  return out;
}

export type Safety = { ok: true; entries: number } | { ok: false; reason: string };

const inside = (p: string, dir: string) => dir === '/' || p === dir || p.startsWith(dir + '/');
const rel = (p: string, root: string) => (root === '/' ? p : p.slice(root.length) || '/');

/** The visible mount at each mount point (a later mount on the same point hides the earlier one). */
function visible(mounts: readonly MountEntry[]): Map<string, MountEntry> {
  const m = new Map<string, MountEntry>();
  for (const e of mounts) m.set(e.mountPoint, e);
  return m;
}

/** The mount that holds the root directory itself. */
function containingMount(real: string, top: Map<string, MountEntry>): MountEntry | undefined {
  const holders = [...top.values()].filter((m) => inside(real, m.mountPoint));
  return holders.sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
}

function mountProblem(real: string, mounts: readonly MountEntry[]): string | undefined {
  const top = visible(mounts);
  const containing = containingMount(real, top);
  if (containing && KERNEL_FS.has(containing.fstype)) return `the root is on a ${containing.fstype} filesystem`;
  for (const m of top.values()) {
    if (m.mountPoint === real || !inside(m.mountPoint, real)) continue;
    const where = rel(m.mountPoint, real);
    if (KERNEL_FS.has(m.fstype)) {
      return `${where} inside the root is a ${m.fstype} mount: a program in the root would see the host through it`;
    }
    const twin = mounts.find((o) => o.dev === m.dev && !inside(o.mountPoint, real));
    if (twin) {
      return (
        `${where} inside the root is the filesystem of ${twin.mountPoint} mounted again: ` +
        "a program in the root would reach the host's files and sockets through it"
      );
    }
  }
  return undefined;
}

function majorMinor(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** Why this directory entry is a device a program could open, if it is one. */
function deviceNode(p: string, e: Dirent, real: string): string | undefined {
  if (!e.isCharacterDevice() && !e.isBlockDevice()) return undefined;
  let rdev: bigint;
  try {
    rdev = lstatSync(p, { bigint: true }).rdev;
  } catch {
    return undefined; // gone meanwhile
  }
  const mm = majorMinor(rdev);
  if (e.isCharacterDevice() && ALLOWED_CHAR.has(mm)) return undefined;
  const kind = e.isBlockDevice() ? 'block' : 'character';
  const what = `${rel(p, real)} is a ${kind} device (${mm})`;
  return `${what} on a mount that allows devices: a program in the root could open it`;
}

/** Directories that hold a mount point somewhere below: the walk goes through them even on a nodev mount. */
function pathsToMounts(real: string, top: Map<string, MountEntry>): Set<string> {
  const out = new Set<string>();
  for (const mp of top.keys()) {
    if (mp === real || !inside(mp, real)) continue;
    for (let d = mp; d.length > real.length; d = d.slice(0, d.lastIndexOf('/'))) out.add(d);
  }
  return out;
}

/** The first device node that a program in the root could open, or why the walk gave up. */
type Walk = { problem?: string; entries: number };

async function deviceProblem(real: string, mounts: readonly MountEntry[]): Promise<Walk> {
  const top = visible(mounts);
  const allowsDev = (m: MountEntry) => !m.options.includes('nodev');
  const containing = containingMount(real, top);
  const onTheWay = pathsToMounts(real, top);
  const stack: { dir: string; dev: boolean }[] = [{ dir: real, dev: containing ? allowsDev(containing) : true }];
  let entries = 0;
  while (stack.length > 0) {
    const { dir, dev } = stack.pop()!;
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable for hostward is unreadable for the sandbox too
    }
    for (const e of list) {
      if (++entries > MAX_WALK_ENTRIES) {
        const problem = `the root holds more than ${MAX_WALK_ENTRIES} files, too many to check for device nodes`;
        return { problem, entries };
      }
      if (entries % 4096 === 0) await new Promise((r) => setImmediate(r));
      const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      const m = top.get(p);
      const devHere = m ? allowsDev(m) : dev;
      if (e.isDirectory()) {
        if (devHere || onTheWay.has(p)) stack.push({ dir: p, dev: devHere });
        continue;
      }
      const problem = devHere ? deviceNode(p, e, real) : undefined;
      if (problem) return { problem, entries };
    }
  }
  return { entries };
}

/** Whether a binary of this root may run in the sandbox; the reason names the path when not. */
export async function checkRoot(root: string, mountinfo?: string): Promise<Safety> {
  let real: string;
  try {
    real = realpathSync(root);
  } catch (e) {
    return { ok: false, reason: `cannot resolve ${root}: ${(e as Error).message}` };
  }
  const mounts = parseMountinfo(mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8'));
  const bad = mountProblem(real, mounts);
  if (bad) return { ok: false, reason: bad };
  const dev = await deviceProblem(real, mounts);
  return dev.problem ? { ok: false, reason: dev.problem } : { ok: true, entries: dev.entries };
}
