/**
 * The integrity library's entry points, called by `hostward integrity init|check|accept` and by the probe:
 *
 *   integrityInit(opts)    walk the policy, hash everything, write a new (signed) baseline
 *   integrityCheck(opts)   walk again and merge with the baseline: added, removed, modified with what changed
 *   integrityAccept(opts)  take the current state as the baseline, for some paths (`only`) or everything
 *
 * A check reads the baseline as a stream beside the walk (both are in walk order), so memory is bounded by
 * the differences, not by the tree. Its answer is only returned after the baseline's MAC has verified; a
 * tampered, truncated or wrong-key baseline, or a signed one with no key to verify it, is an IntegrityError
 * with a stable code, never a crash.
 *
 * What the re-check guarantees. A regular file's hash is reused when size, mtime, ctime and inode all equal
 * the baseline's (the stat fast path); anything else is re-read. A content change with mtime restored by
 * utimes(2) still moves ctime (which only the kernel sets, to the current time), so it is caught by the next
 * check. What can defeat ctime too (setting the system clock back around the write, editing the block device
 * or the disk offline, a filesystem whose ctime is not trustworthy) is caught by the rolling rehash: each
 * check also re-reads one slice (1/rehashSlices of the files, chosen by a hash of the path) whatever stat
 * says, so every file is re-read at least once every rehashSlices checks. The slice cursor is kept beside the
 * database under an HMAC bound to the database's digest; if it is missing or does not verify, the check
 * rehashes everything. Someone who can write the state directory and replay an old cursor can delay the
 * rolling rehash, not the ctime detection. A check limited to some paths (`only`, e.g. from a watcher)
 * rehashes everything in them and leaves the cursor alone.
 */
import { HostRoot } from '../host/root.js';
import { WANT_HASH } from './hash-pool.js';
import type { StatItem, StatResult } from './hash-pool.js';
import { DbReader, DbWriter, headerGeneration, MAX_GENERATION, readCursor, readKeyFile, writeCursor } from './db.js';
import { normalisePath, resolvePolicy } from './policy.js';
import { hashAlgorithmOf } from './hash.js';
import { flagsFor, runScan, toRecord } from './scan.js';
import type { Hooks, Scan, Seq } from './scan.js';
import { comparePaths, isUnder } from './walker.js';
import type { WalkEntry } from './walker.js';
import { IntegrityError } from './types.js';
import type {
  AcceptOptions,
  AcceptResult,
  Category,
  CheckOptions,
  CheckResult,
  CommonOptions,
  FileRecord,
  InitOptions,
  InitResult,
  Modification,
  Policy,
  Property,
  PropertyValues,
  ScanProblem,
} from './types.js';

export const DEFAULT_DB_FILE = '/var/lib/hostward/integrity.db';
export const DEFAULT_REHASH_SLICES = 24;
export { MAX_PROBLEMS } from './scan.js';

/** The HMAC key named by the options or HOSTWARD_INTEGRITY_KEY_FILE; undefined when none is configured. */
export function loadKey(keyFile: string | null | undefined, env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  if (keyFile === null) return undefined;
  const f = keyFile ?? (env.HOSTWARD_INTEGRITY_KEY_FILE || undefined);
  return f === undefined ? undefined : readKeyFile(f);
}

/** FNV-1a of a path: which rolling-rehash slice it belongs to. */
export function sliceOf(p: string, slices: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i++) {
    h ^= p.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % slices;
}

function scopeOf(only: readonly string[] | undefined): string[] | undefined {
  if (!only || only.length === 0) return undefined;
  return only.map((p, i) => {
    try {
      return normalisePath(p, `only[${i}]`);
    } catch (e) {
      throw new IntegrityError('policy_invalid', (e as Error).message);
    }
  });
}

/** Build a new baseline of the policy (or --path list) and write it atomically, signed when a key is configured. */
export async function integrityInit(opts: InitOptions): Promise<InitResult> {
  const min = opts.minGeneration;
  if (min !== undefined && (!Number.isSafeInteger(min) || min < 1 || min > MAX_GENERATION)) {
    throw new IntegrityError(
      'generation_invalid',
      `minGeneration: must be an integer from 1 to ${MAX_GENERATION}, got ${min}`,
    );
  }
  return writeBaseline(opts, undefined, min ?? 1);
}

async function writeBaseline(
  opts: CommonOptions,
  only: readonly string[] | undefined,
  minGeneration = 1,
): Promise<InitResult> {
  const policy = resolvePolicy(opts);
  const key = loadKey(opts.keyFile);
  const scope = scopeOf(only);
  const root = new HostRoot(opts.root ?? '/').root;
  // Accepting some paths merges the current state of those with the rest of the old baseline, which must verify.
  const reader = scope ? await openForMerge(opts.dbFile, key) : undefined;
  // A step forward from the baseline this one replaces: the verified one being merged, or the header of the old file.
  const previous = reader ? reader.header.generation : ((await headerGeneration(opts.dbFile)) ?? 0);
  const generation = Math.min(MAX_GENERATION, Math.max(previous + 1, minGeneration));
  let writer: DbWriter | undefined;
  try {
    writer = await DbWriter.create(
      opts.dbFile,
      { created: new Date().toISOString(), root, policy: policy.digest, generation },
      key,
    );
    const w = writer;
    const pending: ScanProblem[] = [];
    const merge = reader && scope ? { reader, scope } : undefined;
    const scan = await runScan(opts, policy, scope, baselineHooks(policy, w, merge, pending), (seq) =>
      keepUntil(merge, w, undefined, seq),
    );
    if (reader) await reader.finish();
    const { digest, records } = await writer.commit();
    await writeCursor(opts.dbFile, key, digest, 0).catch(() => undefined);
    for (const p of pending) scan.problems.add(p);
    const problems = scan.problems.done();
    return { dbFile: opts.dbFile, signed: key !== undefined, digest, generation, records, stats: scan.stats, problems };
  } catch (e) {
    await writer?.abort();
    await reader?.close();
    throw writeError(e, opts.dbFile);
  }
}

/** The baseline that an accept of some paths merges with; it must verify, so a signed one needs its key. */
async function openForMerge(dbFile: string, key: Buffer | undefined): Promise<DbReader> {
  const reader = await DbReader.open(dbFile, key);
  if (reader.header.signed && !key) {
    await reader.close();
    throw new IntegrityError(
      'baseline_unverifiable',
      `${dbFile}: the baseline is signed; accepting changes needs its key (--key-file or HOSTWARD_INTEGRITY_KEY_FILE)`,
    );
  }
  return reader;
}

/** The old baseline's records outside the accepted paths, kept as they were. */
interface Merge {
  reader: DbReader;
  scope: readonly string[];
}

/** Each path's current state into the new baseline, after the old baseline's records that come before it. */
function baselineHooks(
  policy: Policy,
  w: DbWriter,
  merge: Merge | undefined,
  pending: ScanProblem[],
): Hooks<undefined> {
  const scanProblem = (path: string, reason: string) => pending.push({ path, reason });
  return {
    prepare: async (e, seq) => {
      await keepUntil(merge, w, e.path, seq);
      return { item: [e.path, flagsFor(policy, e.rule), null, policy.rules[e.rule]!.hash], ctx: undefined };
    },
    consume: async (e, r) => {
      if (r[0] === '') {
        scanProblem(e.path, r[12] ?? 'vanished during the scan');
        return;
      }
      if (r[12]) scanProblem(e.path, r[12]);
      await w.write(toRecord(e.path, r));
    },
  };
}

/**
 * Copy the old baseline's records up to path `p` (all that are left when undefined) that lie outside the accepted
 * paths, in batches queued in walk order with the scan's own writes.
 */
async function keepUntil(merge: Merge | undefined, w: DbWriter, p: string | undefined, seq: Seq): Promise<void> {
  if (!merge) return;
  const { reader, scope } = merge;
  let keep: FileRecord[] = [];
  const flush = async () => {
    const k = keep;
    keep = [];
    await seq(async () => {
      for (const x of k) await w.write(x);
    });
  };
  for (;;) {
    const r = await reader.peek();
    if (!r || (p !== undefined && comparePaths(r.path, p) > 0)) break;
    await reader.next();
    if (!scope.some((s) => isUnder(r.path, s))) keep.push(r);
    if (keep.length >= 1024) await flush();
  }
  if (keep.length) await flush();
}

/** A failure to write the baseline as the IntegrityError that names it; other errors as they are. */
function writeError(e: unknown, dbFile: string): unknown {
  if (e instanceof IntegrityError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code)
    return new IntegrityError(
      'write_failed',
      `${dbFile}: cannot write the baseline (${code}: ${(e as Error).message})`,
      {
        cause: e,
      },
    );
  return e;
}

/** Take the current state as the baseline: of `only` paths (merged into the old baseline), or of everything. */
export async function integrityAccept(opts: AcceptOptions): Promise<AcceptResult> {
  return writeBaseline(opts, opts.only);
}

const fmtTime = (ms: number) => new Date(ms).toISOString();

function valueOf(r: FileRecord, p: Property): string | number | null {
  switch (p) {
    case 'type':
      return r.type;
    case 'sha256':
      return r.sha256;
    case 'mode':
      return '0' + r.mode.toString(8).padStart(3, '0');
    case 'owner':
      return r.uid;
    case 'group':
      return r.gid;
    case 'size':
    case 'growing':
      return r.size;
    case 'inode':
      return r.ino;
    case 'links':
      return r.nlink;
    case 'target':
      return r.target;
    case 'mtime':
      return fmtTime(r.mtime);
    case 'ctime':
      return fmtTime(r.ctime);
  }
}

/** Which tracked properties differ between the baseline record and the current one. */
export function compareRecords(base: FileRecord, cur: FileRecord, props: ReadonlySet<Property>): Property[] {
  const out: Property[] = [];
  const sameType = base.type === cur.type;
  for (const p of props) {
    let differs = false;
    switch (p) {
      case 'type':
        differs = !sameType;
        break;
      case 'sha256':
        differs =
          sameType && cur.type === 'file' && base.sha256 !== null && cur.sha256 !== null && base.sha256 !== cur.sha256;
        break;
      case 'target':
        differs =
          sameType &&
          cur.type === 'symlink' &&
          base.target !== null &&
          cur.target !== null &&
          base.target !== cur.target;
        break;
      case 'mode':
        differs = base.mode !== cur.mode;
        break;
      case 'owner':
        differs = base.uid !== cur.uid;
        break;
      case 'group':
        differs = base.gid !== cur.gid;
        break;
      case 'size':
        differs = base.size !== cur.size;
        break;
      case 'growing':
        differs = sameType && cur.size < base.size;
        break;
      case 'inode':
        differs = base.ino !== cur.ino;
        break;
      case 'links':
        differs = base.nlink !== cur.nlink;
        break;
      case 'mtime':
        differs = base.mtime !== cur.mtime;
        break;
      case 'ctime':
        differs = base.ctime !== cur.ctime;
        break;
    }
    if (differs) out.push(p);
  }
  // A stable order whatever the policy's: the order of PROPERTIES.
  return out.sort((a, b) => ORDER[a] - ORDER[b]);
}

const ORDER: Record<Property, number> = {
  type: 0,
  sha256: 1,
  mode: 2,
  owner: 3,
  group: 4,
  size: 5,
  inode: 6,
  links: 7,
  target: 8,
  mtime: 9,
  ctime: 10,
  growing: 11,
};

/**
 * Compare the current state with the baseline. Throws IntegrityError when there is no baseline or it does not
 * verify (tampered, truncated, corrupt, signed with another key, unsigned while a key is configured, signed while
 * no key is configured).
 */
export async function integrityCheck(opts: CheckOptions): Promise<CheckResult> {
  const policy = resolvePolicy(opts);
  const key = loadKey(opts.keyFile);
  const scope = scopeOf(opts.only);
  const slices = opts.rehashSlices ?? DEFAULT_REHASH_SLICES;
  if (!Number.isSafeInteger(slices) || slices < 1)
    throw new IntegrityError('policy_invalid', `rehashSlices: must be a positive integer, got ${slices}`);
  const reader = await openForCheck(opts.dbFile, key);
  const notes: string[] = [];
  const policyChanged = reader.header.policy !== policy.digest;
  if (policyChanged)
    notes.push(
      'the policy differs from the one the baseline was built with: paths it adds or drops show as added or removed',
    );
  const rehash = await rehashPlan(opts.dbFile, key, scope, slices, notes);
  const diff = new CheckDiff(policy, scope, reader, { ...rehash, slices, trustCtime: opts.trustCtime ?? true });
  try {
    const scan = await runScan(opts, policy, scope, diff, async () => {
      await diff.drainUntil(undefined);
    });
    const v = await reader.finish();
    if (diff.otherAlgorithm > 0) {
      notes.push(
        `${diff.otherAlgorithm} files are recorded with another hash algorithm than the policy asks for; they were compared with the recorded one (integrity accept re-hashes them)`,
      );
    }
    if (!scope && opts.advanceCursor !== false)
      await advanceCursor(opts.dbFile, key, v.digest, rehash.full ? 0 : rehash.slice + 1, notes);
    return checkResult(diff, scan, v, { policyChanged, notes, rehash: { ...rehash, slices } });
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** The baseline to check against; a signed one is refused when there is no key to verify it. */
async function openForCheck(dbFile: string, key: Buffer | undefined): Promise<DbReader> {
  const reader = await DbReader.open(dbFile, key);
  if (reader.header.signed && !key) {
    // Never a result with a note: whoever re-signed the baseline with a key of their own and removed the key
    // setting would otherwise get a clean check of the files they changed.
    await reader.close();
    const why = 'it may have been re-signed by someone else';
    const msg = `${dbFile}: the baseline is signed but no integrity key is configured (--key-file or HOSTWARD_INTEGRITY_KEY_FILE)`;
    throw new IntegrityError('baseline_unverified', `${msg}, so it cannot be verified and was not used: ${why}`);
  }
  return reader;
}

/** Which files this check re-reads whatever stat says: one rolling slice, or all of them (`full`). */
interface Rehash {
  slice: number;
  full: boolean;
}

/** The rolling slice: from the cursor, or everything when there is no valid cursor (or a scoped check). */
async function rehashPlan(
  dbFile: string,
  key: Buffer | undefined,
  scope: string[] | undefined,
  slices: number,
  notes: string[],
): Promise<Rehash> {
  if (scope !== undefined) return { slice: 0, full: true };
  // The cursor is bound to the database's digest, which is on its last line: read it cheaply first.
  const digestForCursor = await trailerDigest(dbFile);
  const next = digestForCursor ? await readCursor(dbFile, key, digestForCursor) : undefined;
  if (next !== undefined) return { slice: next % slices, full: false };
  notes.push('no valid rolling-rehash cursor beside the baseline: every file was re-read');
  return { slice: 0, full: true };
}

/**
 * The merge of the baseline (read in walk order beside the walk) with the current state: what was added, removed
 * and modified, and the category of each changed path. Its prepare and consume are the scan's hooks.
 */
class CheckDiff implements Hooks<FileRecord | undefined> {
  readonly added: string[] = [];
  readonly removed: string[] = [];
  readonly modified: Modification[] = [];
  readonly categories: Record<string, Category> = Object.create(null) as Record<string, Category>;
  /** Paths that could not be read: problems of the scan once it is over. */
  readonly pendingProblems: ScanProblem[] = [];
  /** Files recorded with another hash algorithm than their rule's now. */
  otherAlgorithm = 0;

  constructor(
    private readonly policy: Policy,
    private readonly scope: string[] | undefined,
    private readonly reader: DbReader,
    private readonly rehash: Rehash & { slices: number; trustCtime: boolean },
  ) {}

  private inScope(p: string): boolean {
    return !this.scope || this.scope.some((s) => isUnder(p, s));
  }

  private note(p: string, rule: number | undefined): void {
    const c = rule === undefined ? undefined : this.policy.rules[rule]!.category;
    if (c) this.categories[p] = c;
  }

  /** A removed path has no rule of its own now: find the deepest rule path above it for its category. */
  categoryOfRemoved(p: string): void {
    let best: { len: number; c: Category } | undefined;
    for (const r of this.policy.rules)
      if (r.category && isUnder(p, r.path) && (!best || r.path.length > best.len))
        best = { len: r.path.length, c: r.category };
    if (best) this.categories[p] = best.c;
  }

  /** Read the baseline up to `p`: its record when it has one; what it has before `p` was removed (if in scope). */
  async drainUntil(p: string | undefined): Promise<FileRecord | undefined> {
    for (;;) {
      const r = await this.reader.peek();
      if (!r) return undefined;
      const c = p === undefined ? -1 : comparePaths(r.path, p);
      if (c > 0) return undefined;
      await this.reader.next();
      if (c === 0) return r;
      if (this.inScope(r.path)) {
        this.removed.push(r.path);
        this.categoryOfRemoved(r.path);
      }
    }
  }

  async prepare(e: WalkEntry): Promise<{ item: StatItem; ctx: FileRecord | undefined }> {
    const base = await this.drainUntil(e.path);
    const flags = flagsFor(this.policy, e.rule);
    const { full, slice, slices, trustCtime } = this.rehash;
    const reuse: StatItem[2] =
      base &&
      base.type === 'file' &&
      base.sha256 !== null &&
      flags & WANT_HASH &&
      !full &&
      sliceOf(e.path, slices) !== slice
        ? [base.size, base.mtime, trustCtime ? base.ctime : null, base.ino, base.sha256]
        : null;
    // Compare like with like: re-hash with the algorithm the baseline used for this file; a policy that
    // changed algorithm takes effect for it when the change is accepted.
    const wanted = this.policy.rules[e.rule]!.hash;
    const recorded = base?.sha256 ? hashAlgorithmOf(base.sha256) : undefined;
    if (recorded !== undefined && recorded !== wanted && flags & WANT_HASH) this.otherAlgorithm++;
    return { item: [e.path, flags, reuse, recorded ?? wanted], ctx: base };
  }

  consume(e: WalkEntry, r: StatResult, base: FileRecord | undefined): void {
    if (r[0] === '') {
      if (base) {
        this.removed.push(e.path);
        this.note(e.path, e.rule);
      }
      this.pendingProblems.push({ path: e.path, reason: r[12] ?? 'vanished during the scan' });
      return;
    }
    if (r[12]) this.pendingProblems.push({ path: e.path, reason: r[12] });
    const cur = toRecord(e.path, r);
    if (!base) {
      this.added.push(e.path);
      this.note(e.path, e.rule);
      return;
    }
    const changes = compareRecords(base, cur, this.policy.rules[e.rule]!.properties);
    if (changes.length === 0) return;
    const o: PropertyValues = {};
    const n: PropertyValues = {};
    for (const c of changes) {
      o[c] = valueOf(base, c);
      n[c] = valueOf(cur, c);
    }
    this.modified.push({ path: e.path, changes, old: o, new: n });
    this.note(e.path, e.rule);
  }
}

/** The next check's rolling slice, kept beside the database; a failure only means the next check rehashes all. */
async function advanceCursor(
  dbFile: string,
  key: Buffer | undefined,
  digest: string,
  next: number,
  notes: string[],
): Promise<void> {
  try {
    await writeCursor(dbFile, key, digest, next);
  } catch (e) {
    notes.push(
      `the rolling-rehash cursor could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the next check rehashes everything`,
    );
  }
}

function checkResult(
  diff: CheckDiff,
  scan: Scan,
  v: Awaited<ReturnType<DbReader['finish']>>,
  o: { policyChanged: boolean; notes: string[]; rehash: Rehash & { slices: number } },
): CheckResult {
  for (const p of diff.pendingProblems) scan.problems.add(p);
  // A path that could not be read was not compared: its category's check must not pass on it
  // (probes/integrity/checks.ts).
  const problems = scan.problems.done();
  for (const p of problems) if (p.path && !diff.categories[p.path]) diff.categoryOfRemoved(p.path);
  const { full, slice, slices } = o.rehash;
  return {
    added: diff.added,
    removed: diff.removed,
    modified: diff.modified,
    categories: diff.categories,
    baseline: {
      created: v.header.created,
      signed: v.header.signed,
      verified: v.verified,
      policyChanged: o.policyChanged,
      records: v.records,
      digest: v.digest,
      generation: v.header.generation,
    },
    stats: { ...scan.stats, rehash: { slice: full ? 0 : slice, of: full ? 1 : slices, full } },
    problems,
    notes: o.notes,
  };
}

/** The digest on a database's last line (read from its tail), or undefined. Not trusted: the cursor MAC binds it. */
async function trailerDigest(dbFile: string): Promise<string | undefined> {
  const { promises: fsp } = await import('node:fs');
  try {
    const fh = await fsp.open(dbFile, 'r');
    try {
      const st = await fh.stat();
      const n = Math.min(st.size, 512);
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, st.size - n);
      const m = /"mac":"([0-9a-f]{64})"\}\n?$/.exec(buf.toString('utf8'));
      return m?.[1];
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
