/**
 * The ports probe's I/O: find the host's /proc/net, read and parse the socket tables, attribute sockets to
 * processes and pods, read route_localnet and the interface addresses, and (when on) scan what is reachable.
 */
import os from 'node:os';
import { HostRoot, describeFailure } from '../../src/sdk.js';
import type { Failure, ProbeContext } from '../../src/sdk.js';
import type {
  Addresses,
  InetSocket,
  InterfaceAddress,
  Listener,
  MetadataProbe,
  ParseProblem,
  PortsFacts,
  Reachability,
  SocketTable,
} from './types.js';
import { parseFibTrieLocal, parseIfInet6, parseInetSockets, parseRoutes, parseUnixSockets } from './proc-net.js';
import type { Endianness } from './proc-net.js';
import { attribute } from './attribution.js';
import type { PortsOptions } from './options.js';
import { connectScan, ownAddresses, selectTargets, tcpConnect } from './reachability.js';
import type { Connector } from './reachability.js';
import { inSubnet, isLoopback } from './addresses.js';

/** /proc/net/tcp with 100k connections is ~15 MB; past this the table is not read (unknown, with the reason). */
const MAX_TABLE_BYTES = 64 * 1024 * 1024;
const INET_FILES = [
  { name: 'tcp', protocol: 'tcp', v6: false },
  { name: 'tcp6', protocol: 'tcp', v6: true },
  { name: 'udp', protocol: 'udp', v6: false },
  { name: 'udp6', protocol: 'udp', v6: true },
  { name: 'raw', protocol: 'raw', v6: false },
  { name: 'raw6', protocol: 'raw', v6: true },
] as const;

export interface NetSource {
  host: HostRoot;
  /** Host path of the directory holding tcp, udp, fib_trie... */
  dir: string;
  /** True when this is known to be the host's network namespace (root "/", or <root>/proc/1/net). */
  hostNamespace: boolean;
  note?: string;
}

/**
 * Under "/", /proc/net is this machine's. Under another root, <root>/proc/1/net is the host's namespace
 * when the host's /proc is mounted there; else hostward's own /proc/net, which is the host's only when the
 * pod runs with hostNetwork (the DaemonSet does).
 */
export async function findNetSource(
  host: HostRoot,
  o: Pick<PortsOptions, 'procNetFallback'>,
): Promise<NetSource | { unavailable: string }> {
  if (host.isHostRoot) return { host, dir: '/proc/net', hostNamespace: true };
  if (await host.exists('/proc/1/net/tcp')) return { host, dir: '/proc/1/net', hostNamespace: true };
  if (!o.procNetFallback)
    return { unavailable: "the host's /proc is not under the root (no /proc/1/net/tcp) and procNetFallback is off" };
  return {
    host: new HostRoot('/'),
    dir: '/proc/net',
    hostNamespace: false,
    note: `${host.root}/proc/1/net is absent: read hostward's own /proc/net, which is the host's only with hostNetwork`,
  };
}

async function readSockets(
  src: NetSource,
  o: PortsOptions,
  endian: Endianness,
  signal: AbortSignal,
): Promise<SocketTable | { unavailable: string }> {
  const problems: ParseProblem[] = [];
  const unreadable: Failure[] = [];
  const inet: InetSocket[] = [];
  for (const f of INET_FILES) {
    const path = `${src.dir}/${f.name}`;
    const r = await src.host.readText(path, { maxBytes: MAX_TABLE_BYTES });
    if (!r.ok) {
      if (f.name === 'tcp') return { unavailable: `cannot read ${describeFailure(r)}` };
      // No tcp6/udp6/raw6 is a kernel without IPv6 (ipv6.disable=1): nothing listens there.
      if (!(r.code === 'missing' && f.v6)) unreadable.push(r);
      continue;
    }
    const p = parseInetSockets(r.text, f.protocol, path, endian);
    problems.push(...p.problems);
    inet.push(...p.sockets);
  }
  const unixPath = `${src.dir}/unix`;
  const u = await src.host.readText(unixPath, { maxBytes: MAX_TABLE_BYTES });
  const unix = u.ok ? parseUnixSockets(u.text, unixPath) : { listeners: [], problems: [] };
  const listening = inet.filter((s) => s.protocol !== 'raw');
  // inode 0: a kernel socket (VXLAN, WireGuard, NFS) held by no process.
  const wanted = new Set(listening.map((s) => s.inode).filter((i) => i !== 0));
  const a = await attribute(src.host, wanted, o.maxProcesses, signal);
  const listeners: Listener[] = listening.map((s) => ({ ...s, owners: a.owners.get(s.inode) ?? [] }));
  const t: SocketTable = {
    source: src.dir,
    listeners,
    raw: inet.filter((s) => s.protocol === 'raw'),
    unix: unix.listeners,
    problems,
    unreadable,
    attribution: { processes: a.processes, unreadableFd: a.unreadableFd, truncated: a.truncated },
  };
  if (src.note) t.note = src.note;
  return t;
}

async function readAddresses(src: NetSource, endian: Endianness): Promise<Addresses | { unavailable: string }> {
  const fib = await src.host.readText(`${src.dir}/fib_trie`, { maxBytes: MAX_TABLE_BYTES });
  if (!fib.ok) return { unavailable: `cannot read ${describeFailure(fib)}` };
  const v4 = parseFibTrieLocal(fib.text);
  const routes = await src.host.readText(`${src.dir}/route`, { maxBytes: MAX_TABLE_BYTES });
  const table = routes.ok ? parseRoutes(routes.text, endian) : [];
  const list: InterfaceAddress[] = [];
  for (const a of v4.addresses) {
    if (isLoopback(a)) continue;
    const iface = table.find((r) => r.mask !== '0.0.0.0' && inSubnet(a, r.destination, r.mask))?.iface;
    list.push({ address: a, family: 4, ...(iface ? { iface } : {}), file: `${src.dir}/fib_trie` });
  }
  const problems = [...v4.problems];
  const v6 = await src.host.readText(`${src.dir}/if_inet6`, { maxBytes: MAX_TABLE_BYTES });
  if (v6.ok) {
    const p = parseIfInet6(v6.text);
    problems.push(...p.problems);
    for (const a of p.addresses)
      if (!isLoopback(a.address))
        list.push({ address: a.address, family: 6, iface: a.iface, file: `${src.dir}/if_inet6` });
  } else if (v6.code !== 'missing') problems.push(`cannot read ${describeFailure(v6)}`);
  return { list, problems };
}

function wanted(setting: boolean | 'auto', ctx: ProbeContext, src: NetSource | { unavailable: string }): boolean {
  if (setting !== 'auto') return setting;
  return ctx.mode === 'agent' && 'dir' in src && src.hostNamespace;
}

/**
 * `auto` for the metadata check also needs a Kubernetes pod (the kubelet always sets KUBERNETES_SERVICE_HOST):
 * an agent started by hand on a workstation or a CI machine must not knock on a cloud metadata address.
 */
function inKubernetesPod(): boolean {
  return Boolean(process.env.KUBERNETES_SERVICE_HOST);
}

function offReason(setting: boolean | 'auto', key: string, what: string, ctx: ProbeContext): string {
  if (setting === false) return `${what} is off (probes.ports.${key}: false)`;
  return ctx.mode === 'agent'
    ? `${what} is off: hostward cannot tell that it is in the host's network namespace (set probes.ports.${key}: true to force it)`
    : `${what} is off in a one-off scan, which sends no packets (it runs in the agent); set probes.ports.${key}: true to run it`;
}

export interface GatherDeps {
  /** TCP connector; tests hold it to loopback. */
  connect?: Connector;
  /** Addresses of hostward's own network namespace. */
  ownAddresses?: () => Set<string>;
}

export async function gatherPorts(ctx: ProbeContext<PortsOptions>, deps: GatherDeps = {}): Promise<PortsFacts> {
  const { options } = ctx;
  const endian: Endianness = os.endianness();
  const src = await findNetSource(ctx.host, options);
  const connect = deps.connect ?? tcpConnect;
  const facts: PortsFacts = {
    options,
    sockets: 'unavailable' in src ? src : await readSockets(src, options, endian, ctx.signal),
    routeLocalnet: { unavailable: 'no /proc of the host network namespace' },
    addresses: 'unavailable' in src ? src : await readAddresses(src, endian),
    reachability: { off: '' },
    metadata: { off: '' },
    own: ctx.ownListeners
      ? [...ctx.ownListeners]
      : ctx.mode === 'agent'
        ? { off: 'the agent did not say how it serves its endpoints', agent: true }
        : { off: "a one-off scan serves no endpoint; the agent's own scans judge its listeners", agent: false },
  };
  if ('dir' in src) {
    const file = '/proc/sys/net/ipv4/conf/all/route_localnet';
    const r = await src.host.readText(file, { maxBytes: 64 });
    facts.routeLocalnet = r.ok ? { value: r.text.trim(), file } : { unavailable: `cannot read ${describeFailure(r)}` };
  }

  if (wanted(options.reachability, ctx, src)) {
    const nodeAddresses = 'list' in facts.addresses ? facts.addresses.list.map((a) => a.address) : [];
    const { targets, skipped } = selectTargets(
      options.reachabilityTargets ?? nodeAddresses,
      (deps.ownAddresses ?? ownAddresses)(),
      options.maxScanTargets,
    );
    const ports = new Set<number>();
    if ('listeners' in facts.sockets)
      for (const l of facts.sockets.listeners) if (l.protocol === 'tcp') ports.add(l.port);
    for (let p = options.nodePortRange.from; p <= options.nodePortRange.to; p++) ports.add(p);
    const sorted = [...ports].sort((a, b) => a - b);
    const scan = await connectScan(
      {
        targets,
        ports: sorted,
        ratePerSecond: options.scanRatePerSecond,
        concurrency: options.scanConcurrency,
        connectTimeoutMs: options.connectTimeoutMs,
        budgetMs: options.scanBudgetSeconds * 1000,
      },
      connect,
      ctx.signal,
    );
    const r: Reachability = { targets, skippedTargets: skipped, ports: sorted.length, ...scan };
    facts.reachability = r;
  } else facts.reachability = { off: offReason(options.reachability, 'reachability', 'the reachability scan', ctx) };

  const metadataAuto = options.metadataCheck === 'auto';
  if (wanted(options.metadataCheck, ctx, src) && (!metadataAuto || inKubernetesPod())) {
    const c = await connect(options.metadataAddress, options.metadataPort, options.metadataTimeoutMs, ctx.signal);
    const m: MetadataProbe = {
      address: options.metadataAddress,
      port: options.metadataPort,
      reachable: c.open,
      detail: c.detail,
    };
    facts.metadata = m;
  } else if (metadataAuto && wanted('auto', ctx, src)) {
    facts.metadata = {
      off: 'the metadata endpoint check is off outside a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set); set probes.ports.metadataCheck: true to run it',
    };
  } else
    facts.metadata = { off: offReason(options.metadataCheck, 'metadataCheck', 'the metadata endpoint check', ctx) };
  return facts;
}
