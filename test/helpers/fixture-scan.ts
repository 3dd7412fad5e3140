/** A scan of a materialized fixture root by the real engine and every probe, as its .fixture.json configures it. */
import { pino } from 'pino';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { PROBES } from '../../probes/registry.js';
import type { Report } from '../../src/contracts.js';
import type { Materialized } from './hosts.js';

const log = pino({ level: 'silent' });

/** The live ssh probe stays off: a fixture has no daemon to connect to. */
export async function scanFixture(m: Materialized): Promise<Report> {
  const config = defaultConfig();
  config.root = m.root;
  config.probes = { ssh: { live: false }, ...(m.spec.probes ?? {}) };
  if (m.spec.hostRole) config.scan.hostRole = m.spec.hostRole;
  const fixed = m.spec.now;
  const clock = fixed ? { now: () => new Date(fixed) } : {};
  return runScan({
    probes: PROBES,
    config,
    log,
    ...clock,
    ...(m.spec.ownListeners ? { ownListeners: m.spec.ownListeners } : {}),
  });
}
