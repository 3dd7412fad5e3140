/**
 * Which family an IP address string is, as node:net's isIP answers, without its IPv6 regular expression: V8
 * compiles that on a process's first IPv6 string, ~10 ms of a scan's event loop for a handful of interface
 * addresses. libuv's inet_pton decides instead (what SocketAddress validates with); test/ip.test.ts holds the two
 * to the same answers.
 */
import { SocketAddress } from 'node:net';

const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** isIP's zone id: anything after '%' made of these characters, which inet_pton would refuse. */
const ZONE = /%[0-9a-zA-Z\-.:]+$/;

function validIpv6(s: string): boolean {
  try {
    new SocketAddress({ address: s, family: 'ipv6' });
    return true;
  } catch {
    return false;
  }
}

/** 4, 6, or 0 when the string is not an IP address. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (!s.includes(':')) return DOTTED_QUAD.test(s) ? 4 : 0;
  const zone = ZONE.exec(s);
  const bare = zone ? s.slice(0, zone.index) : s;
  return !bare.includes('%') && validIpv6(bare) ? 6 : 0;
}
