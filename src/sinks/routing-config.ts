/**
 * Parsers for the collector's `sinks` (named sinks) and `routing` (routes, default, inhibit) settings.
 * Pure and free of imports from config.ts (which calls them), so there is no import cycle: a problem is
 * thrown as KeyedProblem naming the exact key ("collector.routing.routes[1].match.severity"), and
 * config.ts turns it into a ConfigError.
 *
 *   sinks:
 *     - { name: sec-slack, type: slack, webhookUrlFile: /run/secrets/slack, sendResolved: true }
 *     - { name: oncall, type: pagerduty, routingKeyFile: /run/secrets/pd, url: https://events.eu.pagerduty.com/v2/enqueue }
 *     - { name: am, type: alertmanager, urls: [http://am-0:9093, http://am-1:9093], resendSeconds: 60 }
 *     - { name: soc, type: webhook, urlFile: /run/secrets/soc-url, secretFile: /run/secrets/soc-hmac }
 *     - { name: audit, type: file, path: /var/lib/hostward/audit.ndjson }
 *   routing:
 *     routes:
 *       - { match: { severity: { min: high }, probe: [ssh, kernel] }, sinks: [oncall], continue: true }
 *       - { match: { check: "ssh.*" }, sinks: [sec-slack] }
 *     default: [sec-slack]
 *     inhibit:
 *       - { source: { check: "ssh.*", severity: critical }, target: { check: "ssh.*", severity: [medium, low] } }
 *
 * Without a `routing` block, each sink gets the groups from its kind's floor up (routing.ts DEFAULT_FLOORS:
 * PagerDuty critical and high, Slack and webhooks medium and above, Alertmanager and files everything).
 */
import { SEVERITIES, isSeverity, severityRank } from '../contracts.js';
import type { Severity } from '../contracts.js';

export class KeyedProblem extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}

/** Conditions on a group; all given ones must hold. Absent = any. */
export interface Matcher {
  severities?: Severity[];
  probes?: string[];
  /** Globs over check ids: `*` any run of characters, `?` one. */
  checks?: string[];
}

export interface Route {
  match: Matcher;
  /** Configured sink names. */
  sinks: string[];
  /** Keep walking the routes after this one matched (Alertmanager's `continue`). */
  continue: boolean;
}

export interface InhibitRule {
  source: Matcher;
  target: Matcher;
}

export interface Routing {
  routes: Route[];
  /** Sinks for a group no route matched; absent means every sink (only allowed without routes). */
  default?: string[];
  inhibit: InhibitRule[];
}

export type SinkDef =
  | { name: string; type: 'slack'; webhookUrlFile: string; sendResolved: boolean }
  | { name: string; type: 'pagerduty'; routingKeyFile: string; url?: string }
  | { name: string; type: 'alertmanager'; urls: string[]; resendSeconds?: number }
  | { name: string; type: 'webhook'; urlFile: string; secretFile?: string }
  | { name: string; type: 'file'; path: string };

export const SINK_TYPES = ['slack', 'pagerduty', 'alertmanager', 'webhook', 'file'] as const;
export type SinkType = (typeof SINK_TYPES)[number];
/** Names the simple setup uses (collector.slackWebhookUrlFile → "slack", ...); named sinks may not reuse them. */
export const RESERVED_SINK_NAMES = ['slack', 'pagerduty', 'alertmanager', 'webhook', 'file', 'stdout'] as const;
const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function allow(o: Obj, at: string, keys: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) throw new KeyedProblem(`${at}.${k}`, `unknown key (expected one of: ${keys.join(', ')})`);
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new KeyedProblem(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** A string or a list of strings, as a non-empty list. */
function strList(v: unknown, key: string): string[] {
  if (typeof v === 'string') return [str(v, key)];
  if (!Array.isArray(v) || v.length === 0)
    throw new KeyedProblem(key, 'must be a string or a non-empty list of strings');
  return v.map((x, i) => str(x, `${key}[${i}]`));
}

function bool(v: unknown, key: string): boolean {
  if (typeof v !== 'boolean') throw new KeyedProblem(key, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function sev(v: unknown, key: string): Severity {
  if (!isSeverity(v)) throw new KeyedProblem(key, `must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** `severity: high`, `severity: [critical, high]` or `severity: { min: high }` (high and above). */
function severities(v: unknown, key: string): Severity[] {
  if (isObj(v)) {
    allow(v, key, ['min']);
    if (v.min === undefined) throw new KeyedProblem(`${key}.min`, 'required in a { min: SEVERITY } matcher');
    const min = sev(v.min, `${key}.min`);
    return SEVERITIES.filter((s) => severityRank(s) <= severityRank(min));
  }
  if (typeof v === 'string') return [sev(v, key)];
  if (!Array.isArray(v) || v.length === 0)
    throw new KeyedProblem(key, 'must be a severity, a list of severities or { min: SEVERITY }');
  return v.map((x, i) => sev(x, `${key}[${i}]`));
}

const GLOB_RE = /^[A-Za-z0-9_.*?-]+$/;

function matcher(v: unknown, key: string): Matcher {
  if (!isObj(v)) throw new KeyedProblem(key, 'must be a mapping with severity, probe and/or check');
  allow(v, key, ['severity', 'probe', 'check']);
  const m: Matcher = {};
  if (v.severity !== undefined) m.severities = severities(v.severity, `${key}.severity`);
  if (v.probe !== undefined) m.probes = strList(v.probe, `${key}.probe`);
  if (v.check !== undefined) {
    m.checks = strList(v.check, `${key}.check`);
    m.checks.forEach((g, i) => {
      if (!GLOB_RE.test(g))
        throw new KeyedProblem(
          Array.isArray(v.check) ? `${key}.check[${i}]` : `${key}.check`,
          `${JSON.stringify(g)} is not a check pattern (letters, digits, . _ - and the wildcards * ?)`,
        );
    });
  }
  return m;
}

function sinkNames(v: unknown, key: string): string[] {
  if (!Array.isArray(v)) throw new KeyedProblem(key, 'must be a list of sink names');
  return v.map((x, i) => str(x, `${key}[${i}]`));
}

export function parseRouting(raw: unknown, at: string): Routing {
  if (!isObj(raw)) throw new KeyedProblem(at, 'must be a mapping with routes, default and/or inhibit');
  allow(raw, at, ['routes', 'default', 'inhibit']);
  const r: Routing = { routes: [], inhibit: [] };
  if (raw.routes !== undefined) {
    if (!Array.isArray(raw.routes)) throw new KeyedProblem(`${at}.routes`, 'must be a list');
    r.routes = raw.routes.map((x, i) => {
      const key = `${at}.routes[${i}]`;
      if (!isObj(x)) throw new KeyedProblem(key, 'must be a mapping with match, sinks and continue');
      allow(x, key, ['match', 'sinks', 'continue']);
      if (x.sinks === undefined) throw new KeyedProblem(`${key}.sinks`, 'required: the sinks this route sends to');
      return {
        match: x.match === undefined ? {} : matcher(x.match, `${key}.match`),
        sinks: sinkNames(x.sinks, `${key}.sinks`),
        continue: x.continue === undefined ? false : bool(x.continue, `${key}.continue`),
      };
    });
  }
  if (raw.default !== undefined) r.default = sinkNames(raw.default, `${at}.default`);
  else if (r.routes.length > 0)
    throw new KeyedProblem(
      `${at}.default`,
      'required with routes: the sinks for groups no route matches ([] to drop them)',
    );
  if (raw.inhibit !== undefined) {
    if (!Array.isArray(raw.inhibit)) throw new KeyedProblem(`${at}.inhibit`, 'must be a list');
    r.inhibit = raw.inhibit.map((x, i) => {
      const key = `${at}.inhibit[${i}]`;
      if (!isObj(x)) throw new KeyedProblem(key, 'must be a mapping with source and target');
      allow(x, key, ['source', 'target']);
      if (x.source === undefined) throw new KeyedProblem(`${key}.source`, 'required');
      if (x.target === undefined) throw new KeyedProblem(`${key}.target`, 'required');
      return { source: matcher(x.source, `${key}.source`), target: matcher(x.target, `${key}.target`) };
    });
  }
  return r;
}

export function parseSinkDefs(raw: unknown, at: string): SinkDef[] {
  if (!Array.isArray(raw)) throw new KeyedProblem(at, 'must be a list of sinks');
  const seen = new Set<string>();
  return raw.map((x, i) => {
    const key = `${at}[${i}]`;
    if (!isObj(x)) throw new KeyedProblem(key, 'must be a mapping with name and type');
    const name = str(x.name, `${key}.name`);
    if (!NAME_RE.test(name))
      throw new KeyedProblem(
        `${key}.name`,
        `${JSON.stringify(name)} must start with a letter and hold only letters, digits, _ and - (at most 63)`,
      );
    if ((RESERVED_SINK_NAMES as readonly string[]).includes(name))
      throw new KeyedProblem(`${key}.name`, `"${name}" is the name of the simple setup's sink; choose another`);
    if (seen.has(name)) throw new KeyedProblem(`${key}.name`, `a second sink named "${name}"`);
    seen.add(name);
    const type = x.type;
    if (!(SINK_TYPES as readonly unknown[]).includes(type))
      throw new KeyedProblem(`${key}.type`, `must be one of ${SINK_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    switch (type as SinkDef['type']) {
      case 'slack':
        allow(x, key, ['name', 'type', 'webhookUrlFile', 'sendResolved']);
        return {
          name,
          type: 'slack',
          webhookUrlFile: str(x.webhookUrlFile, `${key}.webhookUrlFile`),
          sendResolved: x.sendResolved === undefined ? true : bool(x.sendResolved, `${key}.sendResolved`),
        };
      case 'pagerduty': {
        allow(x, key, ['name', 'type', 'routingKeyFile', 'url']);
        const d: SinkDef = { name, type: 'pagerduty', routingKeyFile: str(x.routingKeyFile, `${key}.routingKeyFile`) };
        if (x.url !== undefined) d.url = str(x.url, `${key}.url`);
        return d;
      }
      case 'alertmanager': {
        allow(x, key, ['name', 'type', 'urls', 'resendSeconds']);
        if (x.urls === undefined)
          throw new KeyedProblem(
            `${key}.urls`,
            'required: every Alertmanager replica (alerts are not gossiped between replicas)',
          );
        const d: SinkDef = { name, type: 'alertmanager', urls: strList(x.urls, `${key}.urls`) };
        if (x.resendSeconds !== undefined) d.resendSeconds = resendSeconds(x.resendSeconds, `${key}.resendSeconds`);
        return d;
      }
      case 'webhook': {
        allow(x, key, ['name', 'type', 'urlFile', 'secretFile']);
        const d: SinkDef = { name, type: 'webhook', urlFile: str(x.urlFile, `${key}.urlFile`) };
        if (x.secretFile !== undefined) d.secretFile = str(x.secretFile, `${key}.secretFile`);
        return d;
      }
      case 'file':
        allow(x, key, ['name', 'type', 'path']);
        return { name, type: 'file', path: str(x.path, `${key}.path`) };
    }
  });
}

/** Alertmanager re-send interval: 1 s to 10 min (its resolve_timeout defaults to 5 min). */
export function resendSeconds(v: unknown, key: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 600)
    throw new KeyedProblem(key, `must be an integer from 1 to 600, got ${JSON.stringify(v)}`);
  return n;
}
