/**
 * hostward's own listeners (ctx.ownListeners: the agent's endpoints, as the agent serves them). They are
 * judged by ports.agent_exposed on what they answer without authentication, not by the allow-list: the
 * other checks leave a socket or a reachable port that is the agent's own to it, so it is judged once.
 */
import type { Evidence, Outcome, OwnListener } from '../../src/sdk.js';
import { fail, pass, skip, unknown, ipFamily } from '../../src/sdk.js';
import { isLoopback } from './addresses.js';
import type { Listener, PortsFacts, ReachableEndpoint } from './types.js';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** One text form per address, so that "::1" and "0:0:0:0:0:0:0:1" are the same. */
function canonical(a: string): string {
  return ipFamily(a) === 6 ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a;
}

const own = (facts: PortsFacts): readonly OwnListener[] => ('off' in facts.own ? [] : facts.own);

/**
 * Is this socket (from the host's /proc) one of hostward's own listeners? Same port and address, and, when both
 * the agent's pid and the socket's owners are known, held by the agent: an agent on the pod network listens in
 * its own namespace, and a host process on the same port is someone else.
 */
export function isOwnSocket(facts: PortsFacts, l: Listener): boolean {
  const heldBy = (pid?: number) => pid === undefined || l.owners.length === 0 || l.owners.some((x) => x.pid === pid);
  const same = (o: OwnListener) => o.port === l.port && canonical(o.address) === canonical(l.address) && heldBy(o.pid);
  return l.protocol === 'tcp' && own(facts).some(same);
}

/** Is this reachable endpoint served by one of hostward's own listeners? */
export function isOwnEndpoint(facts: PortsFacts, e: ReachableEndpoint): boolean {
  const serves = (o: OwnListener) => WILDCARDS.has(o.address) || canonical(o.address) === canonical(e.address);
  return own(facts).some((o) => o.port === e.port && serves(o));
}

/** A note for the allow-list checks when they left hostward's own listeners to ports.agent_exposed. */
export function ownNote(facts: PortsFacts): string {
  const l = own(facts).filter((o) => !isLoopback(o.address));
  if (l.length === 0) return '';
  return ` hostward's own listener (${l.map(where).join(', ')}) is judged by ports.agent_exposed.`;
}

function where(o: OwnListener): string {
  return o.address.includes(':') ? `[${o.address}]:${o.port}` : `${o.address}:${o.port}`;
}

function ownText(o: OwnListener): string {
  const auth = o.authentication.length > 0 ? `requires ${o.authentication.join(' or ')}` : 'asks no authentication';
  const open = o.open.length > 0 ? `; answers anyone on ${o.open.map((p) => p.path).join(', ')}` : '';
  return `${o.service} ${o.tls ? 'https' : 'http'}://${where(o)} ${auth}${open}`;
}

function evidenceOf(facts: PortsFacts, list: readonly OwnListener[]): Evidence[] {
  const ev: Evidence[] = list.map((o) => ({ text: ownText(o) }));
  if ('listeners' in facts.sockets) {
    for (const l of facts.sockets.listeners.filter((x) => isOwnSocket(facts, x))) {
      ev.push({ file: l.file, line: l.line, text: `tcp ${l.address}:${l.port} (the socket)` });
    }
  }
  return ev;
}

/** ports.agent_exposed: hostward's endpoints beyond loopback answer only authenticated requests. */
export function agentExposed(facts: PortsFacts): Outcome {
  const o = facts.own;
  if ('off' in o) return o.agent ? unknown(o.off) : skip(o.off);
  if (o.length === 0) return skip('hostward serves no endpoint in this scan');
  const ev = evidenceOf(facts, o);
  const beyond = o.filter((l) => !isLoopback(l.address));
  if (beyond.length === 0) return pass(`hostward listens on loopback only (${o.map(where).join(', ')})`, ev);
  const open = beyond.filter((l) => l.open.length > 0);
  if (open.length > 0) {
    const paths = [...new Map(open.flatMap((l) => l.open).map((p) => [p.path, `${p.path} (${p.reveals})`])).values()];
    const wildcard = open.some((l) => WILDCARDS.has(l.address));
    const all = wildcard ? " (every address of its network namespace: the host's, with hostNetwork)" : '';
    const at = open.map(where).join(', ');
    return fail(`${open[0]!.service} answers anyone on ${at}${all} without authentication: ${paths.join('; ')}`, ev);
  }
  const plain = beyond.filter((l) => !l.tls);
  const inClear = plain.map(where).join(', ');
  const clear = inClear
    ? `; over plain HTTP on ${inClear}, credentials cross the network readable (add tls_server_config)`
    : '';
  const methods = [...new Set(beyond.flatMap((l) => l.authentication))].join(' or ');
  return pass(`hostward's endpoints beyond loopback (${beyond.map(where).join(', ')}) require ${methods}${clear}`, ev);
}
