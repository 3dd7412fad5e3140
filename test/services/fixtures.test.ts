/**
 * The services fixtures (test/fixtures/hosts/services-*) scanned by the real engine with the services probe alone:
 * each gives the findings its fixture.json expects, every check passes in one fixture and fails in another
 * (the compiler checks each on their own host role), and the undecidable and inapplicable cases occur.
 */
import { describe, expect, it } from 'vitest';
import { servicesProbe } from '../../probes/services/index.js';
import { probeFixtures } from '../helpers/probe-fixtures.js';

const seen = probeFixtures(servicesProbe);

describe('the undecidable and inapplicable cases of the services checks occur in the fixtures', () => {
  it('unknown and skip occur', () => {
    expect(seen.get('services.time_synchronized')?.has('unknown')).toBe(true);
    expect(seen.get('services.telnet_server')?.has('skip')).toBe(true);
    expect(seen.get('services.compilers_node')?.has('skip')).toBe(true);
  });
});
