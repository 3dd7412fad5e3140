/**
 * The WAL after a burst: the checkpoint worker truncates it to zero bytes once ingest is idle, instead of the
 * file staying at its peak size until a restart. Waits for the condition (no fixed sleep); sizes of a
 * 200,000-event burst are bench/collector-paging.mjs --only wal's.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../src/collector/store.js';
import { event, waitFor } from './helpers.js';

let dir = '';
let store: Store | undefined;

afterEach(async () => {
  await store?.stopCheckpoints();
  store?.close();
  store = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The files under `dir` that this process (any of its threads) has open. */
const openFilesIn = (d: string) =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // the directory listing's own descriptor, closed by now
      }
    })
    .filter((l) => l.startsWith(`${d}/`));

const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);

describe('WAL after a burst', () => {
  it('closing after the checkpoint worker stopped leaves the database file alone: no WAL, no shared memory', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-wal-'));
    const file = path.join(dir, 'collector.db');
    store = new Store({ file, sinks: ['file'], checkpointEveryMs: 20 });
    store.ingest([[event(1)]]);
    expect(readdirSync(dir).sort()).toEqual(['collector.db', 'collector.db-shm', 'collector.db-wal']);
    // The worker has its own connection once a second descriptor of the database is open.
    await waitFor(
      () => openFilesIn(dir).filter((f) => f === file).length >= 2 || undefined,
      20_000,
      () => `open: ${openFilesIn(dir).join(', ')}`,
    );
    await store.stopCheckpoints();
    store.close();
    store = undefined;
    // SQLite removes both when the last connection closes: the store's own, once the worker's has gone; and no
    // thread of this process holds any of the files open any more.
    expect(readdirSync(dir)).toEqual(['collector.db']);
    expect(openFilesIn(dir)).toEqual([]);
  });

  it('is truncated to zero bytes once ingest goes idle, and the data stays', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-wal-'));
    const file = path.join(dir, 'collector.db');
    const wal = `${file}-wal`;
    store = new Store({ file, sinks: ['file'], checkpointEveryMs: 20 });
    let peak = 0;
    // A burst: 20,000 events with long messages in requests of 500 (each a commit), fast enough that the WAL grows.
    for (let i = 0; i < 40; i++) {
      const batch = Array.from({ length: 500 }, (_, j) =>
        event(i * 500 + j, { node: `n-${(i * 500 + j) % 2000}`, message: 'x'.repeat(400) }),
      );
      store.ingest([batch]);
      peak = Math.max(peak, size(wal));
    }
    expect(peak).toBeGreaterThan(1024 * 1024);
    await waitFor(
      () => size(wal) === 0 || undefined,
      20_000,
      () => `WAL still ${size(wal)} bytes (peak ${peak})`,
    );
    expect(store.eventCount()).toBe(20_000);
    expect(store.nodesPage('', 5000)).toHaveLength(2000);
  });

  it('is not truncated while ingest goes on (the worker waits for an idle WAL)', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-wal-'));
    const file = path.join(dir, 'collector.db');
    store = new Store({ file, sinks: ['file'], checkpointEveryMs: 20 });
    // Writes every few milliseconds for longer than the idle time: the WAL never becomes empty meanwhile.
    const end = Date.now() + 1500;
    let i = 0;
    let sawEmpty = false;
    while (Date.now() < end) {
      store.ingest([[event(i++, { node: `n-${i % 50}` })]]);
      if (size(`${file}-wal`) === 0) sawEmpty = true;
      await new Promise((r) => setImmediate(r));
    }
    expect(sawEmpty).toBe(false);
  });
});
