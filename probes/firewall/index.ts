/**
 * The firewall probe: a default-deny host firewall loaded at boot on a plain server (nftables, iptables-persistent,
 * ufw or firewalld), and one tool rather than several fighting over the tables. It reads the boot-time files
 * and the systemd .wants links, never the live ruleset (that needs nft or iptables run as root in the host's
 * network namespace). On a Kubernetes node the CNI and kube-proxy own the tables: the checks skip and say so.
 */
import { defineProbe, fail, pass, skip, unknown } from '../../src/sdk.js';
import type { Check, Evidence, HostRoot, Outcome, ProbeContext, HostRole } from '../../src/sdk.js';
import { iptablesInputPolicy, nftInputPolicies, shellValue } from './parse.js';

const MAX = 4 * 1024 * 1024;
const CIS = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;

interface Tool {
  name: 'nftables' | 'iptables-persistent' | 'ufw' | 'firewalld';
  enabled: boolean;
  /** The input policy denies by default; undefined: no configuration file read. */
  denies?: boolean;
  why: string;
  evidence: Evidence[];
}

export interface FirewallFacts {
  role: HostRole;
  tools: Tool[];
  problems: string[];
}

async function text(host: HostRoot, f: string, problems: string[]): Promise<string | undefined> {
  const r = await host.readText(f, { maxBytes: MAX });
  if (!r.ok && r.code !== 'missing') problems.push(`${f}: ${r.code.replace(/_/g, ' ')} (${r.reason})`);
  return r.ok ? r.text : undefined;
}

async function enabled(host: HostRoot, unit: string): Promise<boolean> {
  for (const w of [
    'sysinit.target.wants',
    'multi-user.target.wants',
    'network-pre.target.wants',
    'basic.target.wants',
  ]) {
    if ((await host.stat(`/etc/systemd/system/${w}/${unit}`, false)).ok) return true;
  }
  return false;
}

async function nft(host: HostRoot, problems: string[]): Promise<Tool> {
  const f = '/etc/nftables.conf';
  const t = await text(host, f, problems);
  const on = await enabled(host, 'nftables.service');
  if (t === undefined) return { name: 'nftables', enabled: on, why: `no ${f}`, evidence: [] };
  const pols = nftInputPolicies(t);
  const evidence = pols.map((p) => ({ file: f, line: p.line, text: `policy ${p.policy}` }));
  if (pols.length === 0)
    return { name: 'nftables', enabled: on, denies: false, why: `${f} has no base chain hooked on input`, evidence };
  // Every input base chain must drop: a packet accepted by one chain still meets the others, but one that accepts by
  // default lets it through.
  const denies = pols.every((p) => p.policy === 'drop');
  return {
    name: 'nftables',
    enabled: on,
    denies,
    why: `${f}: input chain polic${pols.length > 1 ? 'ies' : 'y'} ${pols.map((p) => p.policy).join(', ')}`,
    evidence,
  };
}

async function iptables(host: HostRoot, problems: string[]): Promise<Tool> {
  const f = '/etc/iptables/rules.v4';
  const t = await text(host, f, problems);
  const on = await enabled(host, 'netfilter-persistent.service');
  const p = t !== undefined ? iptablesInputPolicy(t) : undefined;
  if (t === undefined) return { name: 'iptables-persistent', enabled: on, why: `no ${f}`, evidence: [] };
  if (!p)
    return {
      name: 'iptables-persistent',
      enabled: on,
      denies: false,
      why: `${f} sets no INPUT policy in *filter (ACCEPT)`,
      evidence: [],
    };
  return {
    name: 'iptables-persistent',
    enabled: on,
    denies: p.policy === 'DROP',
    why: `${f}: :INPUT ${p.policy}`,
    evidence: [{ file: f, line: p.line, text: `:INPUT ${p.policy}` }],
  };
}

async function ufw(host: HostRoot, problems: string[]): Promise<Tool> {
  const conf = await text(host, '/etc/ufw/ufw.conf', problems);
  const def = await text(host, '/etc/default/ufw', problems);
  const en = conf !== undefined ? shellValue(conf, 'ENABLED') : undefined;
  const pol = def !== undefined ? shellValue(def, 'DEFAULT_INPUT_POLICY') : undefined;
  const on = en?.policy === 'yes' && (await enabled(host, 'ufw.service'));
  const evidence: Evidence[] = [
    ...(en ? [{ file: '/etc/ufw/ufw.conf', line: en.line, text: `ENABLED=${en.policy}` }] : []),
    ...(pol ? [{ file: '/etc/default/ufw', line: pol.line, text: `DEFAULT_INPUT_POLICY=${pol.policy}` }] : []),
  ];
  if (conf === undefined)
    return { name: 'ufw', enabled: false, why: 'ufw is not installed (no /etc/ufw/ufw.conf)', evidence };
  return {
    name: 'ufw',
    enabled: on,
    denies: pol ? ['DROP', 'REJECT'].includes(pol.policy) : false,
    why: `ufw ENABLED=${en?.policy ?? 'no'}, DEFAULT_INPUT_POLICY=${pol?.policy ?? 'unset'}`,
    evidence,
  };
}

async function firewalld(host: HostRoot, problems: string[]): Promise<Tool> {
  const f = '/etc/firewalld/firewalld.conf';
  const t = await text(host, f, problems);
  const on = await enabled(host, 'firewalld.service');
  if (t === undefined) return { name: 'firewalld', enabled: on, why: `no ${f}`, evidence: [] };
  const zone = shellValue(t, 'DefaultZone');
  // firewalld's zones reject what they do not allow, except trusted (accept everything).
  const z = zone?.policy ?? 'public';
  return {
    name: 'firewalld',
    enabled: on,
    denies: z !== 'trusted',
    why: `${f}: DefaultZone=${z}`,
    evidence: zone ? [{ file: f, line: zone.line, text: `DefaultZone=${z}` }] : [],
  };
}

async function gather(ctx: ProbeContext): Promise<FirewallFacts> {
  const problems: string[] = [];
  const tools = [
    await nft(ctx.host, problems),
    await iptables(ctx.host, problems),
    await ufw(ctx.host, problems),
    await firewalld(ctx.host, problems),
  ];
  return { role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' }, tools, problems };
}

const NODE =
  "On a Kubernetes node the CNI plugin and kube-proxy program iptables/nftables at run time, and a boot-time default-deny input policy must allow the kubelet (10250), the CNI's own ports and pod traffic: hostward does not judge the host firewall here. Judged elsewhere: what listens beyond loopback (the ports probe).";

function nodeSkip(f: FirewallFacts): Outcome | undefined {
  if (f.role.role !== 'node') return undefined;
  const on = f.tools.filter((t) => t.enabled).map((t) => `${t.name} (${t.why})`);
  return skip(
    `${NODE} Enabled at boot: ${on.length ? on.join('; ') : 'no host firewall tool'}. Host role: ${f.role.why}`,
  );
}

function defaultDeny(f: FirewallFacts): Outcome {
  const n = nodeSkip(f);
  if (n) return n;
  const on = f.tools.filter((t) => t.enabled);
  const problems = f.problems.length ? `; not read: ${f.problems.join('; ')}` : '';
  if (on.length === 0) {
    const configured = f.tools.filter((t) => t.denies).map((t) => `${t.name} (${t.why})`);
    if (f.problems.length) return unknown(`no firewall tool is enabled at boot in what was read${problems}`);
    return fail(
      `no host firewall is loaded at boot${configured.length ? `: ${configured.join('; ')} is configured but its service is not enabled` : ''}; every listening port is reachable from the network`,
      f.tools.flatMap((t) => t.evidence),
    );
  }
  const open = on.filter((t) => !t.denies);
  if (open.length)
    return fail(
      `the input policy does not deny by default: ${open.map((t) => t.why).join('; ')}`,
      open.flatMap((t) => t.evidence),
    );
  return pass(
    `default-deny input at boot: ${on.map((t) => `${t.name} (${t.why})`).join('; ')}${problems}`,
    on.flatMap((t) => t.evidence),
  );
}

function singleTool(f: FirewallFacts): Outcome {
  const n = nodeSkip(f);
  if (n) return n;
  const on = f.tools.filter((t) => t.enabled).map((t) => t.name);
  if (on.length === 1) return pass(`one firewall tool is enabled: ${on[0]}`);
  if (on.length === 0)
    return fail('no firewall tool (nftables, iptables-persistent, ufw, firewalld) is enabled at boot');
  return fail(
    `${on.length} firewall tools are enabled (${on.join(', ')}): each loads its own rules and the last one loaded wins or they mix`,
  );
}

const checks: Check<FirewallFacts>[] = [
  {
    id: 'firewall.default_deny',
    title: 'A host firewall with a default-deny input policy is loaded at boot (plain servers)',
    severity: 'medium',
    references: [CIS('4.2.7'), CIS('4.3.8'), CIS('4.4.2.1'), 'Lynis FIRE-4590'],
    remediation:
      'nftables: "policy drop;" in the input chain of /etc/nftables.conf (allow lo, established and the ports you serve) and "systemctl enable nftables"; or ufw: "ufw default deny incoming; ufw enable". Keep SSH allowed before enabling.',
    evaluate: defaultDeny,
  },
  {
    id: 'firewall.single_tool',
    title: 'Exactly one firewall tool is enabled (plain servers)',
    severity: 'low',
    references: [CIS('4.1.1')],
    remediation:
      'Enable one of nftables, ufw, iptables-persistent or firewalld and disable the others ("systemctl disable --now ufw").',
    evaluate: singleTool,
  },
];

export const firewallProbe = defineProbe<FirewallFacts>({
  name: 'firewall',
  description:
    'A default-deny host firewall loaded at boot (nftables, iptables-persistent, ufw, firewalld) and a single tool, on plain servers; skipped with the reason on Kubernetes nodes, whose CNI owns the tables.',
  checks,
  gather,
});
