/**
 * Every seccomp-* fixture host root (synthetic /proc trees with the text of real runc containers) is scanned
 * by the real engine with the seccomp probe alone and compared with <name>.fixture.json; across them every
 * seccomp check passes somewhere and fails somewhere.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { seccompProbe } from '../../probes/seccomp/index.js';
import { materialize } from '../helpers/hosts.js';
import { fixtureSuite, fixturesOf } from '../kubelet/helpers.js';

const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
const run = fixtureSuite('seccomp-', seccompProbe, cleanups, seen, materialize);

describe('seccomp fixtures', () => {
  it('there are seccomp fixtures', () => {
    expect(fixturesOf('seccomp-').length).toBeGreaterThanOrEqual(6);
  });

  describe.each(fixturesOf('seccomp-'))('fixture %s', (name) => {
    it('produces the expected findings', async () => {
      expect(await run(name)).toEqual([]);
    });
  });

  it('every seccomp check passes in some fixture and fails in another', () => {
    const missing: string[] = [];
    for (const c of seccompProbe.checks) {
      const s = seen.get(c.id) ?? new Set();
      if (!s.has('pass') || !s.has('fail')) missing.push(`${c.id}: ${[...s].join(',') || 'never seen'}`);
    }
    expect(missing).toEqual([]);
  });
});
