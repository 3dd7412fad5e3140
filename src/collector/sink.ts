/**
 * The sink interface: what the delivery queue (delivery.ts, the only caller) hands to Slack, PagerDuty,
 * Alertmanager or a file. A sink delivers one group change and resolves when the receiver acknowledged
 * it; it throws SinkError to say whether trying again can help.
 */
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
}

export interface Sink {
  /** Stable name: the `sink` label of the metrics and the queue's key. */
  readonly name: string;
  /** Deliver one change; resolve only once the receiver has it. */
  deliver(change: GroupChange, signal: AbortSignal): Promise<void>;
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
  ) {
    super(message);
  }
}
