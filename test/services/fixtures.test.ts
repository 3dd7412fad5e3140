/**
 * The services fixtures (test/fixtures/hosts/services-*) scanned by the real engine with the services probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another
 * (the compiler checks each on their own host role), and the undecidable and inapplicable cases occur.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { servicesProbe } from '../../probes/services/index.js';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { expectationProblems, fixtureNames, materialize } from '../helpers/hosts.js';

const log = pino({ level: 'silent' });
const names = fixtureNames().filter((n) => n.startsWith('services-'));
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
    const report = await runScan({ probes: [servicesProbe], config, log });
    expect(report.probes.map((p) => p.status)).toEqual(['ok']);
    for (const f of report.findings) {
      (seen.get(f.check) ?? seen.set(f.check, new Set()).get(f.check)!).add(f.status);
      for (const e of f.evidence) if (e.file) expect(e.file.startsWith(m.root), f.check).toBe(false);
      if (f.status === 'pass') expect(f.message, f.check).not.toMatch(/cannot be told|unknown|could not/);
    }
    expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    expect(Object.keys(m.spec.expected).sort()).toEqual(servicesProbe.checks.map((c) => c.id).sort());
  });
});

describe('coverage of the services checks by the fixtures', () => {
  it('every check passes in some fixture and fails in another', () => {
    const missing = servicesProbe.checks.flatMap((c) => {
      const s = seen.get(c.id) ?? new Set();
      return s.has('pass') && s.has('fail') ? [] : [`${c.id}: ${[...s].join(',') || 'never seen'}`];
    });
    expect(missing).toEqual([]);
  });

  it('unknown and skip occur', () => {
    expect(seen.get('services.time_synchronized')?.has('unknown')).toBe(true);
    expect(seen.get('services.telnet_server')?.has('skip')).toBe(true);
    expect(seen.get('services.compilers_node')?.has('skip')).toBe(true);
  });
});
