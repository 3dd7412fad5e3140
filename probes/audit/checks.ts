/**
 * The audit checks. Every rule check needs auditd: without it they fail once, in audit.auditd_enabled, and
 * skip here with that reason. Node-only rules skip on a plain server, runtime rules where no runtime exists.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../src/sdk.js';
import { recordedSyscalls, watched } from './rules.js';
import { NODE_FILES, RULE_ROWS, RUNTIME_FILES } from './table.js';
import type { RuleRow } from './table.js';
import type { AuditFacts, Setting } from './types.js';

const CIS = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;
const DOCKER_BENCH = 'https://github.com/docker/docker-bench-security';
const ev = (s: Setting): Evidence => ({ file: s.file, line: s.line, text: s.value });

function needsAuditd(f: AuditFacts): Outcome | undefined {
  if (!f.auditd.binary)
    return skip('auditd is not installed (audit.auditd_enabled fails for that): no audit rule can be in force');
  if (f.rules.files.length === 0)
    return fail(`no audit rules: neither /etc/audit/rules.d/*.rules nor /etc/audit/audit.rules could be read`);
  return undefined;
}

function missingFor(f: AuditFacts, watches: readonly string[], syscalls: readonly string[]): string[] {
  const rec = recordedSyscalls(f.rules.rules);
  return [
    ...watches.filter((w) => !watched(f.rules.rules, w)).map((w) => `-w ${w} -p wa`),
    ...syscalls.filter((s) => !rec.has(s)).map((s) => `-S ${s}`),
  ];
}

function ruleOutcome(row: RuleRow, f: AuditFacts): Outcome {
  const pre = needsAuditd(f);
  if (pre) return pre;
  const missing = missingFor(f, row.watches, row.syscalls);
  const src = `${f.rules.source === 'rules.d' ? '/etc/audit/rules.d' : '/etc/audit/audit.rules'}`;
  if (missing.length)
    return fail(
      `${row.title} are not fully audited in ${src}: missing ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ` and ${missing.length - 6} more` : ''}`,
    );
  return pass(
    `${row.title} are audited (${[...row.watches, ...row.syscalls.map((s) => `-S ${s}`)].slice(0, 5).join(', ')}${row.watches.length + row.syscalls.length > 5 ? ', ...' : ''}; 64-bit calls checked) in ${src}`,
  );
}

function filesOutcome(f: AuditFacts, candidates: readonly string[], what: string): Outcome {
  const present = f.existing.filter((p) => candidates.includes(p));
  if (present.length === 0)
    return skip(`none of ${what}'s files exist here (${candidates.slice(0, 3).join(', ')}, ...)`);
  const pre = needsAuditd(f);
  if (pre) return pre;
  const missing = present.filter((p) => !watched(f.rules.rules, p));
  if (missing.length) return fail(`files of ${what} without a write watch: ${missing.join(', ')}`);
  return pass(`every file of ${what} present is watched: ${present.join(', ')}`);
}

function auditdEnabled(f: AuditFacts): Outcome {
  if (!f.auditd.binary)
    return fail(
      'auditd is not installed: nothing records security events such as logins, privilege use and changes to accounts',
    );
  if (!f.auditd.enabled) return fail(`auditd is installed (${f.auditd.binary}) but auditd.service is not enabled`);
  return pass(`auditd is installed (${f.auditd.binary}) and auditd.service is enabled`);
}

function bootParam(f: AuditFacts, test: (v: string) => boolean, want: string): Outcome {
  const cmd = f.cmdline;
  const grub = f.grubCmdline;
  const inCmd = cmd !== undefined ? cmd.split(/\s+/).some(test) : undefined;
  const inGrub = grub ? grub.value.split(/\s+/).some(test) : false;
  const evidence = grub ? [ev(grub)] : [];
  if (inCmd === false)
    return fail(
      `${want} is not on the running kernel's command line (/proc/cmdline)${inGrub ? ', though /etc/default/grub has it: run update-grub and reboot' : ''}`,
      evidence,
    );
  if (f.grubRead && !inGrub)
    return fail(`${want} is not in GRUB_CMDLINE_LINUX of /etc/default/grub: the next boot will not have it`, evidence);
  if (inCmd === undefined)
    return unknown(`/proc/cmdline cannot be read${inGrub ? `; /etc/default/grub has ${want}` : ''}`, evidence);
  return pass(
    `${want} is on the kernel command line${inGrub ? ' and in /etc/default/grub' : ' (no /etc/default/grub in the root: the boot loader is configured elsewhere)'}`,
    evidence,
  );
}

function confValue(f: AuditFacts, key: string, ok: readonly string[], why: string): Outcome {
  if (!f.auditd.binary) return skip('auditd is not installed (audit.auditd_enabled fails for that)');
  const s = f.auditdConf.get(key);
  if (!s) return fail(`${key} is not set in /etc/audit/auditd.conf: ${why}`);
  if (!ok.includes(s.value.toLowerCase()))
    return fail(`${key} = ${s.value}: ${why} (expected ${ok.join(' or ')})`, [ev(s)]);
  return pass(`${key} = ${s.value}`, [ev(s)]);
}

function journaldStorage(f: AuditFacts): Outcome {
  const s = f.journald.get('Storage');
  const evidence = s ? [ev(s)] : [];
  const value = s?.value ?? 'auto (the default)';
  if (s?.value === 'persistent') return pass('journald stores logs on disk (Storage=persistent)', evidence);
  if (!s || s.value === 'auto') {
    return f.journalDir
      ? pass(`Storage=${value} and /var/log/journal exists, so journald keeps logs on disk`, evidence)
      : fail(`Storage=${value} without /var/log/journal: logs live in /run and are lost at reboot`, evidence);
  }
  return fail(`journald Storage=${value}: logs are not kept on disk`, evidence);
}

function rsyslogMode(f: AuditFacts): Outcome {
  if (!f.rsyslog.binary) return skip('rsyslog is not installed; journald is the logging system');
  const m = f.rsyslog.mode;
  if (!m)
    return fail(
      'rsyslog is installed but no $FileCreateMode is set: it creates log files 0644, readable by every user',
    );
  const mode = parseInt(m.value, 8);
  if (mode & 0o137) return fail(`rsyslog creates log files with mode ${m.value}, more than 0640`, [ev(m)]);
  return pass(
    `rsyslog creates log files with mode ${m.value}${f.rsyslog.enabled ? '' : ' (rsyslog.service is not enabled)'}`,
    [ev(m)],
  );
}

function immutable(f: AuditFacts): Outcome {
  const pre = needsAuditd(f);
  if (pre) return pre;
  const controls = f.rules.rules.filter((r) => r.kind === 'control' && r.option === '-e');
  const last = controls[controls.length - 1];
  if (!last || last.kind !== 'control')
    return fail('no "-e 2" rule: anyone with root can change or stop auditing without a reboot');
  if (last.value !== '2')
    return fail(`the last -e rule sets ${last.value ?? 'nothing'}, not 2`, [
      { file: last.file, line: last.line, text: `-e ${last.value ?? ''}` },
    ]);
  return pass('the audit configuration is immutable until reboot (-e 2)', [
    { file: last.file, line: last.line, text: '-e 2' },
  ]);
}

function privileged(f: AuditFacts): Outcome {
  const pre = needsAuditd(f);
  if (pre) return pre;
  const n = f.rules.rules.filter(
    (r) => r.kind === 'syscall' && r.fields.path !== undefined && r.fields.perm?.includes('x'),
  ).length;
  if (n === 0)
    return fail('no rule audits running a privileged command (-a always,exit -F path=<setuid program> -F perm=x)');
  return pass(
    `${n} rule${n === 1 ? '' : 's'} audit running privileged commands (path= perm=x); whether every setuid program has one is not compared here`,
  );
}

export const auditChecks: readonly Check<AuditFacts>[] = [
  {
    id: 'audit.journald_storage',
    title: 'journald keeps logs on disk',
    severity: 'medium',
    references: [CIS('6.1.2.4')],
    remediation:
      'Set Storage=persistent under [Journal] in /etc/systemd/journald.conf.d/60-storage.conf and restart systemd-journald.',
    evaluate: journaldStorage,
  },
  {
    id: 'audit.rsyslog_file_mode',
    title: 'rsyslog creates log files 0640 or stricter',
    severity: 'low',
    references: [CIS('6.1.3.4')],
    remediation: 'Add "$FileCreateMode 0640" to /etc/rsyslog.d/60-filemode.conf and restart rsyslog.',
    evaluate: rsyslogMode,
  },
  {
    id: 'audit.auditd_enabled',
    title: 'auditd is installed and enabled',
    severity: 'medium',
    references: [CIS('6.2.1.1'), CIS('6.2.1.2'), 'Lynis ACCT-9628'],
    remediation: 'apt install auditd audispd-plugins; systemctl enable --now auditd.',
    evaluate: auditdEnabled,
  },
  {
    id: 'audit.boot_audit',
    title: 'Processes that start before auditd are audited (audit=1)',
    severity: 'low',
    references: [CIS('6.2.1.3')],
    remediation: 'Add audit=1 to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub and reboot.',
    evaluate: (f) => bootParam(f, (w) => w === 'audit=1', 'audit=1'),
  },
  {
    id: 'audit.backlog_limit',
    title: 'audit_backlog_limit is 8192 or more at boot',
    severity: 'low',
    references: [CIS('6.2.1.4')],
    remediation: 'Add audit_backlog_limit=8192 to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub and reboot.',
    evaluate: (f) =>
      bootParam(
        f,
        (w) => /^audit_backlog_limit=(\d+)$/.test(w) && Number(w.split('=')[1]) >= 8192,
        'audit_backlog_limit>=8192',
      ),
  },
  {
    id: 'audit.keep_logs',
    title: 'Audit logs are not deleted automatically (max_log_file_action = keep_logs)',
    severity: 'low',
    references: [CIS('6.2.2.2')],
    remediation: 'Set max_log_file_action = keep_logs in /etc/audit/auditd.conf.',
    evaluate: (f) => confValue(f, 'max_log_file_action', ['keep_logs'], 'rotate deletes the oldest audit logs'),
  },
  {
    id: 'audit.space_left_action',
    title: 'auditd warns when its disk runs low (space_left_action)',
    severity: 'low',
    references: [CIS('6.2.2.4')],
    remediation: 'Set space_left_action = email (with action_mail_acct = root) in /etc/audit/auditd.conf.',
    evaluate: (f) =>
      confValue(
        f,
        'space_left_action',
        ['email', 'exec', 'single', 'halt'],
        'nobody is told the audit disk is filling',
      ),
  },
  {
    id: 'audit.admin_space_left_action',
    title: 'auditd stops the system before audit records are lost (admin_space_left_action)',
    severity: 'low',
    references: [CIS('6.2.2.4')],
    remediation: 'Set admin_space_left_action = single (or halt) in /etc/audit/auditd.conf.',
    evaluate: (f) =>
      confValue(f, 'admin_space_left_action', ['single', 'halt'], 'events are lost once the audit disk is full'),
  },
  ...RULE_ROWS.map((row): Check<AuditFacts> => ({
    id: `audit.rules_${row.key}`,
    title: `Audit rules record ${row.title}`,
    severity: 'low',
    references: [CIS(row.cis)],
    remediation: `Add to /etc/audit/rules.d/50-${row.key}.rules: ${[...row.watches.map((w) => `-w ${w} -p wa -k ${row.key}`), ...(row.syscalls.length ? [`-a always,exit -F arch=b64 -S ${row.syscalls.join(',')} -k ${row.key} (and the b32 line)`] : [])].join('; ')}; then augenrules --load.`,
    evaluate: (f) => ruleOutcome(row, f),
  })),
  {
    id: 'audit.rules_privileged',
    title: 'Audit rules record use of privileged commands',
    severity: 'low',
    references: [CIS('6.2.3.6')],
    remediation:
      'For each setuid/setgid program (find / -xdev -perm /6000 -type f), add "-a always,exit -F path=<program> -F perm=x -F auid>=1000 -F auid!=unset -k privileged".',
    evaluate: privileged,
  },
  {
    id: 'audit.rules_immutable',
    title: 'The audit configuration is immutable (-e 2)',
    severity: 'low',
    references: [CIS('6.2.3.20')],
    remediation: 'End the last file of /etc/audit/rules.d/ (99-finalize.rules) with "-e 2".',
    evaluate: immutable,
  },
  {
    id: 'audit.rules_container_runtime',
    title: 'Container runtime files are audited (docker-bench 1.1)',
    severity: 'low',
    references: [DOCKER_BENCH, 'Lynis ACCT-9630'],
    remediation: `Add "-w <path> -p rwxa -k container" for each of ${RUNTIME_FILES.join(', ')} that exists.`,
    evaluate: (f) => filesOutcome(f, RUNTIME_FILES, 'the container runtime'),
  },
  {
    id: 'audit.rules_kubernetes_node',
    title: 'Kubernetes node files are audited',
    severity: 'low',
    references: ['Lynis ACCT-9630', 'https://kubernetes.io/docs/concepts/security/hardening-guide/'],
    remediation: `Add "-w <path> -p wa -k kubernetes" for each of ${NODE_FILES.join(', ')} that exists.`,
    evaluate: (f) =>
      f.role.role !== 'node'
        ? skip(`not a Kubernetes node (${f.role.why})`)
        : filesOutcome(f, NODE_FILES, 'the Kubernetes node'),
  },
];
