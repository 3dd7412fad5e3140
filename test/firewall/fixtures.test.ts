/**
 * The firewall fixtures (test/fixtures/hosts/firewall-*) scanned by the real engine with the firewall probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another,
 * and a Kubernetes node skips both with the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { firewallProbe } from '../../probes/firewall/index.js';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { expectationProblems, fixtureNames, materialize } from '../helpers/hosts.js';

const log = pino({ level: 'silent' });
const names = fixtureNames().filter((n) => n.startsWith('firewall-'));
const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe.each(names)('fixture %s', (name) => {
  it('gives the expected findings, with host paths as evidence', async () => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const config = defaultConfig();
    config.root = m.root;
    config.scan.hostRole = m.spec.hostRole ?? 'node';
    const report = await runScan({ probes: [firewallProbe], config, log });
    expect(report.probes.map((p) => p.status)).toEqual(['ok']);
    for (const f of report.findings) {
      (seen.get(f.check) ?? seen.set(f.check, new Set()).get(f.check)!).add(f.status);
      for (const e of f.evidence) if (e.file) expect(e.file.startsWith(m.root), f.check).toBe(false);
      if (f.status === 'pass') expect(f.message, f.check).not.toMatch(/cannot be told|unknown|could not/);
    }
    expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    expect(Object.keys(m.spec.expected).sort()).toEqual(firewallProbe.checks.map((c) => c.id).sort());
  });
});

describe('coverage of the firewall checks by the fixtures', () => {
  it('every check passes in some fixture and fails in another', () => {
    const missing = firewallProbe.checks.flatMap((c) => {
      const s = seen.get(c.id) ?? new Set();
      return s.has('pass') && s.has('fail') ? [] : [`${c.id}: ${[...s].join(',') || 'never seen'}`];
    });
    expect(missing).toEqual([]);
  });

  it('skip occurs on a node', () => {
    expect(seen.get('firewall.default_deny')?.has('skip')).toBe(true);
  });
});
