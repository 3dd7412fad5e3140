import type { HostRole } from '../../src/sdk.js';

/** One `install` or `blacklist` line of a modprobe.d file. */
export interface ModprobeDirective {
  kind: 'install' | 'blacklist';
  /** Canonical name ('_' for '-'). */
  module: string;
  /** The install command, for `install`. */
  command?: string;
  file: string;
  line: number;
  text: string;
}

export type Availability =
  | { state: 'module' | 'builtin'; path: string }
  | { state: 'absent'; release: string }
  | { state: 'unknown'; reason: string };

/** noModuleSupport: /proc is there but /proc/modules is not, so the kernel cannot load modules at all. */
export type Loaded = { ok: true; names: ReadonlySet<string>; noModuleSupport?: true } | { ok: false; reason: string };

/** One `<domain> <type> core <value>` line of limits.conf or limits.d. */
export interface CoreLimit {
  domain: string;
  type: 'hard' | 'soft' | '-';
  value: string;
  file: string;
  line: number;
}

export interface CoredumpSetting {
  value: string;
  file: string;
  line: number;
}

export type Coredump =
  | { installed: false; why: string }
  | { installed: true; how: string; storage?: CoredumpSetting; processSizeMax?: CoredumpSetting; problems: string[] };

export interface ModulesFacts {
  role: HostRole;
  directives: ModprobeDirective[];
  /** Files that could not be read, lines not understood. */
  configProblems: string[];
  /** Modules named in module_blacklist= or modprobe.blacklist= on the kernel command line (canonical). */
  cmdlineBlacklist: ReadonlySet<string>;
  loaded: Loaded;
  available: ReadonlyMap<string, Availability>;
  /** Signs that the running kernel has a module built in: /sys/module/<m>, /proc/filesystems, /proc/net/protocols. */
  inKernel: ReadonlyMap<string, string>;
  limits: { entries: CoreLimit[]; problems: string[]; filesRead: string[] };
  coredump: Coredump;
}
