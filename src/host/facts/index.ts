/**
 * Shared host facts: what several probes read about the same host (the process table, the kubelet's effective
 * configuration, the containerd and CRI-O configuration, file mode verdicts), read and parsed once per scan
 * (kept with the scan's HostRoot, cache.ts), like node_exporter's procfs library. Probes reach them through
 * the SDK; the modules never name a probe.
 */
export { perScan } from './cache.js';
export { placePath, parseCgroup } from './cgroup.js';
export type { CgroupPlacement } from './cgroup.js';
export {
  findProcesses,
  readCmdline,
  readEnviron,
  parseCmdline,
  parseProcStat,
  parseBootTime,
  processUid,
  environValue,
  parseGoFlags,
  // One lastFlag under two names: the runtimes' flags and the kubelet's are read by the same scan (scanFlags).
  lastFlag as lastGoFlag,
  lastFlag as lastKubeletFlag,
  CLOCK_TICKS,
  MAX_CMDLINE_BYTES,
} from './processes/index.js';
export type { ProcInfo, ProcStat, FlagOccurrence, CommMatch } from './processes/index.js';
export { processTable, processArgv, processConfinement, processPlacement } from './processes/table.js';
export type { ProcessRow, ProcessTable, ProcessConfinement } from './processes/table.js';
export { parseProcStatus, parseLsmLabel, processStatus } from './processes/status.js';
export type { ProcStatus, StatusRead } from './processes/status.js';
export { CAP_NAMES, parseCapMask, capNames, fullMask } from './processes/caps.js';
export {
  resolveKubelet,
  kubeletCandidates,
  kubeletArgs,
  rancherKind,
  unitFiles,
  describeOrigin,
  MAX_CONFIG_BYTES,
} from './kubelet/effective.js';
export type { ProcessInfo as KubeletProcess } from './kubelet/effective.js';
export { parseFlags as parseKubeletFlags, wordsOf } from './kubelet/argv.js';
export { parseKubeletConfig } from './kubelet/config-file.js';
export { parseDuration } from './kubelet/fields.js';
export type {
  Leaf,
  SettingSource,
  Setting,
  Distribution,
  ArgvOrigin,
  Flag,
  KubeletEffective,
} from './kubelet/types.js';
export {
  effectiveContainerd,
  loadContainerdConfig,
  parseHostsToml,
  normaliseContainerd,
} from './runtime/containerd.js';
export type {
  Val,
  ContainerdFacts,
  ContainerdConfig,
  ContainerdInstance,
  RuntimeHandler,
  LoadedConfig as LoadedContainerd,
} from './runtime/containerd.js';
export { effectiveCrio, loadCrioConfig, CRIO_DEFAULT_CAPABILITIES } from './runtime/crio.js';
export type { CrioFacts, CrioConfig, LoadedCrio } from './runtime/crio.js';
export {
  statFile,
  judgeMode,
  checkMode,
  octal,
  parseGroupFile,
  parsePasswdHomes,
  firstExisting,
  lineOf,
  isLoopback,
} from './runtime/files.js';
export type {
  FileFact as StatFileFact,
  StatFact,
  ModeRule,
  ModeVerdict,
  ModeLimit,
  ModeCheck,
} from './runtime/files.js';
export { parseDeb822 } from './dpkg/deb822.js';
export type { Paragraph as Deb822Paragraph, Deb822Problem, Deb822Options, Deb822Result } from './dpkg/deb822.js';
export {
  parseDpkgStatus,
  sourceName as debSourceName,
  readDpkgStatus,
  DPKG_STATUS_PATH,
  MAX_DPKG_STATUS_BYTES,
} from './dpkg/status.js';
export type { InstalledPackage, DpkgStatus, DpkgStatusFile } from './dpkg/status.js';
export {
  compareVersions as compareDebVersions,
  parseVersion as parseDebVersion,
  splitVersion as splitDebVersion,
  compareParsed as compareParsedDebVersions,
  verrevcmp,
} from './dpkg/version.js';
export type { DebVersion, ParsedVersion as ParsedDebVersion } from './dpkg/version.js';
