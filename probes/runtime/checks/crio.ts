/**
 * CRI-O checks over crio.conf plus drop-ins: seccomp, AppArmor, SELinux, capabilities, limits, annotations that
 * let a pod weaken its own confinement, streaming, runtime handlers, socket and files.
 */
import type { Check, Outcome } from '../../../src/sdk.js';
import type { RuntimeFacts } from '../types.js';
import type { CrioConfig } from '../../../src/sdk.js';
import { CRIO_DEFAULT_CAPABILITIES, isLoopback } from '../../../src/sdk.js';
import { fail, modeOutcome, pass, skip, unknown } from './util.js';

/**
 * Annotations that, once allowed for a runtime handler or workload, let a pod weaken its confinement or its
 * isolation from other pods; each with the reason. Both the old io.kubernetes.cri-o.* and the new *.crio.io
 * spellings.
 */
export const DANGEROUS_ANNOTATIONS: Readonly<Record<string, string>> = {
  'io.kubernetes.cri-o.Devices': 'host devices in the container',
  'devices.crio.io': 'host devices in the container',
  'io.kubernetes.cri-o.userns-mode': "the pod chooses its user namespace (including the host's)",
  'userns-mode.crio.io': "the pod chooses its user namespace (including the host's)",
  'seccomp-profile.kubernetes.cri-o.io': 'the pod overrides its seccomp profile',
  'seccomp-profile.crio.io': 'the pod overrides its seccomp profile',
  'io.kubernetes.cri-o.cgroup2-mount-hierarchy-rw': 'a writable cgroup2 hierarchy in the container',
  'cgroup2-mount-hierarchy-rw.crio.io': 'a writable cgroup2 hierarchy in the container',
  'io.kubernetes.cri-o.UnifiedCgroup': 'the pod sets its own cgroup v2 limits',
  'unified-cgroup.crio.io': 'the pod sets its own cgroup v2 limits',
  'io.kubernetes.cri-o.ShmSize': 'the pod sizes its /dev/shm beyond its memory limit',
  'shm-size.crio.io': 'the pod sizes its /dev/shm beyond its memory limit',
  'io.kubernetes.cri-o.TrySkipVolumeSELinuxLabel': 'volumes keep their SELinux labels',
  'try-skip-volume-selinux-label.crio.io': 'volumes keep their SELinux labels',
  'io.kubernetes.cri-o.umask': 'the pod sets the umask of its processes',
  'umask.crio.io': 'the pod sets the umask of its processes',
  'cpu-load-balancing.crio.io': 'the pod disables CPU load balancing on its CPUs (affects other pods)',
  'cpu-quota.crio.io': 'the pod disables CFS quota for its CPUs',
  'irq-load-balancing.crio.io': 'the pod steers host IRQs away from its CPUs',
  'cpu-c-states.crio.io': 'the pod changes CPU power states of the host',
  'cpu-freq-governor.crio.io': "the pod changes the host's CPU frequency governor",
  'cpu-shared.crio.io': 'the pod uses shared CPUs outside its allocation',
};

function withConfig(f: RuntimeFacts, judge: (c: CrioConfig) => Outcome): Outcome {
  const l = f.crio.loaded;
  if (!l.ok) return unknown(`cannot read the CRI-O configuration: ${l.reason}`);
  return judge(l.config);
}

const src = (set: boolean) => (set ? '' : ' (default)');

type KCheck = Check<RuntimeFacts>;

const raw: KCheck[] = [
  {
    id: 'runtime.crio_seccomp_profile',
    title: 'CRI-O: the default seccomp profile is the built-in one or a custom profile that exists and filters',
    severity: 'high',
    references: ['crio.conf(5) seccomp_profile', 'CIS Docker Benchmark v1.6.0 5.22'],
    remediation:
      "Leave seccomp_profile empty (CRI-O's built-in profile) or point it to a JSON profile whose defaultAction is an error or kill action.",
    evaluate: (f) =>
      withConfig(f, (c) => {
        const v = c.seccompProfile;
        if (v.value === '')
          return pass(`seccomp_profile = ""${src(v.set)}: CRI-O's built-in profile for RuntimeDefault`, v.evidence);
        if (v.value === 'unconfined')
          return fail('seccomp_profile = "unconfined": RuntimeDefault pods run without a filter', v.evidence);
        const prof = f.crioSeccompProfile;
        if (!prof) return unknown(`cannot read ${v.value}`);
        if (!prof.ok) return fail(`seccomp_profile ${v.value}: ${prof.reason}`, v.evidence);
        return prof.defaultAction === 'SCMP_ACT_ALLOW'
          ? fail(
              `seccomp_profile ${v.value} allows every syscall by default (defaultAction SCMP_ACT_ALLOW)`,
              v.evidence,
            )
          : pass(`seccomp_profile ${v.value} (defaultAction ${prof.defaultAction})`, v.evidence);
      }),
  },
  {
    id: 'runtime.crio_unconfined_when_no_profile',
    title: 'CRI-O: a container that names no seccomp profile gets the default one',
    severity: 'medium',
    references: [
      'crio.conf(5) seccomp_use_default_when_empty',
      'https://kubernetes.io/docs/tutorials/security/seccomp/',
    ],
    remediation:
      "Turn on the kubelet's seccompDefault (the fix for every CRI-O version); on CRI-O 1.24–1.29 also keep seccomp_use_default_when_empty = true.",
    evaluate: (f) =>
      withConfig(f, (c) => {
        const v = c.seccompUseDefaultWhenEmpty;
        if (v.value === true)
          return pass(
            'seccomp_use_default_when_empty = true: a container with no profile gets RuntimeDefault (CRI-O 1.24–1.29)',
            v.evidence,
          );
        if (v.value === false)
          return fail(
            'seccomp_use_default_when_empty = false: a container whose pod names no profile runs unconfined',
            v.evidence,
          );
        return fail(
          'seccomp_use_default_when_empty is not set: CRI-O 1.30 and later (and before 1.24) run a container whose pod names no profile unconfined unless the kubelet sends RuntimeDefault',
        );
      }),
  },
  {
    id: 'runtime.crio_apparmor_profile',
    title: 'CRI-O: the default AppArmor profile is not unconfined',
    severity: 'medium',
    references: ['crio.conf(5) apparmor_profile', 'CIS Docker Benchmark v1.6.0 5.2'],
    remediation: 'Set apparmor_profile = "crio-default" (or remove the setting).',
    evaluate: (f) =>
      withConfig(f, (c) => {
        const v = c.apparmorProfile;
        return v.value === 'unconfined'
          ? fail('apparmor_profile = "unconfined": containers run without AppArmor confinement', v.evidence)
          : pass(`apparmor_profile = ${JSON.stringify(v.value)}${src(v.set)}`, v.evidence);
      }),
  },
  {
    id: 'runtime.crio_selinux',
    title: 'CRI-O: SELinux labelling is on where the host runs SELinux',
    severity: 'medium',
    references: ['crio.conf(5) selinux', 'CIS Docker Benchmark v1.6.0 5.3'],
    remediation: 'Set selinux = true in [crio.runtime] on SELinux hosts.',
    evaluate: (f) =>
      withConfig(f, (c) => {
        if (c.selinux.value) return pass('selinux = true', c.selinux.evidence);
        return f.selinux.enabled
          ? fail(`the host runs SELinux but selinux = false${src(c.selinux.set)}: containers are not labelled`, [
              ...c.selinux.evidence,
              f.selinux.evidence,
            ])
          : skip('the host does not run SELinux');
      }),
  },
  {
    id: 'runtime.crio_default_capabilities',
    title: "CRI-O: default capabilities add nothing to CRI-O's nine",
    severity: 'medium',
    references: [
      'crio.conf(5) default_capabilities',
      'CIS Docker Benchmark v1.6.0 5.4',
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline',
    ],
    remediation: `Set default_capabilities to (a subset of) ${CRIO_DEFAULT_CAPABILITIES.join(', ')}; grant more per pod with securityContext.capabilities.add.`,
    evaluate: (f) =>
      withConfig(f, (c) => {
        const v = c.defaultCapabilities;
        const extra = v.value.filter((x) => !(CRIO_DEFAULT_CAPABILITIES as readonly string[]).includes(x));
        return extra.length > 0
          ? fail(`default_capabilities adds ${extra.join(', ')} for every container`, v.evidence)
          : pass(`default_capabilities: ${v.value.join(', ') || 'none'}${src(v.set)}`, v.evidence);
      }),
  },
  {
    id: 'runtime.crio_inheritable_capabilities',
    title: 'CRI-O: capabilities are not added to the inheritable set',
    severity: 'low',
    references: ['crio.conf(5) add_inheritable_capabilities', 'CVE-2022-27652'],
    remediation: 'Set add_inheritable_capabilities = false (the default).',
    evaluate: (f) =>
      withConfig(f, (c) =>
        c.addInheritableCapabilities.value
          ? fail(
              'add_inheritable_capabilities = true: capabilities survive execve of non-root programs (CVE-2022-27652)',
              c.addInheritableCapabilities.evidence,
            )
          : pass(
              `add_inheritable_capabilities = false${src(c.addInheritableCapabilities.set)}`,
              c.addInheritableCapabilities.evidence,
            ),
      ),
  },
  {
    id: 'runtime.crio_pids_limit',
    title: 'CRI-O: containers have a PID limit',
    severity: 'low',
    references: ['crio.conf(5) pids_limit', 'CIS Docker Benchmark v1.6.0 5.29', 'docker-bench-security check_5_29'],
    remediation: "Set pids_limit (e.g. 4096) in [crio.runtime], or the kubelet's podPidsLimit.",
    evaluate: (f) =>
      withConfig(f, (c) => {
        const v = c.pidsLimit;
        return v.value > 0
          ? pass(`pids_limit = ${v.value}`, v.evidence)
          : fail(
              `pids_limit = ${v.value}${src(v.set)}: a container can fork until the node runs out of PIDs (unless the kubelet sets podPidsLimit)`,
              v.evidence,
            );
      }),
  },
  {
    id: 'runtime.crio_read_only',
    title: 'CRI-O: container root filesystems are read-only by default',
    severity: 'info',
    references: ['crio.conf(5) read_only', 'CIS Docker Benchmark v1.6.0 5.13'],
    remediation:
      'Set read_only = true where workloads write only to volumes; otherwise use readOnlyRootFilesystem per pod.',
    evaluate: (f) =>
      withConfig(f, (c) =>
        c.readOnly.value
          ? pass('read_only = true', c.readOnly.evidence)
          : fail(
              `read_only = false${src(c.readOnly.set)}: containers may write to their root filesystem unless the pod asks otherwise`,
              c.readOnly.evidence,
            ),
      ),
  },
  {
    id: 'runtime.crio_no_pivot',
    title: 'CRI-O: containers are started with pivot_root',
    severity: 'medium',
    references: ['crio.conf(5) no_pivot', 'runc-run(8) --no-pivot'],
    remediation: 'Set no_pivot = false (the default).',
    evaluate: (f) =>
      withConfig(f, (c) =>
        c.noPivot.value
          ? fail(
              'no_pivot = true: containers are set up with MS_MOVE, and the host root stays reachable from their mount namespace',
              c.noPivot.evidence,
            )
          : pass(`no_pivot = false${src(c.noPivot.set)}`, c.noPivot.evidence),
      ),
  },
  {
    id: 'runtime.crio_allowed_annotations',
    title: 'CRI-O: no runtime handler or workload lets pods weaken their confinement by annotation',
    severity: 'high',
    references: ['crio.conf(5) allowed_annotations', 'crio.conf(5) workloads'],
    remediation:
      'Remove the listed annotations from allowed_annotations of the runtime handlers and workloads, or restrict those handlers with a RuntimeClass only trusted namespaces may use.',
    evaluate: (f) =>
      withConfig(f, (c) => {
        const where = [
          ...c.runtimes.map((r) => ({ what: `runtime ${r.name}`, v: r.allowedAnnotations })),
          ...c.workloads.map((w) => ({ what: `workload ${w.name}`, v: w.allowedAnnotations })),
        ];
        const bad = where.flatMap((w) =>
          w.v.value
            .filter((a) => DANGEROUS_ANNOTATIONS[a])
            .map((a) => ({ text: `${w.what} allows ${a}: ${DANGEROUS_ANNOTATIONS[a]}`, ev: w.v.evidence })),
        );
        if (bad.length > 0)
          return fail(
            bad.map((b) => b.text).join('; '),
            bad.flatMap((b) => b.ev),
          );
        const any = where.filter((w) => w.v.value.length > 0);
        return pass(
          any.length > 0
            ? `allowed annotations carry no confinement risk: ${any.map((w) => `${w.what}: ${w.v.value.join(', ')}`).join('; ')}`
            : 'no runtime handler or workload allows annotations',
        );
      }),
  },
  {
    id: 'runtime.crio_stream_server',
    title: 'CRI-O: the streaming server (exec, attach, port-forward) listens on loopback or uses TLS',
    severity: 'medium',
    references: ['crio.conf(5) stream_address', 'crio.conf(5) stream_enable_tls'],
    remediation:
      'Keep stream_address = "127.0.0.1" in [crio.api], or set stream_enable_tls = true with stream_tls_cert and stream_tls_key.',
    evaluate: (f) =>
      withConfig(f, (c) => {
        const a = c.streamAddress;
        if (a.value !== '' && isLoopback(a.value))
          return pass(`stream_address = ${JSON.stringify(a.value)}${src(a.set)}`, a.evidence);
        if (c.streamEnableTls.value)
          return pass(`streaming on ${a.value || 'every address'} with TLS`, [
            ...a.evidence,
            ...c.streamEnableTls.evidence,
          ]);
        return fail(`streaming server on ${a.value || 'every address'} without TLS`, a.evidence);
      }),
  },
  {
    id: 'runtime.crio_sandbox_host_devices',
    title: 'CRI-O: sandboxed runtimes (Kata, gVisor) do not pass host devices to privileged pods',
    severity: 'medium',
    references: [
      'crio.conf(5) privileged_without_host_devices',
      'https://github.com/kata-containers/kata-containers/blob/main/docs/how-to/privileged.md',
    ],
    remediation: 'Set privileged_without_host_devices = true on every Kata (runtime_type "vm") and gVisor handler.',
    evaluate: (f) =>
      withConfig(f, (c) => {
        const sb = c.runtimes.filter((r) => r.kind === 'kata' || r.kind === 'gvisor');
        if (sb.length === 0) return skip('no sandboxed runtime handler');
        const bad = sb.filter((r) => !r.privilegedWithoutHostDevices.value);
        return bad.length > 0
          ? fail(`${bad.map((r) => r.name).join(', ')}: privileged pods get every host device inside the sandbox`)
          : pass(
              `${sb.map((r) => r.name).join(', ')} set privileged_without_host_devices`,
              sb.flatMap((r) => r.privilegedWithoutHostDevices.evidence),
            );
      }),
  },
  {
    id: 'runtime.crio_runtime_handlers',
    title: 'CRI-O: runtime handlers are listed and the default one exists',
    severity: 'info',
    references: [
      'crio.conf(5) default_runtime',
      'crio.conf(5) runtimes',
      'https://kubernetes.io/docs/concepts/containers/runtime-class/',
    ],
    remediation: 'Define the default_runtime handler under [crio.runtime.runtimes].',
    evaluate: (f) =>
      withConfig(f, (c) => {
        const list = c.runtimes.map((r) => `${r.name} (${r.kind}, ${r.runtimeType})`).join(', ');
        if (c.runtimes.length === 0) return pass(`no handlers configured: CRI-O's built-in ${c.defaultRuntime.value}`);
        if (!c.runtimes.some((r) => r.name === c.defaultRuntime.value))
          return fail(
            `default_runtime ${c.defaultRuntime.value}${src(c.defaultRuntime.set)} is not a configured handler; handlers: ${list}`,
            c.defaultRuntime.evidence,
          );
        return pass(`handlers: ${list}; default ${c.defaultRuntime.value}`);
      }),
  },
  {
    id: 'runtime.crio_cgroup_manager',
    title: "CRI-O: cgroup_manager matches the kubelet's cgroupDriver",
    severity: 'medium',
    references: [
      'https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cgroup-drivers',
      'crio.conf(5) cgroup_manager',
    ],
    remediation:
      "Make cgroup_manager in [crio.runtime] and the kubelet's cgroupDriver the same (systemd on systemd hosts).",
    evaluate: (f) =>
      withConfig(f, (c) => {
        const k = f.kubelet;
        if (k.state === 'absent') return skip('no kubelet configuration on this host');
        if (k.state === 'unknown') return unknown(k.reason);
        const v = c.cgroupManager;
        return v.value === k.driver
          ? pass(`kubelet and CRI-O both use ${k.driver}`, [...v.evidence, k.evidence])
          : fail(`kubelet cgroupDriver ${k.driver} but cgroup_manager = ${JSON.stringify(v.value)}${src(v.set)}`, [
              ...v.evidence,
              k.evidence,
            ]);
      }),
  },
  {
    id: 'runtime.crio_socket_permissions',
    title: 'CRI-O: crio.sock is owned by root:root and at most 0660',
    severity: 'high',
    references: ['CIS Docker Benchmark v1.6.0 3.15', 'CIS Docker Benchmark v1.6.0 3.23'],
    remediation: 'chown root:root /var/run/crio/crio.sock && chmod 660 /var/run/crio/crio.sock',
    evaluate: (f) =>
      modeOutcome(
        f.crio.files,
        ['crio.sock'],
        { maxMode: 0o660, uid: 0, gids: [0], groupNames: 'root' },
        'crio.sock (CRI-O is not running)',
      ),
  },
  {
    id: 'runtime.crio_config_permissions',
    title: 'CRI-O: crio.conf and its drop-ins are owned by root and at most 0644',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 3.17'],
    remediation:
      'chown -R root:root /etc/crio && chmod 644 /etc/crio/crio.conf /etc/crio/crio.conf.d/* && chmod 755 /etc/crio/crio.conf.d',
    evaluate: (f) =>
      modeOutcome(
        f.crio.files,
        ['crio.conf', 'drop-in', 'crio.conf.d'],
        { maxMode: 0o755, uid: 0 },
        'CRI-O config file',
      ).status === 'fail'
        ? modeOutcome(
            f.crio.files,
            ['crio.conf', 'drop-in', 'crio.conf.d'],
            { maxMode: 0o755, uid: 0 },
            'CRI-O config file',
          )
        : modeOutcome(f.crio.files, ['crio.conf', 'drop-in'], { maxMode: 0o644, uid: 0 }, 'CRI-O config file'),
  },
  {
    id: 'runtime.crio_config_valid',
    title: 'CRI-O: crio.conf and its drop-ins parse',
    severity: 'medium',
    references: ['crio.conf(5)', 'crio.conf.d(5)'],
    remediation: 'Fix the TOML of the file named (crio config shows the merged result).',
    evaluate: (f) =>
      f.crio.loaded.ok
        ? pass(
            `${f.crio.loaded.config.files.length} file(s): ${f.crio.loaded.config.files.join(', ') || 'none (built-in defaults)'}`,
          )
        : fail(f.crio.loaded.reason, [{ file: f.crio.loaded.file }]),
  },
];

export const crioChecks: readonly KCheck[] = raw.map((c) => ({
  ...c,
  evaluate: (f: RuntimeFacts) => (f.crio.installed ? c.evaluate(f) : skip(`CRI-O is not installed (${f.crio.basis})`)),
}));
