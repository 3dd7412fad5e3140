/**
 * The available set: every /var/lib/apt/lists/*_Packages[.gz|.xz|.lz4|.zst], each mapped to the Release
 * file of its archive. apt names list files after their URI with "/" turned into "_"
 * (deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4); the archive's
 * InRelease (or Release) is the longest "<prefix>_InRelease" whose prefix starts the list's name.
 */
import type { HostRoot } from '../../../src/worker-sdk.js';
import { compressionOf, DecodeError, streamDecoder } from '../compress.js';
import { parseDeb822, debSourceName as sourceName } from '../../../src/worker-sdk.js';
import { parseRelease } from './release.js';
import type { ReleaseInfo } from './release.js';

export const LISTS_DIR = '/var/lib/apt/lists';

export interface ListEntry {
  name: string;
  version: string;
  arch: string;
  /** Phased-Update-Percentage (Ubuntu), when present. */
  phased?: number;
  /** Source package name, when it differs from the package's. */
  source?: string;
}

export interface ReleaseFile {
  /** Host path. */
  path: string;
  /** File-name prefix the archive's lists share. */
  prefix: string;
  info?: ReleaseInfo;
  problem?: string;
}

/** What apt knows of a list besides its Release: the host of its URI and its component and architecture. */
export interface IndexTarget {
  /** Host of the list's URI, without port ("" for file: and cdrom: sources): what "Pin: origin" matches. */
  site: string;
  /** "main", "contrib", "updates/main"; "" for flat repositories. */
  component: string;
  /** "amd64" for binary-amd64 lists; "" when the name does not say. */
  arch: string;
}

export interface AptList {
  path: string;
  release?: ReleaseFile;
  target?: IndexTarget;
  entries: ListEntry[];
  /** Paragraphs in the list (all packages, not only the kept ones). */
  packages: number;
  problem?: string;
}

export interface AptLists {
  /** Whether the lists directory exists at all. */
  dirExists: boolean;
  lists: AptList[];
  releases: ReleaseFile[];
  /** Files that look like lists but are not read (unsupported compression). */
  ignored: string[];
}

export interface ReadListsOptions {
  /** Keep entries only for these package names (the installed ones); all when undefined. */
  names?: ReadonlySet<string>;
  /** Cap on one list file as read from disk. */
  maxFileBytes: number;
  /** Cap on one list once decompressed. */
  maxListBytes: number;
}

/** readAptLists' arguments as a worker receives them (lists-worker.ts): names as an array. */
export interface ListsJob {
  opts: Omit<ReadListsOptions, 'names'>;
  names: string[] | undefined;
  dir: string;
}

/** The options a job stands for. */
export const optionsOf = (job: ListsJob): ReadListsOptions =>
  job.names ? { ...job.opts, names: new Set(job.names) } : job.opts;

const LIST_RE = /_Packages(\.(gz|xz|lz4|zst|bz2|lzma))?$/;
const RELEASE_RE = /_(InRelease|Release)$/;
const FIELDS = new Set(['package', 'version', 'architecture', 'phased-update-percentage', 'source']);

/** Map each list name to the release prefix it belongs to (longest prefix + "_"). */
export function releaseFor(listName: string, releases: readonly ReleaseFile[]): ReleaseFile | undefined {
  let best: ReleaseFile | undefined;
  for (const r of releases) {
    if (listName.startsWith(r.prefix + '_') && (!best || r.prefix.length > best.prefix.length)) best = r;
  }
  return best;
}

/** Parse a Packages list's text into entries (only for `names` when given). */
export function parsePackagesList(text: string, names?: ReadonlySet<string>): ParsedList {
  let packages = 0;
  const { paragraphs, problems } = parseDeb822(text, {
    fields: FIELDS,
    lines: false,
    skip: (k, v) => {
      if (k === 'package') packages++;
      return names !== undefined && k === 'package' && !names.has(v);
    },
  });
  const entries: ListEntry[] = [];
  const out: string[] = problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`);
  for (const p of paragraphs) {
    const name = p.fields.get('package');
    const version = p.fields.get('version');
    if (!name || !version) {
      if (out.length < 10) out.push(`a paragraph without ${name ? 'Version' : 'Package'}`);
      continue;
    }
    if (names && !names.has(name)) continue;
    const e: ListEntry = { name, version, arch: p.fields.get('architecture') ?? 'all' };
    const ph = p.fields.get('phased-update-percentage');
    if (ph !== undefined && /^\d{1,3}$/.test(ph) && Number(ph) <= 100) e.phased = Number(ph);
    const source = sourceName(p.fields.get('source'));
    if (source && source !== name) e.source = source;
    entries.push(e);
  }
  return { entries, packages, problems: out };
}

const NL = 0x0a;
/** Compressed bytes read at a time: a few LZ4 blocks, so that little is held or copied per chunk. */
const LIST_CHUNK = 256 * 1024;
const PACKAGE_FIELD = Buffer.from('Package:');

/**
 * parsePackagesList over the decoded bytes without turning the whole list into one string: paragraphs are
 * found in the buffer and only those of wanted packages are decoded and parsed. The main Debian list is
 * ~50 MB of which a node needs a few hundred paragraphs; decoding it whole (a two-byte string as soon as one
 * description has UTF-8) and splitting it tripled the scan's peak memory.
 */
export function parsePackagesBuffer(buf: Buffer, names?: ReadonlySet<string>): ParsedList {
  if (!names) return parsePackagesList(buf.toString('utf8'));
  const s = new PackagesScanner(names);
  s.push(buf);
  return s.end();
}

export interface ParsedList {
  entries: ListEntry[];
  packages: number;
  problems: string[];
}

/**
 * parsePackagesBuffer fed chunk by chunk, as the list is decompressed: a paragraph ends at "\n\n" (leading
 * newlines skipped), wherever the chunks split it, so the result is parsePackagesBuffer's over the chunks
 * joined. Chunks are not kept (a decoder may reuse its buffer): the paragraph under way is copied. Paragraphs
 * are walked byte by byte in JavaScript, and a paragraph that starts with its "Package:" line is kept or
 * dropped by a hash of its name's bytes, so that the ~63,000 paragraphs of the main Debian list cost no call
 * into the runtime and no string each.
 */
export class PackagesScanner {
  private readonly out: ParsedList = { entries: [], packages: 0, problems: [] };
  /** Copies of the chunks the paragraph under way spans (empty: between paragraphs). */
  private open: Buffer[] = [];
  /** trimmedHash of each wanted name latin1 can spell: a paragraph whose name hashes to none is not wanted. */
  private readonly hashes = new Set<number>();

  constructor(private readonly names: ReadonlySet<string>) {
    for (const n of names) {
      const b = Buffer.from(n, 'latin1');
      if (b.toString('latin1') === n) this.hashes.add(trimmedHash(b, 0, b.length));
    }
  }

  push(buf: Buffer): void {
    if (buf.length === 0) return;
    const chunk = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    let pos = 0;
    if (this.open.length > 0) {
      const last = this.open.at(-1)!;
      // The separator may straddle the chunks: "...\n" + "\n...".
      const straddles = last[last.length - 1] === NL && chunk[0] === NL;
      const end = straddles ? 0 : separatorAt(chunk, 0);
      if (end === -1) {
        this.open.push(Buffer.from(chunk));
        return;
      }
      const para = Buffer.concat([...this.open, chunk.subarray(0, end)]);
      this.open = [];
      this.paragraph(para, 0, straddles ? para.length - 1 : para.length);
      pos = straddles ? 1 : end + 2;
    }
    const n = chunk.length;
    while (pos < n) {
      while (pos < n && chunk[pos] === NL) pos++;
      if (pos >= n) break;
      const end = separatorAt(chunk, pos);
      if (end === -1) {
        this.open.push(Buffer.from(chunk.subarray(pos)));
        return;
      }
      this.paragraph(chunk, pos, end);
      pos = end + 2;
    }
  }

  end(): ParsedList {
    if (this.open.length > 0) {
      const para = Buffer.concat(this.open);
      this.paragraph(para, 0, para.length);
    }
    this.open = [];
    return this.out;
  }

  /** The paragraph b[start, end). */
  private paragraph(b: Uint8Array, start: number, end: number): void {
    if (startsWithPackage(b, start, end)) {
      this.out.packages++;
      let eol = start + PACKAGE_FIELD.length;
      while (eol < end && b[eol] !== NL) eol++;
      if (!this.hashes.has(trimmedHash(b, start + PACKAGE_FIELD.length, eol))) return;
      const text = Buffer.from(b.buffer, b.byteOffset, b.length);
      if (!this.names.has(text.toString('latin1', start + PACKAGE_FIELD.length, eol).trim())) return;
      this.parse(text.toString('utf8', start, end), false);
      return;
    }
    const para = Buffer.from(b.buffer, b.byteOffset + start, end - start);
    let at = para.indexOf(PACKAGE_FIELD);
    while (at > 0 && para[at - 1] !== NL) at = para.indexOf(PACKAGE_FIELD, at + 1);
    if (at !== -1) {
      this.out.packages++;
      let eol = para.indexOf(NL, at);
      if (eol === -1) eol = para.length;
      if (!this.names.has(para.toString('latin1', at + PACKAGE_FIELD.length, eol).trim())) return;
    }
    this.parse(para.toString('utf8'), at === -1);
  }

  /** Wanted, or no canonical "Package:" line: the full parser judges it (and reports what is wrong). */
  private parse(text: string, uncounted: boolean): void {
    const out = this.out;
    const r = parsePackagesList(text, this.names);
    if (uncounted) out.packages += r.packages;
    out.entries.push(...r.entries);
    if (out.problems.length < 10) out.problems.push(...r.problems.slice(0, 10 - out.problems.length));
  }
}

/** Where "\n\n" starts in b from `from`, or -1; reads every other byte until a newline turns up. */
function separatorAt(b: Uint8Array, from: number): number {
  const last = b.length - 1;
  let i = from;
  while (i < last) {
    if (b[i + 1] !== NL) i += 2;
    else if (b[i] === NL) return i;
    else if (i + 2 <= last && b[i + 2] === NL) return i + 1;
    else i += 2;
  }
  return -1;
}

function startsWithPackage(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < PACKAGE_FIELD.length) return false;
  for (let i = 0; i < PACKAGE_FIELD.length; i++) if (b[start + i] !== PACKAGE_FIELD[i]) return false;
  return true;
}

/** What String.prototype.trim removes from a latin1 string: tab to carriage return, space and no-break space. */
const isTrimmed = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 160;

/** FNV-1a of b[start, end) without the bytes isTrimmed says trim() removes at either end. */
function trimmedHash(b: Uint8Array, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && isTrimmed(b[s]!)) s++;
  while (e > s && isTrimmed(b[e - 1]!)) e--;
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

const unquote = (s: string) => s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/**
 * Site, component and architecture from a list's file name. apt names lists by URItoFileName: the URI without
 * scheme and credentials, "_" and other specials %-quoted, "/" turned into "_"; so "_" splits unambiguously.
 */
export function indexTargetOf(listName: string, releasePrefix: string | undefined): IndexTarget {
  const first = listName.split('_')[0] ?? '';
  let host = unquote(first);
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  else host = host.replace(/:\d*$/, '');
  const t: IndexTarget = { site: host, component: '', arch: '' };
  const m = LIST_RE.exec(listName);
  if (releasePrefix !== undefined && m && listName.startsWith(releasePrefix + '_')) {
    const middle = listName.slice(releasePrefix.length + 1, m.index);
    const b = /^(?:(.*)_)?binary-([^_]+)$/.exec(middle);
    if (b) {
      t.component = unquote((b[1] ?? '').replace(/_/g, '/'));
      t.arch = unquote(b[2]!);
    } else t.component = unquote(middle.replace(/_/g, '/'));
  }
  return t;
}

async function readRelease(host: HostRoot, path: string, prefix: string): Promise<ReleaseFile> {
  const t = await host.readText(path, { maxBytes: 64 * 1024 * 1024 });
  if (!t.ok) return { path, prefix, problem: `${t.code.replace(/_/g, ' ')} (${t.reason})` };
  const r = parseRelease(t.text);
  return r.ok
    ? { path, prefix, info: r.release, ...(r.problems.length ? { problem: r.problems.join('; ') } : {}) }
    : { path, prefix, problem: r.reason };
}

/**
 * One list, streamed: read in chunks, decompressed as they come and scanned paragraph by paragraph, so that
 * memory holds a chunk, a block and the kept entries rather than the decoded list.
 */
async function readList(host: HostRoot, path: string, opts: ReadListsOptions): Promise<Omit<AptList, 'release'>> {
  const fail = (problem: string) => ({ path, entries: [], packages: 0, problem });
  const names = opts.names;
  const whole: Buffer[] = [];
  const scanner = names ? new PackagesScanner(names) : undefined;
  const sink = (b: Buffer) => (scanner ? scanner.push(b) : whole.push(Buffer.from(b)));
  const dec = streamDecoder(compressionOf(path), opts.maxListBytes, sink);
  try {
    const read = { maxBytes: opts.maxFileBytes, chunkBytes: LIST_CHUNK };
    const r = await host.readChunks(path, (c) => dec.push(c), read);
    if (!r.ok) return fail(`${r.code.replace(/_/g, ' ')} (${r.reason})`);
    await dec.end();
  } catch (e) {
    dec.abort();
    if (e instanceof DecodeError) return fail(e.message);
    throw e;
  }
  const parsed = scanner ? scanner.end() : parsePackagesList(Buffer.concat(whole).toString('utf8'));
  const problem = parsed.problems.length ? { problem: parsed.problems.join('; ') } : {};
  return { path, entries: parsed.entries, packages: parsed.packages, ...problem };
}

export async function readAptLists(host: HostRoot, opts: ReadListsOptions, dir = LISTS_DIR): Promise<AptLists> {
  const d = await host.readDir(dir);
  if (!d.ok) return { dirExists: false, lists: [], releases: [], ignored: [] };
  const files = d.entries.filter((e) => e.type === 'file' || e.type === 'symlink');
  const releaseNames = new Map<string, string>(); // prefix -> file name (InRelease preferred)
  for (const f of files) {
    const m = RELEASE_RE.exec(f.name);
    if (!m) continue;
    const prefix = f.name.slice(0, m.index);
    if (!releaseNames.has(prefix) || m[1] === 'InRelease') releaseNames.set(prefix, f.name);
  }
  const releases = await Promise.all(
    [...releaseNames].map(([prefix, name]) => readRelease(host, `${dir}/${name}`, prefix)),
  );
  const ignored: string[] = [];
  const listFiles: string[] = [];
  for (const f of files) {
    const m = LIST_RE.exec(f.name);
    if (!m) continue;
    if (m[2] === 'bz2' || m[2] === 'lzma') ignored.push(f.path);
    else listFiles.push(f.name);
  }
  const lists = await Promise.all(
    listFiles.map(async (name): Promise<AptList> => {
      const l = await readList(host, `${dir}/${name}`, opts);
      const release = releaseFor(name, releases);
      const target = indexTargetOf(name, release?.prefix);
      return release ? { ...l, release, target } : { ...l, target };
    }),
  );
  return { dirExists: true, lists, releases, ignored };
}
