import { describe, it, expect, afterEach } from 'vitest';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Outbox } from '../../src/alerts/outbox.js';
import type { DropSummary } from '../../src/alerts/outbox.js';
import { decodeRecords, encodeRecord } from '../../src/alerts/framing.js';
import { backoffMs, classify } from '../../src/alerts/sender.js';
import type { AlertEvent } from '../../src/contracts.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-outbox-'));
  dirs.push(d);
  return d;
}
function ev(i: number, check = 'ssh.password_auth'): AlertEvent {
  return {
    id: `id-${i}`,
    node: 'w1',
    check,
    probe: 'ssh',
    status: 'fail',
    severity: 'high',
    title: 't',
    message: `m${i}`,
    evidence: [],
    observedAt: '2026-11-24T10:00:00.000Z',
  };
}
const open = (dir: string, over: Partial<Parameters<typeof Outbox.open>[0]> = {}) =>
  Outbox.open({ dir, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3600_000, log, ...over });
const segments = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('seg-'));

describe('record framing', () => {
  it('round-trips, and skips a flipped byte, garbage and a torn tail with a count', () => {
    const recs = [0, 1, 2, 3].map((i) => encodeRecord(Buffer.from(JSON.stringify({ i }))));
    expect(decodeRecords(Buffer.concat(recs)).records.map((r) => JSON.parse(r.toString()) as unknown)).toEqual([
      { i: 0 },
      { i: 1 },
      { i: 2 },
      { i: 3 },
    ]);
    const flipped = Buffer.concat(recs);
    flipped[recs[0]!.length + 14]! ^= 0xff; // inside record 1's payload
    const d1 = decodeRecords(flipped);
    expect(d1.records.map((r) => JSON.parse(r.toString()) as unknown)).toEqual([{ i: 0 }, { i: 2 }, { i: 3 }]);
    expect(d1.corrupt).toBe(1);
    const torn = Buffer.concat(recs).subarray(0, Buffer.concat(recs).length - 3);
    expect(decodeRecords(torn)).toMatchObject({ corrupt: 1 });
    expect(decodeRecords(torn).records).toHaveLength(3);
    const junk = Buffer.concat([Buffer.from('garbage!'), recs[0]!, Buffer.alloc(30, 7), recs[1]!]);
    expect(decodeRecords(junk)).toMatchObject({ corrupt: 2 });
    expect(decodeRecords(junk).records).toHaveLength(2);
    // A length field pointing far away is corruption, not an allocation.
    const badLen = Buffer.from(recs[0]!);
    badLen.writeUInt32LE(0xffffffff, 4);
    expect(decodeRecords(Buffer.concat([badLen, recs[1]!])).records).toHaveLength(1);
  });
});

describe('outbox', () => {
  it('appends durably, survives a reopen, and forgets only what was acknowledged', () => {
    const dir = tmp();
    const o = open(dir);
    o.append([ev(1), ev(2), ev(3)]);
    expect(o.depth).toBe(3);
    expect(o.peek(2).map((p) => p.event.id)).toEqual(['id-1', 'id-2']);
    o.ack(o.peek(2)[1]!.seq);
    expect(o.depth).toBe(1);
    o.close();
    const again = open(dir);
    expect(again.peek(10).map((p) => p.event.id)).toEqual(['id-3']);
    again.append([ev(4)]);
    expect(again.peek(10).map((p) => [p.event.id, p.seq])).toEqual([
      ['id-3', 3],
      ['id-4', 4],
    ]);
    again.ack(4);
    again.close();
    expect(open(dir).depth).toBe(0);
  });

  it('rolls segments and compacts the fully acknowledged ones', () => {
    const dir = tmp();
    const o = open(dir, { segmentBytes: 2000 });
    for (let i = 0; i < 100; i++) o.append([ev(i)]);
    const before = segments(dir).length;
    expect(before).toBeGreaterThan(5);
    o.ack(o.peek(60).at(-1)!.seq);
    expect(segments(dir).length).toBeLessThan(before);
    expect(o.depth).toBe(40);
    o.ack(o.peek(100).at(-1)!.seq);
    expect(segments(dir).length).toBeLessThanOrEqual(1);
    o.close();
  });

  it('truncated and corrupted records on disk are detected, skipped and counted, never a crash', () => {
    const dir = tmp();
    const o = open(dir);
    o.append(Array.from({ length: 10 }, (_, i) => ev(i)));
    o.close();
    const seg = path.join(dir, segments(dir)[0]!);
    const buf = readFileSync(seg);
    // Flip a byte in the third record and cut the last one short.
    const recLen = buf.length / 10;
    buf[Math.floor(recLen * 2 + 20)]! ^= 0x55;
    writeFileSync(seg, buf);
    truncateSync(seg, buf.length - 5);
    appendFileSync(path.join(dir, 'seg-9999999999999999.log'), 'not a record at all');
    const r = open(dir);
    expect(r.corruptRecords).toBe(3);
    expect(r.peek(100).map((p) => p.event.id)).toEqual([
      'id-0',
      'id-1',
      'id-3',
      'id-4',
      'id-5',
      'id-6',
      'id-7',
      'id-8',
    ]);
    // Appends after a damaged tail go to a fresh segment and read back.
    r.append([ev(100)]);
    r.close();
    expect(
      open(dir)
        .peek(100)
        .map((p) => p.event.id),
    ).toContain('id-100');
    // A damaged acknowledgement file re-sends rather than loses.
    writeFileSync(path.join(dir, 'acked'), 'zz');
    expect(open(dir).depth).toBeGreaterThanOrEqual(9);
  });

  it('bounded by size: the oldest are dropped, summarised and counted', () => {
    const dir = tmp();
    const drops: DropSummary[] = [];
    const o = open(dir, { maxBytes: 5000, onDrop: (s) => drops.push(s) });
    for (let i = 0; i < 100; i++) o.append([ev(i, i < 50 ? 'a.old' : 'a.new')]);
    expect(o.bytes).toBeLessThanOrEqual(5000);
    expect(o.droppedEvents).toBe(100 - o.depth);
    expect(o.peek(1000).at(-1)!.event.id).toBe('id-99');
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.reduce((n, d) => n + d.events, 0)).toBe(o.droppedEvents);
    expect(drops[0]).toMatchObject({ reason: 'size', checks: { 'a.old': 1 } });
    o.close();
    // The drop is acknowledged on disk: a reopen does not resurrect dropped events.
    expect(open(dir).depth).toBe(o.depth);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('bounded by age', () => {
    const dir = tmp();
    let now = 1_000_000;
    const drops: DropSummary[] = [];
    const o = open(dir, { maxAgeMs: 60_000, now: () => now, monotonic: () => now, onDrop: (s) => drops.push(s) });
    o.append([ev(1), ev(2)]);
    now += 30_000;
    o.append([ev(3)]);
    now += 40_000;
    o.enforceBounds();
    expect(o.peek(10).map((p) => p.event.id)).toEqual(['id-3']);
    expect(drops).toEqual([expect.objectContaining({ events: 2, reason: 'age' })]);
    o.close();
  });
});

describe('sender policy', () => {
  it('classifies statuses: 408/429/5xx retry, 400/413/422 refused, other 4xx configuration', () => {
    expect([200, 202].map(classify)).toEqual(['ok', 'ok']);
    expect([408, 429, 500, 502, 503].map(classify)).toEqual(['retry', 'retry', 'retry', 'retry', 'retry']);
    expect([400, 413, 422].map(classify)).toEqual(['refused', 'refused', 'refused']);
    expect([401, 403, 404, 405].map(classify)).toEqual(['config', 'config', 'config', 'config']);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMs(0, 1000, 300_000, () => 0.999)).toBe(999);
    expect(backoffMs(3, 1000, 300_000, () => 0.999)).toBe(7992);
    expect(backoffMs(30, 1000, 300_000, () => 0.999)).toBe(299_700);
    expect(backoffMs(5, 1000, 300_000, () => 0)).toBe(1);
  });
});
