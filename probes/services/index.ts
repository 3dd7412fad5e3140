/**
 * The services probe: servers CIS wants gone (table.ts) seen as installed Debian packages, enabled systemd units
 * (links under /etc/systemd/system/*.wants; systemctl is never run) or listeners beyond loopback; the MTA kept
 * local; time synchronisation; compilers. It reads dpkg's status file only: on an RPM host the package part
 * is skipped with that reason, and units and ports still count.
 */
import { defineProbe, readDpkgStatus } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import { parseDpkgInstalled, parseProcNet, postfixValue, timeSources } from './parse.js';
import type { Listener } from './parse.js';
import type { ConfigValue, Enabled, Listeners, Packages, ServicesFacts } from './types.js';
import { serviceChecks } from './checks.js';

export type { ServicesFacts } from './types.js';

const MAX_FILE = 1024 * 1024;
const MAX_WANTS_DIRS = 128;
const MAX_UNITS = 8192;
const why = (r: { code: string; reason: string }) => `${r.code.replace(/_/g, ' ')} (${r.reason})`;

async function readPackages(host: HostRoot): Promise<Packages> {
  const r = await readDpkgStatus(host);
  if (r.ok) return { kind: 'dpkg', installed: parseDpkgInstalled(r.text) };
  if (r.code !== 'missing') return { kind: 'unknown', why: `/var/lib/dpkg/status: ${why(r)}` };
  for (const db of ['/var/lib/rpm', '/usr/lib/sysimage/rpm']) {
    if (await host.exists(db))
      return {
        kind: 'rpm',
        why: `an RPM host (${db}): installed packages are not read by this probe, only enabled units and listeners`,
      };
  }
  return { kind: 'unknown', why: 'neither /var/lib/dpkg/status nor an RPM database is in the scanned root' };
}

async function readEnabled(host: HostRoot): Promise<Enabled> {
  const base = '/etc/systemd/system';
  const d = await host.readDir(base);
  if (!d.ok) return { ok: false, why: `${base}: ${why(d)}` };
  const units = new Map<string, string>();
  const wants = d.entries
    .filter((e) => e.type === 'directory' && /\.(wants|requires)$/.test(e.name))
    .slice(0, MAX_WANTS_DIRS);
  for (const w of wants) {
    const sub = await host.readDir(`${base}/${w.name}`);
    if (!sub.ok) continue;
    for (const e of sub.entries)
      if (units.size < MAX_UNITS && !units.has(e.name)) units.set(e.name, `${base}/${w.name}/${e.name}`);
  }
  // A unit masked by a link to /dev/null in /etc/systemd/system cannot start, whatever wants it.
  for (const e of d.entries.filter((x) => x.type === 'symlink' && units.has(x.name))) {
    const l = await host.readLink(`${base}/${e.name}`);
    if (l.ok && l.target === '/dev/null') units.delete(e.name);
  }
  return { ok: true, units };
}

async function readListeners(host: HostRoot): Promise<Listeners> {
  const list: Listener[] = [];
  const tables = [
    ['tcp', false],
    ['tcp6', true],
    ['udp', false],
    ['udp6', true],
  ] as const;
  for (const [name, v6] of tables) {
    const r = await host.readText(`/proc/net/${name}`, { maxBytes: 16 * MAX_FILE });
    if (!r.ok) {
      if (v6 && r.code === 'missing') continue; // IPv6 disabled
      return { ok: false, why: `/proc/net/${name}: ${why(r)}` };
    }
    list.push(...parseProcNet(r.text, name.startsWith('tcp') ? 'tcp' : 'udp', v6));
  }
  return { ok: true, list };
}

async function readValue(host: HostRoot, file: string, key: string): Promise<ConfigValue | undefined> {
  const r = await host.readText(file, { maxBytes: MAX_FILE });
  if (!r.ok) return undefined;
  const v = postfixValue(r.text, key);
  return v ? { ...v, file } : undefined;
}

async function readSources(
  host: HostRoot,
  files: string[],
  dirs: string[],
  kind: 'chrony' | 'timesyncd',
): Promise<string[]> {
  const all = [...files];
  for (const dir of dirs) all.push(...(await host.glob(dir)).slice(0, 64));
  const out: string[] = [];
  for (const f of all) {
    const r = await host.readText(f, { maxBytes: MAX_FILE });
    if (r.ok) out.push(...timeSources(r.text, kind));
  }
  return out;
}

async function gather(ctx: ProbeContext): Promise<ServicesFacts> {
  const { host } = ctx;
  const [packages, enabled, listeners, postfix, exim] = await Promise.all([
    readPackages(host),
    readEnabled(host),
    readListeners(host),
    readValue(host, '/etc/postfix/main.cf', 'inet_interfaces'),
    readValue(host, '/etc/exim4/update-exim4.conf.conf', 'dc_local_interfaces'),
  ]);
  const timeSourcesBy: Record<string, string[]> = {
    chrony: await readSources(
      host,
      ['/etc/chrony/chrony.conf', '/etc/chrony.conf'],
      ['/etc/chrony/sources.d/*.sources', '/etc/chrony/conf.d/*.conf'],
      'chrony',
    ),
    'systemd-timesyncd': await readSources(
      host,
      ['/etc/systemd/timesyncd.conf'],
      ['/etc/systemd/timesyncd.conf.d/*.conf'],
      'timesyncd',
    ),
    ntp: await readSources(host, ['/etc/ntp.conf', '/etc/ntpsec/ntp.conf'], [], 'chrony'),
  };
  const runSystemd = await host.exists('/run/systemd/system');
  const facts: ServicesFacts = {
    role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' },
    packages,
    enabled,
    listeners,
    timeSources: timeSourcesBy,
    ...(postfix ? { postfixInterfaces: postfix } : {}),
    ...(exim ? { eximInterfaces: exim } : {}),
  };
  if (runSystemd) facts.timesyncSynchronized = await host.exists('/run/systemd/timesync/synchronized');
  return facts;
}

export const servicesProbe = defineProbe<ServicesFacts>({
  name: 'services',
  description:
    'Servers CIS wants gone (telnet, rsh, FTP, TFTP, Avahi, CUPS, NFS, rpcbind, Samba, SNMP, NIS, X, DHCP, DNS, Squid, Dovecot) by package, enabled unit or listener; a local-only MTA; time synchronisation; compilers.',
  checks: serviceChecks,
  gather,
});
