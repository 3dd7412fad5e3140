/**
 * Which interface addresses are public. "Public" is what is routable on the Internet: everything but the
 * IANA special-purpose ranges below (RFC 6890 and successors). Pure; net.BlockList does the prefix matching.
 */
import { BlockList } from 'node:net';
import { ipFamily } from '../../src/sdk.js';

/** Named special-purpose ranges; a node address in one of them is not public. */
export const NON_PUBLIC_RANGES: readonly { cidr: string; name: string }[] = [
  { cidr: '0.0.0.0/8', name: 'this network' },
  { cidr: '10.0.0.0/8', name: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', name: 'carrier-grade NAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', name: 'loopback' },
  { cidr: '169.254.0.0/16', name: 'link-local' },
  { cidr: '172.16.0.0/12', name: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments' },
  { cidr: '192.0.2.0/24', name: 'documentation (TEST-NET-1)' },
  { cidr: '192.168.0.0/16', name: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', name: 'benchmarking' },
  { cidr: '198.51.100.0/24', name: 'documentation (TEST-NET-2)' },
  { cidr: '203.0.113.0/24', name: 'documentation (TEST-NET-3)' },
  { cidr: '224.0.0.0/4', name: 'multicast' },
  { cidr: '240.0.0.0/4', name: 'reserved' },
  { cidr: '::/128', name: 'unspecified' },
  { cidr: '::1/128', name: 'loopback' },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped' },
  { cidr: '64:ff9b:1::/48', name: 'local-use NAT64' },
  { cidr: '100::/64', name: 'discard-only' },
  { cidr: '2001:db8::/32', name: 'documentation' },
  { cidr: 'fc00::/7', name: 'unique local (ULA)' },
  { cidr: 'fe80::/10', name: 'link-local' },
  { cidr: 'ff00::/8', name: 'multicast' },
];

const lists = NON_PUBLIC_RANGES.map((r) => {
  const [net, bits] = r.cidr.split('/') as [string, string];
  const type = ipFamily(net) === 6 ? 'ipv6' : 'ipv4';
  const bl = new BlockList();
  bl.addSubnet(net, Number(bits), type);
  return { ...r, bl, type } as const;
});

/** The special-purpose range an address is in, or undefined when it is public. Invalid input is not public. */
export function nonPublicRange(address: string): string | undefined {
  const fam = ipFamily(address);
  if (fam === 0) return 'not an IP address';
  const type = fam === 6 ? 'ipv6' : 'ipv4';
  // An IPv4-mapped address is as public as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return nonPublicRange(mapped[1]!);
  return lists.find((l) => l.type === type && l.bl.check(address, type))?.name;
}

export function isPublic(address: string): boolean {
  return nonPublicRange(address) === undefined;
}

/** Is an IPv4 address inside destination/mask (both dotted quads)? */
export function inSubnet(address: string, destination: string, mask: string): boolean {
  const n = (s: string) => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  return (n(address) & n(mask)) >>> 0 === (n(destination) & n(mask)) >>> 0;
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}
