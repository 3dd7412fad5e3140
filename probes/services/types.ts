import type { HostRole } from '../../src/sdk.js';
import type { Listener } from './parse.js';

export type Packages =
  { kind: 'dpkg'; installed: ReadonlySet<string> } | { kind: 'rpm'; why: string } | { kind: 'unknown'; why: string };

export type Enabled = { ok: true; units: ReadonlyMap<string, string> } | { ok: false; why: string };
export type Listeners = { ok: true; list: Listener[] } | { ok: false; why: string };

export interface ConfigValue {
  value: string;
  file: string;
  line: number;
}

export interface ServicesFacts {
  role: HostRole;
  packages: Packages;
  /** Enabled unit name -> the .wants directory that holds its link. */
  enabled: Enabled;
  listeners: Listeners;
  postfixInterfaces?: ConfigValue;
  eximInterfaces?: ConfigValue;
  /** Time sources configured per daemon (chrony, systemd-timesyncd, ntp), with the files read. */
  timeSources: Record<string, string[]>;
  /** /run/systemd/timesync/synchronized exists (true), /run/systemd does not exist (undefined), or neither (false). */
  timesyncSynchronized?: boolean;
}
