/**
 * Match criteria against the real sshd: fast-check writes configurations of Match blocks over every
 * criterion this machine's OpenSSH (9.2) knows — User, Group, Host, Address, LocalAddress, LocalPort,
 * RDomain, All — with negations, comma lists, `Key=value` and keywords in any case, then compares the
 * parser's effective settings with `sshd -T -f cfg -C user=,host=,addr=,laddr=,lport=,rdomain=` for several
 * generated connection contexts. Criteria newer than the binary (Invalid-User, Version) must be rejected by
 * both; their semantics are tested against OpenSSH's source in match-criteria.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { parseSshdConfig } from '../../probes/ssh/config-parser.js';
import { effectiveSettings } from '../../probes/ssh/effective.js';
import { runSshdT } from '../../probes/ssh/sshd-t.js';
import { blockOutcomes } from '../../probes/ssh/match.js';
import type { ConnectionContext, ParsedConfig } from '../../probes/ssh/types.js';
import { TEST_GROUP_PRIMARY, TEST_GROUP_SUPP, TEST_USER } from './sshd-corpus-data.js';

const SSHD = '/usr/sbin/sshd';
const CAN_RUN = existsSync(SSHD) && process.getuid?.() === 0;
const VERSION = { major: 9, minor: 2 };
const RUNS = Number(process.env.HOSTWARD_MATCH_RUNS ?? 60);

const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const trySh = (cmd: string, args: string[]): void => {
  try {
    sh(cmd, args);
  } catch {
    /* cleanup of something that may not exist */
  }
};

const POOLS: Record<string, string[]> = {
  User: ['root', TEST_USER, 'hwt-*', 'r?ot', 'nosuch*', '*'],
  Group: ['root', TEST_GROUP_SUPP, TEST_GROUP_PRIMARY, 'hwt-*', '*'],
  Host: ['*.example.com', 'admin.example.com', 'ws.*', '10.1.*', '192.168.5.7', '*'],
  Address: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '203.0.113.9', '10.1.*', '::1', '*'],
  LocalAddress: ['10.0.0.1', '10.0.0.0/24', '192.168.5.0/24', '::1', '*'],
  RDomain: ['*', 'vrf1', 'vrf*', '!vrf1'],
};

/** A keyword spelt in random case, joined to its argument by a space or `=`. */
const spelt = (word: string) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }), fc.constantFrom(' ', '=', ' = '))
    .map(([up, sep]) => [...word].map((ch, i) => (up[i] ? ch.toUpperCase() : ch.toLowerCase())).join('') + sep);

const patternList = (kind: string) =>
  fc
    .array(fc.tuple(fc.boolean(), fc.constantFrom(...POOLS[kind]!)), { minLength: 1, maxLength: 3 })
    .map((l) => l.map(([neg, p]) => (neg && !p.startsWith('!') ? '!' + p : p)).join(','));

const criterion = fc.oneof(
  ...Object.keys(POOLS).map((k) => fc.tuple(spelt(k), patternList(k)).map(([kw, p]) => kw + p)),
  fc.tuple(spelt('LocalPort'), fc.constantFrom('22', '2222')).map(([kw, p]) => kw + p),
);
const matchLine = fc.oneof(
  { weight: 6, arbitrary: fc.array(criterion, { minLength: 1, maxLength: 2 }).map((c) => c.join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom('All', 'all', 'ALL') },
);
const directive = fc.oneof(
  fc.integer({ min: 1, max: 9 }).map((n) => `MaxAuthTries ${n}`),
  fc.integer({ min: 1, max: 9 }).map((n) => `MaxSessions ${n}`),
  fc.constantFrom('yes', 'no').map((v) => `X11Forwarding ${v}`),
  fc.constantFrom('yes', 'no').map((v) => `PasswordAuthentication ${v}`),
  fc.constantFrom('yes', 'no', 'prohibit-password', 'forced-commands-only').map((v) => `PermitRootLogin ${v}`),
  fc.integer({ min: 0, max: 600 }).map((n) => `ClientAliveInterval ${n}`),
  fc.constantFrom('/etc/issue.net', 'none').map((v) => `Banner ${v}`),
  fc.constantFrom('root', `${TEST_USER} root`).map((v) => `AllowUsers ${v}`),
);
const block = fc.tuple(matchLine, fc.array(directive, { minLength: 1, maxLength: 3 }));
const config = fc
  .tuple(fc.array(directive, { maxLength: 2 }), fc.array(block, { minLength: 1, maxLength: 4 }))
  .map(([global, blocks]) =>
    [...global, ...blocks.flatMap(([m, ds]) => [`Match ${m}`, ...ds.map((d) => `  ${d}`)])].join('\n'),
  );

describe.skipIf(!CAN_RUN)(
  CAN_RUN ? 'Match criteria agree with the real sshd -T' : `Match vs sshd -T (skipped: needs root and ${SSHD})`,
  () => {
    let dir = '';
    const exec = hostExec('/');
    const host = new HostRoot('/');
    const groupsOf: Record<string, string[]> = {};
    let contextPool: fc.Arbitrary<ConnectionContext>;

    beforeAll(() => {
      mkdirSync('/run/sshd', { recursive: true });
      dir = mkdtempSync(path.join(tmpdir(), 'hostward-match-'));
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'hk')]);
      for (const [cmd, args] of [
        ['userdel', [TEST_USER]],
        ['groupdel', [TEST_GROUP_SUPP]],
        ['groupdel', [TEST_GROUP_PRIMARY]],
      ] as const)
        trySh(cmd, [...args]);
      sh('groupadd', [TEST_GROUP_PRIMARY]);
      sh('groupadd', [TEST_GROUP_SUPP]);
      sh('useradd', [
        '-M',
        '-N',
        '-s',
        '/usr/sbin/nologin',
        '-g',
        TEST_GROUP_PRIMARY,
        '-G',
        TEST_GROUP_SUPP,
        TEST_USER,
      ]);
      for (const u of ['root', TEST_USER]) groupsOf[u] = sh('id', ['-Gn', u]).trim().split(/\s+/);
      contextPool = fc
        .record({
          user: fc.constantFrom('root', TEST_USER, 'nosuchuser-hw'),
          host: fc.constantFrom('admin.example.com', 'ws.corp.example', '10.1.2.3', '192.168.5.7', 'evil.example.net'),
          addr: fc.constantFrom('10.1.2.3', '192.168.5.7', '203.0.113.9', '2001:db8::5', '::1'),
          laddr: fc.constantFrom('10.0.0.1', '192.168.5.1', '::1'),
          lport: fc.constantFrom(22, 2222),
          rdomain: fc.constantFrom(undefined, '', 'vrf1', 'vrf2'),
        })
        .map((r) => {
          const cls: ConnectionContext['userClass'] =
            r.user === 'root' ? 'root' : r.user === TEST_USER ? 'user' : 'invalid';
          const ctx: ConnectionContext = {
            userClass: cls,
            user: r.user,
            groups: groupsOf[r.user] ?? [],
            host: r.host,
            addr: r.addr,
            laddr: r.laddr,
            lport: r.lport,
            label: JSON.stringify(r),
          };
          if (r.rdomain !== undefined) ctx.rdomain = r.rdomain;
          return ctx;
        });
    });

    afterAll(() => {
      trySh('userdel', [TEST_USER]);
      trySh('groupdel', [TEST_GROUP_SUPP]);
      trySh('groupdel', [TEST_GROUP_PRIMARY]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function parse(text: string, name: string): Promise<{ main: string; parsed: ParsedConfig }> {
      const main = path.join(dir, name);
      writeFileSync(main, `HostKey ${path.join(dir, 'hk')}\n${text}\n`);
      const parsed = await parseSshdConfig(host, main, { version: VERSION });
      if (!('directives' in parsed)) throw new Error(`cannot read ${main}`);
      return { main, parsed };
    }

    async function disagreements(parsed: ParsedConfig, main: string, ctx: ConnectionContext): Promise<string[]> {
      const real = await runSshdT(exec, SSHD, ctx, { configFile: main, timeoutMs: 10_000 });
      if (!real.ok) return [`sshd -T failed for ${ctx.label}: ${real.reason}`];
      const mine = effectiveSettings(parsed, ctx, VERSION);
      const out: string[] = [];
      for (const [k, want] of real.settings) {
        const got = mine.get(k)?.values ?? [];
        if (JSON.stringify(want) !== JSON.stringify(got))
          out.push(`${ctx.label} ${k}: sshd=${JSON.stringify(want)} parser=${JSON.stringify(got)}`);
      }
      return out;
    }

    it(`agrees with sshd -T on ${RUNS} generated configurations x 4 generated contexts`, async () => {
      let runs = 0;
      let matched = 0;
      let n = 0;
      await fc.assert(
        fc.asyncProperty(config, fc.array(contextPool, { minLength: 4, maxLength: 4 }), async (text, contexts) => {
          const { main, parsed } = await parse(text, `p${n++}.conf`);
          expect(parsed.problems.filter((p) => p.fatal)).toEqual([]);
          runs += contexts.length;
          matched += contexts.filter((ctx) =>
            [...blockOutcomes(parsed.directives, ctx).values()].some((o) => o === true),
          ).length;
          const found = await Promise.all(contexts.map((ctx) => disagreements(parsed, main, ctx)));
          expect(found.flat(), text).toEqual([]);
        }),
        { numRuns: RUNS },
      );
      console.info(
        `Match property test: ${RUNS} configurations, ${runs} sshd -T comparisons, ${matched} with a matching block`,
      );
      expect(runs).toBe(RUNS * 4);
      // Both outcomes are exercised: some contexts match a block, some match none.
      expect(matched).toBeGreaterThan(0);
      expect(matched).toBeLessThan(runs);
    }, 600_000);

    /** Distinct keywords (with values unlike their defaults), so that every block of a file shows on its own. */
    const PROBES = [
      'MaxAuthTries 2',
      'MaxSessions 3',
      'ClientAliveInterval 77',
      'ClientAliveCountMax 9',
      'X11DisplayOffset 42',
      'PermitTTY no',
      'X11Forwarding yes',
      'AllowAgentForwarding no',
    ];

    it('agrees on every pattern of every criterion, alone and negated, for a grid of contexts', async () => {
      const grid: ConnectionContext[] = [];
      for (const [user, host, addr, laddr, lport, rdomain] of [
        ['root', 'admin.example.com', '10.1.2.3', '10.0.0.1', 22, ''],
        [TEST_USER, 'ws.corp.example', '192.168.5.7', '192.168.5.1', 2222, 'vrf1'],
        ['nosuchuser-hw', 'evil.example.net', '203.0.113.9', '::1', 22, 'vrf2'],
        [TEST_USER, '10.1.2.3', '2001:db8::5', '10.0.0.1', 22, undefined],
        ['root', '192.168.5.7', '::1', '::1', 2222, ''],
      ] as const) {
        const cls: ConnectionContext['userClass'] = user === 'root' ? 'root' : user === TEST_USER ? 'user' : 'invalid';
        const ctx: ConnectionContext = {
          userClass: cls,
          user,
          groups: groupsOf[user] ?? [],
          host,
          addr,
          laddr,
          lport,
          label: `${user}@${addr}:${lport}/${rdomain}`,
        };
        if (rdomain !== undefined) ctx.rdomain = rdomain;
        grid.push(ctx);
      }
      let runs = 0;
      for (const kind of [...Object.keys(POOLS), 'LocalPort']) {
        const pats = kind === 'LocalPort' ? ['22', '2222'] : [...POOLS[kind]!, `*,!${POOLS[kind]![0]}`];
        for (let from = 0; from < pats.length; from += PROBES.length) {
          const text = pats
            .slice(from, from + PROBES.length)
            .map((p, i) => `Match ${kind} ${p}\n  ${PROBES[i]}`)
            .join('\n');
          const { main, parsed } = await parse(text, `g-${kind}-${from}.conf`);
          expect(
            parsed.problems.filter((x) => x.fatal),
            text,
          ).toEqual([]);
          const found = await Promise.all(grid.map((ctx) => disagreements(parsed, main, ctx)));
          runs += grid.length;
          expect(found.flat(), text).toEqual([]);
        }
      }
      console.info(`Match grid test: ${runs} sshd -T comparisons`);
    }, 600_000);

    it('a generated block matches in some contexts and not in others (the generator is not vacuous)', async () => {
      const { main, parsed } = await parse(
        `Match User root Address 10.0.0.0/8 LocalPort 22 RDomain *\n  MaxAuthTries 2`,
        'v.conf',
      );
      const base: ConnectionContext = {
        userClass: 'root',
        user: 'root',
        groups: groupsOf.root!,
        host: 'h',
        addr: '10.1.2.3',
        laddr: '10.0.0.1',
        lport: 22,
        rdomain: '',
        label: 'root',
      };
      const cases: [ConnectionContext, string][] = [
        [base, '2'],
        [{ ...base, lport: 2222 }, '6'],
        [(({ rdomain: _r, ...rest }) => rest)(base), '6'],
        [{ ...base, addr: '192.168.5.7' }, '6'],
      ];
      for (const [ctx, want] of cases) {
        expect(effectiveSettings(parsed, ctx, VERSION).get('maxauthtries')?.values).toEqual([want]);
        expect(await disagreements(parsed, main, ctx)).toEqual([]);
      }
    });

    it('rejects, like sshd 9.2, the criteria added after it (Invalid-User in 9.9, Version in 10.0)', async () => {
      const lines = [
        'Match Invalid-User',
        'Match Invalid-User\n  MaxAuthTries 2',
        'Match invalid-user User root',
        'Match Version OpenSSH_9*',
        'Match VERSION=OpenSSH_10.0*',
        'Match Colour blue',
      ];
      for (const [i, text] of lines.entries()) {
        const { main, parsed } = await parse(text, `r${i}.conf`);
        const real = await runSshdT(
          exec,
          SSHD,
          {
            userClass: 'root',
            user: 'root',
            groups: [],
            host: 'h',
            addr: '10.1.2.3',
            laddr: '10.0.0.1',
            lport: 22,
            label: 'root',
          },
          { configFile: main, timeoutMs: 10_000 },
        );
        expect(real.ok, text).toBe(false);
        if (!real.ok) expect(real.rejected, text).toBe(true);
        const fatal = parsed.problems.filter((p) => p.fatal).map((p) => p.message);
        expect(fatal.join('; '), text).toMatch(
          /Bad Match condition: (Missing Match criteria|Unsupported Match attribute)/,
        );
      }
    });
  },
);
