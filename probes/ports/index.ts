/**
 * The ports probe: listening TCP/UDP sockets of the host network namespace from /proc, with the process and
 * pod that hold them, against an allow-list and a table of known dangerous ports; route_localnet; public
 * interface addresses; and, in the agent, what a connect scan of the node's own addresses actually reaches
 * (NodePorts included, which hold no socket) and whether the cloud metadata endpoint answers.
 */
import { defineProbe } from '../../src/sdk.js';
import type { Measurement } from '../../src/sdk.js';
import type { PortsFacts } from './types.js';
import { portsChecks } from './checks.js';
import { gatherPorts } from './gather.js';
import { PORTS_OPTIONS } from './option-spec.js';

/** hostward_listening_sockets{protocol, port, scope}: 1 per group of TCP/UDP listeners. */
export function measurePorts(facts: PortsFacts): Measurement[] {
  if (!('listeners' in facts.sockets)) return [];
  const seen = new Map<string, Measurement>();
  for (const l of facts.sockets.listeners) {
    const labels = { protocol: l.protocol, port: String(l.port), scope: l.scope };
    seen.set(`${labels.protocol}/${labels.port}/${labels.scope}`, {
      metric: 'hostward_listening_sockets',
      labels,
      value: 1,
    });
  }
  return [...seen.values()].sort(
    (a, b) =>
      Number(a.labels.port) - Number(b.labels.port) ||
      a.labels.protocol!.localeCompare(b.labels.protocol!) ||
      a.labels.scope!.localeCompare(b.labels.scope!),
  );
}

export const portsProbe = defineProbe({
  name: 'ports',
  description:
    "Listening TCP/UDP sockets of the host network namespace with owning process and pod, against an allow-list and known dangerous ports; route_localnet; public interface addresses; in the agent, a connect scan of the node's own addresses (NodePorts included) and the cloud metadata endpoint.",
  checks: portsChecks,
  gather: (ctx) => gatherPorts(ctx),
  measure: measurePorts,
  metrics: {
    hostward_listening_sockets: {
      help: 'Listening sockets of the host network namespace, 1 per (protocol, port, scope) group; scope is any, loopback or address.',
      labelNames: ['protocol', 'port', 'scope'],
    },
  },
  options: PORTS_OPTIONS,
});
