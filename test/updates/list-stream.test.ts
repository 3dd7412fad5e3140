/**
 * The streamed reading of apt lists: the Packages scanner gives the same result wherever the decoded bytes are
 * cut into chunks, the streamed decoders give decode's bytes wherever the compressed file is cut, and
 * truncated, corrupt, oversized and huge input ends in a DecodeError or a bounded result, never a hang or a
 * stray throw.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import lz4 from 'lz4-napi';
import { PackagesScanner, parsePackagesList, readAptLists } from '../../probes/updates/deb/lists.js';
import type { ParsedList } from '../../probes/updates/deb/lists.js';
import { decode, DecodeError, streamDecoder } from '../../probes/updates/compress.js';
import type { Compression } from '../../probes/updates/compress.js';
import { HostRoot } from '../../src/host/root.js';

/** Cut `b` at the given offsets (any order, repeats allowed: empty chunks are fed too). */
function cut(b: Buffer, offsets: number[]): Buffer[] {
  const at = [...offsets.map((o) => o % (b.length + 1)), 0, b.length].sort((x, y) => x - y);
  return at.slice(1).map((end, i) => b.subarray(at[i], end));
}

function scan(chunks: Buffer[], names: ReadonlySet<string>): ParsedList {
  const s = new PackagesScanner(names);
  for (const c of chunks) s.push(c);
  return s.end();
}

const NAMES = new Set(['libc6', 'openssl', 'zlib1g', 'süß']);

const paragraph = fc.record({
  name: fc.constantFrom('libc6', 'openssl', 'zlib1g', 'bash', 'süß', ''),
  version: fc.constantFrom('1.0-1', '2:3.0.15-1~deb12u1', ''),
  extra: fc.array(
    fc.constantFrom(
      'Architecture: amd64',
      'Source: glibc (2.36)',
      'Phased-Update-Percentage: 30',
      'Description: x\n y\n .',
      ' stray',
      'no colon',
      'Package: dup',
      'Version: 9',
    ),
    { maxLength: 4 },
  ),
  crlf: fc.boolean(),
});
const separator = fc.constantFrom('\n\n', '\n\n\n', '\n \n', '\n\n\n\n\n', '\n');

/** A Packages-like text, mostly well formed, with the odd malformed line, odd separators and UTF-8. */
const listText = fc
  .tuple(
    fc.array(paragraph, { maxLength: 12 }),
    fc.array(separator, { minLength: 12, maxLength: 12 }),
    fc.constantFrom('', '\n', '\n\n'),
  )
  .map(
    ([ps, seps, lead]) =>
      lead +
      ps
        .map((p, i) => {
          const lines = [
            p.name ? `Package: ${p.name}` : '',
            p.version ? `Version: ${p.version}` : '',
            ...p.extra,
          ].filter(Boolean);
          return lines.join(p.crlf ? '\r\n' : '\n') + seps[i];
        })
        .join(''),
  );

describe('PackagesScanner', () => {
  it('gives the same result at every chunk boundary', () => {
    fc.assert(
      fc.property(listText, (text) => {
        const b = Buffer.from(text);
        const whole = scan([b], NAMES);
        for (let i = 0; i <= b.length; i++) expect(scan(cut(b, [i]), NAMES)).toEqual(whole);
        // And every byte its own chunk.
        expect(scan(cut(b, [...b.keys()]), NAMES)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same result for any cutting into many chunks', () => {
    fc.assert(
      fc.property(listText, fc.array(fc.nat(), { maxLength: 20 }), (text, offsets) => {
        const b = Buffer.from(text);
        expect(scan(cut(b, offsets), NAMES)).toEqual(scan([b], NAMES));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps what the full parser keeps from a well-formed list', () => {
    const text =
      [
        'Package: libc6\nVersion: 2.36-9\nArchitecture: amd64\nSource: glibc',
        'Package: bash\nVersion: 5.2-1',
        'Package: openssl\nVersion: 3.0.15-1\nPhased-Update-Percentage: 10',
      ].join('\n\n') + '\n';
    const full = parsePackagesList(text, NAMES);
    const streamed = scan(cut(Buffer.from(text), [7, 40, 41]), NAMES);
    expect(streamed.entries).toEqual(full.entries);
    expect(streamed.entries.map((e) => e.name)).toEqual(['libc6', 'openssl']);
    expect(streamed.packages).toBe(3);
  });

  it('takes arbitrary bytes without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, offsets) => {
        const b = Buffer.from(bytes);
        expect(scan(cut(b, offsets), NAMES)).toEqual(scan([b], NAMES));
      }),
    );
  });

  it('keeps nothing of a chunk once push returns (a decoder may reuse its buffer)', () => {
    fc.assert(
      fc.property(listText, fc.array(fc.nat(), { maxLength: 10 }), (text, offsets) => {
        const b = Buffer.from(text);
        const reused = Buffer.alloc(b.length);
        const s = new PackagesScanner(NAMES);
        for (const c of cut(b, offsets)) {
          c.copy(reused);
          s.push(reused.subarray(0, c.length));
          reused.fill(0x0a);
        }
        expect(s.end()).toEqual(scan([b], NAMES));
      }),
      { numRuns: 200 },
    );
  });

  it('judges a paragraph led by its Package line as one whose Package line comes later', () => {
    // The first kind is matched by a hash of the name's bytes, the second by the latin1 string trimmed: the same
    // names are wanted, with whatever trim removes around them (tab to CR, no-break space) and latin1 bytes.
    const names = new Set(['openssl', 'süß', 'bash', 'zlib1g']);
    const packageLines = [
      Buffer.from('Package: \topenssl\u000b '),
      Buffer.from([...Buffer.from('Package:'), 0xa0, 0x62, 0x61, 0x73, 0x68, 0x0d]),
      Buffer.from([...Buffer.from('Package: '), 0x73, 0xfc, 0xdf]),
      Buffer.from('Package: s\u00fc\u00df'),
      Buffer.from('Package: zlib1g'),
      Buffer.from('Package: zlib1gx'),
    ];
    const list = (lead: string) =>
      Buffer.concat(packageLines.flatMap((l, i) => [Buffer.from(lead), l, Buffer.from(`\nVersion: ${i}\n\n`)]));
    const led = scan([list('')], names);
    expect(led.packages).toBe(6);
    expect(led.entries.map((e) => [e.name, e.version])).toEqual([['zlib1g', '4']]);
    const later = scan([list('Architecture: all\n')], names);
    expect({ ...later, entries: later.entries.map((e) => e.version) }).toEqual({
      ...led,
      entries: led.entries.map((e) => e.version),
    });
  });

  it('gets through a huge list without blank lines, and one of many paragraphs, chunk by chunk', () => {
    const line = Buffer.from('Description: ' + 'x'.repeat(100) + '\n');
    const huge = Buffer.concat([
      Buffer.from('Package: openssl\nVersion: 1\n'),
      Buffer.alloc(line.length * 200_000, line),
    ]);
    const r = scan(
      cut(
        huge,
        Array.from({ length: huge.length / 65536 }, (_, i) => i * 65536),
      ),
      NAMES,
    );
    expect(r).toMatchObject({ packages: 1, entries: [{ name: 'openssl', version: '1' }] });
    const many = Buffer.from('Package: bash\nVersion: 1\n\n'.repeat(300_000) + 'Package: zlib1g\nVersion: 2\n');
    const m = scan(
      cut(
        many,
        Array.from({ length: many.length / 4096 }, (_, i) => i * 4096 + 3),
      ),
      NAMES,
    );
    expect(m).toMatchObject({ packages: 300_001, entries: [{ name: 'zlib1g', version: '2' }] });
  });
});

async function streamed(kind: Compression, chunks: Buffer[], max = 1 << 28): Promise<Buffer> {
  const out: Buffer[] = [];
  const d = streamDecoder(kind, max, (b) => out.push(Buffer.from(b)));
  try {
    for (const c of chunks) await d.push(c);
    await d.end();
  } catch (e) {
    d.abort();
    throw e;
  }
  return Buffer.concat(out);
}

const have = (cmd: string) => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** A Packages-like text over several LZ4 blocks, so that linked blocks reach into the window. */
const TEXT = Buffer.from(
  Array.from(
    { length: 3000 },
    (_, i) => `Package: pkg${i % 97}\nVersion: ${i}.0-${i % 7}\nDescription: the ${i % 13} thing ü\n`,
  ).join('\n'),
);

function samples(): [Compression, Buffer][] {
  const via = (cmd: string, args: string[]) => execFileSync(cmd, args, { input: TEXT, maxBuffer: 1 << 28 });
  const s: [Compression, Buffer][] = [
    ['none', TEXT],
    ['gz', Buffer.concat([gzipSync(TEXT.subarray(0, 1000)), gzipSync(TEXT.subarray(1000))])],
    ['lz4', lz4.compressFrameSync(TEXT)],
  ];
  // apt writes linked 64 KiB blocks (liblz4's defaults); the CLI writes them with -BD -B4.
  if (have('lz4'))
    s.push(
      ['lz4', via('lz4', ['-c', '-BD', '-B4'])],
      ['lz4', via('lz4', ['-c', '-BD', '-B4', '-BX', '--content-size'])],
    );
  if (have('xz')) s.push(['xz', via('xz', ['-c'])]);
  if (have('zstd')) s.push(['zst', via('zstd', ['-c'])]);
  return s;
}

describe('streamDecoder', () => {
  const all = samples();

  it("decodes every codec to decode's bytes, however the file is cut", async () => {
    expect(all.some(([k]) => k === 'lz4')).toBe(true);
    for (const [kind, b] of all) {
      const ref = await decode(b, kind, 1 << 28);
      expect(ref.ok && ref.bytes.equals(TEXT), kind).toBe(true);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (offsets) => {
          expect((await streamed(kind, cut(b, offsets))).equals(TEXT)).toBe(true);
        }),
        { numRuns: 40 },
      );
      expect((await streamed(kind, cut(b, [...Array(Math.min(b.length, 600)).keys()]))).equals(TEXT), kind).toBe(true);
    }
  });

  it("decodes this machine's apt lists as decode does", async () => {
    const dir = '/var/lib/apt/lists';
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /_Packages\.(lz4|gz|xz|zst)$/.test(n) && !n.includes('bookworm_main'));
    } catch {
      /* not an apt machine */
    }
    for (const n of names) {
      const b = readFileSync(path.join(dir, n));
      const kind = n.slice(n.lastIndexOf('.') + 1) as Compression;
      const ref = await decode(b, kind, 1 << 30);
      expect(
        (
          await streamed(
            kind,
            cut(
              b,
              Array.from({ length: 40 }, (_, i) => i * 9973),
            ),
          )
        ).equals(ref.ok ? ref.bytes : Buffer.alloc(1)),
        n,
      ).toBe(true);
    }
  });

  it('decodes LZ4 frames of every block size, linked or independent, stored blocks too, as lz4-napi does', async () => {
    if (!have('lz4')) return;
    // Text that compresses, then bytes that do not (stored blocks), then text that matches far back.
    const noise = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24));
    const input = Buffer.concat([TEXT, noise, TEXT.subarray(0, 70_000), Buffer.alloc(5000, 'a'), TEXT]);
    for (const size of ['-B4', '-B5', '-B6', '-B7'])
      for (const link of ['-BD', '-BI']) {
        const frame = execFileSync('lz4', ['-c', size, link, '--content-size'], { input, maxBuffer: 1 << 26 });
        const want = lz4.decompressFrameSync(frame);
        expect(want.equals(input)).toBe(true);
        const got = await streamed('lz4', cut(frame, [5, 100, 65_541, 200_000, 300_001]));
        expect(got.equals(input), `${size} ${link}`).toBe(true);
      }
  });

  it('fails on every truncation of a compressed file', async () => {
    for (const [kind, b] of all.filter(([k]) => k !== 'none' && k !== 'gz')) {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: b.length - 1 }),
          fc.array(fc.nat(), { maxLength: 4 }),
          async (len, offsets) => {
            await expect(streamed(kind, cut(b.subarray(0, len), offsets))).rejects.toBeInstanceOf(DecodeError);
          },
        ),
        { numRuns: 60 },
      );
    }
    // gzip: a cut inside the second member (the first ends whole).
    const gz = all.find(([k]) => k === 'gz')![1];
    await expect(streamed('gz', [gz.subarray(0, gz.length - 3)])).rejects.toBeInstanceOf(DecodeError);
  });

  it('turns corrupt and wrong input into DecodeError, nothing else', async () => {
    for (const [kind, b] of all.filter(([k]) => k !== 'none')) {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          fc.array(fc.nat(), { maxLength: 4 }),
          async (at, x, offsets) => {
            const bad = Buffer.from(b);
            bad[at % bad.length]! ^= x;
            try {
              await streamed(kind, cut(bad, offsets));
            } catch (e) {
              expect(e).toBeInstanceOf(DecodeError);
            }
          },
        ),
        { numRuns: 60 },
      );
      await expect(streamed(kind, [Buffer.from('not compressed at all')])).rejects.toThrow(/bad magic number/);
      await expect(streamed(kind, [])).rejects.toThrow(/bad magic number/);
    }
  });

  it('stops a bomb at the cap', async () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    const bombs: [Compression, Buffer][] = [
      ['gz', gzipSync(zeros)],
      ['lz4', lz4.compressFrameSync(zeros)],
      ['none', zeros],
    ];
    if (have('zstd')) bombs.push(['zst', execFileSync('zstd', ['-c'], { input: zeros, maxBuffer: 1 << 26 })]);
    if (have('xz')) bombs.push(['xz', execFileSync('xz', ['-c'], { input: zeros, maxBuffer: 1 << 26 })]);
    for (const [kind, b] of bombs) {
      await expect(streamed(kind, cut(b, [1000, 5000]), 1024 * 1024), kind).rejects.toThrow(
        /larger than 1048576 bytes/,
      );
    }
  });
});

describe('readAptLists, streamed', () => {
  it('reads each list through its codec, and reports a corrupt or oversized one as a problem', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'hostward-lists-'));
    try {
      const dir = path.join(root, 'lists');
      execFileSync('mkdir', ['-p', dir]);
      const text = Buffer.from(
        'Package: openssl\nVersion: 3.0.15-1\n\nPackage: bash\nVersion: 5.2\n\nPackage: libc6\nVersion: 2.36\n',
      );
      writeFileSync(path.join(dir, 'h_dists_a_main_binary-amd64_Packages.lz4'), lz4.compressFrameSync(text));
      writeFileSync(path.join(dir, 'h_dists_b_main_binary-amd64_Packages.gz'), gzipSync(text));
      writeFileSync(path.join(dir, 'h_dists_c_main_binary-amd64_Packages.gz'), gzipSync(text).subarray(0, 20));
      writeFileSync(path.join(dir, 'h_dists_d_main_binary-amd64_Packages'), text);
      const r = await readAptLists(
        new HostRoot(root),
        { names: NAMES, maxFileBytes: 1 << 20, maxListBytes: 1 << 20 },
        '/lists',
      );
      const by = (s: string) => r.lists.find((l) => l.path.includes(`_${s}_`))!;
      for (const s of ['a', 'b', 'd']) {
        expect(by(s)).toMatchObject({ packages: 3, entries: [{ name: 'openssl' }, { name: 'libc6' }] });
        expect(by(s).problem).toBeUndefined();
      }
      expect(by('c')).toMatchObject({ packages: 0, entries: [], problem: expect.stringMatching(/corrupt gz/) });
      const small = await readAptLists(
        new HostRoot(root),
        { names: NAMES, maxFileBytes: 1 << 20, maxListBytes: 40 },
        '/lists',
      );
      expect(small.lists.find((l) => l.path.includes('_a_'))).toMatchObject({
        entries: [],
        problem: expect.stringMatching(/larger than 40 bytes/),
      });
      const tiny = await readAptLists(
        new HostRoot(root),
        { names: NAMES, maxFileBytes: 30, maxListBytes: 1 << 20 },
        '/lists',
      );
      expect(tiny.lists.find((l) => l.path.includes('_d_'))).toMatchObject({
        entries: [],
        problem: expect.stringMatching(/too large/),
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('readAptLists in a worker thread', () => {
  // The worker runs from the build (dist/): under the TypeScript sources the lists are read in place.
  const built = (): Promise<typeof import('../../probes/updates/deb/lists-off-thread.js')> =>
    import(path.resolve('dist/probes/updates/deb/lists-off-thread.js'));

  function listsRoot(): string {
    const root = mkdtempSync(path.join(tmpdir(), 'hostward-lists-worker-'));
    const dir = path.join(root, 'var/lib/apt/lists');
    execFileSync('mkdir', ['-p', dir]);
    const text = Buffer.from(
      'Package: openssl\nVersion: 3.0.15-1\n\nPackage: bash\nVersion: 5.2\n\nPackage: zlib1g\nVersion: 1\n',
    );
    writeFileSync(path.join(dir, 'h_dists_a_InRelease'), 'Origin: Debian\nLabel: Debian-Security\nSuite: a\n');
    writeFileSync(path.join(dir, 'h_dists_a_main_binary-amd64_Packages.lz4'), lz4.compressFrameSync(text));
    writeFileSync(path.join(dir, 'h_dists_a_contrib_binary-amd64_Packages.gz'), gzipSync(text));
    writeFileSync(path.join(dir, 'h_dists_b_main_binary-amd64_Packages.gz'), gzipSync(text).subarray(0, 20));
    return root;
  }

  it('gives what reading in place gives, the lists sharing their Release objects as in place', async () => {
    const root = listsRoot();
    try {
      const host = new HostRoot(root);
      const opts = { names: NAMES, maxFileBytes: 1 << 20, maxListBytes: 1 << 20 };
      const { readAptListsOffThread } = await built();
      const inPlace = await readAptLists(host, opts);
      const off = await readAptListsOffThread(host, opts);
      expect(off).toEqual(inPlace);
      expect(off.lists.map((l) => l.entries.map((e) => e.name))).toContainEqual(['openssl', 'zlib1g']);
      expect(off.lists.find((l) => l.path.includes('_b_'))?.problem).toMatch(/corrupt gz/);
      const withRelease = off.lists.filter((l) => l.release);
      expect(withRelease).toHaveLength(2);
      for (const l of withRelease) expect(off.releases).toContain(l.release);
      expect(withRelease[0]!.release).toBe(withRelease[1]!.release);
      // Without names every paragraph is kept, as in place.
      const all = await readAptListsOffThread(host, { maxFileBytes: 1 << 20, maxListBytes: 1 << 20 });
      expect(all).toEqual(await readAptLists(host, { maxFileBytes: 1 << 20, maxListBytes: 1 << 20 }));
      expect(all.lists.find((l) => l.path.includes('_a_main'))?.entries).toHaveLength(3);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes its options when they come, and rejects with their error when they fail', async () => {
    const root = listsRoot();
    try {
      const host = new HostRoot(root);
      const opts = { names: NAMES, maxFileBytes: 1 << 20, maxListBytes: 1 << 20 };
      const { readAptListsOffThread } = await built();
      let give!: (o: typeof opts) => void;
      const later = new Promise<typeof opts>((resolve) => (give = resolve));
      const off = readAptListsOffThread(host, later);
      give(opts);
      expect(await off).toEqual(await readAptLists(host, opts));
      await expect(readAptListsOffThread(host, Promise.reject(new Error('no dpkg status')))).rejects.toThrow(
        'no dpkg status',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a scan aborted before or during the read rejects with the abort', async () => {
    const root = listsRoot();
    try {
      const { readAptListsOffThread } = await built();
      const opts = { names: NAMES, maxFileBytes: 1 << 20, maxListBytes: 1 << 20 };
      const before = new AbortController();
      before.abort(new Error('scan timed out'));
      await expect(readAptListsOffThread(new HostRoot(root), opts, undefined, before.signal)).rejects.toThrow(
        'scan timed out',
      );
      const during = new AbortController();
      const p = readAptListsOffThread(new HostRoot(root), opts, undefined, during.signal);
      during.abort(new Error('scan timed out'));
      await expect(p).rejects.toThrow('scan timed out');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
