/**
 * The agent's configuration keys for its endpoints: agent.webConfigFile (HOSTWARD_WEB_CONFIG_FILE,
 * --web.config.file) and agent.listen (a list, HOSTWARD_LISTEN), validated with errors naming the key; the real
 * CLI refuses to start (exit 2) on a bad web configuration, naming the file and the key, and never echoes a
 * secret from it.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyEnv, defaultConfig, validateConfig } from '../src/config/config.js';

const ctx = { checkIds: new Set<string>(), probes: new Map() };
const CLI = path.resolve('dist/src/cli/main.js');

describe('agent.listen and agent.webConfigFile', () => {
  it('defaults: every IPv4 address, no web configuration', () => {
    const c = defaultConfig();
    expect(c.agent.listen).toEqual(['0.0.0.0']);
    expect(c.agent.webConfigFile).toBeUndefined();
  });

  it('listen takes one address or a list (deduplicated); webConfigFile a path', () => {
    expect(validateConfig({ agent: { listen: '127.0.0.1' } }, ctx).agent.listen).toEqual(['127.0.0.1']);
    expect(
      validateConfig({ agent: { listen: ['10.0.0.5', '127.0.0.1', '::1', '127.0.0.1'] } }, ctx).agent.listen,
    ).toEqual(['10.0.0.5', '127.0.0.1', '::1']);
    expect(validateConfig({ agent: { webConfigFile: '/etc/hostward/web.yml' } }, ctx).agent.webConfigFile).toBe(
      '/etc/hostward/web.yml',
    );
  });

  it('bad values name the key', () => {
    expect(() => validateConfig({ agent: { listen: 'localhost' } }, ctx)).toThrow(
      /^configuration: agent\.listen: must be an IP address .*got "localhost"/,
    );
    expect(() => validateConfig({ agent: { listen: ['127.0.0.1', '10.0.0.300'] } }, ctx)).toThrow(
      /^configuration: agent\.listen\[1\]: must be an IP address/,
    );
    expect(() => validateConfig({ agent: { listen: [] } }, ctx)).toThrow(
      /agent\.listen: must be an IP address or a list of them/,
    );
    expect(() => validateConfig({ agent: { webConfigFile: '' } }, ctx)).toThrow(
      /agent\.webConfigFile: must be a non-empty string/,
    );
    expect(() => validateConfig({ agent: { webconfigfile: 'x' } }, ctx)).toThrow(/agent\.webconfigfile: unknown key/);
  });

  it('the environment wins: HOSTWARD_LISTEN (comma-separated, as the chart sets it) and HOSTWARD_WEB_CONFIG_FILE', () => {
    const c = applyEnv(validateConfig({ agent: { listen: '0.0.0.0', webConfigFile: '/a' } }, ctx), {
      HOSTWARD_LISTEN: '10.0.0.5, 127.0.0.1',
      HOSTWARD_WEB_CONFIG_FILE: '/b',
    });
    expect(c.agent.listen).toEqual(['10.0.0.5', '127.0.0.1']);
    expect(c.agent.webConfigFile).toBe('/b');
    expect(() => applyEnv(defaultConfig(), { HOSTWARD_LISTEN: '10.0.0.5,node-1' })).toThrow(
      /^environment: HOSTWARD_LISTEN: must be an IP address/,
    );
  });
});

describe.skipIf(!existsSync(CLI))('hostward agent --web.config.file (the built CLI)', () => {
  it('exits 2 on a bad web configuration, naming the file and the key, without the secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hostward-webcfg-'));
    try {
      const hash = '$2y$10$abcdefghijklmnopqrstuuK8S1u2GQz8ZyP0W3sS1a2b3c4d5e6f7';
      const file = path.join(dir, 'web.yml');
      writeFileSync(file, `basic_auth_users:\n  prometheus: ${hash.slice(0, 40)}\n`);
      const r = spawnSync(process.execPath, [CLI, 'agent', '--root', dir, '--port', '0', '--web.config.file', file], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH },
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        `hostward: invalid configuration: web configuration ${file}: basic_auth_users.prometheus: must be a bcrypt hash`,
      );
      expect(r.stderr).not.toContain(hash.slice(7, 40));
      // The environment variable names the same file.
      const e = spawnSync(process.execPath, [CLI, 'agent', '--root', dir, '--port', '0'], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, HOSTWARD_WEB_CONFIG_FILE: path.join(dir, 'absent.yml') },
      });
      expect(e.status).toBe(2);
      expect(e.stderr).toMatch(/web configuration .*absent\.yml: \(file\): cannot read: ENOENT/);
      const empty = spawnSync(process.execPath, [CLI, 'agent', '--web.config.file', ''], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH },
      });
      expect(empty.status).toBe(2);
      expect(empty.stderr).toContain('--web.config.file needs a file name');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
