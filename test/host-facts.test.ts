/**
 * Shared host facts (src/host/facts/) are read once per scan: kept with the scan's HostRoot, so a second probe
 * asking gets the first answer, a new scan (a new HostRoot) reads the host again, and no caller can change what
 * another sees.
 */
import { describe, it, expect, afterEach, vi } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  HostRoot,
  findProcesses,
  resolveKubelet,
  loadContainerdConfig,
  processTable,
  processConfinement,
  processPlacement,
  processUid,
  readDpkgStatus,
} from '../src/sdk.js';
import { scanProc } from '../probes/seccomp/proc.js';
import { describeProcess } from '../probes/ports/attribution.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function fakeHost(procs: Record<number, { comm: string; argv: string[] }>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hostward-facts-'));
  roots.push(root);
  mkdirSync(path.join(root, 'proc'));
  writeFileSync(path.join(root, 'proc', 'stat'), 'cpu 0 0 0 0\nbtime 1700000000\n');
  for (const [pid, p] of Object.entries(procs)) setProcess(root, Number(pid), p.comm, p.argv);
  return root;
}

function setProcess(root: string, pid: number, comm: string, argv: string[]): void {
  const dir = path.join(root, 'proc', String(pid));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'comm'), comm + '\n');
  writeFileSync(path.join(dir, 'cmdline'), argv.join('\0') + '\0');
  writeFileSync(path.join(dir, 'stat'), `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0`);
  writeFileSync(path.join(dir, 'status'), `Name:\t${comm}\nUid:\t0\t0\t0\t0\n`);
}

describe('shared host facts', () => {
  it('reads a process once per scan: a later change is seen by the next scan only', async () => {
    const root = fakeHost({ 10: { comm: 'containerd', argv: ['/usr/bin/containerd', '--config', '/a.toml'] } });
    const scan1 = new HostRoot(root);
    const first = await findProcesses(scan1, ['containerd']);
    expect(first.map((p) => p.argv)).toEqual([['/usr/bin/containerd', '--config', '/a.toml']]);
    expect(first[0]!.startedAtMs).toBe((1700000000 + 5) * 1000);
    setProcess(root, 10, 'containerd', ['/usr/bin/containerd', '--config', '/b.toml']);
    const again = await findProcesses(scan1, (c) => c.startsWith('contain'));
    expect(again.map((p) => p.argv[2])).toEqual(['/a.toml']);
    const scan2 = await findProcesses(new HostRoot(root), ['containerd']);
    expect(scan2.map((p) => p.argv[2])).toEqual(['/b.toml']);
  });

  it("reads and parses dpkg's status once per scan", async () => {
    const root = fakeHost({});
    mkdirSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
    const file = path.join(root, 'var/lib/dpkg/status');
    writeFileSync(file, 'Package: openssl\nStatus: install ok installed\nVersion: 3.0.15-1\nArchitecture: amd64\n');
    const scan1 = new HostRoot(root);
    const first = await readDpkgStatus(scan1);
    if (!first.ok) throw new Error(first.reason);
    expect(first.parsed().packages.map((p) => [p.name, p.version])).toEqual([['openssl', '3.0.15-1']]);
    writeFileSync(file, 'Package: openssl\nStatus: install ok installed\nVersion: 3.0.16-1\nArchitecture: amd64\n');
    const again = await readDpkgStatus(scan1);
    expect(again).toBe(first);
    expect(again.ok && again.parsed()).toBe(first.parsed());
    const scan2 = await readDpkgStatus(new HostRoot(root));
    expect(scan2.ok && scan2.parsed().packages[0]!.version).toBe('3.0.16-1');
    rmSync(file);
    expect(await readDpkgStatus(new HostRoot(root))).toMatchObject({ ok: false, code: 'missing' });
  });

  it('gives each caller its own copy of a process', async () => {
    const host = new HostRoot(fakeHost({ 7: { comm: 'crio', argv: ['crio', '--config', '/c'] } }));
    const a = await findProcesses(host, ['crio']);
    a[0]!.argv.push('--changed');
    a[0]!.pid = 99;
    const b = await findProcesses(host, ['crio']);
    expect(b.map((p) => [p.pid, p.argv])).toEqual([[7, ['crio', '--config', '/c']]]);
  });

  it("resolves the kubelet's configuration once per scan and bound of processes", async () => {
    const root = fakeHost({ 20: { comm: 'kubelet', argv: ['/usr/bin/kubelet', '--read-only-port=0'] } });
    const host = new HostRoot(root);
    const a = await resolveKubelet(host, { maxProcesses: 1000 });
    expect(a.present).toBe(true);
    expect(a.settings.get('readOnlyPort')?.value).toBe(0);
    expect(await resolveKubelet(host, { maxProcesses: 1000 })).toBe(a);
    const other = await resolveKubelet(new HostRoot(root), { maxProcesses: 1000 });
    expect(other).not.toBe(a);
    expect(other.settings.get('readOnlyPort')?.value).toBe(0);
  });

  it('loads a containerd configuration once per scan and path', async () => {
    const root = fakeHost({});
    mkdirSync(path.join(root, 'etc', 'containerd'), { recursive: true });
    const file = path.join(root, 'etc', 'containerd', 'config.toml');
    writeFileSync(file, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  unset_seccomp_profile = "x"\n');
    const host = new HostRoot(root);
    const a = await loadContainerdConfig(host, '/etc/containerd/config.toml');
    writeFileSync(file, 'version = 2\n');
    expect(await loadContainerdConfig(host, '/etc/containerd/config.toml')).toBe(a);
    const b = await loadContainerdConfig(new HostRoot(root), '/etc/containerd/config.toml');
    expect(a.ok && a.config.cri.unsetSeccompProfile.value).toBe('x');
    expect(b.ok && b.config.cri.unsetSeccompProfile.value).toBe('');
  });
  it("places every process by its cgroup once per scan, and reads a process' confinement once", async () => {
    const id = 'ab'.repeat(32);
    const root = fakeHost({
      300: { comm: 'nginx', argv: ['nginx'] },
      40: { comm: 'conmon', argv: ['conmon'] },
      7: { comm: 'sshd', argv: ['/usr/sbin/sshd'] },
    });
    const cgroup = (pid: number, text: string) => writeFileSync(path.join(root, 'proc', String(pid), 'cgroup'), text);
    cgroup(
      300,
      `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12345678_1234_1234_1234_123456789abc.slice/cri-containerd-${id}.scope\n`,
    );
    cgroup(40, `0::/machine.slice/crio-conmon-${id}.scope\n`);
    cgroup(7, '0::/system.slice/ssh.service\n');
    const status = path.join(root, 'proc', '300', 'status');
    writeFileSync(status, 'Name:\tnginx\nSeccomp:\t2\nNoNewPrivs:\t1\nCapEff:\t00000000a80425fb\n');
    const host = new HostRoot(root);
    const t = await processTable(host, 100);
    expect(t.problem).toBeUndefined();
    expect(t.rows.map((r) => r.pid)).toEqual([7, 40, 300]);
    expect(t.rows[0]!.placement).toEqual({ unit: 'ssh.service' });
    expect(t.rows[1]!.monitor).toBe(true);
    expect(t.rows[2]!.placement).toMatchObject({
      containerId: id,
      runtime: 'containerd',
      podUid: '12345678-1234-1234-1234-123456789abc',
      qos: 'besteffort',
    });
    expect(await processTable(host, 100)).toBe(t);
    expect((await processTable(host, 2)).rows.map((r) => r.pid)).toEqual([7, 40]);
    const c = await processConfinement(host, 300);
    expect(c.status).toEqual({ name: 'nginx', seccomp: 2, noNewPrivs: 1, capEff: 0xa80425fbn });
    writeFileSync(status, 'Name:\tnginx\nSeccomp:\t0\n');
    expect(await processConfinement(host, 300)).toBe(c);
    expect((await processConfinement(new HostRoot(root), 300)).status?.seccomp).toBe(0);
    expect((await processConfinement(host, 999)).statusProblem).toMatch(/^\/proc\/999\/status: /);
  });

  it("reads a process' uid and placement once per scan, for the table, findProcesses and a probe's own pids", async () => {
    const root = fakeHost({ 12: { comm: 'redis-server', argv: ['redis-server', '*:6379'] } });
    const dir = path.join(root, 'proc', '12');
    writeFileSync(path.join(dir, 'cgroup'), '0::/system.slice/redis.service\n');
    writeFileSync(path.join(dir, 'status'), 'Name:\tredis-server\nUid:\t999\t999\t999\t999\n');
    const host = new HostRoot(root);
    expect(await processUid(host, 12)).toBe(999);
    const where = await processPlacement(host, 12);
    expect(where).toEqual({ placement: { unit: 'redis.service' } });
    writeFileSync(path.join(dir, 'status'), 'Name:\tredis-server\nUid:\t0\t0\t0\t0\n');
    writeFileSync(path.join(dir, 'cgroup'), '0::/system.slice/other.service\n');
    expect((await findProcesses(host, ['redis-server']))[0]!.uid).toBe(999);
    expect((await processTable(host, 100)).rows[0]!.placement).toBe(where.placement);
    const next = new HostRoot(root);
    expect(await processUid(next, 12)).toBe(0);
    expect((await processPlacement(next, 12)).placement).toEqual({ unit: 'other.service' });
    expect(await processUid(host, 99)).toBeUndefined();
    expect(await processPlacement(host, 99)).toEqual({});
  });

  it("reads each process' status once per scan, for its uid and its confinement, whichever probes ask", async () => {
    const root = fakeHost({
      1: { comm: 'systemd', argv: ['/sbin/init'] },
      12: { comm: 'redis-server', argv: ['redis-server', '*:6379'] },
      300: { comm: 'nginx', argv: ['nginx', '-g', 'daemon off;'] },
    });
    const id = 'c'.repeat(64);
    const proc = (pid: number, f: string) => path.join(root, 'proc', String(pid), f);
    writeFileSync(proc(300, 'cgroup'), `0::/kubepods/besteffort/pod12345678-1234-1234-1234-123456789abc/${id}\n`);
    writeFileSync(
      proc(300, 'status'),
      'Name:\tnginx\nUid:\t101\t101\t101\t101\nSeccomp:\t2\nCapEff:\t00000000a80425fb\n',
    );
    writeFileSync(proc(1, 'status'), 'Name:\tsystemd\nUid:\t0\t0\t0\t0\nCapBnd:\t000001ffffffffff\n');
    const host = new HostRoot(root);
    const reads = new Map<string, number>();
    const readText = host.readText.bind(host);
    vi.spyOn(host, 'readText').mockImplementation((file, opts) => {
      if (/^\/proc\/\d+\/status$/.test(file)) reads.set(file, (reads.get(file) ?? 0) + 1);
      return readText(file, opts);
    });
    // The seccomp probe (pid 1's bounding set, each container's init), the ports probe (who holds a socket) and
    // the daemon lookups of the runtime and kubelet probes (findProcesses), concurrently and again.
    const ask = () =>
      Promise.all([
        scanProc(host, 100, 40, ['SYS_ADMIN']),
        describeProcess(host, 300, 'nginx'),
        describeProcess(host, 12, 'redis-server'),
        findProcesses(host, ['systemd', 'redis-server', 'nginx']),
        processUid(host, 1),
      ]);
    const [scan, nginx, redis, found, initUid] = await ask();
    await ask();
    expect(scan.containers.map((c) => [c.pid, c.status?.seccomp, c.status?.uid])).toEqual([[300, 2, 101]]);
    expect([nginx.uid, redis.uid, initUid]).toEqual([101, 0, 0]);
    expect(found.map((p) => [p.pid, p.uid])).toEqual([
      [1, 0],
      [12, 0],
      [300, 101],
    ]);
    expect(Object.fromEntries(reads)).toEqual({ '/proc/1/status': 1, '/proc/12/status': 1, '/proc/300/status': 1 });
  });

  it('says why the process table is empty', async () => {
    const bare = mkdtempSync(path.join(os.tmpdir(), 'hostward-facts-'));
    roots.push(bare);
    expect((await processTable(new HostRoot(bare), 100)).problem).toMatch(/^\/proc: /);
    expect((await processTable(new HostRoot(fakeHost({})), 100)).problem).toMatch(/no processes/);
  });
});
