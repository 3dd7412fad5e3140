/** The kubelet's effective configuration: precedence, distribution paths, defaults, evidence, unreadable sources. */
import { describe, it, expect, afterEach } from 'vitest';
import { HostRoot } from '../../src/sdk.js';
import { resolveKubelet } from '../../src/host/facts/kubelet/effective.js';
import { makeRoot } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function root(files: Record<string, string>) {
  const r = makeRoot(files);
  cleanups.push(r.cleanup);
  return new HostRoot(r.root);
}
const proc = (pid: number, comm: string, argv: string[]) => ({
  [`proc/${pid}/comm`]: comm + '\n',
  [`proc/${pid}/cmdline`]: argv.join('\0') + '\0',
});
const val = async (h: HostRoot, field: string) => (await resolveKubelet(h, { maxProcesses: 1000 })).settings.get(field);

describe('resolveKubelet', () => {
  it('flags beat drop-ins, drop-ins beat --config, later drop-ins win; only *.conf are read', async () => {
    const h = root({
      ...proc(10, 'kubelet', ['/usr/bin/kubelet', '--config=/c.yaml', '--config-dir=/d', '--event-qps=7']),
      'c.yaml': 'eventRecordQPS: 1\nreadOnlyPort: 1\npodPidsLimit: 1\nseccompDefault: true\n',
      'd/10-a.conf': 'readOnlyPort: 2\npodPidsLimit: 2\neventRecordQPS: 2\n',
      'd/20-b.conf': 'podPidsLimit: 3\n',
      'd/30-c.yaml': 'seccompDefault: false\n',
    });
    const e = await resolveKubelet(h, { maxProcesses: 1000 });
    expect(e.origin).toEqual({ kind: 'process', pid: 10, file: '/proc/10/cmdline' });
    expect(e.settings.get('eventRecordQPS')).toMatchObject({ value: 7, source: 'flag' });
    expect(e.settings.get('readOnlyPort')).toMatchObject({
      value: 2,
      source: 'config-dir',
      evidence: [{ file: '/d/10-a.conf', line: 1 }],
    });
    expect(e.settings.get('podPidsLimit')).toMatchObject({ value: 3, evidence: [{ file: '/d/20-b.conf' }] });
    expect(e.settings.get('seccompDefault')).toMatchObject({ value: true, source: 'config' });
    expect(e.dropIns).toEqual(['/d/10-a.conf', '/d/20-b.conf']);
  });

  it('feature gates merge per gate, the command line winning', async () => {
    const h = root({
      ...proc(10, 'kubelet', ['kubelet', '--config=/c.yaml', '--feature-gates=A=false,C=true']),
      'c.yaml': 'featureGates:\n  A: true\n  B: true\n',
    });
    const e = await resolveKubelet(h, { maxProcesses: 1000 });
    expect([
      e.settings.get('featureGates.A')?.value,
      e.settings.get('featureGates.B')?.value,
      e.settings.get('featureGates.C')?.value,
    ]).toEqual([false, true, true]);
  });

  it('without --config the legacy command-line defaults apply; with it, v1beta1', async () => {
    expect((await val(root(proc(10, 'kubelet', ['kubelet'])), 'authentication.anonymous.enabled'))?.value).toBe(true);
    expect(
      (
        await val(
          root({ ...proc(10, 'kubelet', ['kubelet', '--config', '/c.yaml']), 'c.yaml': '{}' }),
          'authentication.anonymous.enabled',
        )
      )?.value,
    ).toBe(false);
  });

  it('hyperkube kubelet is a kubelet', async () => {
    const e = await resolveKubelet(root(proc(10, 'hyperkube', ['/hyperkube', 'kubelet', '--read-only-port=0'])), {
      maxProcesses: 1000,
    });
    expect(e.settings.get('readOnlyPort')).toMatchObject({ value: 0, source: 'flag' });
  });

  it('an unreadable or malformed --config makes defaults unknown, not assumed', async () => {
    const e = await resolveKubelet(root({ ...proc(10, 'kubelet', ['kubelet', '--config=/missing.yaml']) }), {
      maxProcesses: 1000,
    });
    expect(e.incomplete).toMatch(/missing.yaml: missing/);
  });

  it('GKE and AKS: distribution paths and /etc/default/kubelet through the unit', async () => {
    const gke = await resolveKubelet(root({ 'home/kubernetes/kubelet-config.yaml': 'readOnlyPort: 10255\n' }), {
      maxProcesses: 1000,
    });
    expect(gke).toMatchObject({
      present: true,
      distribution: 'gke',
      configFile: '/home/kubernetes/kubelet-config.yaml',
    });
    const aks = await resolveKubelet(
      root({
        'etc/systemd/system/kubelet.service':
          '[Service]\nEnvironmentFile=/etc/default/kubelet\nExecStart=/usr/local/bin/kubelet $KUBELET_FLAGS\n',
        'etc/default/kubelet': 'KUBELET_FLAGS=--anonymous-auth=false --config=/etc/default/kubeletconfig.json\n',
        'etc/default/kubeletconfig.json': '{"kind":"KubeletConfiguration","seccompDefault":true}',
      }),
      { maxProcesses: 1000 },
    );
    expect(aks.distribution).toBe('aks');
    expect(aks.settings.get('seccompDefault')).toMatchObject({
      value: true,
      evidence: [{ file: '/etc/default/kubeletconfig.json', line: 1 }],
    });
    expect(aks.settings.get('authentication.anonymous.enabled')).toMatchObject({
      value: false,
      source: 'flag',
      evidence: [{ file: '/etc/default/kubelet', line: 1 }],
    });
  });

  it('RKE2: a separate kubelet process', async () => {
    const e = await resolveKubelet(
      root({ ...proc(20, 'kubelet', ['kubelet', '--read-only-port=0']), 'etc/rancher/rke2/config.yaml': 'token: x\n' }),
      { maxProcesses: 1000 },
    );
    expect(e.distribution).toBe('rke2');
    expect(e.origin.kind).toBe('process');
  });

  it('k3s 1.32+: the built-in settings come from its kubelet.conf.d', async () => {
    const e = await resolveKubelet(
      root({
        ...proc(5, 'k3s-server', ['/usr/local/bin/k3s', 'server', '--kubelet-arg=seccomp-default=true']),
        'var/lib/rancher/k3s/agent/etc/kubelet.conf.d/00-k3s-defaults.conf':
          'readOnlyPort: 0\nauthentication:\n  anonymous:\n    enabled: false\n',
      }),
      { maxProcesses: 1000 },
    );
    expect(e.settings.get('readOnlyPort')).toMatchObject({ value: 0, source: 'config-dir' });
    expect(e.settings.get('seccompDefault')).toMatchObject({
      value: true,
      source: 'flag',
      evidence: [{ file: '/proc/5/cmdline' }],
    });
  });

  it('nothing on the host: not present', async () => {
    expect((await resolveKubelet(root({ 'etc/hostname': 'x\n' }), { maxProcesses: 1000 })).present).toBe(false);
  });
});
