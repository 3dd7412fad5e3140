/**
 * Targeted host roots for the semantics the fixtures do not pin down one by one: rp_filter in force per
 * interface, the LSM fallbacks when securityfs is absent, SELinux state versus its config file, missing
 * /proc, and reads that race with interfaces going away.
 */
import { describe, it, expect, afterAll } from 'vitest';
import type { Finding } from '../../src/contracts.js';
import { SYSCTL_RULES } from '../../probes/kernel/sysctls.js';
import { byCheck, makeRoot, scanKernel, sysctlFiles, gatherKernel } from './helpers.js';
import type { Entry } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

/** These roots hold /proc and /sys only: the values in force are judged here, persistence in persistence.test.ts. */
async function scan(files: Record<string, Entry>, config: Record<string, unknown> = {}): Promise<Map<string, Finding>> {
  const r = makeRoot(files);
  cleanups.push(r.cleanup);
  const report = await scanKernel(r.root, { persistence: false, ...config });
  expect(report.probes[0]!.status).toBe('ok');
  return byCheck(report);
}

const rp = (all: number, def: number, ifs: Record<string, number | string>): Record<string, Entry> => ({
  ...sysctlFiles({ 'net.ipv4.conf.all.rp_filter': all, 'net.ipv4.conf.default.rp_filter': def }),
  ...Object.fromEntries(
    Object.entries(ifs).map(([i, v]) => [
      `proc/sys/net/ipv4/conf/${i}/rp_filter`,
      typeof v === 'number' ? `${v}\n` : v,
    ]),
  ),
});

describe('kernel.rp_filter: the value in force is max(all, interface)', () => {
  it('conf.all = 0 passes when every interface sets strict itself, and says CIS audits conf.all', async () => {
    const f = (await scan(rp(0, 1, { eth0: 1, lo: 0 }))).get('kernel.rp_filter')!;
    expect(f.status).toBe('pass');
    expect(f.message).toContain('in force is 1 on new interfaces (default), eth0');
    expect(f.message).toContain('CIS audits conf.all and conf.default');
  });

  it('one interface set to 2 is loose even when conf.all = 1; a dotted interface name is read from its own directory', async () => {
    const f = (await scan(rp(1, 1, { eth0: 1, 'eth0.100': 2, lo: 0 }))).get('kernel.rp_filter')!;
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(/^rp_filter in force is 2 on eth0\.100, expected 1: /);
    expect(f.message).toContain('Calico');
    expect(f.evidence).toContainEqual({ file: '/proc/sys/net/ipv4/conf/eth0.100/rp_filter', text: '2' });
  });

  it('conf.all = 2 overrides strict interfaces, and the message says so', async () => {
    const f = (await scan(rp(2, 1, { eth0: 1, cali123: 1 }))).get('kernel.rp_filter')!;
    expect(f.status).toBe('fail');
    expect(f.message).toContain(
      'net.ipv4.conf.all.rp_filter = 2 overrides the lower own value of new interfaces (default), cali123, eth0',
    );
  });

  it('lo is not evaluated; an interface whose directory has no rp_filter (gone mid-scan) is left out', async () => {
    const f = (await scan({ ...rp(1, 1, { eth0: 1, lo: 2 }), 'proc/sys/net/ipv4/conf/veth9/forwarding': '1\n' })).get(
      'kernel.rp_filter',
    )!;
    expect(f.status).toBe('pass');
    expect(f.message).not.toContain('lo');
    expect(f.message).not.toContain('veth9');
  });

  it('0 in force fails with what 0 means; conf.all missing is unknown, never fail', async () => {
    const zero = (await scan(rp(0, 0, { eth0: 0 }))).get('kernel.rp_filter')!;
    expect(zero).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('0 means no source validation at all'),
    });
    const missing = (await scan(sysctlFiles({ 'kernel.randomize_va_space': 2 }))).get('kernel.rp_filter')!;
    expect(missing).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('/proc/sys/net/ipv4/conf/all/rp_filter does not exist'),
    });
  });

  it('a Cilium-style override accepts 0', async () => {
    const f = (await scan(rp(0, 0, { eth0: 0, lxc1234: 0 }), { expect: { 'kernel.rp_filter': [0, 1] } })).get(
      'kernel.rp_filter',
    )!;
    expect(f).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('expected 0 or 1, set in probes.kernel.expect'),
    });
  });

  it('many interfaces are all read', async () => {
    const ifs = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`cali${String(i).padStart(11, '0')}`, 1]));
    const facts = await (async () => {
      const r = makeRoot(rp(1, 1, { ...ifs, veth_bad: 2 }));
      cleanups.push(r.cleanup);
      return gatherKernel(r.root);
    })();
    expect(facts.perInterface.get('rp_filter')!.interfaces.size).toBe(301);
    expect(facts.perInterface.get('rp_filter')!.notRead).toBe(0);
  });
});

describe('multi-key rows', () => {
  it('every key must pass; one failing key fails and is named', async () => {
    const f = (
      await scan(sysctlFiles({ 'net.ipv4.conf.all.send_redirects': 0, 'net.ipv4.conf.default.send_redirects': 1 }))
    ).get('kernel.send_redirects')!;
    expect(f).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^net\.ipv4\.conf\.default\.send_redirects = 1, expected 0: /),
    });
  });

  it('one key present and its sibling missing is unknown', async () => {
    const f = (await scan(sysctlFiles({ 'net.ipv4.conf.all.send_redirects': 0 }))).get('kernel.send_redirects')!;
    expect(f).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining(
        '/proc/sys/net/ipv4/conf/default/send_redirects missing although net.ipv4.conf.all.send_redirects exists',
      ),
    });
  });

  it('a failing key wins over an unreadable sibling, which is mentioned', async () => {
    const f = (
      await scan(
        sysctlFiles({ 'net.ipv4.conf.all.accept_redirects': 1, 'net.ipv4.conf.default.accept_redirects': 'x\n' }),
      )
    ).get('kernel.accept_redirects')!;
    expect(f).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('(also: /proc/sys/net/ipv4/conf/default/accept_redirects: not an integer: "x")'),
    });
  });
});

describe('a root without /proc', () => {
  it('every sysctl check is unknown with the reason; the LSM checks still run', async () => {
    const by = await scan({
      'etc/os-release': 'ID=debian\n',
      'sys/kernel/security/lsm': 'capability,apparmor',
      'sys/kernel/security/apparmor/profiles': '/usr/bin/man (enforce)\n',
    });
    for (const r of SYSCTL_RULES)
      expect(by.get(r.id), r.id).toMatchObject({
        status: 'unknown',
        message: expect.stringContaining(
          "cannot read /proc/sys: missing (/proc: no such file or directory): the host's /proc is not mounted",
        ),
      });
    expect(by.get('kernel.lsm_active')!.status).toBe('pass');
    expect(by.get('kernel.apparmor_profiles')!.status).toBe('pass');
  });

  it('an empty /proc/sys is the same', async () => {
    const by = await scan({ 'proc/sys': { dir: true } });
    expect(by.get('kernel.ip_forward')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('/proc/sys is empty'),
    });
  });
});

describe('LSMs', () => {
  it('securityfs absent but AppArmor enabled: active by the module parameter, profiles unknown', async () => {
    const by = await scan({ 'sys/module/apparmor/parameters/enabled': 'Y\n' });
    expect(by.get('kernel.lsm_active')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining(
        'AppArmor (/sys/module/apparmor/parameters/enabled = Y) is active; the LSM list itself could not be read',
      ),
    });
    expect(by.get('kernel.apparmor_profiles')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('securityfs is not mounted'),
    });
    expect(by.get('kernel.selinux_enforcing')!.status).toBe('skip');
  });

  it('securityfs absent, AppArmor built in but disabled, no SELinux: unknown (not "disabled"), AppArmor skipped', async () => {
    const by = await scan({ 'sys/module/apparmor/parameters/enabled': 'N\n' });
    expect(by.get('kernel.lsm_active')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('this says nothing about whether an LSM is active'),
    });
    expect(by.get('kernel.apparmor_profiles')).toMatchObject({
      status: 'skip',
      message: expect.stringContaining('built in but disabled'),
    });
  });

  it('securityfs mounted but no lsm file: an old kernel', async () => {
    const by = await scan({ 'sys/kernel/security/apparmor/profiles': '' });
    expect(by.get('kernel.lsm_active')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('older than 4.15'),
    });
  });

  it('AppArmor active with no profile loaded fails', async () => {
    const by = await scan({
      'sys/kernel/security/lsm': 'lockdown,capability,apparmor',
      'sys/kernel/security/apparmor/profiles': '',
    });
    expect(by.get('kernel.apparmor_profiles')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no profile is loaded'),
    });
  });

  it('AppArmor profiles with some garbled lines still count, and say so', async () => {
    const by = await scan({
      'sys/kernel/security/lsm': 'apparmor',
      'sys/kernel/security/apparmor/profiles': 'docker-default (enforce)\n???\n',
    });
    expect(by.get('kernel.apparmor_profiles')).toMatchObject({
      status: 'pass',
      message: '1 profile loaded: 1 enforce, 0 complain; 1 line not understood (line 2)',
    });
  });

  it('smack alone is named but does not count as a MAC LSM for containers', async () => {
    const by = await scan({ 'sys/kernel/security/lsm': 'capability,smack' });
    expect(by.get('kernel.lsm_active')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(
        'smack is active, but container runtimes do not apply per-container profiles with it',
      ),
    });
  });

  it('SELinux enforcing now but permissive in /etc/selinux/config fails: the next boot does not enforce', async () => {
    const by = await scan({
      'sys/kernel/security/lsm': 'capability,selinux',
      'sys/fs/selinux/enforce': '1',
      'etc/selinux/config': 'SELINUX=permissive\nSELINUXTYPE=targeted\n',
    });
    const f = by.get('kernel.selinux_enforcing')!;
    expect(f).toMatchObject({ status: 'fail', message: expect.stringContaining('the next boot will not enforce') });
    expect(f.evidence).toContainEqual({ file: '/etc/selinux/config', line: 1, text: 'SELINUX=permissive' });
  });

  it('SELinux in the LSM list but selinuxfs not mounted is unknown', async () => {
    const by = await scan({ 'sys/kernel/security/lsm': 'capability,selinux' });
    expect(by.get('kernel.selinux_enforcing')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('selinuxfs is not mounted'),
    });
  });

  it('no LSM list, no selinuxfs, but SELINUX=enforcing in the config: unknown, not skip', async () => {
    const by = await scan({ 'etc/selinux/config': 'SELINUX=enforcing\n' });
    expect(by.get('kernel.selinux_enforcing')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('yet /etc/selinux/config sets SELINUX=enforcing'),
    });
  });

  it('SELinux enforcing without a config file passes', async () => {
    const by = await scan({ 'sys/kernel/security/lsm': 'selinux', 'sys/fs/selinux/enforce': '1' });
    expect(by.get('kernel.selinux_enforcing')).toMatchObject({
      status: 'pass',
      message: 'SELinux is enforcing (/sys/fs/selinux/enforce = 1)',
    });
  });

  it('absolute symlinks in the root resolve inside it', async () => {
    const by = await scan({
      'host-sys/kernel/security/lsm': 'apparmor',
      'host-sys/kernel/security/apparmor/profiles': 'a (enforce)\n',
      sys: { symlink: '/host-sys' },
    });
    expect(by.get('kernel.apparmor_profiles')!.status).toBe('pass');
  });
});

describe('missing files are never failures', () => {
  it('a root with only /proc/sys/kernel present: every sysctl check is unknown or skip', async () => {
    const by = await scan({ 'proc/sys/kernel/ostype': 'Linux\n' });
    for (const r of SYSCTL_RULES) expect(['unknown', 'skip'], r.id).toContain(by.get(r.id)!.status);
    expect(by.get('kernel.ipv6_forwarding')!.status).toBe('skip');
    expect(by.get('kernel.ptrace_scope')!.status).toBe('unknown');
  });
});

describe.skipIf(process.getuid?.() === 0)('as an unprivileged user', () => {
  it('an unreadable sysctl file is unknown', async () => {
    const { chmodSync } = await import('node:fs');
    const r = makeRoot(sysctlFiles({ 'fs.protected_regular': 2 }));
    cleanups.push(r.cleanup);
    chmodSync(`${r.root}/proc/sys/fs/protected_regular`, 0o000);
    const by = byCheck(await scanKernel(r.root));
    expect(by.get('kernel.protected_regular')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('unreadable'),
    });
  });
});
