/**
 * The baseline database: a streamed, line-oriented record file sorted in walk order, authenticated as a whole.
 *
 *   line 1
 * {"hostward":"integrity-db","version":2,"created":ISO,"root":"/","policy":hex,"generation":n,"signed":true,
 *               "keyId":hex16}
 *   lines 2..n  [path,type,mode,uid,gid,size,ino,nlink,mtimeMs,ctimeMs,hash|null,target|null]   (one per path;
 *               hash is hex SHA-256, or sha512:hex / blake2b512:hex, ./hash.ts)
 *   last line   {"end":true,"records":N,"mac":hex}
 *
 * `mac` is HMAC-SHA256 (keyed from the key file) over every byte before the last line; an unsigned database
 * carries a plain SHA-256 there instead, which catches corruption and truncation but not a forger. Records are
 * strictly increasing in walk order (./walker.ts comparePaths), so a check merges the database with a fresh
 * walk without holding either in memory, and verifies the MAC as it streams: a check's differences are only
 * returned once the last line has verified. keyId (an HMAC of a fixed string) lets a check tell "signed with
 * another key" from "tampered"; it is a diagnostic, not a defence.
 *
 * `generation` (format 2) is raised by every accept and continued by a re-init (./api.ts), and it is under the
 * MAC like the rest of the header: an older, validly signed baseline put back shows a lower generation, which
 * the agent reports and the collector compares. A format-1 database (before generations) is still read, as
 * generation 0.
 *
 * Writes are atomic: a temporary file beside the database (mode 0600), fsync, rename over the database, fsync
 * of the directory. A reader never sees a half-written database, and a crash leaves the old one in place.
 *
 * The rolling-rehash cursor lives beside it (`<db>.cursor`, {"next":n,"mac":hex}); its MAC binds it to the
 * database's digest, so a cursor cannot be carried over from another baseline or forged without the key.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { comparePaths } from './walker.js';
import { hashAlgorithmOf } from './hash.js';
import { IntegrityError } from './types.js';
import type { FileRecord, FileType } from './types.js';

export const MAGIC = 'integrity-db';
export const VERSION = 2;
/** Far above any real count of accepts; keeps generation + 1 an exact integer. */
export const MAX_GENERATION = 2 ** 48;
/** Format versions this hostward reads: 1 has no generation (read as 0). */
const READABLE_VERSIONS: readonly unknown[] = [1, VERSION];
const FLUSH_BYTES = 256 * 1024;
const READ_BYTES = 64 * 1024;
const MAX_LINE = 1024 * 1024;
export const MIN_KEY_BYTES = 16;

export interface Header {
  hostward: typeof MAGIC;
  version: number;
  created: string;
  root: string;
  policy: string;
  /** 0 for a format-1 database. */
  generation: number;
  signed: boolean;
  keyId: string | null;
}

const TYPE_CODES: Record<FileType, string> = {
  file: 'f',
  directory: 'd',
  symlink: 'l',
  socket: 's',
  fifo: 'p',
  block: 'b',
  char: 'c',
  other: 'o',
};
const CODE_TYPES: Record<string, FileType> = Object.fromEntries(
  Object.entries(TYPE_CODES).map(([k, v]) => [v, k as FileType]),
);

/** Read an HMAC key file. Trailing whitespace (a newline from `echo`) is not part of the key. */
export function readKeyFile(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new IntegrityError(
      'key_unreadable',
      `${file}: cannot read the integrity key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20 || raw[end - 1] === 0x09))
    end--;
  const key = raw.subarray(0, end);
  if (key.length < MIN_KEY_BYTES)
    throw new IntegrityError(
      'key_unreadable',
      `${file}: the integrity key is ${key.length} bytes, fewer than ${MIN_KEY_BYTES}`,
    );
  return key;
}

export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('hostward integrity key id').digest('hex').slice(0, 16);
}

function macOf(key: Buffer | undefined): Hash | Hmac {
  return key ? createHmac('sha256', key) : createHash('sha256');
}

export function encodeRecord(r: FileRecord): string {
  return JSON.stringify([
    r.path,
    TYPE_CODES[r.type],
    r.mode,
    r.uid,
    r.gid,
    r.size,
    r.ino,
    r.nlink,
    r.mtime,
    r.ctime,
    r.sha256,
    r.target,
  ]);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

export function decodeRecord(line: string): FileRecord | undefined {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(a) || a.length !== 12) return undefined;
  const [p, t, mode, uid, gid, size, ino, nlink, mtime, ctime, sha, target] = a as unknown[];
  if (typeof p !== 'string' || !p.startsWith('/') || typeof t !== 'string' || !CODE_TYPES[t]) return undefined;
  if (
    !isNum(mode) ||
    !isNum(uid) ||
    !isNum(gid) ||
    !isNum(size) ||
    !isNum(ino) ||
    !isNum(nlink) ||
    !isNum(mtime) ||
    !isNum(ctime)
  )
    return undefined;
  if (!isStrOrNull(sha) || !isStrOrNull(target)) return undefined;
  if (sha !== null && hashAlgorithmOf(sha) === undefined) return undefined;
  return { path: p, type: CODE_TYPES[t], mode, uid, gid, size, ino, nlink, mtime, ctime, sha256: sha, target };
}

async function fsyncDir(dir: string): Promise<void> {
  const d = await fsp.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Write `data` to `file` atomically (temp file, fsync, rename, fsync of the directory). */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

/** The header's generation: 0 in format 1, a positive integer from format 2 on. */
function generationOf(file: string, h: Partial<Header>): number {
  if (h.version === 1) return 0;
  const g = h.generation;
  if (typeof g !== 'number' || !Number.isSafeInteger(g) || g < 1 || g > MAX_GENERATION)
    throw new IntegrityError('baseline_corrupt', `${file}: not a hostward integrity database (bad generation)`);
  return g;
}

/**
 * The generation in a database's header, read without verifying anything (undefined when there is no readable
 * database): init continues from it, so that a re-init is a step forward, not a rollback. Someone who can write
 * the file can only make the next generation higher this way, which the collector sees as a re-baseline.
 */
export async function headerGeneration(file: string): Promise<number | undefined> {
  try {
    const r = await DbReader.open(file, undefined);
    await r.close();
    return r.header.generation;
  } catch {
    return undefined;
  }
}

/** Streams records into a temporary file; commit() appends the trailer and renames it over the database. */
export class DbWriter {
  private parts: string[] = [];
  private pending = 0;
  private count = 0;
  private last: string | undefined;
  private readonly mac: Hash | Hmac;
  private done = false;

  private constructor(
    private readonly fh: fsp.FileHandle,
    private readonly tmp: string,
    private readonly file: string,
    key: Buffer | undefined,
  ) {
    this.mac = macOf(key);
  }

  static async create(
    file: string,
    header: Omit<Header, 'hostward' | 'version' | 'signed' | 'keyId'>,
    key: Buffer | undefined,
  ): Promise<DbWriter> {
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fh = await fsp.open(tmp, 'wx', 0o600);
    const w = new DbWriter(fh, tmp, file, key);
    const g = header.generation;
    if (!Number.isSafeInteger(g) || g < 1 || g > MAX_GENERATION)
      throw new Error(`integrity database generation out of range: ${g}`);
    const h: Header = {
      hostward: MAGIC,
      version: VERSION,
      created: header.created,
      root: header.root,
      policy: header.policy,
      generation: header.generation,
      signed: key !== undefined,
      keyId: key ? keyId(key) : null,
    };
    w.parts.push(JSON.stringify(h) + '\n');
    return w;
  }

  get records(): number {
    return this.count;
  }

  /** Append a record; records must come in strictly increasing walk order. */
  async write(r: FileRecord): Promise<void> {
    if (this.last !== undefined && comparePaths(this.last, r.path) >= 0)
      throw new Error(`integrity database records out of order: ${r.path} after ${this.last}`);
    this.last = r.path;
    const line = encodeRecord(r) + '\n';
    this.parts.push(line);
    this.pending += line.length;
    this.count++;
    if (this.pending >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    this.mac.update(buf);
    let off = 0;
    while (off < buf.length) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
  }

  /** Finish: trailer, fsync, rename over the database, fsync the directory. Returns the digest. */
  async commit(): Promise<{ digest: string; records: number }> {
    await this.flush();
    const digest = this.mac.digest('hex');
    const trailer = Buffer.from(JSON.stringify({ end: true, records: this.count, mac: digest }) + '\n');
    await this.fh.write(trailer);
    await this.fh.sync();
    await this.fh.close();
    this.done = true;
    try {
      await fsp.rename(this.tmp, this.file);
    } catch (e) {
      await fsp.unlink(this.tmp).catch(() => undefined);
      throw new IntegrityError(
        'write_failed',
        `${this.file}: cannot replace the database (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        { cause: e },
      );
    }
    await fsyncDir(path.dirname(this.file));
    return { digest, records: this.count };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => undefined);
    await fsp.unlink(this.tmp).catch(() => undefined);
  }
}

export interface Verified {
  header: Header;
  records: number;
  digest: string;
  /** The MAC was checked with the key (false: unsigned, or signed and no key given). */
  verified: boolean;
}

/**
 * Streams a database's records in order, with one record of look-ahead (peek) for merging. Structural
 * problems throw IntegrityError as soon as they are seen; the MAC is checked by finish(), which must be
 * awaited before anything read is trusted.
 */
export class DbReader {
  private buf = '';
  private lines: string[] = [];
  private li = 0;
  private eof = false;
  private lineNo = 1;
  private count = 0;
  private trailer: { records: number; mac: string } | undefined;
  private readonly mac: Hash | Hmac;
  private head: FileRecord | undefined;
  private lastPath: string | undefined;
  private readonly chunk = Buffer.allocUnsafe(READ_BYTES);
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  private constructor(
    private readonly fh: fsp.FileHandle,
    readonly file: string,
    readonly header: Header,
    private readonly key: Buffer | undefined,
    firstRest: string,
    private readonly headerLine: string,
  ) {
    this.mac = macOf(header.signed ? key : undefined);
    this.mac.update(headerLine + '\n');
    this.buf = firstRest;
  }

  /** Open and read the header. `key` undefined: a signed database is read without verifying its MAC. */
  static async open(file: string, key: Buffer | undefined): Promise<DbReader> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new IntegrityError('baseline_missing', `${file}: no baseline database (run hostward integrity init)`);
      throw new IntegrityError(
        'baseline_unreadable',
        `${file}: cannot read the baseline database (${code ?? (e as Error).message})`,
      );
    }
    try {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, 0);
      const text = chunk.subarray(0, bytesRead).toString('utf8');
      const nl = text.indexOf('\n');
      if (bytesRead === 0) throw new IntegrityError('baseline_truncated', `${file}: the baseline database is empty`);
      if (nl < 0)
        throw new IntegrityError(
          bytesRead < chunk.length ? 'baseline_truncated' : 'baseline_corrupt',
          `${file}: the baseline database has no complete header line`,
        );
      const headerLine = text.slice(0, nl);
      let h: unknown;
      try {
        h = JSON.parse(headerLine);
      } catch {
        throw new IntegrityError('baseline_corrupt', `${file}: not a hostward integrity database (unreadable header)`);
      }
      const hd = h as Partial<Header>;
      if (
        typeof h !== 'object' ||
        h === null ||
        hd.hostward !== MAGIC ||
        typeof hd.signed !== 'boolean' ||
        typeof hd.created !== 'string' ||
        typeof hd.policy !== 'string'
      ) {
        throw new IntegrityError('baseline_corrupt', `${file}: not a hostward integrity database (bad header)`);
      }
      if (!READABLE_VERSIONS.includes(hd.version)) {
        throw new IntegrityError(
          'baseline_corrupt',
          `${file}: database format version ${String(hd.version)}, this hostward reads ${READABLE_VERSIONS.join(' and ')}`,
        );
      }
      const header = { ...hd, generation: generationOf(file, hd) } as Header;
      if (!header.signed && key) {
        throw new IntegrityError(
          'baseline_unsigned',
          `${file}: the baseline is unsigned although an integrity key is configured: it may have been replaced by someone without the key`,
        );
      }
      if (header.signed && key && header.keyId !== keyId(key)) {
        throw new IntegrityError(
          'baseline_wrong_key',
          `${file}: the baseline was signed with another key (key id ${String(header.keyId)}, the configured key is ${keyId(key)})`,
        );
      }
      const headBytes = Buffer.byteLength(headerLine, 'utf8') + 1;
      const r = new DbReader(fh, file, header, key, '', headerLine);
      r.pos = headBytes;
      return r;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  private pos = 0;

  private async fill(): Promise<boolean> {
    while (this.li >= this.lines.length) {
      if (this.eof) return false;
      const { bytesRead } = await this.fh.read(this.chunk, 0, this.chunk.length, this.pos);
      if (bytesRead === 0) {
        this.eof = true;
        if (this.buf.length > 0) {
          throw new IntegrityError(
            'baseline_truncated',
            `${this.file}: the baseline database is truncated (line ${this.lineNo + 1} is incomplete)`,
          );
        }
        return false;
      }
      this.pos += bytesRead;
      this.buf += this.decoder.decode(this.chunk.subarray(0, bytesRead), { stream: true });
      const last = this.buf.lastIndexOf('\n');
      if (last < 0) {
        if (this.buf.length > MAX_LINE)
          throw new IntegrityError(
            'baseline_corrupt',
            `${this.file}: line ${this.lineNo + 1} is longer than ${MAX_LINE} characters`,
          );
        continue;
      }
      this.lines = this.buf.slice(0, last).split('\n');
      this.li = 0;
      this.buf = this.buf.slice(last + 1);
    }
    return true;
  }

  /** The next record without consuming it; undefined at the end. */
  async peek(): Promise<FileRecord | undefined> {
    if (this.head) return this.head;
    if (this.trailer) return undefined;
    if (!(await this.fill())) {
      throw new IntegrityError(
        'baseline_truncated',
        `${this.file}: the baseline database is truncated (no end line after ${this.count} records)`,
      );
    }
    const line = this.lines[this.li++]!;
    this.lineNo++;
    if (line.startsWith('{')) {
      let t: unknown;
      try {
        t = JSON.parse(line);
      } catch {
        throw new IntegrityError('baseline_corrupt', `${this.file}: line ${this.lineNo} is not a record`);
      }
      const tr = t as { end?: unknown; records?: unknown; mac?: unknown };
      if (tr.end !== true || typeof tr.records !== 'number' || typeof tr.mac !== 'string')
        throw new IntegrityError('baseline_corrupt', `${this.file}: line ${this.lineNo} is not a record`);
      this.trailer = { records: tr.records, mac: tr.mac };
      return undefined;
    }
    this.mac.update(line + '\n');
    const rec = decodeRecord(line);
    if (!rec) throw new IntegrityError('baseline_corrupt', `${this.file}: line ${this.lineNo} is not a valid record`);
    if (this.lastPath !== undefined && comparePaths(this.lastPath, rec.path) >= 0)
      throw new IntegrityError('baseline_corrupt', `${this.file}: line ${this.lineNo} is out of order`);
    this.lastPath = rec.path;
    this.count++;
    this.head = rec;
    return rec;
  }

  async next(): Promise<FileRecord | undefined> {
    const r = await this.peek();
    this.head = undefined;
    return r;
  }

  /** Read what is left, then check the end line, the record count and the MAC. Throws IntegrityError. */
  async finish(): Promise<Verified> {
    try {
      while ((await this.next()) !== undefined);
      if (await this.fill()) throw new IntegrityError('baseline_corrupt', `${this.file}: data after the end line`);
      const t = this.trailer!;
      if (t.records !== this.count)
        throw new IntegrityError(
          'baseline_truncated',
          `${this.file}: ${this.count} records where the end line says ${t.records}`,
        );
      const digest = this.mac.digest('hex');
      const canCheck = !this.header.signed || this.key !== undefined;
      if (canCheck) {
        const a = Buffer.from(digest, 'hex');
        const b = Buffer.from(/^[0-9a-f]{64}$/.test(t.mac) ? t.mac : '00'.repeat(32), 'hex');
        if (!timingSafeEqual(a, b)) {
          throw this.header.signed
            ? new IntegrityError(
                'baseline_tampered',
                `${this.file}: the baseline's HMAC does not verify: it was modified after it was signed`,
              )
            : new IntegrityError(
                'baseline_corrupt',
                `${this.file}: the baseline's checksum does not match: it is corrupt`,
              );
        }
      }
      return {
        header: this.header,
        records: this.count,
        digest: t.mac,
        verified: this.header.signed && this.key !== undefined,
      };
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// The rolling-rehash cursor.

export function cursorFile(dbFile: string): string {
  return `${dbFile}.cursor`;
}

function cursorMac(key: Buffer | undefined, digest: string, next: number): string {
  return macOf(key).update(`hostward integrity cursor:${digest}:${next}`).digest('hex');
}

/** The next slice to rehash, or undefined when the cursor is missing, unreadable or does not verify. */
export async function readCursor(dbFile: string, key: Buffer | undefined, digest: string): Promise<number | undefined> {
  try {
    const c = JSON.parse(await fsp.readFile(cursorFile(dbFile), 'utf8')) as { next?: unknown; mac?: unknown };
    if (typeof c.next !== 'number' || !Number.isSafeInteger(c.next) || c.next < 0 || typeof c.mac !== 'string')
      return undefined;
    return c.mac === cursorMac(key, digest, c.next) ? c.next : undefined;
  } catch {
    return undefined;
  }
}

export async function writeCursor(
  dbFile: string,
  key: Buffer | undefined,
  digest: string,
  next: number,
): Promise<void> {
  await writeFileAtomic(cursorFile(dbFile), JSON.stringify({ next, mac: cursorMac(key, digest, next) }) + '\n');
}
