/**
 * Linux security modules: is a mandatory access control LSM (AppArmor or SELinux, the two that container
 * runtimes apply per container) active, is SELinux enforcing, does AppArmor have profiles in enforce mode.
 * securityfs (/sys/kernel/security) is a mount of its own and may be absent from the root the agent sees:
 * that makes the state `unknown`, never "disabled".
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../../src/sdk.js';
import type { KernelFacts, LsmFacts } from '../types.js';

const MAC_LSMS = ['apparmor', 'selinux'] as const;
/** MAC LSMs that runtimes do not apply per container: named in messages, not counted. */
const OTHER_MAC = ['smack', 'tomoyo'];

const CIS_DEB = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;
const CIS_DIL = (n: string) => `dev-sec cis-dil-benchmark cis-dil-benchmark-${n}`;
const K8S_APPARMOR = 'https://kubernetes.io/docs/tutorials/security/apparmor/';
const K8S_SELINUX = 'https://kubernetes.io/docs/tasks/configure-pod-container/security-context/';

type Use = { inUse: true; how: string } | { inUse: false; why: string } | { inUse: 'unknown'; why: string };

function listText(l: LsmFacts['list']): string | undefined {
  return l.ok ? l.names.join(',') : undefined;
}

function securityfsReason(lsm: LsmFacts): string {
  const l = lsm.list;
  if (l.ok) return '';
  if (l.missing) {
    return lsm.securityfsMounted
      ? `${l.file} does not exist although securityfs is mounted (a kernel older than 4.15 has no LSM list)`
      : `${l.file} does not exist: securityfs is not mounted at /sys/kernel/security in the scanned root (mount it into the agent's pod, or the host does not mount it); this says nothing about whether an LSM is active`;
  }
  return `${l.file}: ${l.reason}`;
}

export function appArmorUse(lsm: LsmFacts): Use {
  if (lsm.list.ok) {
    return lsm.list.names.includes('apparmor')
      ? { inUse: true, how: `apparmor is in the active LSM list (${listText(lsm.list)})` }
      : { inUse: false, why: `AppArmor is not an active LSM (active: ${listText(lsm.list)})` };
  }
  const e = lsm.apparmorEnabled;
  if (e.ok)
    return e.value
      ? { inUse: true, how: `${e.file} = Y` }
      : { inUse: false, why: `AppArmor is built in but disabled (${e.file} = N)` };
  if (e.missing) return { inUse: false, why: `AppArmor is not built into this kernel (no ${e.file})` };
  return { inUse: 'unknown', why: `${securityfsReason(lsm)}; ${e.file}: ${e.reason}` };
}

export function selinuxUse(lsm: LsmFacts): Use {
  if (lsm.list.ok) {
    return lsm.list.names.includes('selinux')
      ? { inUse: true, how: `selinux is in the active LSM list (${listText(lsm.list)})` }
      : { inUse: false, why: `SELinux is not an active LSM (active: ${listText(lsm.list)})` };
  }
  // selinuxfs is mounted at /sys/fs/selinux only when SELinux is enabled.
  const en = lsm.selinuxEnforce;
  if (en.ok || !en.missing) return { inUse: true, how: `${en.file} exists (selinuxfs is mounted)` };
  const cfg = lsm.selinuxConfig;
  if (cfg.ok && cfg.config.mode && cfg.config.mode !== 'disabled') {
    return {
      inUse: 'unknown',
      why: `${securityfsReason(lsm)}; ${en.file} does not exist, yet /etc/selinux/config sets SELINUX=${cfg.config.mode}`,
    };
  }
  return {
    inUse: false,
    why: `SELinux is not in use (no ${en.file}${cfg.ok && cfg.config.mode === 'disabled' ? ', SELINUX=disabled in /etc/selinux/config' : cfg.ok ? '' : ', no /etc/selinux/config'})`,
  };
}

function lsmActive(facts: KernelFacts): Outcome {
  const { lsm } = facts;
  const l = lsm.list;
  if (l.ok) {
    const mac = l.names.filter((n) => (MAC_LSMS as readonly string[]).includes(n));
    const evidence: Evidence[] = [{ file: l.file, text: l.names.join(',') }];
    if (mac.length > 0)
      return pass(
        `active LSMs: ${l.names.join(',')}; ${mac.join(' and ')} confine${mac.length > 1 ? '' : 's'} processes and containers`,
        evidence,
      );
    const others = l.names.filter((n) => OTHER_MAC.includes(n));
    return fail(
      `active LSMs: ${l.names.join(',')}: neither AppArmor nor SELinux is active, so containers run without a mandatory access control profile${others.length ? ` (${others.join(', ')} is active, but container runtimes do not apply per-container profiles with it)` : ''}`,
      evidence,
    );
  }
  // No list: a readable AppArmor module parameter or selinuxfs enforce file still tells whether one is on.
  const on = [
    ...(lsm.apparmorEnabled.ok && lsm.apparmorEnabled.value ? [`AppArmor (${lsm.apparmorEnabled.file} = Y)`] : []),
    ...(lsm.selinuxEnforce.ok
      ? [`SELinux (${lsm.selinuxEnforce.file} = ${lsm.selinuxEnforce.enforcing ? 1 : 0})`]
      : []),
  ];
  if (on.length > 0)
    return pass(`${on.join(' and ')} is active; the LSM list itself could not be read: ${securityfsReason(lsm)}`);
  return unknown(securityfsReason(lsm));
}

function selinuxEnforcing(facts: KernelFacts): Outcome {
  const { lsm } = facts;
  const use = selinuxUse(lsm);
  if (use.inUse === false) return skip(use.why);
  if (use.inUse === 'unknown') return unknown(use.why);
  const en = lsm.selinuxEnforce;
  const cfg = lsm.selinuxConfig;
  const cfgEvidence: Evidence[] =
    cfg.ok && cfg.config.line !== undefined
      ? [{ file: cfg.file, line: cfg.config.line, text: cfg.config.text ?? '' }]
      : [];
  if (!en.ok)
    return unknown(
      en.missing
        ? `${use.how}, but ${en.file} does not exist: selinuxfs is not mounted in the scanned root`
        : `${en.file}: ${en.reason}`,
      cfgEvidence,
    );
  const evidence: Evidence[] = [{ file: en.file, text: en.enforcing ? '1' : '0' }, ...cfgEvidence];
  const cfgMode = cfg.ok ? cfg.config.mode : undefined;
  if (!en.enforcing) {
    return fail(
      `SELinux is permissive (${en.file} = 0): denials are logged, not enforced${cfgMode ? `; /etc/selinux/config sets SELINUX=${cfgMode}` : ''}`,
      evidence,
    );
  }
  if (cfgMode && cfgMode !== 'enforcing') {
    return fail(
      `SELinux is enforcing now, but /etc/selinux/config sets SELINUX=${cfgMode}: the next boot will not enforce`,
      evidence,
    );
  }
  const cfgNote = cfg.ok
    ? cfg.config.problem
      ? `; /etc/selinux/config: ${cfg.config.problem}`
      : ''
    : cfg.missing
      ? ''
      : `; ${cfg.file}: ${cfg.reason}`;
  return pass(
    `SELinux is enforcing (${en.file} = 1${cfgMode ? `, SELINUX=${cfgMode} in /etc/selinux/config` : ''})${cfgNote}`,
    evidence,
  );
}

function appArmorProfiles(facts: KernelFacts): Outcome {
  const { lsm } = facts;
  const use = appArmorUse(lsm);
  if (use.inUse === false) return skip(use.why);
  if (use.inUse === 'unknown') return unknown(use.why);
  const p = lsm.apparmorProfiles;
  if (!p.ok) {
    return unknown(
      p.missing
        ? `${use.how}, but ${p.file} does not exist: securityfs is not mounted in the scanned root, so the loaded profiles cannot be read`
        : `${p.file}: ${p.reason}`,
    );
  }
  const { counts, total, malformedCount, malformed } = p.profiles;
  const enforcing = counts.enforce + counts.kill;
  const summary = `${total} profile${total === 1 ? '' : 's'} loaded: ${counts.enforce} enforce, ${counts.complain} complain${counts.kill ? `, ${counts.kill} kill` : ''}${counts.unconfined ? `, ${counts.unconfined} unconfined` : ''}`;
  const garbled = malformedCount
    ? `; ${malformedCount} line${malformedCount === 1 ? '' : 's'} not understood (line ${malformed[0]!.line})`
    : '';
  const evidence: Evidence[] = [{ file: p.file, text: summary }];
  if (enforcing > 0) return pass(`${summary}${garbled}`, evidence);
  if (total === 0)
    return fail(
      `AppArmor is active but no profile is loaded: nothing is confined (runtimes load their default profile, such as cri-containerd.apparmor.d, when they start a container)${garbled}`,
      evidence,
    );
  return fail(`${summary}: no profile is in enforce mode, so AppArmor only logs${garbled}`, evidence);
}

export const lsmChecks: readonly Check<KernelFacts>[] = [
  {
    id: 'kernel.lsm_active',
    title: 'A mandatory access control LSM (AppArmor or SELinux) is active',
    severity: 'high',
    references: [CIS_DEB('1.3.1.2'), CIS_DIL('1.6.1.1'), K8S_APPARMOR, K8S_SELINUX],
    remediation:
      'Boot with AppArmor (Debian, Ubuntu, SUSE) or SELinux (RHEL, Fedora, Bottlerocket) in the LSM list: for AppArmor add "apparmor=1 security=apparmor" (or lsm=...,apparmor) to the kernel command line and install the apparmor package; for SELinux set SELINUX=enforcing in /etc/selinux/config and relabel. Mount securityfs (/sys/kernel/security) into the agent so the list can be read.',
    evaluate: lsmActive,
  },
  {
    id: 'kernel.selinux_enforcing',
    title: 'SELinux is enforcing',
    severity: 'medium',
    references: [CIS_DIL('1.6.2.2'), K8S_SELINUX],
    remediation:
      'Set SELINUX=enforcing in /etc/selinux/config and run "setenforce 1"; find what permissive mode let through with "ausearch -m avc" first.',
    evaluate: selinuxEnforcing,
  },
  {
    id: 'kernel.apparmor_profiles',
    title: 'AppArmor has profiles in enforce mode',
    severity: 'medium',
    references: [CIS_DEB('1.3.1.3'), CIS_DEB('1.3.1.4'), K8S_APPARMOR],
    remediation:
      'Put profiles in enforce mode ("aa-enforce /etc/apparmor.d/*"), keep the apparmor service enabled so profiles load at boot, and check "aa-status".',
    evaluate: appArmorProfiles,
  },
];
