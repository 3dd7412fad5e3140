/**
 * The file-integrity library, part of the engine: policies, the walker, the hash pool and its worker threads,
 * the signed baseline format, the kept last result, the progress bar. `hostward integrity init|check|accept`
 * (src/cli/main.ts) builds and compares baselines with it; the integrity probe (probes/integrity/) reaches it
 * through the SDK (src/sdk.ts), like every other engine facility a probe uses.
 */
export { integrityInit, integrityCheck, integrityAccept, loadKey } from './api.js';
export { DEFAULT_DB_FILE, DEFAULT_REHASH_SLICES } from './api.js';
export type * from './types.js';
export { IntegrityError, isIntegrityError, CATEGORIES, HASH_ALGORITHMS } from './types.js';
export { loadPolicyFile, defaultPolicy, normalisePath } from './policy.js';
export { mergeScoped, readLastResult, writeLastResult } from './last-result.js';
export { policyWatchTargets } from './watch-targets.js';
export { terminalProgress } from './progress.js';
