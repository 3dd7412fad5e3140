/**
 * The ports check table. Each evaluate is a small function over PortsFacts. A check fails on what it found
 * even in an incomplete socket list, but never passes on one: truncated lines or unreadable tables make an
 * otherwise clean verdict `unknown` with the reason.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../src/sdk.js';
import type { Listener, PortsFacts, ReachableEndpoint, SocketTable } from './types.js';
import { DANGEROUS_PORTS } from './dangerous.js';
import type { DangerousPort } from './dangerous.js';
import { REASONS } from './dangerous.js';
import { allowed } from './options.js';
import { isPublic, nonPublicRange } from './addresses.js';
import { agentExposed, isOwnEndpoint, isOwnSocket, ownNote } from './own.js';

export const NODEPORT_NOTE =
  'NodePorts and hostPorts are iptables/nftables/IPVS/eBPF rules, not sockets, and do not appear in the socket list; the reachability scan (ports.reachable_unexpected) sees them';

const MAX_LISTED = 10;

export function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** "dockerd (pid 812, uid 0)", "redis-server (pid 4242, uid 999, pod 5d2c..., containerd 4f1c2a9d8e7b)". */
export function ownerText(l: Listener): string {
  if (l.owners.length === 0) return l.inode === 0 ? 'kernel socket, no process' : 'owner unknown';
  return l.owners
    .slice(0, 3)
    .map((o) => {
      const parts = [`pid ${o.pid}`];
      if (o.uid !== undefined) parts.push(`uid ${o.uid}`);
      if (o.cgroup?.podUid) parts.push(`pod ${o.cgroup.podUid}`);
      if (o.cgroup?.containerId) parts.push(`${o.cgroup.runtime ?? 'container'} ${o.cgroup.containerId.slice(0, 12)}`);
      else if (o.cgroup?.unit) parts.push(o.cgroup.unit);
      return `${o.comm} (${parts.join(', ')})`;
    })
    .join(', ');
}

export function socketText(l: Listener): string {
  return `${l.protocol} ${endpoint(l.address, l.port)} ${ownerText(l)}`;
}

function evidenceOf(list: readonly Listener[]): Evidence[] {
  return list.map((l) => ({
    file: l.file,
    line: l.line,
    text: `${socketText(l)}${l.owners[0]?.cmdline ? ` [${l.owners[0].cmdline}]` : ''}`,
  }));
}

function listed(items: readonly string[]): string {
  return items.length <= MAX_LISTED
    ? items.join('; ')
    : `${items.slice(0, MAX_LISTED).join('; ')}; and ${items.length - MAX_LISTED} more`;
}

/** Why the socket list may be missing sockets, or undefined when it is complete. */
export function incompleteReason(t: SocketTable): string | undefined {
  const why: string[] = [];
  if (t.problems.length > 0) {
    const p = t.problems[0]!;
    why.push(
      `${t.problems.length} unreadable line${t.problems.length > 1 ? 's' : ''} (first: ${p.file}:${p.line}: ${p.reason})`,
    );
  }
  for (const u of t.unreadable) why.push(`cannot read ${u.path}: ${u.code.replace(/_/g, ' ')} (${u.reason})`);
  return why.length > 0 ? `the socket list is incomplete: ${why.join('; ')}` : undefined;
}

/** Fail on what was found; pass only on a complete list. */
function verdict(t: SocketTable, failing: readonly Listener[], failMsg: () => string, passMsg: string): Outcome {
  if (failing.length > 0) return fail(failMsg(), evidenceOf(failing));
  const why = incompleteReason(t);
  return why ? unknown(why) : pass(passMsg);
}

function withSockets(facts: PortsFacts, f: (t: SocketTable) => Outcome): Outcome {
  if ('unavailable' in facts.sockets) return unknown(`listening sockets cannot be read: ${facts.sockets.unavailable}`);
  return f(facts.sockets);
}

const sourceNote = (t: SocketTable) => (t.note ? ` (${t.note})` : '');

function unexpectedListeners(facts: PortsFacts): Outcome {
  return withSockets(facts, (t) => {
    const allow = [...facts.options.allowList, ...facts.options.extraAllowList];
    const exposed = t.listeners.filter((l) => l.scope !== 'loopback' && !isOwnSocket(facts, l));
    const unexpected = exposed.filter((l) => !allowed(allow, l.port, l.protocol));
    const expected = exposed.length - unexpected.length;
    const own = ownNote(facts);
    return verdict(
      t,
      unexpected,
      () =>
        `${unexpected.length} listening socket${unexpected.length > 1 ? 's' : ''} beyond loopback not in the allow-list: ${listed(unexpected.map(socketText))}. ${NODEPORT_NOTE}${sourceNote(t)}${own}`,
      `every listening socket beyond loopback is allow-listed (${expected} allowed, ${t.listeners.filter((l) => l.scope === 'loopback').length} on loopback only, from ${t.source}). ${NODEPORT_NOTE}${sourceNote(t)}${own}`,
    );
  });
}

function dangerous(d: DangerousPort) {
  const what = `${d.ports.join(', ')}/${d.protocols.join(',')}`;
  return (facts: PortsFacts): Outcome =>
    withSockets(facts, (t) => {
      const matching = t.listeners.filter(
        (l) =>
          d.ports.includes(l.port) &&
          (d.protocols as readonly string[]).includes(l.protocol) &&
          (d.exposure === 'any' || l.scope !== 'loopback'),
      );
      // On a common port, a listener held by a known other process is not this service.
      const other = d.owners
        ? matching.filter((l) => l.owners.length > 0 && l.owners.every((o) => !d.owners!.includes(o.comm)))
        : [];
      const failing = matching.filter((l) => !other.includes(l));
      const others = other.length > 0 ? ` (${other.map(socketText).join('; ')}: not ${d.service})` : '';
      const where = d.exposure === 'any' ? '' : ' beyond loopback';
      return verdict(
        t,
        failing,
        () => `${d.service} listening${where}: ${listed(failing.map(socketText))}. ${REASONS[d.reason]}`,
        `no ${d.service} listener on ${what}${where}${others}`,
      );
    });
}

function routeLocalnet(facts: PortsFacts): Outcome {
  const r = facts.routeLocalnet;
  if ('unavailable' in r) return unknown(r.unavailable);
  const ev = [{ file: r.file, text: r.value }];
  if (r.value === '1') {
    return fail(
      'net.ipv4.conf.all.route_localnet=1: packets to 127.0.0.0/8 are routed from other interfaces, so services bound to localhost can be reachable from neighbours on the same network (CVE-2020-8558; kube-proxy in iptables mode sets it for localhost NodePorts)',
      ev,
    );
  }
  if (r.value === '0') return pass('net.ipv4.conf.all.route_localnet=0', ev);
  return unknown(`unexpected value ${JSON.stringify(r.value.slice(0, 40))} in ${r.file}`, ev);
}

function publicAddress(facts: PortsFacts): Outcome {
  const a = facts.addresses;
  if ('unavailable' in a) return unknown(`interface addresses cannot be read: ${a.unavailable}`);
  const pub = a.list.filter((x) => isPublic(x.address) && !facts.options.allowedPublicAddresses.includes(x.address));
  const ev = pub.map((x) => ({ file: x.file, text: `${x.address}${x.iface ? ` on ${x.iface}` : ''}` }));
  if (pub.length > 0) {
    return fail(
      `public address${pub.length > 1 ? 'es' : ''} on a host interface: ${pub.map((x) => `${x.address}${x.iface ? ` (${x.iface})` : ''}`).join(', ')}; every listener beyond loopback is then on the Internet unless a firewall says otherwise`,
      ev,
    );
  }
  if (a.problems.length > 0) return unknown(`interface addresses incomplete: ${a.problems.slice(0, 3).join('; ')}`);
  const kinds = [...new Set(a.list.map((x) => nonPublicRange(x.address)))].join(', ');
  return pass(
    `no public address on the host's interfaces (${a.list.length} address${a.list.length === 1 ? '' : 'es'}${kinds ? `: ${kinds}` : ''})`,
  );
}

/**
 * Does a listening TCP socket serve this reachable endpoint? Without one it is DNAT (NodePort, hostPort) or a proxy.
 */
export function hasSocket(listeners: readonly Listener[], e: ReachableEndpoint): boolean {
  const v6 = e.address.includes(':');
  return listeners.some(
    (l) =>
      l.protocol === 'tcp' &&
      l.port === e.port &&
      (l.address === e.address || l.address === '::' || (!v6 && l.address === '0.0.0.0')),
  );
}

function reachableUnexpected(facts: PortsFacts): Outcome {
  const r = facts.reachability;
  if ('off' in r) return skip(`${r.off}. ${NODEPORT_NOTE}`);
  const o = facts.options;
  const listeners = 'listeners' in facts.sockets ? facts.sockets.listeners : undefined;
  const allow = [...o.allowList, ...o.extraAllowList];
  const isNodePort = (p: number) => p >= o.nodePortRange.from && p <= o.nodePortRange.to;
  const label = (e: ReachableEndpoint) => {
    const sock =
      listeners === undefined
        ? 'socket unknown'
        : hasSocket(listeners, e)
          ? 'socket'
          : 'no socket: NodePort/hostPort DNAT or proxy';
    return `${endpoint(e.address, e.port)} (${sock})`;
  };
  const nodePorts = r.open.filter((e) => isNodePort(e.port) && !allowed(allow, e.port, 'tcp'));
  const bad = r.open.filter(
    (e) => !allowed(allow, e.port, 'tcp') && !(isNodePort(e.port) && o.allowNodePorts) && !isOwnEndpoint(facts, e),
  );
  const skipped =
    r.skippedTargets.length > 0
      ? ` Not scanned: ${r.skippedTargets.map((s) => `${s.address} (${s.reason})`).join('; ')}.`
      : '';
  const np =
    nodePorts.length > 0
      ? ` Reachable NodePorts (${o.nodePortRange.from}-${o.nodePortRange.to}): ${listed(nodePorts.map(label))}.`
      : '';
  const stats = `${r.attempted} of ${r.planned} connects to ${r.targets.join(', ') || 'no address'} over ${r.ports} ports in ${(r.durationMs / 1000).toFixed(1)} s`;
  const ev = r.open.map((e) => ({ text: `reachable ${label(e)}` }));
  const own = ownNote(facts);
  if (bad.length > 0)
    return fail(
      `${bad.length} reachable TCP port${bad.length > 1 ? 's' : ''} not in the allow-list: ${listed(bad.map(label))} (${stats}).${np}${skipped}${own}`,
      ev,
    );
  if (r.incomplete)
    return unknown(`the reachability scan is incomplete: ${r.incomplete} (${stats}).${np}${skipped}`, ev);
  if (r.targets.length === 0) return unknown(`no address of this host to scan.${skipped}`);
  return pass(
    `every reachable TCP port is allow-listed (${r.open.length} reachable; ${stats}).${np}${skipped} NodePorts and hostPorts hold no socket; only this scan sees them.${own}`,
    ev,
  );
}

function metadataReachable(facts: PortsFacts): Outcome {
  const m = facts.metadata;
  if ('off' in m) return skip(m.off);
  const where = endpoint(m.address, m.port);
  if (m.reachable) {
    return fail(
      `the cloud metadata endpoint ${where} accepts TCP connections from hostward's network namespace (the host's, with hostNetwork); pods that can reach it can read the node's cloud credentials`,
      [{ text: `connect ${where}: ${m.detail}` }],
    );
  }
  return pass(`the cloud metadata endpoint ${where} is not reachable (${m.detail})`, [
    { text: `connect ${where}: ${m.detail}` },
  ]);
}

export const portsChecks: readonly Check<PortsFacts>[] = [
  {
    id: 'ports.unexpected_listeners',
    title: 'Every listening socket beyond loopback is in the allow-list',
    severity: 'medium',
    references: [
      'CIS Debian Linux 12 Benchmark v1.1.0 2.1.22',
      'https://kubernetes.io/docs/reference/networking/ports-and-protocols/',
    ],
    remediation:
      'Stop the service, bind it to 127.0.0.1, or, when it is meant to be there, add "PORT/proto" to probes.ports.extraAllowList.',
    evaluate: unexpectedListeners,
  },
  ...DANGEROUS_PORTS.map((d): Check<PortsFacts> => ({
    id: d.check,
    title: d.title,
    severity: d.severity,
    references: d.references,
    remediation: d.remediation,
    evaluate: dangerous(d),
  })),
  {
    id: 'ports.route_localnet',
    title: 'Localhost traffic is not routed from other interfaces (route_localnet=0)',
    severity: 'medium',
    references: [
      'CVE-2020-8558',
      'https://github.com/kubernetes/kubernetes/issues/90259',
      'https://docs.kernel.org/networking/ip-sysctl.html',
    ],
    remediation:
      'Set net.ipv4.conf.all.route_localnet=0 (sysctl.d) and run kube-proxy in nftables or IPVS mode, or with --iptables-localhost-nodeports=false; keep the kube-proxy rule that drops martian localhost packets.',
    evaluate: routeLocalnet,
  },
  {
    id: 'ports.public_address',
    title: "No public IP address on the node's interfaces",
    severity: 'medium',
    references: ['https://kubernetes.io/docs/concepts/security/security-checklist/', 'RFC 6890'],
    remediation:
      'Put nodes on private subnets behind a load balancer or NAT gateway; if a public address is intended (an edge node), firewall it and list it in probes.ports.allowedPublicAddresses.',
    evaluate: publicAddress,
  },
  {
    id: 'ports.reachable_unexpected',
    title: "Every TCP port reachable on the node's addresses is allow-listed",
    severity: 'medium',
    references: ['https://github.com/aquasecurity/kube-hunter', 'https://github.com/kubernetes/kubernetes/pull/108496'],
    remediation:
      'Close or firewall the port; for a NodePort, change the Service to ClusterIP or restrict it with loadBalancerSourceRanges / NetworkPolicy; for a listener meant to be there, add it to probes.ports.extraAllowList.',
    evaluate: reachableUnexpected,
  },
  {
    id: 'ports.agent_exposed',
    title: "hostward's own endpoints answer only authenticated requests beyond loopback",
    severity: 'medium',
    references: [
      'CIS Kubernetes Benchmark v1.12 4.2.1',
      'https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md',
    ],
    remediation:
      'The kubelet serves no anonymous requests (CIS Kubernetes 4.2.1); the agent on every node follows the same rule. ' +
      'Give the agent a web configuration file (agent.webConfigFile, --web.config.file or HOSTWARD_WEB_CONFIG_FILE) ' +
      'with basic_auth_users or bearer_tokens_file, and tls_server_config; in the Helm chart set agent.web.bearer or ' +
      'agent.web.basicAuth and agent.web.tls. Or bind it to loopback (agent.listen: 127.0.0.1) when nothing scrapes it from outside.',
    evaluate: agentExposed,
  },
  {
    id: 'ports.metadata_reachable',
    title: 'The cloud metadata endpoint is not reachable',
    severity: 'medium',
    references: [
      'MITRE ATT&CK T1552.005',
      'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html',
      'https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity',
    ],
    remediation:
      "Block 169.254.169.254 for pods (NetworkPolicy egress deny, or the CNI's host firewall), require IMDSv2 with a hop limit of 1 on AWS, use Workload Identity / IRSA instead of node credentials.",
    evaluate: metadataReachable,
  },
];
