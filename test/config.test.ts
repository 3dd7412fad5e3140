import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, validateConfig, validationContext, ConfigError, defaultConfig } from '../src/config/config.js';
import type { ValidationContext } from '../src/config/config.js';
import { toFinding, summarise, isGatingFailure } from '../src/scan/runner.js';
import { declareOptions, optionProblem } from '../src/sdk.js';
import type { Probe, Check, ProbeOptions } from '../src/sdk.js';
import { optionsProblem } from './helpers/options.js';

/** A probe section with one boolean, `live`, as a probe declares it. */
const SSH_LIKE: ProbeOptions = declareOptions({
  intro: '',
  keys: [{ key: 'live', type: { kind: 'boolean' }, description: '' }],
  parse: (raw) => {
    const live = (raw as Record<string, unknown> | undefined)?.live;
    if (live !== undefined && typeof live !== 'boolean') optionProblem('live', 'must be true or false');
    return { live };
  },
});

const ctx: ValidationContext = {
  checkIds: new Set(['ssh.password_auth', 'ssh.x11_forwarding']),
  probes: new Map([['ssh', SSH_LIKE]]),
};

function file(text: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-cfg-'));
  const f = path.join(d, 'hostward.yaml');
  writeFileSync(f, text);
  return f;
}

function problem(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(file(text), ctx, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('defaults without a file', () => {
    const c = loadConfig(undefined, ctx, {});
    expect(c).toEqual(defaultConfig());
    expect(c.agent.port).toBe(9750);
    expect(c.agent.schedule).toBe('*/5 * * * *');
  });

  it('reads a full file', () => {
    const c = loadConfig(
      file(`
root: /host
scan: { failOn: medium, probeTimeoutSeconds: 10 }
agent: { port: 9800, schedule: "*/10 * * * *" }
checks:
  ssh.x11_forwarding: { enabled: false }
  ssh.password_auth: { severity: critical }
exceptions:
  - check: ssh.password_auth
    reason: "legacy bastion, INC-1234"
    expires: 2027-01-31
probes:
  ssh: { live: true }
`),
      ctx,
      {},
    );
    expect(c.root).toBe('/host');
    expect(c.scan.failOn).toBe('medium');
    expect(c.checks['ssh.x11_forwarding']).toEqual({ enabled: false });
    expect(c.exceptions).toEqual([
      { check: 'ssh.password_auth', reason: 'legacy bastion, INC-1234', expires: '2027-01-31' },
    ]);
    expect(c.probes.ssh).toEqual({ live: true });
  });

  it('names the key and what is wrong, and applies nothing', () => {
    expect(problem('scan: { failOn: urgent }')).toMatch(
      /scan\.failOn: must be one of critical, high, medium, low, info/,
    );
    expect(problem('agent: { port: 70000 }')).toMatch(/agent\.port: must be an integer from 1 to 65535/);
    expect(problem('checks: { ssh.pasword_auth: { enabled: false } }')).toMatch(
      /checks\.ssh\.pasword_auth: no such check/,
    );
    expect(problem('exceptions: [ { check: ssh.password_auth, reason: x, expires: "2027-02-30" } ]')).toMatch(
      /exceptions\[0\]\.expires: must be a date/,
    );
    expect(problem('exceptions: [ { check: ssh.password_auth, expires: 2027-02-01 } ]')).toMatch(
      /exceptions\[0\]\.reason: an exception needs a reason/,
    );
    expect(problem('probes: { ssh: { live: maybe } }')).toMatch(/probes\.ssh\.live: must be true or false/);
    expect(problem('probes: { nope: {} }')).toMatch(/probes\.nope: no probe named/);
    expect(problem('scna: {}')).toMatch(/scna: unknown key/);
    expect(problem('a: [unclosed')).toMatch(/line 1/);
    expect(problem('a: 1\na: 2')).toMatch(/line|unique|duplicate/i);
    expect(problem('- just\n- a list')).toMatch(/must be a mapping/);
  });

  it('takes environment variables over the file and validates them', () => {
    const c = loadConfig(file('agent: { port: 9800 }'), ctx, {
      HOSTWARD_PORT: '9999',
      HOSTWARD_ROOT: '/host',
      HOSTWARD_FAIL_ON: 'low',
    });
    expect(c.agent.port).toBe(9999);
    expect(c.root).toBe('/host');
    expect(c.scan.failOn).toBe('low');
    expect(() => loadConfig(undefined, ctx, { HOSTWARD_PORT: 'abc' })).toThrow(/HOSTWARD_PORT/);
  });

  it('rejects a missing or huge file clearly', () => {
    expect(() => loadConfig('/nonexistent/hostward.yaml', ctx, {})).toThrow(/cannot read/);
    expect(problem('x: "' + 'a'.repeat(1_100_000) + '"')).toMatch(/larger than 1 MiB/);
  });
});

describe("probe sections, checked by each probe's declared options", () => {
  const keyOf = (doc: unknown, c: ValidationContext): string | undefined => {
    try {
      validateConfig(doc, c);
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).key;
    }
  };
  const throwing = (fn: (raw: unknown) => never): ProbeOptions => ({ intro: '', keys: [], parse: fn });

  it('takes the key from the OptionError, whatever the problem or the key look like', () => {
    const c: ValidationContext = {
      checkIds: new Set(),
      probes: new Map([
        ['odd', throwing(() => optionProblem('expect.a b', 'must be "x: y", got "z: w"'))],
        ['list', throwing(() => optionProblem('allowList[2]', 'bad: really'))],
        ['whole', throwing(() => optionProblem('(section)', 'must be a mapping'))],
      ]),
    };
    expect(keyOf({ probes: { odd: { expect: {} } } }, c)).toBe('probes.odd.expect.a b');
    expect(() => validateConfig({ probes: { odd: {} } }, c)).toThrow(
      'probes.odd.expect.a b: must be "x: y", got "z: w"',
    );
    expect(keyOf({ probes: { list: {} } }, c)).toBe('probes.list.allowList[2]');
    expect(keyOf({ probes: { whole: {} } }, c)).toBe('probes.whole');
  });

  it('reports a parser that throws something else at the section, as a configuration error', () => {
    const c: ValidationContext = {
      checkIds: new Set(),
      probes: new Map([
        [
          'buggy',
          throwing(() => {
            throw new TypeError('boom');
          }),
        ],
      ]),
    };
    expect(keyOf({ probes: { buggy: {} } }, c)).toBe('probes.buggy');
  });

  it('refuses any key of a probe that declares no options, and accepts its empty section', () => {
    const c: ValidationContext = { checkIds: new Set(), probes: new Map([['quiet', undefined]]) };
    expect(keyOf({ probes: { quiet: {} } }, c)).toBeUndefined();
    expect(() => validateConfig({ probes: { quiet: { x: 1 } } }, c)).toThrow(
      'probes.quiet: probes.quiet takes no options',
    );
  });

  it('keeps the section as written: defaults are filled by the probe when it runs', () => {
    expect(validateConfig({ probes: { ssh: {} } }, ctx).probes).toEqual({ ssh: {} });
    expect(validateConfig({ probes: { ssh: { live: false } } }, ctx).probes.ssh).toEqual({ live: false });
  });

  it('each registered probe declares each key once, and its parser names an unknown key', async () => {
    const { PROBES } = await import('../probes/registry.js');
    const declared = PROBES.filter((p) => p.options);
    expect(declared.length).toBeGreaterThan(5);
    for (const p of declared) {
      const o = p.options!;
      expect(o.keys.length, p.name).toBeGreaterThan(0);
      expect(new Set(o.keys.map((k) => k.key)).size, `${p.name}: keys declared twice`).toBe(o.keys.length);
      expect(optionsProblem(p, { __nope__: 1 }), p.name).toMatch(/^__nope__: unknown key/);
    }
  });
});

describe('exceptions and severity overrides on findings', () => {
  const check: Check<unknown> = {
    id: 'ssh.password_auth',
    title: 't',
    severity: 'high',
    references: [],
    remediation: 'r',
    evaluate: () => ({ status: 'fail', message: 'm' }),
  };
  const probe = { name: 'ssh', description: '', checks: [check], gather: async () => ({}) } as Probe;
  const cfg = (doc: unknown) => validateConfig(doc, ctx);

  it('marks an unexpired exception on the failing finding, and gating ignores it', () => {
    const f = toFinding(
      probe,
      check,
      { status: 'fail', message: 'm' },
      cfg({ exceptions: [{ check: 'ssh.password_auth', reason: 'why', expires: '2027-01-01' }] }),
      '2026-11-24',
    );
    expect(f.status).toBe('fail');
    expect(f.exception).toEqual({ reason: 'why', expires: '2027-01-01' });
    expect(isGatingFailure(f, 'low')).toBe(false);
    expect(summarise([f])).toEqual({ pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 1 });
  });

  it('an expired exception no longer applies and says so', () => {
    const f = toFinding(
      probe,
      check,
      { status: 'fail', message: 'm' },
      cfg({ exceptions: [{ check: 'ssh.password_auth', reason: 'why', expires: '2026-11-23' }] }),
      '2026-11-24',
    );
    expect(f.exception).toBeUndefined();
    expect(f.message).toMatch(/expired on 2026-11-23/);
    expect(isGatingFailure(f, 'high')).toBe(true);
  });

  it('a severity override changes gating', () => {
    const f = toFinding(
      probe,
      check,
      { status: 'fail', message: 'm' },
      cfg({ checks: { 'ssh.password_auth': { severity: 'low' } } }),
      '2026-11-24',
    );
    expect(f.severity).toBe('low');
    expect(isGatingFailure(f, 'high')).toBe(false);
    expect(isGatingFailure(f, 'low')).toBe(true);
  });
});

describe("the README's configuration example", () => {
  it('is valid with every registered probe and check (users copy it)', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const { PROBES } = await import('../probes/registry.js');
    const { catalogue } = await import('../src/scan/catalogue.js');
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const block = /```yaml\n(root: [\s\S]*?)```/.exec(readme);
    expect(block, 'README has a ```yaml block starting with root:').not.toBeNull();
    const real = validationContext(PROBES);
    expect(real.checkIds).toEqual(new Set(catalogue(PROBES).map((c) => c.id)));
    const cfg = validateConfig(parse(block![1]!), real, 'README.md');
    expect(cfg.collector.routing?.default).toEqual(['slack']);
    expect(cfg.exceptions.length).toBeGreaterThan(0);
  });
});
