/**
 * sshd_config corpus for sshd-corpus.test.ts. Placeholders: @D@ this config's directory, @HK@ the ed25519
 * host key, @U@ the ordinary test user, @G@ its supplementary group. Main files get `HostKey @HK@` prepended.
 */
// Per process, so that two concurrent runs do not delete each other's user. Patterns below rely on the hwt prefix.
const TAG = process.pid % 100000;
export const TEST_USER = `hwt-c${TAG}`;
export const TEST_GROUP_PRIMARY = `hwt-p${TAG}`;
export const TEST_GROUP_SUPP = `hwt-s${TAG}`;

export interface CorpusConfig {
  name: string;
  main: string;
  /** Extra files, relative to the config's directory. */
  files?: Record<string, string>;
}

const lines = (...l: string[]): string => l.join('\n');

export const ACCEPTED: CorpusConfig[] = [
  { name: 'a01-minimal', main: '' },
  {
    name: 'a02-debian-stock',
    main: lines(
      'Include @D@/sshd_config.d/*.conf',
      'KbdInteractiveAuthentication no',
      'UsePAM yes',
      'X11Forwarding yes',
      'PrintMotd no',
      'AcceptEnv LANG LC_*',
      'Subsystem\tsftp\t/usr/lib/openssh/sftp-server',
    ),
    files: { 'sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n' },
  },
  {
    name: 'a03-first-wins-across-includes',
    main: lines('Include @D@/d/*.conf', 'PasswordAuthentication no', 'MaxAuthTries 5'),
    files: {
      'd/10-a.conf': 'PasswordAuthentication yes\n',
      'd/20-b.conf': 'PasswordAuthentication no\nMaxAuthTries 3\n',
    },
  },
  {
    name: 'a04-glob-lexical-order',
    main: 'Include @D@/d/*.conf',
    files: {
      'd/b.conf': 'LoginGraceTime 20\n',
      'd/a.conf': 'LoginGraceTime 10\nMaxSessions 4\n',
      'd/B.conf': 'LoginGraceTime 30\nMaxSessions 7\n',
      'd/10-x.conf': 'ClientAliveInterval 15\n',
    },
  },
  {
    name: 'a05-missing-include-ignored',
    main: lines('Include @D@/nope.conf', 'Include @D@/empty/*.conf', 'Include @D@/nodir/*', 'PermitRootLogin no'),
    files: { 'empty/readme.txt': 'not a conf\n' },
  },
  {
    name: 'a06-hardened',
    main: lines(
      'PermitRootLogin no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxAuthTries 3',
      'LoginGraceTime 30s',
      'ClientAliveInterval 5m',
      'ClientAliveCountMax 0',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'PermitTunnel no',
      'MaxSessions 2',
      'MaxStartups 10:30:60',
      'LogLevel VERBOSE',
      'IgnoreRhosts yes',
      'HostbasedAuthentication no',
      'PermitEmptyPasswords no',
      'PermitUserEnvironment no',
      'Banner /etc/issue.net',
    ),
  },
  {
    name: 'a07-match-user-reenables-password',
    main: lines('PasswordAuthentication no', 'Match User @U@', '  PasswordAuthentication yes'),
  },
  {
    name: 'a08-match-address-cidr',
    main: lines('PermitRootLogin no', 'Match Address 10.0.0.0/8', '  PermitRootLogin yes', '  MaxAuthTries 2'),
  },
  {
    name: 'a09-match-address-negation',
    main: lines(
      'Match Address 192.168.0.0/16,!192.168.5.0/24',
      '  X11Forwarding yes',
      'Match Address !203.0.113.0/24,*',
      '  AllowAgentForwarding no',
    ),
  },
  { name: 'a10-match-group', main: lines('Match Group @G@', '  X11Forwarding yes', '  AllowTcpForwarding no') },
  {
    name: 'a11-match-group-negated',
    main: lines('Match Group !root,*', '  PermitTTY no', '  MaxSessions 1', 'Match Group root', '  MaxSessions 3'),
  },
  {
    name: 'a12-match-localport',
    main: lines('Port 22', 'Port 2222', 'Match LocalPort 2222', '  PasswordAuthentication no', '  PermitRootLogin no'),
  },
  {
    name: 'a13-match-host',
    main: lines(
      'Match Host *.example.com',
      '  Banner /etc/issue.net',
      'Match Host *.CORP.example',
      '  Banner /etc/issue',
    ),
  },
  {
    name: 'a14-match-all-at-end',
    main: lines('X11Forwarding yes', 'Match all', '  X11Forwarding no', '  PasswordAuthentication no'),
  },
  {
    name: 'a15-match-and',
    main: lines(
      'Match User *,!root Address 10.0.0.0/8,192.168.0.0/16',
      '  PasswordAuthentication no',
      '  AllowTcpForwarding remote',
    ),
  },
  {
    name: 'a16-first-matching-block-wins',
    main: lines(
      'X11Forwarding no',
      'Match Address 10.0.0.0/8',
      '  X11Forwarding no',
      'Match User root',
      '  X11Forwarding yes',
      '  GatewayPorts yes',
      'Match All',
      '  GatewayPorts clientspecified',
    ),
  },
  {
    name: 'a17-include-inside-match',
    main: lines('Match User root', '  Include @D@/root.conf', 'Match User @U@', '  MaxSessions 5'),
    files: { 'root.conf': 'PermitRootLogin yes\nMaxSessions 2\n' },
  },
  {
    name: 'a18-match-in-included-file-ends-with-file',
    main: lines('Include @D@/inc.conf', 'X11Forwarding yes'),
    files: { 'inc.conf': 'Match User @U@\nPasswordAuthentication no\n' },
  },
  {
    name: 'a19-match-in-include-inside-match',
    main: lines('Match Address 10.0.0.0/8,192.168.0.0/16', '  Include @D@/inner.conf', '  MaxAuthTries 4'),
    files: {
      'inner.conf': 'ClientAliveInterval 60\nMatch User root\n  PermitRootLogin no\nMatch All\n  MaxSessions 6\n',
    },
  },
  {
    name: 'a20-algorithms-plus',
    main: lines(
      'Ciphers +aes128-cbc',
      'MACs +hmac-sha1-96',
      'KexAlgorithms +diffie-hellman-group14-sha1',
      'HostKeyAlgorithms +ssh-rsa',
    ),
  },
  {
    name: 'a21-algorithms-minus-wildcards',
    main: lines(
      'Ciphers -*cbc,aes128*',
      'MACs -*sha1*,umac-64*',
      'KexAlgorithms -ecdh-*,diffie-hellman-group14-sha256',
      'PubkeyAcceptedAlgorithms -*nistp*,ssh-rsa*',
    ),
  },
  {
    name: 'a22-algorithms-caret',
    main: lines(
      'Ciphers ^aes256-gcm@openssh.com',
      'HostKeyAlgorithms ^ssh-ed25519',
      'PubkeyAcceptedAlgorithms ^rsa-sha2-512,ssh-rsa',
      'MACs ^hmac-sha2-512-etm@openssh.com',
    ),
  },
  {
    name: 'a23-algorithms-explicit',
    main: lines(
      'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr',
      'MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
      'KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512',
      'HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
      'PubkeyAcceptedAlgorithms ssh-ed25519*,rsa-sha2-*',
      'CASignatureAlgorithms ssh-ed25519,rsa-sha2-512',
    ),
  },
  {
    name: 'a24-algorithms-in-match',
    main: lines(
      'PubkeyAcceptedAlgorithms +ssh-rsa',
      'Match User root',
      '  PubkeyAcceptedAlgorithms -ssh-rsa*,rsa-sha2-256',
      'Match Address 192.168.0.0/16',
      '  PubkeyAcceptedAlgorithms ssh-ed25519',
      '  HostbasedAcceptedAlgorithms ^ssh-rsa',
    ),
  },
  {
    name: 'a25-time-values',
    main: lines('LoginGraceTime 1h30m', 'ClientAliveInterval 2m', 'Match User @U@', '  ClientAliveInterval 1w'),
  },
  {
    name: 'a26-time-zero-and-units',
    main: lines(
      'LoginGraceTime 0',
      'ClientAliveInterval 45S',
      'Match Address 10.0.0.0/8',
      '  ClientAliveInterval 1d2h3M4s',
    ),
  },
  {
    name: 'a27-case-quote-equals',
    main: lines(
      'passwordAUTHENTICATION=NO # comment',
      'MaxAuthTries = 4',
      'x11forwarding "yes"',
      'LogLevel verbose',
      'PermitRootLogin Prohibit-Password',
      'maxsessions=7',
      'KBDINTERACTIVEAUTHENTICATION   No\t# trailing',
      '   PubkeyAuthentication\tYES',
      'Banner "/etc/issue.net"',
    ),
  },
  {
    name: 'a28-aliases',
    main: lines(
      'ChallengeResponseAuthentication no',
      'PubkeyAcceptedKeyTypes +ssh-rsa',
      'HostbasedAcceptedKeyTypes -ssh-rsa*',
      'DSAAuthentication no',
      'KeepAlive no',
      'HostDSAKey @D@/../hk2',
    ),
  },
  {
    name: 'a29-accumulating',
    main: lines(
      'Port 22',
      'Port 2222',
      'HostKey @D@/../hk2',
      'AllowUsers alice bob',
      'AllowUsers root',
      'DenyUsers mallory@10.0.0.0/8 eve',
      'AllowGroups wheel @G@',
      'AllowGroups root',
      'DenyGroups nogroup',
      'AcceptEnv LANG',
      'AcceptEnv LC_* TZ',
      'Subsystem sftp internal-sftp -l INFO',
      'Subsystem other /bin/true',
    ),
  },
  {
    name: 'a30-allowusers-match-replaces',
    main: lines(
      'AllowUsers alice root',
      'DenyGroups nogroup',
      'Match User root',
      '  AllowUsers root@10.0.0.0/8',
      '  DenyGroups wheel',
    ),
  },
  {
    name: 'a31-allowusers-matches-accumulate',
    main: lines(
      'AllowUsers global',
      'Match Address 10.0.0.0/8,192.168.0.0/16',
      '  AllowUsers a1',
      'Match User *',
      '  AllowUsers a2 a3',
      '  DenyUsers d1',
    ),
  },
  { name: 'a32-maxstartups-last-wins', main: lines('MaxStartups 5:50:20', 'MaxStartups 8') },
  { name: 'a33-maxstartups-single', main: 'MaxStartups 3' },
  {
    name: 'a34-authentication-methods',
    main: lines(
      'AuthenticationMethods publickey,password publickey,keyboard-interactive:pam',
      'AuthenticationMethods publickey',
      'Match User root',
      '  AuthenticationMethods publickey',
    ),
  },
  { name: 'a35-banner-match-none', main: lines('Banner /etc/issue.net', 'Match Address 10.0.0.0/8', '  Banner none') },
  {
    name: 'a36-deprecated-accepted',
    main: lines(
      'UsePrivilegeSeparation sandbox',
      'UseLogin no',
      'RSAAuthentication yes',
      'Protocol 2',
      'RhostsRSAAuthentication no',
      'PasswordAuthentication no',
    ),
  },
  {
    name: 'a37-gssapi-kerberos',
    main: lines(
      'GSSAPIAuthentication yes',
      'KerberosAuthentication yes',
      'GSSAPICleanupCredentials no',
      'Match Address 10.0.0.0/8',
      '  GSSAPIAuthentication no',
      '  KerberosAuthentication no',
    ),
  },
  {
    name: 'a38-multistate',
    main: lines(
      'DisableForwarding yes',
      'PermitTunnel point-to-point',
      'GatewayPorts clientspecified',
      'AllowTcpForwarding local',
      'IgnoreRhosts shosts-only',
      'Match User @U@',
      '  PermitTunnel ethernet',
      '  AllowTcpForwarding all',
    ),
  },
  {
    name: 'a39-misc-flags',
    main: lines(
      'PermitUserEnvironment LANG,LC_*',
      'PermitEmptyPasswords yes',
      'IgnoreUserKnownHosts yes',
      'X11UseLocalhost no',
      'StrictModes no',
      'RequiredRSASize 2048',
      'UsePAM yes',
      'Compression no',
      'TCPKeepAlive no',
    ),
  },
  {
    name: 'a40-ipv6-match',
    main: lines(
      'Match Address 2001:db8::/32',
      '  PasswordAuthentication no',
      'Match LocalAddress ::1',
      '  MaxAuthTries 1',
      'Match Address ::ffff:0:0/96',
      '  MaxAuthTries 9',
    ),
  },
  {
    name: 'a41-localaddress-localport',
    main: lines(
      'Match LocalAddress 10.0.0.0/8',
      '  X11Forwarding yes',
      'Match LocalPort 22',
      '  AllowAgentForwarding no',
    ),
  },
  {
    name: 'a42-user-wildcards',
    main: lines('Match User ro?t,hwt*', '  MaxAuthTries 2', 'Match User nosuch*', '  PasswordAuthentication no'),
  },
  { name: 'a43-host-negation', main: lines('Match Host !*.example.net,*', '  PermitEmptyPasswords yes') },
  {
    name: 'a44-include-multiple-args',
    main: lines('Include @D@/b.conf @D@/a.conf', 'Include @D@/a.conf'),
    files: { 'a.conf': 'LoginGraceTime 11\nAllowUsers from-a\n', 'b.conf': 'LoginGraceTime 22\nAllowUsers from-b\n' },
  },
  {
    name: 'a45-nested-includes',
    main: lines('Include @D@/l1.conf', 'MaxSessions 9'),
    files: {
      'l1.conf': 'Include @D@/l2/*.conf\nMaxAuthTries 7\n',
      'l2/x.conf': 'Include @D@/l3.conf\nPermitRootLogin forced-commands-only\n',
      'l3.conf': 'MaxSessions 3\nMatch User root\n  MaxAuthTries 1\n',
    },
  },
  {
    name: 'a46-match-all-global-only',
    main: lines('Match all', 'Port 2200', 'Ciphers aes256-ctr', 'PasswordAuthentication no'),
  },
  {
    name: 'a47-kbd-in-match',
    main: lines(
      'UsePAM yes',
      'KbdInteractiveAuthentication no',
      'Match User @U@',
      '  ChallengeResponseAuthentication yes',
      'Match Address 203.0.113.0/24',
      '  KbdInteractiveAuthentication yes',
    ),
  },
  {
    name: 'a48-match-int-settings',
    main: lines(
      'Match User root',
      '  RequiredRSASize 3072',
      '  MaxSessions 1',
      '  LogLevel DEBUG1',
      '  ClientAliveCountMax 5',
      'Match User @U@',
      '  LogLevel quiet',
    ),
  },
  {
    name: 'a49-comments-blank',
    main: lines(
      '# comment',
      '',
      '   # indented comment',
      '\t',
      'PasswordAuthentication no\r',
      'MaxAuthTries 2 # trailing',
    ),
  },
  {
    name: 'a50-forcecommand-chroot',
    main: lines(
      'ForceCommand /usr/bin/true',
      'ChrootDirectory /srv/%u',
      'Match User root',
      '  ForceCommand none',
      '  ChrootDirectory none',
      '  PermitOpen localhost:80 127.0.0.1:443',
      '  PermitListen 8080',
    ),
  },
  {
    name: 'a51-setenv-accept',
    main: lines('SetEnv A=1 B=2 A=3', 'SetEnv C=4', 'Match User @U@', '  SetEnv D=5', '  AcceptEnv X Y'),
  },
  {
    name: 'a52-listenaddress',
    main: lines('Port 2022', 'ListenAddress 127.0.0.1', 'ListenAddress [::1]:2200', 'ListenAddress 10.0.0.1:23'),
  },
  { name: 'a53-addressfamily', main: lines('AddressFamily inet', 'Port 22', 'Port 23') },
  {
    name: 'a54-password-unset-kbd-match-address',
    main: lines(
      'PasswordAuthentication no',
      'Match Address 10.0.0.0/8',
      '  PasswordAuthentication yes',
      'Match Address 10.1.0.0/16',
      '  PasswordAuthentication no',
    ),
  },
  {
    name: 'a55-match-equals-quotes',
    main: lines(
      'Match User=root',
      '  MaxAuthTries 2 # two',
      'Match User "hwt*,nosuch*" Address=192.168.0.0/16',
      '  MaxAuthTries 3',
      'Match Host *.example.com # trailing comment',
      '  MaxAuthTries 4',
    ),
  },
  {
    name: 'a56-duplicates-in-block',
    main: lines(
      'Match User root',
      '  PermitRootLogin no',
      '  PermitRootLogin yes',
      'Match User root',
      '  PermitRootLogin without-password',
    ),
  },
  {
    name: 'a57-match-all-first-value',
    main: lines('Match all', 'MaxStartups 4:10:8', 'Ciphers aes256-ctr', 'Match User root', '  X11Forwarding yes'),
  },
  {
    name: 'a58-misc-printing',
    main: lines(
      'IPQoS AF21 cs1',
      'RekeyLimit 1G 1h',
      'StreamLocalBindMask 022',
      'PubkeyAuthOptions verify-required touch-required',
      'Match User root',
      '  IPQoS lowdelay',
      '  StreamLocalBindMask 0077',
    ),
  },
  {
    name: 'a59-paths',
    main: lines(
      'Banner ~/banner.txt',
      'AuthorizedKeysFile ~/.ssh/keys %h/.ssh/authorized_keys /etc/ssh/keys/%u',
      'Match User @U@',
      '  AuthorizedKeysFile none',
    ),
  },
  { name: 'a60-listen-v6-bare', main: lines('ListenAddress ::', 'ListenAddress 0.0.0.0', 'Port 2200') },
  { name: 'a61-setenv-quoted', main: lines('SetEnv "A=b c" D=e', 'Match User root', '  SetEnv R=1 R=2') },
  {
    name: 'a62-denyusers-host-patterns',
    main: lines('DenyUsers *@203.0.113.0/24 root@*.example.net', 'AllowUsers *@10.0.0.0/8,192.168.0.0/16 hwt*'),
  },
  {
    name: 'a63-clientalive-match',
    main: lines(
      'ClientAliveInterval 300',
      'ClientAliveCountMax 3',
      'Match Address 10.0.0.0/8',
      '  ClientAliveCountMax 0',
      '  LogLevel DEBUG3',
    ),
  },
  { name: 'a64-rekey-single', main: lines('RekeyLimit 500M', 'PermitListen 8080 localhost:9000') },
];

/** Configurations the real sshd refuses; the parser must report a fatal problem for each. */
export const REJECTED: CorpusConfig[] = [
  { name: 'r01-unknown-keyword', main: 'NoSuchKeyword yes' },
  { name: 'r02-port-in-match', main: lines('Match User root', 'Port 2222') },
  { name: 'r03-ciphers-in-match', main: lines('Match Address 10.0.0.0/8', 'Ciphers aes128-ctr') },
  { name: 'r04-cipher-case', main: 'Ciphers AES128-CTR' },
  { name: 'r05-permittunnel-case', main: 'PermitTunnel Yes' },
  { name: 'r06-extra-args', main: 'X11Forwarding yes please' },
  { name: 'r07-bad-match-attribute', main: lines('Match foo bar', 'X11Forwarding yes') },
  { name: 'r08-bad-cidr', main: lines('Match Address 10.0.0.1/8', 'X11Forwarding yes') },
  { name: 'r09-include-loop', main: 'Include @D@/loop.conf', files: { 'loop.conf': 'Include @D@/loop.conf\n' } },
  { name: 'r10-no-argument', main: 'PasswordAuthentication' },
  { name: 'r11-bad-int', main: 'MaxAuthTries abc' },
  { name: 'r12-bad-time', main: 'LoginGraceTime 5x' },
  { name: 'r13-open-quote', main: 'Banner "/etc/issue' },
  { name: 'r14-all-combined', main: lines('Match all User bob', 'X11Forwarding yes') },
  { name: 'r15-any-not-alone', main: 'AuthenticationMethods publickey any' },
  { name: 'r16-subsystem-twice', main: lines('Subsystem sftp /a', 'Subsystem sftp /b') },
  { name: 'r17-garbage', main: '\u00ff\u00fe\u0001garbage \u0002\u0003' },
  { name: 'r18-maxstartups-two-fields', main: 'MaxStartups 10:30' },
  { name: 'r19-bad-allowusers-cidr', main: 'AllowUsers c@10.0.0.1/8' },
  {
    name: 'r20-global-only-in-included-match',
    main: lines('Match User root', '  Include @D@/g.conf'),
    files: { 'g.conf': 'MaxStartups 5\n' },
  },
  { name: 'r21-bad-flag', main: 'PasswordAuthentication maybe' },
  { name: 'r22-bad-algorithm', main: 'KexAlgorithms +no-such-kex' },
  { name: 'r23-bad-port', main: 'Port 70000' },
  { name: 'r24-match-missing-arg', main: lines('Match User', 'X11Forwarding yes') },
  { name: 'r25-loglevel', main: 'LogLevel LOUD' },
  { name: 'r26-dsaauthentication-in-match', main: lines('Match User root', 'DSAAuthentication no') },
];
