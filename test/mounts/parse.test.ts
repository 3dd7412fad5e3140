/** parseMountInfo on real lines, escapes, stacked mounts, garbage and huge input; and against findmnt here. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { mountAt, parseMountInfo } from '../../probes/mounts/index.js';
import { MAX_MOUNTS } from '../../probes/mounts/parse.js';

describe('parseMountInfo', () => {
  it('reads the fields, with optional fields before the separator and octal escapes', () => {
    const info = parseMountInfo(
      '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime,nosuid master:1 shared:2 - ext3 /dev/root rw,errors=continue\n',
    );
    expect(info.bad).toBe(0);
    const m = info.mounts[0]!;
    expect(m).toMatchObject({
      id: 36,
      parent: 35,
      device: '98:0',
      root: '/mnt1',
      mountPoint: '/mnt/with space',
      fsType: 'ext3',
      source: '/dev/root',
      line: 1,
    });
    expect([...m.options]).toEqual(['rw', 'noatime', 'nosuid']);
  });

  it('takes the last mount at a point as the one on top', () => {
    const info = parseMountInfo(
      '1 0 0:1 / /dev/shm rw - tmpfs tmpfs rw\n2 1 0:1 / /dev/shm rw,noexec - tmpfs tmpfs rw\n',
    );
    expect(mountAt(info, '/dev/shm')?.id).toBe(2);
    expect(mountAt(info, '/tmp')).toBeUndefined();
  });

  it('counts lines it does not understand and keeps the rest', () => {
    const info = parseMountInfo(
      'garbage\n1 0 0:1 / / rw - ext4 /dev/sda rw\nx y 0:1 / /a rw - t s o\n1 0 0:1 / relative rw - t s o\n1 0 0:1 / /b rw no-separator here x\n',
    );
    expect(info.mounts.map((m) => m.mountPoint)).toEqual(['/']);
    expect(info).toMatchObject({ bad: 4, firstBad: 1 });
  });

  it('never throws on arbitrary input, and caps the mounts it keeps', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (s) => {
        const info = parseMountInfo(s);
        expect(info.mounts.length + info.bad).toBeLessThanOrEqual(s.split('\n').length);
      }),
      { numRuns: 300, seed: 11 },
    );
    const huge = '1 0 0:1 / /x rw - tmpfs tmpfs rw\n'.repeat(MAX_MOUNTS + 10);
    expect(parseMountInfo(huge).mounts).toHaveLength(MAX_MOUNTS);
  });
});

describe('agreement with findmnt (util-linux) on this machine', () => {
  it('every mount point and its nodev/nosuid/noexec as findmnt reports them for pid 1', () => {
    // One snapshot for both readers: mounts come and go while other tests run.
    const text = readFileSync('/proc/1/mountinfo', 'utf8');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-mountinfo-'));
    let out: string;
    try {
      writeFileSync(path.join(dir, 'mountinfo'), text);
      out = execFileSync(
        'findmnt',
        ['--tab-file', path.join(dir, 'mountinfo'), '--noheadings', '--raw', '--output', 'TARGET,VFS-OPTIONS'],
        { encoding: 'utf8' },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const info = parseMountInfo(text);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]);
    expect(rows.length).toBe(info.mounts.length);
    for (const [target, opts] of rows) {
      // findmnt --raw escapes like mountinfo; decode the same way for the comparison.
      const mp = target.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      const m = mountAt(info, mp);
      expect(m, mp).toBeDefined();
      for (const o of ['nodev', 'nosuid', 'noexec']) {
        if (info.mounts.filter((x) => x.mountPoint === mp).length === 1)
          expect(m!.options.has(o), `${mp} ${o}`).toBe(opts.split(',').includes(o));
      }
    }
  });
});
