/**
 * The kubelet checks: CIS Kubernetes Benchmark 1.12 section 4 (kube-bench cfg/cis-1.12/node.yaml: 4.1
 * files, 4.2 kubelet, 4.3 kube-proxy) over the effective configuration. Value checks are rows of a table
 * (field, verdict); file checks compare mode bits, never the text of `stat`.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip, checkMode, octal } from '../../src/sdk.js';
import { describeOrigin, parseDuration } from '../../src/sdk.js';
import type { FileFact, KubeletFacts, Leaf, Setting } from './types.js';

const CIS = (id: string) => `CIS Kubernetes Benchmark v1.12 ${id}`;
const KB = (id: string) => `kube-bench cfg/cis-1.12/node.yaml ${id}`;

/** kube-bench's (and CIS 4.2.12's) strong cipher suites. */
export const STRONG_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  // Go's names for the same suites, and the TLS 1.3 suites (not configurable, always strong).
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];

const show = (v: Leaf): string => (Array.isArray(v) ? v.join(',') : JSON.stringify(v));

/**
 * The effective setting, or an unknown outcome when it falls back to a default that an unreadable file may override.
 */
function get(facts: KubeletFacts, field: string): { s: Setting | undefined; unknown?: Outcome } {
  const s = facts.kubelet.settings.get(field);
  if ((!s || s.source === 'default') && facts.kubelet.incomplete) {
    return { s, unknown: unknown(`${field} is not known: ${facts.kubelet.incomplete}`) };
  }
  return { s };
}

type Verdict = { ok: boolean; text: string } | { undecided: string };

interface ValueRule extends Omit<Check<KubeletFacts>, 'evaluate'> {
  field: string;
  /** Decide on the effective value (undefined when the field is unset and has no default). */
  verdict(v: Leaf | undefined, facts: KubeletFacts): Verdict;
}

function valueCheck(rule: ValueRule): Check<KubeletFacts> {
  const { field, verdict, ...info } = rule;
  return {
    ...info,
    evaluate(facts) {
      const g = get(facts, field);
      if (g.unknown) return g.unknown;
      const v = verdict(g.s?.value, facts);
      const evidence: Evidence[] = g.s?.evidence ?? [];
      if ('undecided' in v) return unknown(v.undecided, evidence);
      const msg = `${v.text} (${describeOrigin(g.s)})`;
      return v.ok ? pass(msg, evidence) : fail(msg, evidence);
    },
  };
}

const isTrue = (v: Leaf | undefined) => v === true || v === 'true';
const isFalse = (v: Leaf | undefined) => v === false || v === 'false';

function boolRule(field: string, want: boolean, yes: string, no: string): ValueRule['verdict'] {
  return (v) => {
    if (v !== undefined && v !== null && !isTrue(v) && !isFalse(v))
      return { undecided: `${field} is ${show(v)}, not a boolean` };
    const b = isTrue(v);
    return b === want ? { ok: true, text: `${field} is ${b}: ${yes}` } : { ok: false, text: `${field} is ${b}: ${no}` };
  };
}

const valueRules: ValueRule[] = [
  {
    id: 'kubelet.anonymous_auth',
    title: 'The kubelet rejects anonymous requests',
    severity: 'high',
    references: [CIS('4.2.1'), KB('4.2.1')],
    remediation:
      'Set authentication.anonymous.enabled: false in the KubeletConfiguration (or --anonymous-auth=false) and restart the kubelet.',
    field: 'authentication.anonymous.enabled',
    verdict: boolRule(
      'authentication.anonymous.enabled',
      false,
      'anonymous requests to the kubelet API are rejected',
      'anyone who reaches port 10250 is user system:anonymous',
    ),
  },
  {
    id: 'kubelet.authorization_mode',
    title: 'The kubelet does not authorize every request (AlwaysAllow)',
    severity: 'high',
    references: [CIS('4.2.2'), KB('4.2.2')],
    remediation:
      'Set authorization.mode: Webhook in the KubeletConfiguration (or --authorization-mode=Webhook) and restart the kubelet.',
    field: 'authorization.mode',
    verdict: (v) => {
      if (typeof v !== 'string') return { undecided: `authorization.mode is ${v === undefined ? 'unset' : show(v)}` };
      return v
        .split(',')
        .map((m) => m.trim())
        .includes('AlwaysAllow')
        ? {
            ok: false,
            text: `authorization.mode is ${v}: every authenticated (or anonymous) request may run commands in pods`,
          }
        : { ok: true, text: `authorization.mode is ${v}` };
    },
  },
  {
    id: 'kubelet.client_ca_file',
    title: 'The kubelet authenticates clients with a client CA',
    severity: 'high',
    references: [CIS('4.2.3'), KB('4.2.3')],
    remediation:
      'Set authentication.x509.clientCAFile to the cluster CA (kubeadm: /etc/kubernetes/pki/ca.crt) and restart the kubelet.',
    field: 'authentication.x509.clientCAFile',
    verdict: (v) =>
      typeof v === 'string' && v !== ''
        ? { ok: true, text: `authentication.x509.clientCAFile is ${v}` }
        : { ok: false, text: 'authentication.x509.clientCAFile is not set: client certificates are not verified' },
  },
  {
    id: 'kubelet.read_only_port',
    title: 'The kubelet read-only port is disabled',
    severity: 'high',
    references: [CIS('4.2.4'), KB('4.2.4')],
    remediation: 'Set readOnlyPort: 0 in the KubeletConfiguration (or --read-only-port=0) and restart the kubelet.',
    field: 'readOnlyPort',
    verdict: (v) => {
      if (typeof v !== 'number' || !Number.isInteger(v))
        return { undecided: `readOnlyPort is ${v === undefined ? 'unset' : show(v)}, not a port number` };
      return v === 0
        ? { ok: true, text: 'readOnlyPort is 0 (disabled)' }
        : {
            ok: false,
            text: `readOnlyPort is ${v}: pod specs, node stats and metrics are served without authentication`,
          };
    },
  },
  {
    id: 'kubelet.streaming_connection_idle_timeout',
    title: 'Idle streaming connections (exec, attach, port-forward) time out',
    severity: 'medium',
    references: [CIS('4.2.5'), KB('4.2.5')],
    remediation: 'Set streamingConnectionIdleTimeout to a non-zero duration such as 5m (the default is 4h).',
    field: 'streamingConnectionIdleTimeout',
    verdict: (v) => {
      const secs = parseDuration(v ?? null);
      if (secs === undefined)
        return {
          undecided: `streamingConnectionIdleTimeout is ${v === undefined ? 'unset' : show(v)}, not a duration`,
        };
      return secs === 0
        ? { ok: false, text: 'streamingConnectionIdleTimeout is 0: idle exec and port-forward sessions never time out' }
        : { ok: true, text: `streamingConnectionIdleTimeout is ${show(v!)}` };
    },
  },
  {
    id: 'kubelet.make_iptables_util_chains',
    title: 'The kubelet manages its iptables utility chains',
    severity: 'low',
    references: [CIS('4.2.6'), KB('4.2.6')],
    remediation: 'Set makeIPTablesUtilChains: true (the default) and restart the kubelet.',
    field: 'makeIPTablesUtilChains',
    verdict: boolRule(
      'makeIPTablesUtilChains',
      true,
      'the kubelet keeps its KUBE-FIREWALL chains in place',
      'iptables rules the kubelet relies on may drift',
    ),
  },
  {
    id: 'kubelet.event_record_qps',
    title: 'The kubelet records events at a rate that keeps them',
    severity: 'low',
    references: [CIS('4.2.8'), KB('4.2.8')],
    remediation: 'Set eventRecordQPS to 0 (unlimited) or a level that captures events (the default is 50).',
    field: 'eventRecordQPS',
    verdict: (v, facts) => {
      if (typeof v !== 'number')
        return { undecided: `eventRecordQPS is ${v === undefined ? 'unset' : show(v)}, not a number` };
      const min = facts.options.minEventRecordQPS;
      if (v === 0)
        return { ok: true, text: 'eventRecordQPS is 0: every event is recorded (no rate limit), as CIS 4.2.8 allows' };
      return v >= min
        ? { ok: true, text: `eventRecordQPS is ${v} (at least ${min})` }
        : { ok: false, text: `eventRecordQPS is ${v}, below ${min}: events are dropped` };
    },
  },
  {
    id: 'kubelet.rotate_certificates',
    title: 'The kubelet rotates its client certificate',
    severity: 'medium',
    references: [CIS('4.2.10'), KB('4.2.10')],
    remediation: 'Set rotateCertificates: true (kubeadm does) and restart the kubelet.',
    field: 'rotateCertificates',
    verdict: boolRule(
      'rotateCertificates',
      true,
      'the client certificate is renewed before it expires',
      'the client certificate expires and the node drops out (the kubelet default is false; kube-bench passes it when unset)',
    ),
  },
  {
    id: 'kubelet.pod_pids_limit',
    title: 'A limit is set on the processes of each pod',
    severity: 'low',
    references: [CIS('4.2.13'), KB('4.2.13')],
    remediation: "Set podPidsLimit (for example 4096) so that a fork bomb in one pod cannot exhaust the node's PIDs.",
    field: 'podPidsLimit',
    verdict: (v) => {
      if (typeof v !== 'number')
        return { undecided: `podPidsLimit is ${v === undefined ? 'unset' : show(v)}, not a number` };
      return v > 0
        ? { ok: true, text: `podPidsLimit is ${v}` }
        : { ok: false, text: `podPidsLimit is ${v}: a pod may use every PID of the node` };
    },
  },
  {
    id: 'kubelet.seccomp_default',
    title: 'The kubelet runs pods that name no seccomp profile with RuntimeDefault',
    severity: 'medium',
    references: [CIS('4.2.14'), KB('4.2.14'), 'https://kubernetes.io/docs/tutorials/security/seccomp/'],
    remediation:
      'Set seccompDefault: true in the KubeletConfiguration (or --seccomp-default) and restart the kubelet; test workloads first.',
    field: 'seccompDefault',
    verdict: (v, facts) => {
      const gate = facts.kubelet.settings.get('featureGates.SeccompDefault');
      if (isTrue(v) && gate && isFalse(gate.value))
        return { ok: false, text: 'seccompDefault is true, but the SeccompDefault feature gate is turned off' };
      return boolRule(
        'seccompDefault',
        true,
        "pods without a seccompProfile get the runtime's default profile",
        'pods without a seccompProfile run Unconfined',
      )(v, facts);
    },
  },
  {
    id: 'kubelet.protect_kernel_defaults',
    title: 'The kubelet refuses to change kernel tunables it would otherwise set',
    severity: 'medium',
    references: [
      'CIS Kubernetes Benchmark v1.24 4.2.6',
      'kube-bench cfg/cis-1.24/node.yaml 4.2.6',
      'https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/',
    ],
    remediation:
      'Set the sysctls the kubelet expects (vm.overcommit_memory=1, vm.panic_on_oom=0, kernel.panic=10, kernel.panic_on_oops=1) and protectKernelDefaults: true.',
    field: 'protectKernelDefaults',
    verdict: boolRule(
      'protectKernelDefaults',
      true,
      'the kubelet errors out rather than changing kernel tunables',
      'the kubelet silently changes kernel tunables',
    ),
  },
];

function hostnameOverride(facts: KubeletFacts): Outcome {
  const o = facts.kubelet.origin;
  if (o.kind === 'none') return unknown('no kubelet command line was found (neither a process nor a systemd unit)');
  const f = [...facts.kubelet.flags].reverse().find((x) => x.name === 'hostname-override');
  if (f)
    return fail(
      `--hostname-override=${f.value} is set: the node name no longer matches the host name that TLS certificates name`,
      [f.evidence],
    );
  return pass('--hostname-override is not set', o.kind === 'process' ? [{ file: o.file }] : []);
}

function tlsCertFiles(facts: KubeletFacts): Outcome {
  const cert = get(facts, 'tlsCertFile');
  const key = get(facts, 'tlsPrivateKeyFile');
  const boot = get(facts, 'serverTLSBootstrap');
  const c = cert.s?.value;
  const k = key.s?.value;
  const ev = [...(cert.s?.evidence ?? []), ...(key.s?.evidence ?? [])];
  if (typeof c === 'string' && c !== '' && typeof k === 'string' && k !== '')
    return pass(`tlsCertFile ${c} and tlsPrivateKeyFile ${k} are set`, ev);
  if (isTrue(boot.s?.value))
    return pass(
      `serverTLSBootstrap is true: the serving certificate is signed through the API (${describeOrigin(boot.s)})`,
      boot.s?.evidence ?? [],
    );
  const u = cert.unknown ?? key.unknown ?? boot.unknown;
  if (u) return u;
  return fail(
    'neither tlsCertFile/tlsPrivateKeyFile nor serverTLSBootstrap is set: the kubelet serves a self-signed certificate that clients cannot verify',
    ev,
  );
}

function rotateServerCertificates(facts: KubeletFacts): Outcome {
  const gate = facts.kubelet.settings.get('featureGates.RotateKubeletServerCertificate');
  if (gate && isFalse(gate.value))
    return fail(
      `the RotateKubeletServerCertificate feature gate is turned off (${describeOrigin(gate)})`,
      gate.evidence,
    );
  const boot = get(facts, 'serverTLSBootstrap');
  if (boot.unknown) return boot.unknown;
  return isTrue(boot.s?.value)
    ? pass(
        `serverTLSBootstrap is true and RotateKubeletServerCertificate is not turned off: the serving certificate is requested and renewed through the API (${describeOrigin(boot.s)})`,
        boot.s?.evidence ?? [],
      )
    : fail(
        `serverTLSBootstrap is false (${describeOrigin(boot.s)}): the serving certificate is not rotated by the kubelet`,
        boot.s?.evidence ?? [],
      );
}

function cipherSuites(facts: KubeletFacts): Outcome {
  const min = facts.kubelet.settings.get('tlsMinVersion');
  if (min?.value === 'VersionTLS13')
    return pass(
      `tlsMinVersion is VersionTLS13: only TLS 1.3 suites, all strong, can be negotiated (${describeOrigin(min)})`,
      min.evidence,
    );
  const g = get(facts, 'tlsCipherSuites');
  if (g.unknown) return g.unknown;
  const v = g.s?.value;
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0))
    return fail(
      "tlsCipherSuites is not set: Go's default list is in force, which includes CBC-mode suites without forward-secure AEAD",
      [],
    );
  if (!Array.isArray(v)) return unknown(`tlsCipherSuites is ${show(v)}, not a list`, g.s?.evidence ?? []);
  const strong = new Set(facts.options.strongCipherSuites);
  const weak = v.filter((x) => typeof x !== 'string' || !strong.has(x));
  const msg = `tlsCipherSuites (${describeOrigin(g.s)})`;
  return weak.length > 0
    ? fail(`${msg} include ${weak.map(String).join(', ')}, not in the strong list`, g.s?.evidence ?? [])
    : pass(`${msg}: ${v.length} strong suites only`, g.s?.evidence ?? []);
}

function proxyMetrics(facts: KubeletFacts): Outcome {
  const p = facts.proxy;
  if (p.pid === undefined) return skip('no kube-proxy process on this node');
  const s = p.metricsBindAddress;
  if (!s || typeof s.value !== 'string')
    return unknown(`kube-proxy metricsBindAddress could not be read: ${p.problems.join('; ') || 'no value'}`);
  const host = s.value.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const local = /^127\./.test(host) || host === '::1' || host === 'localhost';
  const where = describeOrigin(s);
  return local
    ? pass(`kube-proxy metrics are bound to ${s.value} (${where})`, s.evidence)
    : fail(
        `kube-proxy metrics are bound to ${s.value} (${where}): reachable from other hosts without authentication`,
        s.evidence,
      );
}

function describeBits(bits: number): string {
  const names: [number, string][] = [
    [0o4000, 'setuid'],
    [0o2000, 'setgid'],
    [0o1000, 'sticky'],
    [0o100, 'owner execute'],
    [0o040, 'group read'],
    [0o020, 'group write'],
    [0o010, 'group execute'],
    [0o004, 'other read'],
    [0o002, 'other write'],
    [0o001, 'other execute'],
  ];
  return (
    names
      .filter(([b]) => bits & b)
      .map(([, n]) => n)
      .join(', ') || 'extra bits'
  );
}

interface FileRule {
  role: FileFact['role'];
  what: string;
  /** Highest allowed mode ("600 or more restrictive"): any other bit fails. */
  max?: number;
  ownership?: boolean;
}

function fileCheck(facts: KubeletFacts, rule: FileRule): Outcome {
  const files = facts.files.filter((f) => f.role === rule.role);
  if (files.length === 0) return skip(`no ${rule.what} on this host`);
  const bad: string[] = [];
  const problems: string[] = [];
  const evidence: Evidence[] = [];
  for (const f of files) {
    if (!('type' in f.stat)) {
      problems.push(`${f.path}: ${f.stat.reason}`);
      continue;
    }
    const { mode, uid, gid } = f.stat;
    const why: string[] = [];
    const v = checkMode(f.stat, { maxMode: rule.max ?? 0o7777, uid: 0, gids: [0] });
    if (rule.max !== undefined && v.extra) why.push(`mode ${octal(mode)} allows ${describeBits(v.extra)}`);
    if (rule.ownership && !(v.ownerOk && v.groupOk)) why.push(`owned by ${uid}:${gid}, not root:root`);
    evidence.push({ file: f.path, text: `mode ${octal(mode)} uid ${uid} gid ${gid}` });
    if (why.length > 0) bad.push(`${f.path} ${why.join(', ')}`);
  }
  if (bad.length > 0) return fail(bad.join('; '), evidence);
  if (problems.length > 0) return unknown(`cannot stat ${problems.join('; ')}`, evidence);
  const what = rule.ownership ? 'owned by root:root' : `mode ${octal(rule.max!)} or more restrictive`;
  return pass(`${files.map((f) => f.path).join(', ')}: ${what}`, evidence);
}

interface FileCheckRow {
  id: string;
  cis: string;
  title: string;
  rule: FileRule;
  remediation: string;
}

const FILE_ROWS: FileCheckRow[] = [
  {
    id: 'kubelet.service_file_permissions',
    cis: '4.1.1',
    title: 'kubelet service files are mode 600 or more restrictive',
    rule: { role: 'service', what: 'kubelet service file', max: 0o600 },
    remediation:
      'chmod 600 the kubelet unit and its drop-ins (e.g. /etc/systemd/system/kubelet.service.d/10-kubeadm.conf).',
  },
  {
    id: 'kubelet.service_file_ownership',
    cis: '4.1.2',
    title: 'kubelet service files are owned by root:root',
    rule: { role: 'service', what: 'kubelet service file', ownership: true },
    remediation: 'chown root:root the kubelet unit and its drop-ins.',
  },
  {
    id: 'kubelet.proxy_kubeconfig_permissions',
    cis: '4.1.3',
    title: 'The kube-proxy kubeconfig is mode 600 or more restrictive',
    rule: { role: 'proxy_kubeconfig', what: 'kube-proxy kubeconfig', max: 0o600 },
    remediation: 'chmod 600 the kube-proxy kubeconfig (for a ConfigMap volume, set defaultMode: 0600).',
  },
  {
    id: 'kubelet.proxy_kubeconfig_ownership',
    cis: '4.1.4',
    title: 'The kube-proxy kubeconfig is owned by root:root',
    rule: { role: 'proxy_kubeconfig', what: 'kube-proxy kubeconfig', ownership: true },
    remediation: 'chown root:root the kube-proxy kubeconfig.',
  },
  {
    id: 'kubelet.kubeconfig_permissions',
    cis: '4.1.5',
    title: 'The kubelet kubeconfig is mode 600 or more restrictive',
    rule: { role: 'kubeconfig', what: 'kubelet kubeconfig', max: 0o600 },
    remediation: 'chmod 600 the kubelet kubeconfig (kubeadm: /etc/kubernetes/kubelet.conf).',
  },
  {
    id: 'kubelet.kubeconfig_ownership',
    cis: '4.1.6',
    title: 'The kubelet kubeconfig is owned by root:root',
    rule: { role: 'kubeconfig', what: 'kubelet kubeconfig', ownership: true },
    remediation: 'chown root:root the kubelet kubeconfig.',
  },
  {
    id: 'kubelet.client_ca_permissions',
    cis: '4.1.7',
    title: 'The kubelet client CA file is mode 644 or more restrictive',
    rule: { role: 'client_ca', what: 'client CA file', max: 0o644 },
    remediation: 'chmod 644 the file named by authentication.x509.clientCAFile.',
  },
  {
    id: 'kubelet.client_ca_ownership',
    cis: '4.1.8',
    title: 'The kubelet client CA file is owned by root:root',
    rule: { role: 'client_ca', what: 'client CA file', ownership: true },
    remediation: 'chown root:root the file named by authentication.x509.clientCAFile.',
  },
  {
    id: 'kubelet.config_permissions',
    cis: '4.1.9',
    title: 'The kubelet configuration files are mode 600 or more restrictive',
    rule: { role: 'config', what: 'kubelet configuration file', max: 0o600 },
    remediation: 'chmod 600 the --config file (kubeadm: /var/lib/kubelet/config.yaml) and the --config-dir drop-ins.',
  },
  {
    id: 'kubelet.config_ownership',
    cis: '4.1.10',
    title: 'The kubelet configuration files are owned by root:root',
    rule: { role: 'config', what: 'kubelet configuration file', ownership: true },
    remediation: 'chown root:root the --config file and the --config-dir drop-ins.',
  },
];

export const kubeletChecks: readonly Check<KubeletFacts>[] = [
  ...FILE_ROWS.map((r): Check<KubeletFacts> => ({
    id: r.id,
    title: r.title,
    severity: 'medium',
    references: [CIS(r.cis), KB(r.cis)],
    remediation: r.remediation,
    evaluate: (facts) => fileCheck(facts, r.rule),
  })),
  ...valueRules.map(valueCheck),
  {
    id: 'kubelet.hostname_override',
    title: 'The kubelet does not override the host name',
    severity: 'info',
    references: [CIS('4.2.7'), KB('4.2.7')],
    remediation:
      "Remove --hostname-override from the kubelet's arguments (some cloud providers and k3s set it on purpose).",
    evaluate: hostnameOverride,
  },
  {
    id: 'kubelet.tls_cert_files',
    title: 'The kubelet serves a verifiable certificate',
    severity: 'medium',
    references: [CIS('4.2.9'), KB('4.2.9')],
    remediation:
      'Set tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap: true and approve the kubelet serving CSRs.',
    evaluate: tlsCertFiles,
  },
  {
    id: 'kubelet.rotate_server_certificates',
    title: 'The kubelet requests and rotates its serving certificate',
    severity: 'medium',
    references: [CIS('4.2.11'), KB('4.2.11')],
    remediation:
      'Set serverTLSBootstrap: true, leave the RotateKubeletServerCertificate feature gate on, and approve kubelet-serving CSRs.',
    evaluate: rotateServerCertificates,
  },
  {
    id: 'kubelet.tls_cipher_suites',
    title: 'The kubelet accepts strong TLS cipher suites only',
    severity: 'low',
    references: [CIS('4.2.12'), KB('4.2.12')],
    remediation: `Set tlsCipherSuites to a subset of ${STRONG_CIPHER_SUITES.slice(0, 6).join(',')}, or tlsMinVersion: VersionTLS13.`,
    evaluate: cipherSuites,
  },
  {
    id: 'kubelet.proxy_metrics_bind_address',
    title: 'kube-proxy metrics are bound to localhost',
    severity: 'medium',
    references: [CIS('4.3.1'), KB('4.3.1')],
    remediation:
      'Set metricsBindAddress: 127.0.0.1:10249 in the kube-proxy configuration (or remove the non-local --metrics-bind-address).',
    evaluate: proxyMetrics,
  },
];
