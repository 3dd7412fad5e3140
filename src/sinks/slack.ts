/**
 * The Slack incoming-webhook sink: one Block Kit message per group change ("ssh.password_auth failing on
 * 12 nodes") with an evidence excerpt from one failing node (fleet state), the check's remediation (the
 * catalogue) and a link to the fleet page; resolves as a follow-up message unless `sendResolved: false`.
 * `slackPayload` is pure and tested without a network; the sink posts it through the shared HTTP helper,
 * at most one message per second per webhook. Slack answers 200 `ok`; 4xx (invalid_payload, no_service,
 * channel_not_found, ...) is a configuration error.
 */
import type { DeliveryResult, FailingNodeCheck, FleetView, GroupChange, Sink } from '../collector/sink.js';
import { SinkError } from '../collector/sink.js';
import { optionType as t } from '../probe-options.js';
import { checkUrl, readSecretFile } from './config.js';
import { defaulted, defineSink, setting } from './definition.js';
import type { SinkEnvironment } from './definition.js';
import { postJson, RateLimiter } from './http.js';
import { bool, nonEmpty, str } from './keyed.js';
import { registerSecrets, slackSecrets } from './redact.js';
import { fleetLink, headline, truncate } from './text.js';

/** Block Kit limits (docs.slack.dev). */
export const SLACK_LIMITS = { header: 150, section: 3000, blocks: 50 } as const;
/** Node names listed in a message before "and M more". */
export const SLACK_NODES_SHOWN = 10;

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}
export type SlackBlock =
  | { type: 'header'; text: SlackText & { type: 'plain_text' } }
  | { type: 'section'; text: SlackText & { type: 'mrkdwn' } }
  | { type: 'context'; elements: (SlackText & { type: 'mrkdwn' })[] };

export interface SlackMessage {
  /** Notification fallback. */
  text: string;
  blocks: SlackBlock[];
}

export interface SlackPayloadOptions {
  nodesShown?: number;
  /** One failing node's message and evidence, shown as an excerpt. */
  evidence?: Pick<FailingNodeCheck, 'node' | 'message' | 'evidence'>;
  remediation?: string;
  /** The fleet page for this check. */
  link?: string;
  cluster?: string;
}

/** Evidence lines shown in a message. */
export const SLACK_EVIDENCE_LINES = 5;

/** Escape the three characters Slack's mrkdwn treats specially. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "`a`, `b`, `c` and 9 more" over the first `shown` of the change's nodes. */
function nodeList(nodes: readonly string[], total: number, shown: number): string {
  const first = nodes.slice(0, shown);
  const more = Math.max(0, total - first.length);
  const list = first.map((n) => `\`${escapeMrkdwn(n.replace(/`/g, "'"))}\``).join(', ');
  if (!list) return more > 0 ? `${more} nodes` : '';
  return more > 0 ? `${list} and ${more} more` : list;
}

/**
 * "*Evidence* from `worker-1`:" and a code block of the message and up to 5 evidence lines, within a section's limit.
 */
function evidenceText(e: NonNullable<SlackPayloadOptions['evidence']>): string {
  const lines = [e.message];
  for (const ev of e.evidence.slice(0, SLACK_EVIDENCE_LINES)) {
    const where = ev.file ? `${ev.file}${ev.line !== undefined ? `:${ev.line}` : ''}` : '';
    const text = ev.text ? truncate(ev.text.replace(/\s+/g, ' '), 500) : '';
    if (where || text) lines.push(`${where}${where && text ? ': ' : ''}${text}`);
  }
  const head = `*Evidence* from \`${escapeMrkdwn(e.node.replace(/`/g, "'"))}\`:\n`;
  // Three backticks inside the excerpt would end the code block early.
  const body = escapeMrkdwn(
    lines
      .filter((l) => l)
      .join('\n')
      .replace(/```/g, "'''"),
  );
  const room = SLACK_LIMITS.section - head.length - 8;
  return `${head}\`\`\`${truncate(body, room)}\`\`\``;
}

/** The Block Kit message for one group change. Pure. */
export function slackPayload(change: GroupChange, opts: SlackPayloadOptions = {}): SlackMessage {
  const shown = opts.nodesShown ?? SLACK_NODES_SHOWN;
  const resolved = change.action === 'resolve';
  const head = `${change.test ? '[TEST] ' : ''}${opts.cluster ? `${opts.cluster}: ` : ''}${headline(change)}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(head, SLACK_LIMITS.header) } },
  ];
  const sev = change.severity.toUpperCase();
  const summary = resolved
    ? `*${escapeMrkdwn(change.title)}*\nSeverity: *${sev}* · resolved on all nodes`
    : `*${escapeMrkdwn(change.title)}*\nSeverity: *${sev}* · ${change.action === 'open' ? 'new' : 'updated'}`;
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(summary, SLACK_LIMITS.section) } });
  if (!resolved) {
    const list = nodeList(change.nodes, change.nodeCount, shown);
    if (list)
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: truncate(`*Nodes:* ${list}`, SLACK_LIMITS.section) },
      });
  }
  const moves: string[] = [];
  if (change.action === 'update' && change.added.length > 0)
    moves.push(`joined: ${nodeList(change.added, change.added.length, shown)}`);
  if (change.removed.length > 0 && !resolved)
    moves.push(`recovered: ${nodeList(change.removed, change.removed.length, shown)}`);
  if (resolved && change.removed.length > 0)
    moves.push(`last recovered: ${nodeList(change.removed, change.removed.length, shown)}`);
  if (moves.length > 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(moves.join('\n'), SLACK_LIMITS.section) } });
  if (!resolved && opts.evidence)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: evidenceText(opts.evidence) } });
  if (!resolved && opts.remediation) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`*Remediation:* ${escapeMrkdwn(opts.remediation)}`, SLACK_LIMITS.section),
      },
    });
  }
  const when = resolved
    ? `opened ${change.openedAt} · resolved ${change.updatedAt}`
    : `opened ${change.openedAt} · updated ${change.updatedAt}`;
  const context: (SlackText & { type: 'mrkdwn' })[] = [
    { type: 'mrkdwn', text: escapeMrkdwn(`${when} · check ${change.check} · group ${change.key.slice(0, 12)}`) },
  ];
  // A URL inside <...|...> must not hold | or >; new URL() has percent-encoded everything else.
  if (opts.link && !/[|<> ]/.test(opts.link))
    context.push({ type: 'mrkdwn', text: `<${opts.link}|Open in the hostward fleet page>` });
  blocks.push({ type: 'context', elements: context });
  const text = truncate(`[${sev}] ${head}: ${change.title}`, SLACK_LIMITS.section);
  return { text: escapeMrkdwn(text), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

export interface SlackSinkOptions {
  /** Queue name; default "slack". */
  name?: string;
  /** The webhook URL (a secret: never logged, never in an error message). */
  url: string;
  /** Minimum gap between two messages; default 1000 ms (Slack's 1 message/s per webhook). */
  intervalMs?: number;
  timeoutMs?: number;
  nodesShown?: number;
  /** Post resolves as a follow-up message; default true. */
  sendResolved?: boolean;
  remediation?: (check: string) => string | undefined;
  publicUrl?: string;
  cluster?: string;
}

/** One limiter per webhook URL: two sinks on one webhook still share its 1 message/s. */
const limiters = new Map<string, RateLimiter>();

export function slackSink(opts: SlackSinkOptions): Sink {
  const interval = opts.intervalMs ?? 1000;
  const limiterKey = `${interval}\0${opts.url}`;
  let limiter = limiters.get(limiterKey);
  if (!limiter) limiters.set(limiterKey, (limiter = new RateLimiter(interval)));
  const rate = limiter;
  const name = opts.name ?? 'slack';
  const redact = slackSecrets(opts.url);
  registerSecrets(redact);
  let fleet: FleetView | undefined;
  return {
    name,
    type: 'slack',
    async deliver(change, signal): Promise<DeliveryResult> {
      if (change.action === 'resolve' && opts.sendResolved === false && !change.test)
        return { skipped: 'resolves are not posted (sendResolved: false)' };
      const payloadOpts: SlackPayloadOptions = {};
      if (opts.nodesShown !== undefined) payloadOpts.nodesShown = opts.nodesShown;
      if (opts.cluster) payloadOpts.cluster = opts.cluster;
      const fix = change.test ? undefined : opts.remediation?.(change.check);
      if (fix) payloadOpts.remediation = fix;
      const link = fleetLink(opts.publicUrl, change.check);
      if (link) payloadOpts.link = link;
      if (change.action !== 'resolve' && fleet && !change.test) {
        // The first node of the change that still fails, else the first failing node of the group.
        const rows = fleet.failing(change.check, change.severity);
        const shown = new Set(change.nodes);
        const row = rows.find((r) => shown.has(r.node)) ?? rows[0];
        if (row) payloadOpts.evidence = row;
      }
      await rate.acquire(signal);
      try {
        const answer = await postJson(opts.url, slackPayload(change, payloadOpts), {
          what: name,
          signal,
          redact,
          ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        });
        return { answers: [answer] };
      } catch (e) {
        const ms = e instanceof SinkError ? e.retryAfterMs : undefined;
        if (ms !== undefined) rate.holdFor(ms);
        throw e;
      }
    },
    attach(ctx) {
      fleet = ctx.fleet;
    },
  };
}

/** A Slack sink from its webhook URL file; `key` names the setting in errors. */
function slackSinkFrom(
  env: SinkEnvironment,
  d: { name: string; webhookUrlFile: string; key: string; sendResolved: boolean },
): Sink {
  const url = readSecretFile(d.webhookUrlFile, d.key);
  checkUrl(url, d.key, true);
  return slackSink({
    name: d.name,
    url,
    sendResolved: d.sendResolved,
    remediation: env.remediation,
    ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
    ...(env.cluster ? { cluster: env.cluster } : {}),
  });
}

export interface SlackSinkDef {
  name: string;
  type: 'slack';
  webhookUrlFile: string;
  sendResolved: boolean;
}

export const slackDefinition = defineSink({
  type: 'slack',
  floor: 'medium',
  simpleNames: ['slack'],
  keys: [
    {
      key: 'webhookUrlFile',
      type: t.str('file'),
      required: true,
      example: '/run/secrets/slack',
      description: 'File holding the Slack incoming-webhook URL.',
    },
    {
      key: 'sendResolved',
      type: t.bool,
      default: true,
      example: false,
      description: 'Post resolves as follow-up messages.',
    },
  ],
  example: { name: 'team-slack', type: 'slack', webhookUrlFile: '/run/secrets/slack' },
  parse: (x, at, name): SlackSinkDef => ({
    name,
    type: 'slack',
    webhookUrlFile: str(x.webhookUrlFile, `${at}.webhookUrlFile`),
    sendResolved: x.sendResolved === undefined ? true : bool(x.sendResolved, `${at}.sendResolved`),
  }),
  settings: {
    /** File holding the Slack incoming-webhook URL; the URL is a secret. */
    slackWebhookUrlFile: setting({
      env: 'HOSTWARD_SLACK_WEBHOOK_URL_FILE',
      parse: nonEmpty,
      doc: {
        type: t.str('file'),
        example: '/etc/hostward/slack/webhook-url',
        description: 'Slack sink: file holding the incoming-webhook URL.',
      },
    }),
    /** Post Slack resolves as follow-up messages. */
    slackSendResolved: defaulted({
      default: true,
      parse: bool,
      doc: { type: t.bool, example: false, description: 'Post resolves to Slack as follow-up messages.' },
    }),
  },
  simple: (s, env, [name]) =>
    s.slackWebhookUrlFile === undefined
      ? []
      : [
          slackSinkFrom(env, {
            name,
            webhookUrlFile: s.slackWebhookUrlFile,
            key: 'collector.slackWebhookUrlFile (HOSTWARD_SLACK_WEBHOOK_URL_FILE)',
            sendResolved: s.slackSendResolved,
          }),
        ],
  create: (d, _s, env, at) => [
    slackSinkFrom(env, {
      name: d.name,
      webhookUrlFile: d.webhookUrlFile,
      key: `${at}.webhookUrlFile`,
      sendResolved: d.sendResolved,
    }),
  ],
});
