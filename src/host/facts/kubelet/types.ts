/** The kubelet's effective configuration with evidence: a shared host fact. */
import type { Evidence } from '../../../contracts.js';

/** A configuration value as the kubelet holds it after parsing: scalars, or a list of scalars. */
export type Leaf = string | number | boolean | null | readonly (string | number | boolean | null)[];

/** Where an effective value came from, in the kubelet's order of precedence (later wins). */
export type SettingSource = 'default' | 'distribution-default' | 'config' | 'config-dir' | 'flag';

export interface Setting {
  /** KubeletConfiguration field path, e.g. "authentication.anonymous.enabled", "featureGates.SeccompDefault". */
  field: string;
  value: Leaf;
  source: SettingSource;
  evidence: Evidence[];
}

export type Distribution = 'kubeadm' | 'eks' | 'gke' | 'aks' | 'k3s' | 'rke2' | 'generic';

/** How the kubelet's command line was found. */
export type ArgvOrigin =
  | { kind: 'process'; pid: number; file: string }
  | { kind: 'systemd'; unit: string; files: string[] }
  | { kind: 'k3s'; files: string[] }
  | { kind: 'none' };

export interface Flag {
  /** Normalised name without dashes ("anonymous-auth"). */
  name: string;
  /** The value as written; boolean flags without a value are "true". */
  value: string;
  evidence: Evidence;
}

export interface KubeletEffective {
  /** False when nothing suggests a kubelet on this host (no process, no unit, no distribution files). */
  present: boolean;
  distribution: Distribution;
  origin: ArgvOrigin;
  /** Flags in command-line order (the last one of a name wins). */
  flags: Flag[];
  /** The --config file, when one is in use (host path). */
  configFile?: string;
  /** --config-dir, and the drop-ins applied from it in order. */
  configDir?: string;
  dropIns: string[];
  /** Effective values by field path. */
  settings: Map<string, Setting>;
  /** The kubeconfig the kubelet talks to the API server with (--kubeconfig). */
  kubeconfig?: Setting;
  /** Problems met while resolving (unreadable files, malformed YAML, bad flags). */
  problems: string[];
  /**
   * Set when a configuration source that is in use could not be read: values that fall back to the defaults
   * are then not known (the file may set them).
   */
  incomplete?: string;
}
