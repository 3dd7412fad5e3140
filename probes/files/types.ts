/** Facts the files probe gathers; checks decide over these alone. */
import type { FileStat, HostRole } from '../../src/sdk.js';
import type { FilesOptions } from './options.js';
import type { WalkResult } from './walker.js';

/** Which distribution's expectations apply: Debian and Ubuntu differ from RHEL-likes on shadow files. */
export type Family = 'debian' | 'rhel' | 'other';

export interface OsInfo {
  family: Family;
  /** ID from /etc/os-release ("debian", "rocky"), undefined when the file is missing or has none. */
  id?: string;
  /** PRETTY_NAME or ID, for messages. */
  name: string;
}

/** One path as stat(2) saw it (links not followed), or why not. */
export type PathState =
  | { state: 'ok'; path: string; stat: FileStat }
  | { state: 'missing'; path: string }
  | { state: 'error'; path: string; reason: string };

/** /etc/passwd and /etc/group as far as ownership needs them. */
export interface Accounts {
  /** uid -> user name (first line wins). */
  users: Map<number, string>;
  /** gid -> group name. */
  groups: Map<number, string>;
  /** group name -> gid, to compare with a row's expected group names. */
  groupIds: Map<string, number>;
  /** Why /etc/passwd or /etc/group could not be read; names then cannot be checked. */
  problem?: string;
  /** Lines of /etc/passwd, for interactive users. */
  passwd: PasswdEntry[];
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  line: number;
}

/** A banner file read for its content. */
export type Banner =
  | { state: 'ok'; path: string; text: string }
  | { state: 'missing'; path: string }
  | { state: 'error'; path: string; reason: string };

/** The scheduler daemons: installed (binary present), enabled (systemd wants link), running (a process). */
export interface Daemon {
  name: string;
  binary?: string;
  enabledBy?: string;
  running: boolean;
  /** The scanned root shows processes (/proc is there): otherwise `running` says nothing. */
  processesSeen: boolean;
}

export interface GrubFacts {
  /** The grub.cfg found (Debian's /boot/grub, RHEL's /boot/grub2), or every path tried when none exists. */
  cfg: Banner;
  tried: string[];
  /** Files of /etc/grub.d and /etc/default/grub that set superusers or a password_pbkdf2. */
  sourcesWithPassword: string[];
  /** user.cfg beside the grub.cfg found (RHEL keeps the password hash there). */
  userCfg?: Banner;
  /** /sys/firmware/efi exists: the host booted with UEFI. */
  efi: boolean;
}

/** One home directory of an interactive user and its dot files. */
export interface HomeFacts {
  user: PasswdEntry;
  dir: PathState;
  /** Dot files directly in the home (names starting with "."), lstat'ed; at most MAX_DOT_FILES. */
  dotFiles: PathState[];
  /** Dot entries left out beyond the cap. */
  dotOmitted: number;
}

export interface FilesFacts {
  options: FilesOptions;
  role: HostRole;
  os: OsInfo;
  accounts: Accounts;
  /** Host path -> state, for every path of the permission table and the cron/at allow and deny files. */
  paths: Map<string, PathState>;
  banners: Map<string, Banner>;
  cron: Daemon;
  at: Daemon;
  grub: GrubFacts;
  /** Shells of /etc/shells (nologin left out), undefined when the file cannot be read. */
  shells?: string[];
  homes: HomeFacts[];
  /** Interactive users whose home was not read (beyond MAX_HOMES). */
  homesOmitted: number;
  /** The bounded walk of local file systems; undefined when probes.files.walk is false. */
  walk?: WalkResult;
}
