/**
 * The contracts of ../shared/DESIGN.md, defined once. Everything (engine, probes, CLI, metrics, tests)
 * imports these types; nothing redefines them.
 */

export const STATUSES = ['pass', 'fail', 'unknown', 'skip'] as const;
export type Status = (typeof STATUSES)[number];

/** Ordered from most to least severe; the index is the rank used by --fail-on. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is at least as severe as `threshold`. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}

export function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}

/**
 * The probe of a check id, `<probe>.<name>` (docs/contracts/json-output.md): what precedes the first dot, e.g.
 * `hostward.node_silent` → `hostward`. An id without a dot is all probe; one that starts with a dot names no
 * probe (""), as the collector's listing of probes reads it, rather than passing itself off as one.
 */
export function probeOf(check: string): string {
  const dot = check.indexOf('.');
  return dot < 0 ? check : check.slice(0, dot);
}

/** A place on the host that supports a verdict. `file` is the host path, without the --root prefix. */
export interface Evidence {
  file?: string;
  line?: number;
  text?: string;
}

/** An accepted exception from the configuration, shown on the finding it applies to. */
export interface AcceptedException {
  reason: string;
  expires: string; // YYYY-MM-DD
}

export interface Finding {
  check: string;
  probe: string;
  title: string;
  status: Status;
  severity: Severity;
  message: string;
  evidence: Evidence[];
  references: string[];
  remediation: string;
  /**
   * Present when a failing check is covered by an unexpired exception in the configuration. The status
   * stays `fail` (the truth); gating (--fail-on), metrics (value 4) and alerts treat it as accepted.
   */
  exception?: AcceptedException;
}

export type ProbeRunStatus = 'ok' | 'error';

export interface ProbeRun {
  probe: string;
  status: ProbeRunStatus;
  durationSeconds: number;
  /** Why the probe failed (error or timeout); absent when ok. */
  error?: string;
  /**
   * Addition to DESIGN.md: the integrity baseline the probe compared against, verified (the integrity probe sets
   * it; Probe.runFields). The agent's alert flow sends it to the collector as AlertEvent.baseline.
   */
  baseline?: BaselineRef;
}

export interface OsInfo {
  id: string;
  versionId: string;
  prettyName: string;
  kernel: string;
}

export interface Summary {
  pass: number;
  fail: number;
  unknown: number;
  skip: number;
  /** Failing checks covered by an accepted exception (not counted in `fail`). */
  accepted: number;
}

/**
 * A value a probe measured for one of the probe metrics of DESIGN.md (PROBE_METRICS in src/metrics/).
 * Probes create no metrics; they return these and the engine exports them.
 */
export interface Measurement {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

export interface Report {
  node: string;
  root: string;
  agentVersion: string;
  startedAt: string;
  durationSeconds: number;
  os: OsInfo;
  probes: ProbeRun[];
  findings: Finding[];
  summary: Summary;
  /** Probe measurements behind the probe metrics (listening sockets, certificate expiry, ...). */
  measurements: Measurement[];
}

/**
 * One address the hostward process that a scan runs for (the agent) listens on, and what it answers there
 * without authentication. The agent hands these to its scans so that probes judging exposure can judge
 * hostward's own endpoints like any other listener; a one-off `hostward scan` has none to hand.
 */
export interface OwnListener {
  /** Who listens, for messages: "hostward agent". */
  service: string;
  /** The bound address as configured: 0.0.0.0, ::, 127.0.0.1, an interface address. */
  address: string;
  port: number;
  protocol: 'tcp';
  tls: boolean;
  /** What the protected paths accept (any one): basic, bearer, client-certificate. Empty: nothing is asked. */
  authentication: string[];
  /** Paths answered to anyone beyond liveness and readiness (which reveal nothing), with what each reveals. */
  open: { path: string; reveals: string }[];
  /** The listening process (the agent's pid; the host's with hostPID), to tell its socket from another's. */
  pid?: number;
}

/** What a check is, as data: the catalogue entry (`hostward checks`). */
export interface CheckInfo {
  id: string;
  probe: string;
  title: string;
  severity: Severity;
  references: readonly string[];
  remediation: string;
}

// ---------------------------------------------------------------------------------------------------
// Wire format agent → collector (DESIGN.md "Wire format agent → collector").

/** Version of the wire format; sent as the `Hostward-Wire-Version` request header by agents. */
export const WIRE_VERSION = 1;
/** At most this many events in one POST /v1/events. */
export const MAX_EVENTS_PER_REQUEST = 1000;
/** At most this many evidence items in one event: the collector refuses more, the agent trims to it. */
export const MAX_EVIDENCE_ITEMS = 100;
/**
 * The longest strings (characters) and most evidence items an event may carry. The collector refuses an event
 * beyond them (400); the agent never sends one: it shortens strings and trims evidence (src/alerts/limits.ts).
 */
export const EVENT_LIMITS = {
  id: 128,
  node: 253,
  check: 128,
  probe: 64,
  title: 1024,
  message: 16 * 1024,
  evidence: MAX_EVIDENCE_ITEMS,
  evidenceText: 4096,
  evidenceFile: 4096,
} as const;
/** The largest event the agent sends, in bytes of JSON: well under the collector's body limit (4 MiB default). */
export const MAX_EVENT_BYTES = 512 * 1024;

/**
 * One change of a check's status on one node (`POST /v1/events` carries an array of these). `status` is
 * the check's new status: `fail` opens or updates the alert for (node, check), anything else resolves it.
 * `id` is unique per event: the same id sent again is accepted and not stored twice.
 */
export interface AlertEvent {
  id: string;
  node: string;
  check: string;
  probe: string;
  status: Status;
  severity: Severity;
  title: string;
  message: string;
  evidence: Evidence[];
  observedAt: string;
  /**
   * Addition to DESIGN.md: true when the failing check is covered by an accepted exception; the collector
   * treats it as resolved. Absent otherwise (collectors that do not know it see a plain `fail`).
   */
  accepted?: boolean;
  /**
   * Addition to DESIGN.md: the node's current integrity baseline (probes/integrity), carried by the first
   * event of every batch the agent enqueues after a scan (heartbeats included) when the integrity probe
   * compared against a baseline. The collector keeps it per node; a change of digest after the first raises
   * BASELINE_CHANGED_CHECK. Absent when the agent has no usable baseline (collectors ignore unknown fields).
   */
  baseline?: BaselineRef;
  /**
   * Addition: how many evidence items of the finding the agent left out to stay within MAX_EVIDENCE_ITEMS and
   * MAX_EVENT_BYTES; the last evidence item says so too. Absent when nothing was left out.
   */
  evidenceOmitted?: number;
  /**
   * Addition: what the agent knows of its node (OS, kernel, architecture, its own version), carried by the first
   * event of every batch the agent enqueues after a scan, like `baseline`. The collector keeps the latest per node
   * (GET /v1/nodes, the node page). Absent from agents that predate it.
   */
  host?: HostFacts;
}

/**
 * The host facts an event may carry, each optional (a fact the agent could not read is left out). Values are
 * printable text within HOST_FACT_LIMITS; the collector refuses an event with one that is not (400) and ignores
 * keys it does not know, so a newer agent may add facts.
 */
export interface HostFacts {
  /** os-release PRETTY_NAME (else NAME) of the scanned root: "Ubuntu 24.04.1 LTS". */
  osName?: string;
  /** os-release ID: "ubuntu". */
  osId?: string;
  /** os-release VERSION_ID: "24.04". */
  osVersion?: string;
  /** The kernel release: "6.8.0-45-generic". */
  kernel?: string;
  /** The machine's architecture as the kernel names it (uname -m): "x86_64", "aarch64". */
  arch?: string;
  /** The agent's version: "0.9.0". */
  agentVersion?: string;
}

/** The longest value (characters) of each host fact; the keys are every fact the collector knows. */
export const HOST_FACT_LIMITS = {
  osName: 256,
  osId: 64,
  osVersion: 64,
  kernel: 256,
  arch: 32,
  agentVersion: 64,
} as const satisfies Record<keyof HostFacts, number>;

/**
 * A character a host fact may not hold: controls (terminal escapes), format characters (bidi overrides, zero
 * widths), lone surrogates, private use, line and paragraph separators. What is left reads the same everywhere.
 */
export const UNPRINTABLE_RE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\u2028\u2029]/u;
/** The host facts that are identifiers rather than prose, and the characters they may hold. */
export const HOST_FACT_TOKENS: readonly (keyof HostFacts)[] = ['osId', 'osVersion', 'arch', 'agentVersion'];
export const HOST_FACT_TOKEN_RE = /^[A-Za-z0-9._+~-]+$/;

/** Which integrity baseline a node compares against: enough for the collector to see a re-baseline. */
export interface BaselineRef {
  /** Lowercase hex: the baseline's HMAC (signed) or SHA-256 (unsigned), as in its trailer. */
  digest: string;
  /** When the baseline was built (its header), ISO 8601. */
  created: string;
  /** True only when the baseline is signed and the agent verified its HMAC with the configured key. */
  signed: boolean;
  /**
   * Addition: the baseline's generation (under its MAC), raised by every accept and continued by a re-init.
   * 0: a baseline written before generations (format 1). Absent from agents that predate it. A node whose
   * generation goes down, or whose generation repeats with another digest, had an older baseline put back:
   * the collector raises BASELINE_ROLLBACK_CHECK.
   */
  generation?: number;
}

/** The collector's own check for a node whose integrity baseline digest changed (severity high). */
export const BASELINE_CHANGED_CHECK = 'hostward.baseline_changed';
/** The collector's own check for a node whose baseline generation went back (severity critical). */
export const BASELINE_ROLLBACK_CHECK = 'hostward.baseline_rollback';

/**
 * The agent's liveness event: sent when a scan produced no other event, so that a healthy node with
 * nothing failing is still seen. It only refreshes the node's last-seen time at the collector.
 */
export const HEARTBEAT_CHECK = 'hostward.heartbeat';
/** The collector's own check for a node that stopped reporting. */
export const NODE_SILENT_CHECK = 'hostward.node_silent';
/**
 * The collector's own check for a node whose clock is off from the collector's by more than the skew window
 * (collector.clockSkewSeconds), measured from the request's Hostward-Sent-At or events dated in the future.
 */
export const CLOCK_SKEW_CHECK = 'hostward.clock_skew';
/** Checks only the collector raises: an event of one of them from an agent is refused (403). */
export const COLLECTOR_CHECKS: readonly string[] = [
  NODE_SILENT_CHECK,
  BASELINE_CHANGED_CHECK,
  BASELINE_ROLLBACK_CHECK,
  CLOCK_SKEW_CHECK,
];
/**
 * The agent's own check for events the collector refused (400, 413, 422), which the agent sets aside and does not
 * retry: it fails naming them (and counts them), and resolves once a later event of each was accepted.
 */
export const EVENT_REFUSED_CHECK = 'hostward.event_refused';

/** `202` answer of POST /v1/events. */
export interface EventsAccepted {
  accepted: number;
}

/** Error answer of every JSON endpoint (400 names the first bad field). */
export interface ApiError {
  error: string;
}

export type AlertGroupStatus = 'open' | 'resolved';

/** One element of `GET /v1/alerts`: a check and severity across the fleet. */
export interface AlertGroup {
  /** Stable across restarts and collectors: hex SHA-256 of `check` + NUL + `severity`. */
  key: string;
  check: string;
  severity: Severity;
  status: AlertGroupStatus;
  /** The failing nodes by name, the first ALERT_NODES_MAX (1000) of them; nodeCount is how many there are. */
  nodes: string[];
  nodeCount: number;
  openedAt: string;
  updatedAt: string;
}

/** One element of `GET /v1/nodes`. */
export interface NodeSummary {
  node: string;
  lastSeenAt: string;
  failing: string[];
  /** Addition to DESIGN.md: the node's integrity baseline as last reported; absent until one was. */
  baseline?: NodeBaseline;
  /** Addition: the node's host facts as its agent last reported them; absent until an agent sent some. */
  host?: NodeHost;
}

export interface NodeHost extends HostFacts {
  /** When the agent observed them (the carrying event's time, or the collector's for one dated too far ahead). */
  observedAt: string;
}

export interface NodeBaseline extends BaselineRef {
  /** When the collector first received this digest. */
  since: string;
  /** Digest changes after the first seen (each raised BASELINE_CHANGED_CHECK). */
  changes: number;
  /** When the last change was received, and the digest it replaced; absent when it never changed. */
  changedAt?: string;
  previousDigest?: string;
}
