/**
 * The mounts fixtures (test/fixtures/hosts/mounts-*) scanned by the real engine with the mounts probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another,
 * and the undecidable (no /proc) and inapplicable (not a separate mount) cases occur.
 */
import { describe, expect, it } from 'vitest';
import { mountsProbe } from '../../probes/mounts/index.js';
import { probeFixtures } from '../helpers/probe-fixtures.js';

const seen = probeFixtures(mountsProbe);

describe('the undecidable and inapplicable cases of the mounts checks occur in the fixtures', () => {
  it('unknown and skip occur', () => {
    for (const c of mountsProbe.checks) expect(seen.get(c.id)?.has('unknown'), c.id).toBe(true);
    expect(seen.get('mounts.var_nodev')?.has('skip')).toBe(true);
  });
});
