/**
 * Which processes hold a socket: /proc/<pid>/fd/* links read "socket:[inode]" for the inodes of
 * /proc/net/*. Then, from the shared process facts, comm, the real uid and the pod/container, and the
 * cmdline as evidence.
 * The fd links are read with HostRoot.readLinksIn, which never follows them ("socket:[N]" is not a path).
 */
import { mapLimit, parseCmdline, processPlacement, processUid, readCmdline } from '../../src/sdk.js';
import type { HostRoot } from '../../src/sdk.js';
import type { Owner } from './types.js';

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
  const dir = await host.readLinksIn(`/proc/${pid}/fd`);
  if (!dir.ok) return undefined;
  const found: number[] = [];
  let readable = dir.links.length === 0;
  for (const { target } of dir.links) {
    if (target === undefined) continue; // closed meanwhile, or not permitted
    readable = true;
    const m = SOCKET_LINK.exec(target);
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

/**
 * Who a process is, from the shared facts (its comm from the process table, its real uid and cgroup placement
 * read once per scan whichever probe asks) and its command line as evidence.
 */
export async function describeProcess(host: HostRoot, pid: number, comm: string): Promise<Owner> {
  const [cmdline, uid, where] = await Promise.all([
    readCmdline(host, pid),
    processUid(host, pid),
    processPlacement(host, pid),
  ]);
  const o: Owner = { pid, comm, cmdline: cmdline.ok ? formatCmdline(cmdline.text) : '' };
  if (uid !== undefined) o.uid = uid;
  if (where.placement && Object.keys(where.placement).length > 0) o.cgroup = where.placement;
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
  const listed = await host.processes();
  const comms = new Map(listed.map((p) => [p.pid, p.comm]));
  let pids = listed.map((p) => String(p.pid));
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
    const owner = await describeProcess(host, pid, comms.get(pid)!);
    for (const ino of hits.get(pid)!) out.owners.set(ino, [...(out.owners.get(ino) ?? []), owner]);
  }
  return out;
}
