import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, validateConfig, ConfigError, defaultConfig } from '../src/config/config.js';
import { toFinding, summarise, isGatingFailure } from '../src/scan/runner.js';
import type { Probe, Check } from '../src/sdk.js';

const ctx = {
  checkIds: new Set(['ssh.password_auth', 'ssh.x11_forwarding']),
  probes: new Map<string, ((c: unknown) => string | undefined) | undefined>([
    [
      'ssh',
      (c: unknown) => ((c as Record<string, unknown>).live === 'maybe' ? 'live: must be true or false' : undefined),
    ],
  ]),
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
    const real = {
      checkIds: new Set(catalogue(PROBES).map((c) => c.id)),
      probes: new Map(PROBES.map((p) => [p.name, p.validateConfig?.bind(p)])),
    };
    const cfg = validateConfig(parse(block![1]!), real, 'README.md');
    expect(cfg.collector.routing?.default).toEqual(['slack']);
    expect(cfg.exceptions.length).toBeGreaterThan(0);
  });
});
