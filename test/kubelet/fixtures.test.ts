/**
 * Every kubelet-* fixture host root is scanned by the real engine with the kubelet probe alone and compared
 * with <name>.fixture.json; across them every kubelet check passes somewhere and fails somewhere.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { kubeletProbe } from '../../probes/kubelet/index.js';
import { materialize } from '../helpers/hosts.js';
import { fixtureSuite, fixturesOf } from './helpers.js';

const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
const run = fixtureSuite('kubelet-', kubeletProbe, cleanups, seen, materialize);

describe('kubelet fixtures', () => {
  it('there are kubelet fixtures for kubeadm, EKS, k3s, config-dir, legacy flags, garbage and no kubelet', () => {
    expect(fixturesOf('kubelet-').length).toBeGreaterThanOrEqual(8);
  });

  describe.each(fixturesOf('kubelet-'))('fixture %s', (name) => {
    it('produces the expected findings', async () => {
      expect(await run(name)).toEqual([]);
    });
  });

  it('every kubelet check passes in some fixture and fails in another', () => {
    const missing: string[] = [];
    for (const c of kubeletProbe.checks) {
      const s = seen.get(c.id) ?? new Set();
      if (!s.has('pass') || !s.has('fail')) missing.push(`${c.id}: ${[...s].join(',') || 'never seen'}`);
    }
    expect(missing).toEqual([]);
  });
});
