/**
 * Pure parsers for /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix}, /proc/net/fib_trie, /proc/net/if_inet6 and
 * /proc/net/route. Text in, typed facts and problems out; no I/O, no verdicts. Input is hostile: a line that
 * does not have the kernel's shape is a problem (the list is then incomplete), never a crash.
 */
import type { InetProtocol, InetSocket, ParseProblem, Scope, UnixListener } from './types.js';

export type Endianness = 'LE' | 'BE';

/**
 * Problems kept per file. One per bad line was unbounded: 600k of them for a 7 MB garbage table took 170 MB,
 * and gather's problems.push(...list) then overflowed the stack (found by fuzzing, test/fuzz).
 */
export const MAX_PROBLEMS = 100;

/** The kernel prints each 32-bit address word in host byte order: 0100007F is 127.0.0.1 on x86 and arm64. */
function word(hex: string, endian: Endianness): number[] {
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return endian === 'LE' ? b.reverse() : b;
}

/** IPv6 text form as RFC 5952 (via the URL parser), IPv4-mapped addresses as ::ffff:a.b.c.d like ss. */
export function formatIPv6(bytes: readonly number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Decode "0100007F" or a 32-digit IPv6 field; undefined when it is not one. */
export function decodeAddress(hex: string, endian: Endianness = 'LE'): { address: string; family: 4 | 6 } | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(hex)) return { address: word(hex, endian).join('.'), family: 4 };
  if (/^[0-9A-Fa-f]{32}$/.test(hex)) {
    const bytes = [0, 8, 16, 24].flatMap((i) => word(hex.slice(i, i + 8), endian));
    return { address: formatIPv6(bytes), family: 6 };
  }
  return undefined;
}

export function scopeOf(address: string): Scope {
  if (address === '0.0.0.0' || address === '::') return 'any';
  if (/^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address)) return 'loopback';
  return 'address';
}

/** States that mean "listening": TCP LISTEN; unconnected UDP and raw sockets (what ss -l shows). */
export const LISTEN_STATE: Readonly<Record<InetProtocol, string>> = { tcp: '0A', udp: '07', raw: '07' };

export interface InetParse {
  /** Listening sockets only (see LISTEN_STATE). */
  sockets: InetSocket[];
  /** Lines read, listening or not. */
  lines: number;
  problems: ParseProblem[];
}

const LOCAL = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/;

/**
 * Parse /proc/net/tcp and its siblings. Fields: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
 * The address family is taken from the address width, so tcp and tcp6 share this function.
 */
export function parseInetSockets(
  text: string,
  protocol: InetProtocol,
  file: string,
  endian: Endianness = 'LE',
): InetParse {
  const out: InetParse = { sockets: [], lines: 0, problems: [] };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) {
    out.problems.push({ file, line: 1, reason: 'empty file (no header line)' });
    return out;
  }
  if (!/^\s*sl\s+local_address\s/.test(lines[0]!))
    out.problems.push({ file, line: 1, reason: 'no header line: not a /proc/net socket table' });
  const want = LISTEN_STATE[protocol];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    out.lines++;
    const f = raw.trim().split(/\s+/);
    const bad = (reason: string) => {
      if (out.problems.length < MAX_PROBLEMS)
        out.problems.push({ file, line: i + 1, reason: `${reason}: ${JSON.stringify(raw.slice(0, 120))}` });
    };
    if (f.length < 10) {
      bad(`truncated line (${f.length} of at least 10 fields)`);
      continue;
    }
    const [sl, local, , st, , , , uid, , inode] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^[0-9A-Fa-f]{2}$/.test(st)) {
      bad('malformed state');
      continue;
    }
    // Most lines of a busy node are connections: only listeners need the full check.
    if (st.toUpperCase() !== want) continue;
    const m = LOCAL.exec(local);
    if (!/^\d+:$/.test(sl) || !m || !/^\d+$/.test(uid) || !/^\d+$/.test(inode)) {
      bad('malformed line');
      continue;
    }
    const addr = decodeAddress(m[1]!, endian)!;
    out.sockets.push({
      protocol,
      family: addr.family,
      address: addr.address,
      port: parseInt(m[2]!, 16),
      state: st.toUpperCase(),
      uid: Number(uid),
      inode: Number(inode),
      scope: scopeOf(addr.address),
      file,
      line: i + 1,
    });
  }
  return out;
}

const SO_ACCEPTCON = 0x10000;

/** Listening unix sockets with a path (docker.sock, containerd.sock): Flags has __SO_ACCEPTCON. */
export function parseUnixSockets(text: string, file: string): { listeners: UnixListener[]; problems: ParseProblem[] } {
  const listeners: UnixListener[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split('\n');
  if (!/^Num\s+RefCount\s+Protocol\s+Flags/.test(lines[0] ?? ''))
    problems.push({ file, line: 1, reason: 'no header line: not /proc/net/unix' });
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const f = raw.trim().split(/\s+/);
    if (f.length < 7 || !/^[0-9A-Fa-f]+:$/.test(f[0]!) || !/^[0-9A-Fa-f]{1,8}$/.test(f[3]!) || !/^\d+$/.test(f[6]!)) {
      if (problems.length < MAX_PROBLEMS)
        problems.push({ file, line: i + 1, reason: `malformed line: ${JSON.stringify(raw.slice(0, 120))}` });
      continue;
    }
    if ((parseInt(f[3]!, 16) & SO_ACCEPTCON) === 0 || f.length < 8) continue;
    listeners.push({ path: f.slice(7).join(' '), inode: Number(f[6]), file, line: i + 1 });
  }
  return { listeners, problems };
}

/**
 * Local IPv4 addresses from /proc/net/fib_trie: a leaf "|-- a.b.c.d" followed by "/32 host LOCAL" is an
 * address assigned to an interface (the kernel's local table). Main and Local tables repeat them; deduped.
 */
export function parseFibTrieLocal(text: string): { addresses: string[]; problems: string[] } {
  const seen = new Set<string>();
  const problems: string[] = [];
  let leaf: string | undefined;
  for (const raw of text.split('\n')) {
    const leafM = /^[\s|+`-]*\|-- (\S+)\s*$/.exec(raw);
    if (leafM) {
      leaf = /^\d{1,3}(\.\d{1,3}){3}$/.test(leafM[1]!) ? leafM[1] : undefined;
      if (!leaf && problems.length < MAX_PROBLEMS)
        problems.push(`fib_trie: not an IPv4 address: ${JSON.stringify(leafM[1]!.slice(0, 60))}`);
      continue;
    }
    if (leaf && /^\s*\/32 host LOCAL\s*$/.test(raw)) seen.add(leaf);
  }
  return { addresses: [...seen], problems };
}

/** /proc/net/if_inet6: "addr ifindex prefixlen scope flags ifname", the address as 32 hex digits in network order. */
export function parseIfInet6(text: string): {
  addresses: { address: string; iface: string; scope: number }[];
  problems: string[];
} {
  const addresses: { address: string; iface: string; scope: number }[] = [];
  const problems: string[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const f = raw.trim().split(/\s+/);
    if (f.length !== 6 || !/^[0-9a-fA-F]{32}$/.test(f[0]!) || !/^[0-9a-fA-F]{2}$/.test(f[3]!)) {
      if (problems.length < MAX_PROBLEMS)
        problems.push(`if_inet6: malformed line ${JSON.stringify(raw.slice(0, 120))}`);
      continue;
    }
    const bytes = Array.from({ length: 16 }, (_, i) => parseInt(f[0]!.slice(i * 2, i * 2 + 2), 16));
    addresses.push({ address: formatIPv6(bytes), iface: f[5]!, scope: parseInt(f[3]!, 16) });
  }
  return { addresses, problems };
}

/**
 * /proc/net/route: interface, destination and mask (host byte order words), to name the interface of an IPv4 address.
 */
export function parseRoutes(
  text: string,
  endian: Endianness = 'LE',
): { iface: string; destination: string; mask: string }[] {
  const out: { iface: string; destination: string; mask: string }[] = [];
  for (const raw of text.split('\n').slice(1)) {
    const f = raw.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    out.push({
      iface: f[0]!,
      destination: decodeAddress(f[1]!, endian)!.address,
      mask: decodeAddress(f[7]!, endian)!.address,
    });
  }
  return out;
}
