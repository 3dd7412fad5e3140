/** The built command line, run as users run it: exit codes, JSON contract, table, catalogue document. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { materialize } from './helpers/hosts.js';
import type { Materialized } from './helpers/hosts.js';
import type { Report } from '../src/contracts.js';
import { PROBES } from '../probes/registry.js';
import { catalogueMarkdown } from '../src/scan/catalogue.js';

const CLI = path.resolve('dist/src/cli/main.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOSTWARD_NODE_NAME: 'test-node', ...env },
    timeout: 30_000,
  });

let stock: Materialized;
let hardened: Materialized;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  stock = materialize('debian12-stock');
  hardened = materialize('debian12-hardened');
});
afterAll(() => {
  stock?.cleanup();
  hardened?.cleanup();
});

describe('hostward scan', () => {
  it('prints the JSON contract and exits 1 on a high failure', () => {
    const r = run(['scan', '--root', stock.root, '--format', 'json', '--probe', 'ssh']);
    expect(r.status, r.stderr).toBe(1);
    const rep = JSON.parse(r.stdout) as Report;
    expect(Object.keys(rep)).toEqual([
      'node',
      'root',
      'agentVersion',
      'startedAt',
      'durationSeconds',
      'os',
      'probes',
      'findings',
      'summary',
      'measurements',
    ]);
    expect(rep.node).toBe('test-node');
    expect(rep.root).toBe(stock.root);
    expect(rep.os).toMatchObject({ id: 'debian', versionId: '12' });
    const f = rep.findings.find((x) => x.check === 'ssh.password_auth')!;
    expect(Object.keys(f)).toEqual([
      'check',
      'probe',
      'title',
      'status',
      'severity',
      'message',
      'evidence',
      'references',
      'remediation',
    ]);
    expect(f.status).toBe('fail');
    expect(f.severity).toBe('high');
    const counted = rep.summary.pass + rep.summary.fail + rep.summary.unknown + rep.summary.skip + rep.summary.accepted;
    expect(counted).toBe(rep.findings.length);
  });

  it('exits 0 when nothing fails at or above --fail-on, and 1 when lowered', () => {
    expect(run(['scan', '--root', hardened.root, '--fail-on', 'critical']).status).toBe(0);
    expect(run(['scan', '--root', stock.root, '--fail-on', 'critical']).status).toBe(0);
    expect(run(['scan', '--root', stock.root, '--fail-on', 'medium']).status).toBe(1);
  });

  it('accepting the failures with exceptions makes the scan pass, and shows them', () => {
    const j = JSON.parse(run(['scan', '--root', stock.root, '--format', 'json']).stdout) as Report;
    const high = j.findings.filter((f) => f.status === 'fail' && (f.severity === 'high' || f.severity === 'critical'));
    expect(high.length).toBeGreaterThan(0);
    const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-cli-'));
    const cfg = path.join(d, 'c.yaml');
    writeFileSync(
      cfg,
      'exceptions:\n' +
        high.map((f) => `  - { check: ${f.check}, reason: "legacy image", expires: 2999-01-01 }\n`).join(''),
    );
    const r = run(['scan', '--root', stock.root, '--config', cfg]);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('ACCEPTED');
    expect(r.stdout).toContain('accepted until 2999-01-01: legacy image');
  });

  it('prints a table for people with evidence file:line, no colour off a TTY', () => {
    const r = run(['scan', '--root', stock.root]);
    expect(r.stdout).toMatch(/^FAIL\s+\[high\]\s+ssh\.password_auth\s+PasswordAuthentication yes/m);
    expect(r.stdout).toMatch(/ssh\.x11_forwarding .*\/etc\/ssh\/sshd_config:\d+/);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('exits 2 on usage and configuration errors, naming the problem, and scans nothing', () => {
    const cases: [string[], RegExp][] = [
      [['scan', '--format', 'xml'], /--format must be one of table, json, sarif, junit/],
      [['scan', '--fail-on', 'urgent'], /--fail-on must be one of/],
      [['scan', '--probe', 'nope'], /no probe named "nope"/],
      [['scan', '--bogus'], /Unknown option/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stdout).toBe('');
    }
    const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-cli-'));
    writeFileSync(path.join(d, 'bad.yaml'), 'checks:\n  ssh.no_such: { enabled: false }\n');
    const r = run(['scan', '--config', path.join(d, 'bad.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/checks\.ssh\.no_such: no such check/);
  });
});

describe('hostward checks', () => {
  it('lists the catalogue as JSON', () => {
    const r = run(['checks', '--format', 'json']);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as {
      id: string;
      probe: string;
      severity: string;
      title: string;
      references: string[];
    }[];
    expect(list.length).toBeGreaterThanOrEqual(40);
    expect(list.every((c) => c.id.startsWith(c.probe + '.') && c.references.length > 0)).toBe(true);
  });

  it('docs/checks.md is the generated catalogue (run npm run catalogue after changing checks)', () => {
    expect(readFileSync('docs/checks.md', 'utf8')).toBe(catalogueMarkdown(PROBES));
  });
});

// Needs root to drop to nobody, and a checkout that nobody may read.
const nobodyCanRun =
  process.getuid?.() === 0 &&
  spawnSync(
    process.execPath,
    ['-e', `require('fs').accessSync(${JSON.stringify(CLI)}, require('fs').constants.R_OK)`],
    { uid: 65534, gid: 65534 },
  ).status === 0;

describe('hostward scan logging', () => {
  it('writes its log lines to stderr at the configured level, with the probe named, and none below it', () => {
    const garbage = materialize('kubelet-garbage');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-cli-log-'));
    try {
      const scan = (level: string) => {
        writeFileSync(path.join(dir, 'config.yaml'), `log:\n  level: ${level}\n`);
        const args = ['scan', '--root', garbage.root, '--probe', 'kubelet', '--format', 'json'];
        return run([...args, '--config', path.join(dir, 'config.yaml')]);
      };
      const debug = scan('debug');
      const lines = debug.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 20, probe: 'kubelet', msg: 'kubelet configuration problems' }),
      );
      expect(JSON.parse(debug.stdout)).toHaveProperty('findings');
      expect(scan('warn').stderr).toBe('');
    } finally {
      garbage.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!nobodyCanRun)('hostward scan without privileges', () => {
  it('turns unreadable host files into unknown findings with the reason, and still decides what it can', () => {
    chmodSync(path.dirname(hardened.root), 0o755);
    const r = spawnSync(
      process.execPath,
      [CLI, 'scan', '--root', hardened.root, '--probe', 'ssh', '--format', 'json'],
      { encoding: 'utf8', uid: 65534, gid: 65534, env: { PATH: process.env.PATH }, timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout) as Report;
    const by = (id: string) => rep.findings.find((f) => f.check === id)!;
    expect(by('ssh.password_auth').status).toBe('unknown');
    expect(by('ssh.password_auth').message).toMatch(/cannot read \/etc\/ssh\/sshd_config: EACCES/);
    expect(by('ssh.config_valid').status).toBe('unknown');
    expect(by('ssh.config_permissions').status).toBe('pass'); // stat needs no read permission
    expect(
      rep.findings
        .filter((f) => f.status === 'pass' && f.check !== 'ssh.config_permissions')
        .every((f) => !/sshd -T/.test(f.message)),
    ).toBe(true);
    expect(r.status).toBe(0); // nothing could be shown to fail at high
  });
});
