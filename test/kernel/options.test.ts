/** probes.kernel configuration: per-check expected values, validated with messages naming the key. */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/config.js';
import { kernelProbe } from '../../probes/kernel/index.js';
import { KERNEL_OPTIONS } from '../../probes/kernel/option-spec.js';
import { materialize } from '../helpers/hosts.js';
import { optionsProblem, parsedOptions } from '../helpers/options.js';
import { byCheck, scanKernel } from './helpers.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseKernelOptions = (raw: unknown) => parsedOptions(KERNEL_OPTIONS, raw);

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const msg = (raw: unknown): string => {
  try {
    parseKernelOptions(raw);
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('parseKernelOptions', () => {
  it('accepts every form of expectation', () => {
    const o = parseKernelOptions({
      expect: {
        'kernel.rp_filter': [1, 2],
        'kernel.ip_forward': 0,
        'kernel.kptr_restrict': { atLeast: 2 },
        'kernel.panic': { atMost: 60 },
        'kernel.ptrace_scope': { equal: 2 },
        'kernel.unprivileged_bpf_disabled': { oneOf: [1] },
      },
    });
    expect(Object.fromEntries(o.expect)).toEqual({
      'kernel.rp_filter': { op: 'one_of', values: [1, 2] },
      'kernel.ip_forward': { op: 'equal', value: 0 },
      'kernel.kptr_restrict': { op: 'at_least', value: 2 },
      'kernel.panic': { op: 'at_most', value: 60 },
      'kernel.ptrace_scope': { op: 'equal', value: 2 },
      'kernel.unprivileged_bpf_disabled': { op: 'one_of', values: [1] },
    });
    expect(parseKernelOptions(undefined).expect.size).toBe(0);
    expect(parseKernelOptions({}).expect.size).toBe(0);
    expect(parseKernelOptions({ expect: null }).expect.size).toBe(0);
  });

  it('names the key of every problem', () => {
    expect(msg([])).toBe('(section): must be a mapping');
    expect(msg({ expected: {} })).toBe('expected: unknown key (expected one of: expect, persistence)');
    expect(msg({ persistence: 'no' })).toBe('persistence: must be true or false, got "no"');
    expect(parseKernelOptions({ persistence: false }).persistence).toBe(false);
    expect(parseKernelOptions({}).persistence).toBe(true);
    expect(msg({ expect: [1] })).toBe('expect: must be a mapping of check id to expected value');
    expect(msg({ expect: { 'kernel.nope': 1 } })).toMatch(
      /^expect\.kernel\.nope: not a sysctl check of the kernel probe \(expected one of: kernel\.ip_forward, /,
    );
    expect(msg({ expect: { 'kernel.lsm_active': 1 } })).toMatch(/^expect\.kernel\.lsm_active: not a sysctl check/);
    expect(msg({ expect: { rp_filter: 1 } })).toMatch(/^expect\.rp_filter: not a sysctl check/);
    expect(msg({ expect: { 'kernel.ip_forward': '1' } })).toBe(
      'expect.kernel.ip_forward: must be an integer, a non-empty list of integers, or one of {equal: n}, {oneOf: [n, ...]}, {atLeast: n}, {atMost: n}, got "1"',
    );
    expect(msg({ expect: { 'kernel.ip_forward': 1.5 } })).toMatch(/^expect\.kernel\.ip_forward: must be .*got 1\.5$/);
    expect(msg({ expect: { 'kernel.ip_forward': true } })).toMatch(/^expect\.kernel\.ip_forward: must be/);
    expect(msg({ expect: { 'kernel.rp_filter': [] } })).toMatch(/^expect\.kernel\.rp_filter: must be .*got \[\]$/);
    expect(msg({ expect: { 'kernel.rp_filter': [1, 'two'] } })).toMatch(/^expect\.kernel\.rp_filter: must be/);
    expect(msg({ expect: { 'kernel.rp_filter': Array.from({ length: 100 }, (_, i) => i) } })).toMatch(
      /^expect\.kernel\.rp_filter: must be .*…$/,
    );
    expect(msg({ expect: { 'kernel.panic': { atLeast: 1, atMost: 9 } } })).toMatch(/^expect\.kernel\.panic: must be/);
    expect(msg({ expect: { 'kernel.panic': { between: [1, 9] } } })).toBe(
      'expect.kernel.panic.between: unknown comparison (expected one of: equal, oneOf, atLeast, atMost)',
    );
    expect(msg({ expect: { 'kernel.panic': { atLeast: 'x' } } })).toBe(
      'expect.kernel.panic.atLeast: must be an integer, got "x"',
    );
    expect(msg({ expect: { 'kernel.panic': { oneOf: 3 } } })).toMatch(/^expect\.kernel\.panic\.oneOf: must be/);
    expect(msg({ expect: { 'kernel.panic': 2 ** 60 } })).toMatch(/^expect\.kernel\.panic: must be/);
  });

  it('the probe validates its section the same way', () => {
    expect(optionsProblem(kernelProbe, { expect: { 'kernel.rp_filter': [1, 2] } })).toBeUndefined();
    expect(optionsProblem(kernelProbe, { expect: { 'kernel.rp_filter': 'loose' } })).toMatch(
      /^expect\.kernel\.rp_filter: /,
    );
  });
});

describe('configuration file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-kernel-config-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = {
    checkIds: new Set(kernelProbe.checks.map((c) => c.id)),
    probes: new Map([['kernel', kernelProbe.options]]),
  };
  const load = (yaml: string) => {
    const f = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, yaml);
    return loadConfig(f, ctx, {});
  };

  it('takes probes.kernel.expect from YAML, dotted check ids as keys', () => {
    const c = load('probes:\n  kernel:\n    expect:\n      kernel.rp_filter: [1, 2]\n      kernel.ip_forward: 0\n');
    expect(c.probes.kernel).toEqual({ expect: { 'kernel.rp_filter': [1, 2], 'kernel.ip_forward': 0 } });
  });

  it('a bad value is a configuration error naming probes.kernel.expect.<check>', () => {
    let err: unknown;
    try {
      load('probes:\n  kernel:\n    expect:\n      kernel.rp_filter: loose\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('probes.kernel.expect.kernel.rp_filter');
  });
});

describe('overrides change the verdict, and say so', () => {
  it('rp_filter [1, 2] accepts loose mode; ip_forward 0 suits a machine that is not a node', async () => {
    const m = materialize('kernel-weak-node');
    cleanups.push(m.cleanup);
    const before = byCheck(await scanKernel(m.root));
    expect(before.get('kernel.rp_filter')!.status).toBe('fail');
    expect(before.get('kernel.ip_forward')!.status).toBe('fail');
    // This root persists nothing, so the overridden values are judged in force only here.
    const after = byCheck(
      await scanKernel(m.root, {
        persistence: false,
        expect: { 'kernel.rp_filter': [1, 2], 'kernel.ip_forward': 0, 'kernel.kptr_restrict': { atMost: 0 } },
      }),
    );
    expect(after.get('kernel.rp_filter')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('expected 1 or 2, set in probes.kernel.expect'),
    });
    expect(after.get('kernel.ip_forward')).toMatchObject({
      status: 'pass',
      message: 'net.ipv4.ip_forward = 0 (expected 0, set in probes.kernel.expect)',
    });
    expect(after.get('kernel.kptr_restrict')!.status).toBe('pass');
    // Checks without an override are untouched.
    expect(after.get('kernel.ptrace_scope')!.status).toBe('fail');
  });

  it('an override can also make a passing host fail', async () => {
    const m = materialize('kernel-cis-node');
    cleanups.push(m.cleanup);
    const by = byCheck(
      await scanKernel(m.root, { expect: { 'kernel.kptr_restrict': { atLeast: 2 }, 'kernel.ptrace_scope': 2 } }),
    );
    expect(by.get('kernel.kptr_restrict')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('kernel.kptr_restrict = 1, expected >= 2, set in probes.kernel.expect'),
    });
    expect(by.get('kernel.ptrace_scope')!.status).toBe('fail');
  });

  it('an invalid section makes the probe fail, and the scan still completes', async () => {
    const m = materialize('kernel-cis-node');
    cleanups.push(m.cleanup);
    const r = await scanKernel(m.root, { expect: { 'kernel.nope': 1 } });
    expect(r.probes[0]).toMatchObject({
      probe: 'kernel',
      status: 'error',
      error: expect.stringContaining('expect.kernel.nope'),
    });
    expect(r.findings.every((f) => f.status === 'unknown')).toBe(true);
  });
});
