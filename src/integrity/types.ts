/**
 * Types of the integrity library (policy, records, results) and its one error type. The CLI
 * (`hostward integrity init|check|accept`) and the probe both use these through ./api.ts.
 */

/** What a rule can track about a path. */
export const PROPERTIES = [
  'type',
  'sha256',
  'mode',
  'owner',
  'group',
  'size',
  'inode',
  'links',
  'target',
  'mtime',
  'ctime',
  'growing',
] as const;
export type Property = (typeof PROPERTIES)[number];

/**
 * Categories a rule can put its paths in; each has a check of its own (integrity.<category>_unchanged) so an
 * SSH drop-in and a rotated binary can be routed differently. A closed set, because checks are a static table.
 */
export const CATEGORIES = ['ssh', 'kubernetes', 'runtime', 'accounts', 'persistence', 'binaries'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Content hash algorithms (node:crypto names). SHA-256 is the default; SHA-512 and BLAKE2b-512 are optional. */
export const HASH_ALGORITHMS = ['sha256', 'sha512', 'blake2b512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

export interface Rule {
  /** Host path as written in the policy (a glob is expanded when the walk starts). */
  path: string;
  properties: ReadonlySet<Property>;
  /** How many levels below the path are tracked: 0 only the path, Infinity everything. */
  depth: number;
  /** Glob patterns: absolute ones match the whole host path, others the last component. */
  exclude: readonly string[];
  /** Do not descend into another filesystem (a mount point is recorded, not entered). */
  oneFilesystem: boolean;
  category?: Category;
  /** The content hash algorithm of this rule's files (the policy's `hash`, sha256 by default). */
  hash: HashAlgorithm;
  /** Watched in real time by the agent (default: every rule but those of category binaries). */
  watch: boolean;
}

export interface Policy {
  rules: readonly Rule[];
  /** Excluded everywhere, in addition to each rule's own list. */
  exclude: readonly string[];
  /** SHA-256 of the normalised policy: stored in the baseline so a check can say the policy changed. */
  digest: string;
}

export type FileType = 'file' | 'directory' | 'symlink' | 'socket' | 'fifo' | 'block' | 'char' | 'other';

/** One path as stored in the baseline and as seen by a scan. Times are milliseconds since the epoch. */
export interface FileRecord {
  path: string;
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  ino: number;
  nlink: number;
  mtime: number;
  ctime: number;
  /**
   * A regular file's content hash: hex SHA-256, or `sha512:<hex>` / `blake2b512:<hex>` when the rule asks for
   * another algorithm (./hash.ts); null when it was not hashed (not tracked, or unreadable). The property that
   * tracks it is still called sha256, for compatibility of policies and reports.
   */
  sha256: string | null;
  /** A symbolic link's target, when tracked. */
  target: string | null;
}

/** Property values in a change report: mode as octal text, times as ISO text, the rest as they are. */
export type PropertyValues = Partial<Record<Property, string | number | null>>;

export interface Modification {
  /** Host path (without the --root prefix). */
  path: string;
  changes: Property[];
  old: PropertyValues;
  new: PropertyValues;
}

/** A path that could not be fully examined: it vanished mid-scan, was unreadable, or changed while read. */
export interface ScanProblem {
  path: string;
  reason: string;
}

export interface Progress {
  /** count: the paths are being counted first (files counts them); scan: they are being examined. */
  phase: 'count' | 'scan';
  /** Paths examined so far (or counted, in the count phase). */
  files: number;
  /** Bytes hashed so far. */
  bytes: number;
  /** Paths the scan will examine, when they were counted first (CommonOptions.countFirst). */
  totalFiles?: number;
  /** Milliseconds since this phase began (the scan phase begins after counting). */
  elapsedMs: number;
}

export interface ScanStats {
  /** Paths examined (files, directories, links, ...). */
  paths: number;
  /** Regular files whose content was read and hashed this run. */
  hashed: number;
  /** Regular files whose baseline hash was reused because size, mtime, ctime and inode were unchanged. */
  reused: number;
  bytesHashed: number;
  durationMs: number;
}

export interface CommonOptions {
  /** Where the host's filesystem is mounted (default "/"). */
  root?: string;
  /** A policy file (YAML) on this machine, or an already parsed policy. */
  policy?: string | Policy;
  /** Track these host paths recursively with every property, instead of a policy (`--path P`). */
  paths?: readonly string[];
  /** The content hash algorithm of a `paths` policy (default sha256); a policy file names its own. */
  hash?: HashAlgorithm;
  /** The baseline database (default /var/lib/hostward/integrity.db). */
  dbFile: string;
  /** The HMAC key file; default $HOSTWARD_INTEGRITY_KEY_FILE; null: no key, whatever the environment says. */
  keyFile?: string | null;
  /** Hashing threads (default: the number of CPUs, at most 4). */
  workers?: number;
  onProgress?: (p: Progress) => void;
  /** Count the paths before scanning, so that progress can show a total and an ETA (a walk without stat). */
  countFirst?: boolean;
  signal?: AbortSignal;
}

export interface InitOptions extends CommonOptions {
  /**
   * The new baseline's generation is at least this (otherwise one above the baseline it replaces): to rebuild a
   * node's baseline past the highest generation the collector saw, after a rollback or a wiped state directory.
   */
  minGeneration?: number;
}

export interface CheckOptions extends CommonOptions {
  /** Compare only these host paths and what is below them (a watcher's per-path re-check). */
  only?: readonly string[];
  /**
   * The rolling full rehash: every run re-reads one slice of 1/rehashSlices of the files, whatever stat
   * says (default 24; 1 rehashes everything every run). Needs the cursor file beside the database.
   */
  rehashSlices?: number;
  /** Use ctime in the stat fast path (default true). False models an attacker who can restore ctime. */
  trustCtime?: boolean;
  /** Advance the rolling-rehash cursor beside the database (default true). */
  advanceCursor?: boolean;
}

export interface AcceptOptions extends CommonOptions {
  /** Accept only these host paths and what is below them; omitted means the whole policy (a new baseline). */
  only?: readonly string[];
}

export interface BaselineInfo {
  created: string;
  signed: boolean;
  /** The HMAC was verified with the configured key (false when unsigned, or signed but no key given). */
  verified: boolean;
  /** The policy differs from the one the baseline was built with: expect added/removed paths. */
  policyChanged: boolean;
  records: number;
  /** The MAC (signed) or SHA-256 (unsigned) of the database: what a collector can keep per node. */
  digest: string;
  /**
   * Raised by every accept (init continues from the baseline it replaces), under the MAC: a lower one than a
   * node reported before is an older baseline put back. 0: a format-1 baseline, written before generations.
   */
  generation: number;
}

export interface InitResult {
  dbFile: string;
  signed: boolean;
  digest: string;
  /** The new baseline's generation (./db.ts). */
  generation: number;
  records: number;
  stats: ScanStats;
  problems: ScanProblem[];
}

export interface CheckResult {
  added: string[];
  removed: string[];
  modified: Modification[];
  /** Category of each changed path whose rule has one (null prototype object). */
  categories: Record<string, Category>;
  baseline: BaselineInfo;
  stats: ScanStats & { rehash: { slice: number; of: number; full: boolean } };
  problems: ScanProblem[];
  /** Things the caller should know that are not changes (cursor not writable, policy changed, ...). */
  notes: string[];
}

export type AcceptResult = InitResult;

export type IntegrityErrorCode =
  | 'policy_invalid'
  /** InitOptions.minGeneration is not a positive integer in range. */
  | 'generation_invalid'
  | 'key_unreadable'
  | 'baseline_missing'
  | 'baseline_unreadable'
  | 'baseline_corrupt'
  | 'baseline_truncated'
  | 'baseline_tampered'
  | 'baseline_wrong_key'
  | 'baseline_unsigned'
  | 'baseline_unverifiable'
  /** A check of a signed baseline with no key to verify it: it may have been re-signed by someone else. */
  | 'baseline_unverified'
  | 'write_failed'
  | 'aborted';

/** The one error the library throws; `code` is stable, the message is for people. */
export class IntegrityError extends Error {
  readonly code: IntegrityErrorCode;
  constructor(code: IntegrityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'IntegrityError';
  }
}

export function isIntegrityError(e: unknown): e is IntegrityError {
  return e instanceof IntegrityError;
}
