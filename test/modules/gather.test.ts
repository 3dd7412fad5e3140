/**
 * The modules probe over small roots built here: modprobe's file precedence (a name in /etc/modprobe.d hides
 * the same name in /usr/lib/modprobe.d; the first install line wins), unreadable configuration turning a pass
 * into unknown, and drop-ins overriding coredump.conf.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/sdk.js';
import type { Outcome, ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import { modulesProbe } from '../../probes/modules/index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function root(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-modules-'));
  dirs.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  return dir;
}

async function evaluate(dir: string): Promise<Map<string, Outcome>> {
  const host = new HostRoot(dir);
  const ctx: ProbeContext = {
    host,
    exec: hostExec(host.root),
    log: pino({ level: 'silent' }),
    options: undefined,
    signal: new AbortController().signal,
    now: () => new Date(),
    mode: 'scan',
    hostRole: { role: 'server', why: 'test' },
  };
  const facts = await modulesProbe.gather(ctx);
  return new Map(modulesProbe.checks.map((c) => [c.id, c.evaluate(facts)]));
}

const PROC = { 'proc/modules': 'ext4 1 0 - Live 0x0\n', 'proc/sys/kernel/osrelease': '6.1.0-28-amd64\n' };

describe('modprobe.d precedence', () => {
  it('a file in /etc/modprobe.d hides the packaged file of the same name', async () => {
    const out = await evaluate(
      root({
        ...PROC,
        'usr/lib/modprobe.d/cis.conf': 'install hfs /bin/false\nblacklist hfs\n',
        'etc/modprobe.d/cis.conf': '# emptied by the admin\n',
        'lib/modules/6.1.0-28-amd64/kernel/fs/hfs/hfs.ko.xz': '',
      }),
    );
    expect(out.get('modules.hfs_disabled')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no "install hfs /bin/false" line'),
    });
  });

  it('the first install line wins, across files in name order', async () => {
    const out = await evaluate(
      root({
        ...PROC,
        'usr/lib/modprobe.d/10-vendor.conf': 'install jffs2 /sbin/modprobe --ignore-install jffs2\n',
        'etc/modprobe.d/90-cis.conf': 'install jffs2 /bin/false\nblacklist jffs2\n',
      }),
    );
    expect(out.get('modules.jffs2_disabled')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('10-vendor.conf:1'),
    });
  });

  it('an unreadable modprobe.d file (a symbolic link loop) makes a pass unknown', async () => {
    const dir = root({ ...PROC, 'etc/modprobe.d/cis.conf': 'install hfs /bin/false\nblacklist hfs\n' });
    symlinkSync('zz.conf', path.join(dir, 'etc/modprobe.d/zz.conf'));
    expect((await evaluate(dir)).get('modules.hfs_disabled')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('/etc/modprobe.d/zz.conf'),
    });
  });
});

describe('core dumps', () => {
  it('a coredump.conf.d drop-in overrides the main file, and a later one the earlier', async () => {
    const out = await evaluate(
      root({
        ...PROC,
        'usr/lib/systemd/systemd-coredump': '',
        'etc/systemd/coredump.conf': '[Coredump]\nStorage=none\nProcessSizeMax=0\n',
        'etc/systemd/coredump.conf.d/10-a.conf': '[Coredump]\nStorage=journal\n',
      }),
    );
    expect(out.get('modules.systemd_coredump')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('Storage=journal'),
    });
    expect(out.get('modules.core_dump_limit')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no /etc/security/limits.conf'),
    });
  });

  it('a soft limit or a per-user line does not count as the limit for every user', async () => {
    const out = await evaluate(root({ ...PROC, 'etc/security/limits.conf': '* soft core 0\nroot hard core 0\n' }));
    expect(out.get('modules.core_dump_limit')?.status).toBe('fail');
  });
});

describe('kernels without loadable modules, and built-in code', () => {
  it('no /proc/modules while /proc is mounted: a module not built in passes, one built in fails', async () => {
    const out = await evaluate(
      root({
        'proc/sys/kernel/osrelease': '6.18.44\n',
        'proc/filesystems': 'nodev\tsysfs\nnodev\ttmpfs\n\text4\n\thfsplus\n',
        'proc/net/protocols':
          'protocol  size sockets  memory press maxhdr  slab module\nSCTPv6 1 0 0 no 0 yes kernel\nSCTP 1 0 0 no 0 yes kernel\nTCP 1 0 0 no 0 yes kernel\n',
        'sys/module/usb_storage/parameters/delay_use': '1\n',
      }),
    );
    expect(out.get('modules.cramfs_disabled')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('the kernel cannot load modules'),
    });
    expect(out.get('modules.hfsplus_disabled')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('/proc/filesystems lists hfsplus'),
    });
    expect(out.get('modules.sctp_disabled')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('/proc/net/protocols lists SCTP'),
    });
    expect(out.get('modules.usb_storage_disabled')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('/sys/module/usb_storage exists'),
    });
  });
});
