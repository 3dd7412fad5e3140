/** The ports probe's configuration section (`probes.ports`), validated with messages "key: problem". */
import { optionBool, optionProblem, optionInt, ipFamily, shown } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';

export interface PortRange {
  from: number;
  to: number;
  protocol: 'tcp' | 'udp';
  /** As written: "22/tcp", "51820-51821/udp". */
  text: string;
}

export interface PortsOptions {
  /** Listeners beyond loopback that are expected. Replaces the default; extraAllowList adds to it. */
  allowList: PortRange[];
  extraAllowList: PortRange[];
  /** 'auto': on in the agent when hostward reads the host's own network namespace, off in `scan`. */
  reachability: boolean | 'auto';
  /** Addresses to connect to; default the node's own addresses. Only addresses of this host are ever used. */
  reachabilityTargets?: string[];
  nodePortRange: { from: number; to: number };
  /** NodePorts (reachable ports in nodePortRange) are Services, expected; false makes them unexpected. */
  allowNodePorts: boolean;
  scanRatePerSecond: number;
  scanConcurrency: number;
  connectTimeoutMs: number;
  scanBudgetSeconds: number;
  maxScanTargets: number;
  metadataCheck: boolean | 'auto';
  metadataAddress: string;
  metadataPort: number;
  metadataTimeoutMs: number;
  /** With a root other than / and no <root>/proc/1/net, read hostward's own /proc/net (hostNetwork). */
  procNetFallback: boolean;
  /** Public addresses that are meant to be on the node (an Internet-facing edge node). */
  allowedPublicAddresses: string[];
  /** Processes scanned for socket owners, at most. */
  maxProcesses: number;
}

/**
 * A Kubernetes worker: ssh, the kubelet API, kube-proxy healthz, CNI data planes (Calico BGP and Typha, VXLAN,
 * Geneve, WireGuard, Cilium health and Hubble, Weave) and DHCP clients. node-exporter (9100/tcp) is not here: it
 * discloses host details; add it with extraAllowList if you run it. Nor is hostward's own agent port: the agent
 * tells its scans where it listens and what it answers, and ports.agent_exposed judges that (a one-off scan
 * sees it as any other listener).
 */
export const DEFAULT_ALLOW_LIST: readonly string[] = [
  '22/tcp', // sshd
  '10250/tcp', // kubelet API (authenticated)
  '10256/tcp', // kube-proxy healthz
  '179/tcp', // Calico BGP
  '5473/tcp', // Calico Typha
  '4240/tcp', // Cilium health
  '4244/tcp', // Hubble
  '6783/tcp', // Weave control
  '6783-6784/udp', // Weave data
  '4789/udp', // VXLAN (Calico, Cilium, Antrea)
  '8472/udp', // VXLAN (Flannel, Cilium default)
  '6081/udp', // Geneve
  '51820-51821/udp', // WireGuard (Calico, Cilium, Flannel)
  '68/udp', // DHCP client
  '546/udp', // DHCPv6 client
];

/** The defaults of the section's keys as written in YAML (./option-spec.ts documents them). */
export const DEFAULT_PORTS_OPTIONS = Object.freeze({
  allowList: DEFAULT_ALLOW_LIST,
  extraAllowList: [] as readonly string[],
  reachability: 'auto',
  nodePortRange: '30000-32767',
  allowNodePorts: true,
  scanRatePerSecond: 2000,
  scanConcurrency: 64,
  connectTimeoutMs: 300,
  scanBudgetSeconds: 10,
  maxScanTargets: 4,
  metadataCheck: 'auto',
  metadataAddress: '169.254.169.254',
  metadataPort: 80,
  metadataTimeoutMs: 1000,
  procNetFallback: true,
  allowedPublicAddresses: [] as readonly string[],
  maxProcesses: 100_000,
});

/** "22/tcp", "51820-51821/udp"; undefined when malformed. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?\/(tcp|udp)$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || from > to) return undefined;
  return { from, to, protocol: m[3] as 'tcp' | 'udp', text: text.trim() };
}

export function allowed(list: readonly PortRange[], port: number, protocol: string): PortRange | undefined {
  return list.find((r) => r.protocol === protocol && port >= r.from && port <= r.to);
}

function ranges(v: unknown, key: string): PortRange[] {
  if (!Array.isArray(v)) optionProblem(key, 'must be a list of "PORT/tcp", "PORT/udp" or "FROM-TO/proto"');
  return v.map(
    (e, i) =>
      (typeof e === 'string' ? parsePortRange(e) : undefined) ??
      optionProblem(`${key}[${i}]`, `must be "PORT/tcp", "PORT/udp" or "FROM-TO/proto", got ${JSON.stringify(e)}`),
  );
}

/** A key that is a boolean or `auto`. */
function boolOrAuto(c: Record<string, unknown>, key: string): boolean | 'auto' {
  const v = c[key];
  if (v !== 'auto' && typeof v !== 'boolean') optionProblem(key, `must be true, false or "auto", got ${shown(v)}`);
  return v;
}

function nodePorts(v: unknown): { from: number; to: number } {
  const r = typeof v === 'string' ? parsePortRange(`${v}/tcp`) : undefined;
  if (!r)
    optionProblem(
      'nodePortRange',
      `must be "FROM-TO" (default ${DEFAULT_PORTS_OPTIONS.nodePortRange}), got ${JSON.stringify(v)}`,
    );
  return { from: r.from, to: r.to };
}

function ip(v: unknown, key: string): string {
  if (typeof v !== 'string' || ipFamily(v) === 0) optionProblem(key, 'must be an IP address');
  return v;
}

function ips(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.some((a) => typeof a !== 'string' || ipFamily(a) === 0))
    optionProblem(key, 'must be a list of IP addresses');
  return [...(v as string[])];
}

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parsePortsOptions(raw: DeclaredSection): PortsOptions {
  const d = DEFAULT_PORTS_OPTIONS;
  const c: DeclaredSection = { ...d, ...raw };
  const o: PortsOptions = {
    allowList: ranges(c.allowList, 'allowList'),
    extraAllowList: ranges(c.extraAllowList, 'extraAllowList'),
    reachability: boolOrAuto(c, 'reachability'),
    nodePortRange: nodePorts(c.nodePortRange),
    allowNodePorts: optionBool(c, 'allowNodePorts', d.allowNodePorts),
    scanRatePerSecond: optionInt(c, 'scanRatePerSecond', d.scanRatePerSecond),
    scanConcurrency: optionInt(c, 'scanConcurrency', d.scanConcurrency),
    connectTimeoutMs: optionInt(c, 'connectTimeoutMs', d.connectTimeoutMs),
    scanBudgetSeconds: optionInt(c, 'scanBudgetSeconds', d.scanBudgetSeconds),
    maxScanTargets: optionInt(c, 'maxScanTargets', d.maxScanTargets),
    metadataCheck: boolOrAuto(c, 'metadataCheck'),
    metadataAddress: ip(c.metadataAddress, 'metadataAddress'),
    metadataPort: optionInt(c, 'metadataPort', d.metadataPort),
    metadataTimeoutMs: optionInt(c, 'metadataTimeoutMs', d.metadataTimeoutMs),
    procNetFallback: optionBool(c, 'procNetFallback', d.procNetFallback),
    allowedPublicAddresses: ips(c.allowedPublicAddresses, 'allowedPublicAddresses'),
    maxProcesses: optionInt(c, 'maxProcesses', d.maxProcesses),
  };
  if (c.reachabilityTargets !== undefined) o.reachabilityTargets = ips(c.reachabilityTargets, 'reachabilityTargets');
  return o;
}
