/**
 * Where the SCAP Security Guide's CIS Level 1 Server rules (Ubuntu 22.04 content, run on Debian 12) and hostward's
 * checks judge the same thing. One hostward check often covers what SSG splits into several rules (owner, group
 * and mode of one file): the check passes when all of its rules pass and fails when any fails. A rule appears in
 * one entry at most. Rules of the profile that no entry names judge what hostward does not (AIDE, rsyslog, chrony,
 * password complexity classes, ...) or judge it differently enough that a comparison would say nothing.
 */
export interface Overlap {
  check: string;
  rules: readonly string[];
}

const owned = (file: string) => [`file_owner_${file}`, `file_groupowner_${file}`, `file_permissions_${file}`];

export const OVERLAPS: readonly Overlap[] = [
  // files
  { check: 'files.passwd_permissions', rules: owned('etc_passwd') },
  { check: 'files.passwd_backup_permissions', rules: owned('backup_etc_passwd') },
  { check: 'files.group_permissions', rules: owned('etc_group') },
  { check: 'files.group_backup_permissions', rules: owned('backup_etc_group') },
  { check: 'files.shadow_permissions', rules: owned('etc_shadow') },
  { check: 'files.shadow_backup_permissions', rules: owned('backup_etc_shadow') },
  { check: 'files.gshadow_permissions', rules: owned('etc_gshadow') },
  { check: 'files.gshadow_backup_permissions', rules: owned('backup_etc_gshadow') },
  { check: 'files.crontab_permissions', rules: owned('crontab') },
  { check: 'files.cron_hourly_permissions', rules: owned('cron_hourly') },
  { check: 'files.cron_daily_permissions', rules: owned('cron_daily') },
  { check: 'files.cron_weekly_permissions', rules: owned('cron_weekly') },
  { check: 'files.cron_monthly_permissions', rules: owned('cron_monthly') },
  { check: 'files.cron_d_permissions', rules: owned('cron_d') },
  { check: 'files.cron_allow', rules: owned('cron_allow') },
  { check: 'files.at_allow', rules: owned('at_allow') },
  { check: 'files.motd_permissions', rules: owned('etc_motd') },
  { check: 'files.issue_permissions', rules: owned('etc_issue') },
  { check: 'files.grub_cfg_permissions', rules: ['file_owner_grub2_cfg', 'file_permissions_grub2_cfg'] },
  { check: 'files.grub_password', rules: ['grub2_password'] },
  { check: 'files.world_writable_files', rules: ['file_permissions_unauthorized_world_writable'] },
  { check: 'files.world_writable_dirs_sticky', rules: ['dir_perms_world_writable_sticky_bits'] },
  { check: 'files.unowned_files', rules: ['no_files_unowned_by_user'] },
  {
    check: 'files.home_directories',
    rules: ['accounts_user_interactive_home_directory_exists', 'file_permissions_home_directories'],
  },
  { check: 'files.dot_files', rules: ['accounts_user_dot_user_ownership', 'accounts_user_dot_group_ownership'] },
  { check: 'files.no_trust_files', rules: ['no_netrc_files', 'no_rsh_trust_files'] },
  // accounts
  { check: 'accounts.uid0_only_root', rules: ['accounts_no_uid_except_zero'] },
  { check: 'accounts.stored_hashes_strong', rules: ['accounts_password_all_shadowed_sha512'] },
  { check: 'accounts.system_accounts_no_shell', rules: ['no_shelllogin_for_systemaccounts'] },
  { check: 'accounts.pam_unix_no_nullok', rules: ['no_empty_passwords'] },
  { check: 'accounts.pass_max_days', rules: ['accounts_maximum_age_login_defs'] },
  { check: 'accounts.pass_min_days', rules: ['accounts_minimum_age_login_defs'] },
  { check: 'accounts.pass_warn_age', rules: ['accounts_password_warn_age_login_defs'] },
  { check: 'accounts.inactive_lock', rules: ['account_disable_post_pw_expiration'] },
  {
    check: 'accounts.users_password_ageing',
    rules: ['accounts_password_set_max_life_existing', 'accounts_password_set_min_life_existing'],
  },
  {
    check: 'accounts.default_umask',
    rules: ['accounts_umask_etc_login_defs', 'accounts_umask_etc_profile', 'accounts_umask_etc_bashrc'],
  },
  { check: 'accounts.root_path', rules: ['accounts_root_path_dirs_no_write'] },
  { check: 'accounts.shell_timeout', rules: ['accounts_tmout'] },
  { check: 'accounts.pam_pwquality_minlen', rules: ['accounts_password_pam_minlen'] },
  { check: 'accounts.pam_faillock_deny', rules: ['accounts_passwords_pam_tally2'] },
  { check: 'accounts.pam_pwhistory_remember', rules: ['accounts_password_pam_pwhistory_remember'] },
  { check: 'accounts.sudo_installed', rules: ['package_sudo_installed'] },
  { check: 'accounts.sudo_use_pty', rules: ['sudo_add_use_pty'] },
  { check: 'accounts.sudo_logfile', rules: ['sudo_custom_logfile'] },
  { check: 'accounts.su_restricted', rules: ['use_pam_wheel_for_su'] },
  // modules
  { check: 'modules.cramfs_disabled', rules: ['kernel_module_cramfs_disabled'] },
  { check: 'modules.freevxfs_disabled', rules: ['kernel_module_freevxfs_disabled'] },
  { check: 'modules.hfs_disabled', rules: ['kernel_module_hfs_disabled'] },
  { check: 'modules.hfsplus_disabled', rules: ['kernel_module_hfsplus_disabled'] },
  { check: 'modules.jffs2_disabled', rules: ['kernel_module_jffs2_disabled'] },
  { check: 'modules.udf_disabled', rules: ['kernel_module_udf_disabled'] },
  { check: 'modules.usb_storage_disabled', rules: ['kernel_module_usb-storage_disabled'] },
  { check: 'modules.core_dump_limit', rules: ['disable_users_coredumps'] },
  // mounts
  { check: 'mounts.tmp_separate', rules: ['partition_for_tmp'] },
  { check: 'mounts.dev_shm_nodev', rules: ['mount_option_dev_shm_nodev'] },
  { check: 'mounts.dev_shm_noexec', rules: ['mount_option_dev_shm_noexec'] },
  { check: 'mounts.dev_shm_nosuid', rules: ['mount_option_dev_shm_nosuid'] },
  // services: SSG's package_*_removed rules name the Debian server packages hostward also looks for
  { check: 'services.avahi', rules: ['service_avahi-daemon_disabled'] },
  { check: 'services.cups', rules: ['service_cups_disabled'] },
  { check: 'services.nis_server', rules: ['package_nis_removed'] },
  { check: 'services.dhcp_server', rules: ['package_dhcp_removed'] },
  { check: 'services.dns_server', rules: ['package_bind_removed'] },
  { check: 'services.ftp_server', rules: ['package_vsftpd_removed'] },
  { check: 'services.dovecot', rules: ['package_dovecot_removed'] },
  { check: 'services.squid', rules: ['package_squid_removed'] },
  { check: 'services.samba', rules: ['package_samba_removed'] },
  { check: 'services.snmpd', rules: ['package_net-snmp_removed'] },
  { check: 'services.x_server', rules: ['package_xorg-x11-server-common_removed'] },
  // firewall
  { check: 'firewall.default_deny', rules: ['set_iptables_default_rule', 'set_ip6tables_default_rule'] },
  // kernel
  { check: 'kernel.randomize_va_space', rules: ['sysctl_kernel_randomize_va_space'] },
  { check: 'kernel.suid_dumpable', rules: ['sysctl_fs_suid_dumpable'] },
  { check: 'kernel.ip_forward', rules: ['sysctl_net_ipv4_ip_forward'] },
  { check: 'kernel.ipv6_forwarding', rules: ['sysctl_net_ipv6_conf_all_forwarding'] },
  { check: 'kernel.tcp_syncookies', rules: ['sysctl_net_ipv4_tcp_syncookies'] },
  { check: 'kernel.icmp_echo_ignore_broadcasts', rules: ['sysctl_net_ipv4_icmp_echo_ignore_broadcasts'] },
  {
    check: 'kernel.icmp_ignore_bogus_error_responses',
    rules: ['sysctl_net_ipv4_icmp_ignore_bogus_error_responses'],
  },
  ...(
    [
      ['kernel.accept_redirects', 'ipv4', 'accept_redirects'],
      ['kernel.secure_redirects', 'ipv4', 'secure_redirects'],
      ['kernel.send_redirects', 'ipv4', 'send_redirects'],
      ['kernel.accept_source_route', 'ipv4', 'accept_source_route'],
      ['kernel.log_martians', 'ipv4', 'log_martians'],
      ['kernel.rp_filter', 'ipv4', 'rp_filter'],
      ['kernel.ipv6_accept_redirects', 'ipv6', 'accept_redirects'],
      ['kernel.ipv6_accept_source_route', 'ipv6', 'accept_source_route'],
    ] as const
  ).map(([check, family, key]) => ({
    check,
    rules: [`sysctl_net_${family}_conf_all_${key}`, `sysctl_net_${family}_conf_default_${key}`],
  })),
  // ssh
  { check: 'ssh.config_permissions', rules: owned('sshd_config') },
  { check: 'ssh.host_private_key_permissions', rules: ['file_permissions_sshd_private_key'] },
  { check: 'ssh.host_public_key_permissions', rules: ['file_permissions_sshd_pub_key'] },
  { check: 'ssh.client_alive', rules: ['sshd_set_idle_timeout', 'sshd_set_keepalive'] },
  { check: 'ssh.hostbased_auth', rules: ['disable_host_auth'] },
  { check: 'ssh.permit_empty_passwords', rules: ['sshd_disable_empty_passwords'] },
  { check: 'ssh.ignore_rhosts', rules: ['sshd_disable_rhosts'] },
  { check: 'ssh.permit_root_login', rules: ['sshd_disable_root_login'] },
  { check: 'ssh.permit_user_environment', rules: ['sshd_do_not_permit_user_env'] },
  { check: 'ssh.log_level', rules: ['sshd_set_loglevel_info'] },
  { check: 'ssh.max_auth_tries', rules: ['sshd_set_max_auth_tries'] },
  { check: 'ssh.max_sessions', rules: ['sshd_set_max_sessions'] },
  { check: 'ssh.ciphers', rules: ['sshd_use_approved_ciphers'] },
  { check: 'ssh.macs', rules: ['sshd_use_approved_macs'] },
];

/**
 * Rules whose OVAL probes do not read a fixture root through OSCAP_PROBE_ROOT, so their result there describes this
 * machine (or nothing): sysctl reads the running kernel ("Requested offline mode is not supported by sysctl probe"),
 * dpkginfo fails to open the root's package database ("dpkginfo_init has failed": libapt runs dpkg inside the root),
 * and systemd unit state comes from this machine's systemd over D-Bus. On this machine itself they are compared.
 */
export function chrootBlind(rule: string): boolean {
  return /^(sysctl_|package_|service_)/.test(rule);
}

/**
 * Rules that walk every file system. On this machine they are left out: the suite creates and removes files in
 * /tmp while it runs, so OpenSCAP's walk and hostward's would see different hosts (and the walk takes minutes).
 * The fixture roots compare them.
 */
export const LIVE_HOST_WALKS: ReadonlySet<string> = new Set([
  'file_permissions_unauthorized_world_writable',
  'dir_perms_world_writable_sticky_bits',
  'no_files_unowned_by_user',
]);
