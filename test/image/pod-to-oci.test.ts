/**
 * The pod spec → OCI config.json converter on its own (no runc, no image): the chart's agent and collector
 * pod specs from a real `helm template`, and small specs for the rules a runtime follows.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { helmAvailable, renderChart } from '../helpers/helm.js';
import type { K8s } from '../helpers/helm.js';
import {
  capabilitySet,
  containerEnv,
  podToOci,
  processArgs,
  processEnv,
  processUser,
  quantityBytes,
  quantityMilli,
  resolveSeccomp,
  resources,
  volumeMounts,
} from './pod-to-oci.js';
import type { ConvertOptions, DockerSeccomp } from './pod-to-oci.js';
import { SECCOMP_PROFILE } from './pods.js';

const image = {
  Entrypoint: ['node', '/app/main.js'],
  Cmd: ['agent'],
  Env: ['PATH=/usr/bin', 'NODE_ENV=production'],
  WorkingDir: '/app',
  User: '0',
};
const profile: DockerSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_PTRACE'] } },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
    { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
  ],
};
const fieldRefs = {
  'spec.nodeName': 'node-1',
  'status.hostIP': '10.1.2.3',
  'metadata.name': 'p',
  'metadata.namespace': 'hostward',
};
const opts = (over: Partial<ConvertOptions> = {}): ConvertOptions => ({
  rootfs: '/rootfs',
  image,
  volumeDirs: {},
  runtimeDefaultSeccomp: profile,
  fieldRefs,
  ...over,
});

describe('capabilities, user, command and env as a runtime sets them', () => {
  it('drop ALL then add: exactly the added set; no drop: the runtime defaults plus the added ones', () => {
    expect(capabilitySet({ drop: ['ALL'], add: ['DAC_READ_SEARCH', 'SYS_PTRACE'] })).toEqual([
      'CAP_DAC_READ_SEARCH',
      'CAP_SYS_PTRACE',
    ]);
    const dflt = capabilitySet(undefined);
    expect(dflt).toContain('CAP_CHOWN');
    expect(dflt).not.toContain('CAP_SYS_ADMIN');
    expect(capabilitySet({ drop: ['NET_RAW'], add: ['CAP_SYS_ADMIN'] })).toEqual([
      ...dflt.filter((c) => c !== 'CAP_NET_RAW'),
      'CAP_SYS_ADMIN',
    ]);
  });

  it('command replaces the entrypoint and drops the image’s CMD; args alone replace only CMD', () => {
    expect(processArgs({ args: ['scan'] }, image)).toEqual(['node', '/app/main.js', 'scan']);
    expect(processArgs({ command: ['sh'] }, image)).toEqual(['sh']);
    expect(processArgs({}, image)).toEqual(['node', '/app/main.js', 'agent']);
    expect(() => processArgs({ name: 'x' }, {})).toThrow(/names a command/);
  });

  it('env: the image’s, overridden by the container’s; fieldRef from the pod; anything else is refused', () => {
    const env = processEnv(
      {
        env: [
          { name: 'NODE_ENV', value: 'test' },
          { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        ],
      },
      image,
      { 'spec.nodeName': 'n1' },
    );
    expect(env).toEqual(['PATH=/usr/bin', 'NODE_ENV=test', 'NODE_NAME=n1']);
    expect(() =>
      processEnv({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, image),
    ).toThrow(/only value and fieldRef/);
    expect(() =>
      processEnv({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }, image),
    ).toThrow(/status.podIP/);
  });

  it('$(VAR) in env values, command and args: earlier env vars only, $$ escapes, unknown references stay', () => {
    const c = {
      args: ['--listen', '$(LISTEN)', '$$(LISTEN)', '$(NOPE)'],
      env: [
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'LISTEN', value: '$(IP),127.0.0.1' },
        { name: 'EARLY', value: '$(LATER)' },
        { name: 'LATER', value: 'x' },
      ],
    };
    const env = processEnv(c, image, fieldRefs);
    expect(env).toContain('LISTEN=10.1.2.3,127.0.0.1');
    expect(env).toContain('EARLY=$(LATER)');
    expect(processArgs(c, image, containerEnv(c, fieldRefs))).toEqual([
      'node',
      '/app/main.js',
      '--listen',
      '10.1.2.3,127.0.0.1',
      '$(LISTEN)',
      '$(NOPE)',
    ]);
    // The image's env is not a source of references.
    expect(processEnv({ env: [{ name: 'P', value: '$(PATH)' }] }, image)).toContain('P=$(PATH)');
  });

  it('user: runAsUser/runAsGroup over the image’s USER; fsGroup and supplementalGroups as extra groups; runAsNonRoot enforced', () => {
    expect(processUser({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 }, image)).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [1000],
    });
    expect(processUser({}, { User: '5:6' })).toEqual({ uid: 5, gid: 6 });
    expect(() => processUser({ runAsNonRoot: true }, image)).toThrow(/runAsNonRoot/);
    expect(() => processUser({}, { User: 'node' })).toThrow(/not numeric/);
  });
});

describe('mounts, quantities and seccomp', () => {
  it('volumeMounts: rbind, ro or rw, propagation as Kubernetes maps it; an unknown volume is an error', () => {
    const c = {
      volumeMounts: [
        { name: 'root', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' },
        { name: 'state', mountPath: '/s' },
        { name: 'cfg', mountPath: '/c/f', subPath: 'f' },
      ],
    };
    expect(volumeMounts(c, { root: '/', state: '/tmp/s', cfg: '/tmp/c' })).toEqual([
      { destination: '/host', type: 'bind', source: '/', options: ['rbind', 'ro', 'rslave'] },
      { destination: '/s', type: 'bind', source: '/tmp/s', options: ['rbind', 'rw', 'rprivate'] },
      { destination: '/c/f', type: 'bind', source: '/tmp/c/f', options: ['rbind', 'rw', 'rprivate'] },
    ]);
    expect(() => volumeMounts(c, { root: '/' })).toThrow(/no host directory/);
  });

  it('quantities: memory in bytes, CPU in millicores; limits and requests as cgroup settings', () => {
    expect(quantityBytes('384Mi')).toBe(384 * 2 ** 20);
    expect(quantityBytes('1G')).toBe(1e9);
    expect(quantityMilli('10m')).toBe(10);
    expect(quantityMilli('1')).toBe(1000);
    expect(() => quantityBytes('lots')).toThrow(/memory quantity/);
    expect(resources({ resources: { limits: { cpu: '1', memory: '384Mi' }, requests: { cpu: '10m' } } })).toEqual({
      memory: { limit: 384 * 2 ** 20 },
      cpu: { shares: 10, quota: 100_000, period: 100_000 },
    });
  });

  it('seccomp: entries chosen by capability and architecture, as the runtime resolves the profile', () => {
    const withChroot = resolveSeccomp(profile, ['CAP_SYS_CHROOT'], 'x64');
    expect(withChroot.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    expect(withChroot.syscalls.filter((s: K8s) => s.names.includes('chroot'))).toEqual([
      { names: ['chroot'], action: 'SCMP_ACT_ALLOW' },
    ]);
    expect(withChroot.syscalls.some((s: K8s) => s.names.includes('arch_prctl'))).toBe(true);
    const without = resolveSeccomp(profile, [], 'arm64');
    expect(without.syscalls.filter((s: K8s) => s.names.includes('chroot'))).toEqual([
      { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    ]);
    expect(
      without.syscalls.some(
        (s: K8s) => s.names.includes('arch_prctl') || s.names.includes('ptrace') || s.names.includes('mount'),
      ),
    ).toBe(false);
  });

  it.runIf(existsSync(SECCOMP_PROFILE))(
    'the real default profile: chroot only with SYS_CHROOT, bpf only with SYS_ADMIN',
    () => {
      const real = JSON.parse(readFileSync(SECCOMP_PROFILE, 'utf8')) as DockerSeccomp;
      const allowed = (caps: string[], name: string) =>
        resolveSeccomp(real, caps).syscalls.some((s: K8s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes(name));
      expect(allowed(['CAP_SYS_CHROOT'], 'chroot')).toBe(true);
      expect(allowed([], 'chroot')).toBe(false);
      expect(allowed([], 'bpf')).toBe(false);
      expect(allowed(['CAP_SYS_ADMIN'], 'bpf')).toBe(true);
    },
  );
});

describe.skipIf(!helmAvailable)('the chart’s pods, converted', () => {
  const objects = helmAvailable ? renderChart() : [];
  const spec = (kind: string) => objects.find((o) => o.kind === kind)!.spec.template.spec;
  const dirs = (pod: K8s) => Object.fromEntries((pod.volumes as K8s[]).map((v) => [v.name, `/vol/${String(v.name)}`]));

  it('the agent: uid 0, the chart’s capabilities only, no_new_privs, RuntimeDefault seccomp, read-only root, host PID and network', () => {
    const pod = spec('DaemonSet');
    const c = podToOci(pod, 'agent', opts({ volumeDirs: dirs(pod) }));
    const container = pod.containers[0];
    expect(c.process.user).toEqual({ uid: 0, gid: 0 });
    expect(c.process.capabilities.effective).toEqual(
      container.securityContext.capabilities.add.map((x: string) => `CAP_${x}`),
    );
    expect(c.process.capabilities.inheritable).toEqual([]);
    expect(c.process.noNewPrivileges).toBe(true);
    expect(c.root).toEqual({ path: '/rootfs', readonly: true });
    expect(c.linux.namespaces.map((n: K8s) => n.type).sort()).toEqual(['ipc', 'mount']);
    expect(c.hostname).toBeUndefined();
    expect(c.linux.rootfsPropagation).toBe('rslave');
    expect(c.linux.seccomp.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(c.process.args).toEqual(['node', '/app/main.js', ...container.args]);
    expect(c.process.env).toContain('NODE_NAME=node-1');
    const host = c.mounts.find((m: K8s) => m.destination === '/host');
    expect(host).toEqual({
      destination: '/host',
      type: 'bind',
      source: '/vol/host-root',
      options: ['rbind', 'ro', 'rslave'],
    });
    expect(c.linux.resources.memory.limit).toBe(quantityBytes(container.resources.limits.memory));
  });

  it('the collector: uid/gid 1000 with fsGroup, no capabilities, its own PID and network namespaces', () => {
    const pod = spec('Deployment');
    const c = podToOci(pod, 'collector', opts({ volumeDirs: dirs(pod) }));
    expect(c.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000] });
    expect(c.process.capabilities.bounding).toEqual([]);
    expect(c.linux.namespaces.map((n: K8s) => n.type).sort()).toEqual(['ipc', 'mount', 'network', 'pid', 'uts']);
    expect(c.linux.rootfsPropagation).toBeUndefined();
    expect(() => podToOci(pod, 'nope', opts())).toThrow(/no container nope/);
    expect(() =>
      podToOci(
        { ...pod, containers: [{ ...pod.containers[0], securityContext: { privileged: true } }] },
        'collector',
        opts({ volumeDirs: dirs(pod) }),
      ),
    ).toThrow(/privileged/);
  });
});
