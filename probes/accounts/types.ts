/** Facts the accounts probe gathers; checks decide over these alone. */
import type { FailureCode, FileStat, HostRole } from '../../src/sdk.js';
import type { ColonFile, GroupEntry, GshadowEntry, PasswdEntry, ShadowEntry } from './parse/colon.js';
import type { KeyValues } from './parse/keyvalue.js';
import type { PamType } from './parse/pam.js';
import type { ShellFacts, VarAssignment } from './parse/shell.js';
import type { SudoDefault, SudoRule } from './parse/sudoers.js';

/** A file as read and parsed, or why it could not be. */
export type Read<T> =
  { ok: true; file: string; data: T } | { ok: false; file: string; code: FailureCode; reason: string };

/** A module line of a PAM stack after includes are followed, with the file and line it comes from. */
export interface PamModule {
  type: PamType;
  control: string;
  module: string;
  args: string[];
  file: string;
  line: number;
  text: string;
}

export interface PamStack {
  /** The service file the stack starts from (/etc/pam.d/common-password). */
  file: string;
  present: boolean;
  modules: PamModule[];
  /** Includes that could not be followed, lines not understood: said in messages, never silently dropped. */
  problems: string[];
}

export interface PamFacts {
  /** Which layout the host uses: Debian's common-* files, RHEL's system-auth/password-auth, or neither. */
  family: 'debian' | 'rhel' | 'none';
  /** Why /etc/pam.d could not be listed, when it could not. */
  problem?: string;
  /** The stacks the checks read: common-auth/common-password/common-account, or system-auth/password-auth. */
  stacks: PamStack[];
  su: PamStack;
  /** pwquality.conf.d/*.conf, then pwquality.conf: the order libpwquality reads them, the last setting winning. */
  pwquality: Read<KeyValues>[];
  faillock: Read<KeyValues>;
  pwhistory: Read<KeyValues>;
}

export interface ShellFile {
  file: string;
  facts: ShellFacts;
}

export interface PathDir {
  dir: string;
  stat: ({ ok: true } & FileStat) | { ok: false; reason: string };
}

export interface SudoFacts {
  /** The sudo binary found, if any. */
  binary?: string;
  /** /etc/sudoers and every file it includes, in the order sudo reads them. */
  files: { file: string; defaults: SudoDefault[]; rules: SudoRule[]; problems: string[] }[];
  /** Files that exist but could not be read (sudoers is 0440 root: needs CAP_DAC_READ_SEARCH). */
  unreadable: { file: string; reason: string }[];
  /** Whether /etc/sudoers exists at all. */
  present: boolean;
}

export interface AccountsFacts {
  role: HostRole;
  now: Date;
  passwd: Read<ColonFile<PasswdEntry>>;
  shadow: Read<ColonFile<ShadowEntry>>;
  group: Read<ColonFile<GroupEntry>>;
  gshadow: Read<ColonFile<GshadowEntry>>;
  loginDefs: Read<KeyValues>;
  useradd: Read<KeyValues>;
  /** System-wide login scripts: /etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc (Debian), /etc/bashrc (RHEL). */
  profiles: ShellFile[];
  /** root's own: /root/.profile, /root/.bash_profile, /root/.bashrc. */
  rootProfiles: ShellFile[];
  /** PATH lines of /etc/environment (pam_env). */
  environment: Read<VarAssignment[]>;
  /** Scripts that exist but could not be read. */
  profileProblems: string[];
  /** Every literal directory named in a PATH assignment root's shell reads, with its stat. */
  pathDirs: PathDir[];
  pam: PamFacts;
  sudo: SudoFacts;
}
