/** Facts of the ports probe: what the host's /proc says, who owns it, and what a connect scan reached. */
import type { CgroupPlacement, Failure, OwnListener } from '../../src/sdk.js';

export type { CgroupPlacement } from '../../src/sdk.js';

export type InetProtocol = 'tcp' | 'udp' | 'raw';
/** any = 0.0.0.0 or ::, loopback = 127/8 or ::1, address = one specific address (the metric's scope label). */
export type Scope = 'any' | 'loopback' | 'address';

/** A line of /proc/net/* that could not be read as a socket: the list is incomplete. */
export interface ParseProblem {
  file: string;
  line: number;
  reason: string;
}

/** One socket of /proc/net/{tcp,udp,raw}{,6}. */
export interface InetSocket {
  protocol: InetProtocol;
  family: 4 | 6;
  /** Canonical text form: 127.0.0.1, ::, ::1, ::ffff:127.0.0.1. */
  address: string;
  /** Port; for raw sockets the IP protocol number, as the kernel prints it. */
  port: number;
  /** Kernel state, two hex digits (0A LISTEN, 07 unconnected). */
  state: string;
  uid: number;
  inode: number;
  scope: Scope;
  /** Host path of the file and 1-based line number. */
  file: string;
  line: number;
}

export interface UnixListener {
  path: string;
  inode: number;
  file: string;
  line: number;
}

export interface Owner {
  pid: number;
  comm: string;
  /** argv joined with spaces, shortened. */
  cmdline: string;
  uid?: number;
  cgroup?: CgroupPlacement;
}

/** A listening TCP/UDP socket with the processes that hold it. */
export interface Listener extends InetSocket {
  owners: Owner[];
}

export interface SocketTable {
  /** Where the socket files were read: "/proc/1/net" under the root, or hostward's own /proc/net. */
  source: string;
  /** Why this source (hostNetwork fallback and so on). */
  note?: string;
  listeners: Listener[];
  raw: InetSocket[];
  unix: UnixListener[];
  problems: ParseProblem[];
  /** Files that could not be read at all (tcp6 absent on an IPv6-less kernel is a problem too). */
  unreadable: Failure[];
  /** Processes scanned for attribution, and how many /proc/<pid>/fd directories could not be read. */
  attribution: { processes: number; unreadableFd: number; truncated: boolean };
}

export interface InterfaceAddress {
  address: string;
  family: 4 | 6;
  /** Interface name when known (if_inet6 names it; IPv4 is matched against /proc/net/route). */
  iface?: string;
  file: string;
}

export interface Addresses {
  list: InterfaceAddress[];
  problems: string[];
}

export interface ReachableEndpoint {
  address: string;
  port: number;
}

export interface Reachability {
  /** Addresses scanned, and addresses left out with why. */
  targets: string[];
  skippedTargets: { address: string; reason: string }[];
  ports: number;
  attempted: number;
  planned: number;
  open: ReachableEndpoint[];
  /** Set when the scan stopped early (budget, abort): the list is incomplete. */
  incomplete?: string;
  durationMs: number;
}

export interface MetadataProbe {
  address: string;
  port: number;
  reachable: boolean;
  /** ECONNREFUSED, timeout, ENETUNREACH... when not reachable. */
  detail: string;
}

export interface PortsFacts {
  options: import('./options.js').PortsOptions;
  /** The sockets, or why they could not be read at all. */
  sockets: SocketTable | { unavailable: string };
  routeLocalnet: { value: string; file: string } | { unavailable: string };
  addresses: Addresses | { unavailable: string };
  /** Absent when off; `off` says why. */
  reachability: Reachability | { off: string };
  metadata: MetadataProbe | { off: string };
  /** hostward's own listeners (ctx.ownListeners), or why there are none: `agent` when the agent should have said. */
  own: readonly OwnListener[] | { off: string; agent: boolean };
}
