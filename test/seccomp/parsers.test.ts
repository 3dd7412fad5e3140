/**
 * The seccomp probe's pure parts: /proc status, capability table, LSM labels, sandboxes, OCI annotations, runtime
 * configs, options, exclusions; hostile input.
 */
import { afterAll, describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isUnconfinedLabel, sandboxOf, parseOciAnnotations, podNameFromEtcHosts } from '../../probes/seccomp/proc.js';
import { parseProcStatus as parseStatus, parseLsmLabel } from '../../src/sdk.js';
import {
  CAP_NAMES,
  DANGEROUS_CAPABILITIES,
  RUNTIME_DEFAULT_MASK,
  capNames,
  fullMask,
  parseCapMask,
} from '../../probes/seccomp/caps.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { runtimeDefault } from '../../probes/seccomp/runtime-default.js';
import { HostRoot } from '../../src/host/root.js';
import { SECCOMP_OPTIONS } from '../../probes/seccomp/option-spec.js';
import { parsedOptions } from '../helpers/options.js';
import { applyExclusions, detectSelf } from '../../probes/seccomp/index.js';
import type { ContainerFact } from '../../probes/seccomp/types.js';
import { FIXTURES } from '../helpers/hosts.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseSeccompOptions = (raw: unknown) => parsedOptions(SECCOMP_OPTIONS, raw);

describe('/proc/<pid>/status', () => {
  it('reads the text of a real runc container', () => {
    const text = readFileSync(path.join(FIXTURES, 'seccomp-runc-pods/proc/1210/status'), 'utf8');
    const s = parseStatus(text);
    expect(s).toMatchObject({ name: 'nginx', seccomp: 0, seccompFilters: 0, noNewPrivs: 0, capEff: 0xa80425fbn });
  });
  it('drops malformed values and survives truncated, binary and huge input', () => {
    expect(parseStatus('Seccomp:\t9\nNoNewPrivs:\t2\nCapEff:\tzz\nSeccomp_filters:\t-1\n')).toEqual({});
    expect(parseStatus('Name:\tx\nCapEff:\t0000')).toEqual({ name: 'x', capEff: 0n });
    expect(parseStatus('\0\xff'.repeat(100_000))).toEqual({});
    expect(parseStatus('CapEff:\t' + 'f'.repeat(17))).toEqual({});
    // Only the first 200 lines are read.
    expect(parseStatus('x: 1\n'.repeat(300) + 'Seccomp:\t2\n').seccomp).toBeUndefined();
  });
});

describe('capabilities', () => {
  it('the table has 41 unique names and every dangerous one is in it', () => {
    expect(CAP_NAMES).toHaveLength(41);
    expect(new Set(CAP_NAMES).size).toBe(41);
    for (const n of Object.keys(DANGEROUS_CAPABILITIES)) expect(CAP_NAMES).toContain(n);
    expect(CAP_NAMES[21]).toBe('SYS_ADMIN');
    expect(CAP_NAMES[39]).toBe('BPF');
  });
  it('decodes the reference masks', () => {
    expect(capNames(RUNTIME_DEFAULT_MASK)).toEqual([
      'CHOWN',
      'DAC_OVERRIDE',
      'FOWNER',
      'FSETID',
      'KILL',
      'SETGID',
      'SETUID',
      'SETPCAP',
      'NET_BIND_SERVICE',
      'NET_RAW',
      'SYS_CHROOT',
      'MKNOD',
      'AUDIT_WRITE',
      'SETFCAP',
    ]);
    expect(capNames(0x5fbn)).toHaveLength(9);
    expect(capNames(parseCapMask('000001ffffffffff')!)).toHaveLength(41);
    expect(capNames(1n << 50n)).toEqual(['CAP_50']);
    expect(fullMask(40)).toBe(0x1ffffffffffn);
    expect(parseCapMask('')).toBeUndefined();
  });
});

describe('LSM labels and sandboxes', () => {
  it('labels', () => {
    expect(parseLsmLabel('docker-default (enforce)\n')).toBe('docker-default (enforce)');
    expect(parseLsmLabel('\0')).toBeUndefined();
    expect(isUnconfinedLabel(undefined)).toBe(true);
    expect(isUnconfinedLabel('unconfined')).toBe(true);
    expect(isUnconfinedLabel('system_u:system_r:spc_t:s0')).toBe(true);
    expect(isUnconfinedLabel('system_u:system_r:container_t:s0:c1,c2')).toBe(false);
    expect(isUnconfinedLabel('cri-containerd.apparmor.d (enforce)')).toBe(false);
  });
  it('gVisor and Kata by process name', () => {
    expect(sandboxOf('exe', '/usr/local/bin/runsc-sandbox')).toBe('gvisor');
    expect(sandboxOf('containerd-shim', '/usr/bin/containerd-shim-runsc-v1')).toBe('gvisor');
    expect(sandboxOf('containerd-shim', '/usr/bin/containerd-shim-kata-v2')).toBe('kata');
    expect(sandboxOf('qemu-system-x86')).toBe('kata');
    expect(sandboxOf('cloud-hyperviso')).toBe('kata');
    expect(sandboxOf('containerd-shim', '/usr/bin/containerd-shim-runc-v2')).toBeUndefined();
    expect(sandboxOf('nginx')).toBeUndefined();
  });
});

describe('pod names', () => {
  it('OCI annotations of containerd and CRI-O; garbage is undefined', () => {
    expect(
      parseOciAnnotations(
        '{"annotations":{"io.kubernetes.cri.sandbox-name":"web-0","io.kubernetes.cri.sandbox-namespace":"shop","io.kubernetes.cri.container-name":"nginx"}}',
      ),
    ).toEqual({ podName: 'web-0', namespace: 'shop', containerName: 'nginx' });
    expect(
      parseOciAnnotations(
        '{"annotations":{"io.kubernetes.pod.name":"p","io.kubernetes.pod.namespace":"n","io.kubernetes.cri-o.ContainerType":"sandbox"}}',
      ),
    ).toEqual({ podName: 'p', namespace: 'n', sandbox: true });
    for (const bad of ['', '{', 'null', '[]', '{"annotations":5}', '{"annotations":{"io.kubernetes.pod.name":7}}'])
      expect(parseOciAnnotations(bad) ?? {}).toEqual({});
    expect(parseOciAnnotations(`{"annotations":{"io.kubernetes.pod.name":"${'a'.repeat(300)}"}}`)).toEqual({});
  });
  it('kubelet-managed etc-hosts names the pod; a copied host /etc/hosts does not', () => {
    expect(podNameFromEtcHosts('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n10.0.0.5\tapi-0\n')).toBe(
      'api-0',
    );
    expect(podNameFromEtcHosts('127.0.0.1 localhost\n10.0.0.5 node1\n')).toBeUndefined();
    expect(podNameFromEtcHosts('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n')).toBeUndefined();
  });
});

describe("runtime configs (read through the runtime probe's loaders)", () => {
  const roots: string[] = [];
  const hostWith = (files: Record<string, string>): HostRoot => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hw-seccomp-rt-'));
    roots.push(root);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), text);
    }
    return new HostRoot(root);
  };
  const none = new Set<string>();
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('containerd v2 and v3 unset_seccomp_profile, with file:line evidence; unset means ""', async () => {
    const v2 = await runtimeDefault(
      hostWith({
        'etc/containerd/config.toml':
          'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  unset_seccomp_profile = "runtime/default"\n',
      }),
      undefined,
      none,
    );
    expect(v2).toMatchObject({ runtime: 'containerd', profile: 'runtime/default' });
    expect(v2.evidence[0]).toMatchObject({ file: '/etc/containerd/config.toml', line: 3 });
    const v3 = await runtimeDefault(
      hostWith({
        'etc/containerd/config.toml':
          "version = 3\n[plugins.'io.containerd.cri.v1.runtime']\n  unset_seccomp_profile = ''\n",
      }),
      undefined,
      none,
    );
    expect(v3).toMatchObject({ runtime: 'containerd', profile: '' });
    const unset = await runtimeDefault(hostWith({ 'etc/containerd/config.toml': 'version = 2\n' }), undefined, none);
    expect(unset.profile).toBe('');
    expect(unset.detail).toMatch(/not set/);
  });
  it('containerd: a profile set in an import counts', async () => {
    const r = await runtimeDefault(
      hostWith({
        'etc/containerd/config.toml': 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n',
        'etc/containerd/conf.d/10-seccomp.toml':
          'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  unset_seccomp_profile = "runtime/default"\n',
      }),
      undefined,
      none,
    );
    expect(r.profile).toBe('runtime/default');
    expect(r.evidence[0]?.file).toBe('/etc/containerd/conf.d/10-seccomp.toml');
  });
  it('CRI-O: seccomp_use_default_when_empty and seccomp_profile from crio.conf and drop-ins', async () => {
    const on = await runtimeDefault(
      hostWith({
        'etc/crio/crio.conf': '[crio.runtime]\nseccomp_use_default_when_empty = false\n',
        'etc/crio/crio.conf.d/10-x.conf':
          '[crio.runtime]\nseccomp_use_default_when_empty = true\nseccomp_profile = "/etc/p.json"\n',
      }),
      undefined,
      none,
    );
    expect(on).toMatchObject({ runtime: 'cri-o', profile: '/etc/p.json' });
    const off = await runtimeDefault(
      hostWith({
        'etc/crio/crio.conf':
          '[crio.runtime]\nseccomp_use_default_when_empty = false\nseccomp_profile = "/etc/p.json"\n',
      }),
      undefined,
      none,
    );
    expect(off).toMatchObject({ runtime: 'cri-o', profile: '' });
    expect(off.detail).toMatch(/false \(\/etc\/crio\/crio.conf:2\)/);
  });
  it('malformed TOML is a reason (profile unknown), never a throw', async () => {
    for (const t of ['[plugins."x"', 'a = ', '\0\0', 'a = 1\na = 2', '[[[', 'x = "' + 'y'.repeat(100_000)]) {
      const r = await runtimeDefault(hostWith({ 'etc/containerd/config.toml': t }), undefined, none);
      expect(r.profile).toBeUndefined();
      expect(r.unreadable).toBeTruthy();
      const c = await runtimeDefault(hostWith({ 'etc/crio/crio.conf': t }), undefined, none);
      expect(c.profile).toBeUndefined();
      expect(c.unreadable).toBeTruthy();
    }
  });
});

describe('options and exclusions', () => {
  it('validates with the key named', () => {
    expect(parseSeccompOptions(undefined)).toMatchObject({ maxListed: 20, excludePodUids: [] });
    expect(() => parseSeccompOptions({ exclude: { pods: ['no-slash'] } })).toThrow(/^exclude.pods:/);
    expect(() => parseSeccompOptions({ exclude: { nope: [] } })).toThrow(/^exclude.nope:/);
    expect(() => parseSeccompOptions({ selfContainerId: 'abc' })).toThrow(/^selfContainerId:/);
    expect(() => parseSeccompOptions({ dangerousCapabilities: ['CAP_FOO'] })).toThrow(
      /^dangerousCapabilities: unknown capabilities: FOO/,
    );
    expect(parseSeccompOptions({ dangerousCapabilities: ['CAP_SYS_ADMIN'] }).dangerousCapabilities).toEqual([
      'SYS_ADMIN',
    ]);
  });
  it('excludes by own container, own pod, uid (dashes or not), and namespace/name glob where names are known', () => {
    const mk = (id: string, extra: Partial<ContainerFact> = {}): ContainerFact => ({
      containerId: id.repeat(64).slice(0, 64),
      pid: 1,
      comm: 'x',
      processes: 1,
      capabilities: [],
      dangerous: [],
      fullCapabilities: false,
      privileged: false,
      pause: false,
      ...extra,
    });
    const cs = [
      mk('a'),
      mk('b', { podUid: '11111111-2222-3333-4444-555555555555' }),
      mk('c', { podUid: '66666666-7777-8888-9999-000000000000' }),
      mk('d', { namespace: 'kube-system', podName: 'falco-x1' }),
      mk('e', { podUid: 'abababab-abab-abab-abab-abababababab' }),
    ];
    const o = parseSeccompOptions({
      exclude: { podUids: ['66666666777788889999000000000000'], pods: ['kube-*/falco-*'] },
    });
    applyExclusions(cs, o, {
      containerId: 'a'.repeat(64),
      podUid: '11111111-2222-3333-4444-555555555555',
      source: 'test',
    });
    expect(cs.map((c) => c.excluded)).toEqual([
      "hostward's own container",
      "hostward's own pod",
      'exclude.podUids',
      'exclude.pods kube-*/falco-*',
      undefined,
    ]);
  });
  it('detects its own container from a cgroup text; a private cgroup namespace ("0::/") gives nothing', () => {
    expect(
      detectSelf(
        () =>
          `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-${'f'.repeat(64)}.scope\n`,
      ),
    ).toEqual({
      containerId: 'f'.repeat(64),
      podUid: '11111111-2222-3333-4444-555555555555',
      source: '/proc/self/cgroup',
    });
    expect(detectSelf(() => '0::/\n')).toEqual({ source: '/proc/self/cgroup' });
    expect(
      detectSelf(() => {
        throw new Error('EACCES');
      }),
    ).toEqual({ source: '/proc/self/cgroup unreadable' });
  });
});
