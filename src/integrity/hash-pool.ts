/**
 * Stat and hash across worker threads. Each worker receives batches of host paths and, per path, lstat()s
 * it (never following a link), reads a symbolic link's target when the rule tracks it, and hashes a regular
 * file's content (SHA-256, SHA-512 or BLAKE2b-512, as the item says) when the rule tracks it and the stat fast
 * path does not apply. Files are read
 * with synchronous pread(2) into one large reused buffer per worker (no libuv round trips, no copies), small
 * files hashed in one call, big ones streamed block by block, so memory stays flat whatever the file size.
 *
 * Safety: the path is opened with O_NOFOLLOW | O_NONBLOCK (a FIFO or a link swapped in after lstat neither
 * hangs the scan nor leads outside the root) and the open file's device and inode must equal lstat's, or the
 * file "changed during the scan" and is not trusted. Only regular files are ever opened: sockets, FIFOs and
 * devices are recorded from lstat alone. A file that vanishes between the walk and the read is reported in
 * the result, never thrown.
 *
 * The worker is plain JavaScript run with `eval: true`, so the same module works from dist/ and under vitest
 * (which cannot start a .ts worker); it uses Node's built-in modules only.
 */
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { HashAlgorithm } from './types.js';

/**
 * [host path, flags (1 hash, 2 link target), reuse: [size, mtimeMs, ctimeMs or null, ino, stored hash] or null,
 * algorithm of a new hash]. A reused hash is returned as stored, whatever its algorithm.
 */
export type StatItem = [string, number, [number, number, number | null, number, string] | null, HashAlgorithm];
export const WANT_HASH = 1;
export const WANT_TARGET = 2;

/**
 * [type, mode, uid, gid, size, ino, nlink, mtimeMs, ctimeMs, dev, hash (./hash.ts form), target, problem, bytesHashed]:
 * type '' means the path is gone (problem says why); bytesHashed is -1 when the hash was reused.
 */
export type StatResult = [
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  string | null,
  string | null,
  string | null,
  number,
];

export const DEFAULT_BLOCK = 1 << 20;

const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const prefix = workerData.root === '/' ? '' : workerData.root;
const BLOCK = workerData.block;
const buf = Buffer.allocUnsafe(BLOCK);
const C = fs.constants;
let openFlags = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | (C.O_CLOEXEC || 0);
let noatime = C.O_NOATIME || 0;
const oneShot = typeof crypto.hash === 'function';
const TYPES = { 0o100000: 'file', 0o040000: 'directory', 0o120000: 'symlink', 0o140000: 'socket', 0o010000: 'fifo', 0o060000: 'block', 0o020000: 'char' };

function open(p) {
  if (noatime) {
    try { return fs.openSync(p, openFlags | noatime); }
    catch (e) { if (e.code !== 'EPERM') throw e; noatime = 0; }
  }
  return fs.openSync(p, openFlags);
}

// Stored form (./hash.ts): SHA-256 bare, other algorithms prefixed with their name.
const stored = (algo, hex) => (algo === 'sha256' ? hex : algo + ':' + hex);

function hashFile(p, st, algo) {
  const fd = open(p);
  try {
    const fst = fs.fstatSync(fd);
    if ((fst.mode & 0o170000) !== 0o100000 || fst.ino !== st.ino || fst.dev !== st.dev) return { problem: 'changed during the scan (replaced between stat and open)' };
    let n = fs.readSync(fd, buf, 0, BLOCK, 0);
    if (n < BLOCK && n === fst.size && oneShot) return { sha: stored(algo, crypto.hash(algo, buf.subarray(0, n), 'hex')), bytes: n };
    const h = crypto.createHash(algo);
    let pos = 0;
    while (n > 0) {
      h.update(buf.subarray(0, n));
      pos += n;
      n = fs.readSync(fd, buf, 0, BLOCK, pos);
    }
    return { sha: stored(algo, h.digest('hex')), bytes: pos };
  } finally {
    fs.closeSync(fd);
  }
}

function one(item) {
  const hostPath = item[0], flags = item[1], reuse = item[2], algo = item[3];
  const p = prefix + hostPath;
  let st;
  try { st = fs.lstatSync(p); }
  catch (e) { return ['', 0, 0, 0, 0, 0, 0, 0, 0, 0, null, null, e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'vanished during the scan' : (e.code || String(e)), 0]; }
  const type = TYPES[st.mode & 0o170000] || 'other';
  let sha = null, target = null, problem = null, bytes = 0;
  if (type === 'file' && (flags & 1)) {
    if (reuse && reuse[0] === st.size && reuse[1] === st.mtimeMs && (reuse[2] === null || reuse[2] === st.ctimeMs) && reuse[3] === st.ino) {
      sha = reuse[4];
      bytes = -1;
    } else {
      try {
        const r = hashFile(p, st, algo);
        if (r.problem) problem = r.problem; else { sha = r.sha; bytes = r.bytes; }
      } catch (e) {
        problem = e.code === 'ENOENT' ? 'vanished during the scan' : 'unreadable (' + (e.code || String(e)) + ')';
      }
    }
  } else if (type === 'symlink' && (flags & 2)) {
    try { target = fs.readlinkSync(p); } catch (e) { problem = 'link unreadable (' + (e.code || String(e)) + ')'; }
  }
  return [type, st.mode & 0o7777, st.uid, st.gid, st.size, st.ino, st.nlink, st.mtimeMs, st.ctimeMs, st.dev, sha, target, problem, bytes];
}

parentPort.on('message', (m) => {
  const out = new Array(m.items.length);
  for (let i = 0; i < m.items.length; i++) out[i] = one(m.items[i]);
  parentPort.postMessage({ id: m.id, out });
});
`;

interface Pending {
  resolve(r: StatResult[]): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  load: number;
  pending: Map<number, Pending>;
}

export function defaultWorkers(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private failed: Error | undefined;

  constructor(root: string, workers = defaultWorkers(), block = DEFAULT_BLOCK) {
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { root, block },
        resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
      });
      const slot: Slot = { worker, load: 0, pending: new Map() };
      worker.on('message', (m: { id: number; out: StatResult[] }) => {
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        slot.load--;
        p.resolve(m.out);
      });
      const die = (e: Error) => {
        this.failed ??= e;
        for (const p of slot.pending.values()) p.reject(e);
        slot.pending.clear();
      };
      worker.on('error', die);
      worker.on('exit', (code) => {
        if (slot.pending.size > 0) die(new Error(`hashing worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Batches queued or running, over all workers. */
  get load(): number {
    return this.slots.reduce((n, s) => n + s.load, 0);
  }

  run(items: StatItem[]): Promise<StatResult[]> {
    if (this.failed) return Promise.reject(this.failed);
    let best = this.slots[0]!;
    for (const s of this.slots) if (s.load < best.load) best = s;
    const id = this.nextId++;
    best.load++;
    return new Promise<StatResult[]>((resolve, reject) => {
      best.pending.set(id, { resolve, reject });
      best.worker.postMessage({ id, items });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
