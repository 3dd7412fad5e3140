/**
 * Ground truth: Debian's real AIDE on the same tree and the same changes reports the same set of changed
 * paths as hostward (added, removed and changed). AIDE gets a generated config with its databases in a temp
 * dir, the rule ftype+p+i+n+u+g+s+m+c+l+sha256 (what hostward's "binaries" set tracks) and the same exclusion.
 * AIDE keeps times in whole seconds, so the changes wait for the next second after both baselines.
 *
 * Needs the `aide` package (Debian: apt-get install aide); skipped with a message when it is not installed.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { integrityCheck, integrityInit } from '../../src/integrity/api.js';
import { policy, sandbox } from './helpers.js';
import { fsClockTick } from '../helpers/wait.js';
import type { Sandbox } from './helpers.js';

function findAide(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v aide'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

const AIDE = findAide();
if (!AIDE)
  console.warn(
    'test/integrity/aide.test.ts: skipped: the aide binary is not installed (Debian: apt-get install -y aide; CI: .ci/install-test-deps)',
  );

const boxes: Sandbox[] = [];
afterAll(() => boxes.forEach((b) => b.cleanup()));

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function aideConfig(s: Sandbox): string {
  const dir = path.join(s.state, 'aide');
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'aide.conf');
  const data = path.join(s.root, 'data');
  writeFileSync(
    conf,
    [
      `database_in=file:${dir}/aide.db`,
      `database_out=file:${dir}/aide.db.new`,
      'gzip_dbout=no',
      'log_level=warning',
      'report_format=json',
      'report_url=stdout',
      'R = ftype+p+i+n+u+g+s+m+c+l+sha256',
      `${data} R`,
      `!${reEscape(data)}/cache(/|$)`,
      '',
    ].join('\n'),
  );
  return conf;
}

function aide(conf: string, mode: '--init' | '--check'): { status: number | null; stdout: string } {
  const r = spawnSync(AIDE!, ['--config', conf, mode], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout };
}

describe.skipIf(!AIDE)('hostward and aide --check agree on what changed', () => {
  it('content change, chmod, chown, rename, hard link, symlink retarget, file to directory, deletion, excluded addition', async () => {
    const s = sandbox({
      'data/bin/tool': 'binary v1\n',
      'data/bin/other': 'other\n',
      'data/bin/owned': 'owned\n',
      'data/bin/renamed': 'renamed\n',
      'data/etc/app.conf': 'a = 1\n',
      'data/etc/gone.conf': 'gone\n',
      'data/etc/becomes-dir': 'file\n',
      'data/etc/link': { symlink: 'app.conf' },
      'data/etc/deep/a/b/c': 'deep\n',
      'data/cache/x': 'cached\n',
      'data/untouched/u': 'same\n',
    });
    boxes.push(s);
    const conf = aideConfig(s);
    const pol = policy({ version: 1, exclude: ['/data/cache'], rules: [{ path: '/data', properties: 'binaries' }] });
    const opts = { root: s.root, policy: pol, dbFile: s.db, keyFile: s.key };

    const init = aide(conf, '--init');
    expect(init.status, init.stdout).toBe(0);
    execFileSync('mv', [path.join(s.state, 'aide/aide.db.new'), path.join(s.state, 'aide/aide.db')]);
    await integrityInit(opts);
    await fsClockTick('s'); // AIDE's times have one-second resolution

    writeFileSync(s.at('data/bin/tool'), 'binary v2\n');
    chmodSync(s.at('data/bin/other'), 0o4755);
    chownSync(s.at('data/bin/owned'), 4242, 4242);
    renameSync(s.at('data/bin/renamed'), s.at('data/bin/renamed-now'));
    linkSync(s.at('data/etc/app.conf'), s.at('data/etc/app.conf.hardlink'));
    unlinkSync(s.at('data/etc/link'));
    symlinkSync('/etc/shadow', s.at('data/etc/link'));
    unlinkSync(s.at('data/etc/becomes-dir'));
    mkdirSync(s.at('data/etc/becomes-dir'));
    unlinkSync(s.at('data/etc/gone.conf'));
    writeFileSync(s.at('data/cache/new'), 'ignored\n');
    writeFileSync(s.at('data/etc/deep/a/b/new'), 'new\n');

    const check = aide(conf, '--check');
    expect(check.status).not.toBe(0); // differences found (AIDE's exit code is a bit mask)
    const report = JSON.parse(check.stdout) as {
      added?: Record<string, string>;
      removed?: Record<string, string>;
      changed?: Record<string, string>;
    };
    const strip = (p: string) => p.slice(s.root.length);
    const aideSets = {
      added: Object.keys(report.added ?? {})
        .map(strip)
        .sort(),
      removed: Object.keys(report.removed ?? {})
        .map(strip)
        .sort(),
      changed: Object.keys(report.changed ?? {})
        .map(strip)
        .sort(),
    };

    const r = await integrityCheck(opts);
    const ours = {
      added: [...r.added].sort(),
      removed: [...r.removed].sort(),
      changed: r.modified.map((m) => m.path).sort(),
    };

    expect(ours).toEqual(aideSets);
    // And the sets are the interesting ones, not two empty lists agreeing.
    expect(ours.added).toEqual(['/data/bin/renamed-now', '/data/etc/app.conf.hardlink', '/data/etc/deep/a/b/new']);
    expect(ours.removed).toEqual(['/data/bin/renamed', '/data/etc/gone.conf']);
    expect(ours.changed).toEqual(
      expect.arrayContaining([
        '/data/bin/tool',
        '/data/bin/other',
        '/data/bin/owned',
        '/data/etc/app.conf',
        '/data/etc/link',
        '/data/etc/becomes-dir',
        '/data/bin',
        '/data/etc',
        '/data/etc/deep/a/b',
      ]),
    );
  }, 60_000);
});
