/**
 * The agent's side of the alert flow, wired together: after each scan, diff the report against the
 * persisted alert state, append the events to the durable outbox (fsynced), persist the new state, and
 * let the sender deliver. Heartbeats keep a node with nothing to report visibly alive; open alerts are
 * re-sent every resendIntervalSeconds, and at once after the outbox had to drop events. Every event is fitted to
 * the collector's limits before it is enqueued (./limits.ts); one the collector still refuses raises the
 * agent's own alert (./refused.ts).
 *
 * State under config.agent.stateDir: `alerts-state.json` (open alerts) and `outbox/`.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { EVENT_REFUSED_CHECK, HEARTBEAT_CHECK } from '../contracts.js';
import type { AlertEvent, Report } from '../contracts.js';
import { baselineOf, diffReport, emptyState, parseState, resendEvents } from './diff.js';
import type { AlertState } from './diff.js';
import { Outbox } from './outbox.js';
import { fitEvent } from './limits.js';
import { hostFactsOf } from './host.js';
import { afterDelivery, refusalsResolved, refusedAlert } from './refused.js';
import { createAlertMetrics } from './metrics.js';
import { Sender } from './sender.js';

export { Outbox } from './outbox.js';
export type { OutboxOptions, PendingEvent, DropSummary } from './outbox.js';
export { Sender, classify, backoffMs } from './sender.js';
export { diffReport, resendEvents, emptyState, fingerprint, baselineOf } from './diff.js';
export type { AlertState, OpenAlert } from './diff.js';
export { createAlertMetrics } from './metrics.js';
export { encodeRecord, decodeRecords } from './framing.js';
export { fitEvent } from './limits.js';

export interface AlertingOptions {
  config: Config;
  log: Logger;
  now?: () => number;
}

export interface Alerting {
  /** The agent's hook: call after every successful scan. Resolves once the events are durable. */
  onReport(report: Report): Promise<void>;
  /** Metrics to serve beside the agent's. */
  registry: Registry;
  outbox: Outbox;
  close(): Promise<void>;
}

/** What the pieces of the alert flow share: configuration, the alert state, the outbox and its sender. */
interface Flow {
  config: Config;
  log: Logger;
  now: () => number;
  stateFile: string;
  state: AlertState | undefined;
  /** The latest observation time already reported (see monotonic). */
  lastObservedMs: number;
  outbox: Outbox | undefined;
  sender: Sender | undefined;
  resendPending: boolean;
}

export function startAlerting(opts: AlertingOptions): Alerting {
  const { config } = opts;
  const log = opts.log.child({ component: 'alerts' });
  const dir = config.agent.stateDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stateFile = path.join(dir, 'alerts-state.json');
  const state = loadState(stateFile, log);
  const flow: Flow = {
    config,
    log,
    now: opts.now ?? Date.now,
    stateFile,
    state,
    lastObservedMs: latestObserved(state),
    outbox: undefined,
    sender: undefined,
    resendPending: false,
  };
  const metrics = createAlertMetrics(() => flow.outbox);
  const outbox = openOutbox(flow, dir);
  flow.outbox = outbox;
  const sender = startSender(flow, dir, metrics);
  flow.sender = sender;

  let chain: Promise<void> = Promise.resolve();
  function onReport(report: Report): Promise<void> {
    const p = chain.then(() => afterScan(flow, report));
    chain = p.catch(() => undefined);
    return p;
  }

  return {
    onReport,
    registry: metrics.registry,
    outbox,
    async close() {
      await chain;
      await sender.close();
      outbox.close();
    },
  };
}

/**
 * The collector keeps the newest observation per (node, check) and ignores older ones arriving late, so this
 * agent's observation times must not go backwards: after the wall clock steps back (NTP, a VM restored), a
 * resolve stamped earlier than the failure it resolves would be ignored. Clamped to the latest time already
 * reported (in memory, seeded from the persisted state).
 */
function latestObserved(state: AlertState | undefined): number {
  if (!state) return 0;
  return Math.max(
    state.lastResendAt,
    ...Object.values(state.open)
      .map((a) => Date.parse(a.openedAt))
      .filter(Number.isFinite),
  );
}

function monotonic(flow: Flow, events: AlertEvent[]): void {
  for (const e of events) {
    const t = Date.parse(e.observedAt);
    if (Number.isFinite(t) && t >= flow.lastObservedMs) flow.lastObservedMs = t;
    else if (flow.lastObservedMs > 0) e.observedAt = new Date(flow.lastObservedMs).toISOString();
  }
}

function openOutbox(flow: Flow, dir: string): Outbox {
  const { config, log, now } = flow;
  const outbox = Outbox.open({
    dir: path.join(dir, 'outbox'),
    maxBytes: config.agent.outboxMaxBytes,
    maxAgeMs: config.agent.outboxMaxAgeSeconds * 1000,
    log,
    now,
    // History was lost; re-send the current state of every open alert (after this call returns).
    onDrop: () => resendAfterDrop(flow),
  });
  if (outbox.depth > 0 || outbox.corruptRecords > 0)
    log.info({ pending: outbox.depth, corrupt: outbox.corruptRecords }, 'outbox reopened');
  return outbox;
}

function resendAfterDrop(flow: Flow): void {
  if (flow.resendPending) return;
  flow.resendPending = true;
  queueMicrotask(() => {
    flow.resendPending = false;
    try {
      if (flow.state && flow.outbox) enqueue(flow, resendEvents(flow.state, randomUUID, new Date(flow.now())));
    } catch (e) {
      // A throw in a microtask would end the process; the next periodic re-send catches up.
      flow.log.error(
        { err: (e as NodeJS.ErrnoException).code ?? (e as Error).message },
        'cannot re-enqueue open alerts after a drop',
      );
    }
  });
}

function startSender(flow: Flow, dir: string, metrics: ReturnType<typeof createAlertMetrics>): Sender {
  const { config, log } = flow;
  const sender = new Sender({
    outbox: flow.outbox!,
    url: config.agent.collectorUrl ?? '',
    ...(config.agent.tokenFile ? { tokenFile: config.agent.tokenFile } : {}),
    ...(config.agent.tls ? { tls: config.agent.tls } : {}),
    log,
    metrics,
    retryInitialMs: config.agent.retryInitialMs,
    retryMaxMs: config.agent.retryMaxMs,
    rejectedFile: path.join(dir, 'outbox', 'rejected.ndjson'),
    onRefused: (e, why) => noteRefused(flow, e, why),
    onDelivered: (events) => noteDelivered(flow, events),
  });
  if (config.agent.collectorUrl) sender.start();
  else
    log.warn('no collector URL (HOSTWARD_COLLECTOR_URL): alert events are kept in the outbox until one is configured');
  return sender;
}

function enqueue(flow: Flow, events: AlertEvent[]): void {
  if (events.length === 0) return;
  monotonic(flow, events);
  flow.outbox!.append(events.map(fitEvent));
  flow.sender?.kick();
}

/** Keep the alert state with its refusals; a write error is counted, and the next scan writes it again. */
function keep(flow: Flow, s: AlertState): void {
  flow.state = s;
  try {
    saveState(flow.stateFile, s);
  } catch (e) {
    flow.outbox!.noteWriteError();
    flow.log.error({ err: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, 'cannot save the alert state');
  }
}

function noteRefused(flow: Flow, e: AlertEvent, why: string): void {
  // The agent's own alert refused too: counted and logged by the sender; raising it again would loop.
  if (e.check === EVENT_REFUSED_CHECK) return;
  const s = flow.state ?? emptyState(e.node);
  const refused = { ...s.refused, [e.check]: { eventId: e.id, why, at: new Date(flow.now()).toISOString() } };
  keep(flow, { ...s, refused });
  enqueue(flow, [refusedAlert(s.node, refused, randomUUID(), new Date(flow.now()))]);
}

function noteDelivered(flow: Flow, events: readonly AlertEvent[]): void {
  const s = flow.state;
  if (!s?.refused) return;
  const refused = afterDelivery(s.refused, events);
  if (refused === s.refused) return;
  const { refused: _, ...rest } = s;
  keep(flow, refused ? { ...rest, refused } : rest);
  const at = new Date(flow.now());
  enqueue(flow, [
    refused ? refusedAlert(s.node, refused, randomUUID(), at) : refusalsResolved(s.node, randomUUID(), at),
  ]);
}

/** One scan's events: the changes, the periodic re-send when due, else a heartbeat; and the next state. */
function eventsOf(flow: Flow, report: Report): { events: AlertEvent[]; next: AlertState } {
  const { config, log } = flow;
  let prev = flow.state;
  if (!prev || prev.node !== report.node) {
    if (prev) log.warn({ was: prev.node, now: report.node }, 'node name changed; starting a fresh alert state');
    prev = emptyState(report.node);
  }
  const { events, next } = diffReport(prev, report, {
    unknownGraceScans: config.agent.unknownGraceScans,
    newId: randomUUID,
  });
  const t = flow.now();
  if (t - next.lastResendAt >= config.agent.resendIntervalSeconds * 1000) {
    const changed = new Set(events.map((e) => e.check));
    // The first re-send is due on the first scan: a restarted agent refreshes the collector too.
    events.push(...resendEvents(next, randomUUID, new Date(t)).filter((e) => !changed.has(e.check)));
    next.lastResendAt = t;
  }
  if (events.length === 0) events.push(heartbeat(report.node, new Date(t)));
  return { events, next };
}

function afterScan(flow: Flow, report: Report): void {
  const { events, next } = eventsOf(flow, report);
  // Once per batch, heartbeats included: the collector keeps each node's baseline digest and notices a
  // re-baseline; sending it every time (about 150 bytes) lets a collector with a fresh database catch up.
  // The host facts (about 200 bytes) ride along for the same reason: an upgraded kernel or agent shows at once.
  const baseline = baselineOf(report);
  if (baseline) events[0]!.baseline = baseline;
  const host = hostFactsOf(report);
  if (host) events[0]!.host = host;
  // Events are durable before the state that produced them is: a crash in between re-sends a
  // change (harmless, the collector applies it idempotently), never loses one.
  enqueue(flow, events);
  try {
    saveState(flow.stateFile, next);
  } catch (e) {
    // The events are durable; the old state makes the next scan produce them again (the collector
    // applies repeats idempotently), so nothing is lost. Counted with the outbox's write errors.
    flow.outbox!.noteWriteError();
    throw e;
  }
  flow.state = next;
  flow.log.debug({ events: events.length, open: Object.keys(next.open).length }, 'alert events enqueued');
}

export function heartbeat(node: string, at: Date): AlertEvent {
  return {
    id: randomUUID(),
    node,
    check: HEARTBEAT_CHECK,
    probe: 'hostward',
    status: 'pass',
    severity: 'info',
    title: 'Agent heartbeat',
    message: 'scan completed; nothing changed',
    evidence: [],
    observedAt: at.toISOString(),
  };
}

function loadState(file: string, log: Logger): AlertState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const s = parseState(text);
  if (!s) log.error({ file }, 'alert state unreadable; starting fresh (open alerts will be re-announced)');
  return s;
}

function saveState(file: string, s: AlertState): void {
  const tmp = file + '.tmp';
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(s));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
