/** Invariants of the sysctl knowledge table: what makes a row well-formed, whatever it says. */
import { describe, it, expect } from 'vitest';
import { SEVERITIES } from '../../src/contracts.js';
import { ABSENT, REASONS, SYSCTL_RULES, sysctlPath, tableKeys } from '../../probes/kernel/sysctls.js';
import { describe as describeExp, satisfies, suggested } from '../../probes/kernel/expectation.js';
import { remediation, sysctlChecks } from '../../probes/kernel/checks/sysctl.js';
import { lsmChecks } from '../../probes/kernel/checks/lsm.js';
import { kernelProbe } from '../../probes/kernel/index.js';

describe('sysctl table', () => {
  it('ids are unique, kernel.<snake_case>, and distinct from the LSM checks', () => {
    const ids = [...SYSCTL_RULES.map((r) => r.id), ...lsmChecks.map((c) => c.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^kernel\.[a-z0-9]+(_[a-z0-9]+)*$/);
  });

  it('keys are sysctl names whose path lies under /proc/sys, each read by one row only', () => {
    const seen = new Map<string, string>();
    for (const r of SYSCTL_RULES) {
      expect(r.keys.length, r.id).toBeGreaterThan(0);
      for (const k of r.keys) {
        expect(k, r.id).toMatch(/^(kernel|net|fs|vm|dev)\.[a-z0-9_-]+(\.[a-z0-9_-]+)*$/);
        expect(sysctlPath(k)).toBe('/proc/sys/' + k.split('.').join('/'));
        expect(seen.get(k), `${k} in ${r.id} and ${seen.get(k)}`).toBeUndefined();
        seen.set(k, r.id);
      }
    }
    expect(tableKeys().length).toBe(seen.size);
  });

  it('expectations are integer comparisons that their suggested value satisfies', () => {
    for (const r of SYSCTL_RULES) {
      const e = r.expect;
      if (e.op === 'one_of') {
        expect(e.values.length, r.id).toBeGreaterThan(0);
        expect(new Set(e.values).size, r.id).toBe(e.values.length);
        for (const v of e.values) expect(Number.isSafeInteger(v), r.id).toBe(true);
      } else expect(Number.isSafeInteger(e.value), r.id).toBe(true);
      expect(satisfies(e, suggested(e)), r.id).toBe(true);
      expect(describeExp(e).length).toBeGreaterThan(0);
    }
  });

  it('every row has a title, a valid severity, references from the named sources, a reason and an absent rule', () => {
    const sources =
      /^(CIS |dev-sec cis-dil-benchmark |Lynis KRNL-6000|https:\/\/(github\.com\/(kubernetes|torvalds)\/|kubernetes\.io\/|docs\.tigera\.io\/|docs\.kernel\.org\/))/;
    for (const r of SYSCTL_RULES) {
      expect(r.title.length, r.id).toBeGreaterThan(10);
      expect(SEVERITIES).toContain(r.severity);
      expect(r.references.length, r.id).toBeGreaterThan(0);
      for (const ref of r.references) expect(ref, r.id).toMatch(sources);
      expect(REASONS[r.reason], r.id).toBeTruthy();
      expect(ABSENT[r.absent], r.id).toBeTruthy();
    }
  });

  it('every named reason and absent rule is used, and no absent rule fails', () => {
    const used = new Set(
      SYSCTL_RULES.flatMap((r) => [r.reason, ...(typeof r.onServer === 'object' ? [r.onServer.reason] : [])]),
    );
    expect(Object.keys(REASONS).filter((k) => !used.has(k as keyof typeof REASONS))).toEqual([]);
    const usedAbsent = new Set(SYSCTL_RULES.map((r) => r.absent));
    expect(Object.keys(ABSENT).filter((k) => !usedAbsent.has(k as keyof typeof ABSENT))).toEqual([]);
    for (const a of Object.values(ABSENT)) expect(['unknown', 'skip']).toContain(a.status);
  });

  it('rows by family: IPv6 keys skip when absent, net.bridge keys are the bridge rule, yama the Yama rule', () => {
    for (const r of SYSCTL_RULES) {
      if (r.keys.every((k) => k.startsWith('net.ipv6.'))) expect(r.absent, r.id).toBe('IPV6');
      if (r.keys.some((k) => k.startsWith('net.bridge.'))) expect(r.absent, r.id).toBe('BRIDGE');
      if (r.keys.some((k) => k.startsWith('kernel.yama.'))) expect(r.absent, r.id).toBe('YAMA');
    }
  });

  it('per-interface rows read net.ipv4.conf.all and .default of one leaf', () => {
    for (const r of SYSCTL_RULES.filter((x) => x.effective === 'max_with_all')) {
      const leaf = r.keys[0]!.split('.').pop();
      expect(r.keys).toEqual([`net.ipv4.conf.all.${leaf}`, `net.ipv4.conf.default.${leaf}`]);
    }
  });

  it('value notes only explain values that fail the expectation', () => {
    for (const r of SYSCTL_RULES)
      for (const v of Object.keys(r.valueNotes ?? {}))
        expect(satisfies(r.expect, Number(v)), `${r.id} note for ${v}`).toBe(false);
  });

  it('remediation names every key with a value that passes', () => {
    for (const r of SYSCTL_RULES) {
      const text = remediation(r);
      for (const k of r.keys) expect(text, r.id).toContain(`${k} = ${suggested(r.expect)}`);
      expect(text).toContain('/etc/sysctl.d/');
    }
  });

  it('Kubernetes-aware expectations: forwarding 1, unprivileged BPF 1 or 2, rp_filter 1 in force, kubelet values', () => {
    const by = new Map(SYSCTL_RULES.map((r) => [r.id, r]));
    expect(by.get('kernel.ip_forward')!.expect).toEqual({ op: 'equal', value: 1 });
    expect(by.get('kernel.ipv6_forwarding')!.expect).toEqual({ op: 'equal', value: 1 });
    expect(by.get('kernel.ip_forward')!.references).toContain('https://github.com/kubernetes/kubernetes/issues/112777');
    expect(by.get('kernel.unprivileged_bpf_disabled')!.expect).toEqual({ op: 'one_of', values: [1, 2] });
    expect(by.get('kernel.rp_filter')!.effective).toBe('max_with_all');
    const kubelet = SYSCTL_RULES.filter((r) => r.reason === 'KUBELET_PROTECT_KERNEL_DEFAULTS');
    expect(Object.fromEntries(kubelet.map((r) => [r.keys[0], r.expect.op === 'equal' ? r.expect.value : NaN]))).toEqual(
      {
        'vm.overcommit_memory': 1,
        'vm.panic_on_oom': 0,
        'kernel.panic': 10,
        'kernel.panic_on_oops': 1,
        'kernel.keys.root_maxkeys': 1000000,
        'kernel.keys.root_maxbytes': 25000000,
      },
    );
    for (const r of kubelet) expect(['info', 'low']).toContain(r.severity);
    expect(by.get('kernel.log_martians')!.severity).toBe('low');
    expect(by.get('kernel.bpf_jit_harden')!.severity).toBe('low');
  });

  it('only values the kubelet or the pod network sets at start are spared persisting on a node', () => {
    const spared = SYSCTL_RULES.filter((r) => r.setOnNodeBy)
      .map((r) => r.id)
      .sort();
    const kubelet = SYSCTL_RULES.filter((r) => r.reason === 'KUBELET_PROTECT_KERNEL_DEFAULTS').map((r) => r.id);
    expect(spared).toEqual(
      [...kubelet, 'kernel.bridge_nf_call_iptables', 'kernel.ip_forward', 'kernel.ipv6_forwarding'].sort(),
    );
  });

  it('the Lynis KRNL-6000 additions: perf_event_paranoid >= 2, ldisc_autoload 0, core_uses_pid 1, ctrl-alt-del 0, accept_ra 0', () => {
    const by = new Map(SYSCTL_RULES.map((r) => [r.id, r]));
    expect(by.get('kernel.perf_event_paranoid')!).toMatchObject({
      keys: ['kernel.perf_event_paranoid'],
      expect: { op: 'at_least', value: 2 },
    });
    expect(by.get('kernel.ldisc_autoload')!).toMatchObject({
      keys: ['dev.tty.ldisc_autoload'],
      expect: { op: 'equal', value: 0 },
    });
    expect(by.get('kernel.core_uses_pid')!).toMatchObject({
      keys: ['kernel.core_uses_pid'],
      expect: { op: 'equal', value: 1 },
    });
    expect(by.get('kernel.ctrl_alt_del')!).toMatchObject({
      keys: ['kernel.ctrl-alt-del'],
      expect: { op: 'equal', value: 0 },
    });
    expect(by.get('kernel.ipv6_accept_ra')!).toMatchObject({
      keys: ['net.ipv6.conf.all.accept_ra', 'net.ipv6.conf.default.accept_ra'],
      expect: { op: 'equal', value: 0 },
      absent: 'IPV6',
    });
    expect(by.get('kernel.ipv6_accept_ra')!.references).toContain('CIS Debian Linux 12 Benchmark v1.1.0 3.3.11');
    expect(sysctlPath('kernel.ctrl-alt-del')).toBe('/proc/sys/kernel/ctrl-alt-del');
  });

  it('the probe exposes one check per row plus the LSM checks, in table order', () => {
    expect(sysctlChecks.map((c) => c.id)).toEqual(SYSCTL_RULES.map((r) => r.id));
    expect(kernelProbe.checks.map((c) => c.id)).toEqual([
      ...SYSCTL_RULES.map((r) => r.id),
      'kernel.lsm_active',
      'kernel.selinux_enforcing',
      'kernel.apparmor_profiles',
    ]);
    for (const c of kernelProbe.checks) expect(c.remediation.length, c.id).toBeGreaterThan(20);
  });
});
