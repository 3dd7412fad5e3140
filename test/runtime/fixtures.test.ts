/**
 * Every runtime-* fixture host root is scanned by the real engine with the runtime probe alone and compared with
 * <name>.fixture.json. The statuses seen here count towards the pass/fail coverage test (coverage.test.ts).
 */
import { expectationProblems } from '../helpers/hosts.js';
import { describe, it, expect, afterAll } from 'vitest';
import { runtimeProbe } from '../../probes/runtime/index.js';
import { materializeRuntime, runtimeFixtureNames, scanRuntime } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('runtime fixtures', () => {
  it('there are runtime fixtures', () => {
    expect(runtimeFixtureNames().length).toBeGreaterThanOrEqual(8);
  });

  describe.each(runtimeFixtureNames())('fixture %s', (name) => {
    it('produces the expected findings', async () => {
      const m = materializeRuntime(name);
      cleanups.push(m.cleanup);
      const report = await scanRuntime(m.root, m.spec.probes?.runtime ?? {});
      expect(report.probes, JSON.stringify(report.probes)).toEqual([
        expect.objectContaining({ probe: 'runtime', status: 'ok' }),
      ]);
      expect(report.findings.map((f) => f.check).sort()).toEqual(runtimeProbe.checks.map((c) => c.id).sort());
      for (const f of report.findings) {
        expect(f.message.length, f.check).toBeGreaterThan(0);
        for (const e of f.evidence)
          if (e.file) expect(e.file.startsWith(m.root), `${f.check} evidence must be a host path`).toBe(false);
      }
      for (const id of Object.keys(m.spec.expected)) expect(id.startsWith('runtime.'), id).toBe(true);
      expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    });
  });
});
