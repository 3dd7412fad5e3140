/**
 * The audit fixtures (test/fixtures/hosts/audit-*) scanned by the real engine with the audit probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another,
 * and the inapplicable cases (no auditd, no runtime, not a node) skip.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { auditProbe } from '../../probes/audit/index.js';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { expectationProblems, fixtureNames, materialize } from '../helpers/hosts.js';

const log = pino({ level: 'silent' });
const names = fixtureNames().filter((n) => n.startsWith('audit-'));
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
    const report = await runScan({ probes: [auditProbe], config, log });
    expect(report.probes.map((p) => p.status)).toEqual(['ok']);
    for (const f of report.findings) {
      (seen.get(f.check) ?? seen.set(f.check, new Set()).get(f.check)!).add(f.status);
      for (const e of f.evidence) if (e.file) expect(e.file.startsWith(m.root), f.check).toBe(false);
      if (f.status === 'pass') expect(f.message, f.check).not.toMatch(/cannot be told|unknown|could not/);
    }
    expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    expect(Object.keys(m.spec.expected).sort()).toEqual(auditProbe.checks.map((c) => c.id).sort());
  });
});

describe('coverage of the audit checks by the fixtures', () => {
  it('every check passes in some fixture and fails in another', () => {
    const missing = auditProbe.checks.flatMap((c) => {
      const s = seen.get(c.id) ?? new Set();
      return s.has('pass') && s.has('fail') ? [] : [`${c.id}: ${[...s].join(',') || 'never seen'}`];
    });
    expect(missing).toEqual([]);
  });

  it('skip occurs where a check does not apply', () => {
    expect(seen.get('audit.rules_identity')?.has('skip')).toBe(true);
    expect(seen.get('audit.rules_kubernetes_node')?.has('skip')).toBe(true);
    expect(seen.get('audit.rules_container_runtime')?.has('skip')).toBe(true);
  });
});
