/**
 * The sysctl knowledge table: what each setting must be on a Kubernetes node, why, how bad a miss is, and
 * who says so. A new sysctl is one row here; checks are generated from the rows (checks/sysctl.ts) and the
 * rows have invariant tests of their own (test/kernel/table.test.ts).
 *
 * Sources: CIS Debian Linux 12 Benchmark (section 1.5 process hardening, 3.3 network kernel parameters),
 * CIS Distribution Independent Linux 2.0.0 (1.5, 3.2, 3.3), Lynis KRNL-6000 (its default profile's
 * sysctl list), the kubelet's protectKernelDefaults (pkg/kubelet/cm setupKernelTunables: the kubelet sets
 * these values itself at start, or refuses to start when protectKernelDefaults is true and one differs),
 * kubeadm preflight, the kernel's own documentation (Documentation/admin-guide/sysctl/kernel.rst,
 * perf-security.rst, the LDISC_AUTOLOAD help text) and ../shared/research/os-updates-ports.md §4.
 *
 * Every row is judged in force (/proc/sys) and as persisted (sysctl.d, read as systemd-sysctl does), as CIS
 * audits both; `setOnNodeBy` names who sets a value at every start on a Kubernetes node, where persisting it
 * is not needed.
 *
 * Where CIS and a working node disagree, the node wins and the row says so: forwarding must be 1 (pods are
 * routed; kubernetes/kubernetes#112777 closed "CVE-1999-0511" as "nodes are routers").
 */
import type { Severity } from '../../src/sdk.js';
import type { Expectation } from './expectation.js';

/** Why a value is expected: one named sentence per concern, shared by rows (as ssh-audit's FAIL_*). */
export const REASONS = {
  NODE_ROUTES_PODS:
    'a Kubernetes node routes pod traffic, so forwarding must be on (kubeadm preflight requires it; kubernetes/kubernetes#112777 closed the CIS "disable forwarding" finding as "nodes are routers")',
  NODE_ROUTES_PODS_V6:
    'a node of an IPv6 or dual-stack cluster routes IPv6 pod traffic; on an IPv4-only cluster set probes.kernel.expect to 0 for this check (kubernetes/kubernetes#112777)',
  RP_FILTER_STRICT:
    'strict reverse path filtering drops packets whose source address is not routed back through the interface they arrived on, so a pod cannot spoof another source address',
  UNPRIV_BPF:
    'unprivileged eBPF has been the entry point of many kernel privilege escalations; 1 and 2 both disable it (eBPF CNIs and runtime sensors run privileged and are unaffected)',
  ASLR_FULL:
    'full address space layout randomisation (stack, mmap, VDSO and heap) makes memory corruption exploits unreliable',
  KPTR_HIDDEN: 'kernel pointers in /proc (kallsyms, modules) give an attacker KASLR offsets',
  DMESG_ROOT_ONLY: 'the kernel log leaks addresses and hardware details to unprivileged users',
  NO_SUID_CORES: 'core dumps of setuid programs can contain secrets readable by the invoking user',
  LINK_PROTECTION: 'link protection in world-writable sticky directories stops /tmp race and link-following attacks',
  FILE_PROTECTION:
    'O_CREAT of FIFOs and regular files in world-writable sticky directories owned by others is refused (Lynis recommends 2)',
  NO_SEND_REDIRECTS:
    'a host that is not the gateway of its segment has no reason to send ICMP redirects; they reveal routes',
  NO_ACCEPT_REDIRECTS:
    "accepting ICMP redirects lets anyone on the segment change this host's routes (man in the middle)",
  NO_SOURCE_ROUTE: 'source-routed packets let a sender choose the path through this host, bypassing filtering',
  SYN_COOKIES: 'SYN cookies keep the TCP stack answering during a SYN flood',
  LOG_MARTIANS:
    'packets with impossible source addresses are logged; on nodes with overlay networks this can be noisy, hence low severity',
  ICMP_BROADCAST: 'answering broadcast pings makes the host a smurf amplifier',
  ICMP_BOGUS: 'bogus ICMP error responses only fill the log',
  PTRACE_RESTRICTED:
    'with Yama ptrace_scope >= 1 a compromised process cannot attach to other processes of the same user and read their memory',
  BPF_JIT_HARDEN:
    'constant blinding in the eBPF JIT (2 covers privileged programs too) defeats JIT spraying; costs eBPF datapaths a little',
  BRIDGE_NF:
    'bridged pod traffic must traverse iptables for Services and NetworkPolicies to apply (kubeadm preflight requires it; the file exists once br_netfilter is loaded)',
  NOT_A_ROUTER:
    'a host that is not a router (nor a Kubernetes node, which routes pod traffic) should not forward packets between its interfaces: forwarding turns it into a path around network filtering',
  LDISC_AUTOLOAD:
    'with autoloading on, any user can make the kernel load a TTY line discipline module (n_hdlc, slip, ...) just by selecting it on a terminal, which has reached kernel bugs such as CVE-2017-2636; 0 leaves loading those modules to CAP_SYS_MODULE',
  CORE_USES_PID:
    'core files named core.<pid> do not overwrite one another, so each crash can be examined (a core_pattern that pipes to systemd-coredump or apport names them itself)',
  CTRL_ALT_DEL:
    'with a non-zero value the kernel reboots at once on Ctrl-Alt-Del, without syncing or unmounting file systems; 0 hands the key to init, which can refuse it (mask ctrl-alt-del.target)',
  PERF_PARANOID:
    'perf_event_open lets unprivileged users sample kernel code and read kernel addresses; 2 restricts them to their own user-space processes (upstream default since 4.6), and Debian and Ubuntu kernels accept 3, which denies unprivileged users perf events altogether',
  NO_ACCEPT_RA:
    'accepting IPv6 router advertisements lets any host on the link, a pod on a node included, add routes and addresses to this host (kubernetes/kubernetes#91507, CVE-2020-10749); conf.default is what every new pod veth starts with',
  KUBELET_PROTECT_KERNEL_DEFAULTS:
    'the kubelet expects this value; it matters only when the kubelet runs with protectKernelDefaults: true, which then refuses to start while it differs (otherwise the kubelet sets it itself when it starts)',
} as const satisfies Record<string, string>;

export type ReasonName = keyof typeof REASONS;

/** What a missing sysctl file means for a row: never `fail`, since the setting cannot be read. */
export const ABSENT = {
  KERNEL: { status: 'unknown', why: 'this kernel does not provide the setting (not built in, or too old)' },
  IPV6: {
    status: 'skip',
    why: 'IPv6 is disabled on this host (ipv6.disable=1 or no IPv6 support), so there is no IPv6 setting to harden',
  },
  YAMA: {
    status: 'unknown',
    why: 'Yama is not built into this kernel (or not in the boot-time LSM list), so ptrace is not restricted by Yama; whether another LSM restricts it cannot be told from here',
  },
  BRIDGE: {
    status: 'unknown',
    why: 'the br_netfilter module is not loaded (its sysctls appear when it is); kube-proxy and most CNIs load it, so on a node this usually means the node is not networked for pods yet',
  },
} as const satisfies Record<string, { status: 'unknown' | 'skip'; why: string }>;

export type AbsentName = keyof typeof ABSENT;

export interface SysctlRule {
  /** Check id, `kernel.<snake_case>`. */
  id: string;
  title: string;
  /** sysctl names (dotted, as `sysctl -n` takes them); every one must meet the expectation. */
  keys: readonly string[];
  expect: Expectation;
  severity: Severity;
  references: readonly string[];
  reason: ReasonName;
  /** What a missing file means. */
  absent: AbsentName;
  /**
   * 'max_with_all': the value in force on an interface is max(conf.all, conf.<iface>), as for rp_filter
   * (Documentation/networking/ip-sysctl.rst). The keys must be net.ipv4.conf.all.<leaf> and
   * net.ipv4.conf.default.<leaf>; every interface under /proc/sys/net/ipv4/conf is evaluated, and
   * "default" stands for interfaces created later (pod veths).
   */
  effective?: 'max_with_all';
  /** What particular failing values mean, added to the failure message. */
  valueNotes?: Readonly<Record<number, string>>;
  /**
   * On a host that is not a Kubernetes node (src/scan/host-role.ts): another expectation with its reason, or
   * 'skip' where the row only matters to a kubelet. Absent: the same expectation on every host.
   */
  onServer?: { expect: Expectation; reason: ReasonName } | 'skip';
  /** Added to the generated remediation. */
  advice?: string;
  /**
   * Who sets the value at every start on a Kubernetes node, so that there it need not be persisted in sysctl.d
   * (said in the finding instead of failing). Absent: the value must be persisted on every host.
   */
  setOnNodeBy?: string;
}

const CIS_DEB = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;
// The CIS Distribution Independent Linux sections as dev-sec/cis-dil-benchmark numbers its controls.
const CIS_DIL = (n: string) => `dev-sec cis-dil-benchmark cis-dil-benchmark-${n}`;
const LYNIS = 'Lynis KRNL-6000';
// The kubelet's setupKernelTunables, which protectKernelDefaults turns from setting into checking.
const KUBELET = 'https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/cm/container_manager_linux.go';
const CIS_K8S_PKD = 'CIS Kubernetes Benchmark v1.24 4.2.6';
const K8S_112777 = 'https://github.com/kubernetes/kubernetes/issues/112777';
const KUBEADM_PREFLIGHT = 'https://github.com/kubernetes/kubernetes/blob/master/cmd/kubeadm/app/preflight/checks.go';
const K8S_91507 = 'https://github.com/kubernetes/kubernetes/issues/91507';
const KERNEL_SYSCTL_DOC = 'https://docs.kernel.org/admin-guide/sysctl/kernel.html';
const PERF_SECURITY_DOC = 'https://docs.kernel.org/admin-guide/perf-security.html';
// The LDISC_AUTOLOAD help text: the one place the kernel documents dev.tty.ldisc_autoload.
const LDISC_KCONFIG = 'https://github.com/torvalds/linux/blob/master/drivers/tty/Kconfig';
/** Who sets the kubelet's values at start (setupKernelTunables). */
const BY_KUBELET =
  'the kubelet sets it itself when it starts (with protectKernelDefaults: true it refuses to start on another value instead, and then the value must be persisted)';
/** Who turns forwarding on at start on a node. */
const BY_CNI =
  "the CNI plugin turns forwarding on when it sets up the pod network (Calico Felix, Cilium, the bridge plugin as gateway), though kubeadm's install guide persists it in /etc/sysctl.d/k8s.conf as well";
const eq = (value: number): Expectation => ({ op: 'equal', value });
const v4 = (leaf: string) => [`net.ipv4.conf.all.${leaf}`, `net.ipv4.conf.default.${leaf}`];
const v6 = (leaf: string) => [`net.ipv6.conf.all.${leaf}`, `net.ipv6.conf.default.${leaf}`];

// net.* sysctls are per network namespace: /proc/sys/net shows the namespace of the process that reads it.
// The DaemonSet runs with hostNetwork: true, so the agent reads the node's values; a scan from a pod without
// hostNetwork would read the pod's own namespace instead.
export const SYSCTL_RULES: readonly SysctlRule[] = Object.freeze([
  // --- Kubernetes node networking (CIS says 0 for forwarding; a node must route) ---
  {
    id: 'kernel.ip_forward',
    title: 'IPv4 forwarding suits the host: on for a Kubernetes node (it routes pods), off otherwise',
    onServer: { expect: eq(0), reason: 'NOT_A_ROUTER' },
    keys: ['net.ipv4.ip_forward'],
    expect: eq(1),
    severity: 'medium',
    references: [K8S_112777, KUBEADM_PREFLIGHT, CIS_DEB('3.3.1')],
    reason: 'NODE_ROUTES_PODS',
    absent: 'KERNEL',
    setOnNodeBy: BY_CNI,
    advice:
      'A host that is not a Kubernetes node is expected to have 0 (CIS); whether the host is a node is detected from its kubelet, or set with scan.hostRole.',
  },
  {
    id: 'kernel.ipv6_forwarding',
    title: 'IPv6 forwarding suits the host: on for a Kubernetes node (IPv6 pods), off otherwise',
    onServer: { expect: eq(0), reason: 'NOT_A_ROUTER' },
    keys: ['net.ipv6.conf.all.forwarding'],
    expect: eq(1),
    severity: 'low',
    references: [K8S_112777, CIS_DEB('3.3.1')],
    reason: 'NODE_ROUTES_PODS_V6',
    absent: 'IPV6',
    setOnNodeBy: BY_CNI,
  },
  {
    id: 'kernel.rp_filter',
    title: 'Strict reverse path filtering is in force on every interface',
    keys: v4('rp_filter'),
    expect: eq(1),
    severity: 'medium',
    references: [
      CIS_DEB('3.3.7'),
      CIS_DIL('3.2.7'),
      LYNIS,
      'https://docs.tigera.io/calico/latest/reference/felix/configuration',
    ],
    reason: 'RP_FILTER_STRICT',
    absent: 'KERNEL',
    effective: 'max_with_all',
    valueNotes: {
      0: 'no source validation at all',
      2: 'loose mode: a source only has to be routable through some interface, so pods can spoof addresses routed elsewhere; Calico relies on strict mode on its workload interfaces, and Felix refuses to start on loose RPF unless ignoreLooseRPF is set (the value in force is max(all, interface), so all = 2 defeats the strict mode Calico sets per interface)',
    },
    advice:
      'systemd >= 240 ships net.ipv4.conf.*.rp_filter = 2 in /usr/lib/sysctl.d/50-default.conf; override it in a later file. On Cilium nodes (which filter in eBPF and need 0 on their interfaces) set probes.kernel.expect: {kernel.rp_filter: [0, 1]}.',
  },
  {
    id: 'kernel.bridge_nf_call_iptables',
    title: 'Bridged traffic passes through iptables',
    keys: ['net.bridge.bridge-nf-call-iptables'],
    expect: eq(1),
    severity: 'medium',
    references: [
      KUBEADM_PREFLIGHT,
      'https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/',
    ],
    reason: 'BRIDGE_NF',
    absent: 'BRIDGE',
    onServer: 'skip',
    setOnNodeBy: 'br_netfilter starts with 1 when it loads, and kube-proxy and CNI plugins set it when they start',
    advice: 'Load br_netfilter at boot (echo br_netfilter > /etc/modules-load.d/k8s.conf).',
  },

  // --- Process and kernel hardening ---
  {
    id: 'kernel.randomize_va_space',
    title: 'Full address space layout randomisation',
    keys: ['kernel.randomize_va_space'],
    expect: eq(2),
    severity: 'high',
    references: [CIS_DEB('1.5.1'), CIS_DIL('1.5.3'), LYNIS],
    reason: 'ASLR_FULL',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.ptrace_scope',
    title: 'ptrace is restricted (Yama)',
    keys: ['kernel.yama.ptrace_scope'],
    expect: { op: 'at_least', value: 1 },
    severity: 'medium',
    references: [CIS_DEB('1.5.2'), LYNIS],
    reason: 'PTRACE_RESTRICTED',
    absent: 'YAMA',
  },
  {
    id: 'kernel.suid_dumpable',
    title: 'setuid programs do not dump core',
    keys: ['fs.suid_dumpable'],
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('1.5.3'), CIS_DIL('1.5.1'), LYNIS],
    reason: 'NO_SUID_CORES',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.kptr_restrict',
    title: 'Kernel pointers are hidden from unprivileged users',
    keys: ['kernel.kptr_restrict'],
    expect: { op: 'at_least', value: 1 },
    severity: 'medium',
    references: [LYNIS],
    reason: 'KPTR_HIDDEN',
    absent: 'KERNEL',
    advice: 'Lynis recommends 2 (hidden from root too).',
  },
  {
    id: 'kernel.dmesg_restrict',
    title: 'The kernel log is readable only with CAP_SYSLOG',
    keys: ['kernel.dmesg_restrict'],
    expect: eq(1),
    severity: 'low',
    references: [LYNIS],
    reason: 'DMESG_ROOT_ONLY',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.unprivileged_bpf_disabled',
    title: 'Unprivileged eBPF is disabled',
    keys: ['kernel.unprivileged_bpf_disabled'],
    expect: { op: 'one_of', values: [1, 2] },
    severity: 'medium',
    references: [LYNIS],
    reason: 'UNPRIV_BPF',
    absent: 'KERNEL',
    advice: '1 cannot be undone without a reboot; 2 can be changed back by root.',
  },
  {
    id: 'kernel.bpf_jit_harden',
    title: 'The eBPF JIT is hardened for all programs',
    keys: ['net.core.bpf_jit_harden'],
    expect: eq(2),
    severity: 'low',
    references: [LYNIS],
    reason: 'BPF_JIT_HARDEN',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.perf_event_paranoid',
    title: 'Unprivileged users cannot profile the kernel with perf events',
    keys: ['kernel.perf_event_paranoid'],
    expect: { op: 'at_least', value: 2 },
    severity: 'low',
    references: [LYNIS, KERNEL_SYSCTL_DOC, PERF_SECURITY_DOC],
    reason: 'PERF_PARANOID',
    absent: 'KERNEL',
    valueNotes: {
      [-1]: 'no restriction at all, raw tracepoints included',
      0: 'unprivileged users may profile the kernel and use CPU-wide events',
      1: 'unprivileged users may still profile kernel code',
    },
    advice:
      'Lynis expects 3, which only Debian and Ubuntu kernels accept (other kernels treat 3 as 2), so 2 passes here; set 3 on those kernels when no unprivileged user needs perf. Profilers running as root or with CAP_PERFMON are not affected.',
  },
  {
    id: 'kernel.ldisc_autoload',
    title: 'TTY line disciplines are not loaded on demand by unprivileged users',
    keys: ['dev.tty.ldisc_autoload'],
    expect: eq(0),
    severity: 'medium',
    references: [LYNIS, LDISC_KCONFIG],
    reason: 'LDISC_AUTOLOAD',
    absent: 'KERNEL',
    advice:
      'Kernels older than 5.1 have no such setting; blacklist the line discipline modules (n_hdlc, slip, ...) in modprobe.d there.',
  },
  {
    id: 'kernel.core_uses_pid',
    title: 'Core file names include the process id',
    keys: ['kernel.core_uses_pid'],
    expect: eq(1),
    severity: 'info',
    references: [LYNIS, KERNEL_SYSCTL_DOC],
    reason: 'CORE_USES_PID',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.ctrl_alt_del',
    title: 'Ctrl-Alt-Del goes to init instead of an immediate kernel reboot',
    keys: ['kernel.ctrl-alt-del'],
    expect: eq(0),
    severity: 'low',
    references: [LYNIS, KERNEL_SYSCTL_DOC],
    reason: 'CTRL_ALT_DEL',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.protected_hardlinks',
    title: 'Hard link protection is on',
    keys: ['fs.protected_hardlinks'],
    expect: eq(1),
    severity: 'medium',
    references: [LYNIS],
    reason: 'LINK_PROTECTION',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.protected_symlinks',
    title: 'Symbolic link protection is on',
    keys: ['fs.protected_symlinks'],
    expect: eq(1),
    severity: 'medium',
    references: [LYNIS],
    reason: 'LINK_PROTECTION',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.protected_fifos',
    title: 'FIFO creation in sticky directories is protected',
    keys: ['fs.protected_fifos'],
    expect: eq(2),
    severity: 'low',
    references: [LYNIS],
    reason: 'FILE_PROTECTION',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.protected_regular',
    title: 'Regular file creation in sticky directories is protected',
    keys: ['fs.protected_regular'],
    expect: eq(2),
    severity: 'low',
    references: [LYNIS],
    reason: 'FILE_PROTECTION',
    absent: 'KERNEL',
  },

  // --- Network parameters (CIS section 3.3) ---
  {
    id: 'kernel.send_redirects',
    title: 'ICMP redirects are not sent',
    keys: v4('send_redirects'),
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('3.3.2'), CIS_DIL('3.1.2'), LYNIS],
    reason: 'NO_SEND_REDIRECTS',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.accept_redirects',
    title: 'IPv4 ICMP redirects are not accepted',
    keys: v4('accept_redirects'),
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('3.3.5'), CIS_DIL('3.2.2'), LYNIS],
    reason: 'NO_ACCEPT_REDIRECTS',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.ipv6_accept_redirects',
    title: 'IPv6 ICMP redirects are not accepted',
    keys: v6('accept_redirects'),
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('3.3.5'), CIS_DIL('3.2.2'), LYNIS],
    reason: 'NO_ACCEPT_REDIRECTS',
    absent: 'IPV6',
  },
  {
    id: 'kernel.secure_redirects',
    title: 'Secure ICMP redirects are not accepted',
    keys: v4('secure_redirects'),
    expect: eq(0),
    severity: 'low',
    references: [CIS_DEB('3.3.6'), CIS_DIL('3.2.3')],
    reason: 'NO_ACCEPT_REDIRECTS',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.accept_source_route',
    title: 'IPv4 source-routed packets are not accepted',
    keys: v4('accept_source_route'),
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('3.3.8'), CIS_DIL('3.2.1'), LYNIS],
    reason: 'NO_SOURCE_ROUTE',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.ipv6_accept_source_route',
    title: 'IPv6 source-routed packets are not accepted',
    keys: v6('accept_source_route'),
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('3.3.8'), CIS_DIL('3.2.1'), LYNIS],
    reason: 'NO_SOURCE_ROUTE',
    absent: 'IPV6',
  },
  {
    id: 'kernel.ipv6_accept_ra',
    title: 'IPv6 router advertisements are not accepted by default',
    keys: v6('accept_ra'),
    expect: eq(0),
    severity: 'medium',
    references: [CIS_DEB('3.3.11'), LYNIS, K8S_91507],
    reason: 'NO_ACCEPT_RA',
    absent: 'IPV6',
    advice:
      'A node whose uplink gets its IPv6 default route from router advertisements sets accept_ra on that interface alone (net.ipv6.conf.eth0.accept_ra = 2, since a forwarding host ignores them at 1); conf.all and conf.default stay 0 so pod veths never take routes from pods.',
  },
  {
    id: 'kernel.tcp_syncookies',
    title: 'TCP SYN cookies are on',
    keys: ['net.ipv4.tcp_syncookies'],
    expect: eq(1),
    severity: 'medium',
    references: [CIS_DEB('3.3.10'), CIS_DIL('3.2.8'), LYNIS],
    reason: 'SYN_COOKIES',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.log_martians',
    title: 'Packets with impossible addresses are logged',
    keys: v4('log_martians'),
    expect: eq(1),
    severity: 'low',
    references: [CIS_DEB('3.3.9'), CIS_DIL('3.2.4'), LYNIS],
    reason: 'LOG_MARTIANS',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.icmp_echo_ignore_broadcasts',
    title: 'Broadcast ICMP echo requests are ignored',
    keys: ['net.ipv4.icmp_echo_ignore_broadcasts'],
    expect: eq(1),
    severity: 'low',
    references: [CIS_DEB('3.3.4'), CIS_DIL('3.2.5'), LYNIS],
    reason: 'ICMP_BROADCAST',
    absent: 'KERNEL',
  },
  {
    id: 'kernel.icmp_ignore_bogus_error_responses',
    title: 'Bogus ICMP error responses are ignored',
    keys: ['net.ipv4.icmp_ignore_bogus_error_responses'],
    expect: eq(1),
    severity: 'low',
    references: [CIS_DEB('3.3.3'), CIS_DIL('3.2.6'), LYNIS],
    reason: 'ICMP_BOGUS',
    absent: 'KERNEL',
  },

  // --- What the kubelet expects (protectKernelDefaults) ---
  {
    id: 'kernel.overcommit_memory',
    title: 'vm.overcommit_memory is what the kubelet expects (1)',
    keys: ['vm.overcommit_memory'],
    expect: eq(1),
    severity: 'info',
    references: [KUBELET, CIS_K8S_PKD],
    reason: 'KUBELET_PROTECT_KERNEL_DEFAULTS',
    absent: 'KERNEL',
    onServer: 'skip',
    setOnNodeBy: BY_KUBELET,
  },
  {
    id: 'kernel.panic_on_oom',
    title: 'vm.panic_on_oom is what the kubelet expects (0: the OOM killer runs)',
    keys: ['vm.panic_on_oom'],
    expect: eq(0),
    severity: 'info',
    references: [KUBELET, CIS_K8S_PKD],
    reason: 'KUBELET_PROTECT_KERNEL_DEFAULTS',
    absent: 'KERNEL',
    onServer: 'skip',
    setOnNodeBy: BY_KUBELET,
  },
  {
    id: 'kernel.panic',
    title: 'kernel.panic is what the kubelet expects (reboot 10 s after a panic)',
    keys: ['kernel.panic'],
    expect: eq(10),
    severity: 'info',
    references: [KUBELET, CIS_K8S_PKD],
    reason: 'KUBELET_PROTECT_KERNEL_DEFAULTS',
    absent: 'KERNEL',
    onServer: 'skip',
    setOnNodeBy: BY_KUBELET,
  },
  {
    id: 'kernel.panic_on_oops',
    title: 'kernel.panic_on_oops is what the kubelet expects (1)',
    keys: ['kernel.panic_on_oops'],
    expect: eq(1),
    severity: 'low',
    references: [KUBELET, CIS_K8S_PKD],
    reason: 'KUBELET_PROTECT_KERNEL_DEFAULTS',
    absent: 'KERNEL',
    onServer: 'skip',
    setOnNodeBy: BY_KUBELET,
    advice: 'Panicking on an oops also stops an exploit that has corrupted kernel state from carrying on.',
  },
  {
    id: 'kernel.keys_root_maxkeys',
    title: 'kernel.keys.root_maxkeys is what the kubelet expects (1000000)',
    keys: ['kernel.keys.root_maxkeys'],
    expect: eq(1000000),
    severity: 'info',
    references: [KUBELET, CIS_K8S_PKD],
    reason: 'KUBELET_PROTECT_KERNEL_DEFAULTS',
    absent: 'KERNEL',
    onServer: 'skip',
    setOnNodeBy: BY_KUBELET,
  },
  {
    id: 'kernel.keys_root_maxbytes',
    title: 'kernel.keys.root_maxbytes is what the kubelet expects (25000000)',
    keys: ['kernel.keys.root_maxbytes'],
    expect: eq(25000000),
    severity: 'info',
    references: [KUBELET, CIS_K8S_PKD],
    reason: 'KUBELET_PROTECT_KERNEL_DEFAULTS',
    absent: 'KERNEL',
    onServer: 'skip',
    setOnNodeBy: BY_KUBELET,
  },
]);

/** Host path of a sysctl: dots are separators (an interface name with a dot is spelled with "/" in sysctl). */
export function sysctlPath(name: string): string {
  return (
    '/proc/sys/' +
    name
      .split('.')
      .map((p) => p.replace(/\//g, '.'))
      .join('/')
  );
}

/** Every sysctl the table reads, once. */
export function tableKeys(rules: readonly SysctlRule[] = SYSCTL_RULES): string[] {
  return [...new Set(rules.flatMap((r) => r.keys))];
}
