/**
 * Clock jumps, with the injectable clocks of the agent's alerting (startAlerting's `now`, the scan's
 * report times) and of the collector's store (Store's `now`), on real outbox files and a real SQLite
 * database.
 *
 * - The agent's clock steps back an hour between a failure and its resolve: the collector must still
 *   resolve (it keeps the newest observation per node and check, so the agent's observation times must
 *   not go backwards), and every group change is queued once.
 * - The collector's clock steps back or forward (a monotonic clock injected beside the wall clock):
 *   no node turns silent for the step, and a node that really stopped is flagged once it has really been
 *   silent for silentAfterSeconds, neither earlier nor later (last-seen times are moved onto the new clock).
 * - The agent's wall clock jumps past the outbox age bound: nothing is dropped (age is monotonic); a real
 *   age or size drop keeps the last resolve of each check (moved to the tail), on disk.
 * The same, with real processes under libfaketime, in clock-faketime.test.ts.
 */
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/config.js';
import { startAlerting } from '../../src/alerts/index.js';
import { Outbox } from '../../src/alerts/outbox.js';
import type { DropSummary } from '../../src/alerts/outbox.js';
import { Store } from '../../src/collector/store.js';
import type { AlertEvent, Finding, Report, Status } from '../../src/contracts.js';
import { event } from '../collector/helpers.js';
import { memoryTempDir } from '../helpers/scratch.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
// In memory: the property test below appends thousands of fsynced records, which on a loaded disk took most of
// the test's timeout; what it proves is the outbox's bookkeeping, not the disk's.
const tmp = () => {
  const d = memoryTempDir('hostward-clock-');
  dirs.push(d);
  return d;
};
const log = pino({ level: 'silent' });
const T = Date.parse('2026-11-24T10:00:00.000Z');
const HOUR = 3600_000;

function report(at: number, status: Status): Report {
  const f: Finding = {
    check: 'ssh.password_auth',
    probe: 'ssh',
    title: 'SSH password authentication is disabled',
    status,
    severity: 'high',
    message: status === 'fail' ? 'PasswordAuthentication yes' : 'no',
    evidence: [],
    references: [],
    remediation: '',
  };
  return {
    node: 'clock-node',
    root: '/',
    agentVersion: 'test',
    startedAt: new Date(at).toISOString(),
    durationSeconds: 0.5,
    os: {} as Report['os'],
    probes: [],
    findings: [f],
    summary: {} as Report['summary'],
    measurements: [],
  };
}

/** Each event in its own transaction, as separate requests would be. */
function ingestEach(store: Store, events: readonly AlertEvent[]): void {
  for (const e of events) store.ingest([[e]]);
}

const deliveries = (store: Store) =>
  store.db
    .prepare(
      `SELECT json_extract(change, '$.action') AS a, json_extract(change, '$.check') AS c FROM deliveries WHERE sink = 'file' ORDER BY id`,
    )
    .all() as { a: string; c: string }[];
// The groups of the node's own checks; a collector that sees a node's dates an hour ahead also (rightly) opens
// hostward.clock_skew for it, which clockSkewGroups reads.
const groupActions = (store: Store) =>
  deliveries(store)
    .filter((r) => r.c !== 'hostward.clock_skew')
    .map((r) => r.a);
const clockSkewActions = (store: Store) =>
  deliveries(store)
    .filter((r) => r.c === 'hostward.clock_skew')
    .map((r) => r.a);
const failing = (store: Store) =>
  (
    store.db
      .prepare(`SELECT failing FROM node_checks WHERE node = 'clock-node' AND check_id = 'ssh.password_auth'`)
      .get() as { failing: number }
  ).failing;

describe("the agent's clock steps back", () => {
  it('the collector ignores an older observation (the reason the agent must not go backwards)', () => {
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: ['file'], now: () => T });
    try {
      ingestEach(store, [
        event(1, { id: 'a', node: 'clock-node', observedAt: new Date(T).toISOString() }),
        event(2, { id: 'b', node: 'clock-node', status: 'pass', observedAt: new Date(T - HOUR).toISOString() }),
      ]);
      expect(failing(store)).toBe(1);
      expect(groupActions(store)).toEqual(['open']);
    } finally {
      store.close();
    }
  });

  it('a resolve scanned an hour "earlier" than the failure still resolves the group, once', async () => {
    const dir = tmp();
    const config = defaultConfig();
    config.agent.stateDir = dir;
    let clock = T;
    const alerting = startAlerting({ config, log, now: () => clock });
    await alerting.onReport(report(T, 'fail'));
    clock = T - HOUR; // NTP steps the clock back
    await alerting.onReport(report(T - HOUR + 1000, 'pass'));
    await alerting.onReport(report(T - HOUR + 2000, 'pass'));
    clock = T - HOUR + 3000;
    await alerting.onReport(report(T - HOUR + 3000, 'fail'));
    const events = alerting.outbox.peek(1000).map((p) => p.event);
    await alerting.close();

    const times = events.map((e) => Date.parse(e.observedAt));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(events.filter((e) => e.check === 'ssh.password_auth').map((e) => e.status)).toEqual([
      'fail',
      'pass',
      'fail',
    ]);

    const store = new Store({ file: path.join(dir, 'c.db'), sinks: ['file'], now: () => clock });
    try {
      ingestEach(store, events);
      expect(groupActions(store)).toEqual(['open', 'resolve', 'open']);
      expect(failing(store)).toBe(1);
      // The agent keeps its dates from going backwards, so they run an hour ahead of the collector's clock.
      expect(clockSkewActions(store)).toEqual(['open']);
      // Re-sent (an agent that lost its acknowledgement): nothing new.
      ingestEach(store, events);
      expect(groupActions(store)).toEqual(['open', 'resolve', 'open']);
    } finally {
      store.close();
    }
  });

  it('a restarted agent keeps the order too (seeded from its persisted state)', async () => {
    const dir = tmp();
    const config = defaultConfig();
    config.agent.stateDir = dir;
    let clock = T;
    const first = startAlerting({ config, log, now: () => clock });
    await first.onReport(report(T, 'fail'));
    const before = first.outbox.peek(1000).map((p) => p.event);
    await first.close();
    clock = T - HOUR;
    const second = startAlerting({ config, log, now: () => clock });
    await second.onReport(report(T - HOUR, 'pass'));
    const all = second.outbox.peek(1000).map((p) => p.event);
    await second.close();
    expect(all.slice(0, before.length).map((e) => e.id)).toEqual(before.map((e) => e.id));
    const resolve = all.find((e) => e.check === 'ssh.password_auth' && e.status === 'pass')!;
    expect(Date.parse(resolve.observedAt)).toBeGreaterThanOrEqual(T);
  });
});

describe("the collector's clock steps", () => {
  it('back: no node turns silent for it; a really silent node is found after SILENT of real time, not an hour late', () => {
    let clock = T;
    let mono = 0;
    const store = new Store({
      file: path.join(tmp(), 'c.db'),
      sinks: ['file'],
      now: () => clock,
      monotonic: () => mono,
    });
    const SILENT = 15 * 60_000;
    try {
      store.ingest([[event(1, { id: 'n1', node: 'node-1' }), event(2, { id: 'n2', node: 'node-2' })]]);
      clock = T - HOUR; // stepped back; no real time passed
      expect(store.markSilent(SILENT)).toEqual([]);
      // node-1 keeps reporting on the new clock; node-2 stops.
      for (let m = 1; m <= 80; m++) {
        clock = T - HOUR + m * 60_000;
        mono = m * 60_000;
        if (m % 5 === 0)
          store.ingest([
            [
              event(100 + m, {
                id: `hb-${m}`,
                node: 'node-1',
                check: 'hostward.heartbeat',
                status: 'pass',
                severity: 'info',
              }),
            ],
          ]);
        const silent = store.markSilent(SILENT);
        if (silent.length > 0) {
          // Only node-2, once it has really been silent for SILENT (its report was at real time 0).
          expect(silent).toEqual(['node-2']);
          expect(mono).toBeGreaterThan(SILENT);
          expect(mono).toBeLessThanOrEqual(SILENT + 60_000);
          break;
        }
        expect(m, 'node-2 was never reported silent').toBeLessThan(80);
      }
      expect(store.nodeCounts()).toEqual({ reporting: 1, silent: 1 });
      // One node_silent open, nothing flapped.
      expect(groupActions(store).length).toBe(2); // ssh.password_auth open, node_silent open
      // node-1's dates run an hour ahead of the stepped-back collector: that is a skewed clock as seen from here.
      expect(clockSkewActions(store)).toEqual(['open']);
    } finally {
      store.close();
    }
  });
});

describe("the collector's clock steps forward", () => {
  const SILENT = 15 * 60_000;
  const hb = (i: number, node: string): AlertEvent =>
    event(i, { id: `hb-${node}-${i}`, node, check: 'hostward.heartbeat', status: 'pass', severity: 'info' });

  it('by two hours: no node_silent storm; a node that stopped 10 minutes before is flagged 5 minutes after', () => {
    let clock = T;
    let mono = 0;
    const store = new Store({
      file: path.join(tmp(), 'c.db'),
      sinks: ['file'],
      now: () => clock,
      monotonic: () => mono,
    });
    const tick = (ms: number) => ((clock += ms), (mono += ms));
    try {
      // Three nodes report every minute; node-3 stops at minute 10.
      let i = 0;
      for (let m = 0; m < 20; m++) {
        store.ingest([['node-1', 'node-2', ...(m < 10 ? ['node-3'] : [])].map((n) => hb(i++, n))]);
        expect(store.markSilent(SILENT)).toEqual([]);
        tick(60_000);
      }
      clock += 2 * HOUR; // NTP steps the wall clock; no real time passes
      expect(store.markSilent(SILENT), 'a forward step raised node_silent').toEqual([]);
      let flaggedAt: number | undefined;
      for (let m = 0; m < 30 && flaggedAt === undefined; m++) {
        store.ingest([['node-1', 'node-2'].map((n) => hb(i++, n))]);
        const silent = store.markSilent(SILENT);
        if (silent.length > 0) {
          expect(silent).toEqual(['node-3']);
          flaggedAt = mono;
        }
        tick(60_000);
      }
      // node-3 last reported at real minute 9: silent past minute 24, found at the first check after.
      expect(flaggedAt).toBeGreaterThan(9 * 60_000 + SILENT);
      expect(flaggedAt).toBeLessThanOrEqual(9 * 60_000 + SILENT + 60_000);
      expect(store.nodeCounts()).toEqual({ reporting: 2, silent: 1 });
      expect(groupActions(store)).toEqual(['open']); // node_silent, once, for node-3 only
      // The page's "last seen" of the reporting nodes is on the new clock.
      for (const n of store.nodes().filter((x) => x.node !== 'node-3'))
        expect(clock - Date.parse(n.lastSeenAt)).toBeLessThanOrEqual(60_000);
    } finally {
      store.close();
    }
  });

  it('without the monotonic guard the same step would have flagged every node (the defect, kept visible)', () => {
    let clock = T;
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: ['file'], now: () => clock }); // now is also the monotonic clock
    try {
      store.ingest([['node-1', 'node-2', 'node-3'].map((n, i) => hb(i, n))]);
      clock += 2 * HOUR;
      expect(store.markSilent(SILENT)).toEqual(['node-1', 'node-2', 'node-3']);
    } finally {
      store.close();
    }
  });

  it('small drift is not a step; a node seen since the previous check gets a fresh grace', () => {
    let clock = T;
    let mono = 0;
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: [], now: () => clock, monotonic: () => mono });
    try {
      store.ingest([[hb(1, 'a')]]);
      clock += 14 * 60_000 + 1500; // 1.5 s of drift over 14 min: within tolerance, nothing moved
      mono += 14 * 60_000;
      expect(store.markSilent(SILENT)).toEqual([]);
      expect(Date.parse(store.nodes()[0]!.lastSeenAt)).toBe(T);
      // A report on the new clock, then a step of +1 h before the next check: the report's clock is unknown.
      clock += 30_000;
      mono += 30_000;
      store.ingest([[hb(2, 'a')]]);
      clock += HOUR + 30_000;
      mono += 30_000;
      expect(store.markSilent(SILENT)).toEqual([]);
      expect(Date.parse(store.nodes()[0]!.lastSeenAt)).toBe(clock);
    } finally {
      store.close();
    }
  });

  it('a restart after the clock stepped back while down: future last-seen times become now', () => {
    const file = path.join(tmp(), 'c.db');
    let clock = T;
    const first = new Store({ file, sinks: ['file'], now: () => clock });
    first.ingest([[hb(1, 'node-1'), hb(2, 'node-2')]]);
    first.close();
    clock = T - HOUR;
    let mono = 0;
    const second = new Store({ file, sinks: ['file'], now: () => clock, monotonic: () => mono });
    try {
      expect(second.markSilent(SILENT)).toEqual([]);
      expect(second.nodes().map((n) => n.lastSeenAt)).toEqual([
        new Date(clock).toISOString(),
        new Date(clock).toISOString(),
      ]);
      clock += SILENT + 60_000;
      mono += SILENT + 60_000;
      // Found SILENT after the restart (the server's start grace is as long), not an hour later.
      expect(second.markSilent(SILENT)).toEqual(['node-1', 'node-2']);
    } finally {
      second.close();
    }
  });
});

describe("the agent's outbox and a clock jump", () => {
  const MAX_AGE = 60_000;
  const ev = (id: string, check: string, status: Status, node = 'w1'): AlertEvent => ({
    id,
    node,
    check,
    probe: 'ssh',
    status,
    severity: 'high',
    title: 't',
    message: id,
    evidence: [],
    observedAt: new Date(T).toISOString(),
  });

  it('a wall-clock jump past the age bound drops nothing, with startAlerting as the agent runs it', async () => {
    const dir = tmp();
    const config = defaultConfig();
    config.agent.stateDir = dir;
    config.agent.outboxMaxAgeSeconds = 60;
    let clock = T;
    const alerting = startAlerting({ config, log, now: () => clock }); // no collector URL: events stay
    await alerting.onReport(report(T, 'fail'));
    await alerting.onReport(report(T + 1000, 'pass'));
    clock = T + 2 * HOUR; // the wall clock jumps
    alerting.outbox.enforceBounds();
    await alerting.onReport(report(T + 2 * HOUR, 'pass'));
    const statuses = alerting.outbox
      .peek(1000)
      .map((p) => p.event)
      .filter((e) => e.check === 'ssh.password_auth')
      .map((e) => e.status);
    expect(alerting.outbox.droppedEvents).toBe(0);
    expect(statuses).toEqual(['fail', 'pass']);
    // The age metric (now - oldestEnqueuedAt) follows the monotonic age, not the jump.
    expect(clock - alerting.outbox.oldestEnqueuedAt!).toBeLessThan(60_000);
    await alerting.close();
  });

  it('a real age drop keeps the last resolve of each check (moved to the tail, durable); failures go to onDrop', () => {
    const dir = tmp();
    let mono = 0;
    const drops: DropSummary[] = [];
    const open = () =>
      Outbox.open({
        dir,
        maxBytes: 1 << 20,
        maxAgeMs: MAX_AGE,
        log,
        monotonic: () => mono,
        onDrop: (d) => drops.push(d),
      });
    const o = open();
    o.append([
      ev('x-fail', 'a.x', 'fail'),
      ev('x-pass', 'a.x', 'pass'),
      ev('y-fail', 'a.y', 'fail'),
      ev('z-pass', 'a.z', 'pass'),
      ev('z-fail', 'a.z', 'fail'),
    ]);
    o.append([
      ev('hb', 'hostward.heartbeat', 'pass'),
      ev('u-unknown', 'a.u', 'unknown'),
      ev('v-pass-other-node', 'a.x', 'pass', 'w2'),
    ]);
    mono += 30_000;
    o.append([ev('w-pass', 'a.w', 'pass')]);
    mono += MAX_AGE; // the first eight are past the bound, w-pass is not
    o.enforceBounds();
    const ids = o.peek(100).map((p) => p.event.id);
    expect(ids).toEqual(['w-pass', 'x-pass', 'u-unknown', 'v-pass-other-node']);
    expect(o.droppedEvents).toBe(5); // x-fail, y-fail, z-pass (superseded), z-fail, hb
    expect(drops).toEqual([
      expect.objectContaining({
        events: 5,
        reason: 'age',
        checks: { 'a.x': 1, 'a.y': 1, 'a.z': 2, 'hostward.heartbeat': 1 },
      }),
    ]);
    o.close();
    // Durable: reopened (age counts from the open), the same events, in the same order.
    const again = open();
    expect(again.peek(100).map((p) => p.event.id)).toEqual(ids);
    expect(again.droppedEvents).toBe(0);
    // Kept resolves age from when they were moved: another full age drops only history again, keeps them.
    mono += MAX_AGE + 1;
    again.enforceBounds();
    expect(
      again
        .peek(100)
        .map((p) => p.event.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(again.droppedEvents).toBe(0);
    again.close();
  });

  it('across a restart the wall-clock age on disk is not trusted: events age from the open', () => {
    const dir = tmp();
    let clock = T;
    let mono = 0;
    const open = () =>
      Outbox.open({ dir, maxBytes: 1 << 20, maxAgeMs: MAX_AGE, log, now: () => clock, monotonic: () => mono });
    const o = open();
    o.append([ev('a', 'a.a', 'fail'), ev('b', 'a.b', 'fail')]);
    o.close();
    clock += 3 * HOUR; // down for three hours, or the clock jumped: cannot be told
    mono = 5_000_000; // a new process: its own monotonic origin
    const again = open();
    expect(again.depth).toBe(2);
    mono += MAX_AGE + 1;
    again.enforceBounds();
    expect(again.depth).toBe(0);
    expect(again.droppedEvents).toBe(2);
    again.close();
  });

  it('a size drop keeps resolves too, within half the bound', () => {
    const dir = tmp();
    const o = Outbox.open({ dir, maxBytes: 8000, maxAgeMs: HOUR, log });
    o.append([ev('r-pass', 'a.r', 'pass')]);
    for (let i = 0; i < 60; i++) o.append([ev(`f-${i}`, `a.f${i % 7}`, 'fail')]);
    expect(o.bytes).toBeLessThanOrEqual(8000);
    expect(o.droppedEvents).toBeGreaterThan(0);
    expect(o.peek(1000).map((p) => p.event.id)).toContain('r-pass');
    o.close();
  });
});

describe('outbox drops, property-based', () => {
  it('never loses the last non-failure of a (node, check), never holds an id twice, stays within its bounds', () => {
    // Six (node, check) keys of ~230-byte records fit in half of the smallest bound: the cap on what is
    // kept (half the bound) is not what this tests.
    let drops = 0;
    const op = fc.oneof(
      fc.record({
        t: fc.constant('append' as const),
        node: fc.constantFrom('n1', 'n2'),
        check: fc.constantFrom('c.a', 'c.b', 'c.c', 'hostward.heartbeat'),
        status: fc.constantFrom<Status>('fail', 'pass', 'unknown'),
      }),
      fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 20, maxLength: 200 }),
        fc.integer({ min: 3200, max: 8000 }),
        (ops, maxBytes) => {
          const dir = tmp();
          let mono = 0;
          const o = Outbox.open({ dir, maxBytes, maxAgeMs: 60_000, log, monotonic: () => mono });
          const last = new Map<string, AlertEvent>();
          let i = 0;
          try {
            for (const x of ops) {
              if (x.t === 'wait') {
                mono += x.ms;
                o.enforceBounds();
                continue;
              }
              const e: AlertEvent = {
                id: `e${i++}`,
                node: x.node,
                check: x.check,
                probe: 'p',
                status: x.status,
                severity: 'high',
                title: 't',
                message: 'm',
                evidence: [],
                observedAt: new Date(T).toISOString(),
              };
              o.append([e]);
              last.set(`${x.node} ${x.check}`, e);
            }
            const ids = o.peek(1_000_000).map((p) => p.event.id);
            expect(new Set(ids).size).toBe(ids.length);
            expect(o.bytes).toBeLessThanOrEqual(maxBytes);
            for (const e of last.values())
              if (e.status !== 'fail' && e.check !== 'hostward.heartbeat')
                expect(ids, `${e.node} ${e.check}`).toContain(e.id);
            drops += o.droppedEvents;
          } finally {
            o.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150, seed: 11 },
    );
    expect(drops, 'the generated histories never made the outbox drop').toBeGreaterThan(1000);
  });
});
