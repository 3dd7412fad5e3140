/**
 * A file the agent cannot read was not compared with the baseline: its checks say unknown, never pass. Real
 * conditions: the baseline is built with full root, then the scan runs as root without DAC_OVERRIDE and
 * DAC_READ_SEARCH (under setpriv, as a pod without those capabilities would), where a mode-0000 file (RHEL's
 * /etc/shadow) cannot be opened. The same scan with every capability must pass: the control.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(repo, 'dist/src/cli/main.js');
const canDrop = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

interface Finding {
  check: string;
  status: string;
  message: string;
}

describe.skipIf(!canDrop)('integrity: unreadable files are not compared (needs root and setpriv)', () => {
  let dir: string;
  let root: string;
  let config: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run npm run build first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-integrity-uncompared-'));
    root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'etc/ssh'), { recursive: true });
    writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PasswordAuthentication no\n');
    writeFileSync(path.join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
    chmodSync(path.join(root, 'etc/shadow'), 0o000);
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      'version: 1\nrules:\n  - { path: /etc/ssh, properties: config, category: ssh }\n  - { path: /etc/shadow, properties: config, category: accounts }\n',
    );
    const key = path.join(dir, 'key');
    writeFileSync(key, 'k'.repeat(32), { mode: 0o600 });
    const db = path.join(dir, 'integrity.db');
    const init = spawnSync(
      process.execPath,
      [CLI, 'integrity', 'init', '--root', root, '--policy', policy, '--db', db, '--key-file', key],
      { encoding: 'utf8' },
    );
    expect(init.status, init.stderr).toBe(0);
    config = path.join(dir, 'config.yaml');
    writeFileSync(config, `probes:\n  integrity: { db: ${db}, keyFile: ${key}, policy: ${policy}, rehashSlices: 1 }\n`);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scan = (dropDac: boolean): Map<string, Finding> => {
    const argv = [CLI, 'scan', '--root', root, '--probe', 'integrity', '--format', 'json', '--config', config];
    const r = dropDac
      ? spawnSync(
          'setpriv',
          ['--inh-caps=-all', '--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, ...argv],
          { encoding: 'utf8' },
        )
      : spawnSync(process.execPath, argv, { encoding: 'utf8' });
    expect(r.stdout, r.stderr).toContain('"findings"');
    const report = JSON.parse(r.stdout) as { findings: Finding[] };
    return new Map(report.findings.map((f) => [f.check, f]));
  };

  // rehashSlices 1: every check re-reads every file (otherwise an unchanged stat reuses the recorded hash).
  it('without DAC_OVERRIDE and DAC_READ_SEARCH, its category and the overall check are unknown, naming the file', () => {
    const f = scan(true);
    const accounts = f.get('integrity.accounts_unchanged')!;
    expect(accounts.status).toBe('unknown');
    expect(accounts.message).toContain('/etc/shadow');
    expect(f.get('integrity.files_unchanged')?.status).toBe('unknown');
    // Another category, fully read, still decides.
    expect(f.get('integrity.ssh_unchanged')?.status).toBe('pass');
  });

  it('with every capability the mode-0000 file is read and everything passes (control)', () => {
    const f = scan(false);
    expect(f.get('integrity.accounts_unchanged')?.status).toBe('pass');
    expect(f.get('integrity.files_unchanged')?.status).toBe('pass');
  });
});
