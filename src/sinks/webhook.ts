/**
 * The generic webhook sink: the group change as JSON ({"type": "hostward.alert_group", "version": 1,
 * ...change, "cluster"}) POSTed to a URL read from a file (URLs of such hooks often carry a token). With a
 * secret file, each request is signed so the receiver can check origin and freshness:
 *
 *   X-Hostward-Timestamp: <unix seconds>
 *   X-Hostward-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * (the scheme of Slack's and Stripe's signed requests: the timestamp inside the MAC stops replays of old
 * bodies). 2xx is success, 4xx a configuration error, 429 and 5xx are retried.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeliveryResult, GroupChange, Sink } from '../collector/sink.js';
import { optionType as t } from '../probe-options.js';
import { ConfigError } from '../config/config-error.js';
import { checkUrl, readSecretFile } from './config.js';
import { defineSink, setting } from './definition.js';
import type { SinkEnvironment } from './definition.js';
import { postJson } from './http.js';
import { nonEmpty, str } from './keyed.js';
import { registerSecrets, urlSecrets } from './redact.js';
import { fleetLink } from './text.js';

export const SIGNATURE_HEADER = 'X-Hostward-Signature';
export const TIMESTAMP_HEADER = 'X-Hostward-Timestamp';

export function webhookBody(change: GroupChange, cluster?: string, publicUrl?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { type: 'hostward.alert_group', version: 1, ...change };
  if (cluster) body.cluster = cluster;
  const link = fleetLink(publicUrl, change.check);
  if (link) body.url = link;
  return body;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's side (documented for users; used by the tests): constant-time, with a freshness window. */
export function verifyWebhook(
  secret: string,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  body: string,
  nowMs = Date.now(),
  toleranceSec = 300,
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSec) return false;
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface WebhookSinkOptions {
  name: string;
  url: string;
  secret?: string;
  cluster?: string;
  publicUrl?: string;
  timeoutMs?: number;
  now?: () => number;
}

export function webhookSink(opts: WebhookSinkOptions): Sink {
  const now = opts.now ?? Date.now;
  // The URL and any of its parts may be the credential, and receivers like to echo tokens back.
  const redact = [...urlSecrets(opts.url), opts.secret ?? ''];
  registerSecrets(redact);
  return {
    name: opts.name,
    type: 'webhook',
    async deliver(change, signal): Promise<DeliveryResult> {
      const body = JSON.stringify(webhookBody(change, opts.cluster, opts.publicUrl));
      const headers: Record<string, string> = {};
      if (opts.secret) {
        const ts = String(Math.floor(now() / 1000));
        headers[TIMESTAMP_HEADER] = ts;
        headers[SIGNATURE_HEADER] = signWebhook(opts.secret, ts, body);
      }
      const answer = await postJson(opts.url, body, {
        what: opts.name,
        signal,
        headers,
        redact,
        serialized: true,
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
      return { answers: [answer] };
    },
  };
}

/** A webhook sink from its URL file (and secret file); the `*Key` arguments name the settings in errors. */
function webhookFrom(
  env: SinkEnvironment,
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
    ...(env.cluster ? { cluster: env.cluster } : {}),
    ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
  });
}

export interface WebhookSinkDef {
  name: string;
  type: 'webhook';
  urlFile: string;
  secretFile?: string;
}

export const webhookDefinition = defineSink({
  type: 'webhook',
  floor: 'medium',
  simpleNames: ['webhook'],
  keys: [
    {
      key: 'urlFile',
      type: t.str('file'),
      required: true,
      example: '/run/secrets/soc-url',
      description: 'File holding the URL.',
    },
    {
      key: 'secretFile',
      type: t.str('file'),
      example: '/run/secrets/soc-hmac',
      description: 'HMAC-SHA256 secret for `X-Hostward-Signature`.',
    },
  ],
  example: { name: 'soc', type: 'webhook', urlFile: '/run/secrets/soc-url' },
  parse: (x, at, name): WebhookSinkDef => {
    const d: WebhookSinkDef = { name, type: 'webhook', urlFile: str(x.urlFile, `${at}.urlFile`) };
    if (x.secretFile !== undefined) d.secretFile = str(x.secretFile, `${at}.secretFile`);
    return d;
  },
  settings: {
    /** File holding the URL group changes are posted to. */
    webhookUrlFile: setting({
      env: 'HOSTWARD_WEBHOOK_URL_FILE',
      parse: nonEmpty,
      doc: {
        type: t.str('file'),
        example: '/etc/hostward/webhook/url',
        description: 'Webhook sink: file holding the URL group changes are posted to as JSON.',
      },
    }),
    /** File holding the HMAC secret requests are signed with. */
    webhookSecretFile: setting({
      env: 'HOSTWARD_WEBHOOK_SECRET_FILE',
      parse: nonEmpty,
      doc: {
        type: t.str('file'),
        example: '/etc/hostward/webhook/secret',
        description:
          'Webhook sink: HMAC-SHA256 secret; requests then carry `X-Hostward-Signature: v1=…` over `timestamp.body`.',
      },
    }),
  },
  simple: (s, env, [name]) => {
    if (s.webhookUrlFile !== undefined)
      return [
        webhookFrom(
          env,
          name,
          s.webhookUrlFile,
          'collector.webhookUrlFile (HOSTWARD_WEBHOOK_URL_FILE)',
          s.webhookSecretFile,
          'collector.webhookSecretFile (HOSTWARD_WEBHOOK_SECRET_FILE)',
        ),
      ];
    if (s.webhookSecretFile !== undefined)
      throw new ConfigError(
        'collector.webhookSecretFile (HOSTWARD_WEBHOOK_SECRET_FILE)',
        'set without collector.webhookUrlFile (HOSTWARD_WEBHOOK_URL_FILE)',
      );
    return [];
  },
  create: (d, _s, env, at) => [webhookFrom(env, d.name, d.urlFile, `${at}.urlFile`, d.secretFile, `${at}.secretFile`)],
});
