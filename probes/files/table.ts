/**
 * The permission table: one row per host path with the owner, group and most permissive mode it may have, per
 * distribution family where they differ (Debian's shadow files are 0640 root:shadow so that unix_chkpwd, setgid
 * shadow, can read them; RHEL's are 0000 root:root). Checks are generated from the rows (checks/perms.ts); a
 * mode "or stricter" means no permission bit beyond the row's and no setuid, setgid or sticky bit.
 */
import type { Severity } from '../../src/sdk.js';
import { CIS_DEBIAN_12, LYNIS } from './refs.js';
import type { Family } from './types.js';

export interface Expect {
  /** Most permissive mode accepted, e.g. 0o640. */
  maxMode: number;
  /** Owner names accepted ("root" is uid 0 whatever /etc/passwd says). */
  owners: readonly string[];
  /** Group names accepted ("root" is gid 0). */
  groups: readonly string[];
}

/** What a missing path means: the row's status when none of its paths exists (never pass). */
export interface Absent {
  status: 'skip' | 'unknown' | 'fail';
  why: string;
}

export interface FileRule {
  /** Check id without the probe prefix. */
  id: string;
  title: string;
  /** Host paths tried in order; the first that exists is judged (links followed, as stat -L in the CIS audits). */
  paths: readonly string[];
  type: 'file' | 'directory';
  severity: Severity;
  references: readonly string[];
  expect: Expect;
  /** The expectation on RHEL-likes, when it differs. */
  rhel?: Expect;
  absent: Absent;
  /** Why it matters, for the remediation. */
  why: string;
  /** Only when this scheduler is installed: the row skips otherwise. */
  needs?: 'cron';
}

const ROOT = { owners: ['root'], groups: ['root'] } as const;
const PUBLIC: Expect = { maxMode: 0o644, ...ROOT };
const SHADOW_DEB: Expect = { maxMode: 0o640, owners: ['root'], groups: ['root', 'shadow'] };
const SHADOW_RHEL: Expect = { maxMode: 0o000, ...ROOT };
const CRON_DIR: Expect = { maxMode: 0o700, ...ROOT };

const ACCOUNT_ABSENT: Absent = {
  status: 'unknown',
  why: "every Linux host has it: the scanned root is not a host's root, or it cannot be read",
};
const BACKUP_ABSENT: Absent = {
  status: 'skip',
  why: 'the shadow tools write the backup at the first change of the accounts; there is none yet',
};
const CRON_ABSENT: Absent = { status: 'skip', why: 'it does not exist (cron is installed without it)' };

const PASSWD_WHY =
  'the account databases are read by everyone but must be writable by root alone: ' +
  'a user who can write them makes himself uid 0';
const SHADOW_WHY =
  'the password hashes must not be readable by users (offline cracking) nor writable by anyone but root';
const CRON_WHY =
  'root runs what these files name: a user who can read them learns the schedule, ' +
  'one who can write them runs code as root';

function account(id: string, path: string, cis: string, shadow: boolean, backup: boolean): FileRule {
  return {
    id: `${id}_permissions`,
    title: shadow
      ? `${path} is owned by root, group shadow (Debian) or root, mode 0640 (Debian) or 0000 (RHEL) or stricter`
      : `${path} is owned by root, group root, mode 0644 or stricter`,
    paths: [path],
    type: 'file',
    severity: shadow ? 'high' : 'medium',
    references: [
      CIS_DEBIAN_12(cis),
      ...(path === '/etc/passwd' || path === '/etc/group' || backup ? [LYNIS('FILE-7524')] : []),
    ],
    expect: shadow ? SHADOW_DEB : PUBLIC,
    ...(shadow ? { rhel: SHADOW_RHEL } : {}),
    absent: backup ? BACKUP_ABSENT : ACCOUNT_ABSENT,
    why: shadow ? SHADOW_WHY : PASSWD_WHY,
  };
}

function cronDir(name: string, cis: string): FileRule {
  return {
    id: `cron_${name}_permissions`,
    title: `/etc/cron.${name} is owned by root:root, mode 0700 or stricter`,
    paths: [`/etc/cron.${name}`],
    type: 'directory',
    severity: 'medium',
    references: [CIS_DEBIAN_12(cis), LYNIS('FILE-7524')],
    expect: CRON_DIR,
    absent: CRON_ABSENT,
    why: CRON_WHY,
    needs: 'cron',
  };
}

function banner(id: string, path: string, cis: string, what: string): FileRule {
  return {
    id: `${id}_permissions`,
    title: `${path} is owned by root:root, mode 0644 or stricter`,
    paths: [path],
    type: 'file',
    severity: 'low',
    references: [CIS_DEBIAN_12(cis), LYNIS('FILE-7524')],
    expect: PUBLIC,
    absent: { status: 'skip', why: `there is no ${what}` },
    why: `a user who can write ${path} changes what every user is shown at login (a fake notice, a phishing prompt)`,
  };
}

export const FILE_RULES: readonly FileRule[] = [
  account('passwd', '/etc/passwd', '7.1.1', false, false),
  account('passwd_backup', '/etc/passwd-', '7.1.2', false, true),
  account('group', '/etc/group', '7.1.3', false, false),
  account('group_backup', '/etc/group-', '7.1.4', false, true),
  account('shadow', '/etc/shadow', '7.1.5', true, false),
  account('shadow_backup', '/etc/shadow-', '7.1.6', true, true),
  account('gshadow', '/etc/gshadow', '7.1.7', true, false),
  account('gshadow_backup', '/etc/gshadow-', '7.1.8', true, true),
  {
    id: 'shells_permissions',
    title: '/etc/shells is owned by root:root, mode 0644 or stricter',
    paths: ['/etc/shells'],
    type: 'file',
    severity: 'low',
    references: [CIS_DEBIAN_12('7.1.9')],
    expect: PUBLIC,
    absent: { status: 'skip', why: 'there is no /etc/shells (chsh then accepts no shell change)' },
    why:
      'a user who can write /etc/shells can make any program an accepted login shell (chsh, ftp and others trust ' +
      'the list)',
  },
  {
    id: 'opasswd_permissions',
    title: '/etc/security/opasswd is owned by root:root, mode 0600 or stricter',
    paths: ['/etc/security/opasswd'],
    type: 'file',
    severity: 'medium',
    references: [CIS_DEBIAN_12('7.1.10')],
    expect: { maxMode: 0o600, ...ROOT },
    absent: { status: 'skip', why: 'pam_pwhistory (or pam_unix remember=) has not stored old passwords on this host' },
    why: "it holds the hashes of users' previous passwords, which are often close to the current ones",
  },
  {
    id: 'crontab_permissions',
    title: '/etc/crontab is owned by root:root, mode 0600 or stricter',
    paths: ['/etc/crontab'],
    type: 'file',
    severity: 'medium',
    references: [CIS_DEBIAN_12('2.4.1.2'), LYNIS('FILE-7524')],
    expect: { maxMode: 0o600, ...ROOT },
    absent: CRON_ABSENT,
    why: CRON_WHY,
    needs: 'cron',
  },
  cronDir('hourly', '2.4.1.3'),
  cronDir('daily', '2.4.1.4'),
  cronDir('weekly', '2.4.1.5'),
  cronDir('monthly', '2.4.1.6'),
  {
    ...cronDir('d', '2.4.1.7'),
    id: 'cron_d_permissions',
    title: '/etc/cron.d is owned by root:root, mode 0700 or stricter',
    paths: ['/etc/cron.d'],
  },
  banner('motd', '/etc/motd', '1.6.4', 'message of the day file'),
  banner('issue', '/etc/issue', '1.6.5', 'local login banner'),
  banner('issue_net', '/etc/issue.net', '1.6.6', 'remote login banner'),
  {
    id: 'grub_cfg_permissions',
    title: 'The GRUB configuration (grub.cfg) is owned by root:root, mode 0600 or stricter',
    paths: ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'],
    type: 'file',
    severity: 'medium',
    references: [CIS_DEBIAN_12('1.4.2'), LYNIS('FILE-7524')],
    expect: { maxMode: 0o600, ...ROOT },
    absent: {
      status: 'skip',
      why:
        'the host does not boot with GRUB from this root (a node image with systemd-boot or a unified kernel ' +
        'image, a VM booting its kernel directly, or /boot not in the scanned root)',
    },
    why:
      'grub.cfg holds the boot entries and the bootloader password hash; users must not read it nor change how ' +
      'the kernel starts',
  },
];

/** The expectation of a row on a host of this family; unknown families get the Debian (more permissive) one. */
export function expectFor(rule: FileRule, family: Family): Expect {
  return family === 'rhel' && rule.rhel ? rule.rhel : rule.expect;
}

/** Every path the table reads, for gather. */
export function tablePaths(): string[] {
  return [...new Set(FILE_RULES.flatMap((r) => r.paths))];
}
