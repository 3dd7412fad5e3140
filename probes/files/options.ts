/**
 * The files probe's configuration section (`probes.files` in the YAML), validated with messages naming the key:
 *
 *   probes:
 *     files:
 *       walk: true              # false: no whole-disk walk; world-writable, unowned and SUID/SGID checks skip
 *       walkMaxEntries: 200000  # entries lstat'ed at most
 *       walkBudgetMs: 250       # default 250 in a one-off scan, 15000 in the agent (under scan.probeTimeoutSeconds)
 *       allowSetid: [/usr/bin/fusermount3]   # SUID/SGID files accepted beyond the distribution's default set
 */
import { optionBool, optionInt, optionProblem } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';

export interface FilesOptions {
  walk: boolean;
  walkMaxEntries: number;
  /** Undefined: the mode's default (WALK_BUDGET_MS). */
  walkBudgetMs?: number;
  allowSetid: string[];
}

export const DEFAULT_FILES_OPTIONS: Readonly<FilesOptions> = Object.freeze({
  walk: true,
  walkMaxEntries: 200_000,
  allowSetid: [],
});

/**
 * The walk's time budget per mode. A one-off scan must finish within about a second with every other probe, so
 * it sees what it can in a quarter of that; the agent scans in the background and has the probe timeout (20 s).
 */
export const WALK_BUDGET_MS = { scan: 250, agent: 15_000 } as const;

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parseFilesOptions(c: DeclaredSection): FilesOptions {
  const o: FilesOptions = {
    walk: optionBool(c, 'walk', DEFAULT_FILES_OPTIONS.walk),
    walkMaxEntries: optionInt(c, 'walkMaxEntries', DEFAULT_FILES_OPTIONS.walkMaxEntries),
    allowSetid: [],
  };
  const walkBudgetMs = optionInt(c, 'walkBudgetMs');
  if (walkBudgetMs !== undefined) o.walkBudgetMs = walkBudgetMs;
  if (c.allowSetid !== undefined) {
    const v = c.allowSetid;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || !s.startsWith('/') || s.length > 4096)) {
      optionProblem('allowSetid', 'must be a list of absolute host paths');
    }
    o.allowSetid = [...(v as string[])];
  }
  return o;
}
