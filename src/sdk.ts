/**
 * The probe SDK: the one module probes import from the engine. A probe is a plug-in, like a node_exporter
 * collector: a name, a table of checks (data plus a small evaluate function), and gather(), which reads the
 * host through ctx.host and returns typed facts. The engine runs gather with a timeout, evaluates every check
 * over the facts, and turns outcomes into findings; probes create no metrics, timers or clients of their own.
 */
import type { ScanLog } from './scan/log.js';
import type { CheckInfo, Evidence, Measurement, OwnListener, Status } from './contracts.js';
import type { HostRoot } from './host/root.js';
import type { ExecResult, ExecOptions } from './host/exec.js';
import type { ProbeRun } from './contracts.js';
export type { BaselineRef } from './contracts.js';

export type { Evidence, Severity, Status, CheckInfo, Measurement, OwnListener } from './contracts.js';
export { HostRoot, describeFailure, globToRegExp, hasGlobMagic } from './host/root.js';
export { ipFamily } from './host/ip.js';
export { mapLimit } from './map-limit.js';
export type { HostRole } from './scan/host-role.js';
import type { HostRole } from './scan/host-role.js';
export type { Failure, FailureCode, Result, FileStat, FileText, DirEntry, ProcessEntry } from './host/root.js';
export type { ExecResult, ExecOptions } from './host/exec.js';
export { yamlLib, tomlLib } from './lazy-libs.js';
export {
  optionProblem,
  optionSection,
  optionInt,
  optionBool,
  shown,
  declareOptions,
  optionType,
  OptionError,
} from './probe-options.js';
export type {
  OptionSpec,
  OptionType,
  OptionContext,
  OptionDeclaration,
  DeclaredSection,
  ProbeOptions,
} from './probe-options.js';
import type { ProbeOptions } from './probe-options.js';
/**
 * Shared host facts (src/host/facts/): the process table, the kubelet's and the runtimes' configuration, read once per
 * scan.
 */
export * from './host/facts/index.js';
/** The file-integrity library (src/integrity/), for the integrity probe. */
export {
  integrityCheck,
  loadKey,
  DEFAULT_DB_FILE,
  DEFAULT_REHASH_SLICES,
  IntegrityError,
  CATEGORIES,
  loadPolicyFile,
  defaultPolicy,
  normalisePath,
  mergeScoped,
  readLastResult,
  writeLastResult,
  policyWatchTargets,
} from './integrity/index.js';
export type {
  Category,
  CheckOptions as IntegrityCheckOptions,
  CheckResult as IntegrityCheckResult,
  IntegrityErrorCode,
  Policy,
} from './integrity/index.js';

/** What evaluating a check over the facts decided. */
export interface Outcome {
  status: Status;
  message: string;
  evidence?: Evidence[];
}

/** A check: catalogue data plus one small function over the probe's facts. */
export interface Check<F> extends Omit<CheckInfo, 'probe'> {
  evaluate(facts: F): Outcome;
}

export interface ProbeContext<O = unknown> {
  /** The host filesystem, read through the host-root module. */
  host: HostRoot;
  /**
   * Runs a host binary, argument arrays only: chrooted into the host root when that is the host's own,
   * sandboxed without privilege when it is not (src/host/exec.ts, docs/threat-model.md).
   */
  exec(file: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  log: ScanLog;
  /**
   * This probe's section of the configuration (`probes.<name>`), parsed once by the engine with the probe's
   * declared options (their parse, with this scan's root and environment); undefined for a probe that declares none.
   */
  options: O;
  signal: AbortSignal;
  now(): Date;
  /**
   * 'agent' when the scan runs for the long-running agent (a DaemonSet pod), 'scan' for a one-off command
   * line scan. Probes that touch the network (reachability scans) do so only in the agent by default.
   */
  mode: 'scan' | 'agent';
  /**
   * The listeners of the hostward process this scan runs for (the agent's endpoints), so that a probe can
   * judge them like any other listener. Undefined when unknown: a one-off scan serves nothing.
   */
  ownListeners?: readonly OwnListener[];
  /**
   * What the host is for (a Kubernetes node or a plain server), detected once per scan or configured. The engine
   * always sets it; undefined only in contexts built by hand, which probes read as a node.
   */
  hostRole?: HostRole;
}

/** A host directory whose changes should re-run a probe at once in the agent (inotify, src/agent/watch.ts). */
export interface WatchSpec {
  /** Host path of a directory, symlinks resolved inside the root. */
  path: string;
  /** Only entries with these names (globs) count; undefined: every entry. */
  names?: readonly string[];
  /** Levels of subdirectories watched too; 0 or undefined: the directory alone. */
  depth?: number;
  /** Globs of entries that never count: absolute ones match the host path, others the entry's name. */
  ignore?: readonly string[];
}

/** A probe metric of DESIGN.md: the exposition creates its gauge; the probe's measure() gives the values. */
export interface ProbeMetric {
  help: string;
  labelNames: readonly string[];
}

/**
 * Optional work a probe leaves out of the scans an agent over its resource budget starts (src/agent/watchdog.ts):
 * the watchdog names the action to the scan, which sets `options` over the probe's configuration section.
 */
export interface ShedSpec {
  /** Its name: a word of HOSTWARD_SHED and the action label of hostward_watchdog_shed_actions_total. */
  action: string;
  /** Set over `probes.<name>` in a scan that sheds this work. */
  options: Readonly<Record<string, unknown>>;
  /** Checks that skip because the work was left out: reported `unknown` instead, so shedding resolves no alert. */
  checks?: RegExp;
}

export interface Probe<F = unknown, O = unknown> {
  name: string;
  /** Directories whose changes re-run this probe in the agent, whatever its configuration (src/agent/watch.ts). */
  watch?: readonly WatchSpec[];
  /** The directories whose changes re-run this probe in the agent, from its parsed options; none by default. */
  watchTargets?(ctx: { host: HostRoot; options: O }): Promise<WatchSpec[]>;
  /** The probe metrics measure() returns, by name: one probe owns each (a partial re-scan replaces its series). */
  metrics?: Readonly<Record<string, ProbeMetric>>;
  /** Optional work this probe can leave out when the agent is over its resource budget. */
  shed?: ShedSpec;
  description: string;
  checks: readonly Check<F>[];
  /** Read the host and return facts. Must not decide pass or fail. */
  gather(ctx: ProbeContext<O>): Promise<F>;
  /**
   * When the whole probe does not apply (no sshd on this host) or cannot decide anything, the outcome every
   * check gets instead of being evaluated. Undefined means evaluate each check.
   */
  precondition?(facts: F): Outcome | undefined;
  /**
   * Values for the probe metrics of DESIGN.md (hostward_listening_sockets, ...), from the facts. Only the metrics
   * probes declare (`metrics`) are exported; a test holds each probe to its own.
   */
  measure?(facts: F): Measurement[];
  /** Typed facts for the report's entry of this probe (ProbeRun), which the alert path reads: never evidence text. */
  runFields?(facts: F): ProbeRunFields;
  /**
   * The options of its configuration section (`probes.<name>`): each key's type, default and description, and
   * the parser. The config loader validates the section with it, the engine parses it for each scan (ctx.options)
   * and docs/configuration.md documents it; a probe without options refuses any key.
   */
  options?: ProbeOptions<O>;
}

/** What a probe may add to its ProbeRun. */
export type ProbeRunFields = Pick<ProbeRun, 'baseline'>;

/** Helpers for the common outcomes, so evaluate functions read as verdicts. */
export const pass = (message: string, evidence: Evidence[] = []): Outcome => ({ status: 'pass', message, evidence });
export const fail = (message: string, evidence: Evidence[] = []): Outcome => ({ status: 'fail', message, evidence });
export const unknown = (message: string, evidence: Evidence[] = []): Outcome => ({
  status: 'unknown',
  message,
  evidence,
});
export const skip = (message: string, evidence: Evidence[] = []): Outcome => ({ status: 'skip', message, evidence });

/** Define a probe with its facts and options types inferred; erases them for the registry. */
export function defineProbe<F, O = unknown>(p: Probe<F, O>): Probe<unknown> {
  return p;
}
