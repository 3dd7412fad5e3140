/**
 * The parser against the real sshd: every configuration below is written to a temp dir with its own host key,
 * then for several connection contexts the parser's effective settings are compared with `sshd -T -f cfg -C`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { parseSshdConfig } from '../../probes/ssh/config-parser.js';
import { effectiveSettings } from '../../probes/ssh/effective.js';
import { runSshdT } from '../../probes/ssh/sshd-t.js';
import type { ConnectionContext, ParsedConfig } from '../../probes/ssh/types.js';
import {
  ACCEPTED,
  REJECTED,
  TEST_GROUP_PRIMARY,
  TEST_GROUP_SUPP,
  TEST_USER,
  type CorpusConfig,
} from './sshd-corpus-data.js';

const SSHD = '/usr/sbin/sshd';
const HAVE_SSHD = existsSync(SSHD);
const VERSION = { major: 9, minor: 2 };

const KEYS =
  `passwordauthentication kbdinteractiveauthentication usepam permitrootlogin permitemptypasswords pubkeyauthentication
maxauthtries x11forwarding allowtcpforwarding allowagentforwarding permittunnel gatewayports ignorerhosts hostbasedauthentication
permituserenvironment logingracetime clientaliveinterval clientalivecountmax loglevel maxstartups maxsessions banner allowusers
allowgroups denyusers denygroups ciphers macs kexalgorithms hostkeyalgorithms strictmodes gssapiauthentication kerberosauthentication
ignoreuserknownhosts x11uselocalhost disableforwarding authenticationmethods port hostkey pubkeyacceptedalgorithms requiredrsasize
casignaturealgorithms hostbasedacceptedalgorithms acceptenv setenv subsystem authorizedkeysfile listenaddress addressfamily
permitopen permitlisten forcecommand chrootdirectory tcpkeepalive compression syslogfacility printmotd usedns permittty
x11displayoffset ipqos`.split(/\s+/);

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function trySh(cmd: string, args: string[]): void {
  try {
    sh(cmd, args);
  } catch {
    /* cleanup of something that may not exist */
  }
}

function writeConfig(dir: string, c: CorpusConfig): string {
  const root = path.join(dir, c.name);
  mkdirSync(root, { recursive: true });
  const sub = (s: string): string =>
    s
      .replaceAll('@D@', root)
      .replaceAll('@U@', TEST_USER)
      .replaceAll('@G@', TEST_GROUP_SUPP)
      .replaceAll('@HK@', path.join(dir, 'hk'));
  for (const [rel, text] of Object.entries(c.files ?? {})) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, sub(text));
  }
  const main = path.join(root, 'sshd_config');
  writeFileSync(main, sub(`HostKey @HK@\n${c.main}\n`));
  return main;
}

if (!HAVE_SSHD) console.warn(`sshd corpus tests skipped: ${SSHD} is not installed (CI installs openssh-server)`);

describe.skipIf(!HAVE_SSHD)(
  HAVE_SSHD ? 'parser agrees with the real sshd -T' : `parser vs sshd -T (skipped: ${SSHD} absent)`,
  () => {
    let dir = '';
    let contexts: ConnectionContext[] = [];
    const exec = hostExec('/');
    const host = new HostRoot('/');
    let keyComparisons = 0;

    beforeAll(() => {
      mkdirSync('/run/sshd', { recursive: true });
      dir = mkdtempSync(path.join(tmpdir(), 'hostward-sshd-'));
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'hk')]);
      sh('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', path.join(dir, 'hk2')]);
      trySh('userdel', [TEST_USER]);
      trySh('groupdel', [TEST_GROUP_SUPP]);
      trySh('groupdel', [TEST_GROUP_PRIMARY]);
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
      const groups = sh('id', ['-Gn', TEST_USER]).trim().split(/\s+/);
      const rootGroups = sh('id', ['-Gn', 'root']).trim().split(/\s+/);
      contexts = [
        {
          userClass: 'root',
          user: 'root',
          groups: rootGroups,
          host: 'admin.example.com',
          addr: '10.1.2.3',
          laddr: '10.0.0.1',
          lport: 22,
          label: 'root from 10.1.2.3',
        },
        {
          userClass: 'user',
          user: TEST_USER,
          groups,
          host: 'ws.corp.example',
          addr: '192.168.5.7',
          laddr: '192.168.5.1',
          lport: 2222,
          label: `${TEST_USER} from 192.168.5.7`,
        },
        {
          userClass: 'invalid',
          user: 'nosuchuser-hw',
          groups: [],
          host: 'evil.example.net',
          addr: '203.0.113.9',
          laddr: '10.0.0.1',
          lport: 22,
          label: 'nosuchuser from 203.0.113.9',
        },
        {
          userClass: 'user',
          user: TEST_USER,
          groups,
          host: 'v6.example.com',
          addr: '2001:db8::5',
          laddr: '::1',
          lport: 22,
          label: `${TEST_USER} from 2001:db8::5`,
        },
        {
          userClass: 'root',
          user: 'root',
          groups: rootGroups,
          host: 'lan.corp.example',
          addr: '192.168.77.1',
          laddr: '192.168.5.1',
          lport: 2222,
          label: 'root from 192.168.77.1',
        },
      ];
    });

    afterAll(() => {
      trySh('userdel', [TEST_USER]);
      trySh('groupdel', [TEST_GROUP_SUPP]);
      trySh('groupdel', [TEST_GROUP_PRIMARY]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it(`has at least 40 accepted configurations (${ACCEPTED.length})`, () => {
      expect(ACCEPTED.length).toBeGreaterThanOrEqual(40);
    });

    // One sshd -T per configuration and context (several hundred processes, each bounded by runSshdT's own
    // 10 s): the default 30 s ran out on a loaded 2-core machine. A configuration's contexts run at once.
    it('agrees with sshd -T on every configuration and context', { timeout: 300_000 }, async () => {
      const disagreements: string[] = [];
      let compared = 0;
      keyComparisons = 0;
      for (const c of ACCEPTED) {
        const main = writeConfig(dir, c);
        const parsed = await parseSshdConfig(host, main);
        if (!('directives' in parsed)) throw new Error(`${c.name}: parser could not read ${main}`);
        const fatal = parsed.problems.filter((p) => p.fatal);
        if (fatal.length > 0)
          disagreements.push(`${c.name}: parser reports fatal problems sshd accepts: ${JSON.stringify(fatal)}`);
        compared += contexts.length;
        const found = await Promise.all(contexts.map((ctx) => compare(c.name, parsed, main, ctx)));
        disagreements.push(...found.flat());
      }
      if (disagreements.length > 0) console.error(disagreements.join('\n'));
      expect(compared).toBeGreaterThanOrEqual(40 * 3);
      expect(keyComparisons).toBeGreaterThan(compared * 90);
      console.info(
        `compared ${ACCEPTED.length} configurations x ${contexts.length} contexts = ${compared} runs, ${keyComparisons} keyword values`,
      );
      expect(disagreements).toEqual([]);
    });

    async function compare(
      name: string,
      parsed: ParsedConfig,
      main: string,
      ctx: ConnectionContext,
    ): Promise<string[]> {
      const real = await runSshdT(exec, SSHD, ctx, { configFile: main, timeoutMs: 10_000 });
      if (!real.ok) return [`${name} [${ctx.label}]: sshd -T failed: ${real.reason}`];
      const mine = effectiveSettings(parsed, ctx, VERSION);
      const out: string[] = [];
      // The required keywords, plus everything else sshd printed.
      const keys = [...new Set([...KEYS, ...real.settings.keys()])];
      keyComparisons += keys.length;
      for (const k of keys) {
        const want = real.settings.get(k) ?? [];
        const got = mine.get(k)?.values ?? [];
        if (JSON.stringify(want) !== JSON.stringify(got)) {
          out.push(`${name} [${ctx.label}] ${k}: sshd=${JSON.stringify(want)} parser=${JSON.stringify(got)}`);
        }
      }
      return out;
    }

    it('flags as fatal every configuration sshd rejects', async () => {
      const misses: string[] = [];
      for (const c of REJECTED) {
        const main = writeConfig(dir, c);
        const real = await runSshdT(exec, SSHD, contexts[0]!, { configFile: main, timeoutMs: 10_000 });
        if (real.ok || !real.rejected)
          misses.push(`${c.name}: sshd did not reject: ${JSON.stringify(real.ok ? 'ok' : real)}`);
        const parsed = await parseSshdConfig(host, main);
        if (!('directives' in parsed)) {
          misses.push(`${c.name}: parser could not read the file`);
          continue;
        }
        if (!parsed.problems.some((p) => p.fatal)) misses.push(`${c.name}: parser found no fatal problem`);
      }
      if (misses.length > 0) console.error(misses.join('\n'));
      expect(misses).toEqual([]);
    });

    it.runIf(existsSync('/etc/ssh/sshd_config') && existsSync('/etc/ssh/ssh_host_ed25519_key'))(
      "agrees on this machine's own /etc/ssh/sshd_config (no -f)",
      async () => {
        const parsed = await parseSshdConfig(host);
        if (!('directives' in parsed)) throw new Error('cannot read /etc/ssh/sshd_config');
        const out: string[] = [];
        for (const ctx of contexts) {
          const real = await runSshdT(exec, SSHD, ctx, { timeoutMs: 10_000 });
          if (!real.ok) {
            out.push(`sshd -T failed: ${real.reason}`);
            continue;
          }
          const mine = effectiveSettings(parsed, ctx, VERSION);
          for (const k of new Set([...KEYS, ...real.settings.keys()])) {
            const want = JSON.stringify(real.settings.get(k) ?? []);
            const got = JSON.stringify(mine.get(k)?.values ?? []);
            if (want !== got) out.push(`[${ctx.label}] ${k}: sshd=${want} parser=${got}`);
          }
        }
        expect(out).toEqual([]);
      },
    );

    it('reports environmental failures as not rejected', async () => {
      const r = await runSshdT(exec, SSHD, contexts[0]!, {
        configFile: path.join(dir, 'does-not-exist'),
        timeoutMs: 10_000,
      });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.rejected).toBeFalsy();
      const main = path.join(dir, 'nokey.conf');
      writeFileSync(main, `HostKey ${path.join(dir, 'missing-key')}\n`);
      const r2 = await runSshdT(exec, SSHD, contexts[0]!, { configFile: main, timeoutMs: 10_000 });
      expect(r2.ok).toBe(false);
      if (!r2.ok) {
        expect(r2.rejected).toBeFalsy();
        expect(r2.reason).toMatch(/host ?key/i);
      }
      const r3 = await runSshdT(exec, '/nonexistent/sshd', contexts[0]!, { timeoutMs: 1000 });
      expect(r3).toMatchObject({ ok: false });
    });
  },
);
