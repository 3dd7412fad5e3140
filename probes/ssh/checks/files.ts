/** Owner and mode of sshd's files, compared by mode bits (never by the text of ls). */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown, skip, checkMode, octal } from '../../../src/sdk.js';
import type { FileFact, SshFacts } from '../types.js';
import { CIS_DEBIAN_12, CIS_DIL } from './util.js';

interface ModeRule {
  role: FileFact['role'];
  /** Mode bits that must be clear. */
  forbidden: number;
  /** Whether group ssh_keys may read (RHEL 8 owns private host keys that way, mode 0640). */
  allowGroupRead?: boolean;
  what: string;
}

function evaluateModes(facts: SshFacts, rule: ModeRule): Outcome {
  const files = facts.files.filter((f) => f.role === rule.role);
  if (files.length === 0) return skip(`no ${rule.what} on this host`);
  const bad: string[] = [];
  const unreadable: string[] = [];
  const evidence: Evidence[] = [];
  for (const f of files) {
    if ('ok' in f.stat) {
      unreadable.push(`${f.path}: ${f.stat.reason}`);
      continue;
    }
    const { mode, uid, gid } = f.stat;
    let forbidden = rule.forbidden;
    // RHEL 8 gives private host keys to group ssh_keys with mode 0640; that group may read, nothing more.
    const sshKeysGroup = rule.allowGroupRead && f.stat.group === 'ssh_keys';
    if (sshKeysGroup) forbidden = forbidden & ~0o040;
    const v = checkMode(f.stat, { maxMode: 0o7777 & ~forbidden, uid: 0, ...(sshKeysGroup ? {} : { gids: [0] }) });
    const problems: string[] = [];
    if (!v.ownerOk) problems.push(`owned by uid ${uid}`);
    if (!v.groupOk) problems.push(`group ${f.stat.group ?? gid}`);
    if (v.extra) problems.push(`mode ${octal(mode)} allows ${describeBits(v.extra)}`);
    if (problems.length > 0) {
      bad.push(`${f.path} ${problems.join(', ')}`);
      evidence.push({ file: f.path, text: `mode ${octal(mode)} uid ${uid} gid ${gid}` });
    }
  }
  if (bad.length > 0) return fail(bad.join('; '), evidence);
  if (unreadable.length > 0) return unknown(`cannot stat ${unreadable.join('; ')}`);
  return pass(`${files.length} ${rule.what}: owned by root, mode allows none of ${describeBits(rule.forbidden)}`);
}

function describeBits(bits: number): string {
  const parts: string[] = [];
  if (bits & 0o020) parts.push('group write');
  if (bits & 0o040) parts.push('group read');
  if (bits & 0o010) parts.push('group execute');
  if (bits & 0o002) parts.push('other write');
  if (bits & 0o004) parts.push('other read');
  if (bits & 0o001) parts.push('other execute');
  return parts.join(', ') || 'extra bits';
}

export const fileChecks: readonly Check<SshFacts>[] = [
  {
    id: 'ssh.config_permissions',
    title: 'sshd_config is owned by root and not readable by others',
    severity: 'medium',
    references: [CIS_DEBIAN_12('5.1.1'), CIS_DIL('5.2.1'), 'dev-sec ssh-baseline sshd-05'],
    remediation: 'chown root:root /etc/ssh/sshd_config && chmod 0600 /etc/ssh/sshd_config',
    evaluate: (facts) => evaluateModes(facts, { role: 'config', forbidden: 0o077, what: 'main configuration file' }),
  },
  {
    id: 'ssh.dropin_permissions',
    title: 'Files included by sshd_config are owned by root and not writable by others',
    severity: 'high',
    references: [CIS_DEBIAN_12('5.1.1')],
    remediation:
      'A drop-in that others can write can turn password logins back on. chown root:root /etc/ssh/sshd_config.d/*.conf && chmod 0600 /etc/ssh/sshd_config.d/*.conf',
    evaluate: (facts) =>
      evaluateModes(facts, { role: 'dropin', forbidden: 0o022, what: 'included configuration files' }),
  },
  {
    id: 'ssh.config_dir_permissions',
    title: '/etc/ssh is owned by root and not writable by others',
    severity: 'medium',
    references: ['dev-sec ssh-baseline sshd-04'],
    remediation: 'chown root:root /etc/ssh && chmod 0755 /etc/ssh',
    evaluate: (facts) =>
      evaluateModes(facts, { role: 'config_dir', forbidden: 0o022, what: 'configuration directories' }),
  },
  {
    id: 'ssh.host_private_key_permissions',
    title: 'SSH private host keys are readable only by root',
    severity: 'high',
    references: [CIS_DEBIAN_12('5.1.2'), CIS_DIL('5.2.2')],
    remediation: 'chown root:root /etc/ssh/ssh_host_*_key && chmod 0600 /etc/ssh/ssh_host_*_key',
    evaluate: (facts) =>
      evaluateModes(facts, {
        role: 'host_private_key',
        forbidden: 0o077,
        allowGroupRead: true,
        what: 'private host keys',
      }),
  },
  {
    id: 'ssh.host_public_key_permissions',
    title: 'SSH public host keys are not writable by others',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.3'), CIS_DIL('5.2.3')],
    remediation: 'chown root:root /etc/ssh/ssh_host_*_key.pub && chmod 0644 /etc/ssh/ssh_host_*_key.pub',
    evaluate: (facts) => evaluateModes(facts, { role: 'host_public_key', forbidden: 0o022, what: 'public host keys' }),
  },
];
