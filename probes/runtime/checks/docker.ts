/**
 * Docker checks: CIS Docker Benchmark v1.6/v1.7 sections 1–3 as docker-bench-security (DBS) audits them, over
 * the effective daemon settings (flag, else daemon.json, else default) and file facts compared by mode bits.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import type { RuntimeFacts } from '../types.js';
import type { DockerSetting } from '../docker.js';
import { isLoopback } from '../../../src/sdk.js';
import { auditOutcome, fail, modeOutcome, pass, skip, unknown } from './util.js';

type S = Extract<DockerSetting, { state: 'set' }>;

function from(s: S): string {
  if (s.source === 'default') return 'dockerd default';
  return s.source === 'flag' ? `flag ${s.evidence.map((e) => e.text).join(' ')}` : `daemon.json`;
}

/** Evaluate over one effective setting; an unreadable daemon.json makes the verdict unknown. */
function onSetting(f: RuntimeFacts, key: string, judge: (v: unknown, s: S) => Outcome): Outcome {
  const s = f.docker.settings.get(key);
  if (!s) return unknown(`${key}: not resolved`);
  if (s.state === 'unknown') return unknown(`${key}: ${s.reason}`);
  return judge(s.value, s);
}

const boolCheck = (key: string, want: boolean, why: string) => (f: RuntimeFacts) =>
  onSetting(f, key, (v, s) =>
    v === want
      ? pass(`${key} is ${String(v)} (${from(s)})`, s.evidence)
      : fail(`${key} is ${String(v)} (${from(s)}): ${why}`, s.evidence),
  );

const listEmpty = (key: string, why: string) => (f: RuntimeFacts) =>
  onSetting(f, key, (v, s) => {
    const l = v as string[];
    return l.length === 0
      ? pass(`no ${key} (${from(s)})`)
      : fail(`${key}: ${l.join(', ')} (${from(s)}): ${why}`, s.evidence);
  });

function tcpTls(f: RuntimeFacts): Outcome {
  const tcp = f.docker.listeners.filter((l) => /^tcp:\/\//i.test(l.address) || /^\d/.test(l.address));
  if (tcp.length === 0)
    return pass(`dockerd listens only on ${f.docker.listeners.map((l) => l.address).join(', ') || 'its unix socket'}`);
  const verify = f.docker.settings.get('tlsverify');
  const tls = f.docker.settings.get('tls');
  if (verify?.state === 'unknown') return unknown(`tlsverify: ${verify.reason}`);
  const ev: Evidence[] = tcp.map((l) => l.evidence);
  if (verify?.state === 'set' && verify.value === true) {
    const present = (role: string) => f.docker.files.some((x) => x.role === role && !('ok' in x.stat));
    const missing = (
      [
        ['tlscacert', 'TLS CA certificate'],
        ['tlscert', 'TLS certificate'],
        ['tlskey', 'TLS key'],
      ] as const
    )
      .filter(([, r]) => !present(r))
      .map(([k]) => k);
    if (missing.length > 0)
      return fail(
        `TCP socket ${tcp.map((l) => l.address).join(', ')} with tlsverify, but ${missing.join(', ')} not found`,
        ev,
      );
    return pass(`TCP socket ${tcp.map((l) => l.address).join(', ')} requires client certificates (tlsverify)`, [
      ...ev,
      ...verify.evidence,
    ]);
  }
  const local = tcp.every((l) => isLoopback(l.address.replace(/^tcp:\/\//i, '').replace(/:\d+$/, '')));
  const tlsOnly = tls?.state === 'set' && tls.value === true;
  return fail(
    `dockerd listens on ${tcp.map((l) => l.address).join(', ')} ${tlsOnly ? 'with TLS but without client verification (--tlsverify)' : 'without TLS'}: anyone who can reach it${local ? ' (any local process or hostNetwork pod)' : ''} controls the host as root`,
    ev,
  );
}

function inForce(f: RuntimeFacts): Outcome {
  const d = f.docker;
  const problems: string[] = [];
  const ev: Evidence[] = [];
  if (d.conflicts.length > 0) {
    problems.push(
      `${d.conflicts.join(', ')} set both as a flag and in ${d.configPath}: dockerd refuses to start with this configuration, so it changed after the daemon started`,
    );
    for (const k of d.conflicts) {
      const s = d.settings.get(k);
      if (s?.state === 'set') ev.push(...s.evidence);
    }
  }
  if (d.config.state === 'ok' && !d.config.json.ok)
    problems.push(`${d.configPath}: ${d.config.json.reason}; dockerd will not start with it`);
  if (!d.daemon) {
    if (problems.length > 0) return fail(problems.join('; '), ev);
    return skip('dockerd is not running: no configuration in force to compare');
  }
  if (d.config.state === 'ok' && d.daemon.startedAtMs !== undefined && d.config.mtimeMs > d.daemon.startedAtMs + 1000) {
    problems.push(
      `${d.configPath} was modified at ${new Date(d.config.mtimeMs).toISOString()}, after dockerd (pid ${d.daemon.pid}) started at ${new Date(d.daemon.startedAtMs).toISOString()}: its settings may not be in force`,
    );
    ev.push({ file: d.configPath, text: `mtime ${new Date(d.config.mtimeMs).toISOString()}` });
  }
  if (d.argProblems.length > 0) problems.push(`dockerd command line: ${d.argProblems.join('; ')}`);
  if (problems.length > 0) return fail(problems.join('; '), ev);
  if (d.daemon.startedAtMs === undefined && d.config.state === 'ok')
    return unknown(
      `cannot tell when dockerd (pid ${d.daemon.pid}) started (/proc/${d.daemon.pid}/stat or /proc/stat unreadable)`,
    );
  return pass(
    d.config.state === 'ok'
      ? `${d.configPath} is older than the running dockerd (pid ${d.daemon.pid}) and agrees with its flags`
      : `no ${d.configPath}; dockerd (pid ${d.daemon.pid}) runs on its flags and defaults`,
  );
}

const REMOTE_DRIVERS = [
  'syslog',
  'journald',
  'gelf',
  'fluentd',
  'awslogs',
  'splunk',
  'etwlogs',
  'gcplogs',
  'logentries',
];
export const DOCKER_AUDIT_PATHS = [
  '/usr/bin/dockerd',
  '/run/containerd',
  '/var/lib/docker',
  '/etc/docker',
  '/lib/systemd/system/docker.service',
  '/usr/lib/systemd/system/docker.service',
  '/run/containerd/containerd.sock',
  '/lib/systemd/system/docker.socket',
  '/usr/lib/systemd/system/docker.socket',
  '/etc/default/docker',
  '/etc/docker/daemon.json',
  '/etc/containerd/config.toml',
  '/etc/sysconfig/docker',
  '/usr/bin/containerd',
  '/usr/bin/containerd-shim',
  '/usr/bin/containerd-shim-runc-v1',
  '/usr/bin/containerd-shim-runc-v2',
  '/usr/bin/runc',
];

type DockerCheck = Check<RuntimeFacts>;

const raw: DockerCheck[] = [
  {
    id: 'runtime.docker_icc',
    title: 'Docker: network traffic between containers on the default bridge is restricted',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 2.2', 'docker-bench-security check_2_2'],
    remediation:
      'Set "icc": false in /etc/docker/daemon.json (or run dockerd with --icc=false) and restart dockerd; link containers on user-defined networks instead.',
    evaluate: boolCheck('icc', false, 'every container on the default bridge can reach every other'),
  },
  {
    id: 'runtime.docker_log_level',
    title: 'Docker: the daemon log level is info',
    severity: 'low',
    references: ['CIS Docker Benchmark v1.6.0 2.3', 'docker-bench-security check_2_3'],
    remediation: 'Remove --log-level/-l and --debug, or set "log-level": "info" in daemon.json.',
    evaluate: (f) => {
      const dbg = f.docker.settings.get('debug');
      if (dbg?.state === 'set' && dbg.value === true)
        return fail(`debug is on (${from(dbg)}): the daemon logs at debug level`, dbg.evidence);
      return onSetting(f, 'log-level', (v, s) =>
        v === 'info'
          ? pass(`log-level info (${from(s)})`, s.evidence)
          : fail(
              `log-level ${String(v)} (${from(s)}): ${v === 'debug' ? 'debug logs can carry secrets' : 'events needed for an audit trail are not logged'}`,
              s.evidence,
            ),
      );
    },
  },
  {
    id: 'runtime.docker_iptables',
    title: 'Docker: dockerd manages iptables rules',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 2.4', 'docker-bench-security check_2_4'],
    remediation:
      'Remove --iptables=false / "iptables": false so dockerd installs its isolation and masquerading rules.',
    evaluate: boolCheck('iptables', true, 'published ports and inter-network isolation are not enforced by dockerd'),
  },
  {
    id: 'runtime.docker_insecure_registries',
    title: 'Docker: no insecure registries',
    severity: 'high',
    references: ['CIS Docker Benchmark v1.6.0 2.5', 'docker-bench-security check_2_5'],
    remediation:
      'Remove --insecure-registry flags and "insecure-registries" from daemon.json; give the registry a certificate (or its CA in /etc/docker/certs.d/<registry>/ca.crt).',
    evaluate: listEmpty('insecure-registries', 'images from these registries are pulled without TLS verification'),
  },
  {
    id: 'runtime.docker_storage_driver',
    title: 'Docker: the aufs storage driver is not used',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 2.6', 'docker-bench-security check_2_6'],
    remediation: 'Use overlay2: set "storage-driver": "overlay2" (or remove the setting) and migrate images.',
    evaluate: (f) =>
      onSetting(f, 'storage-driver', (v, s) =>
        v === 'aufs'
          ? fail(
              `storage-driver aufs (${from(s)}): unmaintained, removed in Docker 24, known kernel crashes`,
              s.evidence,
            )
          : pass(
              `storage-driver ${v === '' ? 'chosen by dockerd (overlay2 on current kernels)' : String(v)} (${from(s)})`,
              s.evidence,
            ),
      ),
  },
  {
    id: 'runtime.docker_tcp_tls',
    title: 'Docker: a TCP socket requires TLS client verification',
    severity: 'critical',
    references: [
      'CIS Docker Benchmark v1.6.0 2.7',
      'docker-bench-security check_2_7',
      'https://docs.docker.com/reference/cli/dockerd/#daemon-socket-option',
    ],
    remediation:
      'Remove tcp:// hosts, or run dockerd with --tlsverify --tlscacert --tlscert --tlskey so only clients with a certificate from your CA connect.',
    evaluate: tcpTls,
  },
  {
    id: 'runtime.docker_default_ulimits',
    title: 'Docker: default ulimits are set',
    severity: 'low',
    references: ['CIS Docker Benchmark v1.6.0 2.8', 'docker-bench-security check_2_8'],
    remediation:
      'Set "default-ulimits" in daemon.json, e.g. {"nofile": {"Name": "nofile", "Soft": 65536, "Hard": 65536}, "nproc": {...}}.',
    evaluate: (f) =>
      onSetting(f, 'default-ulimits', (v, s) => {
        const names = Object.keys(v as Record<string, unknown>);
        return names.length > 0
          ? pass(`default ulimits: ${names.join(', ')} (${from(s)})`, s.evidence)
          : fail("no default ulimits: containers inherit the daemon's limits");
      }),
  },
  {
    id: 'runtime.docker_userns_remap',
    title: 'Docker: containers run in a user namespace (userns-remap or rootless)',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 2.9', 'docker-bench-security check_2_9'],
    remediation:
      'Set "userns-remap": "default" in daemon.json (dockerd creates the dockremap user), or run Docker rootless.',
    evaluate: (f) => {
      if (f.docker.daemon?.rootless)
        return pass(`dockerd runs rootless (uid ${f.docker.ownerUid}): container root is an unprivileged host user`);
      return onSetting(f, 'userns-remap', (v, s) =>
        typeof v === 'string' && v !== ''
          ? pass(`userns-remap ${v} (${from(s)})`, s.evidence)
          : fail('userns-remap is not set: root in a container is root on the host'),
      );
    },
  },
  {
    id: 'runtime.docker_authorization_plugins',
    title: 'Docker: an authorization plugin controls access to the daemon',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 2.12', 'docker-bench-security check_2_12'],
    remediation:
      'Install an authorization plugin (e.g. opa-docker-authz) and set "authorization-plugins": ["<plugin>"].',
    evaluate: (f) =>
      onSetting(f, 'authorization-plugins', (v, s) =>
        (v as string[]).length > 0
          ? pass(`authorization plugins: ${(v as string[]).join(', ')} (${from(s)})`, s.evidence)
          : fail('no authorization plugin: anyone who can reach the socket may do anything'),
      ),
  },
  {
    id: 'runtime.docker_log_driver',
    title: 'Docker: container logs go to a centralised logging driver',
    severity: 'low',
    references: ['CIS Docker Benchmark v1.6.0 2.13', 'docker-bench-security check_2_13'],
    remediation:
      'Set "log-driver" to syslog, journald, gelf, fluentd or a cloud driver, with "log-opts" for the destination.',
    evaluate: (f) =>
      onSetting(f, 'log-driver', (v, s) =>
        REMOTE_DRIVERS.includes(String(v))
          ? pass(`log-driver ${String(v)} (${from(s)})`, s.evidence)
          : fail(
              `log-driver ${String(v)} (${from(s)}): container logs stay on the node${v === 'none' ? ' (or are discarded)' : ''}`,
              s.evidence,
            ),
      ),
  },
  {
    id: 'runtime.docker_no_new_privileges',
    title: 'Docker: containers are started with no-new-privileges by default',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 2.14',
      'docker-bench-security check_2_14',
      'docker-bench-security check_5_26',
    ],
    remediation: 'Set "no-new-privileges": true in daemon.json.',
    evaluate: boolCheck('no-new-privileges', true, 'setuid binaries in containers can gain privileges'),
  },
  {
    id: 'runtime.docker_live_restore',
    title: 'Docker: live restore keeps containers running while dockerd restarts',
    severity: 'low',
    references: ['CIS Docker Benchmark v1.6.0 2.15', 'docker-bench-security check_2_15'],
    remediation: 'Set "live-restore": true in daemon.json (reloadable with SIGHUP).',
    evaluate: boolCheck('live-restore', true, 'a daemon restart or upgrade stops every container'),
  },
  {
    id: 'runtime.docker_userland_proxy',
    title: 'Docker: the userland proxy is disabled',
    severity: 'low',
    references: ['CIS Docker Benchmark v1.6.0 2.16', 'docker-bench-security check_2_16'],
    remediation:
      'Set "userland-proxy": false in daemon.json so published ports use hairpin NAT instead of a docker-proxy process per port.',
    evaluate: boolCheck('userland-proxy', false, 'a docker-proxy process listens for every published port'),
  },
  {
    id: 'runtime.docker_seccomp_profile',
    title: 'Docker: the daemon-wide seccomp profile is not "unconfined"',
    severity: 'high',
    references: ['CIS Docker Benchmark v1.6.0 2.17', 'docker-bench-security check_2_17'],
    remediation:
      'Remove "seccomp-profile": "unconfined" (and --seccomp-profile=unconfined); keep the built-in profile or point to a custom one.',
    evaluate: (f) =>
      onSetting(f, 'seccomp-profile', (v, s) =>
        v === 'unconfined'
          ? fail(`seccomp-profile unconfined (${from(s)}): every container runs without a seccomp filter`, s.evidence)
          : pass(
              `seccomp-profile ${v === '' || v === 'builtin' ? 'built-in default' : String(v)} (${from(s)})`,
              s.evidence,
            ),
      ),
  },
  {
    id: 'runtime.docker_experimental',
    title: 'Docker: experimental features are off',
    severity: 'low',
    references: ['CIS Docker Benchmark v1.6.0 2.18', 'docker-bench-security check_2_18'],
    remediation: 'Remove --experimental / "experimental": true.',
    evaluate: boolCheck('experimental', false, 'experimental features are not supported for production'),
  },
  {
    id: 'runtime.docker_selinux',
    title: 'Docker: SELinux support is on where the host runs SELinux',
    severity: 'medium',
    references: ['CIS Docker Benchmark v1.6.0 5.3', 'https://docs.docker.com/reference/cli/dockerd/'],
    remediation: 'Set "selinux-enabled": true in daemon.json on SELinux hosts.',
    evaluate: (f) =>
      onSetting(f, 'selinux-enabled', (v, s) => {
        if (v === true) return pass(`selinux-enabled (${from(s)})`, s.evidence);
        if (!f.selinux.enabled) return skip('the host does not run SELinux');
        return fail('the host runs SELinux but dockerd does not label containers (selinux-enabled is false)', [
          f.selinux.evidence,
        ]);
      }),
  },
  {
    id: 'runtime.docker_config_in_force',
    title: 'Docker: daemon.json is valid and in force in the running daemon',
    severity: 'medium',
    references: ['https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file'],
    remediation:
      'dockerd refuses to start when an option is set both as a flag and in daemon.json, and a daemon.json changed since its last start is not in force yet. Fix daemon.json (dockerd --validate --config-file /etc/docker/daemon.json), remove options that are also set as flags, and restart dockerd.',
    evaluate: inForce,
  },
  {
    id: 'runtime.docker_rootless',
    title: 'Docker: the daemon runs as a non-root user',
    severity: 'info',
    references: [
      'CIS Docker Benchmark v1.6.0 2.1',
      'docker-bench-security check_2_1',
      'https://docs.docker.com/engine/security/rootless/',
    ],
    remediation: 'Where the workloads allow it, run Docker in rootless mode (dockerd-rootless-setuptool.sh install).',
    evaluate: (f) =>
      !f.docker.daemon
        ? skip('dockerd is not running')
        : f.docker.daemon.rootless
          ? pass(`dockerd pid ${f.docker.daemon.pid} runs as uid ${f.docker.ownerUid}`)
          : fail(`dockerd pid ${f.docker.daemon.pid} runs as root`, [
              { file: f.docker.daemon.cmdlineFile, text: f.docker.daemon.argv.join(' ').slice(0, 200) },
            ]),
  },
  {
    id: 'runtime.docker_audit_rules',
    title: 'Docker: auditd watches the Docker daemon, its files and runtimes',
    severity: 'low',
    references: [
      'CIS Docker Benchmark v1.6.0 1.1.3',
      'CIS Docker Benchmark v1.6.0 1.1.4',
      'CIS Docker Benchmark v1.6.0 1.1.5',
      'CIS Docker Benchmark v1.6.0 1.1.6',
      'CIS Docker Benchmark v1.6.0 1.1.7',
      'CIS Docker Benchmark v1.6.0 1.1.8',
      'CIS Docker Benchmark v1.6.0 1.1.9',
      'CIS Docker Benchmark v1.6.0 1.1.10',
      'CIS Docker Benchmark v1.6.0 1.1.11',
      'CIS Docker Benchmark v1.6.0 1.1.12',
      'CIS Docker Benchmark v1.6.0 1.1.13',
      'CIS Docker Benchmark v1.6.0 1.1.14',
      'CIS Docker Benchmark v1.6.0 1.1.15',
      'CIS Docker Benchmark v1.6.0 1.1.16',
      'CIS Docker Benchmark v1.6.0 1.1.17',
      'CIS Docker Benchmark v1.6.0 1.1.18',
    ],
    remediation:
      'Add "-w <path> -k docker" rules to /etc/audit/rules.d/docker.rules for each file listed and reload with augenrules --load.',
    evaluate: (f) =>
      f.docker.daemon?.rootless
        ? skip("rootless Docker: the system files are not the daemon's")
        : auditOutcome(f.audit.watched, f.audit.files, f.existing, DOCKER_AUDIT_PATHS),
  },
  // §3: files, by mode bits.
  {
    id: 'runtime.docker_service_file_permissions',
    title: 'Docker: docker.service is owned by root and at most 0644',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.1',
      'CIS Docker Benchmark v1.6.0 3.2',
      'docker-bench-security check_3_1',
      'docker-bench-security check_3_2',
    ],
    remediation: 'chown root:root <unit dir>/docker.service && chmod 644 <unit dir>/docker.service',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['docker.service'],
        { maxMode: 0o644, uid: 0, gids: [0], groupNames: 'root' },
        'docker.service unit',
      ),
  },
  {
    id: 'runtime.docker_socket_unit_permissions',
    title: 'Docker: docker.socket is owned by root and at most 0644',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.3',
      'CIS Docker Benchmark v1.6.0 3.4',
      'docker-bench-security check_3_3',
      'docker-bench-security check_3_4',
    ],
    remediation: 'chown root:root <unit dir>/docker.socket && chmod 644 <unit dir>/docker.socket',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['docker.socket'],
        { maxMode: 0o644, uid: 0, gids: [0], groupNames: 'root' },
        'docker.socket unit',
      ),
  },
  {
    id: 'runtime.docker_etc_permissions',
    title: 'Docker: /etc/docker is owned by root and at most 0755',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.5',
      'CIS Docker Benchmark v1.6.0 3.6',
      'docker-bench-security check_3_5',
      'docker-bench-security check_3_6',
    ],
    remediation: 'chown root:root /etc/docker && chmod 755 /etc/docker',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['/etc/docker'],
        { maxMode: 0o755, uid: 0, gids: [0], groupNames: 'root' },
        '/etc/docker directory',
      ),
  },
  {
    id: 'runtime.docker_registry_cert_permissions',
    title: 'Docker: registry certificates are owned by root and at most 0444',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.7',
      'CIS Docker Benchmark v1.6.0 3.8',
      'docker-bench-security check_3_7',
      'docker-bench-security check_3_8',
    ],
    remediation: 'chown root:root /etc/docker/certs.d/*/* && chmod 444 /etc/docker/certs.d/*/*.crt',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['registry certificate'],
        { maxMode: 0o444, uid: f.docker.ownerUid },
        'registry certificates',
      ),
  },
  {
    id: 'runtime.docker_tls_ca_permissions',
    title: 'Docker: the TLS CA certificate is owned by root and at most 0444',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.9',
      'CIS Docker Benchmark v1.6.0 3.10',
      'docker-bench-security check_3_9',
      'docker-bench-security check_3_10',
    ],
    remediation: 'chown root:root <tlscacert> && chmod 444 <tlscacert>',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['TLS CA certificate'],
        { maxMode: 0o444, uid: f.docker.ownerUid },
        'TLS CA certificate (TLS is not configured)',
      ),
  },
  {
    id: 'runtime.docker_tls_cert_permissions',
    title: 'Docker: the server TLS certificate is owned by root and at most 0444',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.11',
      'CIS Docker Benchmark v1.6.0 3.12',
      'docker-bench-security check_3_11',
      'docker-bench-security check_3_12',
    ],
    remediation: 'chown root:root <tlscert> && chmod 444 <tlscert>',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['TLS certificate'],
        { maxMode: 0o444, uid: f.docker.ownerUid },
        'TLS server certificate (TLS is not configured)',
      ),
  },
  {
    id: 'runtime.docker_tls_key_permissions',
    title: 'Docker: the server TLS key is owned by root and at most 0400',
    severity: 'high',
    references: [
      'CIS Docker Benchmark v1.6.0 3.13',
      'CIS Docker Benchmark v1.6.0 3.14',
      'docker-bench-security check_3_13',
      'docker-bench-security check_3_14',
    ],
    remediation: 'chown root:root <tlskey> && chmod 400 <tlskey>',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['TLS key'],
        { maxMode: 0o400, uid: f.docker.ownerUid },
        'TLS server key (TLS is not configured)',
      ),
  },
  {
    id: 'runtime.docker_sock_permissions',
    title: 'Docker: docker.sock is owned by root:docker and at most 0660',
    severity: 'high',
    references: [
      'CIS Docker Benchmark v1.6.0 3.15',
      'CIS Docker Benchmark v1.6.0 3.16',
      'docker-bench-security check_3_15',
      'docker-bench-security check_3_16',
    ],
    remediation:
      'chown root:docker /var/run/docker.sock && chmod 660 /var/run/docker.sock (set SocketMode=0660 and SocketGroup=docker in docker.socket).',
    evaluate: (f) => {
      const gids = f.docker.daemon?.rootless
        ? undefined
        : [0, ...(f.docker.socketGid !== undefined ? [f.docker.socketGid] : [])];
      return modeOutcome(
        f.docker.files,
        ['docker.sock'],
        { maxMode: 0o660, uid: f.docker.ownerUid, ...(gids ? { gids, groupNames: 'root or docker' } : {}) },
        'docker.sock (the daemon is not running)',
      );
    },
  },
  {
    id: 'runtime.docker_daemon_json_permissions',
    title: 'Docker: daemon.json is owned by root and at most 0644',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.17',
      'CIS Docker Benchmark v1.6.0 3.18',
      'docker-bench-security check_3_17',
      'docker-bench-security check_3_18',
    ],
    remediation: 'chown root:root /etc/docker/daemon.json && chmod 644 /etc/docker/daemon.json',
    evaluate: (f) =>
      modeOutcome(f.docker.files, ['daemon.json'], { maxMode: 0o644, uid: f.docker.ownerUid }, 'daemon.json'),
  },
  {
    id: 'runtime.docker_env_file_permissions',
    title: 'Docker: /etc/default/docker and /etc/sysconfig/docker are owned by root and at most 0644',
    severity: 'medium',
    references: [
      'CIS Docker Benchmark v1.6.0 3.19',
      'CIS Docker Benchmark v1.6.0 3.20',
      'CIS Docker Benchmark v1.6.0 3.21',
      'CIS Docker Benchmark v1.6.0 3.22',
    ],
    remediation:
      'chown root:root /etc/default/docker && chmod 644 /etc/default/docker (likewise /etc/sysconfig/docker)',
    evaluate: (f) =>
      modeOutcome(
        f.docker.files,
        ['environment file'],
        { maxMode: 0o644, uid: 0, gids: [0], groupNames: 'root' },
        '/etc/default/docker or /etc/sysconfig/docker',
      ),
  },
];

/** Every Docker check skips when Docker is not installed. */
export const dockerChecks: readonly DockerCheck[] = raw.map((c) => ({
  ...c,
  evaluate: (f: RuntimeFacts) =>
    f.docker.installed ? c.evaluate(f) : skip(`Docker is not installed (${f.docker.basis})`),
}));
