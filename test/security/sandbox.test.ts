/**
 * Which roots' binaries hostward trusts, and what keeps a binary of an untrusted root from running at all:
 * a device node it could open, a kernel filesystem or a host filesystem mounted inside the root
 * (src/host/exec.ts, root-safety.ts, sandbox.ts). Real mounts and device nodes, made here as root.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { hostExec, rootTrust } from '../../src/host/exec.js';
import { checkRoot, parseMountinfo } from '../../src/host/root-safety.js';
import { findTools, inheritedDescriptors, missingCapabilities } from '../../src/host/sandbox.js';
import { loadConfig, ConfigError } from '../../src/config/config.js';
import { mountsUnder } from '../hostile/untrusted-root.js';

const isRoot = process.getuid?.() === 0;
let dir: string;

const ctx = { checkIds: new Set<string>(), probes: new Map<string, undefined>() };

/** A root with busybox as /bin/sh and a usr/sbin/sshd that leaves a mark if it ever runs. */
function root(name: string): string {
  const r = path.join(dir, name);
  for (const d of ['bin', 'usr/sbin', 'dev', 'tmp', 'proc', 'run']) mkdirSync(path.join(r, d), { recursive: true });
  execFileSync('cp', ['/bin/busybox', path.join(r, 'bin/busybox')]);
  const script = '#!/bin/busybox sh\n/bin/busybox touch /tmp/ran\necho port 22\n';
  writeFileSync(path.join(r, 'usr/sbin/sshd'), script, { mode: 0o755 });
  execFileSync('mknod', ['-m', '666', path.join(r, 'dev/null'), 'c', '1', '3']);
  return realpathSync(r);
}

function mount(args: string[]): void {
  execFileSync('mount', args);
}

beforeAll(() => {
  if (isRoot) dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'hostward-sandbox-')));
});
afterEach(() => {
  if (dir) for (const mp of mountsUnder(dir)) execFileSync('umount', ['-l', mp]);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('what hostward trusts', () => {
  it('/ is the host', async () => {
    expect(await rootTrust('/')).toEqual({ trusted: true, why: 'the root is /' });
  });

  it.runIf(isRoot)('another path to the host process’s root directory is the host; another root is not', async () => {
    const hostroot = path.join(dir, 'hostroot');
    mkdirSync(hostroot);
    mount(['--bind', '/', hostroot]);
    // This test process stands for PID 1 (whose root the sandboxing machine here hides from root).
    const viaBind = await rootTrust(hostroot, { hostPid: process.pid });
    expect(viaBind).toMatchObject({ trusted: true, why: expect.stringContaining("this host's root") });
    const other = root('other');
    const why = `${other} is not this host's own root`;
    expect(await rootTrust(other, { hostPid: process.pid })).toEqual({ trusted: false, why });
    expect(await rootTrust(other, { hostPid: 999_999_999 })).toMatchObject({ trusted: false });
  });

  it.runIf(isRoot)('trustedRoots names a root by any path to it', async () => {
    const r = root('listed');
    const link = path.join(dir, 'listed-link');
    symlinkSync(r, link);
    const noHost = { hostPid: 999_999_999 };
    const why = `${r} is listed in trustedRoots`;
    expect(await rootTrust(r, { ...noHost, trustedRoots: [link] })).toEqual({ trusted: true, why });
    expect(await rootTrust(r, { ...noHost, trustedRoots: ['/elsewhere'] })).toMatchObject({ trusted: false });
  });

  it('trustedRoots and HOSTWARD_TRUSTED_ROOTS take absolute paths only', () => {
    const cfgDir = mkdtempSync(path.join(os.tmpdir(), 'hostward-trusted-cfg-'));
    onTestFinished(() => rmSync(cfgDir, { recursive: true, force: true }));
    const f = path.join(cfgDir, 'c.yaml');
    writeFileSync(f, 'trustedRoots: [/host]\n');
    expect(loadConfig(f, ctx, {}).trustedRoots).toEqual(['/host']);
    const fromEnv = loadConfig(undefined, ctx, { HOSTWARD_TRUSTED_ROOTS: '/host, /mnt/node' });
    expect(fromEnv.trustedRoots).toEqual(['/host', '/mnt/node']);
    expect(loadConfig(undefined, ctx, {}).trustedRoots).toEqual([]);
    writeFileSync(f, 'trustedRoots: [host]\n');
    expect(() => loadConfig(f, ctx, {})).toThrow(ConfigError);
    expect(() => loadConfig(f, ctx, {})).toThrow(/trustedRoots\[0\]: must be an absolute path/);
  });
});

describe('building the sandbox', () => {
  it('names the capabilities it lacks: the DaemonSet’s set cannot build it', () => {
    const all = 'CapEff:\t000001ffffffffff\n';
    expect(missingCapabilities(all)).toEqual([]);
    // DAC_READ_SEARCH (2), SYS_CHROOT (18), SYS_PTRACE (19)
    const documented = `CapEff:\t${((1n << 2n) | (1n << 18n) | (1n << 19n)).toString(16).padStart(16, '0')}\n`;
    expect(missingCapabilities(documented)).toEqual(['CAP_SETGID', 'CAP_SETPCAP', 'CAP_SYS_ADMIN']);
  });

  it('finds its tools by absolute path', () => {
    const t = findTools();
    if ('missing' in t) return expect(t.missing.length).toBeGreaterThan(0);
    for (const p of Object.values(t)) expect(p).toMatch(/^\/(usr\/)?s?bin\//);
  });

  it('sees the descriptors a child would inherit from whoever started hostward', () => {
    const list = inheritedDescriptors();
    for (const fd of list) {
      expect(fd).toBeGreaterThan(2);
      const flags = parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
      expect(flags & 0o2000000).toBe(0); // no O_CLOEXEC
    }
  });
});

const withBusybox = isRoot && existsSync('/bin/busybox');

describe.runIf(withBusybox)('a root with a way to the host is refused, and nothing of it runs', () => {
  async function refused(r: string, why: RegExp): Promise<void> {
    expect(await checkRoot(r)).toMatchObject({ ok: false, reason: expect.stringMatching(why) });
    const res = await hostExec(r)('/usr/sbin/sshd', ['-T'], { timeoutMs: 10_000 });
    expect(res).toMatchObject({ ok: false, reason: 'sandbox_unavailable' });
    if (!res.ok) expect(res.message).toMatch(why);
    expect(existsSync(path.join(r, 'tmp/ran'))).toBe(false);
  }

  it('a clean root passes, and its binary runs (the control), by the resolved path of the root', async () => {
    const r = root('clean');
    expect(await checkRoot(r)).toMatchObject({ ok: true });
    const link = path.join(dir, 'clean-link');
    symlinkSync(r, link);
    const res = await hostExec(link)('/usr/sbin/sshd', ['-T'], { timeoutMs: 10_000 });
    expect(res).toMatchObject({ ok: true, code: 0, stdout: 'port 22\n' });
    expect(existsSync(path.join(r, 'tmp/ran'))).toBe(true);
  });

  it('a block device (the host’s disk, whatever its mode)', async () => {
    const r = root('block');
    execFileSync('mknod', ['-m', '600', path.join(r, 'dev/sda'), 'b', '8', '0']);
    await refused(r, /\/dev\/sda is a block device \(8:0\) on a mount that allows devices/);
  });

  it('a character device other than null, zero, full, random, urandom and tty', async () => {
    const r = root('mem');
    mkdirSync(path.join(r, 'var/deep/er'), { recursive: true });
    execFileSync('mknod', ['-m', '600', path.join(r, 'var/deep/er/kmem'), 'c', '1', '1']);
    await refused(r, /\/var\/deep\/er\/kmem is a character device \(1:1\)/);
  });

  it('devices on a nodev mount do not count (they cannot be opened); a mount below that allows them does', async () => {
    const r = root('nodev');
    mount(['-t', 'tmpfs', '-o', 'nodev,size=1m', 'tmpfs', path.join(r, 'run')]);
    execFileSync('mknod', ['-m', '666', path.join(r, 'run/sda'), 'b', '8', '0']);
    mkdirSync(path.join(r, 'run/deeper'));
    expect(await checkRoot(r)).toMatchObject({ ok: true });
    mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(r, 'run/deeper')]);
    execFileSync('mknod', ['-m', '666', path.join(r, 'run/deeper/sdb'), 'b', '8', '16']);
    await refused(r, /\/run\/deeper\/sdb is a block device/);
  });

  it('proc mounted inside the root: the host seen through it', async () => {
    const r = root('proc');
    mount(['-t', 'proc', 'proc', path.join(r, 'proc')]);
    await refused(r, /\/proc inside the root is a proc mount/);
  });

  it('a host directory mounted into the root (its sockets and files)', async () => {
    const r = root('bind');
    const outside = path.join(dir, 'outside-run');
    mkdirSync(outside);
    mount(['--bind', outside, path.join(r, 'run')]);
    await refused(r, /\/run inside the root is the filesystem of .* mounted again/);
  });
});

describe('mountinfo', () => {
  it('reads mount points with escaped characters, per-mount options and the type after the separator', () => {
    const line = '36 35 98:0 /mnt1 /mnt\\040two rw,nodev,noatime master:1 - ext3 /dev/root rw,errors=continue';
    const m = parseMountinfo(`${line}\ngarbage\n`);
    expect(m).toEqual([{ dev: '98:0', mountPoint: '/mnt two', options: ['rw', 'nodev', 'noatime'], fstype: 'ext3' }]);
  });
});
