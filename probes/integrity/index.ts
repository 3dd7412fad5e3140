/**
 * The integrity probe: Tripwire-style file integrity of the paths a node's security rests on. It compares
 * the host (through --root) with the baseline database in the agent's own state dir, which the command line
 * builds (`hostward integrity init`); it never builds one itself. The library it uses is the engine's
 * (src/integrity/, through the SDK), which the command line calls too.
 *
 * Real time: in the agent, a change under a watched path of the policy (policyWatchTargets) re-runs this probe
 * with the changed paths (HOSTWARD_CHANGED_PATHS); it re-checks those alone and merges them into the last
 * whole-policy result (kept beside the baseline), so the findings still describe the whole policy.
 */
import { stat } from 'node:fs/promises';
import {
  defineProbe,
  integrityCheck,
  loadKey,
  IntegrityError,
  loadPolicyFile,
  defaultPolicy,
  normalisePath,
  mergeScoped,
  readLastResult,
  writeLastResult,
  policyWatchTargets,
} from '../../src/sdk.js';
import type {
  BaselineRef,
  Category,
  Check,
  Evidence,
  IntegrityCheckOptions as CheckOptions,
  IntegrityCheckResult as CheckResult,
  Measurement,
  Policy,
  ProbeContext,
} from '../../src/sdk.js';
import { integrityChecks, TAMPER_CODES } from './checks.js';
import type { BaselineState, IntegrityFacts, KeyState } from './checks.js';
import type { IntegrityOptions } from './options.js';
import { INTEGRITY_OPTIONS } from './option-spec.js';

export type { IntegrityFacts } from './checks.js';

// A baseline that is there but cannot be trusted: integrity.baseline_valid fails on it (./checks.ts).
const INVALID = new Set<string>(TAMPER_CODES);

export async function gatherIntegrity(ctx: ProbeContext<IntegrityOptions>): Promise<IntegrityFacts> {
  const o = ctx.options;
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
    return {
      key,
      baseline: { state: 'error', dbFile, code: 'policy_invalid', reason: (e as Error).message },
      categories,
      maxEvidence: o.maxEvidence,
    };
  }
  try {
    await stat(dbFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    baseline =
      code === 'ENOENT'
        ? { state: 'missing', dbFile }
        : { state: 'error', dbFile, code: 'baseline_unreadable', reason: `${dbFile}: ${code ?? String(e)}` };
    return { key, baseline, categories, maxEvidence: o.maxEvidence };
  }
  try {
    const keyBytes = key.state === 'ok' ? loadKey(key.file) : undefined;
    const common = {
      root: ctx.host.root,
      policy,
      dbFile,
      keyFile: key.state === 'ok' ? key.file : null,
      signal: ctx.signal,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
    };
    const result =
      (o.changed && ctx.mode === 'agent' ? await recheckChanged(ctx, common, o.changed, keyBytes) : undefined) ??
      (await integrityCheck({ ...common, rehashSlices: o.rehashSlices, trustCtime: o.trustCtime }));
    // The agent keeps each whole-policy state, so that its next real-time re-check of a few paths can merge into it.
    if (ctx.mode === 'agent') {
      await writeLastResult(dbFile, keyBytes, policy.digest, result).catch((e: unknown) =>
        ctx.log.warn(
          { db: dbFile, err: (e as Error).message },
          'cannot keep the integrity result for real-time re-checks',
        ),
      );
    }
    baseline = { state: 'ok', dbFile, result };
    for (const n of result.notes) ctx.log.info({ db: dbFile }, n);
  } catch (e) {
    if (e instanceof IntegrityError) {
      baseline =
        e.code === 'baseline_missing'
          ? { state: 'missing', dbFile }
          : INVALID.has(e.code)
            ? { state: 'invalid', dbFile, code: e.code, reason: e.message }
            : { state: 'error', dbFile, code: e.code, reason: e.message };
    } else {
      baseline = { state: 'error', dbFile, code: 'error', reason: (e as Error).message };
    }
  }
  return { key, baseline, categories, maxEvidence: o.maxEvidence };
}

/**
 * The agent's real-time re-check: only the paths that changed, merged into the last whole-policy result. Undefined
 * when there is nothing to merge into (no kept result, or one of another baseline or policy) or the paths are not
 * usable: the caller then checks the whole policy.
 */
async function recheckChanged(
  ctx: ProbeContext,
  common: CheckOptions & { policy: Policy },
  changed: readonly string[],
  key: Buffer | undefined,
): Promise<CheckResult | undefined> {
  let scope: string[];
  try {
    scope = changed.map((p, i) => normalisePath(p, `changed[${i}]`));
  } catch (e) {
    ctx.log.warn({ err: (e as Error).message }, 'unusable changed paths: checking the whole policy');
    return undefined;
  }
  // A few files: one hashing thread is plenty, and starting more would cost more than the hashing.
  const scoped = await integrityCheck({ ...common, only: scope, workers: 1 });
  const prev = await readLastResult(common.dbFile, key, scoped.baseline.digest, common.policy.digest);
  if (!prev) {
    ctx.log.info('no whole-policy result to merge a partial re-check into: checking the whole policy');
    return undefined;
  }
  return mergeScoped(prev, scoped, scope);
}

export function measureIntegrity(f: IntegrityFacts): Measurement[] {
  const r = f.baseline.state === 'ok' ? f.baseline.result : undefined;
  return [
    { metric: 'hostward_integrity_changes', labels: { change: 'added' }, value: r?.added.length ?? 0 },
    { metric: 'hostward_integrity_changes', labels: { change: 'removed' }, value: r?.removed.length ?? 0 },
    { metric: 'hostward_integrity_changes', labels: { change: 'modified' }, value: r?.modified.length ?? 0 },
  ];
}

/** The finding that names the baseline in its evidence, for people (see baselineEvidence). */
export const BASELINE_EVIDENCE_CHECK = 'integrity.baseline_valid';

/**
 * The baseline's identity as one evidence item of integrity.baseline_valid, for people reading the finding.
 * Programs read the typed ProbeRun.baseline instead (baselineRef); nothing parses this text.
 */
export function baselineEvidence(dbFile: string, b: CheckResult['baseline']): Evidence {
  return {
    file: dbFile,
    text: `baseline digest=${b.digest} generation=${b.generation} created=${b.created} signed=${b.verified}`,
  };
}

/**
 * The baseline this node compared against, for the report's run of this probe (and the collector, which keeps
 * each node's digest and generation): only a baseline that was read and verified, never one that failed.
 */
export function baselineRef(f: IntegrityFacts): BaselineRef | undefined {
  if (f.baseline.state !== 'ok') return undefined;
  const b = f.baseline.result.baseline;
  return { digest: b.digest, created: b.created, signed: b.verified, generation: b.generation };
}

/** integrity.baseline_valid, with the baseline's identity appended whenever there was a baseline to compare with. */
const checksWithBaseline: readonly Check<IntegrityFacts>[] = integrityChecks.map((c) =>
  c.id !== BASELINE_EVIDENCE_CHECK
    ? c
    : {
        ...c,
        evaluate(f: IntegrityFacts) {
          const o = c.evaluate(f);
          if (f.baseline.state !== 'ok') return o;
          return {
            ...o,
            evidence: [...(o.evidence ?? []), baselineEvidence(f.baseline.dbFile, f.baseline.result.baseline)],
          };
        },
      },
);

export const integrityProbe = defineProbe({
  name: 'integrity',
  description:
    'Tripwire-style file integrity: the paths of a policy (SSH, Kubernetes, runtime and account configuration, persistence paths, system binaries) compared with an HMAC-signed baseline; added, removed and modified files with what changed.',
  checks: checksWithBaseline,
  gather: gatherIntegrity,
  measure: measureIntegrity,
  metrics: {
    hostward_integrity_changes: {
      help: 'Files differing from the integrity baseline; change is added, removed or modified.',
      labelNames: ['change'],
    },
  },
  // Over budget, the rolling rehash is spread over a million checks (this one re-reads almost nothing, the cursor
  // still advances) with one hashing thread; stat-based change detection is untouched.
  shed: { action: 'integrity_rehash', options: { rehashSlices: 1_000_000, workers: 1 } },
  runFields: (f) => {
    const baseline = baselineRef(f);
    return baseline ? { baseline } : {};
  },
  watchTargets: async ({ host, options: o }) => {
    return policyWatchTargets(host, o.policy ? loadPolicyFile(o.policy) : defaultPolicy());
  },
  options: INTEGRITY_OPTIONS,
});
