/**
 * The PagerDuty Events API v2 sink. `pagerdutyEvent` is pure: open and update are `trigger`s and resolve
 * is a `resolve`, all with the group key as the stable dedup_key, so one group is one PagerDuty alert
 * however many nodes join it. Severity is mapped deliberately (only hostward `critical` is PagerDuty
 * `critical`). 202 is success, 400 is a configuration error, 429 and 5xx back off (the queue retries).
 */
import { hostname } from 'node:os';
import type { CollectorConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { Severity } from '../contracts.js';
import type { GroupChange, Sink } from '../collector/sink.js';
import { checkUrl, readSecretFile } from './config.js';
import { postJson, RateLimiter } from './http.js';
import { headline, truncate } from './text.js';

export const PAGERDUTY_DEFAULT_URL = 'https://events.pagerduty.com/v2/enqueue';
export const PAGERDUTY_SUMMARY_MAX = 1024;
/** Nodes listed in custom_details (the change carries at most 100). */
const DETAIL_NODES_MAX = 100;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** hostward severity → PagerDuty severity (which decides urgency): only `critical` pages as critical. */
export const PAGERDUTY_SEVERITY: Readonly<Record<Severity, PagerDutySeverity>> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
}

export interface PagerDutyEventOptions {
  /** payload.source; default "hostward-collector". */
  source?: string;
}

/** The Events API v2 body for one group change. Pure. */
export function pagerdutyEvent(change: GroupChange, routingKey: string, opts: PagerDutyEventOptions = {}): PagerDutyEvent {
  const base = { routing_key: routingKey, dedup_key: change.key.slice(0, 255) };
  if (change.action === 'resolve') return { ...base, event_action: 'resolve' };
  const shown = change.nodes.slice(0, 5);
  const more = change.nodeCount - shown.length;
  const nodes = shown.length > 0 ? ` (${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''})` : '';
  const summary = truncate(`[${change.severity}] ${headline(change)}: ${change.title}${nodes}`, PAGERDUTY_SUMMARY_MAX);
  return {
    ...base,
    event_action: 'trigger',
    payload: {
      summary,
      source: opts.source ?? 'hostward-collector',
      severity: PAGERDUTY_SEVERITY[change.severity],
      timestamp: change.updatedAt,
      component: change.check.split('.', 1)[0] ?? change.check,
      group: change.check,
      class: `hostward/${change.severity}`,
      custom_details: {
        check: change.check,
        severity: change.severity,
        node_count: change.nodeCount,
        nodes: change.nodes.slice(0, DETAIL_NODES_MAX),
        added: change.added,
        removed: change.removed,
        opened_at: change.openedAt,
        updated_at: change.updatedAt,
      },
    },
  };
}

export interface PagerDutySinkOptions {
  /** The routing (integration) key: a secret, never logged. */
  routingKey: string;
  url?: string;
  /** payload.source. */
  source?: string;
  /** Minimum gap between events; default 500 ms (PagerDuty allows about 120 events/min per key). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Wait after a 429 without Retry-After; default 30 s ("retry … 30 seconds apart"). */
  default429Ms?: number;
}

export function pagerdutySink(opts: PagerDutySinkOptions): Sink {
  const url = opts.url ?? PAGERDUTY_DEFAULT_URL;
  const limiter = new RateLimiter(opts.intervalMs ?? 500);
  const evOpts: PagerDutyEventOptions = opts.source === undefined ? {} : { source: opts.source };
  return {
    name: 'pagerduty',
    async deliver(change, signal) {
      await limiter.acquire(signal);
      await postJson(url, pagerdutyEvent(change, opts.routingKey, evOpts), {
        what: 'pagerduty',
        signal,
        redact: [opts.routingKey],
        default429Ms: opts.default429Ms ?? 30_000,
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
    },
  };
}

/** The PagerDuty sink from the collector configuration, or undefined when not configured. */
export function pagerdutySinkFromConfig(cfg: CollectorConfig): Sink | undefined {
  if (cfg.pagerdutyRoutingKeyFile === undefined) {
    if (cfg.pagerdutyUrl !== undefined) throw new ConfigError('collector.pagerdutyUrl (HOSTWARD_PAGERDUTY_URL)', 'set without collector.pagerdutyRoutingKeyFile (HOSTWARD_PAGERDUTY_ROUTING_KEY_FILE)');
    return undefined;
  }
  const routingKey = readSecretFile(cfg.pagerdutyRoutingKeyFile, 'collector.pagerdutyRoutingKeyFile (HOSTWARD_PAGERDUTY_ROUTING_KEY_FILE)');
  const url = cfg.pagerdutyUrl ?? PAGERDUTY_DEFAULT_URL;
  checkUrl(url, 'collector.pagerdutyUrl (HOSTWARD_PAGERDUTY_URL)', false);
  return pagerdutySink({ routingKey, url, source: `hostward-collector@${hostname()}` });
}
