/**
 * Every accounts-* fixture host root is scanned by the real engine with the accounts probe alone and its
 * findings compared with <name>.fixture.json. Across these fixtures every accounts check must pass somewhere
 * and fail somewhere, and unknown and skip must each occur.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { accountsProbe } from '../../probes/accounts/index.js';
import { materialize, expectationProblems } from '../helpers/hosts.js';
import { accountsFixtureNames, scanAccounts } from './helpers.js';

const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('accounts fixtures', () => {
  it('there are accounts fixtures', () => {
    expect(accountsFixtureNames().length).toBeGreaterThanOrEqual(5);
  });

  describe.each(accountsFixtureNames())('fixture %s', (name) => {
    it('produces the expected findings', async () => {
      const m = materialize(name);
      cleanups.push(m.cleanup);
      const report = await scanAccounts(m.root, m.spec.hostRole ?? 'auto', m.spec.now);
      expect(report.probes, JSON.stringify(report.probes)).toEqual([
        expect.objectContaining({ probe: 'accounts', status: 'ok' }),
      ]);
      expect(report.findings.map((f) => f.check).sort()).toEqual(accountsProbe.checks.map((c) => c.id).sort());
      for (const f of report.findings) {
        const s = seen.get(f.check) ?? new Set<string>();
        s.add(f.status);
        seen.set(f.check, s);
        expect(f.message.length, f.check).toBeGreaterThan(0);
        for (const e of f.evidence)
          if (e.file) expect(e.file.startsWith(m.root), `${f.check} evidence must be a host path`).toBe(false);
        // Password hashes never leave the host: no finding carries one.
        expect(JSON.stringify(f), f.check).not.toMatch(/\$(y|1|5|6)\$[^"\s]{8,}/);
      }
      for (const id of Object.keys(m.spec.expected)) expect(id.startsWith('accounts.'), id).toBe(true);
      // Every check is pinned in every fixture, so a change of any verdict shows here.
      expect(Object.keys(m.spec.expected).sort()).toEqual(accountsProbe.checks.map((c) => c.id).sort());
      expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    });
  });

  it('every accounts check passes in some fixture and fails in another', () => {
    const missing: string[] = [];
    for (const c of accountsProbe.checks) {
      const s = seen.get(c.id) ?? new Set();
      if (!s.has('pass') || !s.has('fail')) missing.push(`${c.id}: ${[...s].join(',') || 'never seen'}`);
    }
    expect(missing).toEqual([]);
  });

  it('unknown and skip both occur across the fixtures', () => {
    const all = new Set([...seen.values()].flatMap((s) => [...s]));
    expect(all.has('unknown')).toBe(true);
    expect(all.has('skip')).toBe(true);
  });
});
