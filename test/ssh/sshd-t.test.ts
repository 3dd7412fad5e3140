import { describe, expect, it } from 'vitest';
import { connectionSpec, parseSshdTOutput, runSshdT } from '../../probes/ssh/sshd-t.js';
import type { ExecResult } from '../../src/sdk.js';
import type { ConnectionContext } from '../../probes/ssh/types.js';

const ctx: ConnectionContext = {
  userClass: 'root',
  user: 'root',
  groups: ['root'],
  host: 'h.example',
  addr: '10.0.0.2',
  laddr: '10.0.0.1',
  lport: 22,
  label: 'root',
};

function fakeExec(result: ExecResult, seen: { file?: string; args?: readonly string[] } = {}) {
  return async (file: string, args: readonly string[]): Promise<ExecResult> => {
    seen.file = file;
    seen.args = args;
    return result;
  };
}

describe('parseSshdTOutput', () => {
  it('reads key value lines, several values per key', () => {
    const m = parseSshdTOutput('port 22\nport 2222\npasswordauthentication no\nauthorizedkeysfile .ssh/a .ssh/b\r\n');
    expect(m.get('port')).toEqual(['22', '2222']);
    expect(m.get('passwordauthentication')).toEqual(['no']);
    expect(m.get('authorizedkeysfile')).toEqual(['.ssh/a .ssh/b']);
  });
  it('skips malformed lines', () => {
    const m = parseSshdTOutput('\n\nnoval\nBad Key x\n  port 1\nkey\u0000 x\nfoo bar\n\u00ff\u00fe garbage');
    expect([...m.keys()]).toEqual(['foo']);
  });
  it('copes with huge input', () => {
    const huge = 'x'.repeat(5 * 1024 * 1024) + '\n' + 'k v\n'.repeat(100_000);
    const m = parseSshdTOutput(huge);
    expect(m.get('x')).toBeUndefined();
    expect(m.get('k')!.length).toBeLessThanOrEqual(20_000);
  });
});

describe('runSshdT', () => {
  it('passes argument arrays with -f only when given, always laddr and lport', async () => {
    const seen: { file?: string; args?: readonly string[] } = {};
    const r = await runSshdT(
      fakeExec({ ok: true, code: 0, stdout: 'port 22\n', stderr: '' }, seen),
      '/usr/sbin/sshd',
      ctx,
      { timeoutMs: 100 },
    );
    expect(r).toEqual({ ok: true, settings: new Map([['port', ['22']]]) });
    expect(seen.args).toEqual(['-T', '-C', 'user=root,host=h.example,addr=10.0.0.2,laddr=10.0.0.1,lport=22']);
    await runSshdT(fakeExec({ ok: true, code: 0, stdout: 'port 22\n', stderr: '' }, seen), '/usr/sbin/sshd', ctx, {
      timeoutMs: 100,
      configFile: '/x/cfg',
    });
    expect(seen.args).toEqual([
      '-T',
      '-f',
      '/x/cfg',
      '-C',
      'user=root,host=h.example,addr=10.0.0.2,laddr=10.0.0.1,lport=22',
    ]);
  });
  it('refuses values that would change the -C specification', () => {
    expect(connectionSpec({ ...ctx, user: 'a,addr=1.1.1.1' })).toMatchObject({ error: expect.stringMatching(/user/) });
    expect(connectionSpec({ ...ctx, lport: 0 })).toMatchObject({ error: expect.stringMatching(/lport/) });
    expect(connectionSpec({ ...ctx, host: '' })).toBe('user=root,addr=10.0.0.2,laddr=10.0.0.1,lport=22');
  });
  it('tells a rejected configuration from an environmental failure', async () => {
    const cases: [string, boolean][] = [
      [
        '/etc/ssh/sshd_config: line 3: Bad configuration option: Foo\n/etc/ssh/sshd_config: terminating, 1 bad configuration options\n',
        true,
      ],
      ["/etc/ssh/sshd_config line 5: Directive 'Port' is not allowed within a Match block\n", true],
      ['Too many recursive configuration includes\n', true],
      ['sshd: no hostkeys available -- exiting.\n', false],
      ['Missing privilege separation directory: /run/sshd\n', false],
      ['/etc/ssh/nope: No such file or directory\n', false],
    ];
    for (const [stderr, rejected] of cases) {
      const r = await runSshdT(fakeExec({ ok: true, code: 255, stdout: '', stderr }), 'sshd', ctx, { timeoutMs: 100 });
      expect(r).toMatchObject({ ok: false, rejected });
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(10);
    }
    const nf = await runSshdT(
      fakeExec({ ok: false, reason: 'not_found', message: 'sshd not found', stderr: '' }),
      'sshd',
      ctx,
      { timeoutMs: 100 },
    );
    expect(nf).toMatchObject({ ok: false, reason: expect.stringMatching(/not found/) });
    const empty = await runSshdT(fakeExec({ ok: true, code: 0, stdout: '', stderr: '' }), 'sshd', ctx, {
      timeoutMs: 100,
    });
    expect(empty).toMatchObject({ ok: false });
  });
});
