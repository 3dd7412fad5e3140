/** RPM header blobs and rpmdb.sqlite: good, malformed, truncated and huge input; kernels and reboot semantics. */
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { parseRpmHeader, TAG } from '../../probes/updates/rpm/header.js';
import { readRpmDbSqlite } from '../../probes/updates/rpm/rpmdb.js';
import { rpmKernels, compareRpmKernels } from '../../probes/updates/rpm/family.js';
import { buildHeader, buildRpmdb } from './rpm-helpers.js';

describe('RPM header blobs', () => {
  it('decodes NAME, VERSION, RELEASE, EPOCH and ARCH, skipping the region entry and other tags', () => {
    const b = buildHeader({
      name: 'openssl-libs',
      version: '3.2.2',
      release: '9.fc41',
      epoch: 1,
      arch: 'x86_64',
      extra: { 1004: 'A general purpose cryptography library', 1005: 'x' },
    });
    expect(parseRpmHeader(b)).toEqual({
      ok: true,
      pkg: { name: 'openssl-libs', version: '3.2.2', release: '9.fc41', epoch: 1, arch: 'x86_64' },
    });
    expect(parseRpmHeader(buildHeader({ name: 'gpg-pubkey', version: 'e99d6ad1', release: '64d2612c' }))).toEqual({
      ok: true,
      pkg: { name: 'gpg-pubkey', version: 'e99d6ad1', release: '64d2612c' },
    });
  });
  it('rejects short, truncated, oversized and inconsistent blobs without reading out of bounds', () => {
    const good = buildHeader({ name: 'bash', version: '5.2', release: '1', arch: 'x86_64' });
    expect(parseRpmHeader(new Uint8Array(3)).ok).toBe(false);
    for (let n = 0; n < good.length; n += 7) expect(parseRpmHeader(good.subarray(0, n)).ok, `cut at ${n}`).toBe(false);
    const huge = Buffer.from(good);
    huge.writeUInt32BE(0x7fffffff, 0);
    expect(parseRpmHeader(huge)).toMatchObject({ ok: false, reason: expect.stringContaining('entry count') });
    const bigData = Buffer.from(good);
    bigData.writeUInt32BE(0x10000000, 4);
    expect(parseRpmHeader(bigData)).toMatchObject({ ok: false, reason: expect.stringContaining('data length') });
    // NAME offset pointing past the data
    const badOff = Buffer.from(good);
    for (let e = 0; e < badOff.readUInt32BE(0); e++)
      if (badOff.readUInt32BE(8 + e * 16) === TAG.name) badOff.writeUInt32BE(0xfffffff0, 8 + e * 16 + 8);
    expect(parseRpmHeader(badOff).ok).toBe(false);
    // unterminated string: drop every NUL of the data store
    const noNul = Buffer.from(good);
    const ds = 8 + noNul.readUInt32BE(0) * 16;
    for (let i = ds; i < noNul.length; i++) if (noNul[i] === 0) noNul[i] = 0x41;
    expect(parseRpmHeader(noNul).ok).toBe(false);
    // random bytes never throw
    let seed = 7;
    for (let k = 0; k < 2000; k++) {
      const r = Buffer.alloc(64);
      for (let i = 0; i < r.length; i++) r[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      r.writeUInt32BE(1 + (k % 3), 0);
      r.writeUInt32BE(k % 40, 4);
      expect(() => parseRpmHeader(r)).not.toThrow();
    }
  });
  it('a header announcing 65535 entries with no room for their data is refused', () => {
    const il = 0xffff;
    const b = Buffer.alloc(8 + il * 16 + 8);
    b.writeUInt32BE(il, 0);
    b.writeUInt32BE(8, 4);
    expect(parseRpmHeader(b).ok).toBe(false);
  });
});

describe('rpmdb.sqlite', () => {
  it('reads the Packages table of a real-schema database', async () => {
    const db = await buildRpmdb([
      { name: 'kernel-core', version: '6.11.4', release: '301.fc41', arch: 'x86_64' },
      buildHeader({ name: 'bash', version: '5.2.32', release: '1.fc41', arch: 'x86_64' }).subarray(0, 20),
      { name: 'bash', version: '5.2.32', release: '1.fc41', arch: 'x86_64' },
    ]);
    const r = await readRpmDbSqlite(db);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packages.map((p) => `${p.hnum} ${p.name}`)).toEqual(['1 kernel-core', '3 bash']);
    expect(r.problems[0]).toContain('Packages row 2: truncated');
  });
  it('says why for non-SQLite, truncated and foreign databases', async () => {
    expect(await readRpmDbSqlite(Buffer.from('not a database'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not an SQLite 3 database'),
    });
    const db = await buildRpmdb([{ name: 'bash', version: '1', release: '1', arch: 'x86_64' }]);
    const cut = await readRpmDbSqlite(db.subarray(0, 150));
    expect(cut.ok === false || cut.packages.length === 0).toBe(true);
    const require = createRequire(import.meta.url);
    const SQL = await (
      await import('sql.js')
    ).default({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
    const other = new SQL.Database();
    other.run('CREATE TABLE t (x)');
    const bytes = Buffer.from(other.export());
    other.close();
    expect(await readRpmDbSqlite(bytes)).toMatchObject({ ok: false, reason: expect.stringContaining('Packages') });
  });
  // bench/parsers.mjs measures the time.
  it('reads a database of 5,000 packages', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      name: `pkg${i}`,
      version: `1.${i}`,
      release: '1.fc41',
      arch: 'x86_64',
    }));
    const db = await buildRpmdb(many);
    const r = await readRpmDbSqlite(db);
    expect(r.ok && r.packages.length).toBe(5000);
  });
});

describe('kernels (needs-restarting -r)', () => {
  const k = (version: string, release: string, name = 'kernel-core') => ({
    name,
    version,
    release,
    arch: 'x86_64',
    hnum: 0,
  });
  it('orders kernels by EVR, one per release, and compares with the running one', () => {
    const ks = rpmKernels([
      k('6.11.4', '301.fc41'),
      k('6.11.4', '301.fc41', 'kernel'),
      k('6.12.5', '200.fc41'),
      k('6.9.1', '100.fc41'),
    ]);
    expect(ks.map((x) => x.release)).toEqual([
      '6.12.5-200.fc41.x86_64',
      '6.11.4-301.fc41.x86_64',
      '6.9.1-100.fc41.x86_64',
    ]);
    expect(ks[1]!.name).toBe('kernel-core');
    expect(compareRpmKernels('6.12.5-200.fc41.x86_64', ks)).toEqual({});
    expect(compareRpmKernels('6.11.4-301.fc41.x86_64', ks).newerKernel).toContain('6.12.5-200.fc41');
    expect(compareRpmKernels('6.8.0-1.fc41.x86_64', ks).newerKernel).toContain('no installed package');
    expect(compareRpmKernels('6.13.0-1.fc41.x86_64', ks).kernelNote).toContain('no installed kernel package');
    expect(compareRpmKernels(undefined, ks).kernelNote).toContain('unknown');
    expect(compareRpmKernels('6.1', []).kernelNote).toContain('managed outside rpm');
  });
});
