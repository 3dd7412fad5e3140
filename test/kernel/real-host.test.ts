/**
 * Ground truth on this machine: the probe's values, read through HostRoot('/'), must equal `sysctl -n` for
 * every sysctl of the table whose file exists (and for every interface's rp_filter), and the LSM facts must
 * match the files as cat sees them.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { kernelProbe } from '../../probes/kernel/index.js';
import { sysctlPath, tableKeys } from '../../probes/kernel/sysctls.js';
import { gatherKernel, scanKernel } from './helpers.js';

const hasSysctl = (() => {
  try {
    execFileSync('sysctl', ['-n', 'kernel.ostype'], { encoding: 'utf8' });
    return true;
  } catch {
    return false;
  }
})();

function sysctlN(key: string): string | undefined {
  try {
    return execFileSync('sysctl', ['-n', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

describe.skipIf(!hasSysctl || !existsSync('/proc/sys/kernel'))('this machine', () => {
  it('every table sysctl read through HostRoot("/") equals `sysctl -n`', async () => {
    const facts = await gatherKernel('/');
    expect(facts.procSysProblem).toBeUndefined();
    let compared = 0;
    for (const key of tableKeys()) {
      const reading = facts.sysctls.get(key)!;
      expect(reading.path).toBe(sysctlPath(key));
      if (!existsSync(reading.path)) {
        expect(reading.state, key).toBe('missing');
        expect(sysctlN(key), key).toBeUndefined();
        continue;
      }
      const truth = sysctlN(key);
      if (truth === undefined) continue; // not readable by this user
      expect(reading, key).toMatchObject({ state: 'ok', value: Number(truth) });
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('every interface rp_filter equals `sysctl -n net.ipv4.conf.<iface>.rp_filter`', async () => {
    const facts = await gatherKernel('/');
    const ifs = facts.perInterface.get('rp_filter')!;
    const names = readdirSync('/proc/sys/net/ipv4/conf').filter((n) => n !== 'all' && n !== 'default');
    expect([...ifs.interfaces.keys()].sort()).toEqual(names.sort());
    for (const [name, r] of ifs.interfaces) {
      const truth = sysctlN(`net.ipv4.conf.${name.replace(/\./g, '/')}.rp_filter`);
      if (truth === undefined) continue; // interface went away
      expect(r, name).toMatchObject({ state: 'ok', value: Number(truth) });
    }
  });

  it('the LSM facts match the files', async () => {
    const facts = await gatherKernel('/');
    const lsmFile = '/sys/kernel/security/lsm';
    if (existsSync(lsmFile))
      expect(facts.lsm.list).toMatchObject({ ok: true, names: readFileSync(lsmFile, 'utf8').trim().split(',') });
    else expect(facts.lsm.list).toMatchObject({ ok: false, missing: true });
    const en = '/sys/module/apparmor/parameters/enabled';
    if (existsSync(en))
      expect(facts.lsm.apparmorEnabled).toMatchObject({ ok: true, value: readFileSync(en, 'utf8').trim() === 'Y' });
    else expect(facts.lsm.apparmorEnabled).toMatchObject({ ok: false, missing: true });
    const se = '/sys/fs/selinux/enforce';
    if (existsSync(se))
      expect(facts.lsm.selinuxEnforce).toMatchObject({ ok: true, enforcing: readFileSync(se, 'utf8').trim() === '1' });
    else expect(facts.lsm.selinuxEnforce).toMatchObject({ ok: false, missing: true });
  });

  it('a scan of this machine completes, one finding per check, and no missing file fails', async () => {
    const r = await scanKernel('/');
    expect(r.probes[0]!.status).toBe('ok');
    expect(r.findings.map((f) => f.check).sort()).toEqual(kernelProbe.checks.map((c) => c.id).sort());
    for (const f of r.findings) if (/does not exist/.test(f.message)) expect(f.status, f.check).not.toBe('fail');
  });
});
