/**
 * The fixture harness of a probe, written once: every `<probe>-*` fixture root under test/fixtures/hosts is scanned
 * by the real engine with that probe alone and must give the findings its fixture.json expects (every check listed,
 * so a new check needs a decision in each), with host paths as evidence and no passing message that admits it could
 * not tell; then every check must pass in some fixture and fail in another.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Report } from '../../src/contracts.js';
import type { Probe } from '../../src/sdk.js';
import { expectationProblems, fixtureNames, materialize } from './hosts.js';
import type { Materialized } from './hosts.js';

const log = pino({ level: 'silent' });

export interface ProbeFixtureOptions {
  /** How a fixture is scanned; default: the probe alone, with the fixture's probe options and host role (node). */
  scan?: (m: Materialized) => Promise<Report>;
  /** What a passing message must not say. */
  passMustNotSay?: RegExp;
}

/** Registers the fixture and coverage tests; returns the statuses seen per check, for a file's own assertions. */
export function probeFixtures(probe: Probe, opts: ProbeFixtureOptions = {}): Map<string, Set<string>> {
  const names = fixtureNames().filter((n) => n.startsWith(`${probe.name}-`));
  const seen = new Map<string, Set<string>>();
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));
  const scan =
    opts.scan ??
    ((m: Materialized) => {
      const config = defaultConfig();
      config.root = m.root;
      config.scan.hostRole = m.spec.hostRole ?? 'node';
      config.probes = { [probe.name]: m.spec.probes?.[probe.name] ?? {} };
      return runScan({ probes: [probe], config, log });
    });
  const mustNotSay = opts.passMustNotSay ?? /cannot be told|unknown|could not/;

  describe.each(names)(`${probe.name} fixture %s`, (name) => {
    it('gives the expected findings, with host paths as evidence', async () => {
      const m = materialize(name);
      cleanups.push(m.cleanup);
      const report = await scan(m);
      expect(report.probes.map((p) => p.status)).toEqual(['ok']);
      for (const f of report.findings) {
        (seen.get(f.check) ?? seen.set(f.check, new Set()).get(f.check)!).add(f.status);
        for (const e of f.evidence) if (e.file) expect(e.file.startsWith(m.root), f.check).toBe(false);
        if (f.status === 'pass') expect(f.message, f.check).not.toMatch(mustNotSay);
      }
      expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
      expect(Object.keys(m.spec.expected).sort()).toEqual(probe.checks.map((c) => c.id).sort());
    });
  });

  describe(`coverage of the ${probe.name} checks by the fixtures`, () => {
    it('there are fixtures, and every check passes in some fixture and fails in another', () => {
      expect(names.length).toBeGreaterThan(1);
      const missing = probe.checks.flatMap((c) => {
        const s = seen.get(c.id) ?? new Set();
        return s.has('pass') && s.has('fail') ? [] : [`${c.id}: ${[...s].join(',') || 'never seen'}`];
      });
      expect(missing).toEqual([]);
    });
  });
  return seen;
}
