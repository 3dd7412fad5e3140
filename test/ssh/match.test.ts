import { describe, expect, it } from 'vitest';
import { addrMatchList, criteriaMatch, matchPatternList, parseAddress, wildcardMatch } from '../../probes/ssh/match.js';
import type { MatchCriterion } from '../../probes/ssh/types.js';
import { testContext } from '../helpers/ssh.js';

const ctx = testContext;
const c = (kind: string, patterns = ''): MatchCriterion => ({ kind, patterns });

describe('patterns', () => {
  it('matches * and ?', () => {
    expect(wildcardMatch('root', 'ro?t')).toBe(true);
    expect(wildcardMatch('root', 'r*')).toBe(true);
    expect(wildcardMatch('', '*')).toBe(true);
    expect(wildcardMatch('abc', 'a*c*')).toBe(true);
    expect(wildcardMatch('abc', 'a?')).toBe(false);
    expect(wildcardMatch('a'.repeat(5000), '*a*a*a*a*b')).toBe(false); // no exponential backtracking
  });
  it('lists: a positive match wins unless a negated one matches', () => {
    expect(matchPatternList('bob', '*,!root')).toBe(1);
    expect(matchPatternList('root', '*,!root')).toBe(-1);
    expect(matchPatternList('root', '!root,*')).toBe(-1);
    expect(matchPatternList('eve', '!root')).toBe(0);
    expect(matchPatternList('WS.example.com'.toLowerCase(), '*.EXAMPLE.com', true)).toBe(1);
  });
});

describe('addresses', () => {
  it('parses IPv4 and IPv6', () => {
    expect(parseAddress('10.1.2.3')).toEqual({ family: 4, bytes: [10, 1, 2, 3] });
    expect(parseAddress('::1')?.bytes).toEqual([...new Array(15).fill(0), 1]);
    expect(parseAddress('::ffff:10.0.0.1')?.bytes.slice(10)).toEqual([255, 255, 10, 0, 0, 1]);
    expect(parseAddress('2001:db8::')?.family).toBe(6);
    expect(parseAddress('256.1.1.1')).toBeUndefined();
    expect(parseAddress('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseAddress('host.example')).toBeUndefined();
  });
  it('matches CIDR, wildcards and negation like addr_match_list', () => {
    expect(addrMatchList('10.1.2.3', '10.0.0.0/8')).toBe(1);
    expect(addrMatchList('10.1.2.3', '10.0.0.0/8,!10.1.0.0/16')).toBe(-1);
    expect(addrMatchList('192.168.1.1', '10.0.0.0/8')).toBe(0);
    expect(addrMatchList('10.1.2.3', '10.1.*')).toBe(1);
    expect(addrMatchList('2001:db8::5', '2001:db8::/32')).toBe(1);
    expect(addrMatchList('2001:db9::5', '2001:db8::/32')).toBe(0);
    expect(addrMatchList('10.1.2.3', '::/0')).toBe(0); // families never mix
    expect(addrMatchList('10.1.2.3', '0.0.0.0/0')).toBe(1);
    expect(addrMatchList('not-an-ip', '*')).toBe(0);
    expect(addrMatchList(undefined, '10.0.0.1/8')).toBe(-2); // host bits set: fatal in sshd
    expect(addrMatchList(undefined, '10.0.0.0/33')).toBe(-2);
    expect(addrMatchList(undefined, '10.0.0.0/8,')).toBe(-2);
  });
});

describe('criteria', () => {
  it('ANDs criteria on one line', () => {
    expect(criteriaMatch([c('user', '*,!root'), c('address', '10.0.0.0/8')], ctx())).toBe(true);
    expect(criteriaMatch([c('user', '*,!root'), c('address', '10.0.0.0/8')], ctx({ user: 'root' }))).toBe(false);
    expect(criteriaMatch([c('user', 'bob'), c('address', '192.168.0.0/16')], ctx())).toBe(false);
  });
  it('matches groups through ctx.groups; invalid users never', () => {
    expect(criteriaMatch([c('group', 'staff')], ctx())).toBe(true);
    expect(criteriaMatch([c('group', '*,!staff')], ctx())).toBe(false);
    expect(criteriaMatch([c('group', '*')], ctx({ userClass: 'invalid', groups: [] }))).toBe(false);
    expect(criteriaMatch([c('group', 'staff')], ctx({ userClass: 'invalid' }))).toBe(false);
  });
  it('matches host case-insensitively, local address and port', () => {
    expect(criteriaMatch([c('host', '*.EXAMPLE.COM')], ctx({ host: 'WS.example.com' }))).toBe(true);
    expect(criteriaMatch([c('localaddress', '10.0.0.0/24')], ctx())).toBe(true);
    expect(criteriaMatch([c('localport', '22')], ctx())).toBe(true);
    expect(criteriaMatch([c('localport', '2222')], ctx())).toBe(false);
    expect(criteriaMatch([c('all')], ctx())).toBe(true);
  });
  it('never matches a missing field or an unsupported criterion', () => {
    expect(criteriaMatch([c('host', '*')], ctx({ host: '' }))).toBe(false);
    expect(criteriaMatch([c('address', '*')], ctx({ addr: '' }))).toBe(false);
    expect(criteriaMatch([c('localport', '22')], ctx({ lport: 0 }))).toBe(false);
    expect(criteriaMatch([c('rdomain', '*')], ctx())).toBe(false);
    expect(criteriaMatch([c('colour', 'blue')], ctx())).toBe(false);
    expect(criteriaMatch([], ctx())).toBe(false);
  });
});
