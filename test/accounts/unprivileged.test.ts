/**
 * The built CLI scanning a Debian 12 fixture as nobody (uid 65534, no capabilities): /etc/shadow (0640
 * root:shadow) and /etc/sudoers (0440 root) cannot be read, so every check that needs them is `unknown` and
 * names CAP_DAC_READ_SEARCH; nothing that needs them passes. What /etc/passwd alone decides is still decided.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/contracts.js';
import { materialize } from '../helpers/hosts.js';

const CLI = path.resolve('dist/src/cli/main.js');
const SHADOW_CHECKS = [
  'accounts.no_empty_passwords',
  'accounts.stored_hashes_strong',
  'accounts.users_password_ageing',
  'accounts.password_change_past',
];
const SUDO_CHECKS = [
  'accounts.sudo_use_pty',
  'accounts.sudo_logfile',
  'accounts.sudo_nopasswd',
  'accounts.sudo_authenticate',
  'accounts.sudo_timestamp_timeout',
];

// Needs root to drop to nobody, a build that has the accounts probe, and a checkout that nobody may read.
const nobodyCanRun =
  process.getuid?.() === 0 &&
  spawnSync(
    process.execPath,
    ['-e', `require('fs').accessSync(${JSON.stringify(CLI)}, require('fs').constants.R_OK)`],
    { uid: 65534, gid: 65534 },
  ).status === 0 &&
  spawnSync(process.execPath, [CLI, 'checks', '--format', 'json'], { encoding: 'utf8' }).stdout.includes(
    'accounts.sudo_nopasswd',
  );

const m = materialize('accounts-debian12-hardened');
afterAll(() => m.cleanup());

describe.skipIf(!nobodyCanRun)('accounts scan without privileges', () => {
  it('root-only files make their checks unknown with the capability named, never pass', () => {
    chmodSync(path.dirname(m.root), 0o755);
    const r = spawnSync(process.execPath, [CLI, 'scan', '--root', m.root, '--probe', 'accounts', '--format', 'json'], {
      encoding: 'utf8',
      uid: 65534,
      gid: 65534,
      env: { PATH: process.env.PATH },
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout) as Report;
    const by = (id: string) => rep.findings.find((f) => f.check === id)!;
    for (const id of [...SHADOW_CHECKS, ...SUDO_CHECKS]) {
      expect(by(id).status, `${id}: ${by(id).message}`).toBe('unknown');
      expect(by(id).message, id).toMatch(/CAP_DAC_READ_SEARCH/);
    }
    expect(by('accounts.no_empty_passwords').message).toMatch(/\/etc\/shadow: unreadable \(EACCES/);
    // /etc/passwd and /etc/group are world-readable: those checks still decide.
    expect(by('accounts.uid0_only_root').status).toBe('pass');
    expect(by('accounts.system_accounts_no_shell').status).toBe('pass');
    // The same root scanned as root passes them all (the fixture test pins that), so the unknowns are the reader's.
  });
});
