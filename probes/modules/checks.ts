/**
 * The checks: one per module row (generated), and two for core dumps. A module passes when it cannot be loaded
 * and is not loaded now; configuration that denies it while /proc/modules cannot be read is `unknown`.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../src/sdk.js';
import { isDenyCommand, isZeroSize } from './parse.js';
import { MODULE_ROWS, canonical } from './table.js';
import type { ModuleRow } from './table.js';
import type { ModprobeDirective, ModulesFacts } from './types.js';

const CIS = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;
const LYNIS = (id: string) => `Lynis ${id}`;
const ev = (d: ModprobeDirective): Evidence => ({ file: d.file, line: d.line, text: d.text });

function moduleOutcome(row: ModuleRow, facts: ModulesFacts): Outcome {
  const m = canonical(row.module);
  const mine = facts.directives.filter((d) => d.module === m);
  // modprobe runs the first install command it finds for a module (kmod, like module-init-tools).
  const install = mine.find((d) => d.kind === 'install');
  const blacklist = mine.find((d) => d.kind === 'blacklist');
  const onCmdline = facts.cmdlineBlacklist.has(m);
  const evidence = [...(install ? [ev(install)] : []), ...(blacklist ? [ev(blacklist)] : [])];
  const avail = facts.available.get(m) ?? { state: 'unknown', reason: 'not looked up' };
  const node = row.nodeNote && facts.role.role === 'node' ? ` (${row.nodeNote})` : '';
  if (facts.loaded.ok && facts.loaded.names.has(m)) {
    return fail(`${row.module} is loaded now (/proc/modules): ${row.why}${node}`, [
      { file: '/proc/modules', text: m },
      ...evidence,
    ]);
  }
  if (avail.state === 'builtin') {
    return fail(
      `${row.module} is built into the kernel (${avail.path}): modprobe.d cannot make it unavailable, only a kernel without it can`,
      evidence,
    );
  }
  const builtIn = facts.inKernel.get(m);
  if (builtIn) {
    const what = facts.loaded.ok
      ? 'although not loaded as a module: it is built in, and modprobe.d cannot make it unavailable'
      : 'loaded or built in';
    return fail(`${row.module} is in the running kernel (${builtIn}), ${what}`, evidence);
  }
  if (facts.loaded.ok && facts.loaded.noModuleSupport) {
    return pass(
      `the kernel cannot load modules (no /proc/modules while /proc is mounted) and ${row.module} is not built in (not in /sys/module, /proc/filesystems or /proc/net/protocols)`,
      evidence,
    );
  }
  const denied = install !== undefined && isDenyCommand(install.command ?? '');
  const blacklisted = blacklist !== undefined || onCmdline;
  const loadedNote = facts.loaded.ok ? 'not loaded' : undefined;
  if (denied && blacklisted) {
    const how = `"${install.text}" and ${blacklist ? `"${blacklist.text}"` : 'a blacklist on the kernel command line'}`;
    return loadedNote
      ? pass(`${row.module} cannot be loaded (${how}) and is ${loadedNote}`, evidence)
      : unknown(
          `${row.module} is denied (${how}), but whether it is loaded now is unknown: ${(facts.loaded as { reason: string }).reason}`,
          evidence,
        );
  }
  if (avail.state === 'absent') {
    return pass(
      `${row.module} does not exist for kernel ${avail.release} (neither a module under /lib/modules/${avail.release} nor built in)${facts.loaded.ok ? ' and is not loaded' : ''}`,
      evidence,
    );
  }
  const missing = [
    ...(install && !denied
      ? [`its install line runs "${install.command}" rather than /bin/false (${install.file}:${install.line})`]
      : []),
    ...(!install ? [`no "install ${row.module} /bin/false" line in modprobe.d`] : []),
    ...(!blacklisted ? [`no "blacklist ${row.module}" line`] : []),
  ];
  const where = avail.state === 'unknown' ? avail.reason : `it exists as ${avail.path}`;
  return fail(`${row.module} can be loaded: ${missing.join('; ')}; ${where}. It is ${row.why}${node}`, evidence);
}

function moduleCheck(row: ModuleRow): Check<ModulesFacts> {
  const id = canonical(row.module);
  return {
    id: `modules.${id}_disabled`,
    title: `The ${row.module} kernel module is not available`,
    severity: row.severity,
    references: [CIS(row.cis), LYNIS(row.lynis)],
    remediation: `Create /etc/modprobe.d/${row.module}.conf with "install ${row.module} /bin/false" and "blacklist ${row.module}", then unload it if loaded ("modprobe -r ${row.module}").${row.nodeNote ? ` On a Kubernetes node: ${row.nodeNote}.` : ''}`,
    evaluate: (facts) => withProblems(moduleOutcome(row, facts), facts.configProblems),
  };
}

/** A verdict that rests on files some of which could not be read says so; a pass becomes unknown. */
function withProblems(o: Outcome, problems: readonly string[]): Outcome {
  // "file:line: ..." notes are lines the tools ignore too; the others are files that could not be read.
  const hard = problems.filter((p) => !/^[^\s:]+:\d+: /.test(p));
  if (problems.length === 0) return o;
  const note = `; not read or not understood: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}`;
  if (o.status === 'pass' && hard.length > 0)
    return unknown(`${o.message}, but configuration could not be read${note}`, o.evidence);
  return { ...o, message: `${o.message}${note}` };
}

function coreLimit(facts: ModulesFacts): Outcome {
  const { limits } = facts;
  // Among lines for every user ("*"), the last hard (or "-") one is the limit pam_limits sets.
  const all = limits.entries.filter((e) => e.domain === '*' && e.type !== 'soft');
  const last = all[all.length - 1];
  if (!last) {
    if (limits.filesRead.length === 0 && limits.problems.length > 0)
      return unknown(`no pam_limits file could be read: ${limits.problems.slice(0, 3).join('; ')}`);
    const read = limits.filesRead.length ? limits.filesRead.join(', ') : 'no /etc/security/limits.conf';
    return fail(`no "* hard core 0" line (read: ${read}): processes may write core dumps holding secrets from memory`);
  }
  const evidence: Evidence[] = [
    { file: last.file, line: last.line, text: `${last.domain} ${last.type} core ${last.value}` },
  ];
  if (last.value === '0')
    return withProblems(
      pass(`every user's hard core size limit is 0 (${last.file}:${last.line})`, evidence),
      limits.problems,
    );
  return fail(`the hard core size limit for every user is ${last.value}, not 0 (${last.file}:${last.line})`, evidence);
}

function systemdCoredump(facts: ModulesFacts): Outcome {
  const c = facts.coredump;
  if (!c.installed) return skip(c.why);
  const ev = [c.storage, c.processSizeMax]
    .filter((s) => s !== undefined)
    .map((s) => ({ file: s.file, line: s.line, text: s.value }));
  const storage = c.storage?.value ?? 'external (the default)';
  const size = c.processSizeMax?.value ?? '2G (the default)';
  const bad = [
    ...(c.storage?.value !== 'none' ? [`Storage=${storage}`] : []),
    ...(!c.processSizeMax || !isZeroSize(c.processSizeMax.value) ? [`ProcessSizeMax=${size}`] : []),
  ];
  const problems = c.problems.length ? `; not read: ${c.problems.slice(0, 3).join('; ')}` : '';
  if (bad.length === 0) {
    return c.problems.length
      ? unknown(`Storage=none and ProcessSizeMax=0 in what was read${problems}`, ev)
      : pass(`systemd-coredump keeps no core dumps (Storage=none, ProcessSizeMax=${c.processSizeMax!.value})`, ev);
  }
  return fail(`systemd-coredump is installed (${c.how}) and keeps core dumps: ${bad.join(', ')}${problems}`, ev);
}

export const moduleChecks: readonly Check<ModulesFacts>[] = [
  ...MODULE_ROWS.map(moduleCheck),
  {
    id: 'modules.core_dump_limit',
    title: 'Core dumps are limited to size 0 for every user (* hard core 0)',
    severity: 'medium',
    references: [CIS('1.5.3'), LYNIS('KRNL-5820')],
    remediation:
      'Add "* hard core 0" to /etc/security/limits.conf or a file in /etc/security/limits.d/; fs.suid_dumpable = 0 (the kernel probe) covers setuid programs.',
    evaluate: coreLimit,
  },
  {
    id: 'modules.systemd_coredump',
    title: 'systemd-coredump keeps no core dumps (Storage=none, ProcessSizeMax=0)',
    severity: 'medium',
    references: [CIS('1.5.3'), LYNIS('KRNL-5820')],
    remediation:
      'Set "Storage=none" and "ProcessSizeMax=0" under [Coredump] in /etc/systemd/coredump.conf (or a drop-in in /etc/systemd/coredump.conf.d/), and run "systemctl daemon-reload".',
    evaluate: systemdCoredump,
  },
];
