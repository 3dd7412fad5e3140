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
        const lz4 = (await import('lz4-napi')).default;
        out = await lz4.decompressFrame(bytes);
        break;
      }
      case 'xz': {
        const { xz } = await import('@napi-rs/lzma');
        out = await xz.decompress(bytes);
        break;
      }
      case 'zst': {
        const { decompress: zstdDecompress } = await import('fzstd');
        const u = zstdDecompress(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
        out = Buffer.from(u.buffer, u.byteOffset, u.length);
        break;
      }
    }
  } catch (e) {
    if (e instanceof RangeError && kind === 'gz') return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
    return { ok: false, reason: `corrupt ${kind} data: ${errText(e)}` };
  }
  if (out.length > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes once decompressed` };
  return { ok: true, bytes: out };
}
