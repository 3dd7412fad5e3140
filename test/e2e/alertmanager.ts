/**
 * deploy/alertmanager/alertmanager.yml rewritten for tests, and a real Alertmanager started on loopback. Two
 * rewrites: every receiver's Slack/PagerDuty endpoint pointed at a local recorder (secrets in temp files, as in
 * production), or every receiver replaced by a webhook to a local recorder (the end-to-end test). Both keep
 * the routing tree and the inhibit rules, with group_wait/group_interval shortened to a second.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { start, startOnFreePort } from './procs.js';
import type { Started } from './procs.js';

export const EXAMPLE = path.resolve('deploy/alertmanager/alertmanager.yml');
export const TEMPLATE = path.resolve('deploy/alertmanager/hostward.tmpl');

interface RouteDoc {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteDoc[];
  [k: string]: unknown;
}
interface ReceiverDoc {
  name: string;
  slack_configs?: Record<string, unknown>[];
  pagerduty_configs?: Record<string, unknown>[];
  webhook_configs?: Record<string, unknown>[];
  [k: string]: unknown;
}
export interface AlertmanagerDoc {
  global?: Record<string, unknown>;
  templates?: string[];
  route: RouteDoc;
  inhibit_rules?: unknown[];
  receivers: ReceiverDoc[];
}

export function readExample(): AlertmanagerDoc {
  return parse(readFileSync(EXAMPLE, 'utf8')) as AlertmanagerDoc;
}

/** Every route of the tree, the root first. */
export function routes(r: RouteDoc): RouteDoc[] {
  return [r, ...(r.routes ?? []).flatMap(routes)];
}

function shortenTimers(doc: AlertmanagerDoc): void {
  for (const r of routes(doc.route)) {
    if (r === doc.route || r.group_wait !== undefined) r.group_wait = '1s';
    if (r === doc.route || r.group_interval !== undefined) r.group_interval = '1s';
  }
}

/** Every string in the document that looks like a URL (for the loopback-only assertion). */
export function urlsIn(v: unknown): string[] {
  if (typeof v === 'string') return v.match(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi) ?? [];
  if (Array.isArray(v)) return v.flatMap(urlsIn);
  if (v && typeof v === 'object') return Object.values(v).flatMap(urlsIn);
  return [];
}

/**
 * The example with its Slack webhook URLs and PagerDuty routing key in files under `dir` (the URLs on the
 * recorder, one path per receiver) and the PagerDuty endpoint on the recorder. Returns the config path.
 */
export function exampleWithMockEndpoints(dir: string, recorderUrl: string, routingKey: string): string {
  const doc = readExample();
  const secrets = path.join(dir, 'secrets');
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  doc.templates = [TEMPLATE];
  // Defence in depth: even a PagerDuty config without its own url goes to the recorder.
  doc.global = { ...doc.global, pagerduty_url: `${recorderUrl}/pagerduty/global` };
  for (const rcv of doc.receivers) {
    for (const [i, c] of (rcv.slack_configs ?? []).entries()) {
      const file = path.join(secrets, `${rcv.name}-slack-${i}`);
      writeFileSync(file, `${recorderUrl}/slack/${rcv.name}\n`, { mode: 0o600 });
      c.api_url_file = file;
    }
    for (const [i, c] of (rcv.pagerduty_configs ?? []).entries()) {
      const file = path.join(secrets, `${rcv.name}-pagerduty-${i}`);
      writeFileSync(file, routingKey, { mode: 0o600 });
      c.routing_key_file = file;
      c.url = `${recorderUrl}/pagerduty/${rcv.name}`;
    }
  }
  shortenTimers(doc);
  const out = path.join(dir, 'alertmanager.yml');
  writeFileSync(out, stringify(doc));
  return out;
}

/** The example's routing and inhibition, every receiver replaced by a webhook to `${recorderUrl}/<receiver>`. */
export function exampleWithWebhooks(dir: string, recorderUrl: string): string {
  const doc = readExample();
  delete doc.templates;
  doc.receivers = doc.receivers.map((r) => ({
    name: r.name,
    webhook_configs: [{ url: `${recorderUrl}/${r.name}`, send_resolved: true }],
  }));
  shortenTimers(doc);
  const out = path.join(dir, 'alertmanager.yml');
  writeFileSync(out, stringify(doc));
  return out;
}

/** A real Alertmanager on a free loopback port, clustering off, state in `dir`. */
export async function startAlertmanager(configFile: string, dir: string): Promise<{ server: Started; url: string }> {
  const storage = path.join(dir, 'am-data');
  mkdirSync(storage, { recursive: true });
  const { server, port } = await startOnFreePort(
    'alertmanager',
    (port) =>
      start('alertmanager', 'prometheus-alertmanager', [
        `--config.file=${configFile}`,
        `--storage.path=${storage}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}/`,
        // Empty: no gossip listener, no peers (one replica).
        '--cluster.listen-address=',
        '--log.level=debug',
      ]),
    '/-/ready',
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** POST /api/v2/alerts; throws with Alertmanager's answer unless 200. */
export async function postAlerts(amUrl: string, alerts: PostedAlert[]): Promise<void> {
  const r = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (r.status !== 200) throw new Error(`POST /api/v2/alerts: ${r.status} ${await r.text()}`);
}

export interface AmAlertStatus {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

export async function getAlerts(amUrl: string): Promise<AmAlertStatus[]> {
  const r = await fetch(`${amUrl}/api/v2/alerts`);
  return (await r.json()) as AmAlertStatus[];
}
