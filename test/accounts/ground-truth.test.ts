/**
 * hostward's account checks against the real shadow-utils tools on the same roots: pwck -r and grpck -r (read
 * only, chrooted with -R) and passwd -S -a. Every complaint of pwck/grpck (but missing home directories, which
 * this probe does not judge) must show as a failing check naming the same account or group, and a root they
 * find clean must pass databases_consistent; passwd -S's NP (no password) accounts are exactly the accounts
 * no_empty_passwords names.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { materialize } from '../helpers/hosts.js';
import { accountsFixtureNames, byCheck, scanAccounts } from './helpers.js';

const tool = (name: string): string | undefined =>
  ['/usr/sbin', '/usr/bin', '/sbin'].map((d) => path.join(d, name)).find((p) => existsSync(p));
const PWCK = tool('pwck');
const GRPCK = tool('grpck');
const PASSWD = tool('passwd');
// -R chroots, which needs root.
const canRun = process.getuid?.() === 0 && PWCK && GRPCK && PASSWD;

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function run(file: string, args: string[]): string[] {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 20_000, input: '' });
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => l !== '' && !/does not exist|no changes|^delete (line|member)/.test(l));
}

/** Fixtures whose account files are regular files (the tools refuse the others outright). */
const comparable = accountsFixtureNames().filter((n) => {
  const etc = path.join('test/fixtures/hosts', n, 'etc');
  return ['passwd', 'group', 'shadow', 'gshadow'].every(
    (f) => existsSync(path.join(etc, f)) && statSync(path.join(etc, f)).isFile(),
  );
});

describe.skipIf(!canRun)('accounts checks agree with pwck, grpck and passwd -S', () => {
  it('compares at least the stock, weak, hardened and RHEL fixtures', () => {
    expect(comparable.length).toBeGreaterThanOrEqual(4);
  });

  describe.each(comparable)('fixture %s', (name) => {
    it('every pwck/grpck complaint is a failing check, and a clean root passes', async () => {
      const m = materialize(name);
      cleanups.push(m.cleanup);
      const report = await scanAccounts(m.root, 'server', m.spec.now);
      const f = byCheck(report);
      const complaints = [...run(PWCK!, ['-r', '-R', m.root]), ...run(GRPCK!, ['-r', '-R', m.root])];
      const failing = (id: string, text: string): boolean =>
        f.get(id)?.status === 'fail' && f.get(id)!.message.includes(text);
      const unexplained = complaints.filter((c) => {
        let x: RegExpExecArray | null;
        if ((x = /^user '(.+)': no group (\d+)/.exec(c)))
          return !failing('accounts.passwd_groups_exist', `${x[1]} (gid ${x[2]})`);
        if ((x = /^user (\S+) has an entry in .*not set to 'x'/.exec(c)))
          return !failing('accounts.passwords_shadowed', x[1]!);
        if ((x = /^user (\S+): last password change in the future/.exec(c)))
          return !failing('accounts.password_change_past', x[1]!);
        if ((x = /^'(.+)' is a member of the '(.+)' group in .*but not in/.exec(c)))
          return !failing('accounts.databases_consistent', `${x[1]} in ${x[2]}`);
        if (c === 'duplicate password entry') return !failing('accounts.unique_user_names', 'duplicate user name');
        if (c === 'duplicate group entry' || c === 'duplicate shadow group entry')
          return !failing('accounts.unique_group_names', 'duplicate group name');
        if (c === 'invalid password file entry') return !failing('accounts.databases_consistent', 'malformed line');
        if (c === 'no matching password file entry in /etc/passwd')
          return !failing('accounts.databases_consistent', 'without an account');
        return true;
      });
      expect(unexplained, complaints.join('\n')).toEqual([]);
      if (complaints.length === 0) expect(f.get('accounts.databases_consistent')?.status).toBe('pass');
      else expect(f.get('accounts.databases_consistent')?.status).toBe('fail');
    });

    it('passwd -S -a calls NP exactly the accounts no_empty_passwords names', async () => {
      const m = materialize(name);
      cleanups.push(m.cleanup);
      const report = await scanAccounts(m.root, 'server', m.spec.now);
      const status = run(PASSWD!, ['-S', '-a', '-R', m.root]).map((l) => l.split(' '));
      expect(status.length).toBeGreaterThan(0);
      const np = status.filter((s) => s[1] === 'NP').map((s) => s[0]!);
      const finding = byCheck(report).get('accounts.no_empty_passwords')!;
      if (np.length === 0) expect(finding.status).toBe('pass');
      else {
        expect(finding.status).toBe('fail');
        for (const u of np) expect(finding.message).toContain(u);
      }
    });
  });
});
