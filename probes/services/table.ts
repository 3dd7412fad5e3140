/**
 * Servers CIS Debian 12 (2.1) wants gone from a host that does not need them: by Debian package, systemd unit
 * and the port they listen on. A row fails when its package is installed, its unit enabled, or its port open
 * beyond loopback.
 */
import type { Severity } from '../../src/sdk.js';

export interface ServiceRow {
  key: string;
  name: string;
  cis: string;
  packages: readonly string[];
  units: readonly string[];
  ports: readonly { proto: 'tcp' | 'udp'; port: number }[];
  severity: Severity;
  /** Why a Kubernetes node may have it, added to a failure message on a node. */
  nodeNote?: string;
}

const tcp = (port: number) => ({ proto: 'tcp' as const, port });
const udp = (port: number) => ({ proto: 'udp' as const, port });

export const SERVICE_ROWS: readonly ServiceRow[] = [
  {
    key: 'telnet_server',
    name: 'telnet server',
    cis: '2.1.22',
    packages: ['telnetd', 'inetutils-telnetd', 'telnetd-ssl'],
    units: ['telnet.socket', 'inetd.service'],
    ports: [tcp(23)],
    severity: 'high',
  },
  {
    key: 'rsh_server',
    name: 'rsh/rlogin server',
    cis: '2.1.22',
    packages: ['rsh-server', 'rsh-redone-server'],
    units: ['rsh.socket', 'rlogin.socket'],
    ports: [tcp(513), tcp(514)],
    severity: 'high',
  },
  {
    key: 'ftp_server',
    name: 'FTP server',
    cis: '2.1.6',
    packages: ['vsftpd', 'proftpd-basic', 'proftpd-core', 'pure-ftpd'],
    units: ['vsftpd.service', 'proftpd.service', 'pure-ftpd.service'],
    ports: [tcp(21)],
    severity: 'medium',
  },
  {
    key: 'tftp_server',
    name: 'TFTP server',
    cis: '2.1.16',
    packages: ['tftpd-hpa', 'atftpd', 'tftpd'],
    units: ['tftpd-hpa.service', 'atftpd.service'],
    ports: [udp(69)],
    severity: 'medium',
  },
  {
    key: 'avahi',
    name: 'Avahi (mDNS/DNS-SD)',
    cis: '2.1.2',
    packages: ['avahi-daemon'],
    units: ['avahi-daemon.service', 'avahi-daemon.socket'],
    ports: [udp(5353)],
    severity: 'low',
  },
  {
    key: 'cups',
    name: 'CUPS print server',
    cis: '2.1.11',
    packages: ['cups', 'cups-daemon'],
    units: ['cups.service', 'cups.socket'],
    ports: [tcp(631)],
    severity: 'low',
  },
  {
    key: 'nfs_server',
    name: 'NFS server',
    cis: '2.1.9',
    packages: ['nfs-kernel-server'],
    units: ['nfs-server.service'],
    ports: [tcp(2049)],
    severity: 'medium',
  },
  {
    key: 'rpcbind',
    name: 'rpcbind',
    cis: '2.1.12',
    packages: ['rpcbind'],
    units: ['rpcbind.service', 'rpcbind.socket'],
    ports: [tcp(111), udp(111)],
    severity: 'medium',
    nodeNote: 'NFSv3 volumes mounted by the kubelet need rpcbind on the node; NFSv4 does not',
  },
  {
    key: 'samba',
    name: 'Samba file server',
    cis: '2.1.14',
    packages: ['samba'],
    units: ['smbd.service', 'nmbd.service'],
    ports: [tcp(445), tcp(139)],
    severity: 'medium',
  },
  {
    key: 'snmpd',
    name: 'SNMP daemon',
    cis: '2.1.15',
    packages: ['snmpd'],
    units: ['snmpd.service'],
    ports: [udp(161)],
    severity: 'medium',
  },
  {
    key: 'nis_server',
    name: 'NIS server',
    cis: '2.1.10',
    packages: ['ypserv'],
    units: ['ypserv.service'],
    ports: [],
    severity: 'medium',
  },
  {
    key: 'x_server',
    name: 'X window server',
    cis: '2.1.20',
    packages: ['xserver-xorg-core', 'xserver-xorg', 'xwayland'],
    units: ['gdm.service', 'lightdm.service', 'sddm.service'],
    ports: [tcp(6000)],
    severity: 'low',
  },
  {
    key: 'dhcp_server',
    name: 'DHCP server',
    cis: '2.1.3',
    packages: ['isc-dhcp-server', 'kea-dhcp4-server', 'kea-dhcp6-server'],
    units: ['isc-dhcp-server.service', 'kea-dhcp4-server.service'],
    ports: [udp(67)],
    severity: 'medium',
  },
  // No port: a node's DNS cache (NodeLocal DNSCache) listens on 53 with hostNetwork, and systemd-resolved on loopback.
  {
    key: 'dns_server',
    name: 'DNS server',
    cis: '2.1.4',
    packages: ['bind9', 'unbound', 'pdns-server', 'knot'],
    units: ['named.service', 'bind9.service', 'unbound.service'],
    ports: [],
    severity: 'medium',
  },
  {
    key: 'squid',
    name: 'Squid web proxy',
    cis: '2.1.17',
    packages: ['squid', 'squid-openssl'],
    units: ['squid.service'],
    ports: [tcp(3128)],
    severity: 'medium',
  },
  {
    key: 'dovecot',
    name: 'Dovecot IMAP/POP3 server',
    cis: '2.1.8',
    packages: ['dovecot-core', 'dovecot-imapd', 'dovecot-pop3d'],
    units: ['dovecot.service', 'dovecot.socket'],
    ports: [tcp(143), tcp(993), tcp(110), tcp(995)],
    severity: 'medium',
  },
];

/** Compiler and build tool packages: the exact names and the versioned ones (gcc-12, clang-16). */
export const COMPILER_PACKAGES = /^(?:gcc|g\+\+|clang|make|cpp)(?:-\d+)?$/;
export const TIME_DAEMONS = [
  { name: 'chrony', packages: ['chrony'], units: ['chrony.service', 'chronyd.service'] },
  { name: 'systemd-timesyncd', packages: ['systemd-timesyncd'], units: ['systemd-timesyncd.service'] },
  {
    name: 'ntp',
    packages: ['ntp', 'ntpsec', 'openntpd'],
    units: ['ntp.service', 'ntpsec.service', 'openntpd.service'],
  },
] as const;
