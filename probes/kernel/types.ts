/** Facts the kernel probe gathers; checks decide over these alone. */
import type { HostRole } from '../../src/sdk.js';
import type { Expectation } from './expectation.js';
import type { AppArmorProfiles, SelinuxConfig } from './parse.js';
import type { PersistedFacts } from './persisted.js';

/** One sysctl as read: a value, a missing file, or a file that could not be read or made sense of. */
export type SysctlReading =
  | { state: 'ok'; name: string; path: string; value: number }
  | { state: 'missing'; name: string; path: string; reason: string }
  | { state: 'bad'; name: string; path: string; reason: string };

export interface InterfaceValues {
  /** The leaf read for each interface (e.g. rp_filter). */
  leaf: string;
  /** Interface name -> reading, for every entry of /proc/sys/net/ipv4/conf but all and default. */
  interfaces: Map<string, SysctlReading>;
  /** Why the interface list could not be read; evaluation then falls back to all/default. */
  problem?: string;
  /** Interfaces listed but not read (more than the cap). */
  notRead: number;
}

export type Read<T> = ({ ok: true; file: string } & T) | { ok: false; missing: boolean; file: string; reason: string };

export interface LsmFacts {
  /** /sys/kernel/security/lsm. */
  list: Read<{ names: string[] }>;
  /** /sys/kernel/security has entries (securityfs is mounted there). */
  securityfsMounted: boolean;
  /** /sys/module/apparmor/parameters/enabled. */
  apparmorEnabled: Read<{ value: boolean }>;
  /** /sys/kernel/security/apparmor/profiles. */
  apparmorProfiles: Read<{ profiles: AppArmorProfiles }>;
  /** /sys/fs/selinux/enforce. */
  selinuxEnforce: Read<{ enforcing: boolean }>;
  /** /etc/selinux/config. */
  selinuxConfig: Read<{ config: SelinuxConfig }>;
}

export interface KernelOptions {
  /** Check id -> expectation that replaces the table's. */
  expect: ReadonlyMap<string, Expectation>;
  /** Judge the persisted configuration too (default); false judges only the values in force. */
  persistence: boolean;
}

export interface KernelFacts {
  options: KernelOptions;
  /** A Kubernetes node or a plain server: some rows expect other values on a server (sysctls.ts onServer). */
  role: HostRole;
  /** Why /proc/sys could not be listed (the host's /proc is not mounted in the root); undefined when it can. */
  procSysProblem?: string;
  /** sysctl name -> reading, for every key of the table. */
  sysctls: Map<string, SysctlReading>;
  /** Per-interface readings for rows with effective: 'max_with_all', by leaf. */
  perInterface: Map<string, InterfaceValues>;
  lsm: LsmFacts;
  /** The sysctl.d configuration the next boot applies; absent when options.persistence is false. */
  persisted?: PersistedFacts;
}
