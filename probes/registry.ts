/**
 * The one place probes are registered: a read-only map with no import side effects. The engine reaches
 * probes only through this list; a test checks that every folder under probes/ is registered here.
 */
import type { Probe } from '../src/sdk.js';
import { sshProbe } from './ssh/index.js';
import { portsProbe } from './ports/index.js';
import { kernelProbe } from './kernel/index.js';
import { tlsProbe } from './tls/index.js';
import { updatesProbe } from './updates/index.js';
import { runtimeProbe } from './runtime/index.js';
import { kubeletProbe } from './kubelet/index.js';
import { seccompProbe } from './seccomp/index.js';
import { integrityProbe } from './integrity/index.js';
import { accountsProbe } from './accounts/index.js';
import { filesProbe } from './files/index.js';
import { modulesProbe } from './modules/index.js';
import { mountsProbe } from './mounts/index.js';
import { servicesProbe } from './services/index.js';
import { auditProbe } from './audit/index.js';
import { firewallProbe } from './firewall/index.js';

export const PROBES: readonly Probe[] = Object.freeze([
  sshProbe,
  portsProbe,
  kernelProbe,
  tlsProbe,
  updatesProbe,
  runtimeProbe,
  kubeletProbe,
  seccompProbe,
  integrityProbe,
  filesProbe,
  accountsProbe,
  modulesProbe,
  mountsProbe,
  servicesProbe,
  auditProbe,
  firewallProbe,
]);

export function getProbe(name: string): Probe | undefined {
  return PROBES.find((p) => p.name === name);
}
