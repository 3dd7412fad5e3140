/**
 * Ground truth on this machine: real TCP and UDP listeners, IPv4 and IPv6, loopback and wildcard, started
 * here; the probe's socket list for their ports must equal `ss -H -tuln`, and each must be attributed to
 * this process. Read through HostRoot('/'), as `hostward scan` on a host does. No packet is sent.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gatherPorts } from '../../probes/ports/gather.js';
import type { Listener, PortsFacts } from '../../probes/ports/types.js';
import { context, loopbackOnly, tcpListen, udpBind } from './helpers.js';
import type { Listening } from './helpers.js';

const hasSs = ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss'].some(existsSync);
const listeners: Listening[] = [];

/** "tcp LISTEN 0 511 [::1]:40103 [::]:*" -> "tcp ::1 40103"; ss prints a dual-stack :: as "*". */
function ssRows(): string[] {
  const out = execFileSync('ss', ['-H', '-tuln'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const local = f[4]!;
      const i = local.lastIndexOf(':');
      let addr = local.slice(0, i).replace(/%.*$/, '');
      if (addr === '*') addr = '::';
      addr = addr.replace(/^\[(.*)\]$/, '$1');
      return `${f[0]} ${addr} ${local.slice(i + 1)}`;
    });
}

const row = (l: Listener) => `${l.protocol} ${l.address} ${l.port}`;

describe.skipIf(!hasSs)('the socket list equals ss -tuln for listeners started here', () => {
  let facts: PortsFacts;
  let ports: Set<number>;
  beforeAll(async () => {
    listeners.push(
      await tcpListen('127.0.0.1'),
      await tcpListen('0.0.0.0'),
      await tcpListen('::1'),
      await tcpListen('::'),
      await tcpListen('::', { ipv6Only: true }),
      await udpBind('127.0.0.1'),
      await udpBind('0.0.0.0'),
      await udpBind('::1'),
      await udpBind('::'),
    );
    ports = new Set(listeners.map((l) => l.port));
    facts = await gatherPorts(context('/', {}), { connect: loopbackOnly() });
  });
  afterAll(async () => {
    for (const l of listeners) await l.close();
  });

  it('lists exactly what ss lists for those ports', () => {
    expect('listeners' in facts.sockets).toBe(true);
    const t = facts.sockets as Extract<PortsFacts['sockets'], { listeners: unknown }>;
    const ours = t.listeners
      .filter((l) => ports.has(l.port))
      .map(row)
      .sort();
    const ss = ssRows()
      .filter((r) => ports.has(Number(r.split(' ')[2])))
      .sort();
    expect(ss.length).toBe(9);
    expect(ours).toEqual(ss);
  });

  it('attributes every one of them to this process, with its command line and uid', () => {
    const t = facts.sockets as Extract<PortsFacts['sockets'], { listeners: unknown }>;
    const ours = t.listeners.filter((l) => ports.has(l.port));
    expect(ours.length).toBe(9);
    for (const l of ours) {
      expect(
        l.owners.map((o) => o.pid),
        row(l),
      ).toContain(process.pid);
      const me = l.owners.find((o) => o.pid === process.pid)!;
      expect(me.cmdline.length).toBeGreaterThan(0);
      expect(me.uid).toBe(process.getuid?.());
    }
  });

  it('sets the scope from the address', () => {
    const t = facts.sockets as Extract<PortsFacts['sockets'], { listeners: unknown }>;
    const scopes = new Set(t.listeners.filter((l) => ports.has(l.port)).map((l) => `${l.address}=${l.scope}`));
    expect([...scopes].sort()).toEqual(['0.0.0.0=any', '127.0.0.1=loopback', '::1=loopback', '::=any']);
  });

  it('sent nothing: scan mode leaves reachability and metadata off', () => {
    expect('off' in facts.reachability && 'off' in facts.metadata).toBe(true);
  });
});
