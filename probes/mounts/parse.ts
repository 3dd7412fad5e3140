/**
 * /proc/<pid>/mountinfo (proc(5)): "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw". The
 * per-mount options (the sixth field) carry nodev, nosuid and noexec; paths escape space, tab, newline and
 * backslash as octal. Lines that do not parse are counted, never thrown.
 */
export interface MountEntry {
  id: number;
  parent: number;
  /** major:minor of the filesystem's device. */
  device: string;
  /** Root of the mount within its filesystem: not "/" for a bind mount of a subdirectory. */
  root: string;
  mountPoint: string;
  options: ReadonlySet<string>;
  fsType: string;
  source: string;
  line: number;
}

export interface MountInfo {
  mounts: MountEntry[];
  bad: number;
  firstBad?: number;
}

/** Lines read at most: a node with thousands of pods has tens of thousands of mounts, not more. */
export const MAX_MOUNTS = 100_000;

const unescape = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountInfo(text: string): MountInfo {
  const out: MountInfo = { mounts: [], bad: 0 };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && out.mounts.length < MAX_MOUNTS; i++) {
    const l = lines[i]!.trim();
    if (!l) continue;
    const e = parseLine(l, i + 1);
    if (e) out.mounts.push(e);
    else {
      out.bad++;
      out.firstBad ??= i + 1;
    }
  }
  return out;
}

function parseLine(l: string, line: number): MountEntry | undefined {
  const f = l.split(' ');
  const sep = f.indexOf('-', 6);
  if (f.length < 10 || sep < 6 || sep + 2 >= f.length) return undefined;
  const id = Number(f[0]);
  const parent = Number(f[1]);
  if (!Number.isInteger(id) || !Number.isInteger(parent) || !/^\d+:\d+$/.test(f[2]!)) return undefined;
  const mountPoint = unescape(f[4]!);
  if (!mountPoint.startsWith('/')) return undefined;
  return {
    id,
    parent,
    device: f[2]!,
    root: unescape(f[3]!),
    mountPoint,
    options: new Set(f[5]!.split(',')),
    fsType: f[sep + 1]!,
    source: unescape(f[sep + 2]!),
    line,
  };
}

/** The mount on top at a mount point: the last one listed there (later mounts stack over earlier ones). */
export function mountAt(info: MountInfo, path: string): MountEntry | undefined {
  for (let i = info.mounts.length - 1; i >= 0; i--) if (info.mounts[i]!.mountPoint === path) return info.mounts[i];
  return undefined;
}
