/**
 * Decompression of package lists, chosen by file name as apt does (.gz, .xz, .lz4, .zst, or none), with a cap
 * on the decompressed size. Libraries: gzip from node:zlib; xz from @napi-rs/lzma (prebuilt); zstd from fzstd
 * (pure JS; Node 20 has no zstd); lz4 frames by a block decoder of our own (Lz4Stream), streamed or whole (the
 * tests compare it with lz4-napi and the lz4 command). Corrupt or truncated input is a typed failure, never a
 * throw. Each library is loaded on first use: the agent imports every probe for its catalogue and must not map
 * native decompressors it never calls. */
import { createGunzip, gunzip } from 'node:zlib';
import { finished } from 'node:stream/promises';
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
  if (kind === 'none')
    return bytes.length > maxBytes ? { ok: false, reason: `larger than ${maxBytes} bytes` } : { ok: true, bytes };
  const magic = MAGIC[kind];
  if (bytes.length < magic.length || magic.some((b, i) => bytes[i] !== b))
    return { ok: false, reason: `not ${kind} data (bad magic number)` };
  let out: Buffer;
  try {
    switch (kind) {
      case 'gz':
        out = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
        break;
      case 'lz4':
        // The streamed decoder, fed the whole file: it stops at the cap (a 2 MB bomb decodes to 512 MB; found by
        // fuzzing, test/fuzz) and its failures are already DecodeErrors with their reason.
        out = await decodeWhole(bytes, kind, maxBytes);
        break;
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
        for (let off = 0; off < bytes.length; off += STEP)
          d.push(
            new Uint8Array(bytes.buffer, bytes.byteOffset + off, Math.min(STEP, bytes.length - off)),
            off + STEP >= bytes.length,
          );
        out = Buffer.concat(chunks, n);
        break;
      }
    }
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, reason: e.message };
    if ((e instanceof RangeError && kind === 'gz') || e instanceof TooLarge)
      return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
    return { ok: false, reason: `corrupt ${kind} data: ${errText(e)}` };
  }
  if (out.length > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
  return { ok: true, bytes: out };
}

class TooLarge extends Error {}

/**
 * `bytes`, whose magic number decode checked, through the streamed decoder of `kind`, its output gathered (copied:
 * the decoder reuses its buffer).
 */
async function decodeWhole(bytes: Buffer, kind: Exclude<Compression, 'none'>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const keep: Sink = (b) => {
    chunks.push(Buffer.from(b));
    n += b.length;
  };
  const d = MAKERS[kind](capped(kind, maxBytes, keep), maxBytes);
  try {
    await d.push(bytes);
    await d.end();
  } catch (e) {
    d.abort();
    throw e;
  }
  return Buffer.concat(chunks, n);
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

/** Why a streamed decode stopped: corrupt, truncated or over the cap. */
export class DecodeError extends Error {}

/**
 * A decoder fed the compressed file chunk by chunk, handing the decoded bytes to a sink as they come, so that
 * a 50 MB list is never held decoded (nor, but for xz, compressed) whole. The bytes handed on are the sink's
 * during the call only (the lz4 decoder reuses its buffer): a sink copies what it keeps. push and end throw
 * DecodeError; abort releases what a failed read leaves.
 */
export interface StreamDecoder {
  push(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
  abort(): void;
}

type Sink = (decoded: Buffer) => void;

/** A streamed decoder of `kind` for at most maxBytes decoded bytes, checking the magic number first. */
export function streamDecoder(kind: Compression, maxBytes: number, sink: Sink): StreamDecoder {
  const counted = capped(kind, maxBytes, sink);
  if (kind === 'none') return { push: async (c) => counted(c), end: async () => undefined, abort: () => undefined };
  return withMagic(kind, MAKERS[kind](counted, maxBytes));
}

/** The sink behind a count of the decoded bytes, failing past maxBytes. */
function capped(kind: Compression, maxBytes: number, sink: Sink): Sink {
  let n = 0;
  return (b) => {
    n += b.length;
    if (n <= maxBytes) {
      if (b.length > 0) sink(b);
      return;
    }
    throw new DecodeError(`larger than ${maxBytes} bytes${kind === 'none' ? '' : ' once decompressed'}`);
  };
}

/** Holds back the first bytes until the magic number can be checked, as decode does. */
function withMagic(kind: Exclude<Compression, 'none'>, inner: StreamDecoder): StreamDecoder {
  const magic = MAGIC[kind];
  let head: Buffer | undefined = Buffer.alloc(0);
  const release = async (final: boolean) => {
    const h = head!;
    if (h.length < magic.length && !final) return;
    head = undefined;
    if (h.length < magic.length || magic.some((b, i) => h[i] !== b)) {
      throw new DecodeError(`not ${kind} data (bad magic number)`);
    }
    await inner.push(h);
  };
  return {
    push: async (c) => {
      if (head === undefined) return inner.push(c);
      head = Buffer.concat([head, c]);
      await release(false);
    },
    end: async () => {
      if (head !== undefined) await release(true);
      await inner.end();
    },
    abort: () => inner.abort(),
  };
}

/** Runs a decoding step, turning a library's error into a DecodeError. */
function corrupt<T>(kind: Compression, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`corrupt ${kind} data: ${errText(e)}`);
  }
}

const MAKERS: Record<Exclude<Compression, 'none'>, (sink: Sink, maxBytes: number) => StreamDecoder> = {
  gz: gzStream,
  lz4: (sink) => new Lz4Stream(sink),
  xz: xzWhole,
  zst: zstStream,
};

function gzStream(sink: Sink): StreamDecoder {
  const g = createGunzip();
  let failure: unknown;
  g.on('data', (d: Buffer) => {
    if (failure !== undefined) return;
    try {
      sink(d);
    } catch (e) {
      failure = e;
      g.destroy();
    }
  });
  g.on('error', (e) => (failure ??= e));
  const settle = () => {
    if (failure === undefined) return;
    throw failure instanceof DecodeError ? failure : new DecodeError(`corrupt gz data: ${errText(failure)}`);
  };
  return {
    push: async (c) => {
      settle();
      // A write's callback is not always called once the stream has failed: its error or close ends the wait.
      await new Promise<void>((res) => {
        const done = () => {
          g.off('error', done).off('close', done);
          res();
        };
        g.once('error', done).once('close', done);
        g.write(c, done);
      });
      settle();
    },
    end: async () => {
      settle();
      g.end();
      await finished(g).catch((e: unknown) => (failure ??= e));
      settle();
    },
    abort: () => g.destroy(),
  };
}

function zstStream(sink: Sink): StreamDecoder {
  let d: { push(chunk: Uint8Array, final?: boolean): void } | undefined;
  const load = async () => {
    const { Decompress } = await import('fzstd');
    return (d ??= new Decompress((chunk) => sink(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))));
  };
  return {
    push: async (c) => {
      const z = await load();
      corrupt('zst', () => z.push(c, false));
    },
    end: async () => {
      const z = await load();
      corrupt('zst', () => z.push(new Uint8Array(0), true));
    },
    abort: () => undefined,
  };
}

/** @napi-rs/lzma cannot stream: the compressed file is gathered and decoded whole, as decode does. */
function xzWhole(sink: Sink, maxBytes: number): StreamDecoder {
  const chunks: Buffer[] = [];
  return {
    push: async (c) => void chunks.push(c),
    end: async () => {
      const bytes = Buffer.concat(chunks);
      chunks.length = 0;
      const bound = xzIndexBound(bytes);
      if (bound === undefined) throw new DecodeError('corrupt xz data: no valid stream index');
      if (bound > maxBytes) throw new DecodeError(`larger than ${maxBytes} bytes once decompressed`);
      const { xz } = await import('@napi-rs/lzma');
      let out: Buffer;
      try {
        out = await xz.decompress(bytes);
      } catch (e) {
        throw new DecodeError(`corrupt xz data: ${errText(e)}`);
      }
      for (let off = 0; off < out.length; off += 1 << 20) sink(out.subarray(off, off + (1 << 20)));
    },
    abort: () => void (chunks.length = 0),
  };
}

/** LZ4's largest block (block maximum size code 7). */
const LZ4_MAX_BLOCK = 4 * 1024 * 1024;
/** LZ4's window: a linked block may copy from the 64 KiB decoded before it. */
const LZ4_WINDOW = 64 * 1024;

/**
 * LZ4 frames decoded block by block, in JavaScript: the frame and block headers are walked here and each block
 * is decoded by decodeLz4Block into one buffer reused for the whole file, after the 64 KiB window of linked
 * blocks (apt writes linked 64 KiB blocks). lz4-napi's block decoder, used here before, made a buffer per block
 * and a joined window per block: ~50 MB of short-lived native buffers for apt's main list, which the allocator
 * kept as resident memory long after. Checksums (header, block, content) are not verified.
 */
class Lz4Stream implements StreamDecoder {
  /** Input not consumed yet: buf[pos, len). */
  private buf = new Uint8Array(0);
  private pos = 0;
  private len = 0;
  private state: 'magic' | 'block' | 'trailer' = 'magic';
  private skip = 0;
  private flg = 0;
  private blockMax = 0;
  /** The window (out[0, win)), then the block being decoded. */
  private out = new Uint8Array(0);
  private win = 0;

  constructor(private readonly sink: Sink) {}

  push(c: Buffer): Promise<void> {
    // The input is copied into a buffer of our own, reused from chunk to chunk: the blocks are decoded from it
    // in place, and a 50 MB list leaves no garbage of input copies.
    const keep = this.len - this.pos;
    if (this.buf.length < keep + c.length) {
      const grown = new Uint8Array(Math.max(keep + c.length, this.buf.length * 2));
      grown.set(this.buf.subarray(this.pos, this.len));
      this.buf = grown;
    } else this.buf.copyWithin(0, this.pos, this.len);
    this.buf.set(c, keep);
    this.pos = 0;
    this.len = keep + c.length;
    for (;;) {
      const used = this.step(this.pos);
      if (used === 0) break;
      this.pos += used;
    }
    return Promise.resolve();
  }

  end(): Promise<void> {
    if (this.skip > 0 || this.state !== 'magic' || this.len > this.pos) {
      return Promise.reject(new DecodeError('corrupt lz4 data: truncated frame'));
    }
    return Promise.resolve();
  }

  abort(): void {
    this.buf = this.out = new Uint8Array(0);
    this.pos = this.len = this.win = 0;
  }

  /** Consumes one unit (a frame header, a block, a trailer or skipped bytes) from `pos`; 0 when it needs more input. */
  private step(pos: number): number {
    const left = this.len - pos;
    if (this.skip > 0) {
      const n = Math.min(this.skip, left);
      this.skip -= n;
      return n;
    }
    if (this.state === 'trailer') {
      if (left < 4) return 0;
      this.state = 'magic';
      return 4;
    }
    if (this.state === 'magic') return this.header(pos, left);
    if (left < 4) return 0;
    const word = readU32(this.buf, pos);
    if (word === 0) {
      this.state = this.flg & 0x04 ? 'trailer' : 'magic';
      return 4;
    }
    const size = word & 0x7fffffff;
    if (size > this.blockMax) throw new DecodeError('corrupt lz4 data: a block larger than the frame allows');
    const total = 4 + size + (this.flg & 0x10 ? 4 : 0);
    if (left < total) return 0;
    this.block(pos + 4, size, word >>> 31 === 1);
    return total;
  }

  private header(pos: number, left: number): number {
    const b = this.buf;
    if (left < 4) return 0;
    const magic = readU32(b, pos);
    if (magic >= 0x184d2a50 && magic <= 0x184d2a5f) {
      if (left < 8) return 0;
      this.skip = readU32(b, pos + 4);
      return 8;
    }
    if (magic !== 0x184d2204) throw new DecodeError('corrupt lz4 data: bad frame structure');
    if (left < 6) return 0;
    const flg = b[pos + 4]!;
    const blockMax = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, LZ4_MAX_BLOCK][(b[pos + 5]! >> 4) & 7]!;
    if (blockMax === 0 || flg >> 6 !== 1) throw new DecodeError('corrupt lz4 data: bad frame structure');
    const len = 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    if (left < len) return 0;
    this.flg = flg;
    this.blockMax = blockMax;
    if (this.out.length < LZ4_WINDOW + blockMax) this.out = new Uint8Array(LZ4_WINDOW + blockMax);
    this.win = 0;
    this.state = 'block';
    return len;
  }

  /** Decodes the block of `size` bytes at buf[at] after the window, hands it on, and keeps the new window. */
  private block(at: number, size: number, stored: boolean): void {
    const out = this.out;
    const linked = (this.flg & 0x20) === 0;
    const start = linked ? this.win : 0;
    let end: number;
    if (stored) {
      out.set(this.buf.subarray(at, at + size), start);
      end = start + size;
    } else end = decodeLz4Block(this.buf, at, at + size, out, start, start + this.blockMax);
    this.sink(Buffer.from(out.buffer, out.byteOffset + start, end - start));
    if (!linked) return;
    const keep = Math.min(end, LZ4_WINDOW);
    out.copyWithin(0, end - keep, end);
    this.win = keep;
  }
}

const readU32 = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

const lz4Corrupt = (why: string) => new DecodeError(`corrupt lz4 data: ${why}`);

/**
 * One LZ4 block (the LZ4 block format: sequences of a token, literals, a 2-byte offset and a match length) from
 * src[s, sEnd) into dst at d, where dst[0, d) is the window a match may copy from. Returns where the output
 * ends; throws DecodeError when a length or offset leaves the input, the window or `limit`. Literals and
 * matches are copied byte by byte unless long: a call costs more than it saves on the short ones package lists
 * are made of, and a literal copied with set() needs a subarray object (12 MB of them for the main Debian list).
 */
export function decodeLz4Block(
  src: Uint8Array,
  s: number,
  sEnd: number,
  dst: Uint8Array,
  d: number,
  limit: number,
): number {
  for (;;) {
    if (s >= sEnd) throw lz4Corrupt('a block that ends without its last literals');
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b = 255;
      while (b === 255) {
        if (s >= sEnd) throw lz4Corrupt('a literal length past the block');
        b = src[s++]!;
        lit += b;
      }
    }
    if (lit > sEnd - s || lit > limit - d) throw lz4Corrupt('literals past the block or its maximum size');
    if (lit < 1024) {
      const e = s + lit;
      while (s < e) dst[d++] = src[s++]!;
    } else {
      dst.set(src.subarray(s, s + lit), d);
      s += lit;
      d += lit;
    }
    if (s === sEnd) return d;
    if (sEnd - s < 2) throw lz4Corrupt('a match offset past the block');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    let ml = token & 15;
    if (ml === 15) {
      let b = 255;
      while (b === 255) {
        if (s >= sEnd) throw lz4Corrupt('a match length past the block');
        b = src[s++]!;
        ml += b;
      }
    }
    ml += 4;
    let m = d - offset;
    if (offset === 0 || m < 0) throw lz4Corrupt('a match offset before the window');
    if (ml > limit - d) throw lz4Corrupt("a match past the block's maximum size");
    if (ml >= 32 && ml <= offset) {
      dst.copyWithin(d, m, m + ml);
      d += ml;
    } else {
      const e = d + ml;
      while (d < e) dst[d++] = dst[m++]!;
    }
  }
}
