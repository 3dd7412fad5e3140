/**
 * Every reference of the check catalogue is a section that exists in a named standard (CIS with version and exact
 * section, kube-bench and docker-bench ids, dev-sec controls, Lynis tests, NIST controls, CVE ids, RFC sections,
 * man pages) or an https URL: test/helpers/known-references.ts lists the forms and, for numbered standards, the ids
 * verified in their sources. Placeholders ("5.1.x"), bare labels and hostward's own explanations are refused.
 */
import { describe, it, expect } from 'vitest';
import { PROBES } from '../probes/registry.js';
import { catalogue } from '../src/scan/catalogue.js';
import { referenceProblem, REFERENCE_FORMS } from './helpers/known-references.js';

describe('check references', () => {
  const checks = catalogue(PROBES);

  it('every check cites at least one reference', () => {
    expect(checks.filter((c) => c.references.length === 0).map((c) => c.id)).toEqual([]);
  });

  it('every reference of every check is a known form with an id that exists', () => {
    const problems = checks.flatMap((c) =>
      c.references.map((r) => [c.id, r, referenceProblem(r)] as const).filter(([, , p]) => p),
    );
    expect(problems.map(([id, r, p]) => `${id}: "${r}": ${p}`)).toEqual([]);
  });

  it('no check cites the same reference twice', () => {
    expect(checks.filter((c) => new Set(c.references).size !== c.references.length).map((c) => c.id)).toEqual([]);
  });
});

describe('the reference checker', () => {
  // What the catalogue cited before: placeholders, labels, our own words and tracker numbers.
  const refused = [
    'CIS Debian 12 5.1.x',
    'CIS Distribution Independent Linux 2.0.0 5.2.x',
    'ssh-audit 3.x kexdb',
    'ssh-audit 3.x (RSA < 2048 fails, < 3072 warns)',
    'CIS Distribution Independent Linux 3.x (only approved services listen)',
    'CIS Kubernetes Benchmark 1.2.x (--insecure-port=0)',
    'CIS Kubernetes Benchmark 2.x (etcd)',
    'CIS Distribution Independent Linux 2.2.x (rpcbind not installed or disabled)',
    'CIS Debian 12 1.3.1.x (AppArmor)',
    'hostward: a writable drop-in can turn password logins back on',
    'hostward: research/runtime.md §2 (flag and file precedence)',
    'research/runtime.md 6.2 privileged heuristic',
    'docker-bench-security #213, #498',
    'kubernetes/kubernetes#90259',
    'Kubernetes docs: RuntimeClass',
    'containerd docs: CRI config (SystemdCgroup)',
    'endoflife.date (per-release sources in probes/updates/eol.ts)',
    'CIS Docker Benchmark v1.6.0 3.19–3.22',
    'CIS Docker Benchmark v1.6.0 2.7 (equivalent)',
    'dev-sec ssh-baseline sshd-50 (RSA >= 4096)',
    'RFC 4253 section 4.2',
    'Kubernetes ports and protocols: https://kubernetes.io/docs/reference/networking/ports-and-protocols/',
    'https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/ (readOnlyPort)',
  ];
  it.each(refused)('refuses %s', (ref) => {
    expect(referenceProblem(ref)).toBeTruthy();
  });

  // Well-formed, but no such section or test in the version cited.
  const inexistent = [
    'CIS Debian Linux 12 Benchmark v1.1.0 5.1.23',
    'CIS Debian Linux 12 Benchmark v1.1.0 6.1',
    'CIS Kubernetes Benchmark v1.12 4.2.15',
    'kube-bench cfg/cis-1.12/node.yaml 4.2.15',
    'CIS Docker Benchmark v1.6.0 2.19',
    'docker-bench-security check_2_19',
    'dev-sec ssh-baseline sshd-26',
    'Lynis NETW-9999',
    'CIS Distribution Independent Linux Benchmark v2.0.0 5.2.24',
    'sshd_confg(5) UseDNS',
  ];
  it.each(inexistent)('refuses the section that does not exist: %s', (ref) => {
    expect(referenceProblem(ref)).toMatch(/has no section or id|no known form/);
  });

  const accepted = [
    'CIS Debian Linux 12 Benchmark v1.1.0 5.1.4',
    'CIS Kubernetes Benchmark v1.12 4.2.1',
    'CIS Kubernetes Benchmark v1.24 4.2.6',
    'kube-bench cfg/cis-1.12/node.yaml 4.1.1',
    'CIS Docker Benchmark v1.6.0 3.23',
    'docker-bench-security check_3_24',
    'dev-sec ssh-baseline sshd-27',
    'Lynis SSH-7408',
    'NIST SP 800-53 Rev. 5 SI-7',
    'CVE-2023-48795',
    'RFC 5280 §4.1.2.5',
    'sshd_config(5) UseDNS',
    'sshd(8) -T',
    'https://kubernetes.io/docs/concepts/containers/runtime-class/',
  ];
  it.each(accepted)('accepts %s', (ref) => {
    expect(referenceProblem(ref)).toBeUndefined();
  });

  it('every form with a closed list has ids and says where they were verified', () => {
    for (const f of REFERENCE_FORMS) {
      expect(f.verified.length, f.name).toBeGreaterThan(5);
      if (f.ids) expect(f.ids instanceof Set ? f.ids.size : Object.keys(f.ids).length, f.name).toBeGreaterThan(0);
    }
  });
});
