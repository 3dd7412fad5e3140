/**
 * The sinks configured for this collector, built (and validated) at start: a sink whose configuration is
 * wrong fails the start loudly rather than being silently left out.
 *
 * The simple setup (one key or environment variable per sink) gives sinks named after their kind (the
 * registry, src/sinks/registry.ts, lists the kinds); `collector.sinks` adds named ones. Each is wrapped by
 * the router (src/sinks/routing.ts): routes and inhibition decide, per queued change, whether it is sent.
 * Alertmanager is one sink (and one persistent queue) per replica, "<name>[i]", all answering to the
 * configured name.
 */
import type { CollectorConfig } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import type { SinkEnvironment } from '../sinks/definition.js';
import { SINK_DEFINITIONS, sinkDefinition } from '../sinks/registry.js';
import { Router, routedSink } from '../sinks/routing.js';
import type { CheckCatalogue } from './catalogue.js';
import { checkCatalogue } from './catalogue.js';
import type { Sink } from './sink.js';

/** What every sink's factory gets from the collector's configuration besides its own keys. */
function sinkEnvironment(cfg: CollectorConfig, checks: CheckCatalogue): SinkEnvironment {
  return {
    ...(cfg.cluster ? { cluster: cfg.cluster } : {}),
    ...(cfg.publicUrl ? { publicUrl: cfg.publicUrl } : {}),
    remediation: checks.remediation,
  };
}

/**
 * The sinks as configured, before routing: the simple setup's, in registry order, then `collector.sinks`.
 * Their texts take each check's remediation from `checks`; test-sink builds them without one, its test
 * notification naming no check of the catalogue.
 */
export function createBareSinks(cfg: CollectorConfig, checks: CheckCatalogue = checkCatalogue([])): Sink[] {
  const env = sinkEnvironment(cfg, checks);
  const sinks = SINK_DEFINITIONS.flatMap((d) => sinkDefinition(d.type).simple(cfg, env, d.simpleNames));
  (cfg.sinks ?? []).forEach((d, i) =>
    sinks.push(...sinkDefinition(d.type).create(d, cfg, env, `collector.sinks[${i}]`)),
  );
  const names = new Set<string>();
  for (const s of sinks) {
    if (names.has(s.name)) throw new ConfigError('collector.sinks', `two sinks are named ${s.name}`);
    names.add(s.name);
  }
  return sinks;
}

/** The configured name of a sink (what routes and `test-sink` use). */
export const configNameOf = (s: Sink): string => s.configName ?? s.name;

export function createSinks(cfg: CollectorConfig, checks: CheckCatalogue): Sink[] {
  const sinks = createBareSinks(cfg, checks);
  const known = new Set(sinks.map(configNameOf));
  const r = cfg.routing;
  if (r) {
    const check = (names: readonly string[], at: string) =>
      names.forEach((n, i) => {
        if (!known.has(n))
          throw new ConfigError(`${at}[${i}]`, `no sink named "${n}" (configured: ${[...known].join(', ') || 'none'})`);
      });
    r.routes.forEach((route, i) => check(route.sinks, `collector.routing.routes[${i}].sinks`));
    if (r.default) check(r.default, 'collector.routing.default');
  }
  const types = new Map(sinks.flatMap((s) => (s.type ? [[configNameOf(s), s.type] as const] : [])));
  const router = new Router(r, [...known], types);
  return sinks.map((s) => routedSink(s, router));
}
