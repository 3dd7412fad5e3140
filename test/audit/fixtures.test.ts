/**
 * The audit fixtures (test/fixtures/hosts/audit-*) scanned by the real engine with the audit probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another,
 * and the inapplicable cases (no auditd, no runtime, not a node) skip.
 */
import { describe, expect, it } from 'vitest';
import { auditProbe } from '../../probes/audit/index.js';
import { probeFixtures } from '../helpers/probe-fixtures.js';

const seen = probeFixtures(auditProbe);

describe('the undecidable and inapplicable cases of the audit checks occur in the fixtures', () => {
  it('skip occurs where a check does not apply', () => {
    expect(seen.get('audit.rules_identity')?.has('skip')).toBe(true);
    expect(seen.get('audit.rules_kubernetes_node')?.has('skip')).toBe(true);
    expect(seen.get('audit.rules_container_runtime')?.has('skip')).toBe(true);
  });
});
