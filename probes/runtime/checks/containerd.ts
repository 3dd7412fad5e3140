/**
 * containerd checks, per instance (system containerd, k3s, RKE2): CRI confinement settings, the cgroup driver
 * against the kubelet's, API and streaming listeners, registry TLS, runtime handlers, sockets and files.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import type { RuntimeFacts } from '../types.js';
import type { ContainerdConfig, ContainerdInstance, Val } from '../../../src/sdk.js';
import { normaliseContainerd, isLoopback } from '../../../src/sdk.js';
import { auditOutcome, combine, fail, modeOutcome, pass, skip, unknown } from './util.js';

const label = (i: ContainerdInstance) => (i.flavour === 'containerd' ? i.configPath : `${i.flavour} ${i.configPath}`);

/** The config of an instance: parsed, or defaults when there is no file. */
function configOf(i: ContainerdInstance): ContainerdConfig | string {
  if (i.loaded.ok) return i.loaded.config;
  if (i.loaded.missing)
    return normaliseContainerd({}, 2, new Map(), new Map(), [], [`no ${i.configPath}: containerd defaults`]);
  return `${i.loaded.reason}`;
}

function perInstance(
  f: RuntimeFacts,
  judge: (c: ContainerdConfig, i: ContainerdInstance, idx: number) => Outcome,
  needCri = true,
): Outcome {
  const parts = f.containerd.instances.map((i, idx) => {
    const c = configOf(i);
    if (typeof c === 'string') return { label: label(i), outcome: unknown(`cannot read the configuration: ${c}`) };
    if (needCri && !c.cri.enabled) return { label: label(i), outcome: skip('the CRI plugin is disabled') };
    return { label: label(i), outcome: judge(c, i, idx) };
  });
  return combine(parts);
}

const src = (v: Val<unknown>) => (v.set ? '' : ' (default)');
const show = (v: Val<unknown>) => `${JSON.stringify(v.value)}${src(v)}`;

const boolSetting =
  (pick: (c: ContainerdConfig) => Val<boolean>, key: string, bad: boolean, why: string) => (f: RuntimeFacts) =>
    perInstance(f, (c) => {
      const v = pick(c);
      return v.value === bad
        ? fail(`${key} = ${show(v)}: ${why}`, v.evidence)
        : pass(`${key} = ${show(v)}`, v.evidence);
    });

type CCheck = Check<RuntimeFacts>;

const raw: CCheck[] = [
  {
    id: 'runtime.containerd_unset_seccomp_profile',
    title: 'containerd: pods that name no seccomp profile get one (unset_seccomp_profile)',
    severity: 'medium',
    references: [
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'https://kubernetes.io/docs/tutorials/security/seccomp/',
      'CIS Kubernetes Benchmark v1.12 5.6.2',
    ],
    remediation:
      "Turn on the kubelet's seccompDefault (the node-wide fix, see the seccomp probe), or set unset_seccomp_profile to a profile path in the CRI runtime section.",
    evaluate: (f) =>
      perInstance(f, (c) => {
        const v = c.cri.unsetSeccompProfile;
        return v.value === ''
          ? fail(
              `unset_seccomp_profile = ""${src(v)}: a container whose pod names no seccompProfile runs unconfined unless the kubelet sends RuntimeDefault`,
              v.evidence,
            )
          : pass(`unset_seccomp_profile = ${JSON.stringify(v.value)}`, v.evidence);
      }),
  },
  {
    id: 'runtime.containerd_apparmor',
    title: 'containerd: AppArmor confinement is not disabled',
    severity: 'medium',
    references: [
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'CIS Docker Benchmark v1.6.0 5.2',
    ],
    remediation: 'Remove disable_apparmor = true from the CRI runtime section.',
    evaluate: boolSetting(
      (c) => c.cri.disableApparmor,
      'disable_apparmor',
      true,
      'containers get no cri-containerd.apparmor.d profile',
    ),
  },
  {
    id: 'runtime.containerd_selinux',
    title: 'containerd: SELinux labelling is on where the host runs SELinux',
    severity: 'medium',
    references: [
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'CIS Docker Benchmark v1.6.0 5.3',
    ],
    remediation: 'Set enable_selinux = true in the CRI runtime section on SELinux hosts.',
    evaluate: (f) =>
      perInstance(f, (c) => {
        const v = c.cri.enableSelinux;
        if (v.value) return pass(`enable_selinux = true`, v.evidence);
        return f.selinux.enabled
          ? fail(`the host runs SELinux but enable_selinux = false${src(v)}: containers are not labelled`, [
              ...v.evidence,
              f.selinux.evidence,
            ])
          : skip('the host does not run SELinux');
      }),
  },
  {
    id: 'runtime.containerd_restrict_oom_score_adj',
    title: "containerd: containers cannot lower their OOM score below containerd's",
    severity: 'low',
    references: ['https://github.com/containerd/containerd/blob/main/docs/cri/config.md'],
    remediation: 'Set restrict_oom_score_adj = true in the CRI runtime section.',
    evaluate: boolSetting(
      (c) => c.cri.restrictOomScoreAdj,
      'restrict_oom_score_adj',
      false,
      'a container may set an oom_score_adj that makes the OOM killer pick the runtime first',
    ),
  },
  {
    id: 'runtime.containerd_unprivileged_ports',
    title: 'containerd: containers do not get unprivileged low ports by default',
    severity: 'info',
    references: [
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/',
    ],
    remediation:
      'Set enable_unprivileged_ports = false to keep ports below 1024 for CAP_NET_BIND_SERVICE (containerd 2.x turns it on by default).',
    evaluate: boolSetting(
      (c) => c.cri.enableUnprivilegedPorts,
      'enable_unprivileged_ports',
      true,
      'any process in a container may bind ports below 1024 (ip_unprivileged_port_start=0)',
    ),
  },
  {
    id: 'runtime.containerd_unprivileged_icmp',
    title: 'containerd: containers do not get unprivileged ICMP sockets by default',
    severity: 'info',
    references: ['https://github.com/containerd/containerd/blob/main/docs/cri/config.md'],
    remediation: 'Set enable_unprivileged_icmp = false (containerd 2.x turns it on by default).',
    evaluate: boolSetting(
      (c) => c.cri.enableUnprivilegedIcmp,
      'enable_unprivileged_icmp',
      true,
      'any process in a container may open ICMP sockets (ping_group_range covers every group)',
    ),
  },
  {
    id: 'runtime.containerd_cgroup_driver',
    title: "containerd: the runc cgroup driver (SystemdCgroup) matches the kubelet's cgroupDriver",
    severity: 'medium',
    references: [
      'https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cgroup-drivers',
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
    ],
    remediation:
      "Set SystemdCgroup = true under the runc handler's options when the kubelet uses cgroupDriver: systemd (or make both cgroupfs), then restart containerd.",
    evaluate: (f) =>
      perInstance(f, (c, i) => {
        if (i.flavour !== 'containerd')
          return skip(`${i.flavour} generates the containerd config to match its embedded kubelet`);
        const k = f.kubelet;
        if (k.state === 'absent') return skip('no kubelet configuration on this host');
        if (k.state === 'unknown') return unknown(k.reason);
        const h = c.cri.runtimes.find((r) => r.name === c.cri.defaultRuntimeName.value);
        if (!h)
          return unknown(
            `default runtime ${c.cri.defaultRuntimeName.value} is not configured, so its SystemdCgroup cannot be read`,
          );
        const sd = h.systemdCgroup;
        const runtimeDriver = sd.value ? 'systemd' : 'cgroupfs';
        const ev: Evidence[] = [...sd.evidence, k.evidence];
        return runtimeDriver === k.driver
          ? pass(`kubelet and ${h.name} both use ${k.driver}`, ev)
          : fail(
              `kubelet cgroupDriver ${k.driver} but ${h.name} SystemdCgroup = ${String(sd.value)}${src(sd)} (${runtimeDriver}): two cgroup managers, pods become unstable under resource pressure`,
              ev,
            );
      }),
  },
  {
    id: 'runtime.containerd_sandbox_host_devices',
    title: 'containerd: sandboxed runtimes (Kata, gVisor) do not pass host devices to privileged pods',
    severity: 'medium',
    references: [
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'https://github.com/kata-containers/kata-containers/blob/main/docs/how-to/privileged.md',
    ],
    remediation: 'Set privileged_without_host_devices = true on every Kata and gVisor runtime handler.',
    evaluate: (f) =>
      perInstance(f, (c) => {
        const sb = c.cri.runtimes.filter((r) => r.kind === 'kata' || r.kind === 'gvisor');
        if (sb.length === 0) return skip('no sandboxed runtime handler');
        const bad = sb.filter((r) => !r.privilegedWithoutHostDevices.value);
        return bad.length > 0
          ? fail(
              `${bad.map((r) => `${r.name} (${r.kind})`).join(', ')}: privileged pods get every host device inside the sandbox`,
              bad.flatMap((r) => r.privilegedWithoutHostDevices.evidence),
            )
          : pass(
              `${sb.map((r) => r.name).join(', ')} set privileged_without_host_devices`,
              sb.flatMap((r) => r.privilegedWithoutHostDevices.evidence),
            );
      }),
  },
  {
    id: 'runtime.containerd_runtime_handlers',
    title: 'containerd: runtime handlers are known and the default one exists',
    severity: 'info',
    references: [
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'https://kubernetes.io/docs/concepts/containers/runtime-class/',
    ],
    remediation:
      'Define the default_runtime_name handler under containerd.runtimes and replace deprecated runtime types (io.containerd.runtime.v1.linux, io.containerd.runc.v1, untrusted_workload_runtime) with io.containerd.runc.v2 or a RuntimeClass handler.',
    evaluate: (f) =>
      perInstance(f, (c, i) => {
        const list =
          c.cri.runtimes.map((r) => `${r.name} (${r.kind}${r.runtimeType ? `, ${r.runtimeType}` : ''})`).join(', ') ||
          'none';
        const problems: string[] = [];
        if (c.cri.runtimes.length > 0 && !c.cri.runtimes.some((r) => r.name === c.cri.defaultRuntimeName.value))
          problems.push(`default_runtime_name ${c.cri.defaultRuntimeName.value} is not a configured handler`);
        const old = c.cri.runtimes.filter(
          (r) => r.runtimeType === 'io.containerd.runtime.v1.linux' || r.runtimeType === 'io.containerd.runc.v1',
        );
        if (old.length > 0) problems.push(`deprecated runtime type for ${old.map((r) => r.name).join(', ')}`);
        if (c.cri.untrustedWorkloadRuntime) problems.push('the deprecated untrusted_workload_runtime is configured');
        if (!i.loaded.ok) return pass('no config file: the built-in runc handler (io.containerd.runc.v2)');
        return problems.length > 0
          ? fail(`${problems.join('; ')}; handlers: ${list}`, c.cri.defaultRuntimeName.evidence)
          : pass(`handlers: ${list}; default ${c.cri.defaultRuntimeName.value}`);
      }),
  },
  {
    id: 'runtime.containerd_grpc_tcp',
    title: 'containerd: the API is not exposed on TCP without mutual TLS',
    severity: 'critical',
    references: ['containerd-config.toml(5) tcp_address', 'CIS Docker Benchmark v1.6.0 2.7'],
    remediation:
      'Remove tcp_address (io.containerd.server.v1.grpc-tcp address in v4), or set tcp_tls_ca, tcp_tls_cert and tcp_tls_key so clients need a certificate from your CA.',
    evaluate: (f) =>
      perInstance(
        f,
        (c) => {
          const g = c.grpc;
          if (g.tcpAddress.value === '') return pass('no TCP listener for the containerd API');
          const missing = [g.tcpTlsCert, g.tcpTlsKey, g.tcpTlsCa]
            .map((v, i) => (v.value === '' ? ['TLS certificate', 'TLS key', 'client CA'][i] : undefined))
            .filter(Boolean);
          if (missing.length === 0)
            return pass(`API on ${g.tcpAddress.value} requires client certificates`, g.tcpAddress.evidence);
          return fail(
            `containerd API on TCP ${g.tcpAddress.value} without ${missing.join(', ')}: whoever reaches it controls every container${isLoopback(g.tcpAddress.value.replace(/:\d+$/, '')) ? ' (any local process or hostNetwork pod)' : ''}`,
            g.tcpAddress.evidence,
          );
        },
        false,
      ),
  },
  {
    id: 'runtime.containerd_stream_server',
    title: 'containerd: the CRI streaming server (exec, attach, port-forward) listens on loopback or uses TLS',
    severity: 'medium',
    references: ['https://github.com/containerd/containerd/blob/main/docs/cri/config.md'],
    remediation:
      'Keep stream_server_address = "127.0.0.1" (the kubelet proxies streams), or set enable_tls_streaming = true with x509_key_pair_streaming.',
    evaluate: (f) =>
      perInstance(f, (c) => {
        const a = c.cri.streamServerAddress;
        const addr = a.value === '' ? "the node's primary address" : a.value;
        if (a.value !== '' && isLoopback(a.value)) return pass(`stream_server_address = ${show(a)}`, a.evidence);
        if (c.cri.enableTlsStreaming.value)
          return pass(`streaming server on ${addr} with TLS`, [...a.evidence, ...c.cri.enableTlsStreaming.evidence]);
        return fail(
          `streaming server on ${addr} (stream_server_address = ${show(a)}) without TLS: exec and attach streams cross the network in clear text`,
          a.evidence,
        );
      }),
  },
  {
    id: 'runtime.containerd_registry_tls',
    title: 'containerd: registries are used with TLS verification (no skip_verify, no plain HTTP)',
    severity: 'high',
    references: ['CIS Docker Benchmark v1.6.0 2.5', 'https://github.com/containerd/containerd/blob/main/docs/hosts.md'],
    remediation:
      'Remove skip_verify = true from certs.d/<registry>/hosts.toml (give the registry\'s CA with ca = "...") and http:// endpoints; drop legacy registry.configs insecure_skip_verify.',
    evaluate: (f) =>
      perInstance(f, (c, _i, idx) => {
        const hostsFindings = f.containerdRegistryHosts[idx] ?? { insecure: [], problems: [] };
        const bad = [
          ...c.cri.legacyInsecure.map((l) => ({ what: `${l.registry}: ${l.what}`, evidence: l.evidence })),
          ...hostsFindings.insecure.map((h) => ({ what: `${h.file}: ${h.what}`, evidence: h.evidence })),
        ];
        if (bad.length > 0)
          return fail(
            bad.map((b) => b.what).join('; '),
            bad.map((b) => b.evidence),
          );
        if (hostsFindings.problems.length > 0) return unknown(hostsFindings.problems.join('; '));
        return pass(
          `no insecure registry configuration${c.cri.registryConfigPath.value ? ` (hosts in ${c.cri.registryConfigPath.value})` : ''}`,
        );
      }),
  },
  {
    id: 'runtime.containerd_config_valid',
    title: 'containerd: the configuration parses and its imports are consistent',
    severity: 'medium',
    references: ['containerd-config.toml(5) imports', 'https://github.com/containerd/containerd/issues/5837'],
    remediation:
      "Fix the TOML (containerd config dump shows the merged result), keep imported files at the main file's version, and remove imports that do not exist.",
    evaluate: (f) =>
      combine(
        f.containerd.instances.map((i) => {
          if (!i.loaded.ok)
            return {
              label: label(i),
              outcome: i.loaded.missing
                ? pass('no config file: containerd runs on its defaults')
                : fail(i.loaded.reason, [{ file: i.loaded.file }]),
            };
          const c = i.loaded.config;
          const mixed = c.problems.filter((p) => / is config version /.test(p));
          const tmpl = i.template ? `; generated from ${i.template}` : '';
          return {
            label: label(i),
            outcome:
              mixed.length > 0
                ? fail(mixed.join('; '))
                : pass(`version ${c.version}, ${c.files.length} file(s): ${c.files.join(', ')}${tmpl}`),
          };
        }),
      ),
  },
  {
    id: 'runtime.containerd_socket_permissions',
    title: 'containerd: containerd.sock is owned by root:root and at most 0660',
    severity: 'high',
    references: [
      'CIS Docker Benchmark v1.6.0 3.23',
      'CIS Docker Benchmark v1.6.0 3.24',
      'docker-bench-security check_3_23',
      'docker-bench-security check_3_24',
    ],
    remediation:
      'Leave [grpc] uid/gid at 0 (or a dedicated group) and make sure nothing chmods the socket; it is created 0660 root:root.',
    evaluate: (f) =>
      combine(
        f.containerd.instances.map((i) => ({
          label: label(i),
          outcome: modeOutcome(
            i.files,
            ['containerd.sock'],
            { maxMode: 0o660, uid: 0 },
            `socket ${i.socketPath} (containerd is not running)`,
          ),
        })),
      ),
  },
  {
    id: 'runtime.containerd_config_permissions',
    title: 'containerd: config.toml, its imports and templates are owned by root and at most 0644',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 3.17'],
    remediation:
      'chown root:root /etc/containerd/config.toml /etc/containerd/conf.d/*.toml && chmod 644 them (likewise the k3s/RKE2 config.toml.tmpl).',
    evaluate: (f) =>
      combine(
        f.containerd.instances.map((i) => ({
          label: label(i),
          outcome: modeOutcome(
            i.files,
            ['config.toml', 'imported config', 'config template'],
            { maxMode: 0o644, uid: 0 },
            'containerd config file',
          ),
        })),
      ),
  },
  {
    id: 'runtime.containerd_audit_rules',
    title: 'containerd: auditd watches containerd, its configuration and runc',
    severity: 'low',
    references: [
      'CIS Docker Benchmark v1.6.0 1.1.4',
      'CIS Docker Benchmark v1.6.0 1.1.12',
      'CIS Docker Benchmark v1.6.0 1.1.14',
      'CIS Docker Benchmark v1.6.0 1.1.15',
      'CIS Docker Benchmark v1.6.0 1.1.16',
      'CIS Docker Benchmark v1.6.0 1.1.17',
      'CIS Docker Benchmark v1.6.0 1.1.18',
      'docker-bench-security check_1_1_4',
      'docker-bench-security check_1_1_12',
      'docker-bench-security check_1_1_14',
    ],
    remediation:
      'Add "-w <path> -k containerd" rules for each file listed to /etc/audit/rules.d/containerd.rules and run augenrules --load.',
    evaluate: (f) =>
      auditOutcome(f.audit.watched, f.audit.files, f.existing, [
        '/run/containerd',
        '/etc/containerd/config.toml',
        '/usr/bin/containerd',
        '/usr/bin/containerd-shim-runc-v2',
        '/usr/bin/runc',
        '/usr/sbin/runc',
        '/usr/local/bin/containerd',
      ]),
  },
];

/** Every containerd check skips when containerd is not installed. */
export const containerdChecks: readonly CCheck[] = raw.map((c) => ({
  ...c,
  evaluate: (f: RuntimeFacts) =>
    f.containerd.installed ? c.evaluate(f) : skip(`containerd is not installed (${f.containerd.basis})`),
}));
