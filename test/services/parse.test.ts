/** The services probe's parsers: dpkg status, /proc/net tables (against ss and a real listener), postfix values. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import fc from 'fast-check';
import {
  loopbackOnly,
  parseDpkgInstalled,
  parseProcNet,
  postfixValue,
  timeSources,
} from '../../probes/services/parse.js';

describe('parseDpkgInstalled', () => {
  it('keeps installed packages only (not config-files, not half-installed)', () => {
    const t =
      'Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\nPackage: c\nStatus: install ok half-installed\n\nPackage: d\nStatus: hold ok installed\n';
    expect([...parseDpkgInstalled(t)]).toEqual(['a', 'd']);
  });
  it('reads the dpkg status file of this machine, and agrees with dpkg-query', () => {
    const ours = parseDpkgInstalled(readFileSync('/var/lib/dpkg/status', 'utf8'));
    const theirs = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Status} ${binary:Package}\\n'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.startsWith('installed '))
      .map((l) => l.slice('installed '.length).replace(/:.*$/, ''));
    expect([...ours].sort()).toEqual([...new Set(theirs)].sort());
  });
  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => void parseDpkgInstalled(s)),
      { numRuns: 200, seed: 3 },
    );
  });
});

describe('parseProcNet', () => {
  it('decodes IPv4, IPv6, mapped and loopback addresses; listening TCP and bound UDP only', () => {
    const t4 =
      'hdr\n 0: 0100007F:0019 00000000:0000 0A x\n 1: 00000000:0016 00000000:0000 0A x\n 2: 0100007F:1F90 0200007F:D431 01 x\n';
    expect(parseProcNet(t4, 'tcp', false)).toEqual([
      { proto: 'tcp', port: 25, address: '127.0.0.1', loopback: true },
      { proto: 'tcp', port: 22, address: '0.0.0.0', loopback: false },
    ]);
    const t6 =
      'hdr\n 0: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A\n 1: 0000000000000000FFFF00000100007F:0050 0:0 0A\n';
    expect(parseProcNet(t6, 'tcp', true).map((l) => [l.address, l.loopback])).toEqual([
      ['::1', true],
      ['::ffff:127.0.0.1', true],
    ]);
    expect(parseProcNet('hdr\n 0: 00000000:0045 00000000:0000 07 x\n', 'udp', false)[0]).toMatchObject({
      port: 69,
      loopback: false,
    });
  });

  it('skips garbage lines and never throws', () => {
    expect(parseProcNet('hdr\nnot a line\n 0: ZZZ:0016 0 0A\n 1: 0000:0016 0 0A\n', 'tcp', false)).toEqual([]);
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.boolean(), (s, v6) => void parseProcNet(s, 'tcp', v6)),
      { numRuns: 200, seed: 5 },
    );
  });

  it('sees a listener and a UDP socket of this test as ss does', async () => {
    const server = net.createServer();
    const sock = dgram.createSocket('udp4');
    try {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      const tport = (server.address() as net.AddressInfo).port;
      const uport = sock.address().port;
      const tcp = parseProcNet(readFileSync('/proc/net/tcp', 'utf8'), 'tcp', false);
      const udp = parseProcNet(readFileSync('/proc/net/udp', 'utf8'), 'udp', false);
      expect(tcp).toContainEqual({ proto: 'tcp', port: tport, address: '127.0.0.1', loopback: true });
      expect(udp).toContainEqual({ proto: 'udp', port: uport, address: '127.0.0.1', loopback: true });
      expect(execFileSync('ss', ['-H', '-ltn', 'sport', '=', `:${tport}`], { encoding: 'utf8' })).toContain(
        `127.0.0.1:${tport}`,
      );
      expect(execFileSync('ss', ['-H', '-lun', 'sport', '=', `:${uport}`], { encoding: 'utf8' })).toContain(
        `127.0.0.1:${uport}`,
      );
    } finally {
      server.close();
      sock.close();
    }
  });
});

describe('postfix, exim and time sources', () => {
  it('takes the last inet_interfaces, with continuation lines', () => {
    expect(
      postfixValue('inet_interfaces = all\ninet_interfaces =\n  127.0.0.1,\n  [::1]\n# x\n', 'inet_interfaces'),
    ).toEqual({ value: '127.0.0.1, [::1]', line: 2 });
  });
  it.each([
    ['loopback-only', true],
    ['localhost', true],
    ['127.0.0.1, [::1]', true],
    ["'127.0.0.1 ; ::1'", true],
    ['all', false],
    ['', false],
    ['127.0.0.1, 10.0.0.5', false],
  ])('loopbackOnly(%s) = %s', (v, want) => expect(loopbackOnly(v)).toBe(want));
  it('reads chrony server/pool lines and timesyncd NTP=', () => {
    expect(
      timeSources('# pool x\npool 2.debian.pool.ntp.org iburst\nserver 10.0.0.1\nsourcedir /x\n', 'chrony'),
    ).toEqual(['2.debian.pool.ntp.org', '10.0.0.1']);
    expect(timeSources('[Time]\nNTP=a b\n#NTP=c\nFallbackNTP=d\n', 'timesyncd')).toEqual(['a', 'b']);
  });
});
