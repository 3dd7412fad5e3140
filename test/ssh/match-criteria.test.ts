/**
 * Match criteria this machine's sshd (9.2) cannot show, checked against OpenSSH's source instead of a binary:
 * servconf.c match_cfg_line per tag (Invalid-User appears in V_9_9_P1, Version in V_10_0_P1; RDomain in
 * V_7_7_P1) and openbsd-compat/port-net.c (on Linux the routing domain is the socket's VRF device, '' when
 * unbound). Also Match Host under UseDNS yes, which no `sshd -T -C` can show either: what the probe cannot
 * decide must make the checks say unknown and name the Match line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostRoot } from '../../src/host/root.js';
import { parseCriteria, parseSshdConfig } from '../../probes/ssh/config-parser.js';
import { effectiveSettings } from '../../probes/ssh/effective.js';
import { activeWithoutConnection, criteriaOutcome, releaseString, versionOutcome } from '../../probes/ssh/match.js';
import { connectionSpec } from '../../probes/ssh/sshd-t.js';
import { buildContexts } from '../../probes/ssh/host-facts.js';
import { SSH_OPTIONS } from '../../probes/ssh/option-spec.js';
import { merge } from '../../probes/ssh/index.js';
import { authChecks } from '../../probes/ssh/checks/auth.js';
import type { EffectiveConfig, MatchCriterion, ParsedConfig, SshFacts } from '../../probes/ssh/types.js';
import { testContext as ctx } from '../helpers/ssh.js';
import { parsedOptions } from '../helpers/options.js';

const V92 = { major: 9, minor: 2 };
const V99 = { major: 9, minor: 9 };
const V100 = { major: 10, minor: 0, raw: 'OpenSSH_10.0p2' };
const c = (kind: string, patterns = ''): MatchCriterion => ({ kind, patterns });

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hostward-match-criteria-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function parse(text: string, version: { major: number; minor: number; raw?: string }): Promise<ParsedConfig> {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text + '\n');
  const p = await parseSshdConfig(new HostRoot('/'), file, { version });
  if (!('directives' in p)) throw new Error('unreadable');
  return p;
}

describe('which criteria exist in which release', () => {
  it('Invalid-User takes no argument from 9.9 and is unknown before', () => {
    expect(parseCriteria('Invalid-User', V99)).toEqual({ criteria: [c('invalid-user')] });
    expect(parseCriteria('invalid-USER User bob', V99).criteria).toEqual([c('invalid-user'), c('user', 'bob')]);
    expect(parseCriteria('Invalid-User all', V99).error).toMatch(/'all' cannot be combined/);
    expect(parseCriteria('Invalid-User', V92).error).toBe('Missing Match criteria for Invalid-User'); // as sshd 9.2 prints it
    expect(parseCriteria('Invalid-User x', V92).error).toBe('Unsupported Match attribute invalid-user');
  });
  it('Version exists from 10.0 and needs an argument', () => {
    expect(parseCriteria('Version OpenSSH_10.*', V100).error).toBeUndefined();
    expect(parseCriteria('version=OpenSSH_10.*', V100).criteria).toEqual([c('version', 'OpenSSH_10.*')]);
    expect(parseCriteria('Version', V100).error).toBe('Missing Match criteria for Version');
    expect(parseCriteria('Version OpenSSH_10.*', V99).error).toBe('Unsupported Match attribute version');
  });
  it('RDomain, Host and the rest are known in every supported release', () => {
    for (const k of ['RDomain *', 'Host h', 'LocalPort 22', 'LocalAddress 10.0.0.1', 'Group g'])
      expect(parseCriteria(k, V92).error).toBeUndefined();
  });
});

describe('what the newer criteria match (servconf.c, not a binary)', () => {
  it('Invalid-User matches only a user with no account, and never without a connection', () => {
    expect(criteriaOutcome([c('invalid-user')], ctx({ userClass: 'invalid', user: 'nosuch', groups: [] }))).toBe(true);
    expect(criteriaOutcome([c('invalid-user')], ctx())).toBe(false);
    expect(
      activeWithoutConnection({ criteria: [c('invalid-user')], file: 'f', line: 1, text: 'Match Invalid-User' }),
    ).toBe(false);
  });
  it('Version matches SSH_RELEASE case-sensitively with lists and negation', () => {
    expect(versionOutcome('OpenSSH_10.*', 'OpenSSH_10.0p2')).toBe(true);
    expect(versionOutcome('openssh_10.*', 'OpenSSH_10.0p2')).toBe(false);
    expect(versionOutcome('OpenSSH_9*,OpenSSH_10.0p1', 'OpenSSH_10.0p2')).toBe(false);
    expect(versionOutcome('OpenSSH_*,!OpenSSH_10.0p2', 'OpenSSH_10.0p2')).toBe(false);
    // Without the portable level, only patterns that agree for every level are decided.
    expect(versionOutcome('OpenSSH_10.0*', 'OpenSSH_10.0')).toBe(true);
    expect(versionOutcome('OpenSSH_10.0p2', 'OpenSSH_10.0')).toBe('unknown');
    expect(versionOutcome('OpenSSH_10.0p2', undefined)).toBe('unknown');
    expect(releaseString({ major: 9, minor: 2, raw: '1:9.2p1-2+deb12u10' })).toBe('OpenSSH_9.2p1');
    expect(releaseString({ major: 10, minor: 0 })).toBe('OpenSSH_10.0');
  });
  it('a matching Version block is active without a connection, so non-Match keywords are allowed in it', async () => {
    const p = await parse('Match Version OpenSSH_10.*\n  Port 2222\n  MaxAuthTries 2', V100);
    expect(p.problems.filter((x) => x.fatal)).toEqual([]);
    const s = effectiveSettings(p, ctx(), V100);
    expect(s.get('port')?.values).toEqual(['2222']);
    expect(s.get('maxauthtries')?.values).toEqual(['2']);
    const other = await parse('Match Version OpenSSH_9.*\n  Port 2222', V100);
    expect(other.problems.some((x) => x.fatal && /not allowed within a Match block/.test(x.message))).toBe(true);
  });
  it('Invalid-User blocks apply to invalid users only', async () => {
    const p = await parse('PasswordAuthentication yes\nMatch Invalid-User\n  PasswordAuthentication no', V99);
    expect(
      effectiveSettings(p, ctx({ userClass: 'invalid', user: 'x', groups: [] }), V99).get('passwordauthentication')
        ?.values,
    ).toEqual(['no']);
    expect(effectiveSettings(p, ctx(), V99).get('passwordauthentication')?.values).toEqual(['yes']);
  });
  it('RDomain matches the routing domain; none given never matches', () => {
    expect(criteriaOutcome([c('rdomain', '*')], ctx({ rdomain: '' }))).toBe(true);
    expect(criteriaOutcome([c('rdomain', 'vrf*,!vrf2')], ctx({ rdomain: 'vrf2' }))).toBe(false);
    expect(criteriaOutcome([c('rdomain', 'VRF1')], ctx({ rdomain: 'vrf1' }))).toBe(false);
    expect(criteriaOutcome([c('rdomain', '*')], ctx())).toBe(false);
    expect(connectionSpec(ctx({ rdomain: '' }))).toMatch(/,rdomain=$/);
    expect(connectionSpec(ctx({ rdomain: 'a,b' }))).toEqual({ error: expect.stringMatching(/rdomain/) });
    // sshd -T learns that a user has no account from the bare word invalid-user, which exists from 9.9.
    const invalid = ctx({ userClass: 'invalid', user: 'nosuch', groups: [] });
    expect(connectionSpec(invalid, V99)).toMatch(/,invalid-user$/);
    expect(connectionSpec(invalid, V92)).not.toMatch(/invalid-user/);
    expect(connectionSpec(ctx(), V100)).not.toMatch(/invalid-user/);
  });
});

describe('Match Host and UseDNS', () => {
  const passwd = [{ name: 'root', uid: 0, gid: 0, shell: '/bin/bash' }];
  it('contexts match Host against the address under UseDNS no, and are unresolved under UseDNS yes', () => {
    const base = { parsed: undefined, passwd, groups: [], ports: [22], laddr: '10.0.0.1', extraAddresses: [] };
    expect(buildContexts(base).every((x) => x.host === x.addr && !x.hostUnresolved)).toBe(true);
    expect(buildContexts({ ...base, useDns: true }).every((x) => x.hostUnresolved === true)).toBe(true);
    expect(buildContexts({ ...base, rdomain: '' }).every((x) => x.rdomain === '')).toBe(true);
  });
  it('an unresolved name leaves Host undecided unless the list is a bare *', () => {
    const u = ctx({ hostUnresolved: true, host: '10.1.2.3' });
    expect(criteriaOutcome([c('host', '*.corp.example')], u)).toBe('unknown');
    expect(criteriaOutcome([c('host', '*')], u)).toBe(true);
    expect(criteriaOutcome([c('host', '*,!bad.example')], u)).toBe('unknown');
    // Another criterion that is false decides the line.
    expect(criteriaOutcome([c('host', '*.corp.example'), c('user', 'nobody')], u)).toBe(false);
    expect(criteriaOutcome([c('host', '10.1.*')], ctx({ host: '10.1.2.3' }))).toBe(true);
  });

  const facts = (effective: EffectiveConfig[]): SshFacts =>
    ({ effective, options: parsedOptions(SSH_OPTIONS, {}) }) as unknown as SshFacts;
  const check = (id: string) => authChecks.find((x) => x.id === id)!;

  it('checks say unknown and name the Match line when a Host block could decide them', async () => {
    const p = await parse(
      'UseDNS yes\nPasswordAuthentication no\nPermitRootLogin no\nMatch Host *.corp.example\n  PasswordAuthentication yes\n  PermitRootLogin yes',
      V92,
    );
    const contexts = [ctx({ hostUnresolved: true }), ctx({ userClass: 'root', user: 'root', hostUnresolved: true })];
    const eff = contexts.map((x) => ({
      context: x,
      settings: effectiveSettings(p, x, V92),
      source: 'parser' as const,
    }));
    expect(eff[0]!.settings.get('passwordauthentication')).toMatchObject({
      values: ['no'],
      undecided: { line: 4, text: 'Match Host *.corp.example' },
    });
    for (const id of ['ssh.password_auth', 'ssh.permit_root_login']) {
      const r = check(id).evaluate(facts(eff));
      expect(r.status, id).toBe('unknown');
      expect(r.message, id).toMatch(/"Match Host \*\.corp\.example" \(.*:4\).*UseDNS yes/);
    }
    // The same file with a known name is decided either way.
    const named = [ctx({ host: 'ws.corp.example' }), ctx({ host: 'other.example' })];
    const decided = named.map((x) => ({
      context: x,
      settings: effectiveSettings(p, x, V92),
      source: 'parser' as const,
    }));
    expect(decided.map((d) => d.settings.get('passwordauthentication')?.undecided)).toEqual([undefined, undefined]);
    expect(check('ssh.password_auth').evaluate(facts(decided)).status).toBe('fail');
  });
  it('a decided failure elsewhere still fails; a block set after a matching one does not make it undecided', async () => {
    const p = await parse(
      'UseDNS yes\nMatch User bob\n  MaxAuthTries 9\nMatch Host *.corp.example\n  MaxAuthTries 2',
      V92,
    );
    const s = effectiveSettings(p, ctx({ hostUnresolved: true }), V92);
    expect(s.get('maxauthtries')).toMatchObject({ values: ['9'] });
    expect(s.get('maxauthtries')?.undecided).toBeUndefined();
    const s2 = effectiveSettings(p, ctx({ user: 'eve', hostUnresolved: true }), V92);
    expect(s2.get('maxauthtries')?.undecided?.line).toBe(4);
  });
  it("sshd -T values keep the parser's undecided mark and are not counted as a disagreement", () => {
    const line = { file: '/etc/ssh/sshd_config', line: 4, text: 'Match Host 10.1.*' };
    const parser = new Map([['passwordauthentication', { values: ['no'], source: 'file' as const, undecided: line }]]);
    const m = merge(new Map([['passwordauthentication', ['yes']]]), parser).get('passwordauthentication');
    expect(m).toMatchObject({ values: ['yes'], source: 'sshd -T', undecided: line });
    expect(m?.parserValues).toBeUndefined();
    const decided = new Map([['passwordauthentication', { values: ['no'], source: 'file' as const }]]);
    expect(
      merge(new Map([['passwordauthentication', ['yes']]]), decided).get('passwordauthentication')?.parserValues,
    ).toEqual(['no']);
  });
});
