/** `hostward integrity init|check|accept` through the built CLI: DESIGN.md's JSON shape and exit codes. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

const CLI = path.resolve('dist/src/cli/main.js');
let dir: string;
let root: string;
let db: string;
let key: string;
const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, 'integrity', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
    timeout: 30_000,
  });
const common = () => ['--root', root, '--path', '/etc/ssh', '--db', db, '--key-file', key];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-integrity-cli-'));
  root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'etc/ssh'), { recursive: true });
  writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PasswordAuthentication no\n');
  db = path.join(dir, 'integrity.db');
  key = path.join(dir, 'key');
  writeFileSync(key, randomBytes(32), { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostward integrity', () => {
  it('init writes a signed baseline; check with nothing changed exits 0 with empty lists', () => {
    const init = run('init', ...common(), '--format', 'json');
    expect(init.status, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ records: 2, signed: true });
    const check = run('check', ...common(), '--format', 'json');
    expect(check.status).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({ added: [], removed: [], modified: [] });
  });

  it('check reports host paths of what changed and exits 1; accept --only takes one path', () => {
    writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    writeFileSync(path.join(root, 'etc/ssh/50-cloud-init.conf'), 'PasswordAuthentication yes\n');
    const check = run('check', ...common(), '--format', 'json');
    expect(check.status).toBe(1);
    const out = JSON.parse(check.stdout) as {
      added: string[];
      removed: string[];
      modified: { path: string; changes: string[] }[];
    };
    expect(out.added).toEqual(['/etc/ssh/50-cloud-init.conf']);
    expect(out.modified.find((m) => m.path === '/etc/ssh/sshd_config')?.changes).toContain('sha256');
    expect(run('accept', ...common(), '--only', '/etc/ssh/sshd_config').status).toBe(0);
    const after = JSON.parse(run('check', ...common(), '--format', 'json').stdout) as typeof out;
    expect(after.modified.map((m) => m.path)).not.toContain('/etc/ssh/sshd_config');
    expect(after.added).toEqual(['/etc/ssh/50-cloud-init.conf']);
  });

  it('an intruder who changes a file, re-signs the baseline with their own key and drops the key setting: exit 1', () => {
    const own = path.join(dir, 'intruder-key');
    writeFileSync(own, randomBytes(32), { mode: 0o600 });
    const mine = () => ['--root', root, '--path', '/etc/ssh', '--db', db];
    expect(run('init', ...common()).status).toBe(0);
    writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PermitRootLogin yes\n');
    const forged = run('init', ...mine(), '--key-file', own, '--format', 'json');
    expect(forged.status).toBe(0);
    const g = (JSON.parse(forged.stdout) as { generation: number }).generation;
    const check = run('check', ...mine(), '--format', 'json');
    expect(check.status, check.stdout).toBe(1);
    expect(check.stderr).toMatch(/signed but no integrity key is configured/);
    expect(check.stdout).toBe('');
    // With the right key it is another key's baseline; with the intruder's it verifies (and is theirs to own).
    expect(run('check', ...common()).status).toBe(1);
    // init and accept name the generation: this init continues from the intruder's, accept raises it.
    const init = JSON.parse(run('init', ...common(), '--format', 'json').stdout) as { generation: number };
    expect(init.generation).toBe(g + 1);
    const acc = JSON.parse(run('accept', ...common(), '--format', 'json').stdout) as { generation: number };
    expect(acc.generation).toBe(g + 2);
    expect(run('check', ...common()).stdout).toContain(`(generation ${g + 2})`);
    // Rebuilt past the highest generation the collector saw (after a rollback, or a wiped state directory).
    expect(JSON.parse(run('init', ...common(), '--min-generation', '50', '--format', 'json').stdout)).toMatchObject({
      generation: 50,
    });
    expect(run('init', ...common(), '--min-generation', '0').status).toBe(2);
    expect(run('init', ...common(), '--min-generation', 'x').status).toBe(2);
    expect(run('accept', ...common(), '--min-generation', '60').status).toBe(2);
  });

  it('a tampered baseline exits 1 with the reason; no baseline and bad usage exit 2', () => {
    appendFileSync(db, 'x');
    const t = run('check', ...common());
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/truncated|tampered|corrupt/);
    const none = run('check', '--root', root, '--path', '/etc/ssh', '--db', path.join(dir, 'none.db'));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no baseline/);
    expect(run('frobnicate').status).toBe(2);
    expect(run('check', '--policy', '/x.yaml', '--path', '/etc').status).toBe(2);
  });
});
