/**
 * The forms a check reference may take, and for the standards with numbered sections the exact ids that exist.
 * test/references.test.ts holds every reference of the catalogue to this list: a reference is a specific section
 * of a named standard (or a CVE, RFC section, man page) or an https URL, never a placeholder ("5.1.x"), a bare
 * label or hostward's own explanation. Each form says where its ids were verified; the id tables below are data
 * read from those sources (section titles kept so a reviewer can see that a check cites the right section).
 */

export interface ReferenceForm {
  /** The standard or source, as a reader would name it. */
  name: string;
  /** The whole reference; group 1 is the id looked up in `ids` (when the form has a closed list). */
  pattern: RegExp;
  /** The ids that exist, with what each is; absent for open forms (CVE ids, URLs). */
  ids?: Readonly<Record<string, string>> | ReadonlySet<string>;
  /** Where the form and its ids were verified. */
  verified: string;
}

// ---- CIS Linux benchmarks -------------------------------------------------------------------------------------

/** ComplianceAsCode/content controls/cis_debian12.yml (policy version 1.1.0) at commit b3a2cca9352c. */
const CIS_DEBIAN_12_V1_1_0: Readonly<Record<string, string>> = {
  '1.1.1.1': 'Ensure cramfs kernel module is not available',
  '1.1.1.2': 'Ensure freevxfs kernel module is not available',
  '1.1.1.3': 'Ensure hfs kernel module is not available',
  '1.1.1.4': 'Ensure hfsplus kernel module is not available',
  '1.1.1.5': 'Ensure jffs2 kernel module is not available',
  '1.1.1.6': 'Ensure overlayfs kernel module is not available',
  '1.1.1.7': 'Ensure squashfs kernel module is not available',
  '1.1.1.8': 'Ensure udf kernel module is not available',
  '1.1.1.9': 'Ensure usb-storage kernel module is not available',
  '1.1.1.10': 'Ensure unused filesystems kernel modules are not available',
  '1.1.2.1.1': 'Ensure /tmp is a separate partition',
  '1.1.2.1.2': 'Ensure nodev option set on /tmp partition',
  '1.1.2.1.3': 'Ensure nosuid option set on /tmp partition',
  '1.1.2.1.4': 'Ensure noexec option set on /tmp partition',
  '1.1.2.2.1': 'Ensure /dev/shm is a separate partition',
  '1.1.2.2.2': 'Ensure nodev option set on /dev/shm partition',
  '1.1.2.2.3': 'Ensure nosuid option set on /dev/shm partition',
  '1.1.2.2.4': 'Ensure noexec option set on /dev/shm partition',
  '1.1.2.3.1': 'Ensure separate partition exists for /home',
  '1.1.2.3.2': 'Ensure nodev option set on /home partition',
  '1.1.2.3.3': 'Ensure nosuid option set on /home partition',
  '1.1.2.4.1': 'Ensure separate partition exists for /var',
  '1.1.2.4.2': 'Ensure nodev option set on /var partition',
  '1.1.2.4.3': 'Ensure nosuid option set on /var partition',
  '1.1.2.5.1': 'Ensure separate partition exists for /var/tmp',
  '1.1.2.5.2': 'Ensure nodev option set on /var/tmp partition',
  '1.1.2.5.3': 'Ensure nosuid option set on /var/tmp partition',
  '1.1.2.5.4': 'Ensure noexec option set on /var/tmp partition',
  '1.1.2.6.1': 'Ensure separate partition exists for /var/log',
  '1.1.2.6.2': 'Ensure nodev option set on /var/log partition',
  '1.1.2.6.3': 'Ensure nosuid option set on /var/log partition',
  '1.1.2.6.4': 'Ensure noexec option set on /var/log partition',
  '1.1.2.7.1': 'Ensure separate partition exists for /var/log/audit',
  '1.1.2.7.2': 'Ensure nodev option set on /var/log/audit partition',
  '1.1.2.7.3': 'Ensure nosuid option set on /var/log/audit partition',
  '1.1.2.7.4': 'Ensure noexec option set on /var/log/audit partition',
  '1.2.1.1': 'Ensure GPG keys are configured',
  '1.2.1.2': 'Ensure package manager repositories are configured',
  '1.2.2.1': 'Ensure updates, patches, and additional security software are installed',
  '1.3.1.1': 'Ensure AppArmor is installed',
  '1.3.1.2': 'Ensure AppArmor is enabled in the bootloader configuration',
  '1.3.1.3': 'Ensure all AppArmor Profiles are in enforce or complain mode',
  '1.3.1.4': 'Ensure all AppArmor Profiles are enforcing',
  '1.4.1': 'Ensure bootloader password is set',
  '1.4.2': 'Ensure access to bootloader config is configured',
  '1.5.1': 'Ensure address space layout randomization is enabled',
  '1.5.2': 'Ensure ptrace_scope is restricted',
  '1.5.3': 'Ensure core dumps are restricted',
  '1.6.1': 'Ensure message of the day is configured properly',
  '1.6.2': 'Ensure local login warning banner is configured properly',
  '1.6.3': 'Ensure remote login warning banner is configured properly',
  '1.6.4': 'Ensure access to /etc/motd is configured',
  '1.6.5': 'Ensure access to /etc/issue is configured',
  '1.6.6': 'Ensure access to /etc/issue.net is configured',
  '1.7.1': 'Ensure GDM is removed',
  '1.7.2': 'Ensure GDM login banner is configured',
  '1.7.3': 'Ensure GDM disable-user-list option is enabled',
  '1.7.4': 'Ensure GDM screen locks when the user is idle',
  '1.7.5': 'Ensure GDM screen locks cannot be overridden',
  '1.7.6': 'Ensure GDM automatic mounting of removable media is disabled',
  '1.7.7': 'Ensure GDM disabling automatic mounting of removable media is not overridden',
  '1.7.8': 'Ensure GDM autorun-never is enabled',
  '1.7.9': 'Ensure GDM autorun-never is not overridden',
  '1.7.10': 'Ensure XDMCP is not enabled',
  '2.1.1': 'Ensure autofs services are not in use',
  '2.1.2': 'Ensure avahi daemon services are not in use',
  '2.1.3': 'Ensure dhcp server services are not in use',
  '2.1.4': 'Ensure dns server services are not in use',
  '2.1.5': 'Ensure dnsmasq services are not in use',
  '2.1.6': 'Ensure ftp server services are not in use',
  '2.1.7': 'Ensure ldap server services are not in use',
  '2.1.8': 'Ensure message access server services are not in use',
  '2.1.9': 'Ensure network file system services are not in use',
  '2.1.10': 'Ensure nis server services are not in use',
  '2.1.11': 'Ensure print server services are not in use',
  '2.1.12': 'Ensure rpcbind services are not in use',
  '2.1.13': 'Ensure rsync services are not in use',
  '2.1.14': 'Ensure samba file server services are not in use',
  '2.1.15': 'Ensure snmp services are not in use',
  '2.1.16': 'Ensure tftp server services are not in use',
  '2.1.17': 'Ensure web proxy server services are not in use',
  '2.1.18': 'Ensure web server services are not in use',
  '2.1.19': 'Ensure xinetd services are not in use',
  '2.1.20': 'Ensure X window server services are not in use',
  '2.1.21': 'Ensure mail transfer agent is configured for local-only mode',
  '2.1.22': 'Ensure only approved services are listening on a network interface',
  '2.2.1': 'Ensure NIS Client is not installed',
  '2.2.2': 'Ensure rsh client is not installed',
  '2.2.3': 'Ensure talk client is not installed',
  '2.2.4': 'Ensure telnet client is not installed',
  '2.2.5': 'Ensure ldap client is not installed',
  '2.2.6': 'Ensure ftp client is not installed',
  '2.3.1.1': 'Ensure a single time synchronization daemon is in use',
  '2.3.2.1': 'Ensure systemd-timesyncd configured with authorized timeserver',
  '2.3.2.2': 'Ensure systemd-timesyncd is enabled and running',
  '2.3.3.1': 'Ensure chrony is configured with authorized timeserver',
  '2.3.3.2': 'Ensure chrony is running as user _chrony',
  '2.3.3.3': 'Ensure chrony is enabled and running',
  '2.4.1.1': 'Ensure cron daemon is enabled and active',
  '2.4.1.2': 'Ensure permissions on /etc/crontab are configured',
  '2.4.1.3': 'Ensure permissions on /etc/cron.hourly are configured',
  '2.4.1.4': 'Ensure permissions on /etc/cron.daily are configured',
  '2.4.1.5': 'Ensure permissions on /etc/cron.weekly are configured',
  '2.4.1.6': 'Ensure permissions on /etc/cron.monthly are configured',
  '2.4.1.7': 'Ensure permissions on /etc/cron.d are configured',
  '2.4.1.8': 'Ensure crontab is restricted to authorized users',
  '2.4.2.1': 'Ensure at is restricted to authorized users',
  '3.1.1': 'Ensure IPv6 status is identified',
  '3.1.2': 'Ensure wireless interfaces are disabled',
  '3.1.3': 'Ensure bluetooth services are not in use',
  '3.2.1': 'Ensure dccp kernel module is not available',
  '3.2.2': 'Ensure tipc kernel module is not available',
  '3.2.3': 'Ensure rds kernel module is not available',
  '3.2.4': 'Ensure sctp kernel module is not available',
  '3.3.1': 'Ensure ip forwarding is disabled',
  '3.3.2': 'Ensure packet redirect sending is disabled',
  '3.3.3': 'Ensure bogus icmp responses are ignored',
  '3.3.4': 'Ensure broadcast icmp requests are ignored',
  '3.3.5': 'Ensure icmp redirects are not accepted',
  '3.3.6': 'Ensure secure icmp redirects are not accepted',
  '3.3.7': 'Ensure reverse path filtering is enabled',
  '3.3.8': 'Ensure source routed packets are not accepted',
  '3.3.9': 'Ensure suspicious packets are logged',
  '3.3.10': 'Ensure tcp syn cookies is enabled',
  '3.3.11': 'Ensure ipv6 router advertisements are not accepted',
  '4.1.1': 'Ensure a single firewall configuration utility is in use',
  '4.2.1': 'Ensure ufw is installed',
  '4.2.2': 'Ensure iptables-persistent is not installed with ufw',
  '4.2.3': 'Ensure ufw service is enabled',
  '4.2.4': 'Ensure ufw loopback traffic is configured',
  '4.2.5': 'Ensure ufw outbound connections are configured',
  '4.2.6': 'Ensure ufw firewall rules exist for all open ports',
  '4.2.7': 'Ensure ufw default deny firewall policy',
  '4.3.1': 'Ensure nftables is installed',
  '4.3.2': 'Ensure ufw is uninstalled or disabled with nftables',
  '4.3.3': 'Ensure iptables are flushed with nftables',
  '4.3.4': 'Ensure a nftables table exists',
  '4.3.5': 'Ensure nftables base chains exist',
  '4.3.6': 'Ensure nftables loopback traffic is configured',
  '4.3.7': 'Ensure nftables outbound and established connections are configured',
  '4.3.8': 'Ensure nftables default deny firewall policy',
  '4.3.9': 'Ensure nftables service is enabled',
  '4.3.10': 'Ensure nftables rules are permanent',
  '4.4.1.1': 'Ensure iptables packages are installed',
  '4.4.1.2': 'Ensure nftables is not in use with iptables',
  '4.4.1.3': 'Ensure ufw is not in use with iptables',
  '4.4.2.1': 'Ensure iptables default deny firewall policy',
  '4.4.2.2': 'Ensure iptables loopback traffic is configured',
  '4.4.2.3': 'Ensure iptables outbound and established connections are configured',
  '4.4.2.4': 'Ensure iptables firewall rules exist for all open ports',
  '4.4.3.1': 'Ensure ip6tables default deny firewall policy',
  '4.4.3.2': 'Ensure ip6tables loopback traffic is configured',
  '4.4.3.3': 'Ensure ip6tables outbound and established connections are configured',
  '4.4.3.4': 'Ensure ip6tables firewall rules exist for all open ports',
  '5.1.1': 'Ensure permissions on /etc/ssh/sshd_config are configured',
  '5.1.2': 'Ensure permissions on SSH private host key files are configured',
  '5.1.3': 'Ensure permissions on SSH public host key files are configured',
  '5.1.4': 'Ensure sshd access is configured',
  '5.1.5': 'Ensure sshd Banner is configured',
  '5.1.6': 'Ensure sshd Ciphers are configured',
  '5.1.7': 'Ensure sshd ClientAliveInterval and ClientAliveCountMax are configured',
  '5.1.8': 'Ensure sshd DisableForwarding is enabled',
  '5.1.9': 'Ensure sshd GSSAPIAuthentication is disabled',
  '5.1.10': 'Ensure sshd HostbasedAuthentication is disabled',
  '5.1.11': 'Ensure sshd IgnoreRhosts is enabled',
  '5.1.12': 'Ensure sshd KexAlgorithms is configured',
  '5.1.13': 'Ensure sshd LoginGraceTime is configured',
  '5.1.14': 'Ensure sshd LogLevel is configured',
  '5.1.15': 'Ensure sshd MACs are configured',
  '5.1.16': 'Ensure sshd MaxAuthTries is configured',
  '5.1.17': 'Ensure sshd MaxSessions is configured',
  '5.1.18': 'Ensure sshd MaxStartups is configured',
  '5.1.19': 'Ensure sshd PermitEmptyPasswords is disabled',
  '5.1.20': 'Ensure sshd PermitRootLogin is disabled',
  '5.1.21': 'Ensure sshd PermitUserEnvironment is disabled',
  '5.1.22': 'Ensure sshd UsePAM is enabled',
  '5.2.1': 'Ensure sudo is installed',
  '5.2.2': 'Ensure sudo commands use pty',
  '5.2.3': 'Ensure sudo log file exists',
  '5.2.4': 'Ensure users must provide password for privilege escalation',
  '5.2.5': 'Ensure re-authentication for privilege escalation is not disabled globally',
  '5.2.6': 'Ensure sudo authentication timeout is configured correctly',
  '5.2.7': 'Ensure access to the su command is restricted',
  '5.3.1.1': 'Ensure latest version of pam is installed',
  '5.3.1.2': 'Ensure libpam-modules is installed',
  '5.3.1.3': 'Ensure libpam-pwquality is installed',
  '5.3.2.1': 'Ensure pam_unix module is enabled',
  '5.3.2.2': 'Ensure pam_faillock module is enabled',
  '5.3.2.3': 'Ensure pam_pwquality module is enabled',
  '5.3.2.4': 'Ensure pam_pwhistory module is enabled',
  '5.3.3.1.1': 'Ensure password failed attempts lockout is configured',
  '5.3.3.1.2': 'Ensure password unlock time is configured',
  '5.3.3.1.3': 'Ensure password failed attempts lockout includes root account',
  '5.3.3.2.1': 'Ensure password number of changed characters is configured',
  '5.3.3.2.2': 'Ensure minimum password length is configured',
  '5.3.3.2.3': 'Ensure password complexity is configured',
  '5.3.3.2.4': 'Ensure password same consecutive characters is configured',
  '5.3.3.2.5': 'Ensure password maximum sequential characters is configured',
  '5.3.3.2.6': 'Ensure password dictionary check is enabled',
  '5.3.3.2.7': 'Ensure password quality checking is enforced',
  '5.3.3.2.8': 'Ensure password quality is enforced for the root user',
  '5.3.3.3.1': 'Ensure password history remember is configured',
  '5.3.3.3.2': 'Ensure password history is enforced for the root user',
  '5.3.3.3.3': 'Ensure pam_pwhistory includes use_authtok',
  '5.3.3.4.1': 'Ensure pam_unix does not include nullok',
  '5.3.3.4.2': 'Ensure pam_unix does not include remember',
  '5.3.3.4.3': 'Ensure pam_unix includes a strong password hashing algorithm',
  '5.3.3.4.4': 'Ensure pam_unix includes use_authtok',
  '5.4.1.1': 'Ensure password expiration is configured',
  '5.4.1.2': 'Ensure minimum password days is configured',
  '5.4.1.3': 'Ensure password expiration warning days is configured',
  '5.4.1.4': 'Ensure strong password hashing algorithm is configured',
  '5.4.1.5': 'Ensure inactive password lock is configured',
  '5.4.1.6': 'Ensure all users last password change date is in the past',
  '5.4.2.1': 'Ensure root is the only UID 0 account',
  '5.4.2.2': 'Ensure root is the only GID 0 account',
  '5.4.2.3': 'Ensure group root is the only GID 0 group',
  '5.4.2.4': 'Ensure root account access is controlled',
  '5.4.2.5': 'Ensure root path integrity',
  '5.4.2.6': 'Ensure root user umask is configured',
  '5.4.2.7': 'Ensure system accounts do not have a valid login shell',
  '5.4.2.8': 'Ensure accounts without a valid login shell are locked',
  '5.4.3.1': 'Ensure nologin is not listed in /etc/shells',
  '5.4.3.2': 'Ensure default user shell timeout is configured',
  '5.4.3.3': 'Ensure default user umask is configured',
  '6.1.1.1': 'Ensure journald service is enabled and active',
  '6.1.1.2': 'Ensure journald log file access is configured',
  '6.1.1.3': 'Ensure journald log file rotation is configured',
  '6.1.1.4': 'Ensure only one logging system is in use',
  '6.1.2.1.1': 'Ensure systemd-journal-remote is installed',
  '6.1.2.1.2': 'Ensure systemd-journal-upload authentication is configured',
  '6.1.2.1.3': 'Ensure systemd-journal-upload is enabled and active',
  '6.1.2.1.4': 'Ensure systemd-journal-remote service is not in use',
  '6.1.2.2': 'Ensure journald ForwardToSyslog is disabled',
  '6.1.2.3': 'Ensure journald Compress is configured',
  '6.1.2.4': 'Ensure journald Storage is configured',
  '6.1.3.1': 'Ensure rsyslog is installed',
  '6.1.3.2': 'Ensure rsyslog service is enabled and active',
  '6.1.3.3': 'Ensure journald is configured to send logs to rsyslog',
  '6.1.3.4': 'Ensure rsyslog log file creation mode is configured',
  '6.1.3.5': 'Ensure rsyslog logging is configured',
  '6.1.3.6': 'Ensure rsyslog is configured to send logs to a remote log host',
  '6.1.3.7': 'Ensure rsyslog is not configured to receive logs from a remote client',
  '6.1.3.8': 'Ensure logrotate is configured',
  '6.1.4.1': 'Ensure access to all logfiles has been configured',
  '6.2.1.1': 'Ensure auditd packages are installed',
  '6.2.1.2': 'Ensure auditd service is enabled and active',
  '6.2.1.3': 'Ensure auditing for processes that start prior to auditd is enabled',
  '6.2.1.4': 'Ensure audit_backlog_limit is sufficient',
  '6.2.2.1': 'Ensure audit log storage size is configured',
  '6.2.2.2': 'Ensure audit logs are not automatically deleted',
  '6.2.2.3': 'Ensure system is disabled when audit logs are full',
  '6.2.2.4': 'Ensure system warns when audit logs are low on space',
  '6.2.3.1': 'Ensure changes to system administration scope (sudoers) is collected',
  '6.2.3.2': 'Ensure actions as another user are always logged',
  '6.2.3.3': 'Ensure events that modify the sudo log file are collected',
  '6.2.3.4': 'Ensure events that modify date and time information are collected',
  '6.2.3.5': "Ensure events that modify the system's network environment are collected",
  '6.2.3.6': 'Ensure use of privileged commands are collected',
  '6.2.3.7': 'Ensure unsuccessful file access attempts are collected',
  '6.2.3.8': 'Ensure events that modify user/group information are collected',
  '6.2.3.9': 'Ensure discretionary access control permission modification events are collected',
  '6.2.3.10': 'Ensure successful file system mounts are collected',
  '6.2.3.11': 'Ensure session initiation information is collected',
  '6.2.3.12': 'Ensure login and logout events are collected',
  '6.2.3.13': 'Ensure file deletion events by users are collected',
  '6.2.3.14': "Ensure events that modify the system's Mandatory Access Controls are collected",
  '6.2.3.15': 'Ensure successful and unsuccessful attempts to use the chcon command are collected',
  '6.2.3.16': 'Ensure successful and unsuccessful attempts to use the setfacl command are collected',
  '6.2.3.17': 'Ensure successful and unsuccessful attempts to use the chacl command are collected',
  '6.2.3.18': 'Ensure successful and unsuccessful attempts to use the usermod command are collected',
  '6.2.3.19': 'Ensure kernel module loading unloading and modification is collected',
  '6.2.3.20': 'Ensure the audit configuration is immutable',
  '6.2.3.21': 'Ensure the running and on disk configuration is the same',
  '6.2.4.1': 'Ensure audit log files mode is configured',
  '6.2.4.2': 'Ensure audit log files owner is configured',
  '6.2.4.3': 'Ensure audit log files group owner is configured',
  '6.2.4.4': 'Ensure the audit log file directory mode is configured',
  '6.2.4.5': 'Ensure audit configuration files mode is configured',
  '6.2.4.6': 'Ensure audit configuration files owner is configured',
  '6.2.4.7': 'Ensure audit configuration files group owner is configured',
  '6.2.4.8': 'Ensure audit tools mode is configured',
  '6.2.4.9': 'Ensure audit tools owner is configured',
  '6.2.4.10': 'Ensure audit tools group owner is configured',
  '6.3.1': 'Ensure AIDE is installed',
  '6.3.2': 'Ensure filesystem integrity is regularly checked',
  '6.3.3': 'Ensure cryptographic mechanisms are used to protect the integrity of audit tools',
  '7.1.1': 'Ensure permissions on /etc/passwd are configured',
  '7.1.2': 'Ensure permissions on /etc/passwd- are configured',
  '7.1.3': 'Ensure permissions on /etc/group are configured',
  '7.1.4': 'Ensure permissions on /etc/group- are configured',
  '7.1.5': 'Ensure permissions on /etc/shadow are configured',
  '7.1.6': 'Ensure permissions on /etc/shadow- are configured',
  '7.1.7': 'Ensure permissions on /etc/gshadow are configured',
  '7.1.8': 'Ensure permissions on /etc/gshadow- are configured',
  '7.1.9': 'Ensure permissions on /etc/shells are configured',
  '7.1.10': 'Ensure permissions on /etc/security/opasswd are configured',
  '7.1.11': 'Ensure world writable files and directories are secured',
  '7.1.12': 'Ensure no files or directories without an owner and a group exist',
  '7.1.13': 'Ensure SUID and SGID files are reviewed',
  '7.2.1': 'Ensure accounts in /etc/passwd use shadowed passwords',
  '7.2.2': 'Ensure /etc/shadow password fields are not empty',
  '7.2.3': 'Ensure all groups in /etc/passwd exist in /etc/group',
  '7.2.4': 'Ensure shadow group is empty',
  '7.2.5': 'Ensure no duplicate UIDs exist',
  '7.2.6': 'Ensure no duplicate GIDs exist',
  '7.2.7': 'Ensure no duplicate user names exist',
  '7.2.8': 'Ensure no duplicate group names exist',
  '7.2.9': 'Ensure local interactive user home directories are configured',
  '7.2.10': 'Ensure local interactive user dot files access is configured',
};

/** ComplianceAsCode/content controls/cis_ubuntu2204.yml (version 2.0.0) at b3a2cca9352c; the sections cited. */
const CIS_UBUNTU_2204_V2_0_0: Readonly<Record<string, string>> = {
  '5.1.6': 'Ensure sshd Ciphers are configured',
  '5.1.9': 'Ensure sshd GSSAPIAuthentication is disabled',
  '5.1.12': 'Ensure sshd KexAlgorithms is configured',
  '5.1.15': 'Ensure sshd MACs are configured',
};

/**
 * dev-sec/cis-dil-benchmark at c73917fb02e7 ("implements the CIS Distribution Independent Linux 2.0.0 Benchmark"):
 * controls/5_2_ssh_server_configuration.rb, control ids cis-dil-benchmark-5.2.N tagged
 * distribution-independent-linux:5.2.N.
 * Its numbering of sections 1 to 3 follows an older edition, so those are cited as dev-sec control ids
 * (DEVSEC_CIS_DIL).
 */
const CIS_DIL_V2_0_0_SSH: Readonly<Record<string, string>> = {
  '5.2.1': 'Ensure permissions on /etc/ssh/sshd_config are configured',
  '5.2.2': 'Ensure permissions on SSH private host key files are configured',
  '5.2.3': 'Ensure permissions on SSH public host key files are configured',
  '5.2.4': 'Ensure SSH Protocol is set to 2',
  '5.2.5': 'Ensure SSH LogLevel is appropriate',
  '5.2.6': 'Ensure SSH X11 forwarding is disabled',
  '5.2.7': 'Ensure SSH MaxAuthTries is set to 4 or less',
  '5.2.8': 'Ensure SSH IgnoreRhosts is enabled',
  '5.2.9': 'Ensure SSH HostbasedAuthentication is disabled',
  '5.2.10': 'Ensure SSH root login is disabled',
  '5.2.11': 'Ensure SSH PermitEmptyPasswords is disabled',
  '5.2.12': 'Ensure SSH PermitUserEnvironment is disabled',
  '5.2.13': 'Ensure only strong Ciphers are used',
  '5.2.14': 'Ensure only strong MAC algorithms are used',
  '5.2.15': 'Ensure only strong Key Exchange algorithms are used',
  '5.2.16': 'Ensure SSH Idle Timeout Interval is configured',
  '5.2.17': 'Ensure SSH LoginGraceTime is set to one minute or less',
  '5.2.18': 'Ensure SSH access is limited',
  '5.2.19': 'Ensure SSH warning banner is configured',
  '5.2.20': 'Ensure SSH PAM is enabled',
  '5.2.21': 'Ensure SSH AllowTcpForwarding is disabled',
  '5.2.22': 'Ensure SSH MaxStartups is configured',
  '5.2.23': 'Ensure SSH MaxSessions is set to 4 or less',
};

/** dev-sec/cis-dil-benchmark control ids (controls/*.rb at c73917fb02e7) cited for sections 1 to 3. */
const DEVSEC_CIS_DIL: Readonly<Record<string, string>> = {
  '1.5.1': 'Ensure core dumps are restricted',
  '1.5.3': 'Ensure address space layout randomization (ASLR) is enabled',
  '1.6.1.1': 'Ensure SELinux or AppArmor are installed',
  '1.6.2.2': 'Ensure the SELinux state is enforcing',
  '2.2.7': 'Ensure NFS and RPC are not enabled',
  '3.1.2': 'Ensure packet redirect sending is disabled',
  '3.2.1': 'Ensure source routed packets are not accepted',
  '3.2.2': 'Ensure ICMP redirects are not accepted',
  '3.2.3': 'Ensure secure ICMP redirects are not accepted',
  '3.2.4': 'Ensure suspicious packets are logged',
  '3.2.5': 'Ensure broadcast ICMP requests are ignored',
  '3.2.6': 'Ensure bogus ICMP responses are ignored',
  '3.2.7': 'Ensure Reverse Path Filtering is enabled',
  '3.2.8': 'Ensure TCP SYN Cookies is enabled',
};

// ---- CIS Kubernetes and Docker benchmarks, and their scanners --------------------------------------------------

/**
 * aquasecurity/kube-bench at a73ce378418c; docs/platforms.md maps cfg/cis-1.12 to CIS Kubernetes Benchmark 1.12 etc.
 */
/** kube-bench cfg/<version>/<file>.yaml: check id -> text. */
const KUBE_BENCH: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'cis-1.12/node.yaml': {
    '4.1.1': 'Ensure that the kubelet service file permissions are set to 600 or more restrictive',
    '4.1.2': 'Ensure that the kubelet service file ownership is set to root:root',
    '4.1.3': 'If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive',
    '4.1.4': 'If proxy kubeconfig file exists ensure ownership is set to root:root',
    '4.1.5': 'Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive',
    '4.1.6': 'Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root',
    '4.1.7': 'Ensure that the certificate authorities file permissions are set to 644 or more restrictive',
    '4.1.8': 'Ensure that the client certificate authorities file ownership is set to root:root',
    '4.1.9':
      'If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive',
    '4.1.10': 'If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root',
    '4.2.1': 'Ensure that the --anonymous-auth argument is set to false',
    '4.2.2': 'Ensure that the --authorization-mode argument is not set to AlwaysAllow',
    '4.2.3': 'Ensure that the --client-ca-file argument is set as appropriate',
    '4.2.4': 'Verify that if defined, the --read-only-port argument is set to 0',
    '4.2.5': 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0',
    '4.2.6': 'Ensure that the --make-iptables-util-chains argument is set to true',
    '4.2.7': 'Ensure that the --hostname-override argument is not set',
    '4.2.8': 'Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture',
    '4.2.9': 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate',
    '4.2.10': 'Ensure that the --rotate-certificates argument is not set to false',
    '4.2.11': 'Verify that the RotateKubeletServerCertificate argument is set to true',
    '4.2.12': 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers',
    '4.2.13': 'Ensure that a limit is set on pod PIDs',
    '4.2.14': 'Ensure that the --seccomp-default parameter is set to true',
    '4.3.1': 'Ensure that the kube-proxy metrics service is bound to localhost',
  },
  'cis-1.12/etcd.yaml': {
    '2.1': 'Ensure that the --cert-file and --key-file arguments are set as appropriate',
    '2.2': 'Ensure that the --client-cert-auth argument is set to true',
    '2.3': 'Ensure that the --auto-tls argument is not set to true',
    '2.4': 'Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate',
    '2.5': 'Ensure that the --peer-client-cert-auth argument is set to true',
    '2.6': 'Ensure that the --peer-auto-tls argument is not set to true',
    '2.7': 'Ensure that a unique Certificate Authority is used for etcd',
  },
  'cis-1.12/policies.yaml': {
    '5.1.1': 'Ensure that the cluster-admin role is only used where required',
    '5.1.2': 'Minimize access to secrets',
    '5.1.3': 'Minimize wildcard use in Roles and ClusterRoles',
    '5.1.4': 'Minimize access to create pods',
    '5.1.5': 'Ensure that default service accounts are not actively used',
    '5.1.6': 'Ensure that Service Account Tokens are only mounted where necessary',
    '5.1.7': 'Avoid use of system:masters group',
    '5.1.8': 'Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster',
    '5.1.9': 'Minimize access to create persistent volumes',
    '5.1.10': 'Minimize access to the proxy sub-resource of nodes',
    '5.1.11': 'Minimize access to the approval sub-resource of certificatesigningrequests objects',
    '5.1.12': 'Minimize access to webhook configuration objects',
    '5.1.13': 'Minimize access to the service account token creation',
    '5.2.1': 'Ensure that the cluster has at least one active policy control mechanism in place',
    '5.2.2': 'Minimize the admission of privileged containers',
    '5.2.3': 'Minimize the admission of containers wishing to share the host process ID namespace',
    '5.2.4': 'Minimize the admission of containers wishing to share the host IPC namespace',
    '5.2.5': 'Minimize the admission of containers wishing to share the host network namespace',
    '5.2.6': 'Minimize the admission of containers with allowPrivilegeEscalation',
    '5.2.7': 'Minimize the admission of root containers',
    '5.2.8': 'Minimize the admission of containers with the NET_RAW capability',
    '5.2.9': 'Minimize the admission of containers with capabilities assigned',
    '5.2.10': 'Minimize the admission of Windows HostProcess containers',
    '5.2.11': 'Minimize the admission of HostPath volumes',
    '5.2.12': 'Minimize the admission of containers which use HostPorts',
    '5.3.1': 'Ensure that the CNI in use supports NetworkPolicies',
    '5.3.2': 'Ensure that all Namespaces have NetworkPolicies defined',
    '5.4.1': 'Prefer using Secrets as files over Secrets as environment variables',
    '5.4.2': 'Consider external secret storage',
    '5.5.1': 'Configure Image Provenance using ImagePolicyWebhook admission controller',
    '5.6.1': 'Create administrative boundaries between resources using namespaces',
    '5.6.2': 'Ensure that the seccomp profile is set to docker/default in your Pod definitions',
    '5.6.3': 'Apply SecurityContext to your Pods and Containers',
    '5.6.4': 'The default namespace should not be used',
  },
  'cis-1.24/node.yaml': {
    '4.1.1': 'Ensure that the kubelet service file permissions are set to 600 or more restrictive',
    '4.1.2': 'Ensure that the kubelet service file ownership is set to root:root',
    '4.1.3': 'If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive',
    '4.1.4': 'If proxy kubeconfig file exists ensure ownership is set to root:root',
    '4.1.5': 'Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive',
    '4.1.6': 'Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root',
    '4.1.7': 'Ensure that the certificate authorities file permissions are set to 600 or more restrictive',
    '4.1.8': 'Ensure that the client certificate authorities file ownership is set to root:root',
    '4.1.9':
      'If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive',
    '4.1.10': 'If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root',
    '4.2.1': 'Ensure that the --anonymous-auth argument is set to false',
    '4.2.2': 'Ensure that the --authorization-mode argument is not set to AlwaysAllow',
    '4.2.3': 'Ensure that the --client-ca-file argument is set as appropriate',
    '4.2.4': 'Verify that the --read-only-port argument is set to 0',
    '4.2.5': 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0',
    '4.2.6': 'Ensure that the --protect-kernel-defaults argument is set to true',
    '4.2.7': 'Ensure that the --make-iptables-util-chains argument is set to true',
    '4.2.8': 'Ensure that the --hostname-override argument is not set',
    '4.2.9': 'Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture',
    '4.2.10': 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate',
    '4.2.11': 'Ensure that the --rotate-certificates argument is not set to false',
    '4.2.12': 'Verify that the RotateKubeletServerCertificate argument is set to true',
    '4.2.13': 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers',
  },
  'cis-1.20/master.yaml': {
    '1.1.1': 'Ensure that the API server pod specification file permissions are set to 644 or more restrictive',
    '1.1.2': 'Ensure that the API server pod specification file ownership is set to root:root',
    '1.1.3': 'Ensure that the controller manager pod specification file permissions are set to 644 or more restrictive',
    '1.1.4': 'Ensure that the controller manager pod specification file ownership is set to root:root',
    '1.1.5': 'Ensure that the scheduler pod specification file permissions are set to 644 or more restrictive',
    '1.1.6': 'Ensure that the scheduler pod specification file ownership is set to root:root',
    '1.1.7': 'Ensure that the etcd pod specification file permissions are set to 644 or more restrictive',
    '1.1.8': 'Ensure that the etcd pod specification file ownership is set to root:root',
    '1.1.9': 'Ensure that the Container Network Interface file permissions are set to 644 or more restrictive',
    '1.1.10': 'Ensure that the Container Network Interface file ownership is set to root:root',
    '1.1.11': 'Ensure that the etcd data directory permissions are set to 700 or more restrictive',
    '1.1.12': 'Ensure that the etcd data directory ownership is set to etcd:etcd',
    '1.1.13': 'Ensure that the admin.conf file permissions are set to 644 or more restrictive',
    '1.1.14': 'Ensure that the admin.conf file ownership is set to root:root',
    '1.1.15': 'Ensure that the scheduler.conf file permissions are set to 644 or more restrictive',
    '1.1.16': 'Ensure that the scheduler.conf file ownership is set to root:root',
    '1.1.17': 'Ensure that the controller-manager.conf file permissions are set to 644 or more restrictive',
    '1.1.18': 'Ensure that the controller-manager.conf file ownership is set to root:root',
    '1.1.19': 'Ensure that the Kubernetes PKI directory and file ownership is set to root:root',
    '1.1.20': 'Ensure that the Kubernetes PKI certificate file permissions are set to 644 or more restrictive',
    '1.1.21': 'Ensure that the Kubernetes PKI key file permissions are set to 600',
    '1.2.1': 'Ensure that the --anonymous-auth argument is set to false',
    '1.2.2': 'Ensure that the --token-auth-file parameter is not set',
    '1.2.3': 'Ensure that the --kubelet-https argument is set to true',
    '1.2.4': 'Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate',
    '1.2.5': 'Ensure that the --kubelet-certificate-authority argument is set as appropriate',
    '1.2.6': 'Ensure that the --authorization-mode argument is not set to AlwaysAllow',
    '1.2.7': 'Ensure that the --authorization-mode argument includes Node',
    '1.2.8': 'Ensure that the --authorization-mode argument includes RBAC',
    '1.2.9': 'Ensure that the admission control plugin EventRateLimit is set',
    '1.2.10': 'Ensure that the admission control plugin AlwaysAdmit is not set',
    '1.2.11': 'Ensure that the admission control plugin AlwaysPullImages is set',
    '1.2.12': 'Ensure that the admission control plugin SecurityContextDeny is set if PodSecurityPolicy is not used',
    '1.2.13': 'Ensure that the admission control plugin ServiceAccount is set',
    '1.2.14': 'Ensure that the admission control plugin NamespaceLifecycle is set',
    '1.2.15': 'Ensure that the admission control plugin PodSecurityPolicy is set',
    '1.2.16': 'Ensure that the admission control plugin NodeRestriction is set',
    '1.2.17': 'Ensure that the --insecure-bind-address argument is not set',
    '1.2.18': 'Ensure that the --insecure-port argument is set to 0',
    '1.2.19': 'Ensure that the --secure-port argument is not set to 0',
    '1.2.20': 'Ensure that the --profiling argument is set to false',
    '1.2.21': 'Ensure that the --audit-log-path argument is set',
    '1.2.22': 'Ensure that the --audit-log-maxage argument is set to 30 or as appropriate',
    '1.2.23': 'Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate',
    '1.2.24': 'Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate',
    '1.2.25': 'Ensure that the --request-timeout argument is set as appropriate',
    '1.2.26': 'Ensure that the --service-account-lookup argument is set to true',
    '1.2.27': 'Ensure that the --service-account-key-file argument is set as appropriate',
    '1.2.28': 'Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate',
    '1.2.29': 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate',
    '1.2.30': 'Ensure that the --client-ca-file argument is set as appropriate',
    '1.2.31': 'Ensure that the --etcd-cafile argument is set as appropriate',
    '1.2.32': 'Ensure that the --encryption-provider-config argument is set as appropriate',
    '1.2.33': 'Ensure that encryption providers are appropriately configured',
    '1.2.34': 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers',
    '1.3.1': 'Ensure that the --terminated-pod-gc-threshold argument is set as appropriate',
    '1.3.2': 'Ensure that the --profiling argument is set to false',
    '1.3.3': 'Ensure that the --use-service-account-credentials argument is set to true',
    '1.3.4': 'Ensure that the --service-account-private-key-file argument is set as appropriate',
    '1.3.5': 'Ensure that the --root-ca-file argument is set as appropriate',
    '1.3.6': 'Ensure that the RotateKubeletServerCertificate argument is set to true',
    '1.3.7': 'Ensure that the --bind-address argument is set to 127.0.0.1',
    '1.4.1': 'Ensure that the --profiling argument is set to false',
    '1.4.2': 'Ensure that the --bind-address argument is set to 127.0.0.1',
  },
};

/** The CIS Kubernetes Benchmark versions cited, and the kube-bench files that carry their sections. */
const CIS_K8S_FILES: Readonly<Record<string, readonly string[]>> = {
  'v1.12': ['cis-1.12/node.yaml', 'cis-1.12/etcd.yaml', 'cis-1.12/policies.yaml'],
  'v1.24': ['cis-1.24/node.yaml'],
  'v1.20': ['cis-1.20/master.yaml'],
};

/**
 * docker/docker-bench-security at ff26d67f25be ("based on the CIS Docker Benchmark v1.6.0"): tests/*.sh, local id= and
 * desc=.
 */
const CIS_DOCKER_V1_6_0: Readonly<Record<string, string>> = {
  '1.1': 'Linux Hosts Specific Configuration',
  '1.1.1': 'Ensure a separate partition for containers has been created',
  '1.1.2': 'Ensure only trusted users are allowed to control Docker daemon',
  '1.1.3': 'Ensure auditing is configured for the Docker daemon',
  '1.1.4': 'Ensure auditing is configured for Docker files and directories -/run/containerd',
  '1.1.5': 'Ensure auditing is configured for Docker files and directories - /var/lib/docker',
  '1.1.6': 'Ensure auditing is configured for Docker files and directories - /etc/docker',
  '1.1.7': 'Ensure auditing is configured for Docker files and directories - docker.service',
  '1.1.8': 'Ensure auditing is configured for Docker files and directories - containerd.sock',
  '1.1.9': 'Ensure auditing is configured for Docker files and directories - docker.socket',
  '1.1.10': 'Ensure auditing is configured for Docker files and directories - /etc/default/docker',
  '1.1.11': 'Ensure auditing is configured for Dockerfiles and directories - /etc/docker/daemon.json',
  '1.1.12': 'Ensure auditing is configured for Dockerfiles and directories - /etc/containerd/config.toml',
  '1.1.13': 'Ensure auditing is configured for Docker files and directories - /etc/sysconfig/docker',
  '1.1.14': 'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd',
  '1.1.15': 'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim',
  '1.1.16': 'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v1',
  '1.1.17': 'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v2',
  '1.1.18': 'Ensure auditing is configured for Docker files and directories - /usr/bin/runc',
  '1.2': 'General Configuration',
  '1.2.1': 'Ensure the container host has been Hardened',
  '1.2.2': 'Ensure that the version of Docker is up to date',
  '2.1': 'Run the Docker daemon as a non-root user, if possible',
  '2.2': 'Ensure network traffic is restricted between containers on the default bridge',
  '2.3': "Ensure the logging level is set to 'info'",
  '2.4': 'Ensure Docker is allowed to make changes to iptables',
  '2.5': 'Ensure insecure registries are not used',
  '2.6': 'Ensure aufs storage driver is not used',
  '2.7': 'Ensure TLS authentication for Docker daemon is configured',
  '2.8': 'Ensure the default ulimit is configured appropriately',
  '2.9': 'Enable user namespace support',
  '2.10': 'Ensure the default cgroup usage has been confirmed',
  '2.11': 'Ensure base device size is not changed until needed',
  '2.12': 'Ensure that authorization for Docker client commands is enabled',
  '2.13': 'Ensure centralized and remote logging is configured',
  '2.14': 'Ensure containers are restricted from acquiring new privileges',
  '2.15': 'Ensure live restore is enabled',
  '2.16': 'Ensure Userland Proxy is Disabled',
  '2.17': 'Ensure that a daemon-wide custom seccomp profile is applied if appropriate',
  '2.18': 'Ensure that experimental features are not implemented in production',
  '3.1': 'Ensure that the docker.service file ownership is set to root:root',
  '3.2': 'Ensure that docker.service file permissions are appropriately set',
  '3.3': 'Ensure that docker.socket file ownership is set to root:root',
  '3.4': 'Ensure that docker.socket file permissions are set to 644 or more restrictive',
  '3.5': 'Ensure that the /etc/docker directory ownership is set to root:root',
  '3.6': 'Ensure that /etc/docker directory permissions are set to 755 or more restrictively',
  '3.7': 'Ensure that registry certificate file ownership is set to root:root',
  '3.8': 'Ensure that registry certificate file permissions are set to 444 or more restrictively',
  '3.9': 'Ensure that TLS CA certificate file ownership is set to root:root',
  '3.10': 'Ensure that TLS CA certificate file permissions are set to 444 or more restrictively',
  '3.11': 'Ensure that Docker server certificate file ownership is set to root:root',
  '3.12': 'Ensure that the Docker server certificate file permissions are set to 444 or more restrictively',
  '3.13': 'Ensure that the Docker server certificate key file ownership is set to root:root',
  '3.14': 'Ensure that the Docker server certificate key file permissions are set to 400',
  '3.15': 'Ensure that the Docker socket file ownership is set to root:docker',
  '3.16': 'Ensure that the Docker socket file permissions are set to 660 or more restrictively',
  '3.17': 'Ensure that the daemon.json file ownership is set to root:root',
  '3.18': 'Ensure that daemon.json file permissions are set to 644 or more restrictive',
  '3.19': 'Ensure that the /etc/default/docker file ownership is set to root:root',
  '3.20': 'Ensure that the /etc/default/docker file permissions are set to 644 or more restrictively',
  '3.21': 'Ensure that the /etc/sysconfig/docker file permissions are set to 644 or more restrictively',
  '3.22': 'Ensure that the /etc/sysconfig/docker file ownership is set to root:root',
  '3.23': 'Ensure that the Containerd socket file ownership is set to root:root',
  '3.24': 'Ensure that the Containerd socket file permissions are set to 660 or more restrictively',
  '4.1': 'Ensure that a user for the container has been created',
  '4.2': 'Ensure that containers use only trusted base images',
  '4.3': 'Ensure that unnecessary packages are not installed in the container',
  '4.4': 'Ensure images are scanned and rebuilt to include security patches',
  '4.5': 'Ensure Content trust for Docker is Enabled',
  '4.6': 'Ensure that HEALTHCHECK instructions have been added to container images',
  '4.7': 'Ensure update instructions are not used alone in the Dockerfile',
  '4.8': 'Ensure setuid and setgid permissions are removed',
  '4.9': 'Ensure that COPY is used instead of ADD in Dockerfiles',
  '4.10': 'Ensure secrets are not stored in Dockerfiles',
  '4.11': 'Ensure only verified packages are installed',
  '4.12': 'Ensure all signed artifacts are validated',
  '5.1': 'Ensure swarm mode is not Enabled, if not needed',
  '5.2': 'Ensure that, if applicable, an AppArmor Profile is enabled',
  '5.3': 'Ensure that, if applicable, SELinux security options are set',
  '5.4': 'Ensure that Linux kernel capabilities are restricted within containers',
  '5.5': 'Ensure that privileged containers are not used',
  '5.6': 'Ensure sensitive host system directories are not mounted on containers',
  '5.7': 'Ensure sshd is not run within containers',
  '5.8': 'Ensure privileged ports are not mapped within containers',
  '5.9': 'Ensure that only needed ports are open on the container',
  '5.10': "Ensure that the host's network namespace is not shared",
  '5.11': 'Ensure that the memory usage for containers is limited',
  '5.12': 'Ensure that CPU priority is set appropriately on containers',
  '5.13': "Ensure that the container's root filesystem is mounted as read only",
  '5.14': 'Ensure that incoming container traffic is bound to a specific host interface',
  '5.15': "Ensure that the 'on-failure' container restart policy is set to '5'",
  '5.16': "Ensure that the host's process namespace is not shared",
  '5.17': "Ensure that the host's IPC namespace is not shared",
  '5.18': 'Ensure that host devices are not directly exposed to containers',
  '5.19': 'Ensure that the default ulimit is overwritten at runtime if needed',
  '5.20': 'Ensure mount propagation mode is not set to shared',
  '5.21': "Ensure that the host's UTS namespace is not shared",
  '5.22': 'Ensure the default seccomp profile is not Disabled',
  '5.23': 'Ensure that docker exec commands are not used with the privileged option',
  '5.24': 'Ensure that docker exec commands are not used with the user=root option',
  '5.25': 'Ensure that cgroup usage is confirmed',
  '5.26': 'Ensure that the container is restricted from acquiring additional privileges',
  '5.27': 'Ensure that container health is checked at runtime',
  '5.28': 'Ensure that Docker commands always make use of the latest version of their image',
  '5.29': 'Ensure that the PIDs cgroup limit is used',
  '5.30': "Ensure that Docker's default bridge 'docker0' is not used",
  '5.31': "Ensure that the host's user namespaces are not shared",
  '5.32': 'Ensure that the Docker socket is not mounted inside any containers',
  '6.1': 'Ensure that image sprawl is avoided',
  '6.2': 'Ensure that container sprawl is avoided',
  '7.1': 'Ensure that the minimum number of manager nodes have been created in a swarm',
  '7.2': 'Ensure that swarm services are bound to a specific host interface',
  '7.3': 'Ensure that all Docker swarm overlay networks are encrypted',
  '7.4': "Ensure that Docker's secret management commands are used for managing secrets in a swarm cluster",
  '7.5': 'Ensure that swarm manager is run in auto-lock mode',
  '7.6': 'Ensure that the swarm manager auto-lock key is rotated periodically',
  '7.7': 'Ensure that node certificates are rotated as appropriate',
  '7.8': 'Ensure that CA certificates are rotated as appropriate',
  '7.9': 'Ensure that management plane traffic is separated from data plane traffic',
  '8.1': 'Universal Control Plane Configuration',
  '8.1.1': 'Configure the LDAP authentication service',
  '8.1.2': 'Use external certificates',
  '8.1.3': 'Enforce the use of client certificate bundles for unprivileged users',
  '8.1.4': 'Configure applicable cluster role-based access control policies',
  '8.1.5': 'Enable signed image enforcement',
  '8.1.6': "Set the Per-User Session Limit to a value of '3' or lower",
  '8.1.7': "Set the 'Lifetime Minutes' and 'Renewal Threshold Minutes' values to '15' or lower and '0' respectively",
  '8.2': 'Docker Trusted Registry Configuration',
  '8.2.1': 'Enable image vulnerability scanning',
};

/** docker-bench-security's check functions (tests/*.sh at ff26d67f25be). */
const DOCKER_BENCH_FUNCTIONS = new Set(
  `
  check_1_1 check_1_1_1 check_1_1_2 check_1_1_3 check_1_1_4 check_1_1_5 check_1_1_6 check_1_1_7 check_1_1_8
  check_1_1_9 check_1_1_10 check_1_1_11 check_1_1_12 check_1_1_13 check_1_1_14 check_1_1_15 check_1_1_16
  check_1_1_17 check_1_1_18 check_1_2 check_1_2_1 check_1_2_2 check_2_1 check_2_2 check_2_3 check_2_4 check_2_5
  check_2_6 check_2_7 check_2_8 check_2_9 check_2_10 check_2_11 check_2_12 check_2_13 check_2_14 check_2_15
  check_2_16 check_2_17 check_2_18 check_3_1 check_3_2 check_3_3 check_3_4 check_3_5 check_3_6 check_3_7
  check_3_8 check_3_9 check_3_10 check_3_11 check_3_12 check_3_13 check_3_14 check_3_15 check_3_16 check_3_17
  check_3_18 check_3_19 check_3_20 check_3_21 check_3_22 check_3_23 check_3_24 check_4_1 check_4_2 check_4_3
  check_4_4 check_4_5 check_4_6 check_4_7 check_4_8 check_4_9 check_4_10 check_4_11 check_4_12 check_5_1
  check_5_2 check_5_3 check_5_4 check_5_5 check_5_6 check_5_7 check_5_8 check_5_9 check_5_10 check_5_11
  check_5_12 check_5_13 check_5_14 check_5_15 check_5_16 check_5_17 check_5_18 check_5_19 check_5_20 check_5_21
  check_5_22 check_5_23 check_5_24 check_5_25 check_5_26 check_5_27 check_5_28 check_5_29 check_5_30 check_5_31
  check_5_32 check_6_1 check_6_2 check_7_1 check_7_2 check_7_3 check_7_4 check_7_5 check_7_6 check_7_7 check_7_8
  check_7_9 check_8_1 check_8_1_1 check_8_1_2 check_8_1_3 check_8_1_4 check_8_1_5 check_8_1_6 check_8_1_7
  check_8_2 check_8_2_1
  `
    .split(/\s+/)
    .filter(Boolean),
);

// ---- Other scanners' ids ------------------------------------------------------------------------------------

/** dev-sec/ssh-baseline controls/sshd_spec.rb at 975dff3caa1e (v2.8.1); sshd-26 was removed upstream. */
const DEVSEC_SSH_BASELINE: Readonly<Record<string, string>> = {
  'sshd-01': 'Server: Check for secure ssh ciphers',
  'sshd-02': 'Server: Check for secure ssh Key-Exchange Algorithm',
  'sshd-03': 'Server: Check for secure ssh Message Authentication Codes',
  'sshd-04': 'Server: Check SSH folder owner, group and permissions.',
  'sshd-05': 'Server: Check sshd_config owner, group and permissions.',
  'sshd-06': 'Server: Do not permit root-based login or do not allow password and keyboard-interactive authentication',
  'sshd-07': 'Server: Specify the listen ssh Port',
  'sshd-08': 'Server: Specify the AddressFamily to your need',
  'sshd-09': 'Server: Specify ListenAddress',
  'sshd-10': 'Server: Specify protocol version 2',
  'sshd-11': 'Server: Enable StrictModes',
  'sshd-12': 'Server: Specify SyslogFacility to AUTH',
  'sshd-13': 'Server: Specify LogLevel to VERBOSE',
  'sshd-14': 'Server: Specify SSH HostKeys',
  'sshd-15': 'Server: Specify UseLogin to NO',
  'sshd-16': 'Server: Use privilege separation',
  'sshd-17': 'Server: Disable PermitUserEnvironment',
  'sshd-18': 'Server: Specify LoginGraceTime',
  'sshd-19': 'Server: Specify Limit for maximum authentication retries',
  'sshd-20': 'Server: Specify maximum sessions',
  'sshd-21': 'Server: Specify maximum startups',
  'sshd-22': 'Server: Enable PubkeyAuthentication',
  'sshd-23': 'Server: Enable IgnoreRhosts',
  'sshd-24': 'Server: Enable IgnoreUserKnownHosts',
  'sshd-25': 'Server: Disable HostbasedAuthentication',
  'sshd-27': 'Server: Disable password-based authentication',
  'sshd-28': 'Server: Disable PermitEmptyPasswords',
  'sshd-29': 'Server: Disable ChallengeResponseAuthentication',
  'sshd-30': 'Server: Disable Kerberos',
  'sshd-31': 'Server: Disable Kerberos or Local Password',
  'sshd-32': 'Server: Enable KerberosTicketCleanup',
  'sshd-33': 'Server: Disable GSSAPIAuthentication',
  'sshd-34': 'Server: Enable GSSAPICleanupCredentials',
  'sshd-35': 'Server: Disable TCPKeepAlive',
  'sshd-36': 'Server: Set a client alive interval',
  'sshd-37': 'Server: Configure a few client alive counters',
  'sshd-38': 'Server: Disable tunnels',
  'sshd-39': 'Server: Disable TCP forwarding',
  'sshd-40': 'Server: Disable Agent forwarding',
  'sshd-41': 'Server: Disable gateway ports',
  'sshd-42': 'Server: Disable X11Forwarding',
  'sshd-43': 'Server: Enable X11UseLocalhost',
  'sshd-44': 'Server: Disable PrintMotd',
  'sshd-45': 'Server: PrintLastLog',
  'sshd-46': 'Server: Banner',
  'sshd-47': 'Server: DebianBanner',
  'sshd-48': 'Server: DH primes',
  'sshd-49': 'Server: CRYPTO_POLICY',
  'sshd-50': 'Server: RSA HostKey size',
};

/** CISOfy/lynis include/tests_* at 52ed89ce353f: every `Register --test-no` id. */
const LYNIS_TESTS = new Set(
  `
  ACCT-2754 ACCT-2760 ACCT-9622 ACCT-9626 ACCT-9628 ACCT-9630 ACCT-9632 ACCT-9634 ACCT-9636 ACCT-9650 ACCT-9652
  ACCT-9654 ACCT-9656 ACCT-9660 ACCT-9662 ACCT-9670 ACCT-9672 AUTH-9204 AUTH-9208 AUTH-9212 AUTH-9216 AUTH-9218
  AUTH-9222 AUTH-9226 AUTH-9228 AUTH-9229 AUTH-9230 AUTH-9234 AUTH-9240 AUTH-9242 AUTH-9250 AUTH-9252 AUTH-9254
  AUTH-9262 AUTH-9264 AUTH-9266 AUTH-9268 AUTH-9278 AUTH-9282 AUTH-9283 AUTH-9284 AUTH-9286 AUTH-9288 AUTH-9304
  AUTH-9306 AUTH-9308 AUTH-9328 AUTH-9340 AUTH-9402 AUTH-9406 AUTH-9408 AUTH-9409 AUTH-9410 BANN-7113 BANN-7124
  BANN-7126 BANN-7128 BANN-7130 BOOT-5102 BOOT-5104 BOOT-5106 BOOT-5108 BOOT-5109 BOOT-5116 BOOT-5117 BOOT-5121
  BOOT-5122 BOOT-5124 BOOT-5126 BOOT-5139 BOOT-5140 BOOT-5142 BOOT-5155 BOOT-5159 BOOT-5165 BOOT-5170 BOOT-5177
  BOOT-5180 BOOT-5184 BOOT-5202 BOOT-5260 BOOT-5261 BOOT-5262 BOOT-5263 BOOT-5264 CONT-1906 CONT-8004 CONT-8102
  CONT-8104 CONT-8106 CONT-8107 CONT-8108 CRYP-7902 CRYP-7930 CRYP-7931 CRYP-7932 CRYP-8002 CRYP-8004 CRYP-8005
  CRYP-8006 CUST-0010 CUST-0020 CUST-0040 DBS-1804 DBS-1808 DBS-1812 DBS-1816 DBS-1818 DBS-1820 DBS-1826
  DBS-1828 DBS-1840 DBS-1842 DBS-1860 DBS-1880 DBS-1882 DBS-1884 DBS-1886 DBS-1888 DNS-1600 FILE-6310 FILE-6311
  FILE-6312 FILE-6316 FILE-6323 FILE-6324 FILE-6329 FILE-6330 FILE-6332 FILE-6336 FILE-6344 FILE-6354 FILE-6362
  FILE-6363 FILE-6368 FILE-6372 FILE-6374 FILE-6376 FILE-6394 FILE-6398 FILE-6410 FILE-6430 FILE-6439 FILE-7524
  FINT-4310 FINT-4314 FINT-4315 FINT-4316 FINT-4318 FINT-4322 FINT-4326 FINT-4328 FINT-4330 FINT-4334 FINT-4336
  FINT-4338 FINT-4339 FINT-4340 FINT-4341 FINT-4344 FINT-4350 FINT-4402 FIRE-4502 FIRE-4508 FIRE-4512 FIRE-4513
  FIRE-4518 FIRE-4520 FIRE-4524 FIRE-4526 FIRE-4530 FIRE-4532 FIRE-4534 FIRE-4536 FIRE-4538 FIRE-4540 FIRE-4586
  FIRE-4590 FIRE-4594 HOME-9302 HOME-9304 HOME-9306 HOME-9310 HOME-9314 HOME-9350 HRDN-7220 HRDN-7222 HRDN-7230
  HRDN-7231 HTTP-6622 HTTP-6624 HTTP-6626 HTTP-6630 HTTP-6632 HTTP-6640 HTTP-6641 HTTP-6643 HTTP-6660 HTTP-6702
  HTTP-6704 HTTP-6706 HTTP-6708 HTTP-6710 HTTP-6712 HTTP-6714 HTTP-6716 HTTP-6720 INSE-8000 INSE-8002 INSE-8004
  INSE-8006 INSE-8016 INSE-8050 INSE-8100 INSE-8102 INSE-8104 INSE-8106 INSE-8116 INSE-8200 INSE-8300 INSE-8302
  INSE-8304 INSE-8310 INSE-8314 INSE-8316 INSE-8318 INSE-8320 INSE-8322 KRB-1000 KRB-1010 KRB-1020 KRB-1050
  KRNL-5622 KRNL-5677 KRNL-5695 KRNL-5723 KRNL-5726 KRNL-5728 KRNL-5730 KRNL-5745 KRNL-5770 KRNL-5788 KRNL-5820
  KRNL-5830 KRNL-5831 KRNL-6000 LDAP-2219 LDAP-2224 LOGG-2130 LOGG-2132 LOGG-2134 LOGG-2136 LOGG-2138 LOGG-2142
  LOGG-2144 LOGG-2146 LOGG-2148 LOGG-2150 LOGG-2152 LOGG-2153 LOGG-2154 LOGG-2160 LOGG-2162 LOGG-2164 LOGG-2170
  LOGG-2180 LOGG-2190 LOGG-2192 LOGG-2210 LOGG-2230 LOGG-2240 MACF-6204 MACF-6208 MACF-6232 MACF-6234 MACF-6240
  MACF-6242 MACF-6290 MAIL-8802 MAIL-8804 MAIL-8814 MAIL-8816 MAIL-8817 MAIL-8818 MAIL-8820 MAIL-8838 MAIL-8860
  MAIL-8880 MAIL-8920 MALW-3274 MALW-3275 MALW-3276 MALW-3278 MALW-3280 MALW-3282 MALW-3284 MALW-3286 MALW-3288
  MALW-3290 MALW-3291 NAME-4016 NAME-4018 NAME-4020 NAME-4024 NAME-4026 NAME-4028 NAME-4032 NAME-4034 NAME-4036
  NAME-4202 NAME-4204 NAME-4206 NAME-4210 NAME-4212 NAME-4220 NAME-4222 NAME-4230 NAME-4232 NAME-4234 NAME-4236
  NAME-4238 NAME-4304 NAME-4306 NAME-4402 NAME-4404 NAME-4406 NAME-4408 NETW-2400 NETW-2600 NETW-2704 NETW-2705
  NETW-2706 NETW-3001 NETW-3004 NETW-3006 NETW-3008 NETW-3012 NETW-3014 NETW-3015 NETW-3028 NETW-3030 NETW-3032
  NETW-3200 PHP-2211 PHP-2320 PHP-2368 PHP-2372 PHP-2374 PHP-2376 PHP-2378 PHP-2379 PHP-2382 PKGS-7200 PKGS-7301
  PKGS-7302 PKGS-7303 PKGS-7304 PKGS-7305 PKGS-7306 PKGS-7308 PKGS-7310 PKGS-7312 PKGS-7314 PKGS-7318 PKGS-7320
  PKGS-7322 PKGS-7328 PKGS-7330 PKGS-7332 PKGS-7334 PKGS-7345 PKGS-7346 PKGS-7348 PKGS-7378 PKGS-7380 PKGS-7381
  PKGS-7382 PKGS-7383 PKGS-7384 PKGS-7386 PKGS-7387 PKGS-7388 PKGS-7390 PKGS-7392 PKGS-7393 PKGS-7394 PKGS-7395
  PKGS-7398 PKGS-7410 PKGS-7420 PRNT-2302 PRNT-2304 PRNT-2306 PRNT-2307 PRNT-2308 PRNT-2314 PRNT-2316 PRNT-2418
  PRNT-2420 PROC-3602 PROC-3604 PROC-3612 PROC-3614 PROC-3802 RBAC-6272 SCHD-7702 SCHD-7704 SCHD-7718 SCHD-7720
  SCHD-7724 SHLL-6202 SHLL-6211 SHLL-6220 SHLL-6230 SINT-7010 SNMP-3302 SNMP-3304 SNMP-3306 SQD-3602 SQD-3604
  SQD-3606 SQD-3610 SQD-3613 SQD-3614 SQD-3616 SQD-3620 SQD-3624 SQD-3630 SQD-3680 SSH-7402 SSH-7404 SSH-7406
  SSH-7408 SSH-7440 STRG-1846 STRG-1902 STRG-1904 STRG-1906 STRG-1920 STRG-1924 STRG-1926 STRG-1928 STRG-1930
  TIME-3104 TIME-3106 TIME-3112 TIME-3116 TIME-3120 TIME-3124 TIME-3128 TIME-3132 TIME-3136 TIME-3146 TIME-3148
  TIME-3160 TIME-3170 TIME-3180 TIME-3181 TIME-3182 TIME-3185 TOOL-5002 TOOL-5102 TOOL-5104 TOOL-5120 TOOL-5122
  TOOL-5126 TOOL-5128 TOOL-5130 TOOL-5190 USB-1000 USB-2000 USB-3000 VIRT-1920
  `
    .split(/\s+/)
    .filter(Boolean),
);

// ---- Closed lists of the other numbered standards ---------------------------------------------------------------

/** NIST publications, by the part cited: csrc.nist.gov SP 800-53 Rev. 5 control catalogue, SP 800-57 Part 1 Rev. 5. */
const NIST: Readonly<Record<string, string>> = {
  'SP 800-53 Rev. 5 SI-7': 'Software, Firmware, and Information Integrity',
  'SP 800-57 Part 1 Rev. 5 Table 2':
    'Comparable security strengths of symmetric block cipher and asymmetric-key algorithms',
};

/** PCI DSS v4.0 requirements (PCI Security Standards Council, March 2022). */
const PCI_DSS_V4: Readonly<Record<string, string>> = {
  '11.5.2': 'A change-detection mechanism (for example, file integrity monitoring) is deployed',
};

/** MITRE ATT&CK Enterprise techniques (attack.mitre.org/techniques/T1552/005/). */
const ATTACK: Readonly<Record<string, string>> = {
  'T1552.005': 'Unsecured Credentials: Cloud Instance Metadata API',
};

/** aquasecurity/kube-hunter vulnerability ids (kube_hunter/modules/hunting/kubelet.py, vid=). */
const KUBE_HUNTER: Readonly<Record<string, string>> = {
  KHV043: 'Cluster Health Disclosure',
};

/** FIPS publications (csrc.nist.gov). */
const FIPS: Readonly<Record<string, string>> = {
  '186-5': 'Digital Signature Standard (DSS), February 2023; DSA is no longer approved for generating signatures',
};

/**
 * Manual pages, with where each was read: the OpenSSH and apt pages in this machine's /usr/share/man (Debian 12);
 * unattended-upgrades(8) and dnf-automatic(8) from those packages; crio.conf(5) and crio.conf.d(5) from
 * cri-o/cri-o docs/crio.conf.5.md and docs/crio.conf.d.5.md; containerd-config.toml(5) from containerd/containerd
 * docs/man/containerd-config.toml.5.md; runc-run(8) from opencontainers/runc man/runc-run.8.md.
 */
const MAN_PAGES = new Set([
  'sshd_config(5)',
  'sshd(8)',
  'moduli(5)',
  'apt(8)',
  'apt-mark(8)',
  'unattended-upgrades(8)',
  'dnf(8)',
  'dnf-automatic(8)',
  'crio.conf(5)',
  'crio.conf.d(5)',
  'containerd-config.toml(5)',
  'runc-run(8)',
]);

const table = (t: Readonly<Record<string, string>>): Readonly<Record<string, string>> => t;
const kubeBench = (file: string): Readonly<Record<string, string>> => KUBE_BENCH[file] ?? {};

/** The CIS Kubernetes Benchmark sections of one version: the union of its kube-bench files. */
function cisKubernetes(version: string): Readonly<Record<string, string>> {
  return Object.assign({}, ...(CIS_K8S_FILES[version] ?? []).map(kubeBench)) as Record<string, string>;
}

export const REFERENCE_FORMS: readonly ReferenceForm[] = [
  {
    name: 'CIS Debian Linux 12 Benchmark v1.1.0',
    pattern: /^CIS Debian Linux 12 Benchmark v1\.1\.0 (\d+(?:\.\d+)+)$/,
    ids: CIS_DEBIAN_12_V1_1_0,
    verified: 'ComplianceAsCode/content controls/cis_debian12.yml @b3a2cca9352c',
  },
  {
    name: 'CIS Ubuntu Linux 22.04 LTS Benchmark v2.0.0',
    pattern: /^CIS Ubuntu Linux 22\.04 LTS Benchmark v2\.0\.0 (\d+(?:\.\d+)+)$/,
    ids: CIS_UBUNTU_2204_V2_0_0,
    verified: 'ComplianceAsCode/content controls/cis_ubuntu2204.yml @b3a2cca9352c',
  },
  {
    name: 'CIS Distribution Independent Linux Benchmark v2.0.0',
    pattern: /^CIS Distribution Independent Linux Benchmark v2\.0\.0 (\d+(?:\.\d+)+)$/,
    ids: CIS_DIL_V2_0_0_SSH,
    verified: 'dev-sec/cis-dil-benchmark controls/5_2_ssh_server_configuration.rb @c73917fb02e7',
  },
  {
    name: 'dev-sec cis-dil-benchmark',
    pattern: /^dev-sec cis-dil-benchmark cis-dil-benchmark-(\d+(?:\.\d+)+)$/,
    ids: DEVSEC_CIS_DIL,
    verified: 'dev-sec/cis-dil-benchmark controls/*.rb @c73917fb02e7',
  },
  ...Object.keys(CIS_K8S_FILES).map((v) => ({
    name: `CIS Kubernetes Benchmark ${v}`,
    pattern: new RegExp(`^CIS Kubernetes Benchmark ${v.replace(/\./g, '\\.')} (\\d+(?:\\.\\d+)*)$`),
    ids: cisKubernetes(v),
    verified: `aquasecurity/kube-bench cfg/${CIS_K8S_FILES[v]!.join(', cfg/')} @a73ce378418c`,
  })),
  ...Object.keys(KUBE_BENCH).map((file) => ({
    name: `kube-bench cfg/${file}`,
    pattern: new RegExp(`^kube-bench cfg/${file.replace(/\./g, '\\.')} (\\d+(?:\\.\\d+)*)$`),
    ids: kubeBench(file),
    verified: `aquasecurity/kube-bench cfg/${file} @a73ce378418c`,
  })),
  {
    name: 'CIS Docker Benchmark v1.6.0',
    pattern: /^CIS Docker Benchmark v1\.6\.0 (\d+(?:\.\d+)+)$/,
    ids: CIS_DOCKER_V1_6_0,
    verified: 'docker/docker-bench-security tests/*.sh @ff26d67f25be',
  },
  {
    name: 'docker-bench-security',
    pattern: /^docker-bench-security (check_\d+(?:_\d+)+)$/,
    ids: DOCKER_BENCH_FUNCTIONS,
    verified: 'docker/docker-bench-security tests/*.sh @ff26d67f25be',
  },
  {
    name: 'dev-sec ssh-baseline',
    pattern: /^dev-sec ssh-baseline (sshd-\d\d)$/,
    ids: DEVSEC_SSH_BASELINE,
    verified: 'dev-sec/ssh-baseline controls/sshd_spec.rb @975dff3caa1e',
  },
  {
    name: 'Lynis',
    pattern: /^Lynis ([A-Z]{3,5}-\d{4})$/,
    ids: LYNIS_TESTS,
    verified: 'CISOfy/lynis include/tests_* @52ed89ce353f',
  },
  {
    name: 'NIST',
    pattern: /^NIST (SP .+)$/,
    ids: table(NIST),
    verified: 'csrc.nist.gov publication pages',
  },
  {
    name: 'FIPS',
    pattern: /^FIPS (\d+-\d+)$/,
    ids: table(FIPS),
    verified: 'csrc.nist.gov',
  },
  {
    name: 'PCI DSS v4.0',
    pattern: /^PCI DSS v4\.0 (\d+(?:\.\d+)+)$/,
    ids: table(PCI_DSS_V4),
    verified: 'PCI DSS v4.0 requirements',
  },
  {
    name: 'MITRE ATT&CK',
    pattern: /^MITRE ATT&CK (T\d{4}(?:\.\d{3})?)$/,
    ids: table(ATTACK),
    verified: 'attack.mitre.org',
  },
  {
    name: 'kube-hunter',
    pattern: /^kube-hunter (KHV\d{3})$/,
    ids: table(KUBE_HUNTER),
    verified: 'aquasecurity/kube-hunter vid= in its hunting modules',
  },
  {
    name: 'CVE',
    pattern: /^(CVE-\d{4}-\d{4,})$/,
    verified: 'cve.org id syntax',
  },
  {
    name: 'RFC',
    pattern: /^(RFC \d{1,5})(?: §\d+(?:\.\d+)*)?$/,
    verified: 'rfc-editor.org numbering; a section is "§n.n"',
  },
  // A manual page, optionally followed by one option or keyword it documents.
  {
    name: 'manual page',
    pattern: /^([a-z][a-z0-9._-]*\(\d\))(?: -{0,2}[A-Za-z0-9_@.-]+)?$/,
    ids: MAN_PAGES,
    verified: 'see MAN_PAGES',
  },
  {
    name: 'https URL',
    pattern: /^(https:\/\/[a-z0-9.-]+\.[a-z]{2,}(?:\/[^\s]*)?)$/,
    verified: 'an address, nothing after it',
  },
];

/** Placeholders and our own words, named so that a failure says why. */
const REJECTED: readonly { pattern: RegExp; why: string }[] = [
  {
    pattern: /(^|[\s.])(\d+\.)*x\b/i,
    why: 'a placeholder section ("5.1.x", "3.x")',
  },
  {
    pattern: /\bhostward\b/i,
    why: "hostward's own words are not a reference (put them in the remediation or the message)",
  },
  {
    pattern: /\bresearch\/|DESIGN\.md|STYLE\.md/,
    why: 'a file of this project, not a reference',
  },
  {
    pattern: /(^|\s)#\d+/,
    why: 'a tracker number; cite the thread by its https URL',
  },
];

/** Why a reference is not acceptable, or undefined when it is a known form with a known id. */
export function referenceProblem(ref: string): string | undefined {
  for (const r of REJECTED) if (r.pattern.test(ref)) return r.why;
  const forms = REFERENCE_FORMS.filter((f) => f.pattern.test(ref));
  if (forms.length === 0)
    return 'matches no known form (a section of a named standard, a CVE, RFC, man page or https URL)';
  const unknown: string[] = [];
  for (const f of forms) {
    const id = f.pattern.exec(ref)![1]!;
    if (!f.ids || (f.ids instanceof Set ? f.ids.has(id) : Object.hasOwn(f.ids, id))) return undefined;
    unknown.push(`${f.name} has no section or id "${id}" (verified against ${f.verified})`);
  }
  return unknown.join('; ');
}
