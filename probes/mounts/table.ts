/**
 * The mount points CIS Debian 12 (1.1.2) wants on their own filesystem, and the options each must carry. One
 * row per mount point; a check per "separate" requirement and per option is generated from the rows.
 */

export type MountOption = 'nodev' | 'nosuid' | 'noexec';

export interface MountRow {
  path: string;
  /** Section of "is a separate partition"; its options follow as .2, .3, .4 in the order of `options`. */
  cis: string;
  /** CIS level of the separate-partition requirement (the options are Level 1 everywhere). */
  level: 1 | 2;
  options: readonly MountOption[];
  why: string;
}

export const MOUNT_ROWS: readonly MountRow[] = [
  { path: '/tmp', cis: '1.1.2.1', level: 1, options: ['nodev', 'nosuid', 'noexec'], why: 'every user can write to it' },
  {
    path: '/dev/shm',
    cis: '1.1.2.2',
    level: 1,
    options: ['nodev', 'nosuid', 'noexec'],
    why: 'every user can write to it',
  },
  { path: '/home', cis: '1.1.2.3', level: 2, options: ['nodev', 'nosuid'], why: 'users control its contents' },
  {
    path: '/var',
    cis: '1.1.2.4',
    level: 2,
    options: ['nodev', 'nosuid'],
    why: 'daemons write to it and a full /var must not fill /',
  },
  {
    path: '/var/tmp',
    cis: '1.1.2.5',
    level: 2,
    options: ['nodev', 'nosuid', 'noexec'],
    why: 'every user can write to it',
  },
  {
    path: '/var/log',
    cis: '1.1.2.6',
    level: 2,
    options: ['nodev', 'nosuid', 'noexec'],
    why: 'logs must not fill / and hold no programs',
  },
  {
    path: '/var/log/audit',
    cis: '1.1.2.7',
    level: 2,
    options: ['nodev', 'nosuid', 'noexec'],
    why: 'a full audit log must not stop other logging',
  },
];

export const OPTION_MEANING: Record<MountOption, string> = {
  nodev: 'device files on it would open host devices',
  nosuid: "setuid programs on it would run with their owner's privileges",
  noexec: 'programs written to it could be run',
};

/** "/var/log/audit" -> "var_log_audit". */
export const slug = (p: string): string => p.replace(/^\//, '').replace(/\//g, '_');
