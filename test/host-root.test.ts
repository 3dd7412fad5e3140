import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { HostRoot, globToRegExp } from '../src/host/root.js';
import { detectOs, parseOsRelease } from '../src/host/os.js';
import { FIXTURES } from './helpers/hosts.js';

let dir: string;
let root: string;
let host: HostRoot;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-root-'));
  root = path.join(dir, 'root');
  // The container's own files, outside the root: a link must never reach them.
  writeFileSync(path.join(dir, 'outside-secret'), 'container file\n');
  mkdirSync(path.join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
  mkdirSync(path.join(root, 'run/secrets'), { recursive: true });
  mkdirSync(path.join(root, 'var'), { recursive: true });
  writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PasswordAuthentication no\n');
  writeFileSync(path.join(root, 'etc/ssh/sshd_config.d/b.conf'), 'b\n');
  writeFileSync(path.join(root, 'etc/ssh/sshd_config.d/a.conf'), 'a\n');
  writeFileSync(path.join(root, 'etc/ssh/sshd_config.d/.hidden.conf'), 'h\n');
  writeFileSync(path.join(root, 'etc/ssh/sshd_config.d/c.conf.bak'), 'bak\n');
  writeFileSync(path.join(root, 'run/secrets/token'), 'host run\n');
  symlinkSync('/run', path.join(root, 'var/run')); // absolute link, as on every modern distro
  symlinkSync('../../../../../../outside-secret', path.join(root, 'etc/escape-rel'));
  symlinkSync('/../../outside-secret', path.join(root, 'etc/escape-abs'));
  symlinkSync('ssh/sshd_config', path.join(root, 'etc/rel-link'));
  symlinkSync('loop-b', path.join(root, 'etc/loop-a'));
  symlinkSync('loop-a', path.join(root, 'etc/loop-b'));
  symlinkSync('/nowhere', path.join(root, 'etc/dangling'));
  writeFileSync(path.join(root, 'etc/big'), Buffer.alloc(200_000, 'x'));
  execFileSync('mkfifo', [path.join(root, 'etc/fifo')]);
  host = new HostRoot(root);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HostRoot.resolve', () => {
  it('lands absolute links inside the root, as the host sees them', async () => {
    const r = await host.readText('/var/run/secrets/token');
    expect(r.ok && r.text).toBe('host run\n');
    expect(r.ok && r.realPath).toBe('/run/secrets/token');
  });

  it('never escapes the root through relative or absolute .. links', async () => {
    for (const p of ['/etc/escape-rel', '/etc/escape-abs', '/../../outside-secret', '/etc/../../../outside-secret']) {
      const r = await host.readText(p);
      expect(r.ok, p).toBe(false);
      if (!r.ok) expect(r.code).toBe('missing');
    }
  });

  it('follows relative links from the link’s directory', async () => {
    const r = await host.readText('/etc/rel-link');
    expect(r.ok && r.text).toBe('PasswordAuthentication no\n');
    expect(r.ok && r.realPath).toBe('/etc/ssh/sshd_config');
  });

  it('reports a symlink loop as a typed failure', async () => {
    const r = await host.readText('/etc/loop-a');
    expect(r).toMatchObject({ ok: false, code: 'symlink_loop' });
  });

  it('reports a dangling link and a missing file as missing', async () => {
    expect(await host.readText('/etc/dangling')).toMatchObject({ ok: false, code: 'missing' });
    expect(await host.readText('/etc/nope')).toMatchObject({ ok: false, code: 'missing' });
    expect(await host.readText('/etc/ssh/sshd_config/x')).toMatchObject({ ok: false, code: 'missing' });
  });

  it('lstat semantics with follow=false', async () => {
    const st = await host.stat('/var/run', false);
    expect(st.ok && st.type).toBe('symlink');
    const st2 = await host.stat('/var/run');
    expect(st2.ok && st2.type).toBe('directory');
  });
});

describe('HostRoot.read*', () => {
  it('caps the size and says so', async () => {
    const r = await host.readText('/etc/big', { maxBytes: 100_000 });
    expect(r).toMatchObject({ ok: false, code: 'too_large' });
    const ok = await host.readText('/etc/big', { maxBytes: 200_000 });
    expect(ok.ok && ok.text.length).toBe(200_000);
  });

  it('reads /proc-style files whose size is 0 with the same cap', async () => {
    const real = new HostRoot('/');
    const r = await real.readText('/proc/self/status');
    expect(r.ok && r.text).toContain('VmRSS');
    expect(await real.readText('/proc/self/status', { maxBytes: 10 })).toMatchObject({ ok: false, code: 'too_large' });
  });

  it('refuses directories and FIFOs without hanging', async () => {
    expect(await host.readText('/etc/ssh')).toMatchObject({ ok: false, code: 'not_a_file' });
    expect(await host.readText('/etc/fifo')).toMatchObject({ ok: false, code: 'not_a_file' });
  });

  it('stats mode, uid and gid as numbers', async () => {
    chmodSync(path.join(root, 'etc/ssh/sshd_config'), 0o640);
    const st = await host.stat('/etc/ssh/sshd_config');
    expect(st).toMatchObject({ ok: true, type: 'file', mode: 0o640, uid: process.getuid!(), size: 26 });
  });

  it('reports unreadable files as unreadable when not privileged', () => {
    // Root reads anything, so drop to nobody in a child process and read a 0600 root file for real.
    if (process.getuid?.() !== 0) return;
    chmodSync(dir, 0o755);
    chmodSync(path.join(root, 'etc/ssh/sshd_config'), 0o600);
    const script = `
      import { HostRoot } from ${JSON.stringify(path.resolve('src/host/root.ts'))};
      const r = await new HostRoot(${JSON.stringify(root)}).readText('/etc/ssh/sshd_config');
      console.log(JSON.stringify(r));`;
    // A bare child cannot use vitest's TypeScript loader: compile the real module (and what it imports) with tsc,
    // run it as nobody.
    const ts = spawnSync(
      process.execPath,
      [
        path.resolve('node_modules/typescript/bin/tsc'),
        '--outDir',
        path.join(dir, 'js'),
        '--rootDir',
        path.resolve('src'),
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--target',
        'ES2022',
        '--types',
        'node',
        '--strict',
        '--skipLibCheck',
        path.resolve('src/host/root.ts'),
      ],
      { encoding: 'utf8' },
    );
    expect(ts.status, ts.stdout + ts.stderr).toBe(0);
    const js = script.replace(
      JSON.stringify(path.resolve('src/host/root.ts')),
      JSON.stringify(path.join(dir, 'js/host/root.js')),
    );
    writeFileSync(path.join(dir, 'js/package.json'), '{"type":"module"}');
    chmodSync(path.join(dir, 'js'), 0o755);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', js], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const r = JSON.parse(child.stdout) as { ok: boolean; code: string; reason: string };
    expect(r).toMatchObject({ ok: false, code: 'unreadable' });
    expect(r.reason).toMatch(/EACCES/);
  });
});

describe('HostRoot.glob and readDir', () => {
  it('expands in lexical order, skipping dot files, like glob(3)', async () => {
    expect(await host.glob('/etc/ssh/sshd_config.d/*.conf')).toEqual([
      '/etc/ssh/sshd_config.d/a.conf',
      '/etc/ssh/sshd_config.d/b.conf',
    ]);
    expect(await host.glob('/etc/ssh/sshd_config.d/.*.conf')).toEqual(['/etc/ssh/sshd_config.d/.hidden.conf']);
    expect(await host.glob('/etc/ssh/sshd_config.d/[ab].conf')).toHaveLength(2);
    expect(await host.glob('/etc/ssh/none.d/*.conf')).toEqual([]);
    expect(await host.glob('/etc/ssh/sshd_config')).toEqual(['/etc/ssh/sshd_config']);
  });

  it('globs through absolute links inside the root', async () => {
    expect(await host.glob('/var/run/secrets/*')).toEqual(['/var/run/secrets/token']);
  });

  it('translates fnmatch classes', () => {
    expect(globToRegExp('[!a]*.conf').test('b.conf')).toBe(true);
    expect(globToRegExp('[!a]*.conf').test('a.conf')).toBe(false);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a.c').test('abc')).toBe(false);
  });
});

describe('OS detection', () => {
  it('follows the relative os-release link of Flatcar-style hosts', async () => {
    const info = await detectOs(new HostRoot(path.join(FIXTURES, 'debian12-stock')));
    expect(info).toMatchObject({
      id: 'debian',
      versionId: '12',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      kernel: '6.1.0-28-amd64',
    });
  });

  it('falls back to /usr/lib/os-release and to unknown', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-os-'));
    mkdirSync(path.join(d, 'usr/lib'), { recursive: true });
    writeFileSync(
      path.join(d, 'usr/lib/os-release'),
      'ID=flatcar\nVERSION_ID=3815.2.0\nPRETTY_NAME="Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)"\n',
    );
    expect(await detectOs(new HostRoot(d))).toMatchObject({ id: 'flatcar', versionId: '3815.2.0' });
    rmSync(path.join(d, 'usr'), { recursive: true });
    expect(await detectOs(new HostRoot(d))).toMatchObject({ id: 'unknown', prettyName: 'unknown' });
    rmSync(d, { recursive: true });
  });

  it('parses quoting and ignores garbage lines', () => {
    expect(parseOsRelease('# c\nNAME="A \\"B\\""\nBAD LINE\nID=x\n\u0000\u0001=\nVERSION_ID=\'1\'')).toEqual({
      NAME: 'A "B"',
      ID: 'x',
      VERSION_ID: '1',
    });
    expect(Object.keys(parseOsRelease('X=' + 'y'.repeat(10_000))).length).toBe(1);
  });
});

describe('HostRoot.readLink', () => {
  it('reads link text without following it, through links inside the root', async () => {
    expect(await host.readLink('/etc/rel-link')).toMatchObject({ ok: true, target: 'ssh/sshd_config' });
    expect(await host.readLink('/var/run')).toMatchObject({ ok: true, target: '/run' });
    expect(await host.readLink('/etc/dangling')).toMatchObject({ ok: true, target: '/nowhere' });
    expect(await host.readLink('/etc/ssh/sshd_config')).toMatchObject({ ok: false, code: 'not_a_file' });
    expect(await host.readLink('/etc/none')).toMatchObject({ ok: false, code: 'missing' });
    const real = new HostRoot('/');
    const fd = await real.readLink(`/proc/${process.pid}/fd/0`);
    expect(fd.ok).toBe(true);
  });
});

describe('HostRoot on the host’s own root, paths in a directory already resolved', () => {
  it('still sees a link, a missing file and a link not followed in a directory it has resolved', async () => {
    const real = new HostRoot('/');
    const d = mkdtempSync(path.join(os.tmpdir(), 'hostward-linkfree-'));
    try {
      writeFileSync(path.join(d, 'file'), 'x\n');
      symlinkSync('file', path.join(d, 'link'));
      mkdirSync(path.join(d, 'sub'));
      symlinkSync('sub', path.join(d, 'dirlink'));
      writeFileSync(path.join(d, 'sub', 'inner'), 'y\n');
      const first = await real.readText(path.join(d, 'file'));
      expect(first.ok && first.realPath).toBe(path.join(d, 'file'));
      // The directory is now known to be reached without a link: what is in it is still judged itself.
      const viaLink = await real.readText(path.join(d, 'link'));
      expect(viaLink.ok && viaLink.realPath).toBe(path.join(d, 'file'));
      const notFollowed = await real.stat(path.join(d, 'link'), false);
      expect(notFollowed).toMatchObject({ ok: true, type: 'symlink', realPath: path.join(d, 'link') });
      expect(await real.readText(path.join(d, 'none'))).toMatchObject({ ok: false, code: 'missing' });
      const inner = await real.readText(path.join(d, 'dirlink', 'inner'));
      expect(inner.ok && inner.realPath).toBe(path.join(d, 'sub', 'inner'));
      const big = Buffer.alloc(10_000, 'z');
      writeFileSync(path.join(d, 'sized'), big);
      const sized = await real.readBytes(path.join(d, 'sized'));
      expect(sized.ok && sized.bytes.equals(big)).toBe(true);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('HostRoot.resolve on the host’s own root', () => {
  it('resolves as the kernel does, through merged-/usr links, /proc/self and absolute links', async () => {
    const real = new HostRoot('/');
    const paths = [
      '/bin/sh',
      '/lib/systemd/system',
      '/usr/bin/env',
      '/var/run',
      '/proc/self/status',
      '/etc/alternatives/awk',
      '/etc/os-release',
      '/etc/../etc/hostname',
    ];
    for (const p of paths) {
      if (!existsSync(p)) continue;
      const r = await real.resolve(p);
      expect(r, p).toEqual({ ok: true, realPath: realpathSync(p) });
      // Not following the last component: its directory resolved, the entry itself kept.
      const n = await real.resolve(p, false);
      const dir = realpathSync(path.dirname(path.normalize(p)));
      expect(n, p).toEqual({ ok: true, realPath: path.join(dir, path.basename(path.normalize(p))) });
      // Asked again: the directory's real path is remembered, and the answer is the same.
      expect(await real.resolve(p)).toEqual(r);
    }
    expect(await real.resolve('/etc/hostward-none')).toMatchObject({ ok: false, code: 'missing' });
    expect(await real.resolve('/etc/hostward-none/x')).toMatchObject({
      ok: false,
      code: 'missing',
      reason: expect.stringContaining('/etc/hostward-none'),
    });
    expect(await real.resolve('/etc/hostname/x')).toMatchObject({ ok: false, code: 'missing' });
  });
});

describe('HostRoot.readLinksIn', () => {
  it('reads every link of a directory without following one, the directory resolved inside the root', async () => {
    // /var/run -> /run: the directory is reached through an absolute link, which lands inside the root.
    symlinkSync('/../../outside-secret', path.join(root, 'run/secrets/escape'));
    symlinkSync('socket:[4242]', path.join(root, 'run/secrets/fd3'));
    try {
      const r = await host.readLinksIn('/var/run/secrets');
      expect(r).toMatchObject({ ok: true, realPath: '/run/secrets' });
      if (!r.ok) return;
      expect(r.links).toEqual([
        { name: 'escape', target: '/../../outside-secret' },
        { name: 'fd3', target: 'socket:[4242]' },
        { name: 'token' }, // a file: no target
      ]);
    } finally {
      rmSync(path.join(root, 'run/secrets/escape'));
      rmSync(path.join(root, 'run/secrets/fd3'));
    }
    expect(await host.readLinksIn('/etc/none')).toMatchObject({ ok: false, code: 'missing' });
    expect(await host.readLinksIn('/etc/ssh/sshd_config')).toMatchObject({ ok: false, code: 'not_a_directory' });
    expect(await host.readLinksIn('/etc/escape-abs')).toMatchObject({ ok: false });
  });

  it('on the host itself, gives what readLink gives for each of this process’s descriptors', async () => {
    const real = new HostRoot('/');
    const r = await real.readLinksIn(`/proc/${process.pid}/fd`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.links.length).toBeGreaterThan(2);
    const stdin = r.links.find((l) => l.name === '0');
    const one = await real.readLink(`/proc/${process.pid}/fd/0`);
    expect(one.ok && stdin?.target).toBe(one.ok ? one.target : 'unreadable');
  });
});

describe('HostRoot.processes', () => {
  it('lists the host’s processes with their comm, once per HostRoot', async () => {
    const real = new HostRoot('/');
    const first = real.processes();
    expect(real.processes()).toBe(first); // one walk of /proc per HostRoot (per scan)
    const list = await first;
    const me = list.find((p) => p.pid === process.pid);
    expect(me?.comm).toBe(currentComm());
    expect(list.every((p) => Number.isInteger(p.pid) && p.comm.length > 0)).toBe(true);
    expect(list.some((p) => p.pid === 1)).toBe(true);
    expect(await host.processes()).toEqual([]); // a root without /proc
  });
});

function currentComm(): string {
  return readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim();
}

describe('resolve on the host root', () => {
  it('answers as the component-by-component walk does, with links, missing paths and files as parents', async () => {
    // dir (from beforeAll) is on this machine's own root: links in it are resolved by the walk or by realpath.
    const base = path.join(dir, 'fast');
    mkdirSync(path.join(base, 'real/sub'), { recursive: true });
    writeFileSync(path.join(base, 'real/sub/file'), 'x\n');
    symlinkSync('real', path.join(base, 'rel-link'));
    symlinkSync(path.join(base, 'real/sub'), path.join(base, 'abs-link'));
    symlinkSync('missing-target', path.join(base, 'dangling'));
    symlinkSync('real/sub/file', path.join(base, 'file-link'));
    symlinkSync('loop-b', path.join(base, 'loop-a'));
    symlinkSync('loop-a', path.join(base, 'loop-b'));
    const paths = [
      '/',
      base,
      `${base}/real/sub/file`,
      `${base}/rel-link/sub/file`,
      `${base}/abs-link/file`,
      `${base}/abs-link`,
      `${base}/file-link`,
      `${base}/dangling`,
      `${base}/loop-a`,
      `${base}/loop-a/x`,
      `${base}/real/sub/file/under-a-file`,
      `${base}/real/missing/x`,
      `${base}/real/./sub/../sub/file`,
      `/proc/${process.pid}/comm`,
      '/proc/self/status',
      `/proc/${process.pid}/fd/0`,
    ];
    const fast = new HostRoot('/');
    const walk = new HostRoot('/');
    // The walk alone, as under any other root: neither the kernel's resolution nor the direct open.
    const shortcuts = walk as unknown as Record<'resolveOnHost' | 'openOnHost', () => Promise<undefined>>;
    shortcuts.resolveOnHost = async () => undefined;
    shortcuts.openOnHost = async () => undefined;
    const outcome = (r: Awaited<ReturnType<HostRoot['readBytes']>>) =>
      r.ok ? { ok: true, realPath: r.realPath } : { ok: false, code: r.code };
    for (const p of paths) {
      for (const follow of [true, false]) {
        expect(await fast.resolve(p, follow), `${p} follow=${follow}`).toEqual(await walk.resolve(p, follow));
      }
      // Reading opens the entry at once on the host's root; a link or a missing parent is the walk's again.
      expect(outcome(await fast.readBytes(p)), `read ${p}`).toEqual(outcome(await walk.readBytes(p)));
    }
  });
});
