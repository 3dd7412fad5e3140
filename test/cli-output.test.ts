/**
 * What `hostward scan` prints for people and for CI: the triage table (most severe failure first, a fix under
 * each, skipped checks folded per probe), SARIF checked against the official schema by Microsoft's validator,
 * JUnit read by a real JUnit consumer (Debian's python3-junitparser), --output, --check/--skip, explain, --help
 * on every command, and errors that are one clear line.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { materialize } from './helpers/hosts.js';
import type { Materialized } from './helpers/hosts.js';
import type { Finding, Report } from '../src/contracts.js';
import { SEVERITIES } from '../src/contracts.js';
import { renderTable, wrap } from '../src/cli/table.js';
import { COMMAND_HELP } from '../src/cli/help.js';

const CLI = path.resolve('dist/src/cli/main.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOSTWARD_NODE_NAME: 'test-node', ...env },
    timeout: 30_000,
  });

// The official SARIF 2.1.0 JSON schema (draft-04), as Microsoft's SARIF test matchers ship it.
const require = createRequire(import.meta.url);
const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default;
const SARIF_SCHEMA = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
const validateSarif = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }).compile(SARIF_SCHEMA);
function expectValidSarif(log: unknown): void {
  const ok = validateSarif(log);
  expect(ok, JSON.stringify(validateSarif.errors?.slice(0, 5), null, 1)).toBe(true);
}
const DEBIAN_PYTHON = '/usr/bin/python3';
const haveJunitParser =
  existsSync(DEBIAN_PYTHON) && spawnSync(DEBIAN_PYTHON, ['-c', 'import junitparser']).status === 0;

let stock: Materialized;
let tmp: string;
let report: Report;
/**
 * The scans of the fixture root: the ports probe's fallback to this machine's /proc/net off, since the root has no
 * /proc/1/net and the listeners other tests open and close meanwhile would change its findings between two scans.
 */
let stockConfig: string;
const scanStock = (args: string[]) => run(['scan', '--root', stock.root, '--config', stockConfig, ...args]);
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  stock = materialize('debian12-stock');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-cli-out-'));
  stockConfig = path.join(tmp, 'config.yaml');
  writeFileSync(stockConfig, 'probes:\n  ports: { procNetFallback: false }\n');
  report = JSON.parse(scanStock(['--format', 'json']).stdout) as Report;
});
afterAll(() => {
  stock?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const rank = (s: string) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);

describe('the scan table is for triage', () => {
  it('lists failures first, most severe first, each with its fix, and folds skipped checks per probe', () => {
    const r = scanStock([]);
    const lines = r.stdout.split('\n');
    const fails = lines.map((l, i) => [l, i] as const).filter(([l]) => /^FAIL\s/.test(l));
    const failing = report.findings.filter((f) => f.status === 'fail' && !f.exception);
    expect(fails.length).toBe(failing.length);
    const sevs = fails.map(([l]) => /\[(\w+)\]/.exec(l)![1]!);
    expect(sevs.map(rank)).toEqual([...sevs.map(rank)].sort((a, b) => a - b));
    // The most severe failure is the first finding line of the output.
    const firstFinding = lines.findIndex((l) => /^(FAIL|UNKNOWN|ACCEPTED|PASS|SKIP)\s/.test(l));
    expect(firstFinding).toBe(fails[0]![1]);
    for (const [, i] of fails) {
      const next = lines.slice(i + 1).find((l) => /^\s+fix: /.test(l) || /^\S/.test(l));
      expect(next, lines[i]).toMatch(/^\s+fix: /);
    }
    expect(r.stdout).not.toMatch(/^SKIP\s/m);
    const skipped = report.findings.filter((f) => f.status === 'skip').length;
    const folded = [...r.stdout.matchAll(/^\s+\S+\s+(\d+) checks? skipped: /gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(folded).toBe(skipped);
    expect(r.stdout).toMatch(/^Failing: (\d+ (critical|high|medium|low|info)(, )?)+$/m);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(120);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('--quiet prints the failures alone; --verbose adds every passing and skipped check', () => {
    const q = scanStock(['--quiet']);
    expect(
      q.stdout
        .split('\n')
        .filter(Boolean)
        .every((l) => /^FAIL\s/.test(l) || /^\s+\S/.test(l)),
    ).toBe(true);
    expect(q.stdout).toMatch(/^FAIL\s/m);
    const v = scanStock(['--verbose']);
    const passes = report.findings.filter((f) => f.status === 'pass').length;
    expect([...v.stdout.matchAll(/^PASS\s/gm)].length).toBe(passes);
    expect([...v.stdout.matchAll(/^SKIP\s/gm)].length).toBe(report.findings.filter((f) => f.status === 'skip').length);
  });

  it('colours follow severity when asked, and wrapping keeps to the width', () => {
    const out = renderTable(report, { colour: true, width: 80 });
    const high = out.split('\n').find((l) => l.includes('[high]'))!;
    expect(high).toContain('\x1b[31m[high]');
    const plain = renderTable(report, { colour: false, width: 80 });
    for (const l of plain.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(wrap('a '.repeat(100), 30, '  ').every((l) => l.length <= 30)).toBe(true);
  });
});

describe('CI formats', () => {
  it('SARIF 2.1.0 passes the official schema, with a rule per check carrying help text and references', () => {
    const out = path.join(tmp, 'scan.sarif');
    const r = scanStock(['--format', 'sarif', '--output', out]);
    expect(r.status).toBe(1); // the stock host fails at high
    expect(r.stdout).toBe('');

    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expectValidSarif(sarif);
    const run0 = sarif.runs[0];
    const rule = run0.tool.driver.rules.find((x: any) => x.id === 'ssh.password_auth');
    expect(rule.help.text.length).toBeGreaterThan(10);
    expect(rule.properties.references.length).toBeGreaterThan(0);
    const res = run0.results.find((x: any) => x.ruleId === 'ssh.password_auth');
    expect(res).toMatchObject({ kind: 'fail', level: 'error' });
    expect(run0.tool.driver.rules[res.ruleIndex].id).toBe('ssh.password_auth');
    // Evidence with a file becomes a location relative to the scanned root.
    const located = report.findings.find((f) => f.status === 'fail' && f.evidence.some((e) => e.file && e.line))!;
    const loc = run0.results.find((x: any) => x.ruleId === located.check).locations[0].physicalLocation;
    const ev = located.evidence.find((e) => e.file && e.line)!;
    expect(loc.artifactLocation).toEqual({ uri: ev.file!.replace(/^\//, ''), uriBaseId: 'HOSTROOT' });
    expect(loc.region.startLine).toBe(ev.line);
    expect(run0.results.length).toBe(report.findings.length);
    // The validator is not a no-op.
    const broken = structuredClone(sarif);
    broken.runs[0].results[0].kind = 'catastrophic';
    expect(validateSarif(broken)).toBe(false);
  });

  it.skipIf(!haveJunitParser)('JUnit XML is read by a real consumer with the same counts as the report', () => {
    const out = path.join(tmp, 'scan.xml');
    expect(scanStock(['--format', 'junit', '--output', out]).status).toBe(1);
    const py = `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = {"suites": 0, "tests": 0, "failure": 0, "error": 0, "skipped": 0, "names": []}
for suite in xml:
    out["suites"] += 1
    for case in suite:
        out["tests"] += 1
        for r in case.result:
            if isinstance(r, Failure): out["failure"] += 1; out["names"].append(case.name)
            elif isinstance(r, Error): out["error"] += 1
            elif isinstance(r, Skipped): out["skipped"] += 1
print(json.dumps(out))`;
    const p = spawnSync(DEBIAN_PYTHON, ['-c', py, out], { encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const got = JSON.parse(p.stdout) as {
      suites: number;
      tests: number;
      failure: number;
      error: number;
      skipped: number;
      names: string[];
    };
    const count = (pred: (f: Finding) => boolean) => report.findings.filter(pred).length;
    expect(got.suites).toBe(report.probes.length);
    expect(got.tests).toBe(report.findings.length);
    expect(got.failure).toBe(count((f) => f.status === 'fail' && !f.exception));
    expect(got.error).toBe(count((f) => f.status === 'unknown'));
    expect(got.skipped).toBe(count((f) => f.status === 'skip' || Boolean(f.exception)));
    expect(got.names.some((n) => n.startsWith('ssh.password_auth: '))).toBe(true);
  });

  it('--check and --skip choose the checks reported and gated; a pattern matching nothing is a usage error', () => {
    const j = JSON.parse(
      scanStock(['--format', 'json', '--check', 'ssh.*', '--skip', 'ssh.password_auth']).stdout,
    ) as Report;
    expect(j.findings.length).toBeGreaterThan(5);
    expect(j.findings.every((f) => f.check.startsWith('ssh.') && f.check !== 'ssh.password_auth')).toBe(true);
    const n = j.summary.pass + j.summary.fail + j.summary.unknown + j.summary.skip + j.summary.accepted;
    expect(n).toBe(j.findings.length);
    expect(scanStock(['--check', 'ssh.password_auth', '--fail-on', 'high']).status).toBe(1);
    expect(scanStock(['--check', 'ssh.banner', '--fail-on', 'high']).status).toBe(0);
    const typo = scanStock(['--check', 'shh.*']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/no check matches "shh\.\*"/);
  });
});

describe('the command line behaves', () => {
  it('explain CHECK says what to do and where it comes from; an unknown id suggests near ones', () => {
    const r = run(['explain', 'ssh.password_auth']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ssh\.password_auth: /);
    expect(r.stdout).toMatch(/^severity:\s+high/m);
    expect(r.stdout).toMatch(/^fix:\s+\S/m);
    const bad = run(['explain', 'ssh.password']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/did you mean .*ssh\.password_auth/);
  });

  // Ten processes, one after the other: on a loaded machine each start-up takes seconds, so more than the default.
  it('--help works on every command, exits 0 and describes every flag the command takes', { timeout: 180_000 }, () => {
    for (const cmd of Object.keys(COMMAND_HELP)) {
      const r = run([cmd, '--help']);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`^Usage: hostward ${cmd}`));
    }
    const scanHelp = run(['scan', '-h']).stdout;
    for (const flag of [
      '--root',
      '--probe',
      '--check',
      '--skip',
      '--format',
      '--output',
      '--fail-on',
      '--config',
      '--quiet',
      '--verbose',
    ])
      expect(scanHelp).toContain(flag);
    expect(run(['collector', 'test-sink', '--help']).status).toBe(0);
  });

  it('a --root that does not exist or is not a directory is a usage error, and nothing is scanned', () => {
    for (const root of ['/nonexistent-hostward-root', '/etc/hostname']) {
      const r = run(['scan', '--root', root]);
      expect(r.status, root).toBe(2);
      expect(r.stderr).toMatch(/--root .* (does not exist|is not a directory)/);
      expect(r.stdout).toBe('');
    }
  });

  it('a reader that leaves early (checks | head) ends the output quietly', () => {
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" checks | head -n 1 >/dev/null`],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('an unwritable --output is one line that says it once, exit 2', () => {
    const r = scanStock(['--probe', 'ssh', '--output', '/proc/hostward-cannot-write/x.json']);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^hostward: \/proc\/hostward-cannot-write\/x\.json: no such file or directory \(ENOENT\)$/,
    );
  });

  it('a port in use is one clear line and exit 2', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const cfg = path.join(tmp, 'agent.yaml');
    writeFileSync(cfg, `agent:\n  listen: 127.0.0.1\nscan:\n  probes: [kernel]\n`);
    try {
      // spawnSync kills the agent at its timeout, should it start despite the port.
      const r = spawnSync(
        process.execPath,
        [CLI, 'agent', '--root', stock.root, '--port', String(port), '--config', cfg],
        { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20_000 },
      );
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toMatch(
        new RegExp(`^hostward: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`),
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      blocker.close();
    }
  });
});
