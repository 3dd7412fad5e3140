/**
 * The PagerDuty Events API v2 sink. `pagerdutyEvent` is pure: open and update are `trigger`s and resolve
 * is a `resolve`, all with one stable dedup_key per group (the group key, or with a cluster name a hash of
 * cluster and group key, so two clusters sharing a routing key do not merge incidents), so one group is
 * one PagerDuty alert however many nodes join it. Severity is mapped deliberately (only hostward
 * `critical` is PagerDuty `critical`). 202 is success, 400 is a configuration error, 429 and 5xx back off
 * (the queue retries). At most 120 events in any rolling minute per routing key (PagerDuty's limit),
 * shared by every sink using that key; beyond it the rest waits in the persistent queue.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError } from '../config/config-error.js';
import type { Severity } from '../contracts.js';
import type { DeliveryResult, GroupChange, Sink } from '../collector/sink.js';
import { optionType as t } from '../probe-options.js';
import { checkUrl, readSecretFile } from './config.js';
import { defineSink, setting } from './definition.js';
import type { SinkEnvironment } from './definition.js';
import { postJson, RateLimiter, sharedWindowLimiter } from './http.js';
import { nonEmpty, str } from './keyed.js';
import { registerSecrets, urlSecrets } from './redact.js';
import { fleetLink, headline, truncate } from './text.js';

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
  links?: { href: string; text: string }[];
}

export interface PagerDutyEventOptions {
  /** payload.source; default "hostward-collector". */
  source?: string;
  /** Cluster name: part of the dedup_key and of custom_details. */
  cluster?: string;
  /** The collector's public URL: a link to the fleet page. */
  publicUrl?: string;
}

/** The dedup_key of a group: its key alone, or with a cluster hex SHA-256 of cluster NUL key (64 ≤ 255 characters). */
export function pagerdutyDedupKey(groupKey: string, cluster?: string): string {
  if (!cluster) return groupKey.slice(0, 255);
  return createHash('sha256').update(`${cluster}\0${groupKey}`).digest('hex');
}

/** The Events API v2 body for one group change. Pure. */
export function pagerdutyEvent(
  change: GroupChange,
  routingKey: string,
  opts: PagerDutyEventOptions = {},
): PagerDutyEvent {
  const base = { routing_key: routingKey, dedup_key: pagerdutyDedupKey(change.key, opts.cluster) };
  if (change.action === 'resolve') return { ...base, event_action: 'resolve' };
  const shown = change.nodes.slice(0, 5);
  const more = change.nodeCount - shown.length;
  const nodes = shown.length > 0 ? ` (${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''})` : '';
  const test = change.test ? '[TEST] ' : '';
  const summary = truncate(
    `${test}[${change.severity}] ${opts.cluster ? `${opts.cluster}: ` : ''}${headline(change)}: ${change.title}${nodes}`,
    PAGERDUTY_SUMMARY_MAX,
  );
  const link = fleetLink(opts.publicUrl, change.check);
  const event: PagerDutyEvent = {
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
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
      },
    },
  };
  if (link) event.links = [{ href: link, text: 'hostward fleet page' }];
  return event;
}

export interface PagerDutySinkOptions {
  /** Queue name; default the simple setup's ("pagerduty"). */
  name?: string;
  /** The routing (integration) key: a secret, never logged. */
  routingKey: string;
  url?: string;
  /** payload.source. */
  source?: string;
  /** Minimum gap between events; default 0 (the rolling window below is the limit). */
  intervalMs?: number;
  /** Events per rolling window per routing key; default 120 per 60 s (PagerDuty's limit). */
  windowLimit?: number;
  windowMs?: number;
  cluster?: string;
  publicUrl?: string;
  timeoutMs?: number;
  /** Wait after a 429 without Retry-After; default 30 s ("retry … 30 seconds apart"). */
  default429Ms?: number;
}

export function pagerdutySink(opts: PagerDutySinkOptions): Sink {
  const name = opts.name ?? pagerdutyDefinition.simpleNames[0];
  const url = opts.url ?? PAGERDUTY_DEFAULT_URL;
  // The routing key, and any token a proxy's URL carries.
  const redact = [opts.routingKey, ...(opts.url ? urlSecrets(opts.url).slice(1) : [])];
  registerSecrets(redact);
  const gap = new RateLimiter(opts.intervalMs ?? 0);
  const window = sharedWindowLimiter(opts.routingKey, opts.windowLimit ?? 120, opts.windowMs ?? 60_000);
  const evOpts: PagerDutyEventOptions = {
    ...(opts.source === undefined ? {} : { source: opts.source }),
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
  };
  return {
    name,
    type: 'pagerduty',
    async deliver(change, signal): Promise<DeliveryResult> {
      await gap.acquire(signal);
      await window.acquire(signal);
      // A 429's Retry-After is honoured by the queue, which holds this change (and those behind it) until then.
      const answer = await postJson(url, pagerdutyEvent(change, opts.routingKey, evOpts), {
        what: name,
        signal,
        redact,
        default429Ms: opts.default429Ms ?? 30_000,
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
      return { answers: [answer] };
    },
  };
}

/** A PagerDuty sink from a key file and URL; the `*Key` arguments name the settings in errors. */
function pagerdutySinkFrom(
  env: SinkEnvironment,
  d: { name: string; routingKeyFile: string; routingKeyKey: string; url: string | undefined; urlKey: string },
): Sink {
  const routingKey = readSecretFile(d.routingKeyFile, d.routingKeyKey);
  const url = d.url ?? PAGERDUTY_DEFAULT_URL;
  checkUrl(url, d.urlKey, false);
  return pagerdutySink({
    name: d.name,
    routingKey,
    url,
    source: `hostward-collector@${hostname()}`,
    ...(env.cluster ? { cluster: env.cluster } : {}),
    ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
  });
}

export interface PagerDutySinkDef {
  name: string;
  type: 'pagerduty';
  routingKeyFile: string;
  url?: string;
}

export const pagerdutyDefinition = defineSink({
  type: 'pagerduty',
  floor: 'high',
  simpleNames: ['pagerduty'],
  keys: [
    {
      key: 'routingKeyFile',
      type: t.str('file'),
      required: true,
      example: '/run/secrets/pd',
      description: 'File holding the Events API v2 routing key.',
    },
    {
      key: 'url',
      type: t.str('URL'),
      defaultText: `\`${PAGERDUTY_DEFAULT_URL}\``,
      example: 'https://events.eu.pagerduty.com/v2/enqueue',
      description: 'Events API endpoint.',
    },
  ],
  example: { name: 'oncall', type: 'pagerduty', routingKeyFile: '/run/secrets/pd' },
  parse: (x, at, name): PagerDutySinkDef => {
    const d: PagerDutySinkDef = {
      name,
      type: 'pagerduty',
      routingKeyFile: str(x.routingKeyFile, `${at}.routingKeyFile`),
    };
    if (x.url !== undefined) d.url = str(x.url, `${at}.url`);
    return d;
  },
  settings: {
    /** File holding the Events API v2 routing key; a secret. */
    pagerdutyRoutingKeyFile: setting({
      env: 'HOSTWARD_PAGERDUTY_ROUTING_KEY_FILE',
      parse: nonEmpty,
      doc: {
        type: t.str('file'),
        example: '/etc/hostward/pagerduty/routing-key',
        description: 'PagerDuty sink (Events API v2): file holding the routing key.',
      },
    }),
    /** Events API endpoint; default PAGERDUTY_DEFAULT_URL. */
    pagerdutyUrl: setting({
      env: 'HOSTWARD_PAGERDUTY_URL',
      parse: nonEmpty,
      doc: {
        type: t.str('URL'),
        defaultText: `\`${PAGERDUTY_DEFAULT_URL}\``,
        example: 'https://events.eu.pagerduty.com/v2/enqueue',
        description: 'The Events API endpoint (the EU region, or a test server).',
      },
    }),
  },
  simple: (s, env, [name]) => {
    if (s.pagerdutyRoutingKeyFile === undefined) {
      if (s.pagerdutyUrl !== undefined)
        throw new ConfigError(
          'collector.pagerdutyUrl (HOSTWARD_PAGERDUTY_URL)',
          'set without collector.pagerdutyRoutingKeyFile (HOSTWARD_PAGERDUTY_ROUTING_KEY_FILE)',
        );
      return [];
    }
    return [
      pagerdutySinkFrom(env, {
        name,
        routingKeyFile: s.pagerdutyRoutingKeyFile,
        routingKeyKey: 'collector.pagerdutyRoutingKeyFile (HOSTWARD_PAGERDUTY_ROUTING_KEY_FILE)',
        url: s.pagerdutyUrl,
        urlKey: 'collector.pagerdutyUrl (HOSTWARD_PAGERDUTY_URL)',
      }),
    ];
  },
  create: (d, _s, env, at) => [
    pagerdutySinkFrom(env, {
      name: d.name,
      routingKeyFile: d.routingKeyFile,
      routingKeyKey: `${at}.routingKeyFile`,
      url: d.url,
      urlKey: `${at}.url`,
    }),
  ],
});
