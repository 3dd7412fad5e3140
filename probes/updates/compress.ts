/**
 * Decompression of package lists, chosen by file name as apt does (.gz, .xz, .lz4, .zst, or none), with a cap
 * on the decompressed size. Libraries: gzip from node:zlib; lz4 frames from lz4-napi (lz4_flex, prebuilt
 * napi-rs binaries: ~25 ms for apt's 50 MB main list); xz from @napi-rs/lzma (prebuilt); zstd from fzstd
 * (pure JS; Node 20 has no zstd). Corrupt or truncated input is a typed failure, never a throw. Each
 * library is loaded on first use: the agent imports every probe for its catalogue and must not map native
 * decompressors it never calls.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

export type Compression = 'none' | 'gz' | 'xz' | 'lz4' | 'zst';

export type Decoded = { ok: true; bytes: Buffer } | { ok: false; reason: string };

/** The compression apt used for a list file, from its name. */
export function compressionOf(name: string): Compression {
  if (name.endsWith('.gz')) return 'gz';
  if (name.endsWith('.xz')) return 'xz';
  if (name.endsWith('.lz4')) return 'lz4';
  if (name.endsWith('.zst')) return 'zst';
  return 'none';
}

const MAGIC: Record<Exclude<Compression, 'none'>, number[]> = {
  gz: [0x1f, 0x8b],
  xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  lz4: [0x04, 0x22, 0x4d, 0x18],
  zst: [0x28, 0xb5, 0x2f, 0xfd],
};

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 200);
}

/** Decode `bytes` compressed with `kind`; fails when corrupt, truncated or larger than maxBytes once decoded. */
export async function decode(bytes: Buffer, kind: Compression, maxBytes: number): Promise<Decoded> {
  if (kind === 'none') return bytes.length > maxBytes ? { ok: false, reason: `larger than ${maxBytes} bytes` } : { ok: true, bytes };
  const magic = MAGIC[kind];
  if (bytes.length < magic.length || magic.some((b, i) => bytes[i] !== b)) return { ok: false, reason: `not ${kind} data (bad magic number)` };
  let out: Buffer;
  try {
    switch (kind) {
      case 'gz':
        out = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
        break;
      case 'lz4': {
        // lz4-napi decodes a whole frame at once: bound its size from the block headers first (a 2 MB bomb
        // decodes to 512 MB; found by fuzzing, test/fuzz).
        const bound = lz4Bound(bytes);
        if (bound === undefined) return { ok: false, reason: 'corrupt lz4 data: bad frame structure' };
        if (bound > maxBytes + LZ4_MAX_BLOCK) return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
        const lz4 = (await import('lz4-napi')).default;
        out = await lz4.decompressFrame(bytes);
        break;
      }
      case 'xz': {
        // @napi-rs/lzma cannot stream: trust the stream index's sizes as a bound first (a forged index still
        // gets through; see the fuzzing report).
        const bound = xzIndexBound(bytes);
        if (bound === undefined) return { ok: false, reason: 'corrupt xz data: no valid stream index' };
        if (bound > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
        const { xz } = await import('@napi-rs/lzma');
        out = await xz.decompress(bytes);
        break;
      }
      case 'zst': {
        // Streamed, so that decoding stops at the cap instead of after it (a 9 KB bomb held 300 MB).
        const { Decompress } = await import('fzstd');
        const chunks: Uint8Array[] = [];
        let n = 0;
        const d = new Decompress((chunk) => {
          n += chunk.length;
          if (n > maxBytes) throw new TooLarge();
          chunks.push(chunk);
        });
        const STEP = 1 << 20;
        for (let off = 0; off < bytes.length; off += STEP) d.push(new Uint8Array(bytes.buffer, bytes.byteOffset + off, Math.min(STEP, bytes.length - off)), off + STEP >= bytes.length);
        out = Buffer.concat(chunks, n);
        break;
      }
    }
  } catch (e) {
    if ((e instanceof RangeError && kind === 'gz') || e instanceof TooLarge) return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
    return { ok: false, reason: `corrupt ${kind} data: ${errText(e)}` };
  }
  if (out.length > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
  return { ok: true, bytes: out };
}

class TooLarge extends Error {}

/** LZ4's largest block (block maximum size code 7). */
const LZ4_MAX_BLOCK = 4 * 1024 * 1024;

/**
 * An upper bound of an LZ4 frame sequence's decoded size, from the frame and block headers alone: every block
 * decodes to at most the frame's block maximum size. Undefined when the structure is broken. Skippable frames
 * are skipped; a declared content size larger than the bound counts too.
 */
export function lz4Bound(b: Buffer): number | undefined {
  let pos = 0;
  let total = 0;
  while (pos < b.length) {
    if (pos + 8 > b.length) return undefined;
    const magic = b.readUInt32LE(pos);
    if (magic >= 0x184d2a50 && magic <= 0x184d2a5f) {
      pos += 8 + b.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== 0x184d2204) return undefined;
    const flg = b[pos + 4]!;
    const blockMax = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, LZ4_MAX_BLOCK][(b[pos + 5]! >> 4) & 7]!;
    if (blockMax === 0 || flg >> 6 !== 1) return undefined;
    let frame = 0;
    if (flg & 0x08) {
      if (pos + 14 > b.length) return undefined;
      frame = Number(b.readBigUInt64LE(pos + 6));
    }
    pos += 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    let blocks = 0;
    for (;;) {
      if (pos + 4 > b.length) return undefined;
      const size = b.readUInt32LE(pos);
      pos += 4;
      if (size === 0) break;
      blocks += blockMax;
      pos += (size & 0x7fffffff) + (flg & 0x10 ? 4 : 0);
    }
    if (flg & 0x04) pos += 4;
    total += Math.max(blocks, frame);
  }
  return total;
}

function readVarint(b: Buffer, at: { pos: number }, end: number): number | undefined {
  let v = 0;
  for (let i = 0; i < 9 && at.pos < end; i++) {
    const c = b[at.pos++]!;
    v += (c & 0x7f) * 2 ** (7 * i);
    if ((c & 0x80) === 0) return v;
  }
  return undefined;
}

/**
 * The decoded size of an .xz file as its stream indexes declare it (streams walked from the end, padding
 * skipped). Undefined when a footer or index does not parse.
 */
export function xzIndexBound(b: Buffer): number | undefined {
  let end = b.length;
  let total = 0;
  while (end > 0) {
    while (end >= 4 && b.readUInt32LE(end - 4) === 0) end -= 4; // stream padding
    if (end < 24) return undefined;
    const footer = end - 12;
    if (b[footer + 10] !== 0x59 || b[footer + 11] !== 0x5a) return undefined; // "YZ"
    const indexSize = (b.readUInt32LE(footer + 4) + 1) * 4;
    const index = footer - indexSize;
    if (index < 12 || b[index] !== 0) return undefined;
    const at = { pos: index + 1 };
    const records = readVarint(b, at, footer);
    if (records === undefined) return undefined;
    let blocks = 0;
    for (let i = 0; i < records; i++) {
      const unpadded = readVarint(b, at, footer);
      const size = readVarint(b, at, footer);
      if (unpadded === undefined || size === undefined) return undefined;
      total += size;
      blocks += Math.ceil(unpadded / 4) * 4;
    }
    end = index - blocks - 12; // the stream header
    if (end < 0 || b[end] !== 0xfd || b[end + 1] !== 0x37) return undefined;
  }
  return total;
}
