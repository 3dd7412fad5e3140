/**
 * The sinks configured for this collector, built (and validated) at start: a sink whose configuration is
 * wrong fails the start loudly rather than being silently left out.
 *
 * The simple setup (one key or environment variable per sink) gives sinks named file/stdout, slack,
 * pagerduty, alertmanager and webhook; `collector.sinks` adds named ones. Each is wrapped by the router
 * (src/sinks/routing.ts): routes and inhibition decide, per queued change, whether it is sent. Alertmanager
 * is one sink (and one persistent queue) per replica, "<name>[i]", all answering to the configured name.
 */
import type { CollectorConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { alertmanagerSinks } from '../sinks/alertmanager.js';
import { checkUrl, readSecretFile } from '../sinks/config.js';
import { pagerdutySinkFrom, pagerdutySinkFromConfig } from '../sinks/pagerduty.js';
import { Router, routedSink } from '../sinks/routing.js';
import { slackSinkFrom, slackSinkFromConfig } from '../sinks/slack.js';
import { webhookSink } from '../sinks/webhook.js';
import type { CheckCatalogue } from './catalogue.js';
import { checkCatalogue } from './catalogue.js';
import { fileSink } from './file-sink.js';
import type { Sink } from './sink.js';

function webhookFrom(
  cfg: CollectorConfig,
  name: string,
  urlFile: string,
  urlKey: string,
  secretFile: string | undefined,
  secretKey: string,
): Sink {
  const url = readSecretFile(urlFile, urlKey);
  checkUrl(url, urlKey, true);
  const secret = secretFile === undefined ? undefined : readSecretFile(secretFile, secretKey);
  return webhookSink({
    name,
    url,
    ...(secret ? { secret } : {}),
    ...(cfg.cluster ? { cluster: cfg.cluster } : {}),
    ...(cfg.publicUrl ? { publicUrl: cfg.publicUrl } : {}),
  });
}

/**
 * The sinks as configured, before routing. Their texts take each check's remediation from `checks`; test-sink
 * builds them without one, its test notification naming no check of the catalogue.
 */
export function createBareSinks(cfg: CollectorConfig, checks: CheckCatalogue = checkCatalogue([])): Sink[] {
  const sinks: Sink[] = [];
  const remediationOf = checks.remediation;
  const common = {
    ...(cfg.cluster ? { cluster: cfg.cluster } : {}),
    ...(cfg.publicUrl ? { publicUrl: cfg.publicUrl } : {}),
    remediation: remediationOf,
  };
  if (cfg.fileSink) sinks.push(fileSink(cfg.fileSink));
  for (const s of [slackSinkFromConfig(cfg, remediationOf), pagerdutySinkFromConfig(cfg)]) if (s) sinks.push(s);
  if (cfg.alertmanagerUrls !== undefined && cfg.alertmanagerUrls.length > 0) {
    sinks.push(
      ...alertmanagerSinks({
        ...common,
        configName: 'alertmanager',
        urls: cfg.alertmanagerUrls,
        resendSeconds: cfg.alertmanagerResendSeconds,
        key: 'collector.alertmanagerUrls (HOSTWARD_ALERTMANAGER_URLS)',
      }),
    );
  }
  if (cfg.webhookUrlFile !== undefined) {
    sinks.push(
      webhookFrom(
        cfg,
        'webhook',
        cfg.webhookUrlFile,
        'collector.webhookUrlFile (HOSTWARD_WEBHOOK_URL_FILE)',
        cfg.webhookSecretFile,
        'collector.webhookSecretFile (HOSTWARD_WEBHOOK_SECRET_FILE)',
      ),
    );
  } else if (cfg.webhookSecretFile !== undefined) {
    throw new ConfigError(
      'collector.webhookSecretFile (HOSTWARD_WEBHOOK_SECRET_FILE)',
      'set without collector.webhookUrlFile (HOSTWARD_WEBHOOK_URL_FILE)',
    );
  }
  (cfg.sinks ?? []).forEach((d, i) => {
    const at = `collector.sinks[${i}]`;
    switch (d.type) {
      case 'slack':
        sinks.push(
          slackSinkFrom(
            cfg,
            {
              name: d.name,
              webhookUrlFile: d.webhookUrlFile,
              key: `${at}.webhookUrlFile`,
              sendResolved: d.sendResolved,
            },
            remediationOf,
          ),
        );
        break;
      case 'pagerduty':
        sinks.push(
          pagerdutySinkFrom(cfg, {
            name: d.name,
            routingKeyFile: d.routingKeyFile,
            routingKeyKey: `${at}.routingKeyFile`,
            url: d.url,
            urlKey: `${at}.url`,
          }),
        );
        break;
      case 'alertmanager':
        sinks.push(
          ...alertmanagerSinks({
            ...common,
            configName: d.name,
            urls: d.urls,
            resendSeconds: d.resendSeconds ?? cfg.alertmanagerResendSeconds,
            key: `${at}.urls`,
          }),
        );
        break;
      case 'webhook':
        sinks.push(webhookFrom(cfg, d.name, d.urlFile, `${at}.urlFile`, d.secretFile, `${at}.secretFile`));
        break;
      case 'file':
        sinks.push(Object.assign(fileSink(d.path), { name: d.name }));
        break;
    }
  });
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
