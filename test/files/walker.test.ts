/**
 * The bounded walk: what it never enters (kernel trees, container layers, pod volumes, network and overlay
 * mounts named by PID 1's mountinfo, links), and how it stops (entries, time, abort) and says what it did not
 * see, so that the checks say unknown instead of pass. Time is a counter here, never the clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { HostRoot } from '../../src/sdk.js';
import { parseMountinfo, skippedMounts, walkHost } from '../../probes/files/walker.js';
import type { WalkInput, WalkJob, WalkResult } from '../../probes/files/walker.js';
import { unseen } from '../../probes/files/checks/walk.js';
import { byCheck, DEBIAN_OS, GROUP, makeRoot, PASSWD, scanFiles } from './helpers.js';
import type { Entry } from './helpers.js';

const roots: (() => void)[] = [];
afterEach(() => roots.splice(0).forEach((c) => c()));

function root(files: Record<string, Entry>): string {
  const r = makeRoot(files);
  roots.push(r.cleanup);
  return r.root;
}

const WW = { text: 'x', mode: 0o666 };

function input(r: string, over: Partial<Omit<WalkInput, 'host'>> = {}): WalkInput & { host: HostRoot } {
  return {
    host: new HostRoot(r),
    limits: { maxEntries: 1_000_000, budgetMs: 1e12 },
    users: new Set([0]),
    groups: new Set([0]),
    mounts: new Map(),
    ...over,
  };
}

describe('what the walk never enters', () => {
  it('kernel trees, container layers and pod volumes', async () => {
    const r = root({
      'proc/1/x': WW,
      'sys/x': WW,
      'dev/x': WW,
      'run/x': WW,
      'var/lib/docker/overlay2/l/x': WW,
      'var/lib/containerd/x': WW,
      'var/lib/containers/storage/x': WW,
      'var/lib/kubelet/pods/uid/volumes/x': WW,
      'var/lib/kubelet/config.yaml': WW,
    });
    const w = await walkHost(input(r));
    expect(w.complete).toBe(true);
    expect(w.found.worldWritableFiles.hits.map((h) => h.path)).toEqual(['/var/lib/kubelet/config.yaml']);
    expect(w.skipped.map((s) => s.path).sort()).toEqual([
      '/dev',
      '/proc',
      '/run',
      '/sys',
      '/var/lib/containerd',
      '/var/lib/containers',
      '/var/lib/docker',
      '/var/lib/kubelet/pods',
    ]);
  });

  it('network, FUSE and overlay mounts from mountinfo (escaped names too), not local ones', async () => {
    const mi = [
      '22 1 259:1 / / rw - ext4 /dev/sda1 rw',
      '90 22 0:50 / /mnt/nfs rw - nfs4 srv:/x rw',
      '91 22 0:51 / /mnt/my\\040share rw - cifs //srv/x rw',
      '92 22 0:52 / /home/u/drive rw - fuse.sshfs u@h: rw',
      '93 22 0:53 / /data rw - xfs /dev/sdb rw',
      'garbage line',
      '94 22 0:54 / relative - nfs x',
      '',
    ].join('\n');
    const mounts = skippedMounts(parseMountinfo(mi));
    expect([...mounts.keys()].sort()).toEqual(['/home/u/drive', '/mnt/my share', '/mnt/nfs']);
    const r = root({ 'mnt/nfs/x': WW, 'mnt/my share/x': WW, 'home/u/drive/x': WW, 'data/x': WW });
    const w = await walkHost(input(r, { mounts }));
    expect(w.found.worldWritableFiles.hits.map((h) => h.path)).toEqual(['/data/x']);
  });

  it('a later local mount over a network mount point is walked', () => {
    const m = skippedMounts(parseMountinfo('1 0 0:1 / /x rw - nfs a rw\n2 1 0:2 / /x rw - ext4 b rw\n'));
    expect(m.has('/x')).toBe(false);
  });

  it('links are not followed: a link to a directory of world-writable files is not entered', async () => {
    const r = root({
      'elsewhere/x': WW,
      'etc/link': { symlink: '../elsewhere' },
      'etc/abs': { symlink: '/elsewhere' },
    });
    const w = await walkHost(input(r, { mounts: new Map([['/elsewhere', 'nfs']]) }));
    expect(w.found.worldWritableFiles.count).toBe(0);
  });
});

describe('how the walk stops', () => {
  const tree = { 'a/1': 'x', 'a/2': 'x', 'b/1': 'x', 'c/d/1': 'x', 'c/d/2': 'x', 'z/ww': WW };

  it('at the entry limit: incomplete, with the directories not read and the rest of the one it stopped in', async () => {
    const w = await walkHost(input(root(tree), { limits: { maxEntries: 3, budgetMs: 1e12 } }));
    expect(w).toMatchObject({ complete: false, stoppedBy: 'entries', entries: 3 });
    expect(w.dirsNotRead + (w.partial ? 1 : 0)).toBeGreaterThan(0);
    expect(unseen(w)).toMatch(/limit of 3 entries .* directories .* were not seen/);
  });

  it('at the time budget, measured by the clock it is given', async () => {
    let t = 0;
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d/f${i}`, 'x']));
    const w = await walkHost(input(root(many), { limits: { maxEntries: 1e9, budgetMs: 100 }, now: () => (t += 50) }));
    expect(w).toMatchObject({ complete: false, stoppedBy: 'time' });
    expect(w.entries).toBeLessThan(301);
  });

  it('when the scan is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let t = 0;
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d/f${i}`, 'x']));
    // Every clock reading is a new slice, so the walk yields and sees the abort.
    const w = await walkHost(input(root(many), { signal: ac.signal, now: () => (t += 10) }));
    expect(w.stoppedBy).toBe('aborted');
  });

  it('a check passes only on a complete walk; an incomplete one says unknown, with counts; a finding fails anyway', async () => {
    const files: Record<string, Entry> = {
      'etc/os-release': DEBIAN_OS,
      'etc/passwd': PASSWD,
      'etc/group': GROUP,
      'a/1': 'x',
      'a/2': 'x',
      'zz/ww': WW,
    };
    const r = root(files);
    const full = byCheck(await scanFiles(r, { walkMaxEntries: 1000 }));
    expect(full.get('files.world_writable_files')!.status).toBe('fail');
    expect(full.get('files.world_writable_dirs_sticky')!.status).toBe('pass');
    const cut = byCheck(await scanFiles(r, { walkMaxEntries: 2 }));
    expect(cut.get('files.world_writable_dirs_sticky')!.status).toBe('unknown');
    expect(cut.get('files.world_writable_dirs_sticky')!.message).toMatch(/after 2 entries/);
    expect(cut.get('files.world_writable_files')!.status).toBe('unknown');
    const early = byCheck(await scanFiles(root({ ...files, a0: WW }), { walkMaxEntries: 3 }));
    expect(early.get('files.world_writable_files')!.status).toBe('fail');
    expect(early.get('files.world_writable_files')!.message).toMatch(/were not seen/);
  });
});

describe('what the walk records', () => {
  it('sticky world-writable directories pass, files of unknown uid and gid are counted, SUID and SGID files kept', async () => {
    const r = root({
      tmp: { dir: true, mode: 0o1777 },
      'srv/drop': { dir: true, mode: 0o777 },
      'opt/x': { text: 'x', owner: '4242:4243' },
      'usr/bin/s': { text: 'x', mode: 0o4755 },
      'usr/bin/g': { text: 'x', mode: 0o2755 },
      'usr/bin/plain': { text: 'x', mode: 0o755 },
    });
    const w = await walkHost(input(r));
    expect(w.found.worldWritableDirs.hits.map((h) => h.path)).toEqual(['/srv/drop']);
    expect(w.found.unownedUser.hits.map((h) => `${h.path} ${h.uid}`)).toEqual(['/opt/x 4242']);
    expect(w.found.unownedGroup.hits.map((h) => `${h.path} ${h.gid}`)).toEqual(['/opt/x 4243']);
    expect(w.found.setid.hits.map((h) => h.path).sort()).toEqual(['/usr/bin/g', '/usr/bin/s']);
  });

  it('walks /usr and /etc before other top-level directories', async () => {
    const w = await walkHost(
      input(root({ 'aaa/x': 'x', 'usr/x': 'x', 'etc/x': 'x' }), { limits: { maxEntries: 4, budgetMs: 1e12 } }),
    );
    // /aaa, /etc, /usr are listed first (3 entries); the fourth is the first child of /usr.
    expect(w.partial ?? { dir: '/usr' }).toMatchObject({ dir: expect.stringMatching(/^\/(usr|etc)$/) });
    expect(w.notRead).not.toContain('/usr');
  });
});

describe('the walk in a worker thread', () => {
  // The worker runs from the build (dist/): under the TypeScript sources walkOffThread walks in place.
  const built = (): Promise<typeof import('../../probes/files/walker.js')> =>
    import(path.resolve('dist/probes/files/walker.js'));

  it('finds what the walk in place finds, with the same limits, notes and counts', async () => {
    const r = root({
      tmp: { dir: true, mode: 0o1777 },
      'srv/drop': { dir: true, mode: 0o777 },
      'opt/x': { text: 'x', owner: '4242:4243' },
      'usr/bin/s': { text: 'x', mode: 0o4755 },
      'etc/ww': WW,
      'proc/1/x': WW,
      'mnt/nfs/x': WW,
    });
    const over = { mounts: new Map([['/mnt/nfs', 'nfs4']]) };
    const { walkOffThread } = await built();
    const inPlace = await walkHost(input(r, over));
    const offThread = await walkOffThread(input(r, over));
    const { elapsedMs: _a, ...expected } = inPlace;
    const { elapsedMs: _b, ...got } = offThread;
    expect(got).toEqual(expected);
    expect(got.found.worldWritableFiles.hits.map((h) => h.path)).toEqual(['/etc/ww']);
    expect(got.skipped.map((s) => s.path).sort()).toEqual(['/mnt/nfs', '/proc']);
  });

  it('the built worker module answers itself under a root other than /, as the walk in place would', async () => {
    // walkOffThread walks in place when its worker cannot start: start the worker directly to see it run.
    const r = root({ 'etc/ww': WW, 'usr/bin/s': { text: 'x', mode: 0o4755 } });
    const { host, signal: _s, now: _n, ...rest } = input(r);
    const job: WalkJob = rest;
    const worker = new Worker(path.resolve('dist/probes/files/walk-worker.js'), { workerData: { root: host.root } });
    worker.postMessage({ input: job });
    try {
      const m = await new Promise<{ ok: boolean; result?: WalkResult; error?: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(m.error).toBeUndefined();
      const { elapsedMs: _a, ...got } = m.result!;
      const { elapsedMs: _b, ...expected } = await walkHost(input(r));
      expect(got).toEqual(expected);
      expect(got.found.worldWritableFiles.hits.map((h) => h.path)).toEqual(['/etc/ww']);
    } finally {
      await worker.terminate();
    }
  });

  it('a scan aborted already: the worker says the walk was aborted, having seen nothing', async () => {
    const r = root({ 'etc/ww': WW, 'usr/x': 'x' });
    const { walkOffThread } = await built();
    const ac = new AbortController();
    ac.abort();
    const w = await walkOffThread(input(r, { signal: ac.signal }));
    expect(w.complete).toBe(false);
    expect(w.stoppedBy).toBe('aborted');
    expect(w.entries).toBe(0);
    expect(w.found.worldWritableFiles.count).toBe(0);
  });
});
