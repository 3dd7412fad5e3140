/**
 * Ground truth on this machine: the modes and owners the permission checks report equal what coreutils
 * `stat -L` prints; the walk finds the same SUID/SGID files and world-writable files as `find` in the same
 * directories (a HostRoot per directory keeps the walk small); on Debian 12, every SUID/SGID program `find`
 * sees in the packaged program directories is on the Debian allow-list.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { HostRoot } from '../../src/sdk.js';
import { FILE_RULES } from '../../probes/files/index.js';
import { allowList } from '../../probes/files/setid.js';
import { walkHost } from '../../probes/files/walker.js';
import { byCheck, scanFiles } from './helpers.js';

const DIRS = ['/usr/bin', '/usr/sbin', '/etc'];

function find(dir: string, ...test: string[]): string[] {
  const out = execFileSync('find', [dir, '-xdev', ...test, '-print0'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\0').filter(Boolean).sort();
}

const debian12 =
  existsSync('/etc/os-release') &&
  /^ID=debian$/m.test(readFileSync('/etc/os-release', 'utf8')) &&
  /^VERSION_ID="12"$/m.test(readFileSync('/etc/os-release', 'utf8'));

describe('this machine', () => {
  it('the permission checks show the mode and owner `stat -L` shows', async () => {
    const f = byCheck(await scanFiles('/', { walk: false }));
    let compared = 0;
    for (const rule of FILE_RULES) {
      const p = rule.paths.find((x) => existsSync(x));
      if (!p) continue;
      const [mode, user, group] = execFileSync('stat', ['-L', '-c', '%a %U %G', p], { encoding: 'utf8' })
        .trim()
        .split(' ') as [string, string, string];
      const finding = f.get(`files.${rule.id}`)!;
      if (finding.status === 'skip') continue; // cron rows without cron
      expect(finding.message, rule.id).toContain(` ${mode.padStart(4, '0')} ${user}:${group}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(5);
  });

  it.each(DIRS)('the walk of %s finds the SUID/SGID and world-writable files find(1) finds', async (dir) => {
    const w = await walkHost({
      host: new HostRoot(dir),
      limits: { maxEntries: 1_000_000, budgetMs: 1e12 },
      users: new Set(),
      groups: new Set(),
      mounts: new Map(),
    });
    expect(w.complete).toBe(true);
    const ours = (c: 'setid' | 'worldWritableFiles' | 'worldWritableDirs') =>
      w.found[c].hits.map((h) => dir + h.path).sort();
    expect(ours('setid')).toEqual(find(dir, '-mindepth', '1', '-type', 'f', '-perm', '/6000'));
    expect(ours('worldWritableFiles')).toEqual(find(dir, '-mindepth', '1', '-type', 'f', '-perm', '-0002'));
    expect(ours('worldWritableDirs')).toEqual(
      find(dir, '-mindepth', '1', '-type', 'd', '-perm', '-0002', '!', '-perm', '-1000'),
    );
    // Every entry but the directory itself, as find counts them.
    expect(w.entries).toBe(find(dir, '-mindepth', '1').length);
  });

  it.skipIf(!debian12)(
    'Debian 12: every SUID/SGID program find(1) sees in the program directories is on the Debian allow-list',
    () => {
      const dirs = ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/libexec'].filter(existsSync);
      const setid = dirs.flatMap((d) => find(d, '-maxdepth', '3', '-type', 'f', '-perm', '/6000'));
      expect(setid.length).toBeGreaterThan(5);
      const list = allowList('debian', []);
      const modeOf = (p: string) => parseInt(execFileSync('stat', ['-c', '%a', p], { encoding: 'utf8' }).trim(), 8);
      expect(setid.filter((p) => !list.match(p, modeOf(p)))).toEqual([]);
    },
  );
});
