/**
 * The firewall fixtures (test/fixtures/hosts/firewall-*) scanned by the real engine with the firewall probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another,
 * and a Kubernetes node skips both with the reason.
 */
import { describe, expect, it } from 'vitest';
import { firewallProbe } from '../../probes/firewall/index.js';
import { probeFixtures } from '../helpers/probe-fixtures.js';

const seen = probeFixtures(firewallProbe);

describe('the undecidable and inapplicable cases of the firewall checks occur in the fixtures', () => {
  it('skip occurs on a node', () => {
    expect(seen.get('firewall.default_deny')?.has('skip')).toBe(true);
  });
});
