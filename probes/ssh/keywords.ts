/**
 * sshd_config keyword data for OpenSSH 9.2p1 as built by Debian 12 (servconf.c keyword table plus the Debian
 * GSSAPI patch), and `sshd -T` defaults captured from the real binary. Other versions are approximated through
 * DEFAULT_CHANGES and KEYWORD_VERSIONS; only 9.2 is exact.
 */

/** How a keyword's argument is read. */
export type ValueKind =
  | 'flag' // yes/no, any case
  | 'int' // 0..INT_MAX, strtonum
  | 'time' // convtime: 90, 2m, 1h30m
  | 'enum' // fixed words, see ENUMS
  | 'algorithms' // comma list with + - ^ against the defaults
  | 'path' // one file name
  | 'string' // one word, kept as written
  | 'list' // several words on one line
  | 'special'; // parsed by its own rule in effective.ts

/**
 * How several lines combine, as servconf.c does it:
 * first      the first obtained value wins (most options);
 * last       every line overwrites (MaxStartups, IPQoS, FingerprintHash, StreamLocalBindMask, PerSource*);
 * accumulate every line adds its words (AllowUsers, AcceptEnv, Port, HostKey, Subsystem, ListenAddress);
 * firstLine  the words of the first line only (AuthenticationMethods, AuthorizedKeysFile, SetEnv, PermitOpen).
 */
export type Combine = 'first' | 'last' | 'accumulate' | 'firstLine';

export type KeywordStatus = 'ok' | 'deprecated' | 'unsupported' | 'ignored';

export type AlgorithmClass = 'cipher' | 'mac' | 'kex' | 'key' | 'sig';

export interface KeywordInfo {
  /** Canonical lower-case name, as `sshd -T` prints it. */
  name: string;
  kind: ValueKind;
  /** Allowed inside a Match block. */
  inMatch: boolean;
  combine: Combine;
  status: KeywordStatus;
  /** Printed by `sshd -T` (Debian 9.2). */
  printed: boolean;
  /** How `sshd -T` prints the values: one line per value, or all values on one line. */
  lines: 'one' | 'each';
  algorithms?: AlgorithmClass;
  /** Debian patch keyword (absent upstream). */
  debian?: boolean;
}

interface Row {
  n: string;
  k: ValueKind;
  m?: boolean;
  c?: Combine;
  s?: KeywordStatus;
  p?: boolean;
  each?: boolean;
  a?: AlgorithmClass;
  deb?: boolean;
}

// m: allowed in Match; p: printed by sshd -T (default true for status ok).
const ROWS: Row[] = [
  { n: 'usepam', k: 'flag' },
  { n: 'pamauthenticationviakbdint', k: 'string', s: 'deprecated' },
  { n: 'port', k: 'special', c: 'accumulate', each: true },
  { n: 'hostkey', k: 'path', c: 'accumulate', each: true },
  { n: 'hostkeyagent', k: 'path' },
  { n: 'pidfile', k: 'path' },
  { n: 'modulifile', k: 'path' },
  { n: 'serverkeybits', k: 'string', s: 'deprecated' },
  { n: 'logingracetime', k: 'time' },
  { n: 'keyregenerationinterval', k: 'string', s: 'deprecated' },
  { n: 'permitrootlogin', k: 'enum', m: true },
  { n: 'syslogfacility', k: 'enum' },
  { n: 'loglevel', k: 'enum', m: true },
  { n: 'logverbose', k: 'list', m: true, c: 'firstLine', p: false },
  { n: 'rhostsauthentication', k: 'string', s: 'deprecated' },
  { n: 'rhostsrsaauthentication', k: 'string', s: 'deprecated', m: true },
  { n: 'hostbasedauthentication', k: 'flag', m: true },
  { n: 'hostbasedusesnamefrompacketonly', k: 'flag', m: true },
  { n: 'hostbasedacceptedalgorithms', k: 'algorithms', m: true, a: 'key' },
  { n: 'hostkeyalgorithms', k: 'algorithms', a: 'key' },
  { n: 'rsaauthentication', k: 'string', s: 'deprecated', m: true },
  { n: 'pubkeyauthentication', k: 'flag', m: true },
  { n: 'pubkeyacceptedalgorithms', k: 'algorithms', m: true, a: 'key' },
  { n: 'pubkeyauthoptions', k: 'special', m: true },
  { n: 'kerberosauthentication', k: 'flag', m: true },
  { n: 'kerberosorlocalpasswd', k: 'flag' },
  { n: 'kerberosticketcleanup', k: 'flag' },
  { n: 'kerberosgetafstoken', k: 'string', s: 'unsupported' },
  { n: 'kerberostgtpassing', k: 'string', s: 'unsupported' },
  { n: 'afstokenpassing', k: 'string', s: 'unsupported' },
  { n: 'gssapiauthentication', k: 'flag', m: true },
  { n: 'gssapicleanupcredentials', k: 'flag' },
  { n: 'gssapistrictacceptorcheck', k: 'flag' },
  { n: 'gssapikeyexchange', k: 'flag', deb: true },
  { n: 'gssapistorecredentialsonrekey', k: 'flag', deb: true },
  { n: 'gssapikexalgorithms', k: 'string', deb: true },
  { n: 'gssapiusesessioncredcache', k: 'string', s: 'unsupported', deb: true },
  { n: 'gssusesessionccache', k: 'string', s: 'unsupported', deb: true },
  { n: 'passwordauthentication', k: 'flag', m: true },
  { n: 'kbdinteractiveauthentication', k: 'flag', m: true },
  { n: 'checkmail', k: 'string', s: 'deprecated' },
  { n: 'listenaddress', k: 'special', c: 'accumulate', each: true },
  { n: 'addressfamily', k: 'enum' },
  { n: 'printmotd', k: 'flag' },
  { n: 'printlastlog', k: 'flag' },
  { n: 'ignorerhosts', k: 'enum', m: true },
  { n: 'ignoreuserknownhosts', k: 'flag' },
  { n: 'x11forwarding', k: 'flag', m: true },
  { n: 'x11displayoffset', k: 'int', m: true },
  { n: 'x11uselocalhost', k: 'flag', m: true },
  { n: 'xauthlocation', k: 'path' },
  { n: 'strictmodes', k: 'flag' },
  { n: 'permitemptypasswords', k: 'flag', m: true },
  { n: 'permituserenvironment', k: 'special' },
  { n: 'uselogin', k: 'string', s: 'deprecated' },
  { n: 'compression', k: 'enum' },
  { n: 'rekeylimit', k: 'special', m: true },
  { n: 'tcpkeepalive', k: 'flag' },
  { n: 'allowtcpforwarding', k: 'enum', m: true },
  { n: 'allowagentforwarding', k: 'flag', m: true },
  { n: 'allowusers', k: 'list', m: true, c: 'accumulate', each: true },
  { n: 'denyusers', k: 'list', m: true, c: 'accumulate', each: true },
  { n: 'allowgroups', k: 'list', m: true, c: 'accumulate', each: true },
  { n: 'denygroups', k: 'list', m: true, c: 'accumulate', each: true },
  { n: 'ciphers', k: 'algorithms', a: 'cipher' },
  { n: 'macs', k: 'algorithms', a: 'mac' },
  { n: 'protocol', k: 'string', s: 'ignored' },
  { n: 'gatewayports', k: 'enum', m: true },
  { n: 'subsystem', k: 'special', c: 'accumulate', each: true },
  { n: 'maxstartups', k: 'special', c: 'last' },
  { n: 'persourcemaxstartups', k: 'special', c: 'last' },
  { n: 'persourcenetblocksize', k: 'special', c: 'last' },
  { n: 'maxauthtries', k: 'int', m: true },
  { n: 'maxsessions', k: 'int', m: true },
  { n: 'banner', k: 'path', m: true },
  { n: 'usedns', k: 'flag' },
  { n: 'verifyreversemapping', k: 'string', s: 'deprecated' },
  { n: 'reversemappingcheck', k: 'string', s: 'deprecated' },
  { n: 'clientaliveinterval', k: 'time', m: true },
  { n: 'clientalivecountmax', k: 'int', m: true },
  { n: 'authorizedkeysfile', k: 'list', m: true, c: 'firstLine' },
  { n: 'authorizedkeysfile2', k: 'string', s: 'deprecated', m: true },
  { n: 'useprivilegeseparation', k: 'string', s: 'deprecated' },
  { n: 'acceptenv', k: 'list', m: true, c: 'accumulate', each: true },
  { n: 'setenv', k: 'list', m: true, c: 'firstLine', each: true },
  { n: 'permittunnel', k: 'enum', m: true },
  { n: 'permittty', k: 'flag', m: true },
  { n: 'permituserrc', k: 'flag', m: true },
  { n: 'match', k: 'special', m: true, p: false },
  { n: 'permitopen', k: 'list', m: true, c: 'firstLine' },
  { n: 'permitlisten', k: 'list', m: true, c: 'firstLine' },
  { n: 'forcecommand', k: 'special', m: true },
  { n: 'chrootdirectory', k: 'path', m: true },
  { n: 'hostcertificate', k: 'path', c: 'accumulate', each: true },
  { n: 'revokedkeys', k: 'path', m: true },
  { n: 'trustedusercakeys', k: 'path', m: true },
  { n: 'authorizedprincipalsfile', k: 'path', m: true },
  { n: 'kexalgorithms', k: 'algorithms', a: 'kex' },
  { n: 'include', k: 'special', m: true, p: false },
  { n: 'ipqos', k: 'special', m: true, c: 'last' },
  { n: 'authorizedkeyscommand', k: 'special', m: true },
  { n: 'authorizedkeyscommanduser', k: 'string', m: true },
  { n: 'authorizedprincipalscommand', k: 'special', m: true },
  { n: 'authorizedprincipalscommanduser', k: 'string', m: true },
  { n: 'versionaddendum', k: 'special' },
  { n: 'authenticationmethods', k: 'list', m: true, c: 'firstLine' },
  { n: 'streamlocalbindmask', k: 'special', m: true, c: 'last' },
  { n: 'streamlocalbindunlink', k: 'flag', m: true },
  { n: 'allowstreamlocalforwarding', k: 'enum', m: true },
  { n: 'fingerprinthash', k: 'enum', c: 'last' },
  { n: 'disableforwarding', k: 'flag', m: true },
  { n: 'exposeauthinfo', k: 'flag', m: true },
  { n: 'rdomain', k: 'string', m: true, p: false },
  { n: 'casignaturealgorithms', k: 'algorithms', m: true, a: 'sig' },
  { n: 'securitykeyprovider', k: 'path' },
  { n: 'requiredrsasize', k: 'int', m: true },
  { n: 'channeltimeout', k: 'list', m: true, c: 'firstLine', p: false },
  { n: 'unusedconnectiontimeout', k: 'special', m: true },
  // Debian patches
  { n: 'debianbanner', k: 'flag', p: false, deb: true },
  { n: 'permitblacklistedkeys', k: 'string', s: 'deprecated', deb: true },
];

export const KEYWORDS: ReadonlyMap<string, KeywordInfo> = new Map(
  ROWS.map((r) => {
    const status = r.s ?? 'ok';
    const info: KeywordInfo = {
      name: r.n,
      kind: r.k,
      inMatch: r.m ?? false,
      combine: r.c ?? 'first',
      status,
      printed: r.p ?? status === 'ok',
      lines: r.each ? 'each' : 'one',
    };
    if (r.a) info.algorithms = r.a;
    if (r.deb) info.debian = true;
    return [r.n, info] as const;
  }),
);

/**
 * Other spellings servconf.c accepts. An alias has its own Match permission: DSAAuthentication is global only
 * although PubkeyAuthentication is allowed in Match.
 */
export const ALIASES: ReadonlyMap<string, { canonical: string; inMatch: boolean }> = new Map([
  ['hostdsakey', { canonical: 'hostkey', inMatch: false }],
  ['hostbasedacceptedkeytypes', { canonical: 'hostbasedacceptedalgorithms', inMatch: true }],
  ['pubkeyacceptedkeytypes', { canonical: 'pubkeyacceptedalgorithms', inMatch: true }],
  ['dsaauthentication', { canonical: 'pubkeyauthentication', inMatch: false }],
  ['challengeresponseauthentication', { canonical: 'kbdinteractiveauthentication', inMatch: true }],
  ['skeyauthentication', { canonical: 'kbdinteractiveauthentication', inMatch: true }],
  ['keepalive', { canonical: 'tcpkeepalive', inMatch: false }],
  ['gssapicleanupcreds', { canonical: 'gssapicleanupcredentials', inMatch: false }],
]);

export interface KeywordLookup {
  info: KeywordInfo;
  /** Whether this spelling is allowed in Match. */
  inMatch: boolean;
  alias: boolean;
}

/** Look a keyword up case-insensitively; undefined for an unknown keyword (fatal in sshd). */
export function lookupKeyword(word: string): KeywordLookup | undefined {
  const w = word.toLowerCase();
  const direct = KEYWORDS.get(w);
  if (direct) return { info: direct, inMatch: direct.inMatch, alias: false };
  const a = ALIASES.get(w);
  const info = a ? KEYWORDS.get(a.canonical) : undefined;
  return a && info ? { info, inMatch: a.inMatch, alias: true } : undefined;
}

/** Words accepted by enum keywords (lower-case input -> what sshd -T prints). */
export const ENUMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  permitrootlogin: {
    'without-password': 'without-password',
    'prohibit-password': 'without-password',
    'forced-commands-only': 'forced-commands-only',
    yes: 'yes',
    no: 'no',
  },
  ignorerhosts: { yes: 'yes', no: 'no', 'shosts-only': 'shosts-only' },
  addressfamily: { inet: 'inet', inet6: 'inet6', any: 'any' },
  compression: { yes: 'yes', delayed: 'yes', no: 'no' },
  gatewayports: { clientspecified: 'clientspecified', yes: 'yes', no: 'no' },
  allowtcpforwarding: { yes: 'yes', all: 'yes', no: 'no', remote: 'remote', local: 'local' },
  allowstreamlocalforwarding: { yes: 'yes', all: 'yes', no: 'no', remote: 'remote', local: 'local' },
  loglevel: {
    quiet: 'SILENT', // Debian's syslog-level-silent patch prints QUIET as SILENT and accepts it
    silent: 'SILENT',
    fatal: 'FATAL',
    error: 'ERROR',
    info: 'INFO',
    verbose: 'VERBOSE',
    debug: 'DEBUG',
    debug1: 'DEBUG',
    debug2: 'DEBUG2',
    debug3: 'DEBUG3',
  },
  syslogfacility: Object.fromEntries(
    [
      'DAEMON',
      'USER',
      'AUTH',
      'AUTHPRIV',
      'LOCAL0',
      'LOCAL1',
      'LOCAL2',
      'LOCAL3',
      'LOCAL4',
      'LOCAL5',
      'LOCAL6',
      'LOCAL7',
    ].map((f) => [f.toLowerCase(), f]),
  ),
  fingerprinthash: { md5: 'MD5', sha256: 'SHA256' },
};

/** PermitTunnel is compared with strcmp: `Yes` is fatal. */
export const PERMIT_TUNNEL_VALUES: readonly string[] = ['no', 'point-to-point', 'ethernet', 'yes'];

/** Match criteria known to 9.2 (Invalid-User came in 9.9, Version in 10.0). */
export const MATCH_CRITERIA_9_2: readonly string[] = [
  'all',
  'user',
  'group',
  'host',
  'address',
  'localaddress',
  'localport',
  'rdomain',
];

/** Every algorithm this build supports (`ssh -Q cipher|mac|kex|key-sig` on Debian 12), in table order. */
export const SUPPORTED_ALGORITHMS: Readonly<Record<AlgorithmClass, readonly string[]>> = {
  cipher: [
    '3des-cbc',
    'aes128-cbc',
    'aes192-cbc',
    'aes256-cbc',
    'aes128-ctr',
    'aes192-ctr',
    'aes256-ctr',
    'aes128-gcm@openssh.com',
    'aes256-gcm@openssh.com',
    'chacha20-poly1305@openssh.com',
  ],
  mac: [
    'hmac-sha1',
    'hmac-sha1-96',
    'hmac-sha2-256',
    'hmac-sha2-512',
    'hmac-md5',
    'hmac-md5-96',
    'umac-64@openssh.com',
    'umac-128@openssh.com',
    'hmac-sha1-etm@openssh.com',
    'hmac-sha1-96-etm@openssh.com',
    'hmac-sha2-256-etm@openssh.com',
    'hmac-sha2-512-etm@openssh.com',
    'hmac-md5-etm@openssh.com',
    'hmac-md5-96-etm@openssh.com',
    'umac-64-etm@openssh.com',
    'umac-128-etm@openssh.com',
  ],
  kex: [
    'diffie-hellman-group1-sha1',
    'diffie-hellman-group14-sha1',
    'diffie-hellman-group14-sha256',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group-exchange-sha1',
    'diffie-hellman-group-exchange-sha256',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'sntrup761x25519-sha512',
    'sntrup761x25519-sha512@openssh.com',
  ],
  key: [
    'ssh-ed25519',
    'ssh-ed25519-cert-v01@openssh.com',
    'sk-ssh-ed25519@openssh.com',
    'sk-ssh-ed25519-cert-v01@openssh.com',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp256-cert-v01@openssh.com',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp384-cert-v01@openssh.com',
    'ecdsa-sha2-nistp521',
    'ecdsa-sha2-nistp521-cert-v01@openssh.com',
    'sk-ecdsa-sha2-nistp256@openssh.com',
    'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
    'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
    'ssh-dss',
    'ssh-dss-cert-v01@openssh.com',
    'ssh-rsa',
    'ssh-rsa-cert-v01@openssh.com',
    'rsa-sha2-256',
    'rsa-sha2-256-cert-v01@openssh.com',
    'rsa-sha2-512',
    'rsa-sha2-512-cert-v01@openssh.com',
  ],
  // Signature algorithms: the key list without certificates.
  sig: [
    'ssh-ed25519',
    'sk-ssh-ed25519@openssh.com',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'sk-ecdsa-sha2-nistp256@openssh.com',
    'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
    'ssh-dss',
    'ssh-rsa',
    'rsa-sha2-256',
    'rsa-sha2-512',
  ],
};

const KEY_DEFAULT_9_2 =
  'ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256';

/**
 * `sshd -T -f <file with one HostKey line>` on Debian 12 (9.2p1), values as printed. port, listenaddress and
 * hostkey are derived (see effective.ts); keywords sshd -T does not print have their internal default.
 */
export const DEFAULTS_9_2: Readonly<Record<string, readonly string[]>> = {
  port: ['22'],
  addressfamily: ['any'],
  usepam: ['no'],
  logingracetime: ['120'],
  x11displayoffset: ['10'],
  maxauthtries: ['6'],
  maxsessions: ['10'],
  clientaliveinterval: ['0'],
  clientalivecountmax: ['3'],
  requiredrsasize: ['1024'],
  streamlocalbindmask: ['0177'],
  unusedconnectiontimeout: ['none'],
  permitrootlogin: ['without-password'],
  ignorerhosts: ['yes'],
  ignoreuserknownhosts: ['no'],
  hostbasedauthentication: ['no'],
  hostbasedusesnamefrompacketonly: ['no'],
  pubkeyauthentication: ['yes'],
  kerberosauthentication: ['no'],
  kerberosorlocalpasswd: ['yes'],
  kerberosticketcleanup: ['yes'],
  gssapiauthentication: ['no'],
  gssapicleanupcredentials: ['yes'],
  gssapikeyexchange: ['no'],
  gssapistrictacceptorcheck: ['yes'],
  gssapistorecredentialsonrekey: ['no'],
  gssapikexalgorithms: [
    'gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-',
  ],
  passwordauthentication: ['yes'],
  kbdinteractiveauthentication: ['yes'],
  printmotd: ['yes'],
  printlastlog: ['yes'],
  x11forwarding: ['no'],
  x11uselocalhost: ['yes'],
  permittty: ['yes'],
  permituserrc: ['yes'],
  strictmodes: ['yes'],
  tcpkeepalive: ['yes'],
  permitemptypasswords: ['no'],
  compression: ['yes'],
  gatewayports: ['no'],
  usedns: ['no'],
  allowtcpforwarding: ['yes'],
  allowagentforwarding: ['yes'],
  disableforwarding: ['no'],
  allowstreamlocalforwarding: ['yes'],
  streamlocalbindunlink: ['no'],
  fingerprinthash: ['SHA256'],
  exposeauthinfo: ['no'],
  pidfile: ['/run/sshd.pid'],
  modulifile: ['/etc/ssh/moduli'],
  xauthlocation: ['/usr/bin/xauth'],
  ciphers: [
    'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com',
  ],
  macs: [
    'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1',
  ],
  banner: ['none'],
  forcecommand: ['none'],
  chrootdirectory: ['none'],
  trustedusercakeys: ['none'],
  revokedkeys: ['none'],
  securitykeyprovider: ['internal'],
  authorizedprincipalsfile: ['none'],
  versionaddendum: ['none'],
  authorizedkeyscommand: ['none'],
  authorizedkeyscommanduser: ['none'],
  authorizedprincipalscommand: ['none'],
  authorizedprincipalscommanduser: ['none'],
  hostkeyagent: ['none'],
  kexalgorithms: [
    'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
  ],
  casignaturealgorithms: [
    'ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256',
  ],
  hostbasedacceptedalgorithms: [KEY_DEFAULT_9_2],
  hostkeyalgorithms: [KEY_DEFAULT_9_2],
  pubkeyacceptedalgorithms: [KEY_DEFAULT_9_2],
  loglevel: ['INFO'],
  syslogfacility: ['AUTH'],
  authorizedkeysfile: ['.ssh/authorized_keys .ssh/authorized_keys2'],
  hostkey: ['/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_ed25519_key'],
  authenticationmethods: ['any'],
  maxstartups: ['10:30:100'],
  persourcemaxstartups: ['none'],
  persourcenetblocksize: ['32:128'],
  permittunnel: ['no'],
  ipqos: ['lowdelay throughput'],
  rekeylimit: ['0 0'],
  permitopen: ['any'],
  permitlisten: ['any'],
  permituserenvironment: ['no'],
  pubkeyauthoptions: ['none'],
  // Not printed by sshd -T; internal defaults.
  debianbanner: ['yes'],
  channeltimeout: ['none'],
  logverbose: [],
  allowusers: [],
  denyusers: [],
  allowgroups: [],
  denygroups: [],
  acceptenv: [],
  setenv: [],
  subsystem: [],
  hostcertificate: [],
};

export interface OpenSshVersionNumber {
  major: number;
  minor: number;
}

export interface DefaultChange {
  /** First version with `value`. */
  since: OpenSshVersionNumber;
  keyword: string;
  /** Default from `since` on; `before` is the default until then (used when going back past `since`). */
  value: readonly string[];
  before: readonly string[];
  note: string;
}

/** Defaults that differ by version (ssh.md "Version-dependent defaults"). 9.2 values are exact, others approximate. */
export const DEFAULT_CHANGES: readonly DefaultChange[] = [
  {
    since: { major: 7, minor: 0 },
    keyword: 'permitrootlogin',
    before: ['yes'],
    value: ['without-password'],
    note: 'PermitRootLogin default yes -> prohibit-password',
  },
  {
    since: { major: 8, minor: 7 },
    keyword: 'kbdinteractiveauthentication',
    before: ['yes'],
    value: ['yes'],
    note: 'ChallengeResponseAuthentication became an alias of KbdInteractiveAuthentication (allowed in Match)',
  },
  {
    since: { major: 9, minor: 0 },
    keyword: 'kexalgorithms',
    before: [
      'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,sntrup761x25519-sha512@openssh.com,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
    ],
    value: DEFAULTS_9_2['kexalgorithms'] ?? [],
    note: 'default KEX starts with sntrup761x25519-sha512@openssh.com (Debian 9.2 also lists the un-suffixed alias)',
  },
  {
    since: { major: 9, minor: 9 },
    keyword: 'kexalgorithms',
    before: DEFAULTS_9_2['kexalgorithms'] ?? [],
    value: [
      'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
    ],
    note: 'adds mlkem768x25519-sha256',
  },
  {
    since: { major: 10, minor: 0 },
    keyword: 'kexalgorithms',
    before: [],
    value: [
      'mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521',
    ],
    note: 'mlkem768x25519-sha256 first; finite-field DH dropped from the server default',
  },
  {
    since: { major: 10, minor: 1 },
    keyword: 'permitrootlogin',
    before: ['without-password'],
    value: ['prohibit-password'],
    note: 'sshd -T prints prohibit-password instead of without-password',
  },
];

/** Keywords that exist only in some versions (data for version notes; the parser accepts the 9.2 set). */
export const KEYWORD_VERSIONS: readonly {
  keyword: string;
  since?: OpenSshVersionNumber;
  removed?: OpenSshVersionNumber;
  note: string;
}[] = [
  { keyword: 'uselogin', removed: { major: 7, minor: 4 }, note: 'removed; deprecated warning only' },
  { keyword: 'useprivilegeseparation', removed: { major: 7, minor: 5 }, note: 'deprecated; always sandboxed' },
  { keyword: 'protocol', removed: { major: 7, minor: 6 }, note: 'SSH protocol 1 removed; ignored' },
  {
    keyword: 'challengeresponseauthentication',
    removed: { major: 8, minor: 7 },
    note: 'alias of kbdinteractiveauthentication',
  },
  { keyword: 'pamservicename', since: { major: 9, minor: 8 }, note: 'allowed in Match' },
  { keyword: 'persourcepenalties', since: { major: 9, minor: 8 }, note: 'new in 9.8' },
  { keyword: 'refuseconnection', since: { major: 9, minor: 9 }, note: 'allowed in Match' },
];

export function versionAtLeast(v: OpenSshVersionNumber, w: OpenSshVersionNumber): boolean {
  return v.major > w.major || (v.major === w.major && v.minor >= w.minor);
}

/** Default values of one keyword for a version (exact for 9.2; walks DEFAULT_CHANGES forward or back from 9.2). */
export function defaultFor(keyword: string, version: OpenSshVersionNumber): readonly string[] | undefined {
  const nine2 = { major: 9, minor: 2 };
  const changes = DEFAULT_CHANGES.filter((c) => c.keyword === keyword);
  let value = DEFAULTS_9_2[keyword];
  for (const c of changes) {
    if (!versionAtLeast(nine2, c.since) && versionAtLeast(version, c.since)) value = c.value;
  }
  for (const c of [...changes].reverse()) {
    if (versionAtLeast(nine2, c.since) && !versionAtLeast(version, c.since)) value = c.before;
  }
  return value;
}

/** How PermitRootLogin prohibit-password is printed by this version of sshd -T. */
export function prohibitPasswordSpelling(version: OpenSshVersionNumber): string {
  return versionAtLeast(version, { major: 10, minor: 1 }) ? 'prohibit-password' : 'without-password';
}
