/**
 * Facts of the ssh probe. Parsers and runners produce these; checks (checks/*.ts) turn them into verdicts.
 * Keywords are lower-case canonical names as `sshd -T` prints them; values are in `sshd -T`'s format
 * (times in seconds, enums lower-case, algorithm lists resolved), so the parser's view and sshd's own view
 * can be compared value for value.
 */
import type { Evidence, Failure } from '../../src/sdk.js';

export interface MatchCriterion {
  /** lower-case: user, group, host, address, localaddress, localport, rdomain, all, invalid-user, version */
  kind: string;
  /** The pattern list as written (comma-separated, may contain ! negations); '' for `all`. */
  patterns: string;
}

export interface MatchBlock {
  criteria: MatchCriterion[];
  file: string;
  line: number;
  text: string;
}

export interface Directive {
  /**
   * Canonical lower-case keyword (aliases resolved: challengeresponseauthentication -> kbdinteractiveauthentication).
   */
  keyword: string;
  /** Arguments after unquoting, as written (case preserved). */
  args: string[];
  file: string;
  line: number;
  /** The line as written, trimmed, for evidence. */
  text: string;
  /** The Match block this line is in, or null for the global section. */
  match: MatchBlock | null;
}

export interface ConfigProblem {
  file: string;
  line?: number;
  /** What kind of problem, so checks never compare messages. */
  kind?: 'deprecated' | 'unknown_keyword' | 'not_allowed_in_match' | 'bad_value' | 'include' | 'syntax' | 'limit';
  message: string;
  /** True when sshd would refuse to start with this configuration (unknown keyword, bad value, include loop). */
  fatal: boolean;
}

export interface ParsedConfig {
  mainFile: string;
  /** Every file read, in the order read (main file first, then includes as expanded). */
  files: string[];
  directives: Directive[];
  matchBlocks: MatchBlock[];
  problems: ConfigProblem[];
}

export type UserClass = 'root' | 'user' | 'invalid';

/** One connection as sshd -T -C describes it: who, from where, to which local address and port. */
export interface ConnectionContext {
  userClass: UserClass;
  user: string;
  /**
   * Group names of the user (primary and supplementary) from the host's /etc/passwd and /etc/group; [] for invalid
   * users.
   */
  groups: string[];
  host: string;
  addr: string;
  laddr: string;
  lport: number;
  /**
   * The routing domain (VRF) the connection arrived in; on Linux '' for a socket bound to no VRF device.
   * Undefined leaves it out of `sshd -T -C`, where Match RDomain then never matches.
   */
  rdomain?: string;
  /**
   * UseDNS yes and the client's reverse-resolved name is not known: `host` holds the address, and Match Host
   * blocks whose outcome depends on the name are undecided.
   */
  hostUnresolved?: boolean;
  /** For people: "root from 10.0.0.1". */
  label: string;
}

export interface Setting {
  /** One entry per value line sshd -T would print (Port 22 + Port 2222 -> ["22", "2222"]). */
  values: string[];
  /** Where the value that won was set; absent for defaults. */
  evidence?: Evidence[];
  source: 'sshd -T' | 'file' | 'default';
  /**
   * The Match line (file:line) whose outcome hostward cannot decide for this context and that would set this
   * keyword if it matched; checks reading the keyword then say unknown.
   */
  undecided?: Evidence;
  /** Present only when sshd -T was the source and the file parser computed something else. */
  parserValues?: string[];
}

export interface EffectiveConfig {
  context: ConnectionContext;
  settings: ReadonlyMap<string, Setting>;
  source: 'sshd -T' | 'parser';
}

export interface OpenSshVersion {
  major: number;
  minor: number;
  /** As found, e.g. "OpenSSH_9.2p1" or "1:9.2p1-2+deb12u3". */
  raw: string;
  source: 'sshd' | 'dpkg' | 'binary' | 'assumed';
}

export interface FileFact {
  path: string;
  role: 'config' | 'dropin' | 'host_private_key' | 'host_public_key' | 'config_dir';
  stat: { mode: number; uid: number; gid: number; group?: string } | Failure;
}

export interface HostKeyFact {
  /** Private key path from HostKey. */
  path: string;
  /** e.g. ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ssh-dss; from the .pub file. */
  type?: string;
  bits?: number;
  /** Why the type or size is unknown. */
  problem?: string;
}

export interface LiveMethods {
  user: string;
  /** Methods the server lists after a `none` attempt, e.g. ["publickey", "password"]. */
  methods: string[];
}

export interface LiveResult {
  address: string;
  port: number;
  status: 'ok' | 'unreachable' | 'handshake_failed' | 'pq_only' | 'error';
  /** Why it is not ok. */
  reason?: string;
  banner?: string;
  /** Server's offered lists, from the ssh2 debug stream. */
  offered?: { kex: string[]; hostKey: string[]; ciphers: string[]; macs: string[]; compression: string[] };
  methods: LiveMethods[];
}

export interface SshFacts {
  /** false when neither an sshd binary nor an sshd_config is on the host: every check is skip. */
  installed: boolean;
  sshdPath?: string;
  version: OpenSshVersion;
  configPath: string;
  /** The parsed configuration, or why it could not be read at all. */
  parsed: ParsedConfig | Failure;
  /** How `sshd -T` went: used, or why not (not installed, not root, chroot failed, rejected the config). */
  sshdT: { used: true } | { used: false; reason: string };
  /** sshd itself rejected the configuration (rc != 0 with a message): the config would not load. */
  sshdRejected?: string;
  /** One effective configuration per connection context (user classes x source addresses x local ports). */
  effective: EffectiveConfig[];
  /** Why `effective` is empty (config unreadable, or sshd would refuse it and sshd -T could not say). */
  effectiveUnavailable?: string;
  files: FileFact[];
  hostKeys: HostKeyFact[];
  /** /etc/ssh/moduli group sizes (bits as sshd reads them, i.e. the size field + 1), or why unknown. */
  moduli: { sizes: number[] } | Failure;
  /** The live probe, when enabled and an address could be reached. */
  live?: LiveResult;
  /** sshd listeners seen in the host's /proc, with the configuration on their command lines. */
  daemons: DaemonFact[];
  /** Probe configuration, validated. */
  options: SshOptions;
}

export interface DaemonFact {
  pid: number;
  argv: string[];
  /** -o/-p/-h/-c as config lines (they beat every file), and -f. */
  lines: string[];
  configFile?: string;
  problems: string[];
}

export interface SshOptions {
  /** Accepted PermitRootLogin values (lower-case; prohibit-password and without-password are equal). */
  permitRootLogin: string[];
  maxAuthTries: number;
  maxSessions: number;
  loginGraceTimeSeconds: number;
  clientAliveIntervalMax: number;
  clientAliveCountMax: number;
  /** Run the live ssh2 probe against the daemon. */
  live: boolean;
  /** Override the address the live probe connects to (default: from ListenAddress, else 127.0.0.1). */
  liveAddress?: string;
  livePort?: number;
  /** Extra source addresses to evaluate Match Address blocks for. */
  sourceAddresses: string[];
  /** Minimum RSA host key size. */
  minRsaBits: number;
  sshdTimeoutMs: number;
  /** The sshd_config read when no running sshd names one with -f. */
  configPath: string;
}
