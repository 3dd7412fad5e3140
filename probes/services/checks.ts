/**
 * The services checks: one per server row (generated), the MTA, time synchronisation and compilers. A row
 * fails on any sign of the server (package, enabled unit, open port beyond loopback); it passes only when
 * the package list, the units and the listeners were all read and show none of them.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../src/sdk.js';
import { COMPILER_PACKAGES, SERVICE_ROWS, TIME_DAEMONS } from './table.js';
import type { ServiceRow } from './table.js';
import { loopbackOnly } from './parse.js';
import type { ServicesFacts } from './types.js';

const CIS = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;

interface Signs {
  found: string[];
  evidence: Evidence[];
  gaps: string[];
}

function signs(
  f: ServicesFacts,
  packages: readonly string[],
  units: readonly string[],
  ports: ServiceRow['ports'],
): Signs {
  const s: Signs = { found: [], evidence: [], gaps: [] };
  if (f.packages.kind === 'dpkg') {
    const inst = packages.filter((p) => (f.packages as { installed: ReadonlySet<string> }).installed.has(p));
    if (inst.length) {
      s.found.push(`package${inst.length > 1 ? 's' : ''} ${inst.join(', ')} installed`);
      s.evidence.push({ file: '/var/lib/dpkg/status', text: inst.join(', ') });
    }
  } else s.gaps.push(f.packages.why);
  if (f.enabled.ok) {
    for (const u of units) {
      const link = f.enabled.units.get(u);
      if (link) {
        s.found.push(`${u} enabled`);
        s.evidence.push({ file: link, text: u });
      }
    }
  } else s.gaps.push(`enabled units unknown: ${f.enabled.why}`);
  if (f.listeners.ok) {
    for (const l of f.listeners.list) {
      if (l.loopback || !ports.some((p) => p.proto === l.proto && p.port === l.port)) continue;
      s.found.push(`${l.proto} ${l.address}:${l.port} listening`);
      s.evidence.push({
        file: `/proc/net/${l.proto}${l.address.includes(':') ? '6' : ''}`,
        text: `${l.address}:${l.port}`,
      });
    }
  } else s.gaps.push(`listeners unknown: ${f.listeners.why}`);
  return s;
}

function serverOutcome(row: ServiceRow, f: ServicesFacts): Outcome {
  const s = signs(f, row.packages, row.units, row.ports);
  const node = row.nodeNote && f.role.role === 'node' ? ` (${row.nodeNote})` : '';
  if (s.found.length) return fail(`${row.name}: ${[...new Set(s.found)].join('; ')}${node}`, s.evidence);
  if (f.packages.kind === 'rpm' && s.gaps.length === 1)
    return skip(`${f.packages.why}; no ${row.name} unit is enabled and none of its ports is open`);
  if (s.gaps.length) return unknown(`no sign of a ${row.name} in what was read, but ${s.gaps.join('; ')}`);
  return pass(`no ${row.name}: package not installed, no unit enabled, no port open beyond loopback`);
}

function serverCheck(row: ServiceRow): Check<ServicesFacts> {
  return {
    id: `services.${row.key}`,
    title: `No ${row.name} is installed, enabled or listening`,
    severity: row.severity,
    references: [CIS(row.cis)],
    remediation: `If the host does not need it: "apt purge ${row.packages[0]}"${row.units.length ? `, or at least "systemctl disable --now ${row.units.join(' ')}" and mask them` : ''}.${row.nodeNote ? ` On a Kubernetes node: ${row.nodeNote}.` : ''}`,
    evaluate: (f) => serverOutcome(row, f),
  };
}

function mta(f: ServicesFacts): Outcome {
  if (!f.listeners.ok) return unknown(`listeners unknown: ${f.listeners.why}`);
  const open = f.listeners.list.filter((l) => l.proto === 'tcp' && [25, 465, 587].includes(l.port) && !l.loopback);
  const ev = open.map((l): Evidence => ({
    file: `/proc/net/tcp${l.address.includes(':') ? '6' : ''}`,
    text: `${l.address}:${l.port}`,
  }));
  const cfg = f.postfixInterfaces ?? f.eximInterfaces;
  const cfgEv: Evidence[] = cfg ? [{ file: cfg.file, line: cfg.line, text: cfg.value }] : [];
  if (open.length)
    return fail(`a mail server listens beyond loopback: ${open.map((l) => `${l.address}:${l.port}`).join(', ')}`, [
      ...ev,
      ...cfgEv,
    ]);
  if (cfg && !loopbackOnly(cfg.value)) {
    return fail(
      `${cfg.file}:${cfg.line} listens on "${cfg.value}", not loopback only (nothing listens beyond loopback now: the daemon may be stopped)`,
      cfgEv,
    );
  }
  return pass(
    cfg
      ? `the MTA listens on loopback only (${cfg.file}: ${cfg.value}) and no port 25, 465 or 587 is open beyond loopback`
      : 'no mail port (25, 465, 587) is open beyond loopback',
    cfgEv,
  );
}

function daemonsInUse(f: ServicesFacts): { name: string; how: string }[] {
  const out: { name: string; how: string }[] = [];
  for (const d of TIME_DAEMONS) {
    const unit = f.enabled.ok
      ? d.units.find((u) => (f.enabled as { units: ReadonlyMap<string, string> }).units.has(u))
      : undefined;
    if (unit) out.push({ name: d.name, how: `${unit} enabled` });
  }
  return out;
}

function timeConfigured(f: ServicesFacts): Outcome {
  if (!f.enabled.ok) return unknown(`enabled units unknown: ${f.enabled.why}`);
  const inUse = daemonsInUse(f);
  if (inUse.length === 0)
    return fail(
      'no time synchronisation daemon (chrony, systemd-timesyncd, ntp) is enabled: clock drift breaks certificate validation, log correlation and Kubernetes leases',
    );
  if (inUse.length > 1)
    return fail(
      `more than one time daemon is enabled (${inUse.map((d) => d.how).join(', ')}): they fight over the clock`,
    );
  const d = inUse[0]!;
  const sources = f.timeSources[d.name] ?? [];
  if (d.name === 'systemd-timesyncd' && sources.length === 0) {
    return fail(
      `${d.how}, but no NTP= server is set in /etc/systemd/timesyncd.conf(.d): it uses only the compiled-in fallback servers`,
    );
  }
  if (d.name !== 'systemd-timesyncd' && sources.length === 0)
    return fail(`${d.how}, but its configuration names no server or pool`);
  return pass(`${d.how}, with time source${sources.length > 1 ? 's' : ''} ${sources.slice(0, 4).join(', ')}`);
}

function timeSynchronized(f: ServicesFacts): Outcome {
  const inUse = f.enabled.ok ? daemonsInUse(f) : [];
  if (!inUse.some((d) => d.name === 'systemd-timesyncd')) {
    return unknown(
      inUse.length
        ? `${inUse[0]!.name} is in use: only its own tools (chronyc tracking, ntpq -p) tell whether the clock is synchronised`
        : 'no systemd-timesyncd in use, and nothing else on disk tells whether the clock is synchronised',
    );
  }
  if (f.timesyncSynchronized === undefined)
    return unknown(
      "/run/systemd is not in the scanned root: the host's /run is not mounted, so timesyncd's state cannot be read",
    );
  if (f.timesyncSynchronized)
    return pass('systemd-timesyncd has synchronised the clock since boot (/run/systemd/timesync/synchronized exists)', [
      { file: '/run/systemd/timesync/synchronized', text: 'exists' },
    ]);
  return fail(
    'systemd-timesyncd has not synchronised the clock since boot (no /run/systemd/timesync/synchronized): its servers may be unreachable',
  );
}

function compilers(f: ServicesFacts, role: 'node' | 'server'): Outcome {
  if (f.role.role !== role)
    return skip(
      `judged by services.compilers_${f.role.role} on a ${f.role.role === 'node' ? 'Kubernetes node' : 'host that is not a Kubernetes node'} (${f.role.why})`,
    );
  if (f.packages.kind !== 'dpkg') return f.packages.kind === 'rpm' ? skip(f.packages.why) : unknown(f.packages.why);
  const found = [...f.packages.installed].filter((p) => COMPILER_PACKAGES.test(p)).sort();
  if (found.length === 0) return pass('no compiler or make package is installed');
  const why =
    role === 'node'
      ? 'a node runs images built elsewhere: a compiler only helps an intruder build tools on it'
      : 'on a server this may be intended (a build host); it is noted, not judged severe';
  return fail(`compilers installed: ${found.join(', ')}: ${why}`, [
    { file: '/var/lib/dpkg/status', text: found.join(', ') },
  ]);
}

export const serviceChecks: readonly Check<ServicesFacts>[] = [
  ...SERVICE_ROWS.map(serverCheck),
  {
    id: 'services.mta_local_only',
    title: 'The mail transfer agent listens on loopback only',
    severity: 'medium',
    references: [CIS('2.1.21')],
    remediation:
      'Postfix: "inet_interfaces = loopback-only" in /etc/postfix/main.cf; exim4: dc_local_interfaces=\'127.0.0.1 ; ::1\' in /etc/exim4/update-exim4.conf.conf; then restart the MTA.',
    evaluate: mta,
  },
  {
    id: 'services.time_sync_configured',
    title: 'One time synchronisation daemon is enabled and names its servers',
    severity: 'medium',
    references: [CIS('2.3.1.1'), CIS('2.3.2.1'), CIS('2.3.3.1'), 'Lynis TIME-3104'],
    remediation:
      'Enable one of chrony or systemd-timesyncd ("systemctl enable --now chrony") and name your time servers (server/pool lines in /etc/chrony/sources.d/, or NTP= in /etc/systemd/timesyncd.conf.d/); disable the others.',
    evaluate: timeConfigured,
  },
  {
    id: 'services.time_synchronized',
    title: 'The clock has been synchronised (where files tell)',
    severity: 'low',
    references: [CIS('2.3.2.2'), 'Lynis TIME-3104'],
    remediation: 'Check "timedatectl timesync-status" and that the configured servers are reachable on UDP 123.',
    evaluate: timeSynchronized,
  },
  {
    id: 'services.compilers_node',
    title: 'No compiler is installed on a Kubernetes node',
    severity: 'low',
    references: ['Lynis HRDN-7220'],
    remediation: 'Remove compilers and build tools from node images ("apt purge gcc g++ clang make"); build in CI.',
    evaluate: (f) => compilers(f, 'node'),
  },
  {
    id: 'services.compilers_server',
    title: 'No compiler is installed on a server (noted)',
    severity: 'info',
    references: ['Lynis HRDN-7220'],
    remediation: 'Remove compilers from servers that do not build software, or restrict them to a build group.',
    evaluate: (f) => compilers(f, 'server'),
  },
];
