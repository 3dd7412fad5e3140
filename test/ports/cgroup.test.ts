/** /proc/<pid>/cgroup placement for each runtime and cgroup driver, v1 and v2, and private cgroup namespaces. */
import { describe, it, expect } from 'vitest';
import { parseCgroup, placePath } from '../../src/host/facts/cgroup.js';

const ID = '4f1c2a9d8e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c';
const POD_ = '6a8c3f2e_1b2d_4c5e_9f0a_1234567890ab';
const POD = '6a8c3f2e-1b2d-4c5e-9f0a-1234567890ab';

describe('placePath: runtimes and drivers', () => {
  it.each([
    [
      'containerd, systemd driver',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'containerd', containerId: ID, podUid: POD, qos: 'burstable' },
    ],
    [
      'CRI-O, systemd driver',
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/crio-${ID}.scope`,
      { runtime: 'cri-o', containerId: ID, podUid: POD, qos: 'besteffort' },
    ],
    [
      'CRI-O conmon',
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/crio-conmon-${ID}.scope`,
      { runtime: 'cri-o', containerId: ID, podUid: POD, qos: 'besteffort' },
    ],
    [
      'cri-dockerd, systemd driver, guaranteed',
      `/kubepods.slice/kubepods-pod${POD_}.slice/docker-${ID}.scope`,
      { runtime: 'docker', containerId: ID, podUid: POD, qos: 'guaranteed' },
    ],
    [
      'cgroupfs driver (containerd or CRI-O do not say)',
      `/kubepods/burstable/pod${POD}/${ID}`,
      { containerId: ID, podUid: POD, qos: 'burstable' },
    ],
    ['cgroupfs driver, guaranteed', `/kubepods/pod${POD}/${ID}`, { containerId: ID, podUid: POD, qos: 'guaranteed' }],
    [
      'CRI-O, cgroupfs driver',
      `/kubepods/besteffort/pod${POD}/crio-${ID}`,
      { runtime: 'cri-o', containerId: ID, podUid: POD, qos: 'besteffort' },
    ],
    ['plain Docker, cgroupfs', `/docker/${ID}`, { runtime: 'docker', containerId: ID }],
    ['plain Docker, systemd', `/system.slice/docker-${ID}.scope`, { runtime: 'docker', containerId: ID }],
    ['Podman', `/machine.slice/libpod-${ID}.scope/container`, { runtime: 'podman', containerId: ID }],
    [
      'kind / kubelet in a container',
      `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'containerd', containerId: ID, podUid: POD, qos: 'besteffort' },
    ],
    [
      'private cgroup namespace: relative to the reader',
      `/../../kubepods-besteffort-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'containerd', containerId: ID, podUid: POD, qos: 'besteffort' },
    ],
    [
      'systemd inside the container adds /init.scope',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope/init.scope`,
      { runtime: 'containerd', containerId: ID, podUid: POD, qos: 'burstable' },
    ],
    [
      'k3s (cgroupfs under a kubepods prefix inside the k3s cgroup)',
      `/k3s/kubepods/besteffort/pod${POD}/${ID}`,
      { containerId: ID, podUid: POD, qos: 'besteffort' },
    ],
    ['host service', '/system.slice/ssh.service', { unit: 'ssh.service' }],
    ['user session', '/user.slice/user-1000.slice/session-4.scope', { unit: 'session-4.scope' }],
    ['the root', '/', {}],
    ['a 63-digit id is no id', `/docker/${ID.slice(1)}`, {}],
  ])('%s', (_name, path, want) => {
    expect(placePath(path)).toEqual(want);
  });
});

describe('parseCgroup: whole files', () => {
  it('cgroup v2', () => {
    expect(
      parseCgroup(
        `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope\n`,
      ),
    ).toMatchObject({ containerId: ID, podUid: POD });
  });
  it('cgroup v1 hybrid: the container is named by the controllers, not by 0::/', () => {
    const text = [
      `12:pids:/kubepods/burstable/pod${POD}/${ID}`,
      `11:memory:/kubepods/burstable/pod${POD}/${ID}`,
      `1:name=systemd:/kubepods/burstable/pod${POD}/${ID}`,
      '0::/',
    ].join('\n');
    expect(parseCgroup(text)).toEqual({ containerId: ID, podUid: POD, qos: 'burstable' });
  });
  it('a host process in a v1 hierarchy is placed by its unit', () => {
    expect(
      parseCgroup(
        '12:pids:/system.slice/kubelet.service\n1:name=systemd:/system.slice/kubelet.service\n0::/system.slice/kubelet.service\n',
      ),
    ).toEqual({ unit: 'kubelet.service' });
  });
  it('inside a private namespace a process sees only "/"', () => {
    expect(parseCgroup('0::/\n')).toEqual({});
  });
  it('garbage is nothing, not a throw', () => {
    expect(parseCgroup('\u0000\u0001garbage\n::\n9999999999:x\n' + 'a'.repeat(100_000))).toEqual({});
  });
});

describe('QoS without ancestors', () => {
  it('a cgroupfs pod seen through a private namespace has no known QoS class', () => {
    expect(placePath(`/../pod${POD}/${ID}`)).toEqual({ containerId: ID, podUid: POD });
  });
});

describe('command lines in evidence', () => {
  it('are joined, shortened and have secret-looking values redacted', async () => {
    const { formatCmdline } = await import('../../probes/ports/attribution.js');
    expect(formatCmdline('redis-server\0--requirepass\0hunter2\0--port\x006379\0')).toBe(
      'redis-server --requirepass <redacted> --port 6379',
    );
    expect(formatCmdline('kube-apiserver\0--token-auth-file=/etc/t.csv\0--secure-port=6443\0')).toBe(
      'kube-apiserver --token-auth-file=<redacted> --secure-port=6443',
    );
    expect(formatCmdline('x\0'.repeat(500)).length).toBe(200);
  });
});
