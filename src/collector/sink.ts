/**
 * The sink interface: what the delivery queue (delivery.ts, the only caller) hands to Slack, PagerDuty,
 * Alertmanager, a webhook or a file. A sink delivers one group change and resolves when the receiver
 * acknowledged it; it throws SinkError to say whether trying again can help.
 */
import type { Logger } from 'pino';
import type { AlertGroupStatus, Severity } from '../contracts.js';

export type GroupAction = 'open' | 'update' | 'resolve';

/** A change of one alert group (check + severity across the fleet). */
export interface GroupChange {
  /** The group's stable key (dedup key for receivers). */
  key: string;
  check: string;
  severity: Severity;
  title: string;
  action: GroupAction;
  status: AlertGroupStatus;
  /** How many nodes fail the check after the change. */
  nodeCount: number;
  /** The failing nodes after the change, sorted, at most CHANGE_NODES_MAX (100) of them. */
  nodes: string[];
  /** Nodes that joined or left the group in this change (at most 100 each). */
  added: string[];
  removed: string[];
  openedAt: string;
  updatedAt: string;
  /** Set only on `hostward collector test-sink` notifications. */
  test?: true;
}

/** One failing (node, check) as the collector stores it (node_checks). */
export interface FailingNodeCheck {
  node: string;
  check: string;
  probe: string;
  severity: Severity;
  title: string;
  message: string;
  evidence: { file?: string; line?: number; text?: string }[];
  /** When the node started failing (the agent's observation time). */
  openedAt: string | null;
}

/** Read-only view of fleet state (src/sinks/fleet.ts), for sinks that need more than the change. */
export interface FleetView {
  /** Every node failing the group's check at the group's severity, sorted by node. */
  failing(check: string, severity: Severity): FailingNodeCheck[];
  /** Every failing (node, check) of the fleet. */
  allFailing(): FailingNodeCheck[];
  /** For each of `nodes`, the other (check, severity) pairs failing there (inhibition). */
  failingOn(nodes: readonly string[]): Map<string, { check: string; severity: Severity }[]>;
}

/** Given by the dispatcher once, before the first delivery. */
export interface SinkContext {
  fleet: FleetView;
  log: Logger;
  /** Whether routing sends the group (check, severity) to this sink: sinks that re-send state use it. */
  routed(check: string, severity: Severity): boolean;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** What a delivery came to, when it was not a plain acknowledged send. */
export interface DeliveryResult {
  /** Not sent, on purpose (not routed here, inhibited, resolves not wanted): the reason, for debug logs. */
  skipped?: string;
  /** The receiver's answers (one per request), for `collector test-sink`. */
  answers?: HttpAnswer[];
}

export interface Sink {
  /** Stable name: the `sink` label of the metrics and the queue's key. */
  readonly name: string;
  /**
   * The configured sink this queue belongs to (routes and test-sink name it); default `name`. Alertmanager replicas
   * share one.
   */
  readonly configName?: string;
  /** Its kind (a type in src/sinks/registry.ts): which severities it gets without routing (routing.ts). */
  readonly type?: string;
  /** Whether routing sends the group (check, severity) to this sink (set by routedSink); absent: every group. */
  admits?(check: string, severity: Severity): boolean;
  /** The receiver inhibits by itself (Alertmanager's inhibit_rules): hostward's inhibition is not applied. */
  readonly ownInhibition?: boolean;
  /** Deliver one change; resolve only once the receiver has it. */
  deliver(change: GroupChange, signal: AbortSignal): Promise<DeliveryResult | void>;
  attach?(ctx: SinkContext): void;
  close?(): Promise<void>;
}

export class SinkError extends Error {
  readonly code = 'HOSTWARD_SINK_FAILED';
  constructor(
    message: string,
    /** True when retrying cannot help (a 4xx configuration error): logged, counted, not retried. */
    readonly permanent: boolean,
    /** The receiver asked to wait this long (Retry-After). */
    readonly retryAfterMs?: number,
    /** The receiver's answer, when there was one. */
    readonly answer?: HttpAnswer,
  ) {
    super(message);
  }
}
