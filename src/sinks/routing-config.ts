/**
 * Parsers for the collector's `routing` (routes, default, inhibit) settings; the named sinks of `sinks` are
 * parsed by the registry (src/sinks/registry.ts). Free of imports from config.ts (which calls them), so
 * there is no import cycle: a problem is thrown as KeyedProblem naming the exact key
 * ("collector.routing.routes[1].match.severity"), and config.ts turns it into a ConfigError.
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
import { allow, bool, isObj, KeyedProblem, str, strList } from './keyed.js';

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
