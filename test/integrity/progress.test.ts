/**
 * The progress bar of `hostward integrity init` (issue 7): rendered from real progress reports of a real init,
 * without a terminal; shown only on a TTY; the CLI prints nothing on stderr when stderr is not one.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { integrityInit } from '../../src/integrity/api.js';
import { ProgressRenderer, bar, formatBytes, formatDuration, terminalProgress } from '../../src/integrity/progress.js';
import type { Progress } from '../../src/integrity/types.js';
import { sandbox } from './helpers.js';
import type { Sandbox } from './helpers.js';

let s: Sandbox | undefined;
afterEach(() => s?.cleanup());

describe('the renderer', () => {
  it('formats bytes, durations and the bar', () => {
    expect([0, 999, 1000, 12_345, 5_700_000_000, 2e15].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.00 kB',
      '12.3 kB',
      '5.70 GB',
      '2000 TB',
    ]);
    expect([0, 59.4, 61, 3599, 3600, 7322].map(formatDuration)).toEqual([
      '0:00',
      '0:59',
      '1:01',
      '59:59',
      '1:00:00',
      '2:02:02',
    ]);
    expect(bar(0, 10)).toBe('[----------]');
    expect(bar(0.55, 10)).toBe('[#####-----]');
    expect(bar(1.7, 10)).toBe('[##########]');
    expect(bar(NaN, 4)).toBe('[----]');
  });

  it('counting, then a bar with paths, bytes, the rate and an ETA of the scan phase alone', () => {
    const r = new ProgressRenderer('init');
    expect(r.render({ phase: 'count', files: 61234, bytes: 0, elapsedMs: 400 }, 120)).toBe(
      'init: counting paths… 61,234',
    );
    // Times are of the scan phase: 2 s in, a quarter is done, so 6 s are left.
    expect(r.render({ phase: 'scan', files: 0, bytes: 0, totalFiles: 100_000, elapsedMs: 10 }, 120)).toBe(
      'init: [------------------------]    0%  0/100,000 paths  0 B  0 B/s  ETA --:--',
    );
    expect(r.render({ phase: 'scan', files: 25_000, bytes: 3e9, totalFiles: 100_000, elapsedMs: 2000 }, 120)).toBe(
      'init: [######------------------]   25%  25,000/100,000 paths  3.00 GB  1.50 GB/s  ETA 0:06',
    );
    expect(r.render({ phase: 'scan', files: 100_000, bytes: 6e9, totalFiles: 100_000, elapsedMs: 4000 }, 120)).toBe(
      'init: [########################]  100%  100,000/100,000 paths  6.00 GB  1.50 GB/s  ETA 0:00',
    );
  });

  it('without a total: no bar, elapsed time instead of an ETA; never wider than the terminal', () => {
    const r = new ProgressRenderer('check');
    expect(r.render({ phase: 'scan', files: 10, bytes: 2000, elapsedMs: 2000 }, 80)).toBe(
      'check: 10 paths  2.00 kB  1.00 kB/s  0:02',
    );
    expect(r.render({ phase: 'scan', files: 1e6, bytes: 1e12, elapsedMs: 62_000 }, 80)).toBe(
      'check: 1,000,000 paths  1.00 TB  16.1 GB/s  1:02',
    );
    const narrow = new ProgressRenderer('init').render(
      { phase: 'scan', files: 5, bytes: 5, totalFiles: 10, elapsedMs: 10 },
      30,
    );
    expect(narrow.length).toBe(29);
  });

  it('writes to a TTY only, on one line (carriage return, erase to the end), and clears it', () => {
    expect(terminalProgress({ isTTY: false, write: () => true }, 'init')).toBeUndefined();
    expect(terminalProgress({ write: () => true }, 'init')).toBeUndefined();
    const out: string[] = [];
    const t = terminalProgress({ isTTY: true, columns: 60, write: (x) => out.push(x) }, 'init')!;
    t.clear(); // nothing shown yet: nothing to clear
    expect(out).toEqual([]);
    t.onProgress({ phase: 'scan', files: 1, bytes: 1, totalFiles: 2, elapsedMs: 1 });
    t.clear();
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\rinit: \[#{12}-{12}\] {3}50% {2}1\/2 paths .*\x1b\[K$/);
    expect(out[0]!.length).toBeLessThanOrEqual(60 + 4);
    expect(out[1]).toBe('\r\x1b[K');
  });
});

describe('progress reports of a real init', () => {
  it('counts first when asked, then reports scan progress with the total, ending at the total', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`data/d${i % 7}/f${i}`] = 'x'.repeat(i);
    s = sandbox(files);
    const seen: Progress[] = [];
    const r = await integrityInit({
      root: s.root,
      paths: ['/data'],
      dbFile: s.db,
      keyFile: s.key,
      countFirst: true,
      onProgress: (p) => seen.push(p),
    });
    const last = seen.at(-1)!;
    expect(last.phase).toBe('scan');
    expect(last.totalFiles).toBe(r.records);
    expect(last.files).toBe(r.records);
    expect(last.bytes).toBe(r.stats.bytesHashed);
    expect(seen.filter((p) => p.phase === 'scan').every((p) => p.totalFiles === r.records)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.elapsedMs).toBeGreaterThanOrEqual(seen[i - 1]!.elapsedMs);
    // Rendering every report works and the last one is full.
    const renderer = new ProgressRenderer('init');
    expect(seen.map((p) => renderer.render(p, 100)).at(-1)).toMatch(/\[#{24}\] {2}100% {2}308\/308 paths .* ETA 0:00$/);
  });

  it('without countFirst: no total', async () => {
    s = sandbox({ 'data/a': 'a' });
    const seen: Progress[] = [];
    await integrityInit({
      root: s.root,
      paths: ['/data'],
      dbFile: s.db,
      keyFile: s.key,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.phase === 'scan' && p.totalFiles === undefined)).toBe(true);
  });

  it('the CLI is quiet on stderr when stderr is not a terminal', () => {
    const cli = path.resolve('dist/src/cli/main.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does)`);
    s = sandbox({ 'data/a': 'a', 'data/b': 'b' });
    const r = spawnSync(
      process.execPath,
      [cli, 'integrity', 'init', '--root', s.root, '--path', '/data', '--db', s.db, '--key-file', s.key],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^baseline written: .*, 3 records, signed/);
    const bad = spawnSync(
      process.execPath,
      [cli, 'integrity', 'init', '--root', s.root, '--path', '/data', '--hash', 'md5', '--db', s.db],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--hash must be one of sha256, sha512, blake2b512, got "md5"/);
    const ok = execFileSync(
      process.execPath,
      [
        cli,
        'integrity',
        'init',
        '--root',
        s.root,
        '--path',
        '/data',
        '--hash',
        'sha512',
        '--db',
        s.db,
        '--key-file',
        s.key,
        '--format',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(ok)).toMatchObject({ records: 3, signed: true });
  });
});
