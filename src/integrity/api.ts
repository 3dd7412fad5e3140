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
import { HashPool, WANT_HASH, WANT_TARGET } from './hash-pool.js';
import type { StatItem, StatResult } from './hash-pool.js';
import { DbReader, DbWriter, headerGeneration, MAX_GENERATION, readCursor, readKeyFile, writeCursor } from './db.js';
import { normalisePath, resolvePolicy } from './policy.js';
import { hashAlgorithmOf } from './hash.js';
import { comparePaths, isUnder, planWalk, walk } from './walker.js';
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
  FileType,
  InitOptions,
  InitResult,
  Modification,
  Policy,
  Progress,
  Property,
  PropertyValues,
  ScanProblem,
  ScanStats,
} from './types.js';

export const DEFAULT_DB_FILE = '/var/lib/hostward/integrity.db';
export const DEFAULT_REHASH_SLICES = 24;
/** Problems kept in a result; the rest are counted in a last entry. */
export const MAX_PROBLEMS = 1000;

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

function flagsFor(policy: Policy, rule: number): number {
  const props = policy.rules[rule]!.properties;
  return (props.has('sha256') ? WANT_HASH : 0) | (props.has('target') ? WANT_TARGET : 0);
}

function toRecord(path: string, r: StatResult): FileRecord {
  return {
    path,
    type: r[0] as FileType,
    mode: r[1],
    uid: r[2],
    gid: r[3],
    size: r[4],
    ino: r[5],
    nlink: r[6],
    mtime: r[7],
    ctime: r[8],
    sha256: r[10],
    target: r[11],
  };
}

class Problems {
  readonly list: ScanProblem[] = [];
  private dropped = 0;
  add(p: ScanProblem): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(p);
    else this.dropped++;
  }
  done(): ScanProblem[] {
    return this.dropped ? [...this.list, { path: '', reason: `${this.dropped} more problems not listed` }] : this.list;
  }
}

interface Hooks<C> {
  /** In walk order, before the entry is statted: what to ask the worker and context for consume(). */
  prepare(e: WalkEntry, seq: (fn: () => Promise<void>) => Promise<void>): Promise<{ item: StatItem; ctx: C }>;
  /** In walk order, with the worker's answer. */
  consume(e: WalkEntry, r: StatResult, ctx: C): Promise<void> | void;
}

interface Scan {
  host: HostRoot;
  policy: Policy;
  problems: Problems;
  stats: ScanStats;
}

/**
 * Walk, stat and hash in the pool, and hand results to consume() in walk order. At most a few batches per
 * worker are in flight, so memory does not grow with the tree.
 */
async function runScan<C>(
  opts: CommonOptions,
  policy: Policy,
  scope: string[] | undefined,
  hooks: Hooks<C>,
  after: (seq: (fn: () => Promise<void>) => Promise<void>) => Promise<void>,
): Promise<Scan> {
  const t0 = performance.now();
  const host = new HostRoot(opts.root ?? '/');
  const problems = new Problems();
  const stats: ScanStats = { paths: 0, hashed: 0, reused: 0, bytesHashed: 0, durationMs: 0 };
  const rawProblems: ScanProblem[] = [];
  const plan = await planWalk(host, policy, rawProblems);
  const pool = new HashPool(host.root, opts.workers);
  const maxLinks = pool.size * 4;
  const links: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();
  let lastProgress = 0;
  const seq = async (fn: () => Promise<void>): Promise<void> => {
    chain = chain.then(fn);
    const link = chain;
    link.catch(() => undefined);
    links.push(link);
    while (links.length > maxLinks) await links.shift();
  };
  const checkAbort = () => {
    if (opts.signal?.aborted) throw new IntegrityError('aborted', 'the integrity scan was aborted');
  };
  // For a progress bar with a total and an ETA: a first walk that only counts (readdir, no stat of files).
  let totalFiles: number | undefined;
  if (opts.countFirst && opts.onProgress) {
    let n = 0;
    for await (const batch of walk(host, policy, plan, [], scope)) {
      checkAbort();
      n += batch.length;
      const now = performance.now();
      if (now - lastProgress > 200) {
        lastProgress = now;
        opts.onProgress({ phase: 'count', files: n, bytes: 0, elapsedMs: now - t0 });
      }
    }
    totalFiles = n;
  }
  const tScan = performance.now();
  const progress = (): Progress => ({
    phase: 'scan',
    files: stats.paths,
    bytes: stats.bytesHashed,
    elapsedMs: performance.now() - tScan,
    ...(totalFiles !== undefined ? { totalFiles } : {}),
  });
  try {
    for await (const batch of walk(host, policy, plan, rawProblems, scope)) {
      checkAbort();
      for (const p of rawProblems.splice(0)) problems.add(p);
      const items: StatItem[] = [];
      const ctxs: C[] = [];
      for (const e of batch) {
        const { item, ctx } = await hooks.prepare(e, seq);
        items.push(item);
        ctxs.push(ctx);
      }
      const answer = pool.run(items);
      answer.catch(() => undefined);
      await seq(async () => {
        const res = await answer;
        for (let i = 0; i < batch.length; i++) {
          const r = res[i]!;
          stats.paths++;
          if (r[13] > 0 || (r[13] === 0 && r[10] !== null)) {
            stats.hashed++;
            stats.bytesHashed += r[13];
          } else if (r[13] === -1) stats.reused++;
          await hooks.consume(batch[i]!, r, ctxs[i]!);
        }
        if (opts.onProgress) {
          const now = performance.now();
          if (now - lastProgress > 200) {
            lastProgress = now;
            opts.onProgress(progress());
          }
        }
      });
    }
    for (const p of rawProblems.splice(0)) problems.add(p);
    checkAbort();
    await after(seq);
    await chain;
  } finally {
    await pool.close();
  }
  stats.durationMs = Math.round(performance.now() - t0);
  opts.onProgress?.(progress());
  return { host, policy, problems, stats };
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
  const pending: ScanProblem[] = [];
  const scanProblem = (path: string, reason: string) => pending.push({ path, reason });
  // Accepting some paths merges the current state of those with the rest of the old baseline, which must verify.
  const reader = scope ? await DbReader.open(opts.dbFile, key) : undefined;
  if (reader && reader.header.signed && !key) {
    await reader.close();
    throw new IntegrityError(
      'baseline_unverifiable',
      `${opts.dbFile}: the baseline is signed; accepting changes needs its key (--key-file or HOSTWARD_INTEGRITY_KEY_FILE)`,
    );
  }
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
    const keepUntil = async (p: string | undefined, seq: (fn: () => Promise<void>) => Promise<void>) => {
      if (!reader) return;
      let keep: FileRecord[] = [];
      for (;;) {
        const r = await reader.peek();
        if (!r || (p !== undefined && comparePaths(r.path, p) > 0)) break;
        await reader.next();
        if (!scope!.some((s) => isUnder(r.path, s))) keep.push(r);
        if (keep.length >= 1024) {
          const k = keep;
          keep = [];
          await seq(async () => {
            for (const x of k) await w.write(x);
          });
        }
      }
      if (keep.length) {
        const k = keep;
        await seq(async () => {
          for (const x of k) await w.write(x);
        });
      }
    };
    const scan = await runScan<undefined>(
      opts,
      policy,
      scope,
      {
        prepare: async (e, seq) => {
          await keepUntil(e.path, seq);
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
      },
      (seq) => keepUntil(undefined, seq),
    );
    if (reader) await reader.finish();
    const { digest, records } = await writer.commit();
    await writeCursor(opts.dbFile, key, digest, 0).catch(() => undefined);
    for (const p of pending) scan.problems.add(p);
    return {
      dbFile: opts.dbFile,
      signed: key !== undefined,
      digest,
      generation,
      records,
      stats: scan.stats,
      problems: scan.problems.done(),
    };
  } catch (e) {
    await writer?.abort();
    await reader?.close();
    if (e instanceof IntegrityError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code)
      throw new IntegrityError(
        'write_failed',
        `${opts.dbFile}: cannot write the baseline (${code}: ${(e as Error).message})`,
        { cause: e },
      );
    throw e;
  }
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
  const trustCtime = opts.trustCtime ?? true;
  const reader = await DbReader.open(opts.dbFile, key);
  if (reader.header.signed && !key) {
    // Never a result with a note: whoever re-signed the baseline with a key of their own and removed the key
    // setting would otherwise get a clean check of the files they changed.
    await reader.close();
    const why = 'it may have been re-signed by someone else';
    const msg = `${opts.dbFile}: the baseline is signed but no integrity key is configured (--key-file or HOSTWARD_INTEGRITY_KEY_FILE)`;
    throw new IntegrityError('baseline_unverified', `${msg}, so it cannot be verified and was not used: ${why}`);
  }
  const notes: string[] = [];
  const policyChanged = reader.header.policy !== policy.digest;
  if (policyChanged)
    notes.push(
      'the policy differs from the one the baseline was built with: paths it adds or drops show as added or removed',
    );

  // The rolling slice: from the cursor, or everything when there is no valid cursor (or a scoped check).
  let slice = 0;
  let full = scope !== undefined;
  let digestForCursor: string | undefined;
  if (!full) {
    // The cursor is bound to the database's digest, which is on its last line: read it cheaply first.
    digestForCursor = await trailerDigest(opts.dbFile);
    const next = digestForCursor ? await readCursor(opts.dbFile, key, digestForCursor) : undefined;
    if (next === undefined) {
      full = true;
      notes.push('no valid rolling-rehash cursor beside the baseline: every file was re-read');
    } else slice = next % slices;
  }

  const added: string[] = [];
  const removed: string[] = [];
  const modified: Modification[] = [];
  const categories: Record<string, Category> = Object.create(null) as Record<string, Category>;
  const pendingProblems: ScanProblem[] = [];
  let otherAlgorithm = 0;
  const inScope = (p: string) => !scope || scope.some((s) => isUnder(p, s));
  const ruleOf = (i: number) => policy.rules[i]!;
  const note = (p: string, rule: number | undefined) => {
    const c = rule === undefined ? undefined : ruleOf(rule).category;
    if (c) categories[p] = c;
  };
  // A removed path has no rule of its own now: find the deepest rule path above it for its category.
  const categoryOfRemoved = (p: string) => {
    let best: { len: number; c: Category } | undefined;
    for (const r of policy.rules)
      if (r.category && isUnder(p, r.path) && (!best || r.path.length > best.len))
        best = { len: r.path.length, c: r.category };
    if (best) categories[p] = best.c;
  };

  try {
    const drainUntil = async (p: string | undefined): Promise<FileRecord | undefined> => {
      for (;;) {
        const r = await reader.peek();
        if (!r) return undefined;
        const c = p === undefined ? -1 : comparePaths(r.path, p);
        if (c > 0) return undefined;
        await reader.next();
        if (c === 0) return r;
        if (inScope(r.path)) {
          removed.push(r.path);
          categoryOfRemoved(r.path);
        }
      }
    };
    const scan = await runScan<FileRecord | undefined>(
      opts,
      policy,
      scope,
      {
        prepare: async (e) => {
          const base = await drainUntil(e.path);
          const flags = flagsFor(policy, e.rule);
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
          const wanted = policy.rules[e.rule]!.hash;
          const recorded = base?.sha256 ? hashAlgorithmOf(base.sha256) : undefined;
          if (recorded !== undefined && recorded !== wanted && flags & WANT_HASH) otherAlgorithm++;
          return { item: [e.path, flags, reuse, recorded ?? wanted], ctx: base };
        },
        consume: (e, r, base) => {
          if (r[0] === '') {
            if (base) {
              removed.push(e.path);
              note(e.path, e.rule);
            }
            pendingProblems.push({ path: e.path, reason: r[12] ?? 'vanished during the scan' });
            return;
          }
          if (r[12]) pendingProblems.push({ path: e.path, reason: r[12] });
          const cur = toRecord(e.path, r);
          if (!base) {
            added.push(e.path);
            note(e.path, e.rule);
            return;
          }
          const changes = compareRecords(base, cur, ruleOf(e.rule).properties);
          if (changes.length === 0) return;
          const o: PropertyValues = {};
          const n: PropertyValues = {};
          for (const c of changes) {
            o[c] = valueOf(base, c);
            n[c] = valueOf(cur, c);
          }
          modified.push({ path: e.path, changes, old: o, new: n });
          note(e.path, e.rule);
        },
      },
      async () => {
        await drainUntil(undefined);
      },
    );
    const v = await reader.finish();
    for (const p of pendingProblems) scan.problems.add(p);
    if (otherAlgorithm > 0) {
      notes.push(
        `${otherAlgorithm} files are recorded with another hash algorithm than the policy asks for; they were compared with the recorded one (integrity accept re-hashes them)`,
      );
    }
    if (!scope && opts.advanceCursor !== false) {
      try {
        await writeCursor(opts.dbFile, key, v.digest, full ? 0 : slice + 1);
      } catch (e) {
        notes.push(
          `the rolling-rehash cursor could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the next check rehashes everything`,
        );
      }
    }
    // A path that could not be read was not compared: its category's check must not pass on it
    // (probes/integrity/checks.ts).
    const problems = scan.problems.done();
    for (const p of problems) if (p.path && !categories[p.path]) categoryOfRemoved(p.path);
    return {
      added,
      removed,
      modified,
      categories,
      baseline: {
        created: v.header.created,
        signed: v.header.signed,
        verified: v.verified,
        policyChanged,
        records: v.records,
        digest: v.digest,
        generation: v.header.generation,
      },
      stats: { ...scan.stats, rehash: { slice: full ? 0 : slice, of: full ? 1 : slices, full } },
      problems,
      notes,
    };
  } catch (e) {
    await reader.close();
    throw e;
  }
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
