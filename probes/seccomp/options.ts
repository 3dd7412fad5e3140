/**
 * The seccomp probe's configuration section (`probes.seccomp` in the YAML), validated with messages naming
 * the key:
 *
 *   probes:
 *     seccomp:
 *       exclude:
 *         podUids: [0b0f...]                  # always decidable: the uid is in every cgroup path
 *         pods: ["kube-system/*", "*\/falco-*"] # namespace/name globs: only where the host shows names
 *         containerIds: [<64 hex>]
 *       selfContainerId: <64 hex>             # the agent's own container (detected from /proc/self/cgroup)
 *       selfPodUid: <uid>
 *       maxListed: 20                          # containers named in a finding
 *       maxProcesses: 100000
 *       dangerousCapabilities: [SYS_ADMIN, ...] # replaces the default list
 */
import { optionProblem, optionInt } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import { CAP_NAMES, DANGEROUS_CAPABILITIES } from './caps.js';
import type { SeccompOptions } from './types.js';

const UID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/;
const CID = /^[0-9a-f]{64}$/;

function strings(v: unknown, key: string, re: RegExp, what: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || !re.test(s)))
    optionProblem(key, `must be a list of ${what}`);
  return v as string[];
}

/** A 32-hex static pod uid is kept as is; dashed uids are lower-cased. */
const normUid = (u: string) => u.toLowerCase();

export const DEFAULT_SECCOMP_OPTIONS = Object.freeze({
  maxListed: 20,
  maxProcesses: 100_000,
  dangerousCapabilities: Object.keys(DANGEROUS_CAPABILITIES),
});

/**
 * Validate the section and fill defaults. Its keys, and those of `exclude` (a mapping when set), are the declared
 * ones (./option-spec.ts).
 */
export function parseSeccompOptions(c: DeclaredSection): SeccompOptions {
  const d = DEFAULT_SECCOMP_OPTIONS;
  const o: SeccompOptions = {
    excludePodUids: [],
    excludePods: [],
    excludeContainerIds: [],
    maxListed: optionInt(c, 'maxListed', d.maxListed),
    maxProcesses: optionInt(c, 'maxProcesses', d.maxProcesses),
    dangerousCapabilities: [...d.dangerousCapabilities],
  };
  if (c.exclude !== undefined && c.exclude !== null) {
    const e = c.exclude as Record<string, unknown>;
    if (e.podUids !== undefined)
      o.excludePodUids = strings(e.podUids, 'exclude.podUids', /^[0-9a-fA-F-]{32,36}$/, 'pod uids').map(normUid);
    if (e.pods !== undefined)
      o.excludePods = strings(
        e.pods,
        'exclude.pods',
        /^[^/\s]+\/[^/\s]+$/,
        '"namespace/name" patterns (globs allowed)',
      );
    if (e.containerIds !== undefined)
      o.excludeContainerIds = strings(e.containerIds, 'exclude.containerIds', CID, '64-hex container ids');
  }
  if (c.selfContainerId !== undefined) {
    if (typeof c.selfContainerId !== 'string' || !CID.test(c.selfContainerId))
      optionProblem('selfContainerId', 'must be a 64-hex container id');
    o.selfContainerId = c.selfContainerId;
  }
  if (c.selfPodUid !== undefined) {
    if (typeof c.selfPodUid !== 'string' || !(UID.test(c.selfPodUid) || /^[0-9a-f]{32}$/.test(c.selfPodUid)))
      optionProblem('selfPodUid', 'must be a pod uid');
    o.selfPodUid = normUid(c.selfPodUid);
  }
  if (c.dangerousCapabilities !== undefined) {
    o.dangerousCapabilities = strings(
      c.dangerousCapabilities,
      'dangerousCapabilities',
      /^(CAP_)?[A-Z_]+$/,
      'capability names',
    ).map((n) => n.replace(/^CAP_/, ''));
    const unknownCaps = o.dangerousCapabilities.filter((n) => !CAP_NAMES.includes(n));
    if (unknownCaps.length > 0)
      optionProblem('dangerousCapabilities', `unknown capabilities: ${unknownCaps.join(', ')}`);
  }
  return o;
}
