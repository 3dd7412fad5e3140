/**
 * The Dockerfile's steps outside Docker (there is no Docker engine here): the build output and the lockfile
 * in an empty directory, `npm ci --omit=dev` there (the registry, or npm's cache when it has every package),
 * then the image's ENTRYPOINT command, read from the Dockerfile, scans a fixture host root. Proves that the
 * production dependencies alone run a scan, load the collector's native SQLite binding, and that nothing
 * outside dist/ (sources, tests, dev dependencies) is needed at run time.
 *
 * Slow (npm ci: ~2 minutes from the registry, seconds from a warm cache); HOSTWARD_SKIP_SLOW=1 skips it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDockerfile } from './dockerfile-lint.js';
import type { Report } from '../../src/contracts.js';

const slowOff = process.env.HOSTWARD_SKIP_SLOW === '1' || !existsSync('dist/src/cli/main.js');
const FIXTURE = path.resolve('test/fixtures/hosts/debian12-hardened');
let app: string;
let installed: ReturnType<typeof spawnSync>;

/** The final stage's ENTRYPOINT, with /app replaced by the temp directory. */
function entrypoint(): string[] {
  const ins = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
  const entry = JSON.parse(ins.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!.args) as string[];
  return entry.map((a) => a.replace(/^\/app\//, `${app}/`));
}

beforeAll(() => {
  if (slowOff) return;
  app = mkdtempSync(path.join(os.tmpdir(), 'hostward-image-'));
  // COPY --from=build /app/package.json, /app/node_modules (after npm prune --omit=dev), /app/dist
  cpSync('package.json', path.join(app, 'package.json'));
  cpSync('package-lock.json', path.join(app, 'package-lock.json'));
  cpSync('dist', path.join(app, 'dist'), { recursive: true });
  installed = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts=false', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 540_000,
    env: { ...process.env, NODE_ENV: 'production' },
  });
}, 600_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe.skipIf(slowOff)('the image steps outside Docker (slow)', () => {
  it('npm ci --omit=dev installs the production dependencies only', () => {
    expect(installed.status, String(installed.stderr)).toBe(0);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies)) expect(existsSync(path.join(app, 'node_modules', d)), d).toBe(true);
    for (const d of Object.keys(pkg.devDependencies)) expect(existsSync(path.join(app, 'node_modules', d)), d).toBe(false);
  });

  it('the ENTRYPOINT command scans a fixture root and prints a report', () => {
    const [cmd, ...args] = entrypoint();
    expect(cmd).toBe('node');
    const r = spawnSync(process.execPath, [...args, 'scan', '--root', FIXTURE, '--format', 'json'], { cwd: app, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_ENV: 'production' } });
    expect([0, 1], r.stderr).toContain(r.status);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.root).toBe(FIXTURE);
    expect(report.findings.length).toBeGreaterThan(100);
    expect(report.probes.every((p) => p.status === 'ok')).toBe(true);
    expect(report.findings.find((f) => f.check === 'ssh.password_auth')?.status).toBe('pass');
  });

  it('has the collector’s SQLite (node:sqlite, built into Node) and prints its version', () => {
    const sqlite = spawnSync(process.execPath, ['-e', "const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(':memory:'); console.log(db.prepare('select sqlite_version() v').get().v)"], { cwd: app, encoding: 'utf8' });
    expect(sqlite.status, sqlite.stderr).toBe(0);
    expect(sqlite.stdout).toMatch(/^3\.\d+\.\d+/);
    const [, ...args] = entrypoint();
    const v = spawnSync(process.execPath, [...args, 'version'], { cwd: app, encoding: 'utf8' });
    expect(v.stdout).toContain(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
