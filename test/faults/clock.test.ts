/**
 * Clock jumps, with the injectable clocks of the agent's alerting (startAlerting's `now`, the scan's
 * report times) and of the collector's store (Store's `now`), on real outbox files and a real SQLite
 * database.
 *
 * - The agent's clock steps back an hour between a failure and its resolve: the collector must still
 *   resolve (it keeps the newest observation per node and check, so the agent's observation times must
 *   not go backwards), and every group change is queued once.
 * - The collector's clock steps back: silent-node detection does not flag nodes that just reported, and
 *   still flags a node once it has really been silent for silentAfterSeconds of the new clock.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/config.js';
import { startAlerting } from '../../src/alerts/index.js';
import { Store } from '../../src/collector/store.js';
import type { AlertEvent, Finding, Report, Status } from '../../src/contracts.js';
import { event } from '../collector/helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-clock-'));
  dirs.push(d);
  return d;
};
const log = pino({ level: 'silent' });
const T = Date.parse('2026-11-24T10:00:00.000Z');
const HOUR = 3600_000;

function report(at: number, status: Status): Report {
  const f: Finding = { check: 'ssh.password_auth', probe: 'ssh', title: 'SSH password authentication is disabled', status, severity: 'high', message: status === 'fail' ? 'PasswordAuthentication yes' : 'no', evidence: [], references: [], remediation: '' };
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

const groupActions = (store: Store) => (store.db.prepare(`SELECT json_extract(change, '$.action') AS a FROM deliveries WHERE sink = 'file' ORDER BY id`).all() as { a: string }[]).map((r) => r.a);
const failing = (store: Store) => (store.db.prepare(`SELECT failing FROM node_checks WHERE node = 'clock-node' AND check_id = 'ssh.password_auth'`).get() as { failing: number }).failing;

describe("the agent's clock steps back", () => {
  it('the collector ignores an older observation (the reason the agent must not go backwards)', () => {
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: ['file'], now: () => T });
    try {
      ingestEach(store, [event(1, { id: 'a', node: 'clock-node', observedAt: new Date(T).toISOString() }), event(2, { id: 'b', node: 'clock-node', status: 'pass', observedAt: new Date(T - HOUR).toISOString() })]);
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
    expect(events.filter((e) => e.check === 'ssh.password_auth').map((e) => e.status)).toEqual(['fail', 'pass', 'fail']);

    const store = new Store({ file: path.join(dir, 'c.db'), sinks: ['file'], now: () => clock });
    try {
      ingestEach(store, events);
      expect(groupActions(store)).toEqual(['open', 'resolve', 'open']);
      expect(failing(store)).toBe(1);
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
  it('back: no node turns silent for it; a really silent node is still found', () => {
    let clock = T;
    const store = new Store({ file: path.join(tmp(), 'c.db'), sinks: ['file'], now: () => clock });
    const SILENT = 15 * 60_000;
    try {
      store.ingest([[event(1, { id: 'n1', node: 'node-1' }), event(2, { id: 'n2', node: 'node-2' })]]);
      clock = T - HOUR;
      expect(store.markSilent(SILENT)).toEqual([]);
      // node-1 keeps reporting on the new clock; node-2 stops.
      for (let m = 1; m <= 80; m++) {
        clock = T - HOUR + m * 60_000;
        if (m % 5 === 0) store.ingest([[event(100 + m, { id: `hb-${m}`, node: 'node-1', check: 'hostward.heartbeat', status: 'pass', severity: 'info' })]]);
        const silent = store.markSilent(SILENT);
        if (silent.length > 0) {
          // Only node-2, and only once its last report (T) is older than SILENT on the clock: T + 15 min.
          expect(silent).toEqual(['node-2']);
          expect(clock).toBeGreaterThan(T + SILENT);
          expect(clock).toBeLessThanOrEqual(T + SILENT + 60_000);
          break;
        }
        expect(m, 'node-2 was never reported silent').toBeLessThan(80);
      }
      expect(store.nodeCounts()).toEqual({ reporting: 1, silent: 1 });
      // One node_silent open, nothing flapped.
      expect(groupActions(store).length).toBe(2); // ssh.password_auth open, node_silent open
    } finally {
      store.close();
    }
  });
});
