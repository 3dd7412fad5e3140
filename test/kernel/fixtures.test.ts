/**
 * Every kernel-* fixture host root is scanned by the real engine with the kernel probe alone, and its
 * findings compared with <name>.fixture.json. Across these fixtures every kernel check must pass somewhere
 * and fail somewhere.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { kernelProbe } from '../../probes/kernel/index.js';
import { materialize, expectationProblems } from '../helpers/hosts.js';
import { kernelFixtureNames, scanKernel } from './helpers.js';

const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('kernel fixtures', () => {
  it('there are kernel fixtures', () => {
    expect(kernelFixtureNames().length).toBeGreaterThanOrEqual(7);
  });

  describe.each(kernelFixtureNames())('fixture %s', (name) => {
    it('produces the expected findings', async () => {
      const m = materialize(name);
      cleanups.push(m.cleanup);
      const report = await scanKernel(m.root, m.spec.probes?.kernel ?? {}, m.spec.hostRole ?? 'auto');
      expect(report.probes, JSON.stringify(report.probes)).toEqual([
        expect.objectContaining({ probe: 'kernel', status: 'ok' }),
      ]);
      // Every check of the probe yields exactly one finding, with a message and host-path evidence.
      expect(report.findings.map((f) => f.check).sort()).toEqual(kernelProbe.checks.map((c) => c.id).sort());
      for (const f of report.findings) {
        const s = seen.get(f.check) ?? new Set<string>();
        s.add(f.status);
        seen.set(f.check, s);
        expect(f.message.length, f.check).toBeGreaterThan(0);
        for (const e of f.evidence)
          if (e.file) expect(e.file.startsWith(m.root), `${f.check} evidence must be a host path`).toBe(false);
      }
      // Only kernel checks are listed in kernel fixtures.
      for (const id of Object.keys(m.spec.expected)) expect(id.startsWith('kernel.'), id).toBe(true);
      expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    });
  });

  it('every kernel check passes in some fixture and fails in another', () => {
    const missing: string[] = [];
    for (const c of kernelProbe.checks) {
      const s = seen.get(c.id) ?? new Set();
      if (!s.has('pass') || !s.has('fail')) missing.push(`${c.id}: ${[...s].join(',') || 'never seen'}`);
    }
    expect(missing).toEqual([]);
  });

  it('a missing sysctl file is never a failure in any fixture', async () => {
    for (const name of kernelFixtureNames()) {
      const m = materialize(name);
      cleanups.push(m.cleanup);
      const report = await scanKernel(m.root);
      for (const f of report.findings)
        if (/does not exist/.test(f.message)) expect(f.status, `${name} ${f.check}: ${f.message}`).not.toBe('fail');
    }
  });
});
