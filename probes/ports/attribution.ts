/**
 * Which processes hold a socket: /proc/<pid>/fd/* links read "socket:[inode]" for the inodes of
 * /proc/net/*. Then comm, cmdline, the real uid from status, and the pod/container from cgroup.
 * The fd links are read with HostRoot.readLink, which never follows them ("socket:[N]" is not a path).
 */
import { mapLimit, parseCmdline, readCmdline } from '../../src/sdk.js';
import type { HostRoot } from '../../src/sdk.js';
import type { Owner } from './types.js';
import { parseCgroup } from '../../src/sdk.js';

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

export interface Attribution {
  owners: Map<number, Owner[]>;
  processes: number;
  unreadableFd: number;
  truncated: boolean;
}

/** The socket inodes a process holds, among `wanted`; undefined when its fd directory cannot be read. */
export async function socketInodes(
  host: HostRoot,
  pid: string,
  wanted: ReadonlySet<number>,
): Promise<number[] | undefined> {
  const dir = await host.readDir(`/proc/${pid}/fd`);
  if (!dir.ok) return undefined;
  const found: number[] = [];
  let readable = dir.entries.length === 0;
  for (const e of dir.entries) {
    const link = await host.readLink(`${dir.realPath}/${e.name}`);
    if (!link.ok) continue; // closed meanwhile, or not permitted
    readable = true;
    const m = SOCKET_LINK.exec(link.target);
    if (m && wanted.has(Number(m[1]))) found.push(Number(m[1]));
  }
  return readable ? found : undefined;
}

const SECRET_KEY = /^-{0,2}[\w.-]*(pass|secret|token|key|cred|auth)[\w.-]*$/i;

/**
 * `a\0b\0c\0` as "a b c", shortened: evidence, not a parse. Evidence travels to reports and alerts, so
 * values of secret-looking options (--requirepass x, --token=x) are redacted.
 */
export function formatCmdline(text: string, max = 200): string {
  const args = parseCmdline(text, { dropEmpty: true });
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    if (eq > 0 && SECRET_KEY.test(a.slice(0, eq))) out.push(`${a.slice(0, eq)}=<redacted>`);
    else if (a.startsWith('-') && SECRET_KEY.test(a) && i + 1 < args.length && !args[i + 1]!.startsWith('-')) {
      out.push(a, '<redacted>');
      i++;
    } else out.push(a);
  }
  const s = out.join(' ');
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export async function describeProcess(host: HostRoot, pid: number): Promise<Owner> {
  const [comm, cmdline, status, cgroup] = await Promise.all([
    host.readText(`/proc/${pid}/comm`, { maxBytes: 256 }),
    readCmdline(host, pid),
    host.readText(`/proc/${pid}/status`, { maxBytes: 64 * 1024 }),
    host.readText(`/proc/${pid}/cgroup`, { maxBytes: 256 * 1024 }),
  ]);
  const o: Owner = {
    pid,
    comm: comm.ok ? comm.text.trim() : '?',
    cmdline: cmdline.ok ? formatCmdline(cmdline.text) : '',
  };
  const uid = status.ok ? /^Uid:\s+(\d+)/m.exec(status.text)?.[1] : undefined;
  if (uid !== undefined) o.uid = Number(uid);
  if (cgroup.ok) {
    const p = parseCgroup(cgroup.text);
    if (Object.keys(p).length > 0) o.cgroup = p;
  }
  return o;
}

/** Owners of the wanted socket inodes, lowest pid first, from the /proc of `host`. */
export async function attribute(
  host: HostRoot,
  wanted: ReadonlySet<number>,
  maxProcesses: number,
  signal?: AbortSignal,
): Promise<Attribution> {
  const out: Attribution = { owners: new Map(), processes: 0, unreadableFd: 0, truncated: false };
  if (wanted.size === 0) return out;
  // The pids of the shared process table: one walk of /proc per scan, whichever probe asks first.
  let pids = (await host.processes()).map((p) => String(p.pid));
  if (pids.length > maxProcesses) {
    out.truncated = true;
    pids = pids.slice(0, maxProcesses);
  }
  const hits = new Map<number, number[]>();
  await mapLimit(pids, 16, async (pid) => {
    if (signal?.aborted) return;
    out.processes++;
    const inodes = await socketInodes(host, pid, wanted);
    if (inodes === undefined) out.unreadableFd++;
    else if (inodes.length > 0) hits.set(Number(pid), inodes);
  });
  for (const pid of [...hits.keys()].sort((a, b) => a - b)) {
    const owner = await describeProcess(host, pid);
    for (const ino of hits.get(pid)!) out.owners.set(ino, [...(out.owners.get(ino) ?? []), owner]);
  }
  return out;
}
