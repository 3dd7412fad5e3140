/** What the accounts probe reads from small built roots: includes followed and bounded, paths, roles. */
import { describe, it, expect, afterEach } from 'vitest';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { byCheck, gatherAccounts, makeRoot, scanAccounts } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
function root(files: Parameters<typeof makeRoot>[0]): string {
  const r = makeRoot(files);
  cleanups.push(r.cleanup);
  return r.root;
}

describe('PAM stacks', () => {
  it('a file that includes itself is reported once and not followed', async () => {
    const r = root({ 'etc/pam.d/common-auth': '@include common-auth\nauth required pam_faillock.so preauth\n' });
    const f = await gatherAccounts(r);
    const s = f.pam.stacks.find((x) => x.file === '/etc/pam.d/common-auth')!;
    expect(s.modules.map((m) => m.module)).toEqual(['pam_faillock.so']);
    expect(s.problems).toEqual([
      '/etc/pam.d/common-auth:1: includes /etc/pam.d/common-auth again (a loop), not followed',
    ]);
  });

  it('include and substack take the lines of their own type only; a missing included file is a problem', async () => {
    const r = root({
      'etc/pam.d/system-auth': 'auth substack other-auth\npassword include nothere\n',
      'etc/pam.d/other-auth': 'auth required pam_faillock.so deny=4\naccount required pam_unix.so\n',
    });
    const f = await gatherAccounts(r);
    expect(f.pam.family).toBe('rhel');
    const s = f.pam.stacks[0]!;
    expect(s.modules.map((m) => `${m.type} ${m.module} ${m.file}:${m.line}`)).toEqual([
      'auth pam_faillock.so /etc/pam.d/other-auth:1',
    ]);
    expect(s.problems).toEqual([expect.stringMatching(/^\/etc\/pam\.d\/nothere: missing/)]);
  });

  it('an include bomb (every file including the next many times) is bounded in includes and lines', async () => {
    // 50^4 expansions unbounded; nesting stays within the depth limit, so only the include budget stops it.
    const files: Record<string, string> = { 'etc/pam.d/common-auth': '@include l1\n'.repeat(50) };
    for (let i = 1; i <= 3; i++)
      files[`etc/pam.d/l${i}`] = `@include l${i + 1}\n`.repeat(50) + 'auth required pam_unix.so\n';
    files['etc/pam.d/l4'] = 'auth required pam_faillock.so\n'.repeat(100);
    const f = await gatherAccounts(root(files));
    const s = f.pam.stacks.find((x) => x.file === '/etc/pam.d/common-auth')!;
    expect(s.modules.length).toBe(1024);
    expect(s.problems.some((p) => /more than 64 includes, not followed/.test(p))).toBe(true);
    expect(s.problems.length).toBeLessThanOrEqual(100);
  });

  it('a missing /etc/pam.d is a host without PAM (skip), not a read problem', async () => {
    const rep = await scanAccounts(root({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' }), 'server');
    expect(byCheck(rep).get('accounts.pam_unix_no_nullok')).toMatchObject({ status: 'skip' });
  });
});

describe('sudoers', () => {
  it('follows relative and directory includes in sudo order, once each, and skips names sudo skips', async () => {
    const r = root({
      'etc/sudoers': '@include local\n@includedir /etc/sudoers.d\n@include /etc/sudoers\n',
      'etc/local': 'Defaults use_pty\n',
      'etc/sudoers.d/b': 'b ALL=(ALL) NOPASSWD: ALL\n',
      'etc/sudoers.d/a': 'a ALL=(ALL) ALL\n',
      'etc/sudoers.d/c.rpmsave': 'c ALL=(ALL) NOPASSWD: ALL\n',
      'etc/sudoers.d/d~': 'd ALL=(ALL) NOPASSWD: ALL\n',
    });
    const f = await gatherAccounts(r);
    expect(f.sudo.files.map((x) => x.file)).toEqual([
      '/etc/sudoers',
      '/etc/local',
      '/etc/sudoers.d/a',
      '/etc/sudoers.d/b',
    ]);
    const rep = byCheck(await scanAccounts(r, 'server'));
    expect(rep.get('accounts.sudo_use_pty')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('/etc/local:1'),
    });
    // A server gets no cloud-init note; a node does.
    expect(rep.get('accounts.sudo_nopasswd')!.message).toBe('1 sudo rule with NOPASSWD: /etc/sudoers.d/b:1 (b)');
    const node = byCheck(await scanAccounts(r, 'node'));
    expect(node.get('accounts.sudo_nopasswd')!.message).toContain('cloud-init');
  });

  it('the last global Defaults wins: use_pty then !use_pty fails', async () => {
    const r = root({
      'etc/sudoers': 'Defaults use_pty\n#includedir /etc/sudoers.d\n',
      'etc/sudoers.d/zz': 'Defaults !use_pty\n',
    });
    expect(byCheck(await scanAccounts(r, 'server')).get('accounts.sudo_use_pty')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('/etc/sudoers.d/zz:1'),
    });
  });
});

describe('sudo timeout and su', () => {
  it('!timestamp_timeout (a password every time) passes; a positive value above 15 fails', async () => {
    const check = async (line: string) =>
      byCheck(await scanAccounts(root({ 'etc/sudoers': `${line}\n` }), 'server')).get(
        'accounts.sudo_timestamp_timeout',
      )!;
    expect(await check('Defaults !timestamp_timeout')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('0 (!timestamp_timeout)'),
    });
    expect((await check('Defaults timestamp_timeout=30')).status).toBe('fail');
  });

  it('a pam_wheel line with deny or trust does not count as restricting su', async () => {
    const files = {
      'etc/group': 'sugroup:x:1001:\n',
      'etc/pam.d/su':
        'auth sufficient pam_wheel.so trust use_uid group=sugroup\nauth required pam_wheel.so deny use_uid group=sugroup\n',
    };
    const f = byCheck(await scanAccounts(root(files), 'server')).get('accounts.su_restricted')!;
    expect(f).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('has no "auth required pam_wheel.so"'),
    });
    const ok = { ...files, 'etc/pam.d/su': 'auth required pam_wheel.so use_uid group=sugroup\n' };
    expect(byCheck(await scanAccounts(root(ok), 'server')).get('accounts.su_restricted')!.status).toBe('pass');
  });
});

describe("root's PATH", () => {
  it('a directory owned by another user fails; $-expansions are left alone; a missing one is not judged', async () => {
    const r = root({
      'etc/environment': 'PATH="/usr/bin:/opt/tools:/nonexistent"\n',
      'root/.bashrc': 'PATH="$HOME/bin:$PATH"\n',
      'usr/bin/.keep': '',
      'opt/tools/.keep': '',
    });
    for (const d of ['usr', 'usr/bin', 'opt', 'opt/tools']) chmodSync(path.join(r, d), 0o755);
    chownSync(path.join(r, 'opt/tools'), 1000, 1000);
    const f = byCheck(await scanAccounts(r, 'server')).get('accounts.root_path')!;
    expect(f).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('/opt/tools (owned by uid 1000, not root)'),
    });
    expect(f.message).not.toContain('nonexistent');
    chownSync(path.join(r, 'opt/tools'), 0, 0);
    expect(byCheck(await scanAccounts(r, 'server')).get('accounts.root_path')!.status).toBe('pass');
  });
});

describe('shadow ageing and the clock', () => {
  it('a last change after the scan clock fails; the same date before it passes', async () => {
    const r = root({
      'etc/shadow': 'u:$y$j9T$s$h:20800:1:365:7:45::\n',
      'etc/passwd': 'u:x:1000:1000::/home/u:/bin/sh\n',
    });
    mkdirSync(path.join(r, 'etc/pam.d'), { recursive: true });
    expect(
      byCheck(await scanAccounts(r, 'server', '2026-12-06T00:00:00Z')).get('accounts.password_change_past')!.status,
    ).toBe('fail');
    expect(
      byCheck(await scanAccounts(r, 'server', '2026-12-31T00:00:00Z')).get('accounts.password_change_past')!.status,
    ).toBe('pass');
  });
});
