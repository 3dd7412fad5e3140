/**
 * The Slack incoming-webhook sink: one Block Kit message per group change ("ssh.password_auth failing on
 * 12 nodes"), resolves as a follow-up message. `slackPayload` is pure and tested without a network; the
 * sink posts it through the shared HTTP helper, at most one message per second per webhook. Slack answers
 * 200 `ok`; 4xx (invalid_payload, no_service, channel_not_found, ...) is a configuration error.
 */
import type { CollectorConfig } from '../config/config.js';
import type { GroupChange, Sink } from '../collector/sink.js';
import { SinkError } from '../collector/sink.js';
import { checkUrl, readSecretFile } from './config.js';
import { postJson, RateLimiter } from './http.js';
import { headline, truncate } from './text.js';

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
}

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

/** The Block Kit message for one group change. Pure. */
export function slackPayload(change: GroupChange, opts: SlackPayloadOptions = {}): SlackMessage {
  const shown = opts.nodesShown ?? SLACK_NODES_SHOWN;
  const resolved = change.action === 'resolve';
  const head = headline(change);
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(head, SLACK_LIMITS.header) } }];
  const sev = change.severity.toUpperCase();
  const summary = resolved
    ? `*${escapeMrkdwn(change.title)}*\nSeverity: *${sev}* · resolved on all nodes`
    : `*${escapeMrkdwn(change.title)}*\nSeverity: *${sev}* · ${change.action === 'open' ? 'new' : 'updated'}`;
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(summary, SLACK_LIMITS.section) } });
  if (!resolved) {
    const list = nodeList(change.nodes, change.nodeCount, shown);
    if (list) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`*Nodes:* ${list}`, SLACK_LIMITS.section) } });
  }
  const moves: string[] = [];
  if (change.action === 'update' && change.added.length > 0) moves.push(`joined: ${nodeList(change.added, change.added.length, shown)}`);
  if (change.removed.length > 0 && !resolved) moves.push(`recovered: ${nodeList(change.removed, change.removed.length, shown)}`);
  if (resolved && change.removed.length > 0) moves.push(`last recovered: ${nodeList(change.removed, change.removed.length, shown)}`);
  if (moves.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(moves.join('\n'), SLACK_LIMITS.section) } });
  const when = resolved ? `opened ${change.openedAt} · resolved ${change.updatedAt}` : `opened ${change.openedAt} · updated ${change.updatedAt}`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`${when} · check ${change.check} · group ${change.key.slice(0, 12)}`) }] });
  const text = truncate(`[${sev}] ${head}: ${change.title}`, SLACK_LIMITS.section);
  return { text: escapeMrkdwn(text), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

export interface SlackSinkOptions {
  /** The webhook URL (a secret: never logged, never in an error message). */
  url: string;
  /** Minimum gap between two messages; default 1000 ms (Slack's 1 message/s per webhook). */
  intervalMs?: number;
  timeoutMs?: number;
  nodesShown?: number;
}

export function slackSink(opts: SlackSinkOptions): Sink {
  const limiter = new RateLimiter(opts.intervalMs ?? 1000);
  const payloadOpts: SlackPayloadOptions = opts.nodesShown === undefined ? {} : { nodesShown: opts.nodesShown };
  return {
    name: 'slack',
    async deliver(change, signal) {
      await limiter.acquire(signal);
      try {
        await postJson(opts.url, slackPayload(change, payloadOpts), {
          what: 'slack',
          signal,
          redact: [opts.url, new URL(opts.url).pathname],
          ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        });
      } catch (e) {
        const ms = e instanceof SinkError ? e.retryAfterMs : undefined;
        if (ms !== undefined) limiter.holdFor(ms);
        throw e;
      }
    },
  };
}

/** The Slack sink from the collector configuration, or undefined when not configured. */
export function slackSinkFromConfig(cfg: CollectorConfig): Sink | undefined {
  if (cfg.slackWebhookUrlFile === undefined) return undefined;
  const key = 'collector.slackWebhookUrlFile (HOSTWARD_SLACK_WEBHOOK_URL_FILE)';
  const url = readSecretFile(cfg.slackWebhookUrlFile, key);
  checkUrl(url, key, true);
  return slackSink({ url });
}
