/**
 * The Alertmanager API v2 sink: one alert per failing node (labels alertname, check, severity, node,
 * probe, cluster), posted as a JSON array to POST /api/v2/alerts.
 *
 * Replicas: Alertmanager does not gossip alerts between replicas (research/alerting.md §3.2), so every
 * replica must get every alert. Each replica is its own sink with its own persistent queue and retries
 * (named "<name>[0]", "<name>[1]", ...): a replica that is down for an hour gets its backlog when it comes
 * back and never holds up the others; the replicas deduplicate notifications among themselves.
 *
 * State, not events: an `open` posts the group's failing nodes and an `update` the nodes it added, each
 * only if fleet state says it still fails (so a stale change replayed after an outage cannot re-fire a
 * node that has recovered since), and the nodes the change removed, unless failing again, with an
 * explicit endsAt = now. Alertmanager keeps alerts in
 * memory only, so every `resendSeconds` (default 60, well under its 5 min resolve_timeout) the sink re-posts
 * every routed failing (node, check) and, for 5 minutes, the alerts it resolved: a restarted Alertmanager
 * has them all again within one interval. Firing alerts carry endsAt = now + 4 intervals (Prometheus does
 * the same), so if the collector dies its alerts resolve on their own instead of firing forever.
 * Re-sends and deliveries to one replica are serialized, so a re-send read before a resolve cannot land
 * after it.
 */
import type { Logger } from 'pino';
import { probeOf } from '../contracts.js';
import type { Severity } from '../contracts.js';
import type {
  DeliveryResult,
  FailingNodeCheck,
  FleetView,
  GroupChange,
  HttpAnswer,
  Sink,
  SinkContext,
} from '../collector/sink.js';
import { ConfigError } from '../config/config-error.js';
import { optionType as t } from '../probe-options.js';
import { defaulted, defineSink, setting } from './definition.js';
import type { SinkEnvironment } from './definition.js';
import { postJson } from './http.js';
import { KeyedProblem, nonEmpty, strList } from './keyed.js';
import { registerSecrets, urlSecrets } from './redact.js';
import { fleetLink, truncate } from './text.js';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export const ALERTNAME = 'HostwardCheckFailed';
export const ALERTNAME_NODE_SILENT = 'HostwardNodeSilent';
export const ALERTNAME_TEST = 'HostwardTestNotification';
export const DEFAULT_RESEND_SECONDS = 60;
/** How long resolved alerts keep being re-sent (Alertmanager's advice: about resolve_timeout). */
export const RESOLVED_RESEND_MS = 5 * 60_000;
/** Alerts per POST: a fleet with thousands of failing (node, check) pairs is posted in pieces. */
const ALERTS_PER_POST = 500;
const DESCRIPTION_MAX = 2000;
const EVIDENCE_LINES = 5;

export interface AlertBuildOptions {
  cluster?: string;
  publicUrl?: string;
  remediation?: (check: string) => string | undefined;
}

function labelsOf(
  node: string,
  check: string,
  severity: Severity,
  probe: string,
  opts: AlertBuildOptions,
): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: check === 'hostward.node_silent' ? ALERTNAME_NODE_SILENT : ALERTNAME,
    check,
    severity,
    node,
    probe,
  };
  if (opts.cluster) labels.cluster = opts.cluster;
  return labels;
}

function description(f: FailingNodeCheck): string {
  const lines = [f.message];
  for (const e of f.evidence.slice(0, EVIDENCE_LINES)) {
    const where = e.file ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}` : '';
    const text = e.text ? truncate(e.text.replace(/\s+/g, ' '), 300) : '';
    if (where || text) lines.push(`${where}${where && text ? ': ' : ''}${text}`);
  }
  return truncate(lines.filter((l) => l).join('\n'), DESCRIPTION_MAX);
}

/** The firing alert of one failing (node, check). Pure. */
export function firingAlert(
  f: FailingNodeCheck,
  now: number,
  endsInMs: number,
  opts: AlertBuildOptions = {},
): AlertmanagerAlert {
  const annotations: Record<string, string> = {
    summary: truncate(`${f.check} failing on ${f.node}: ${f.title}`, 1024),
    description: description(f),
  };
  const fix = opts.remediation?.(f.check);
  if (fix) annotations.runbook = truncate(fix, DESCRIPTION_MAX);
  const link = fleetLink(opts.publicUrl, f.check);
  if (link) annotations.runbook_url = link;
  const opened = f.openedAt ? Date.parse(f.openedAt) : NaN;
  // An agent clock ahead of the collector's must not give startsAt > endsAt (a 400 that is never retried).
  const startsAt = Number.isFinite(opened) ? Math.min(opened, now) : now;
  const alert: AlertmanagerAlert = {
    labels: labelsOf(f.node, f.check, f.severity, f.probe || probeOf(f.check), opts),
    annotations,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(now + endsInMs).toISOString(),
  };
  if (link) alert.generatorURL = link;
  return alert;
}

/**
 * The resolving alert of a node that left a group: same labels, explicit endsAt, no startsAt (Alertmanager keeps the
 * first).
 */
export function resolvedAlert(
  node: string,
  check: string,
  severity: Severity,
  now: number,
  opts: AlertBuildOptions = {},
): AlertmanagerAlert {
  return {
    labels: labelsOf(node, check, severity, probeOf(check), opts),
    annotations: { summary: truncate(`${check} resolved on ${node}`, 1024) },
    endsAt: new Date(now).toISOString(),
  };
}

/** The change's node list as failing rows, when no fleet state is at hand (test-sink, unit tests). */
function rowsFromChange(change: GroupChange): FailingNodeCheck[] {
  return change.nodes.map((node) => ({
    node,
    check: change.check,
    probe: probeOf(change.check),
    severity: change.severity,
    title: change.title,
    message: change.title,
    evidence: [],
    openedAt: change.openedAt,
  }));
}

/**
 * The alerts one group change posts: `posted` firing, the nodes it lost resolved unless they are among
 * `stillFailing` (default: the posted nodes). Pure.
 */
export function alertsForChange(
  change: GroupChange,
  posted: readonly FailingNodeCheck[],
  now: number,
  endsInMs: number,
  opts: AlertBuildOptions = {},
  stillFailing: ReadonlySet<string> = new Set(posted.map((f) => f.node)),
): AlertmanagerAlert[] {
  const firingNodes = stillFailing;
  const out = posted.map((f) => firingAlert(f, now, endsInMs, opts));
  for (const node of change.removed)
    if (!firingNodes.has(node)) out.push(resolvedAlert(node, change.check, change.severity, now, opts));
  return out;
}

export interface AlertmanagerSinkOptions extends AlertBuildOptions {
  /** Queue name of this replica: "alertmanager[0]". */
  name: string;
  /** The configured sink it belongs to: "alertmanager". */
  configName: string;
  /** The replica's base URL (http://am-0:9093, or with a --web.route-prefix path). */
  url: string;
  resendMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export function alertsEndpoint(base: string): string {
  return new URL('api/v2/alerts', base.endsWith('/') ? base : `${base}/`).toString();
}

/** Posts to one replica in pieces of ALERTS_PER_POST; the URL's secrets are masked wherever they appear. */
function replicaPoster(
  opts: AlertmanagerSinkOptions,
): (alerts: AlertmanagerAlert[], signal: AbortSignal) => Promise<HttpAnswer[]> {
  const endpoint = alertsEndpoint(opts.url);
  // Basic-auth userinfo, and any token in the path or query (a proxy's).
  const redact = urlSecrets(opts.url);
  registerSecrets(redact);
  return async (alerts, signal) => {
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < alerts.length; i += ALERTS_PER_POST) {
      const a = await postJson(endpoint, alerts.slice(i, i + ALERTS_PER_POST), {
        what: opts.name,
        signal,
        redact,
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
      answers.push(a);
    }
    return answers;
  };
}

/** Runs one task at a time, in order: a re-send read before a resolve cannot land after it. */
function serializer(): <T>(f: () => Promise<T>) => Promise<T> {
  let lock: Promise<unknown> = Promise.resolve();
  return <T>(f: () => Promise<T>): Promise<T> => {
    const run = lock.then(f, f);
    lock = run.catch(() => undefined);
    return run;
  };
}

const identity = (a: AlertmanagerAlert) => JSON.stringify([a.labels.check, a.labels.severity, a.labels.node]);

/** The notification of `hostward collector test-sink`: its own alertname, and it resolves by itself. */
function testAlert(change: GroupChange, t: number, opts: AlertBuildOptions): AlertmanagerAlert {
  const node = change.nodes[0] ?? 'hostward-collector';
  return {
    labels: {
      ...labelsOf(node, change.check, change.severity, probeOf(change.check), opts),
      alertname: ALERTNAME_TEST,
    },
    annotations: {
      summary: change.title,
      description: 'A test notification sent by `hostward collector test-sink`; nothing is wrong.',
    },
    startsAt: new Date(t).toISOString(),
    endsAt: new Date(t + RESOLVED_RESEND_MS).toISOString(),
  };
}

/** What one replica's sink keeps between deliveries and re-sends. */
interface ReplicaState {
  fleet?: FleetView;
  routed: SinkContext['routed'];
  /** Resolved alerts re-sent until `until`, by label identity. */
  recentlyResolved: Map<string, { alert: AlertmanagerAlert; until: number }>;
}

/** A re-send: every routed failing (node, check), and the alerts resolved in the last RESOLVED_RESEND_MS. */
function resendAlerts(
  state: ReplicaState,
  fleet: FleetView,
  t: number,
  endsInMs: number,
  opts: AlertBuildOptions,
): AlertmanagerAlert[] {
  const alerts = fleet
    .allFailing()
    .filter((r) => state.routed(r.check, r.severity))
    .map((r) => firingAlert(r, t, endsInMs, opts));
  const firing = new Set(alerts.map(identity));
  for (const [k, v] of state.recentlyResolved) {
    if (v.until <= t || firing.has(k)) state.recentlyResolved.delete(k);
    else alerts.push(v.alert);
  }
  return alerts;
}

/** The alerts one change posts (see the header), remembering those it resolves for the re-sends. */
function changeAlerts(
  state: ReplicaState,
  change: GroupChange,
  t: number,
  endsInMs: number,
  opts: AlertBuildOptions,
): AlertmanagerAlert[] {
  const failing = state.fleet ? state.fleet.failing(change.check, change.severity) : rowsFromChange(change);
  // An update posts the nodes it added (if still failing) and removed; the others were posted before
  // and the periodic re-send carries the whole state, so a 5,000-node group is not re-posted per change.
  const added = new Set(change.added);
  const posted = change.action === 'open' ? failing : failing.filter((f) => added.has(f.node));
  const alerts = alertsForChange(change, posted, t, endsInMs, opts, new Set(failing.map((f) => f.node)));
  for (const a of alerts) {
    if (a.startsAt === undefined) state.recentlyResolved.set(identity(a), { alert: a, until: t + RESOLVED_RESEND_MS });
    else state.recentlyResolved.delete(identity(a));
  }
  return alerts;
}

export function alertmanagerSink(opts: AlertmanagerSinkOptions): Sink & { resendNow(): Promise<void> } {
  const post = replicaPoster(opts);
  const serialized = serializer();
  const now = opts.now ?? Date.now;
  const resendMs = opts.resendMs ?? DEFAULT_RESEND_SECONDS * 1000;
  const endsInMs = 4 * resendMs;
  const state: ReplicaState = { routed: () => true, recentlyResolved: new Map() };
  let log: Logger | undefined;
  let timer: NodeJS.Timeout | undefined;
  const closing = new AbortController();

  async function resend(): Promise<void> {
    const fleet = state.fleet;
    if (!fleet) return;
    await serialized(async () => {
      const alerts = resendAlerts(state, fleet, now(), endsInMs, opts);
      if (alerts.length === 0) return;
      try {
        await post(alerts, closing.signal);
        log?.debug({ sink: opts.name, alerts: alerts.length }, 're-sent alerts');
      } catch (e) {
        log?.warn(
          { sink: opts.name, err: (e as Error).message },
          're-send failed; the queue and the next re-send will catch up',
        );
      }
    });
  }

  return {
    name: opts.name,
    configName: opts.configName,
    type: 'alertmanager',
    ownInhibition: true,
    deliver(change, signal): Promise<DeliveryResult> {
      return serialized(async () => {
        const t = now();
        if (change.test) return { answers: await post([testAlert(change, t, opts)], signal) };
        const alerts = changeAlerts(state, change, t, endsInMs, opts);
        if (alerts.length === 0) return { skipped: 'no alert to post' };
        return { answers: await post(alerts, signal) };
      });
    },
    attach(ctx) {
      state.fleet = ctx.fleet;
      state.routed = ctx.routed;
      log = ctx.log;
      timer = setInterval(() => void resend(), resendMs);
      timer.unref();
    },
    resendNow: resend,
    close() {
      if (timer) clearInterval(timer);
      closing.abort();
      return serialized(() => Promise.resolve());
    },
  };
}

/**
 * Validate a replica URL. Alertmanager inside a cluster is usually plain http:// (nothing secret is
 * posted: labels and annotations), so http:// is accepted, except when the URL carries credentials,
 * which need https:// (or 127.0.0.1). The URL is never shown in messages (it may hold a password).
 */
export function checkAlertmanagerUrl(raw: string, key: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(key, 'is not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(key, 'must be an http:// or https:// URL');
  if ((u.username || u.password) && u.protocol !== 'https:' && u.hostname !== '127.0.0.1')
    throw new ConfigError(key, 'a URL with credentials must be https://');
  if (u.search || u.hash) throw new ConfigError(key, 'must be the base URL of the Alertmanager (no query or fragment)');
  return u;
}

export interface AlertmanagerSinksOptions extends AlertBuildOptions {
  configName: string;
  urls: readonly string[];
  resendSeconds?: number;
  /** For messages: "collector.alertmanagerUrls". */
  key: string;
}

/** One sink per replica. */
export function alertmanagerSinks(o: AlertmanagerSinksOptions): Sink[] {
  if (o.urls.length === 0) throw new ConfigError(o.key, 'needs at least one URL');
  const seen = new Set<string>();
  return o.urls.map((url, i) => {
    const u = checkAlertmanagerUrl(url, `${o.key}[${i}]`);
    if (seen.has(u.toString())) throw new ConfigError(`${o.key}[${i}]`, 'the same replica twice');
    seen.add(u.toString());
    return alertmanagerSink({
      name: `${o.configName}[${i}]`,
      configName: o.configName,
      url,
      resendMs: (o.resendSeconds ?? DEFAULT_RESEND_SECONDS) * 1000,
      ...(o.cluster ? { cluster: o.cluster } : {}),
      ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
      ...(o.remediation ? { remediation: o.remediation } : {}),
    });
  });
}

/** Alertmanager re-send interval: 1 s to 10 min (its resolve_timeout defaults to 5 min). */
export function resendSeconds(v: unknown, key: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 600)
    throw new KeyedProblem(key, `must be an integer from 1 to 600, got ${JSON.stringify(v)}`);
  return n;
}

/** `collector.alertmanagerUrls`: a list, or one comma-separated string. */
function replicaUrls(v: unknown, key: string): string[] {
  const list: unknown = typeof v === 'string' ? v.split(',').map((x) => x.trim()) : v;
  if (!Array.isArray(list) || list.length === 0)
    throw new KeyedProblem(key, 'must be a list of URLs (every Alertmanager replica)');
  return list.map((u, i) => nonEmpty(u, `${key}[${i}]`));
}

const buildOptions = (env: SinkEnvironment): AlertBuildOptions => ({
  ...(env.cluster ? { cluster: env.cluster } : {}),
  ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
  remediation: env.remediation,
});

export interface AlertmanagerSinkDef {
  name: string;
  type: 'alertmanager';
  urls: string[];
  resendSeconds?: number;
}

export const alertmanagerDefinition = defineSink({
  type: 'alertmanager',
  floor: 'info',
  simpleNames: ['alertmanager'],
  keys: [
    {
      key: 'urls',
      type: t.text('a URL or a list of URLs'),
      required: true,
      example: ['http://am-0:9093', 'http://am-1:9093'],
      description: 'Every Alertmanager replica.',
    },
    {
      key: 'resendSeconds',
      type: t.int(1, 600, 'seconds'),
      defaultText: '`collector.alertmanagerResendSeconds`',
      example: 30,
      description: 'Re-send firing alerts this often.',
    },
  ],
  example: { name: 'am', type: 'alertmanager', urls: ['http://am-0:9093'] },
  parse: (x, at, name): AlertmanagerSinkDef => {
    if (x.urls === undefined)
      throw new KeyedProblem(
        `${at}.urls`,
        'required: every Alertmanager replica (alerts are not gossiped between replicas)',
      );
    const d: AlertmanagerSinkDef = { name, type: 'alertmanager', urls: strList(x.urls, `${at}.urls`) };
    if (x.resendSeconds !== undefined) d.resendSeconds = resendSeconds(x.resendSeconds, `${at}.resendSeconds`);
    return d;
  },
  settings: {
    /** Every Alertmanager replica (comma-separated in the variable): each gets every alert. */
    alertmanagerUrls: setting({
      env: 'HOSTWARD_ALERTMANAGER_URLS',
      parse: replicaUrls,
      fromEnv: (raw) =>
        raw
          .split(',')
          .map((u) => u.trim())
          .filter((u) => u),
      doc: {
        type: t.text('list of URLs (comma-separated in the environment)'),
        example: ['http://am-0:9093', 'http://am-1:9093'],
        envExample: 'http://am-0:9093,http://am-1:9093',
        description: 'Alertmanager sink (API v2): every replica, each gets every alert.',
      },
    }),
    /** Re-send firing alerts this often; its resolve_timeout is 5 min. */
    alertmanagerResendSeconds: defaulted({
      default: DEFAULT_RESEND_SECONDS,
      parse: resendSeconds,
      doc: {
        type: t.int(1, 600, 'seconds'),
        description: 'Re-send firing alerts to Alertmanager this often (its `resolve_timeout` is 5 minutes).',
      },
    }),
  },
  simple: (s, env, [name]) =>
    s.alertmanagerUrls === undefined || s.alertmanagerUrls.length === 0
      ? []
      : alertmanagerSinks({
          ...buildOptions(env),
          configName: name,
          urls: s.alertmanagerUrls,
          resendSeconds: s.alertmanagerResendSeconds,
          key: 'collector.alertmanagerUrls (HOSTWARD_ALERTMANAGER_URLS)',
        }),
  create: (d, s, env, at) =>
    alertmanagerSinks({
      ...buildOptions(env),
      configName: d.name,
      urls: d.urls,
      resendSeconds: d.resendSeconds ?? s.alertmanagerResendSeconds,
      key: `${at}.urls`,
    }),
});
