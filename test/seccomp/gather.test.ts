/**
 * What the seccomp probe gathers from a synthetic node: init = lowest pid, names, sandboxes, conmon, the agent's own
 * pod.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { seccompProbe } from '../../probes/seccomp/index.js';
import type { SeccompFacts } from '../../probes/seccomp/index.js';
import { materialize } from '../helpers/hosts.js';
import { gatherWith, makeRoot } from '../kubelet/helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('seccomp gather', () => {
  it('reads the containers of seccomp-runc-pods as they are', async () => {
    const m = materialize('seccomp-runc-pods');
    cleanups.push(m.cleanup);
    const f = await gatherWith<SeccompFacts>(seccompProbe, m.root, m.spec.probes!.seccomp);
    const by = new Map(f.containers.map((c) => [c.containerId.slice(0, 2), c]));
    expect(f.containers.map((c) => c.containerId.slice(0, 2)).sort()).toEqual([
      'a0',
      'a1',
      'b1',
      'c1',
      'd1',
      'e1',
      'f1',
    ]);
    expect(by.get('a1')).toMatchObject({
      pid: 1210,
      processes: 2,
      qos: 'besteffort',
      namespace: 'shop',
      podName: 'web-0',
      containerName: 'nginx',
      podSource: 'oci-annotations',
    });
    expect(by.get('a0')!.pause).toBe(true);
    expect(by.get('b1')).toMatchObject({
      namespace: 'payments',
      podName: 'api-7d9f8b6c5-x2x4q',
      podSource: 'pod-volumes',
      runtime: 'containerd',
      qos: 'burstable',
    });
    expect(by.get('c1')).toMatchObject({ privileged: true, fullCapabilities: true, lsmLabel: 'unconfined' });
    expect(by.get('d1')).toMatchObject({ qos: 'guaranteed', dangerous: ['NET_ADMIN'], privileged: false });
    expect(by.get('e1')!.excluded).toBe("hostward's own pod");
    expect(by.get('f1')!.sandbox).toBe('gvisor');
    expect(f.sandboxShims).toEqual([{ kind: 'gvisor', pid: 1690, comm: 'containerd-shim-runsc-v1' }]);
    expect(f.runtime).toMatchObject({ runtime: 'containerd', profile: '' });
    expect(f.self.source).toBe('configuration');
  });

  it('a root without /proc gives unknown container checks, never pass', async () => {
    const r = makeRoot({ 'etc/hostname': 'x\n' });
    cleanups.push(r.cleanup);
    const f = await gatherWith<SeccompFacts>(seccompProbe, r.root);
    expect(f.procProblem).toMatch(/\/proc/);
    const o = seccompProbe.checks.find((c) => c.id === 'seccomp.unconfined_containers')!.evaluate(f);
    expect(o.status).toBe('unknown');
  });

  it('bounds the list of containers named in a finding', async () => {
    const files: Record<string, string> = { 'proc/1/status': 'Name:\tinit\nCapBnd:\t000001ffffffffff\n' };
    for (let i = 0; i < 30; i++) {
      const pid = 100 + i;
      const id = i.toString(16).padStart(2, '0').repeat(32);
      files[`proc/${pid}/comm`] = 'app\n';
      files[`proc/${pid}/cgroup`] =
        `0::/kubepods/besteffort/pod0000000${i.toString().padStart(1, '0')}-0000-4000-8000-000000000000/${id}\n`.replace(
          /pod0000000(\d+)-/,
          (_, d: string) => `pod${d.padStart(8, '0')}-`,
        );
      files[`proc/${pid}/status`] = 'Name:\tapp\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t0\n';
    }
    const r = makeRoot(files);
    cleanups.push(r.cleanup);
    const f = await gatherWith<SeccompFacts>(seccompProbe, r.root, { maxListed: 5 });
    expect(f.containers).toHaveLength(30);
    const o = seccompProbe.checks.find((c) => c.id === 'seccomp.unconfined_containers')!.evaluate(f);
    expect(o.status).toBe('fail');
    expect(o.message).toMatch(/^30 of 30 containers run without seccomp: .*; and 25 more$/);
    expect(o.evidence).toHaveLength(5);
  });
});
