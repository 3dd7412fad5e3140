/** Test helpers: an RPM header writer (the inverse of probes/updates/rpm/header.ts), and a real-schema rpmdb.sqlite. */
import { createRequire } from 'node:module';
import { TAG, TYPE } from '../../probes/updates/rpm/header.js';

export interface HeaderInput {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  /** Extra string tags, e.g. SUMMARY 1004. */
  extra?: Record<number, string>;
}

/**
 * Build a header blob as rpm stores it in the database: il, dl, entries sorted by tag, data with INT32
 * aligned to 4 bytes. A region entry (HEADER_IMMUTABLE, tag 63, BIN, 16 bytes) comes first, as in real blobs.
 */
export function buildHeader(h: HeaderInput): Buffer {
  type Entry = { tag: number; type: number; bytes: Buffer; count: number; align: number };
  const entries: Entry[] = [];
  const str = (tag: number, s: string) =>
    entries.push({ tag, type: TYPE.string, bytes: Buffer.from(s + '\0'), count: 1, align: 1 });
  str(TAG.name, h.name);
  str(TAG.version, h.version);
  str(TAG.release, h.release);
  if (h.arch) str(TAG.arch, h.arch);
  if (h.epoch !== undefined) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(h.epoch);
    entries.push({ tag: TAG.epoch, type: TYPE.int32, bytes: b, count: 1, align: 4 });
  }
  for (const [t, s] of Object.entries(h.extra ?? {})) str(Number(t), s);
  entries.sort((a, b) => a.tag - b.tag);
  const il = entries.length + 1;
  const chunks: Buffer[] = [];
  let dl = 0;
  const index: Buffer[] = [];
  const entry = (tag: number, type: number, off: number, count: number) => {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(tag, 0);
    b.writeUInt32BE(type, 4);
    b.writeUInt32BE(off, 8);
    b.writeUInt32BE(count, 12);
    return b;
  };
  for (const e of entries) {
    const pad = (e.align - (dl % e.align)) % e.align;
    if (pad) {
      chunks.push(Buffer.alloc(pad));
      dl += pad;
    }
    index.push(entry(e.tag, e.type, dl, e.count));
    chunks.push(e.bytes);
    dl += e.bytes.length;
  }
  // region trailer: an entry for tag 63 whose offset is negative il*16 (as rpm writes it)
  const trailer = entry(63, TYPE.bin, (-il * 16) >>> 0, 16);
  index.unshift(entry(63, TYPE.bin, dl, 16));
  chunks.push(trailer);
  dl += 16;
  const head = Buffer.alloc(8);
  head.writeUInt32BE(il, 0);
  head.writeUInt32BE(dl, 4);
  return Buffer.concat([head, ...index, ...chunks]);
}

/** rpm's sqlite backend schema (lib/backend/sqlite.c): Packages(hnum, blob) plus index tables. */
export const RPMDB_SCHEMA = [
  "CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)",
  "CREATE TABLE IF NOT EXISTS 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))",
  "CREATE INDEX IF NOT EXISTS 'Name_key_idx' ON 'Name'(key)",
];

/** Write an rpmdb.sqlite image with these packages (sql.js, the same library the probe reads it with). */
export async function buildRpmdb(pkgs: (HeaderInput | Buffer)[]): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  const initSqlJs = (await import('sql.js')).default;
  const SQL = await initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  const db = new SQL.Database();
  for (const s of RPMDB_SCHEMA) db.run(s);
  pkgs.forEach((p, i) => {
    const blob = Buffer.isBuffer(p) ? p : buildHeader(p);
    db.run('INSERT INTO Packages (hnum, blob) VALUES (?, ?)', [i + 1, blob]);
    if (!Buffer.isBuffer(p)) db.run('INSERT INTO Name (key, hnum, idx) VALUES (?, ?, 0)', [p.name, i + 1]);
  });
  const out = Buffer.from(db.export());
  db.close();
  return out;
}
