/**
 * RPM header blobs, as rpmdb.sqlite stores them (`SELECT blob FROM Packages`) and as the Berkeley DB and NDB
 * backends do: no lead or magic, then
 *   il (uint32 BE, index entries) | dl (uint32 BE, data bytes) | il x 16-byte entries | dl bytes of data,
 * each entry being tag, type, offset (into the data) and count, all uint32 big-endian. Only the tags the
 * updates probe needs are decoded: NAME 1000, VERSION 1001, RELEASE 1002, EPOCH 1003 (INT32), ARCH 1022.
 * Bounded by rpm's own limits (at most 0xffff entries, 256 MiB of data); anything out of range is an error
 * result, never a throw or an out-of-bounds read.
 */

export const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, arch: 1022 } as const;
export const TYPE = { int32: 4, string: 6, bin: 7, stringArray: 8, i18nstring: 9 } as const;
export const HEADER_MAX_ENTRIES = 0xffff;
export const HEADER_MAX_DATA = 0x0fffffff;

export interface RpmHeaderPackage {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  /** Absent for gpg-pubkey pseudo-packages. */
  arch?: string;
}

export type HeaderResult = { ok: true; pkg: RpmHeaderPackage } | { ok: false; reason: string };

function readString(data: Uint8Array, off: number): string | undefined {
  if (off < 0 || off >= data.length) return undefined;
  const end = data.indexOf(0, off);
  if (end < 0) return undefined;
  return Buffer.from(data.buffer, data.byteOffset + off, Math.min(end - off, 4096)).toString('utf8');
}

export function parseRpmHeader(blob: Uint8Array): HeaderResult {
  if (blob.length < 8)
    return { ok: false, reason: `blob of ${blob.length} bytes is shorter than the 8-byte header intro` };
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const il = dv.getUint32(0);
  const dl = dv.getUint32(4);
  if (il === 0 || il > HEADER_MAX_ENTRIES) return { ok: false, reason: `bad index entry count ${il}` };
  if (dl > HEADER_MAX_DATA) return { ok: false, reason: `bad data length ${dl}` };
  const dataStart = 8 + il * 16;
  if (dataStart + dl > blob.length)
    return {
      ok: false,
      reason: `truncated: ${il} entries and ${dl} data bytes need ${dataStart + dl} bytes, blob has ${blob.length}`,
    };
  const data = blob.subarray(dataStart, dataStart + dl);
  const strings: Partial<Record<number, string>> = {};
  let epoch: number | undefined;
  for (let e = 0; e < il; e++) {
    const p = 8 + e * 16;
    const tag = dv.getUint32(p);
    const type = dv.getUint32(p + 4);
    const off = dv.getUint32(p + 8);
    const count = dv.getUint32(p + 12);
    if (tag === TAG.epoch) {
      if (type !== TYPE.int32 || count < 1 || off + 4 > dl)
        return { ok: false, reason: `bad EPOCH entry (type ${type}, offset ${off}, count ${count})` };
      epoch = new DataView(data.buffer, data.byteOffset + off, 4).getUint32(0);
    } else if (tag === TAG.name || tag === TAG.version || tag === TAG.release || tag === TAG.arch) {
      if (type !== TYPE.string && type !== TYPE.i18nstring && type !== TYPE.stringArray)
        return { ok: false, reason: `tag ${tag} has type ${type}, not a string` };
      const s = readString(data, off);
      if (s === undefined)
        return { ok: false, reason: `tag ${tag}: string at offset ${off} is out of the data or unterminated` };
      strings[tag] = s;
    }
  }
  const name = strings[TAG.name];
  const version = strings[TAG.version];
  const release = strings[TAG.release];
  if (!name || version === undefined || release === undefined)
    return { ok: false, reason: 'header lacks NAME, VERSION or RELEASE' };
  const pkg: RpmHeaderPackage = { name, version, release };
  if (epoch !== undefined) pkg.epoch = epoch;
  const arch = strings[TAG.arch];
  if (arch) pkg.arch = arch;
  return { ok: true, pkg };
}
