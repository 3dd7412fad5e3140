/** The /proc/net parsers on real text copied from this machine, plus malformed, truncated and huge input. */
import { describe, it, expect } from 'vitest';
import {
  decodeAddress,
  formatIPv6,
  parseFibTrieLocal,
  parseIfInet6,
  parseInetSockets,
  parseRoutes,
  parseUnixSockets,
  scopeOf,
} from '../../probes/ports/proc-net.js';

// Copied from /proc/net/* on the machine these tests were written on (listeners of a test process).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1605 1 00000000aaf68f05 100 0 0 10 0                      
   1: 00000000:8419 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 137335 1 0000000005bed963 100 0 0 10 0                    
   2: 0100007F:9CA5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 215890 1 00000000797a8318 100 0 0 10 0                    
   3: 0100007F:8617 0100007F:AB4C 06 00000000:00000000 03:00000000 00000000     0        0 0 3 00000000a05a0427                                      
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:9CAA 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 215893 1 00000000c1c88083 100 0 0 10 0
   1: 00000000000000000000000000000000:9CA6 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 215891 1 00000000cd917d1e 100 0 0 10 0
   2: 00000000000000000000000001000000:9CA7 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 215892 1 00000000e13da3e0 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
16017: 00000000:9CA8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 215894 2 000000002f675ddd 0        
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
16018: 00000000000000000000000001000000:9CA9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 215895 2 00000000b7555525 0
`;
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
000000004ab9ce5e: 00000003 00000000 00000000 0001 03  1601
000000007815bc37: 00000003 00000000 00000000 0001 03  1602
0000000000000000: 00000002 00000000 00010000 0001 01 16001 /run/containerd/containerd.sock
0000000000000000: 00000002 00000000 00010000 0001 01 16002 @/containerd-shim/k8s.io/abc/shim.sock
`;
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.2
              /32 host LOCAL
`;
const IF_INET6 = `00000000000000000000000000000001 01 80 10 80       lo
fd000000000000000000000000000002 04 40 00 82     eth0
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
`;
const ROUTE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT                                                       
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0                                                                               
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0                                                                               
`;

describe('addresses', () => {
  it('decodes IPv4 words in host byte order and IPv6 as four such words', () => {
    expect(decodeAddress('0100007F')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(decodeAddress('7F000001', 'BE')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(decodeAddress('00000000000000000000000001000000')).toEqual({ address: '::1', family: 6 });
    expect(decodeAddress('0000000000000000FFFF00001701000A')).toEqual({ address: '::ffff:10.0.1.23', family: 6 });
    expect(decodeAddress('B80D0120000000000000000001000000')?.address).toBe('2001:db8::1');
    expect(decodeAddress('XYZ')).toBeUndefined();
    expect(decodeAddress('0100007')).toBeUndefined();
  });
  it('formats IPv6 as RFC 5952', () => {
    expect(formatIPv6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0, 0xff, 0xfe, 0, 0, 1])).toBe('fe80::fc:ff:fe00:1');
    expect(formatIPv6(new Array(16).fill(0))).toBe('::');
  });
  it('scopes', () => {
    expect(['0.0.0.0', '::', '127.0.0.53', '::1', '::ffff:127.0.0.1', '10.0.0.5', 'fd00::2'].map(scopeOf)).toEqual([
      'any',
      'any',
      'loopback',
      'loopback',
      'loopback',
      'address',
      'address',
    ]);
  });
});

describe('parseInetSockets on real text', () => {
  it('keeps LISTEN sockets only, with port, uid, inode and line', () => {
    const r = parseInetSockets(TCP, 'tcp', '/proc/net/tcp');
    expect(r.problems).toEqual([]);
    expect(r.lines).toBe(4);
    expect(r.sockets.map((s) => `${s.address}:${s.port}/${s.inode}@${s.line}`)).toEqual([
      '0.0.0.0:2024/1605@2',
      '0.0.0.0:33817/137335@3',
      '127.0.0.1:40101/215890@4',
    ]);
    expect(r.sockets[2]).toMatchObject({
      protocol: 'tcp',
      family: 4,
      state: '0A',
      uid: 0,
      scope: 'loopback',
      file: '/proc/net/tcp',
    });
  });
  it('reads tcp6, udp (state 07) and udp6', () => {
    expect(parseInetSockets(TCP6, 'tcp', '/proc/net/tcp6').sockets.map((s) => `${s.address}:${s.port}`)).toEqual([
      ':::40106',
      ':::40102',
      '::1:40103',
    ]);
    expect(parseInetSockets(UDP, 'udp', '/proc/net/udp').sockets.map((s) => `${s.address}:${s.port}`)).toEqual([
      '0.0.0.0:40104',
    ]);
    expect(parseInetSockets(UDP6, 'udp', '/proc/net/udp6').sockets).toMatchObject([
      { address: '::1', port: 40105, family: 6, scope: 'loopback' },
    ]);
  });
  it('a TCP LISTEN state is not a UDP listener and vice versa', () => {
    expect(parseInetSockets(TCP, 'udp', 'x').sockets).toEqual([]);
    expect(parseInetSockets(UDP, 'tcp', 'x').sockets).toEqual([]);
  });
});

describe('parseInetSockets on hostile input', () => {
  const header = TCP.split('\n')[0]!;
  it('a truncated line is a problem, the lines around it still parse', () => {
    const lines = TCP.split('\n');
    const text = [lines[0], lines[1], lines[2]!.slice(0, 30), lines[3]].join('\n');
    const r = parseInetSockets(text, 'tcp', '/proc/net/tcp');
    expect(r.sockets.map((s) => s.port)).toEqual([2024, 40101]);
    expect(r.problems).toEqual([
      expect.objectContaining({ file: '/proc/net/tcp', line: 3, reason: expect.stringContaining('truncated line') }),
    ]);
  });
  it('garbage fields, binary junk and a missing header are problems, never a throw', () => {
    const r = parseInetSockets(
      `garbage\n   0: ZZZZZZZZ:0016 00000000:0000 0A 0 0 0 0 0 x\n\u0000\u0001\u0002 \ufffd\ufffd\n   1: 0100007F:0016 00000000:0000 0A a b c 0 0 notanumber\n`,
      'tcp',
      'f',
    );
    expect(r.sockets).toEqual([]);
    expect(r.problems.map((p) => p.line)).toEqual([1, 2, 3, 4]);
  });
  it('an empty file is a problem (no header), a header alone is an empty table', () => {
    expect(parseInetSockets('', 'tcp', 'f').problems).toHaveLength(1);
    expect(parseInetSockets(header + '\n', 'tcp', 'f')).toEqual({ sockets: [], lines: 0, problems: [] });
  });
  // bench/parsers.mjs measures the time on this input (about 0.6 s on an idle 2-CPU machine).
  it('huge input: a busy node (300,000 connections, 1,000 listeners) parses', () => {
    const [, listen, , , conn] = TCP.split('\n');
    const body = Array.from({ length: 301_000 }, (_, i) => (i % 301 === 0 ? listen! : conn!));
    const text = [header, ...body, 'x'.repeat(1_000_000)].join('\n');
    const r = parseInetSockets(text, 'tcp', 'f');
    expect(r.sockets).toHaveLength(1000);
    expect(r.lines).toBe(301_001);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.reason.length).toBeLessThan(200);
  });
});

describe('unix, fib_trie, if_inet6, route', () => {
  it('unix: listeners (SO_ACCEPTCON) with a path, abstract names included', () => {
    const r = parseUnixSockets(UNIX, '/proc/net/unix');
    expect(r.problems).toEqual([]);
    expect(r.listeners.map((l) => l.path)).toEqual([
      '/run/containerd/containerd.sock',
      '@/containerd-shim/k8s.io/abc/shim.sock',
    ]);
    expect(parseUnixSockets('nonsense\nmore nonsense\n', 'f').problems).toHaveLength(2);
  });
  it('fib_trie: local /32 addresses, deduplicated across tables', () => {
    expect(parseFibTrieLocal(FIB_TRIE)).toEqual({ addresses: ['127.0.0.1', '192.0.2.2'], problems: [] });
    expect(parseFibTrieLocal('  |-- not-an-ip\n     /32 host LOCAL\n').problems).toHaveLength(1);
  });
  it('if_inet6: addresses in network order, with interface and scope', () => {
    expect(parseIfInet6(IF_INET6)).toEqual({
      addresses: [
        { address: '::1', iface: 'lo', scope: 0x10 },
        { address: 'fd00::2', iface: 'eth0', scope: 0 },
        { address: 'fe80::fc:ff:fe00:1', iface: 'eth0', scope: 0x20 },
      ],
      problems: [],
    });
    expect(parseIfInet6('fe80 02 40 20 80 eth0\n').problems).toHaveLength(1);
  });
  it('route: destination and mask per interface', () => {
    expect(parseRoutes(ROUTE)).toEqual([
      { iface: 'eth0', destination: '0.0.0.0', mask: '0.0.0.0' },
      { iface: 'eth0', destination: '192.0.2.0', mask: '255.255.255.0' },
    ]);
  });
});
