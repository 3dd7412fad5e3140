/**
 * The kernel probe's configuration section (`probes.kernel` in the YAML), validated with messages naming the
 * key. Only per-check expected values can be changed:
 *
 *   probes:
 *     kernel:
 *       expect:
 *         kernel.rp_filter: [1, 2]        # one of
 *         kernel.ip_forward: 0            # equal (a machine that is not a node)
 *         kernel.kptr_restrict: { atLeast: 2 }
 *         kernel.panic: { atMost: 60 }
 *       persistence: false                # judge only the values in force, not what sysctl.d sets for the next boot
 */
import { optionBool, optionProblem, shown } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import type { Expectation } from './expectation.js';
import type { KernelOptions } from './types.js';
import { SYSCTL_RULES } from './sysctls.js';

const FORMS =
  'an integer, a non-empty list of integers, or one of {equal: n}, {oneOf: [n, ...]}, {atLeast: n}, {atMost: n}';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intList(v: unknown, key: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64 || !v.every(isInt))
    optionProblem(key, `must be ${FORMS}, got ${shown(v)}`);
  return [...new Set(v)];
}

export function parseExpectation(v: unknown, key: string): Expectation {
  if (isInt(v)) return { op: 'equal', value: v };
  if (Array.isArray(v)) return { op: 'one_of', values: intList(v, key) };
  if (isObj(v)) {
    const ks = Object.keys(v);
    if (ks.length !== 1) optionProblem(key, `must be ${FORMS}, got ${shown(v)}`);
    const [k] = ks as [string];
    const x = v[k];
    switch (k) {
      case 'equal':
        if (!isInt(x)) optionProblem(`${key}.equal`, `must be an integer, got ${shown(x)}`);
        return { op: 'equal', value: x };
      case 'oneOf':
        return { op: 'one_of', values: intList(x, `${key}.oneOf`) };
      case 'atLeast':
        if (!isInt(x)) optionProblem(`${key}.atLeast`, `must be an integer, got ${shown(x)}`);
        return { op: 'at_least', value: x };
      case 'atMost':
        if (!isInt(x)) optionProblem(`${key}.atMost`, `must be an integer, got ${shown(x)}`);
        return { op: 'at_most', value: x };
      default:
        optionProblem(`${key}.${k}`, 'unknown comparison (expected one of: equal, oneOf, atLeast, atMost)');
    }
  }
  return optionProblem(key, `must be ${FORMS}, got ${shown(v)}`);
}

export const DEFAULT_KERNEL_OPTIONS = Object.freeze({ persistence: true });

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parseKernelOptions(c: DeclaredSection): KernelOptions {
  const expect = new Map<string, Expectation>();
  if (c.expect !== undefined && c.expect !== null) {
    if (!isObj(c.expect)) optionProblem('expect', 'must be a mapping of check id to expected value');
    const ids = SYSCTL_RULES.map((r) => r.id);
    for (const [id, v] of Object.entries(c.expect)) {
      const key = `expect.${id}`;
      if (!ids.includes(id))
        optionProblem(key, `not a sysctl check of the kernel probe (expected one of: ${ids.join(', ')})`);
      expect.set(id, parseExpectation(v, key));
    }
  }
  const persistence = optionBool(c, 'persistence', DEFAULT_KERNEL_OPTIONS.persistence);
  return { expect, persistence };
}
