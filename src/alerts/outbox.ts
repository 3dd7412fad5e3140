/**
 * The agent's durable outbox (DESIGN.md "Alert flow" 1), under `<stateDir>/outbox/`:
 *
 * - `seg-<first seq>.log`: append-only segments of framed records (framing.ts), each an event with its
 *   sequence number and enqueue time. append() returns only after the bytes are fsynced.
 * - `acked`: the highest sequence number the collector acknowledged (a watermark: events are sent in
 *   order), replaced atomically (write, fsync, rename, fsync the directory).
 *
 * Compaction deletes segments whose every record is acknowledged; a restart opens a fresh segment (a torn
 * tail of the previous one is never appended to). Reading back, corrupted or truncated records are
 * detected by their CRC, skipped and counted, never a crash.
 *
 * Bounds: when the unsent events exceed maxBytes or the oldest is older than maxAgeMs, the oldest are
 * dropped; the loss is counted (droppedEvents), summarised to onDrop (count, time range, checks), and
 * the caller re-enqueues the current state of open alerts, so what is lost is history, never state.
 * The state the caller cannot re-create is kept here: the last event of a (node, check) in the outbox,
 * when it is not a failure (a resolve, an unknown, an accepted failure), is moved to the tail instead of
 * dropped (same id: the collector ignores it if it had it). Heartbeats are history.
 *
 * Age is measured on the monotonic clock from the moment this process enqueued the event, so a step of
 * the wall clock (NTP, a restored VM) cannot age events out. Across a restart the wall-clock age on disk
 * cannot be trusted (the clock may have stepped while the agent was down), so events read back at open
 * start aging at the open: a crash loop keeps them longer, and the size bound still holds.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { HEARTBEAT_CHECK } from '../contracts.js';
import type { AlertEvent } from '../contracts.js';
import { decodeRecords, encodeRecord } from './framing.js';

export interface OutboxOptions {
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  log: Logger;
  /** Segment size before rolling to a new file (default 1 MiB). */
  segmentBytes?: number;
  now?: () => number;
  /** Monotonic milliseconds for the age bound (default performance.now). */
  monotonic?: () => number;
  onDrop?: (summary: DropSummary) => void;
}

export interface PendingEvent {
  seq: number;
  enqueuedAt: number;
  event: AlertEvent;
  /** Size of the framed record on disk. */
  bytes: number;
  /** Monotonic time (OutboxOptions.monotonic) the age bound counts from: the append, or the open. */
  agedFrom: number;
}

export interface DropSummary {
  events: number;
  oldestEnqueuedAt: string;
  newestEnqueuedAt: string;
  reason: 'size' | 'age';
  /** Checks of the dropped events, with how many events each. */
  checks: Record<string, number>;
}

interface Segment {
  file: string;
  lastSeq: number;
}

const SEGMENT_RE = /^seg-(\d{16})\.log$/;

export class Outbox {
  private pending: PendingEvent[] = [];
  /** Pending events per (node, check): tells the last of each without a scan of the outbox. */
  private readonly perKey = new Map<string, number>();
  private pendingBytes = 0;
  private segments: Segment[] = [];
  private active: { fd: number; seg: Segment; bytes: number } | undefined;
  private acked = 0;
  private nextSeq = 1;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  /** Records skipped at open because they failed the CRC or were cut short. */
  corruptRecords = 0;
  /** Events dropped by the size and age bounds since this process started. */
  droppedEvents = 0;
  /**
   * Writes under the state directory that failed (ENOSPC, EIO, a read-only remount) since this process
   * started. A failed append leaves no torn bytes behind; a failed acknowledgement only delays the
   * watermark on disk (a restart re-sends those events, and the collector ignores repeats by id).
   */
  writeErrors = 0;

  private constructor(private readonly opts: OutboxOptions) {
    this.segmentBytes = opts.segmentBytes ?? 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.monotonic = opts.monotonic ?? (() => performance.now());
  }

  static open(opts: OutboxOptions): Outbox {
    const o = new Outbox(opts);
    o.load();
    return o;
  }

  get depth(): number {
    return this.pending.length;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  /**
   * When the oldest unsent event started aging (epoch ms on the current wall clock: now minus its
   * monotonic age, so `Date.now() - oldestEnqueuedAt` is the age the bound uses), or undefined when empty.
   */
  get oldestEnqueuedAt(): number | undefined {
    const p = this.pending[0];
    return p && this.now() - (this.monotonic() - p.agedFrom);
  }

  /**
   * Append events durably: on return they are fsynced to disk. Throws when the disk refuses (full,
   * read-only); the events of the failed write are then neither on disk nor pending (earlier chunks of a
   * call spanning segments may be: they are pending, as on disk), and the caller keeps its state so that
   * the next scan produces them again.
   */
  append(events: readonly AlertEvent[]): void {
    this.appendRecords(events);
    this.enforceBounds();
  }

  private appendRecords(events: readonly AlertEvent[]): void {
    if (events.length === 0) return;
    const t = this.now();
    const agedFrom = this.monotonic();
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let added: PendingEvent[] = [];
    const flush = () => {
      this.write(chunk, chunkBytes);
      for (const p of added) {
        this.pending.push(p);
        this.pendingBytes += p.bytes;
        this.counted(p, 1);
      }
      chunk = [];
      chunkBytes = 0;
      added = [];
    };
    try {
      for (const event of events) {
        const seq = this.nextSeq++;
        const rec = encodeRecord(Buffer.from(JSON.stringify({ s: seq, t, e: event })));
        if (this.active && chunk.length > 0 && this.active.bytes + chunkBytes + rec.length > this.segmentBytes) flush();
        if (!this.active || this.active.bytes >= this.segmentBytes) this.roll(seq);
        chunk.push(rec);
        chunkBytes += rec.length;
        this.active!.seg.lastSeq = seq;
        added.push({ seq, enqueuedAt: t, event, bytes: rec.length, agedFrom });
      }
      flush();
    } catch (e) {
      this.writeErrors++;
      throw e;
    }
  }

  /** Count a failed write of the caller's own state file (alerts-state.json) in writeErrors too. */
  noteWriteError(): void {
    this.writeErrors++;
  }

  /** The oldest unsent events, at most maxCount of them and about maxBytes of JSON. */
  peek(maxCount: number, maxBytes = Infinity): PendingEvent[] {
    const out: PendingEvent[] = [];
    let bytes = 0;
    for (const p of this.pending) {
      if (out.length >= maxCount || (out.length > 0 && bytes + p.bytes > maxBytes)) break;
      out.push(p);
      bytes += p.bytes;
    }
    return out;
  }

  /** Record that every event up to and including `seq` was delivered; compacts what is fully delivered. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    try {
      this.writeAck(seq);
    } catch (e) {
      // The events were delivered: go on in memory. Only a restart before the next successful write would
      // re-send them (harmless); throwing here would stop delivery, or the agent, over a full disk.
      this.writeErrors++;
      this.opts.log.warn(
        { err: (e as NodeJS.ErrnoException).code ?? (e as Error).message, seq },
        'cannot record the acknowledgement on disk; continuing',
      );
    }
    this.acked = seq;
    let i = 0;
    while (i < this.pending.length && this.pending[i]!.seq <= seq) {
      this.pendingBytes -= this.pending[i]!.bytes;
      this.counted(this.pending[i]!, -1);
      i++;
    }
    if (i > 0) this.pending = this.pending.slice(i);
    this.compact();
  }

  /** Apply the size and age bounds (also called periodically by the sender, for age). */
  enforceBounds(): void {
    const cutoff = this.monotonic() - this.opts.maxAgeMs;
    const head = this.pending[0];
    if (!head || (this.pendingBytes <= this.opts.maxBytes && head.agedFrom >= cutoff)) return;
    // Events that are the last of their (node, check) in the outbox: dropped, they would be moved to the
    // tail (see the header), so they count against the size bound either way.
    const inPrefix = new Map<string, number>();
    const keep: PendingEvent[] = [];
    let keptBytes = 0;
    let n = 0;
    let bytes = this.pendingBytes;
    let reason: DropSummary['reason'] = 'age';
    while (n < this.pending.length) {
      const p = this.pending[n]!;
      if (bytes + keptBytes > this.opts.maxBytes) reason = 'size';
      else if (p.agedFrom >= cutoff) break;
      bytes -= p.bytes;
      n++;
      const k = keyOf(p.event);
      const gone = (inPrefix.get(k) ?? 0) + 1;
      inPrefix.set(k, gone);
      const left = (this.perKey.get(k) ?? 0) - gone;
      // Half the bound at most: the rest is for what happens next; past it, kept state is lost too.
      if (left === 0 && restorable(p.event) && keptBytes + p.bytes <= this.opts.maxBytes / 2) {
        keep.push(p);
        keptBytes += p.bytes;
      }
    }
    if (n === 0) return;
    if (keep.length > 0) {
      try {
        this.appendRecords(keep.map((p) => p.event));
      } catch (e) {
        // Nothing is dropped rather than state lost: the bounds are applied again at the next call.
        this.opts.log.warn(
          { err: (e as NodeJS.ErrnoException).code ?? (e as Error).message },
          'outbox over its bounds, but the events to keep cannot be written; nothing dropped',
        );
        return;
      }
    }
    const kept = new Set(keep);
    const dropped = this.pending.slice(0, n).filter((p) => !kept.has(p));
    const last = this.pending[n - 1]!.seq;
    if (dropped.length > 0) {
      const checks: Record<string, number> = {};
      for (const d of dropped) checks[d.event.check] = (checks[d.event.check] ?? 0) + 1;
      const summary: DropSummary = {
        events: dropped.length,
        oldestEnqueuedAt: new Date(dropped[0]!.enqueuedAt).toISOString(),
        newestEnqueuedAt: new Date(dropped[dropped.length - 1]!.enqueuedAt).toISOString(),
        reason,
        checks,
      };
      this.droppedEvents += dropped.length;
      this.opts.log.warn(
        { outbox: summary, kept: keep.length },
        'outbox over its bounds: oldest unsent events dropped',
      );
      this.ack(last);
      this.opts.onDrop?.(summary);
    } else {
      this.opts.log.info(
        { moved: keep.length },
        'outbox over its bounds: only current state was at the head; moved to the tail',
      );
      this.ack(last);
    }
  }

  private counted(p: PendingEvent, by: 1 | -1): void {
    const k = keyOf(p.event);
    const n = (this.perKey.get(k) ?? 0) + by;
    if (n > 0) this.perKey.set(k, n);
    else this.perKey.delete(k);
  }

  close(): void {
    if (this.active) {
      closeSync(this.active.fd);
      this.active = undefined;
    }
  }

  private load(): void {
    const dir = this.opts.dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      const n = Number(readFileSync(path.join(dir, 'acked'), 'utf8').trim());
      if (Number.isSafeInteger(n) && n >= 0) this.acked = n;
      else
        this.opts.log.warn(
          'outbox acknowledgement file unreadable; unsent events will be re-sent (the collector ignores repeats)',
        );
    } catch {
      // No acknowledgement yet.
    }
    let maxSeq = this.acked;
    const openedAt = this.monotonic();
    const files = readdirSync(dir)
      .filter((f) => SEGMENT_RE.test(f))
      .sort();
    for (const file of files) {
      const full = path.join(dir, file);
      let buf: Buffer;
      try {
        buf = readFileSync(full);
      } catch (e) {
        this.opts.log.error({ file, err: (e as Error).message }, 'outbox segment unreadable; skipped');
        this.corruptRecords++;
        continue;
      }
      const { records, corrupt } = decodeRecords(buf);
      let bad = corrupt;
      let lastSeq = 0;
      for (const r of records) {
        const p = parseRecord(r);
        if (!p) {
          bad++;
          continue;
        }
        lastSeq = Math.max(lastSeq, p.seq);
        maxSeq = Math.max(maxSeq, p.seq);
        if (p.seq > this.acked && (this.pending.length === 0 || p.seq > this.pending[this.pending.length - 1]!.seq)) {
          p.agedFrom = openedAt;
          this.pending.push(p);
          this.pendingBytes += p.bytes;
          this.counted(p, 1);
        }
      }
      if (bad > 0) {
        this.corruptRecords += bad;
        this.opts.log.warn(
          { file, corrupt: bad, kept: records.length },
          'outbox segment has corrupted or truncated records; skipped them',
        );
      }
      this.segments.push({ file, lastSeq });
    }
    this.nextSeq = maxSeq + 1;
    this.compact();
    this.enforceBounds();
  }

  private roll(firstSeq: number): void {
    this.close();
    const file = `seg-${String(firstSeq).padStart(16, '0')}.log`;
    const fd = openSync(path.join(this.opts.dir, file), 'a', 0o600);
    fsyncDir(this.opts.dir);
    const seg: Segment = { file, lastSeq: firstSeq };
    this.segments.push(seg);
    this.active = { fd, seg, bytes: 0 };
  }

  private write(chunk: Buffer[], bytes: number): void {
    if (!this.active || chunk.length === 0) return;
    const buf = chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, bytes);
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.active.fd, buf, off, buf.length - off);
      fsyncSync(this.active.fd);
    } catch (e) {
      // A short write (ENOSPC) leaves part of a record: cut it off so the segment holds whole records
      // only (truncating frees space, so it works on a full disk). Later appends continue from there.
      try {
        if (off > 0) ftruncateSync(this.active.fd, this.active.bytes);
      } catch {
        // The reader skips a torn record by its CRC anyway.
      }
      throw e;
    }
    this.active.bytes += buf.length;
  }

  private writeAck(seq: number): void {
    const tmp = path.join(this.opts.dir, 'acked.tmp');
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const text = `${seq}\n`;
      // A short write would rename a torn number into place.
      if (writeSync(fd, text) !== text.length)
        throw Object.assign(new Error('short write of the acknowledgement'), { code: 'ENOSPC' });
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path.join(this.opts.dir, 'acked'));
    fsyncDir(this.opts.dir);
  }

  /** Delete segments whose every record is acknowledged (never the one being appended to). */
  private compact(): void {
    const keep: Segment[] = [];
    let removed = false;
    for (const s of this.segments) {
      if (s.lastSeq <= this.acked && s !== this.active?.seg) {
        rmSync(path.join(this.opts.dir, s.file), { force: true });
        removed = true;
      } else keep.push(s);
    }
    this.segments = keep;
    if (removed) fsyncDir(this.opts.dir);
  }
}

function parseRecord(r: Buffer): PendingEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(r.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { s?: unknown; t?: unknown; e?: unknown };
  if (
    typeof o.s !== 'number' ||
    !Number.isSafeInteger(o.s) ||
    typeof o.t !== 'number' ||
    typeof o.e !== 'object' ||
    o.e === null
  )
    return undefined;
  const e = o.e as Partial<AlertEvent>;
  if (typeof e.id !== 'string' || typeof e.node !== 'string' || typeof e.check !== 'string') return undefined;
  // Aged from the open (see the header): agedFrom is set by load().
  return { seq: o.s, enqueuedAt: o.t, event: o.e as AlertEvent, bytes: r.length + 12, agedFrom: 0 };
}

/** The (node, check) an event is the state of. */
function keyOf(e: AlertEvent): string {
  return `${e.node}\0${e.check}`;
}

/**
 * State the caller's re-send of open alerts does not re-create: anything but a failure (the collector
 * counts a failure as failing unless accepted). Heartbeats carry no state.
 */
function restorable(e: AlertEvent): boolean {
  return e.check !== HEARTBEAT_CHECK && !(e.status === 'fail' && e.accepted !== true);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the data files themselves are fsynced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
