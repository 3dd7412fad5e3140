/**
 * The audit rules CIS Debian 12 Level 2 (6.2.3) asks for, as data: files that must be watched for writes and
 * system calls that must be recorded. Plus the container runtime files docker-bench (1.1.x) wants watched and
 * a Kubernetes node's files, which apply only where those exist or the host is a node.
 */
export interface RuleRow {
  key: string;
  title: string;
  cis: string;
  watches: readonly string[];
  syscalls: readonly string[];
}

export const RULE_ROWS: readonly RuleRow[] = [
  {
    key: 'sudoers',
    title: 'changes to sudoers',
    cis: '6.2.3.1',
    watches: ['/etc/sudoers', '/etc/sudoers.d'],
    syscalls: [],
  },
  {
    key: 'time_change',
    title: 'changes of date and time',
    cis: '6.2.3.4',
    watches: ['/etc/localtime'],
    syscalls: ['adjtimex', 'settimeofday', 'clock_settime'],
  },
  {
    key: 'network_environment',
    title: 'changes of the network environment',
    cis: '6.2.3.5',
    watches: ['/etc/issue', '/etc/issue.net', '/etc/hosts', '/etc/networks', '/etc/network'],
    syscalls: ['sethostname', 'setdomainname'],
  },
  {
    key: 'file_access',
    title: 'file access attempts',
    cis: '6.2.3.7',
    watches: [],
    syscalls: ['creat', 'open', 'openat', 'truncate', 'ftruncate'],
  },
  {
    key: 'identity',
    title: 'changes of users and groups',
    cis: '6.2.3.8',
    watches: ['/etc/group', '/etc/passwd', '/etc/gshadow', '/etc/shadow', '/etc/security/opasswd'],
    syscalls: [],
  },
  {
    key: 'perm_mod',
    title: 'permission changes',
    cis: '6.2.3.9',
    watches: [],
    syscalls: [
      'chmod',
      'fchmod',
      'fchmodat',
      'chown',
      'fchown',
      'fchownat',
      'lchown',
      'setxattr',
      'lsetxattr',
      'fsetxattr',
      'removexattr',
      'lremovexattr',
      'fremovexattr',
    ],
  },
  { key: 'mounts', title: 'file system mounts', cis: '6.2.3.10', watches: [], syscalls: ['mount'] },
  {
    key: 'session',
    title: 'session starts',
    cis: '6.2.3.11',
    watches: ['/var/run/utmp', '/var/log/wtmp', '/var/log/btmp'],
    syscalls: [],
  },
  {
    key: 'logins',
    title: 'logins and logouts',
    cis: '6.2.3.12',
    watches: ['/var/log/lastlog', '/var/run/faillock'],
    syscalls: [],
  },
  {
    key: 'deletions',
    title: 'file deletions',
    cis: '6.2.3.13',
    watches: [],
    syscalls: ['unlink', 'unlinkat', 'rename', 'renameat'],
  },
  {
    key: 'mac_policy',
    title: 'changes of the AppArmor policy',
    cis: '6.2.3.14',
    watches: ['/etc/apparmor', '/etc/apparmor.d'],
    syscalls: [],
  },
  {
    key: 'modules',
    title: 'kernel module loading and unloading',
    cis: '6.2.3.19',
    watches: [],
    syscalls: ['init_module', 'finit_module', 'delete_module'],
  },
];

/** Container runtime files docker-bench-security's section 1.1 wants audited, where they exist. */
export const RUNTIME_FILES = [
  '/usr/bin/dockerd',
  '/usr/bin/containerd',
  '/usr/bin/containerd-shim-runc-v2',
  '/usr/bin/runc',
  '/usr/sbin/runc',
  '/var/lib/docker',
  '/etc/docker',
  '/lib/systemd/system/docker.service',
  '/lib/systemd/system/docker.socket',
  '/etc/containerd/config.toml',
  '/run/containerd/containerd.sock',
];
/** A Kubernetes node's own files. */
export const NODE_FILES = ['/etc/kubernetes', '/var/lib/kubelet', '/usr/bin/kubelet', '/usr/local/bin/kubelet'];
