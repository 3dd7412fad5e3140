/**
 * The last whole-policy check, kept beside the baseline (`<db>.last`) so that the agent's real-time re-check of
 * a few paths (`only`, from the watcher) can report the state of the whole policy: the changes it finds under
 * those paths replace the previous ones there, and the changes found elsewhere by the last full check are kept.
 *
 * The file is bound to the baseline's digest and to the policy's, and authenticated like the cursor (HMAC with
 * the integrity key, a plain SHA-256 without one). One that is missing, foreign, stale (the baseline was
 * accepted or rebuilt since, the policy changed) or does not verify is ignored, and the probe runs a full check
 * instead, which writes a new one. Someone who
 * can write the state directory without the key cannot hide a change this way: at worst they force full checks.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { writeFileAtomic } from './db.js';
import { comparePaths, isUnder } from './walker.js';
import type { Category, CheckResult, Modification, ScanProblem } from './types.js';

/** Kept results larger than this are not written (the next re-check then runs a full check). */
export const MAX_LAST_RESULT_BYTES = 32 * 1024 * 1024;

export function lastResultFile(dbFile: string): string {
  return `${dbFile}.last`;
}

function macOf(key: Buffer | undefined, policyDigest: string, body: string): string {
  return (key ? createHmac('sha256', key) : createHash('sha256'))
    .update(`hostward integrity last result:${policyDigest}:`)
    .update(body)
    .digest('hex');
}

/** Keep the result of a whole-policy check. Best effort: returns false (and writes nothing) when it is too big. */
export async function writeLastResult(
  dbFile: string,
  key: Buffer | undefined,
  policyDigest: string,
  result: CheckResult,
): Promise<boolean> {
  const body = JSON.stringify(result);
  if (body.length > MAX_LAST_RESULT_BYTES) {
    await fsp.unlink(lastResultFile(dbFile)).catch(() => undefined);
    return false;
  }
  await writeFileAtomic(lastResultFile(dbFile), `${macOf(key, policyDigest, body)}\n${body}\n`);
  return true;
}

const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The kept result for this baseline and policy, or undefined (missing, stale, malformed, does not verify). */
export async function readLastResult(
  dbFile: string,
  key: Buffer | undefined,
  baselineDigest: string,
  policyDigest: string,
): Promise<CheckResult | undefined> {
  let text: string;
  try {
    const fh = await fsp.open(lastResultFile(dbFile), 'r');
    try {
      if ((await fh.stat()).size > MAX_LAST_RESULT_BYTES + 200) return undefined;
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  const nl = text.indexOf('\n');
  if (nl !== 64 || !text.endsWith('\n')) return undefined;
  const mac = text.slice(0, nl);
  const body = text.slice(nl + 1, -1);
  const want = macOf(key, policyDigest, body);
  if (!/^[0-9a-f]{64}$/.test(mac) || !timingSafeEqual(Buffer.from(mac, 'hex'), Buffer.from(want, 'hex')))
    return undefined;
  let r: CheckResult;
  try {
    r = JSON.parse(body) as CheckResult;
  } catch {
    return undefined;
  }
  // Authenticated, so written by us; still, a shape check keeps a format change from crashing the probe.
  if (
    typeof r !== 'object' ||
    r === null ||
    !isStrArray(r.added) ||
    !isStrArray(r.removed) ||
    !Array.isArray(r.modified) ||
    typeof r.baseline !== 'object' ||
    r.baseline === null
  )
    return undefined;
  if (r.baseline.digest !== baselineDigest) return undefined;
  r.categories = Object.assign(Object.create(null) as Record<string, Category>, r.categories);
  if (!Array.isArray(r.problems)) r.problems = [];
  if (!Array.isArray(r.notes)) r.notes = [];
  return r;
}

const byPath = (a: { path: string }, b: { path: string }) => comparePaths(a.path, b.path);

/**
 * The whole-policy state after a check limited to `scope`: `prev` (a whole-policy result) outside the scope,
 * `scoped` inside it. The baseline facts and notes are the scoped check's (it verified the baseline just now);
 * the walk statistics stay the whole check's.
 */
export function mergeScoped(prev: CheckResult, scoped: CheckResult, scope: readonly string[]): CheckResult {
  const inScope = (p: string) => scope.some((s) => isUnder(p, s));
  const keep = (p: string) => p !== '' && !inScope(p);
  const categories = Object.create(null) as Record<string, Category>;
  const added = [...prev.added.filter(keep), ...scoped.added].sort(comparePaths);
  const removed = [...prev.removed.filter(keep), ...scoped.removed].sort(comparePaths);
  const modified: Modification[] = [...prev.modified.filter((m) => keep(m.path)), ...scoped.modified].sort(byPath);
  for (const p of [...added, ...removed, ...modified.map((m) => m.path)]) {
    const c = scoped.categories[p] ?? (inScope(p) ? undefined : prev.categories[p]);
    if (c) categories[p] = c;
  }
  const problems: ScanProblem[] = [...prev.problems.filter((p) => keep(p.path)), ...scoped.problems];
  return {
    added,
    removed,
    modified,
    categories,
    baseline: scoped.baseline,
    stats: prev.stats,
    problems,
    notes: scoped.notes,
  };
}
