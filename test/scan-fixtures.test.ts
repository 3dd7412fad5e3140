/**
 * Every fixture host root is scanned by the real engine and ssh probe, and its findings compared with the
 * expectations in <name>.fixture.json. Across fixtures, every ssh check (but the live ones, which need a
 * daemon: test/ssh/live.test.ts) must pass somewhere and fail somewhere. Every probe measurement must be a known
 * probe metric.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { PROBES } from '../probes/registry.js';
import { fixtureNames, materialize, expectationProblems } from './helpers/hosts.js';
import { measurementProblem } from '../src/metrics/probe-metrics.js';
import { scanFixture } from './helpers/fixture-scan.js';

const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe.each(fixtureNames())('fixture %s', (name) => {
  it('produces the expected findings', async () => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const report = await scanFixture(m);
    expect(
      report.probes.every((p) => p.status === 'ok'),
      JSON.stringify(report.probes),
    ).toBe(true);
    for (const f of report.findings) {
      const s = seen.get(f.check) ?? new Set<string>();
      s.add(f.status);
      seen.set(f.check, s);
      expect(f.message.length, f.check).toBeGreaterThan(0);
      for (const e of f.evidence)
        if (e.file) expect(e.file.startsWith(m.root), `${f.check} evidence must be a host path`).toBe(false);
    }
    expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    // Every registered probe measures only known probe metrics, on every fixture.
    expect(report.measurements.map(measurementProblem).filter(Boolean)).toEqual([]);
  });
});

describe('coverage of checks by fixtures', () => {
  it('every ssh check passes in some fixture and fails in another', () => {
    const ssh = PROBES.find((p) => p.name === 'ssh')!;
    const missing: string[] = [];
    for (const c of ssh.checks) {
      if (c.id.startsWith('ssh.live_') || c.id === 'ssh.version_banner' || c.id === 'ssh.parser_agreement') continue;
      const s = seen.get(c.id) ?? new Set();
      if (!s.has('pass') || !s.has('fail')) missing.push(`${c.id}: ${[...s].join(',') || 'never seen'}`);
    }
    expect(missing).toEqual([]);
  });
});
