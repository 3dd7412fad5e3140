/**
 * The integrity probe's configuration section (`probes.integrity`), validated with messages naming the key:
 *
 *   probes:
 *     integrity:
 *       db: /var/lib/hostward/integrity.db   # the agent's own state dir (not under --root); default
 *                                            # $HOSTWARD_STATE_DIR/integrity.db
 *       keyFile: /etc/hostward/integrity/key # default $HOSTWARD_INTEGRITY_KEY_FILE (mounted from a Secret)
 *       policy: /etc/hostward/integrity.yaml # a policy file on the agent's filesystem; default: built in
 *       rehashSlices: 24                     # every file is re-read at least once every N checks
 *       trustCtime: true                     # use ctime in the stat fast path
 *       workers: 2                           # hashing threads (default: CPUs, at most 4)
 *       maxEvidence: 20                      # changed paths listed in a finding's evidence
 *
 * Not configuration: the agent's real-time re-scan (src/agent/watch.ts) runs its child scan with
 * HOSTWARD_CHANGED_PATHS, a JSON list of the host paths that changed; in agent mode the probe then re-checks
 * only those (merged with its last whole check, src/integrity/last-result.ts) instead of the whole policy.
 */
import { optionBool, optionProblem, optionInt, DEFAULT_DB_FILE, DEFAULT_REHASH_SLICES } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import path from 'node:path';

export interface IntegrityOptions {
  db: string;
  /** Undefined: no key configured. */
  keyFile: string | undefined;
  policy: string | undefined;
  rehashSlices: number;
  trustCtime: boolean;
  workers: number | undefined;
  maxEvidence: number;
  /** The host paths that changed (HOSTWARD_CHANGED_PATHS); undefined: check the whole policy. */
  changed: string[] | undefined;
}

/** The environment variable through which the agent names the host paths that changed. */
export const CHANGED_PATHS_ENV = 'HOSTWARD_CHANGED_PATHS';
/** More changed paths than this: a whole check is as cheap, and the list is not trusted to be complete. */
export const MAX_CHANGED_PATHS = 1000;

/** The changed paths from the environment: a JSON list of absolute host paths; anything else means "unknown". */
export function changedPaths(env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = env[CHANGED_PATHS_ENV];
  if (!raw) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CHANGED_PATHS) return undefined;
  if (!v.every((p) => typeof p === 'string' && p.startsWith('/') && !p.includes('\0') && p.length <= 4096))
    return undefined;
  return v as string[];
}

/** A declared integer (its bounds are in ./option-spec.ts); null, an empty value in YAML, is absent. */
function int(c: DeclaredSection, key: string): number | undefined {
  return c[key] === null ? undefined : optionInt(c, key);
}

function absPath(c: Record<string, unknown>, key: string): string | undefined {
  const v = c[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !path.isAbsolute(v))
    optionProblem(key, `must be an absolute path on the agent's filesystem, got ${JSON.stringify(v)}`);
  return v;
}

/** The defaults that do not depend on the environment (./option-spec.ts documents these). */
export const DEFAULT_INTEGRITY_OPTIONS = Object.freeze({
  db: DEFAULT_DB_FILE,
  rehashSlices: DEFAULT_REHASH_SLICES,
  trustCtime: true,
  maxEvidence: 20,
});

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parseIntegrityOptions(o: DeclaredSection, env: NodeJS.ProcessEnv): IntegrityOptions {
  const stateDir = env.HOSTWARD_STATE_DIR || undefined;
  return {
    db: absPath(o, 'db') ?? (stateDir ? path.join(stateDir, 'integrity.db') : DEFAULT_INTEGRITY_OPTIONS.db),
    keyFile: absPath(o, 'keyFile') ?? (env.HOSTWARD_INTEGRITY_KEY_FILE || undefined),
    policy: absPath(o, 'policy'),
    rehashSlices: int(o, 'rehashSlices') ?? DEFAULT_INTEGRITY_OPTIONS.rehashSlices,
    trustCtime: optionBool(o, 'trustCtime', DEFAULT_INTEGRITY_OPTIONS.trustCtime),
    workers: int(o, 'workers'),
    maxEvidence: int(o, 'maxEvidence') ?? DEFAULT_INTEGRITY_OPTIONS.maxEvidence,
    changed: changedPaths(env),
  };
}
