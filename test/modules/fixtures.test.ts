/**
 * The modules fixtures (test/fixtures/hosts/modules-*) scanned by the real engine with the modules probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another,
 * and the undecidable (no /proc) and inapplicable (no systemd-coredump) cases occur.
 */
import { describe, expect, it } from 'vitest';
import { modulesProbe } from '../../probes/modules/index.js';
import { probeFixtures } from '../helpers/probe-fixtures.js';

const seen = probeFixtures(modulesProbe);

describe('the undecidable and inapplicable cases of the modules checks occur in the fixtures', () => {
  it('unknown and skip occur', () => {
    expect(seen.get('modules.cramfs_disabled')?.has('unknown')).toBe(true);
    expect(seen.get('modules.systemd_coredump')?.has('skip')).toBe(true);
  });
});
