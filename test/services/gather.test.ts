/** The services probe over roots built here: what it cannot read makes checks unknown, masked units do not count. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/sdk.js';
import type { Outcome, ProbeContext } from '../../src/sdk.js';
import { hostExec } from '../../src/host/exec.js';
import { servicesProbe } from '../../probes/services/index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function root(files: Record<string, string | { link: string }>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-services-'));
  dirs.push(dir);
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    if (typeof v === 'string') writeFileSync(path.join(dir, p), v);
    else symlinkSync(v.link, path.join(dir, p));
  }
  return dir;
}

async function evaluate(dir: string, role: 'node' | 'server' = 'server'): Promise<Map<string, Outcome>> {
  const host = new HostRoot(dir);
  const ctx: ProbeContext = {
    host,
    exec: hostExec(host.root),
    log: pino({ level: 'silent' }),
    options: undefined,
    signal: new AbortController().signal,
    now: () => new Date(),
    mode: 'scan',
    hostRole: { role, why: 'test' },
  };
  const facts = await servicesProbe.gather(ctx);
  return new Map(servicesProbe.checks.map((c) => [c.id, c.evaluate(facts)]));
}

const DPKG = 'Package: bash\nStatus: install ok installed\n';

describe('services gather', () => {
  it('without /proc/net a server row with nothing else found is unknown, never pass', async () => {
    const out = await evaluate(
      root({
        'var/lib/dpkg/status': DPKG,
        'etc/systemd/system/multi-user.target.wants/ssh.service': { link: '/lib/systemd/system/ssh.service' },
      }),
    );
    expect(out.get('services.telnet_server')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('/proc/net/tcp'),
    });
    expect(out.get('services.mta_local_only')?.status).toBe('unknown');
  });

  it('a unit masked in /etc/systemd/system is not counted as enabled', async () => {
    const out = await evaluate(
      root({
        'var/lib/dpkg/status': DPKG,
        'proc/net/tcp': 'hdr\n',
        'proc/net/udp': 'hdr\n',
        'etc/systemd/system/multi-user.target.wants/cups.service': { link: '/lib/systemd/system/cups.service' },
        'etc/systemd/system/cups.service': { link: '/dev/null' },
      }),
    );
    expect(out.get('services.cups')?.status).toBe('pass');
  });

  it('postfix configured for all interfaces fails even when nothing listens now', async () => {
    const out = await evaluate(
      root({
        'var/lib/dpkg/status': DPKG,
        'proc/net/tcp': 'hdr\n',
        'proc/net/udp': 'hdr\n',
        'etc/postfix/main.cf': 'inet_interfaces = all\n',
      }),
    );
    expect(out.get('services.mta_local_only')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('main.cf:1'),
    });
  });

  it('timesyncd without NTP= fails; with /run/systemd but no synchronized file, the clock check fails', async () => {
    const out = await evaluate(
      root({
        'var/lib/dpkg/status': DPKG,
        'run/systemd/system/x': '',
        'etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service': {
          link: '/lib/systemd/system/systemd-timesyncd.service',
        },
      }),
    );
    expect(out.get('services.time_sync_configured')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no NTP= server'),
    });
    expect(out.get('services.time_synchronized')?.status).toBe('fail');
  });
});
