/** Facts of the kubelet probe: the kubelet's effective configuration with evidence, and its files. */
import type { FileStat, Flag, KubeletEffective, Setting } from '../../src/sdk.js';

export type { Leaf, SettingSource, Setting, Distribution, ArgvOrigin, Flag, KubeletEffective } from '../../src/sdk.js';

export type StatFact = FileStat | { ok: false; missing: boolean; reason: string };

export interface FileFact {
  role: 'service' | 'config' | 'kubeconfig' | 'client_ca' | 'proxy_kubeconfig';
  path: string;
  stat: StatFact;
}

export interface ProxyFacts {
  present: boolean;
  pid?: number;
  flags: Flag[];
  configFile?: string;
  /** metricsBindAddress, from a flag, the config file or the default 127.0.0.1:10249. */
  metricsBindAddress?: Setting;
  kubeconfig?: string;
  problems: string[];
}

export interface KubeletOptions {
  /** Lowest acceptable eventRecordQPS other than 0 (0 means unlimited, which passes). */
  minEventRecordQPS: number;
  /** Cipher suites accepted by kubelet.tls_cipher_suites. */
  strongCipherSuites: string[];
  /** Processes read at most when looking for the kubelet. */
  maxProcesses: number;
}

export interface KubeletFacts {
  options: KubeletOptions;
  kubelet: KubeletEffective;
  files: FileFact[];
  proxy: ProxyFacts;
}
