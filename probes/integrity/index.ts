/**
 * The integrity probe: Tripwire-style file integrity of the paths a node's security rests on. It compares
 * the host (through --root) with the baseline database in the agent's own state dir, which the command line
 * builds (`hostward integrity init`); it never builds one itself. The library it uses is ./api.ts, which the
 * command line calls too.
 *
 * Not here yet: real-time watching with inotify. The library is shaped for it: integrityCheck({ only: [path] })
 * re-checks one subtree against the baseline without a full walk, which a watcher would call per event.
 */
import { stat } from 'node:fs/promises';
import { defineProbe } from '../../src/sdk.js';
import type { Measurement, ProbeContext } from '../../src/sdk.js';
import { integrityCheck, loadKey } from './api.js';
import { integrityChecks } from './checks.js';
import type { BaselineState, IntegrityFacts, KeyState } from './checks.js';
import { parseIntegrityOptions } from './options.js';
import { loadPolicyFile, defaultPolicy } from './policy.js';
import { IntegrityError } from './types.js';
import type { Category, Policy } from './types.js';

export { integrityInit, integrityCheck, integrityAccept, DEFAULT_DB_FILE } from './api.js';
export type * from './types.js';
export { IntegrityError, isIntegrityError } from './types.js';
export type { IntegrityFacts } from './checks.js';

const INVALID = new Set(['baseline_corrupt', 'baseline_truncated', 'baseline_tampered', 'baseline_wrong_key', 'baseline_unsigned']);

export async function gatherIntegrity(ctx: ProbeContext): Promise<IntegrityFacts> {
  const o = parseIntegrityOptions(ctx.config);
  let key: KeyState = { state: 'none' };
  if (o.keyFile !== undefined) {
    try {
      loadKey(o.keyFile);
      key = { state: 'ok', file: o.keyFile };
    } catch (e) {
      key = { state: 'bad', file: o.keyFile, reason: (e as Error).message };
    }
  }
  const dbFile = o.db;
  let policy: Policy | undefined;
  let categories = new Set<Category>();
  let baseline: BaselineState;
  try {
    policy = o.policy ? loadPolicyFile(o.policy) : defaultPolicy();
    categories = new Set(policy.rules.flatMap((r) => (r.category ? [r.category] : [])));
  } catch (e) {
    return { key, baseline: { state: 'error', dbFile, code: 'policy_invalid', reason: (e as Error).message }, categories, maxEvidence: o.maxEvidence };
  }
  try {
    await stat(dbFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    baseline = code === 'ENOENT' ? { state: 'missing', dbFile } : { state: 'error', dbFile, code: 'baseline_unreadable', reason: `${dbFile}: ${code ?? String(e)}` };
    return { key, baseline, categories, maxEvidence: o.maxEvidence };
  }
  try {
    const result = await integrityCheck({
      root: ctx.host.root,
      policy,
      dbFile,
      keyFile: key.state === 'ok' ? key.file : null,
      rehashSlices: o.rehashSlices,
      trustCtime: o.trustCtime,
      signal: ctx.signal,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
    });
    baseline = { state: 'ok', dbFile, result };
    for (const n of result.notes) ctx.log.info({ db: dbFile }, n);
  } catch (e) {
    if (e instanceof IntegrityError) {
      baseline = e.code === 'baseline_missing' ? { state: 'missing', dbFile } : INVALID.has(e.code) ? { state: 'invalid', dbFile, code: e.code, reason: e.message } : { state: 'error', dbFile, code: e.code, reason: e.message };
    } else {
      baseline = { state: 'error', dbFile, code: 'error', reason: (e as Error).message };
    }
  }
  return { key, baseline, categories, maxEvidence: o.maxEvidence };
}

export function measureIntegrity(f: IntegrityFacts): Measurement[] {
  const r = f.baseline.state === 'ok' ? f.baseline.result : undefined;
  return [
    { metric: 'hostward_integrity_changes', labels: { change: 'added' }, value: r?.added.length ?? 0 },
    { metric: 'hostward_integrity_changes', labels: { change: 'removed' }, value: r?.removed.length ?? 0 },
    { metric: 'hostward_integrity_changes', labels: { change: 'modified' }, value: r?.modified.length ?? 0 },
  ];
}

export const integrityProbe = defineProbe<IntegrityFacts>({
  name: 'integrity',
  description:
    'Tripwire-style file integrity: the paths of a policy (SSH, Kubernetes, runtime and account configuration, persistence paths, system binaries) compared with an HMAC-signed baseline; added, removed and modified files with what changed.',
  checks: integrityChecks,
  gather: gatherIntegrity,
  measure: measureIntegrity,
  validateConfig: (c) => {
    try {
      parseIntegrityOptions(c);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  },
});
