/**
 * Record framing of the outbox segments: `magic (4) | length (4, LE) | crc32 of payload (4, LE) | payload`.
 * The magic lets a reader find the next record after a corrupted one; the CRC detects torn and flipped
 * bytes. Decoding never throws: bad records are skipped and counted.
 */
import { crc32 } from 'node:zlib';

export const MAGIC = 0x4857_4f42; // "HWOB"
export const HEADER_BYTES = 12;
/** A record larger than this is treated as corruption (an event is a few KiB at most). */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

export function encodeRecord(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(crc32(payload), 8);
  payload.copy(out, HEADER_BYTES);
  return out;
}

export interface Decoded {
  records: Buffer[];
  /** Stretches of bytes that failed the checks (bad magic, length, CRC, or a torn end) and were skipped. */
  corrupt: number;
}

export function decodeRecords(buf: Buffer): Decoded {
  const records: Buffer[] = [];
  let corrupt = 0;
  let pos = 0;
  let inGarbage = false;
  while (pos < buf.length) {
    const payload = recordAt(buf, pos);
    if (payload) {
      records.push(payload);
      pos += HEADER_BYTES + payload.length;
      inGarbage = false;
      continue;
    }
    if (!inGarbage) corrupt++;
    inGarbage = true;
    const next = buf.indexOf(MAGIC_BYTES, pos + 1);
    if (next < 0) break;
    pos = next;
  }
  return { records, corrupt };
}

function recordAt(buf: Buffer, pos: number): Buffer | undefined {
  if (buf.length - pos < HEADER_BYTES || buf.readUInt32LE(pos) !== MAGIC) return undefined;
  const len = buf.readUInt32LE(pos + 4);
  if (len > MAX_RECORD_BYTES || pos + HEADER_BYTES + len > buf.length) return undefined;
  const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
  return crc32(payload) === buf.readUInt32LE(pos + 8) ? payload : undefined;
}

const MAGIC_BYTES = (() => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(MAGIC, 0);
  return b;
})();
