/**
 * The library on real files in temp dirs: each kind of change the issue names, the rolling rehash, the
 * database's defences (corrupt, truncated, other key, unsigned), accept for a path and for everything.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { integrityAccept, integrityCheck, integrityInit, sliceOf } from '../../src/integrity/api.js';
import { IntegrityError } from '../../src/integrity/types.js';
import type { CheckResult, Policy } from '../../src/integrity/types.js';
import { policy, sandbox } from './helpers.js';
import { fsClockTick } from '../helpers/wait.js';
import type { Sandbox } from './helpers.js';

const TREE = {
  'data/bin/tool': 'binary v1\n',
  'data/bin/other': 'other binary\n',
  'data/etc/app.conf': 'setting = 1\n',
  'data/etc/gone.conf': 'to be deleted\n',
  'data/etc/dir-later': 'a file that becomes a directory\n',
  'data/etc/link': { symlink: 'app.conf' },
  'data/etc/outside': { symlink: '/etc/passwd' },
  'data/cache/x': 'excluded\n',
  'data/logs/app.log': 'line 1\n',
  'data/etc/secret/key': 'k\n',
};

const POLICY: Policy = policy({
  version: 1,
  exclude: ['/data/cache'],
  rules: [
    { path: '/data', properties: 'binaries', category: 'binaries' },
    { path: '/data/etc', properties: 'config', category: 'ssh', exclude: ['*.swp'] },
    { path: '/data/logs', properties: 'logs' },
  ],
});

let s: Sandbox;
beforeEach(() => {
  s = sandbox(TREE);
});
afterEach(() => s.cleanup());

const opts = (extra: Record<string, unknown> = {}) => ({
  root: s.root,
  policy: POLICY,
  dbFile: s.db,
  keyFile: s.key,
  ...extra,
});

function changed(r: CheckResult): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of r.added) out[p] = ['added'];
  for (const p of r.removed) out[p] = ['removed'];
  for (const m of r.modified) out[m.path] = m.changes;
  return out;
}

async function initThenWait(extra: Record<string, unknown> = {}): Promise<void> {
  const r = await integrityInit(opts(extra));
  expect(r.signed).toBe(true);
  expect(r.problems).toEqual([]);
  await fsClockTick(); // so that times written by the changes below differ from the baseline's
}

describe('a check after init', () => {
  it('reports nothing when nothing changed, and records links without following them', async () => {
    const init = await integrityInit(opts());
    expect(init.records).toBe(14); // /data and everything below it but /data/cache
    const r = await integrityCheck(opts());
    expect(changed(r)).toEqual({});
    expect(r.baseline).toMatchObject({ signed: true, verified: true, policyChanged: false, records: 14 });
    expect(r.problems).toEqual([]);
  });

  it('content change, chmod, chown, deletion: modified or removed with the property and old and new values', async () => {
    await initThenWait();
    writeFileSync(s.at('data/etc/app.conf'), 'setting = 2\n'); // same size
    chmodSync(s.at('data/bin/tool'), 0o4755);
    chownSync(s.at('data/bin/other'), 1234, 4321);
    unlinkSync(s.at('data/etc/gone.conf'));
    const r = await integrityCheck(opts());
    const c = changed(r);
    expect(c['/data/etc/app.conf']).toEqual(['sha256']); // config: content and permissions, not times
    expect(c['/data/bin/tool']).toEqual(['mode', 'ctime']);
    expect(c['/data/bin/other']).toEqual(['owner', 'group', 'ctime']);
    expect(c['/data/etc/gone.conf']).toEqual(['removed']);
    const tool = r.modified.find((m) => m.path === '/data/bin/tool')!;
    expect(tool.old.mode).toBe('0644');
    expect(tool.new.mode).toBe('04755');
    const conf = r.modified.find((m) => m.path === '/data/etc/app.conf')!;
    expect(conf.old.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(conf.new.sha256).not.toBe(conf.old.sha256);
    expect(r.categories['/data/etc/app.conf']).toBe('ssh');
    expect(r.categories['/data/bin/tool']).toBe('binaries');
    expect(r.categories['/data/etc/gone.conf']).toBe('ssh');
  });

  it('rename: the old path is removed, the new one added, the directory modified', async () => {
    await initThenWait();
    renameSync(s.at('data/bin/tool'), s.at('data/bin/tool2'));
    const c = changed(await integrityCheck(opts()));
    expect(c['/data/bin/tool']).toEqual(['removed']);
    expect(c['/data/bin/tool2']).toEqual(['added']);
    expect(c['/data/bin']).toEqual(expect.arrayContaining(['mtime', 'ctime']));
  });

  it('hard link: the new name is added and the link count of the file changes', async () => {
    await initThenWait();
    linkSync(s.at('data/bin/tool'), s.at('data/bin/tool-hardlink'));
    const r = await integrityCheck(opts());
    const c = changed(r);
    expect(c['/data/bin/tool-hardlink']).toEqual(['added']);
    expect(c['/data/bin/tool']).toEqual(['links', 'ctime']);
    expect(r.modified.find((m) => m.path === '/data/bin/tool')!.new.links).toBe(2);
  });

  it('symlink retarget: target changes (and the link is never followed)', async () => {
    await initThenWait();
    unlinkSync(s.at('data/etc/link'));
    symlinkSync('/etc/shadow', s.at('data/etc/link'));
    const r = await integrityCheck(opts());
    const m = r.modified.find((x) => x.path === '/data/etc/link')!;
    expect(m.changes).toEqual(['target']);
    expect(m.old.target).toBe('app.conf');
    expect(m.new.target).toBe('/etc/shadow');
  });

  it('a file replaced by a directory: type changes, and what is in the directory is added', async () => {
    await initThenWait();
    unlinkSync(s.at('data/etc/dir-later'));
    mkdirSync(s.at('data/etc/dir-later'));
    writeFileSync(s.at('data/etc/dir-later/inside'), 'x');
    const c = changed(await integrityCheck(opts()));
    expect(c['/data/etc/dir-later']).toEqual(expect.arrayContaining(['type']));
    expect(c['/data/etc/dir-later/inside']).toEqual(['added']);
  });

  it('an addition under an excluded path, or matching an excluded name, is ignored', async () => {
    await initThenWait();
    writeFileSync(s.at('data/cache/new'), 'x');
    writeFileSync(s.at('data/etc/.app.conf.swp'), 'x');
    const c = changed(await integrityCheck(opts()));
    expect(c).toEqual({}); // /data/etc is under the config rule, which does not track directory times
  });

  it('logs: growth is fine, shrinking is reported', async () => {
    await initThenWait();
    appendFileSync(s.at('data/logs/app.log'), 'line 2\n');
    expect(changed(await integrityCheck(opts()))).toEqual({});
    truncateSync(s.at('data/logs/app.log'), 2);
    expect(changed(await integrityCheck(opts()))['/data/logs/app.log']).toEqual(['growing']);
  });

  it('a FIFO, a socket-like special file, is recorded from lstat and never opened (no hang)', async () => {
    execFileSync('mkfifo', [s.at('data/etc/fifo')]);
    const init = await integrityInit(opts());
    expect(init.problems).toEqual([]);
    expect(changed(await integrityCheck(opts()))).toEqual({});
  });
});

const T = 1_600_000_000;

describe('the stat fast path and the rolling rehash', () => {
  it('a content change with mtime restored by utimes is caught at once, because ctime moved', async () => {
    // A whole-second mtime, so that utimes (which takes seconds as a double) restores it exactly, as touch -r would.
    const f = s.at('data/bin/tool');
    utimesSync(f, T, T);
    await initThenWait();
    const st = statSync(f);
    writeFileSync(f, 'binary v2\n'); // same size
    utimesSync(f, T, T);
    expect(statSync(f).mtimeMs).toBe(st.mtimeMs);
    expect(statSync(f).ctimeMs).not.toBe(st.ctimeMs); // ctime moved: only the kernel sets it, to now
    const c = changed(await integrityCheck(opts()));
    expect(c['/data/bin/tool']).toEqual(['sha256', 'ctime']);
  });

  it('when ctime cannot be trusted either, the rolling rehash catches it within rehashSlices checks', async () => {
    // trustCtime: false leaves ctime out of the fast path, as if the attacker had restored it too (clock set
    // back, offline edit). The file is under the config rule, which does not report times, so only a re-read
    // can tell; the rotation reaches the file's slice within `slices` checks.
    const slices = 4;
    const target = '/data/etc/app.conf';
    const f = s.at('data/etc/app.conf');
    utimesSync(f, T, T);
    await initThenWait();
    writeFileSync(f, 'setting = 9\n'); // same size
    utimesSync(f, T, T);
    let foundAt = -1;
    for (let run = 0; run < slices; run++) {
      const r = await integrityCheck(opts({ rehashSlices: slices, trustCtime: false }));
      expect(r.stats.rehash).toEqual({ slice: run, of: slices, full: false });
      const c = changed(r);
      if (c[target]) {
        expect(c[target]).toEqual(['sha256']);
        foundAt = run;
        break;
      }
    }
    expect(foundAt).toBe(sliceOf(target, slices));
    // With ctime trusted (the default) the same change is found by the first check.
    const r = await integrityCheck(opts());
    expect(changed(r)[target]).toEqual(['sha256']);
  });

  it('without a valid cursor every file is re-read', async () => {
    await initThenWait();
    rmSync(s.db + '.cursor');
    const r = await integrityCheck(opts());
    expect(r.stats.rehash.full).toBe(true);
    expect(r.stats.reused).toBe(0);
    expect(r.notes.join(' ')).toContain('cursor');
    const again = await integrityCheck(opts());
    expect(again.stats.rehash).toEqual({ slice: 0, of: 24, full: false });
    expect(again.stats.reused).toBeGreaterThan(0);
  });
});

describe('the database defends itself', () => {
  async function expectCode(p: Promise<unknown>, code: string): Promise<IntegrityError> {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(IntegrityError);
    expect((e as IntegrityError).code).toBe(code);
    return e as IntegrityError;
  }

  it('a modified record (one byte) is tampering', async () => {
    await integrityInit(opts());
    const text = readFileSync(s.db, 'utf8');
    writeFileSync(s.db, text.replace('"/data/bin/tool","f",420', '"/data/bin/tool","f",493'));
    expect(readFileSync(s.db, 'utf8')).not.toBe(text);
    const e = await expectCode(integrityCheck(opts()), 'baseline_tampered');
    expect(e.message).toContain('HMAC');
  });

  it('a deleted record is tampering; garbage bytes are corruption', async () => {
    await integrityInit(opts());
    const lines = readFileSync(s.db, 'utf8').split('\n');
    writeFileSync(s.db, lines.filter((l) => !l.includes('/data/bin/other')).join('\n'));
    await expectCode(integrityCheck(opts()), 'baseline_truncated'); // count on the end line no longer matches
    writeFileSync(s.db, lines.slice(0, 3).join('\n') + '\n\u0000\u0001garbage\n' + lines.slice(3).join('\n'));
    await expectCode(integrityCheck(opts()), 'baseline_corrupt');
    writeFileSync(s.db, 'not a database at all');
    await expectCode(integrityCheck(opts()), 'baseline_truncated');
    writeFileSync(s.db, '{"x":1}\n');
    await expectCode(integrityCheck(opts()), 'baseline_corrupt');
  });

  it('a truncated database (mid-line, or at a line end) is reported as truncated', async () => {
    await integrityInit(opts());
    const size = statSync(s.db).size;
    truncateSync(s.db, Math.floor(size / 2));
    await expectCode(integrityCheck(opts()), 'baseline_truncated');
    await integrityInit(opts());
    const lines = readFileSync(s.db, 'utf8').split('\n');
    writeFileSync(s.db, lines.slice(0, -2).join('\n') + '\n'); // drop the end line
    await expectCode(integrityCheck(opts()), 'baseline_truncated');
    writeFileSync(s.db, '');
    await expectCode(integrityCheck(opts()), 'baseline_truncated');
  });

  it('a database signed with another key, re-signed by someone without ours, is detected', async () => {
    await integrityInit(opts({ keyFile: s.otherKey }));
    await expectCode(integrityCheck(opts()), 'baseline_wrong_key');
    // Faking the key id does not help: the HMAC still does not verify.
    const text = readFileSync(s.db, 'utf8');
    const ours = JSON.parse((await import('node:fs')).readFileSync(s.db, 'utf8').split('\n')[0]!) as { keyId: string };
    await integrityInit(opts());
    const ourId = (JSON.parse(readFileSync(s.db, 'utf8').split('\n')[0]!) as { keyId: string }).keyId;
    writeFileSync(s.db, text.replace(ours.keyId, ourId));
    await expectCode(integrityCheck(opts()), 'baseline_tampered');
  });

  it('an unsigned database when a key is configured is refused; without a key it verifies by checksum only', async () => {
    await integrityInit(opts({ keyFile: null }));
    await expectCode(integrityCheck(opts()), 'baseline_unsigned');
    const r = await integrityCheck(opts({ keyFile: null }));
    expect(r.baseline).toMatchObject({ signed: false, verified: false });
  });

  it('a missing database and an unusable key are typed errors', async () => {
    await expectCode(integrityCheck(opts()), 'baseline_missing');
    writeFileSync(s.key, 'short');
    await expectCode(integrityInit(opts()), 'key_unreadable');
  });

  it('the database is written atomically (no temp file left) with mode 0600', async () => {
    await integrityInit(opts());
    expect(statSync(s.db).mode & 0o777).toBe(0o600);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(s.state).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('accept', () => {
  it('accepting one path takes its current state and leaves the other changes reported', async () => {
    await initThenWait();
    writeFileSync(s.at('data/etc/app.conf'), 'setting = 3\n');
    writeFileSync(s.at('data/bin/tool'), 'binary v9\n');
    writeFileSync(s.at('data/etc/new.conf'), 'new\n');
    const before = changed(await integrityCheck(opts()));
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['/data/etc/app.conf', '/data/bin/tool', '/data/etc/new.conf']),
    );
    await integrityAccept(opts({ only: ['/data/etc'] }));
    const after = changed(await integrityCheck(opts()));
    expect(Object.keys(after).filter((p) => p.startsWith('/data/etc'))).toEqual([]);
    expect(after['/data/bin/tool']).toEqual(expect.arrayContaining(['sha256']));
    await integrityAccept(opts());
    expect(changed(await integrityCheck(opts()))).toEqual({});
  });

  it('accept refuses a tampered baseline and leaves it as it was', async () => {
    await integrityInit(opts());
    const text = readFileSync(s.db, 'utf8').replace('"/data/bin/tool","f",420', '"/data/bin/tool","f",493');
    writeFileSync(s.db, text);
    await expect(integrityAccept(opts({ only: ['/data/etc'] }))).rejects.toMatchObject({ code: 'baseline_tampered' });
    expect(readFileSync(s.db, 'utf8')).toBe(text);
  });

  it('a check limited to some paths (a watcher) looks only there', async () => {
    await initThenWait();
    writeFileSync(s.at('data/etc/app.conf'), 'setting = 4\n');
    writeFileSync(s.at('data/bin/tool'), 'binary v4\n');
    const r = await integrityCheck(opts({ only: ['/data/etc/app.conf'] }));
    expect(changed(r)).toEqual({ '/data/etc/app.conf': ['sha256'] });
    expect(r.stats.rehash.full).toBe(true);
  });
});
