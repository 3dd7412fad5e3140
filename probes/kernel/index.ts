/**
 * The kernel probe: sysctls with Kubernetes-aware expectations (the table in sysctls.ts), in force and as
 * persisted in sysctl.d (persisted.ts), and the active Linux security modules. Every read goes through the
 * host root: <root>/proc/sys/..., <root>/sys/..., <root>/etc/sysctl.d/...
 *
 * net.* sysctls are per network namespace, and /proc/sys/net shows the namespace of the process that reads
 * it, whatever /proc is mounted where. The DaemonSet runs with hostNetwork: true, so the agent reads the
 * node's values; from a pod without hostNetwork they would be the pod's.
 */
import { defineProbe, mapLimit } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import {
  parseAppArmorProfiles,
  parseLsmList,
  parseSelinuxConfig,
  parseSelinuxEnforce,
  parseSysctlValue,
  parseYesNo,
  MAX_LIST_CHARS,
  MAX_VALUE_CHARS,
} from './parse.js';
import type { Parsed } from './parse.js';
import { KERNEL_OPTIONS } from './option-spec.js';
import { SYSCTL_RULES, sysctlPath, tableKeys } from './sysctls.js';
import type { InterfaceValues, KernelFacts, KernelOptions, LsmFacts, Read, SysctlReading } from './types.js';
import { sysctlChecks } from './checks/sysctl.js';
import { readPersisted } from './persisted.js';
import { lsmChecks } from './checks/lsm.js';

export type { KernelFacts, SysctlReading, KernelOptions } from './types.js';
export { SYSCTL_RULES, sysctlPath } from './sysctls.js';

/** Interfaces read per row at most: a node has a few hundred pod veths, not tens of thousands. */
export const MAX_INTERFACES = 4096;
const CONCURRENCY = 32;

/** Read and parse one sysctl file. */
export async function readSysctl(host: HostRoot, name: string, path = sysctlPath(name)): Promise<SysctlReading> {
  const r = await host.readText(path, { maxBytes: MAX_VALUE_CHARS });
  if (!r.ok)
    return {
      state: r.code === 'missing' ? 'missing' : 'bad',
      name,
      path,
      reason: `${r.code.replace(/_/g, ' ')} (${r.reason})`,
    };
  const v = parseSysctlValue(r.text);
  if (!v.ok) return { state: 'bad', name, path, reason: v.reason };
  if (v.values.length !== 1)
    return { state: 'bad', name, path, reason: `${v.values.length} values where one is expected` };
  return { state: 'ok', name, path, value: v.values[0]! };
}

/** Per-interface values under /proc/sys/net/ipv4/conf/<iface>/<leaf>. */
async function readInterfaces(host: HostRoot, leaf: string): Promise<InterfaceValues> {
  const dir = '/proc/sys/net/ipv4/conf';
  const d = await host.readDir(dir);
  if (!d.ok)
    return { leaf, interfaces: new Map(), problem: `${dir}: ${d.code.replace(/_/g, ' ')} (${d.reason})`, notRead: 0 };
  const names = d.entries
    .filter((e) => e.type === 'directory' && e.name !== 'all' && e.name !== 'default')
    .map((e) => e.name);
  const take = names.slice(0, MAX_INTERFACES);
  // sysctl spells a dot in an interface name as "/" (eth0.100 -> net.ipv4.conf.eth0/100.rp_filter).
  const readings = await mapLimit(take, CONCURRENCY, (n) =>
    readSysctl(host, `net.ipv4.conf.${n.replace(/\./g, '/')}.${leaf}`, `${dir}/${n}/${leaf}`),
  );
  return { leaf, interfaces: new Map(take.map((n, i) => [n, readings[i]!])), notRead: names.length - take.length };
}

async function readParsed<T>(
  host: HostRoot,
  file: string,
  max: number,
  parse: (text: string) => Parsed<T>,
): Promise<Read<T>> {
  const r = await host.readText(file, { maxBytes: max });
  if (!r.ok)
    return { ok: false, missing: r.code === 'missing', file, reason: `${r.code.replace(/_/g, ' ')} (${r.reason})` };
  const p = parse(r.text);
  if (!p.ok) return { ok: false, missing: false, file, reason: p.reason };
  return { ...p, file };
}

export async function gatherLsm(host: HostRoot): Promise<LsmFacts> {
  const [list, sec, apparmorEnabled, apparmorProfiles, selinuxEnforce, selinuxConfig] = await Promise.all([
    readParsed(host, '/sys/kernel/security/lsm', MAX_VALUE_CHARS, parseLsmList),
    host.readDir('/sys/kernel/security'),
    readParsed(host, '/sys/module/apparmor/parameters/enabled', MAX_VALUE_CHARS, parseYesNo),
    readParsed(host, '/sys/kernel/security/apparmor/profiles', MAX_LIST_CHARS, parseAppArmorProfiles),
    readParsed(host, '/sys/fs/selinux/enforce', MAX_VALUE_CHARS, parseSelinuxEnforce),
    readParsed(host, '/etc/selinux/config', 1024 * 1024, (t) => ({ ok: true, config: parseSelinuxConfig(t) })),
  ]);
  return {
    list,
    securityfsMounted: sec.ok && sec.entries.length > 0,
    apparmorEnabled,
    apparmorProfiles,
    selinuxEnforce,
    selinuxConfig,
  };
}

async function gather(ctx: ProbeContext<KernelOptions>): Promise<KernelFacts> {
  const { host, options } = ctx;
  const procSys = await host.readDir('/proc/sys');
  const lsm = await gatherLsm(host);
  const facts: KernelFacts = {
    options,
    role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' },
    sysctls: new Map(),
    perInterface: new Map(),
    lsm,
  };
  if (options.persistence) facts.persisted = await readPersisted(host);
  if (!procSys.ok || procSys.entries.length === 0) {
    facts.procSysProblem = procSys.ok
      ? "/proc/sys is empty: the host's /proc is not mounted in the scanned root"
      : `${procSys.code.replace(/_/g, ' ')} (${procSys.reason}): the host's /proc is not mounted in the scanned root`;
    return facts;
  }
  const keys = tableKeys();
  const readings = await mapLimit(keys, CONCURRENCY, (k) => readSysctl(host, k));
  keys.forEach((k, i) => facts.sysctls.set(k, readings[i]!));
  for (const rule of SYSCTL_RULES) {
    if (rule.effective !== 'max_with_all') continue;
    const leaf = rule.keys[0]!.split('.').pop()!;
    if (!facts.perInterface.has(leaf)) facts.perInterface.set(leaf, await readInterfaces(host, leaf));
  }
  return facts;
}

export const kernelProbe = defineProbe({
  name: 'kernel',
  description:
    'Kernel sysctls with Kubernetes-aware expectations (forwarding on, strict reverse path filtering in force on every interface, CIS/Lynis hardening, the values kubelet protectKernelDefaults expects), judged both in force and as the next boot sets them from sysctl.d, and the active Linux security modules (AppArmor, SELinux).',
  checks: [...sysctlChecks, ...lsmChecks],
  gather,
  options: KERNEL_OPTIONS,
});
