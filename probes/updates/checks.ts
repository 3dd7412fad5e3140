/** The updates probe's checks: catalogue data plus one small verdict over the facts each. */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown } from '../../src/sdk.js';
import type { FamilyFacts, PendingUpdate, UpdatesFacts } from './types.js';
import { APT_TIMERS, DPKG_STATUS } from './deb/family.js';

const MAX_EVIDENCE = 200;
const DAY = 86_400_000;

/** Checks other than the ones that skip without a family are evaluated with a family present. */
function family(f: UpdatesFacts): FamilyFacts {
  if (!f.family) throw new Error(f.unsupported ?? 'no package family');
  return f.family;
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

function updateText(u: PendingUpdate): string {
  const notes = [
    u.maskedSecurity ? `security fix ${u.maskedSecurity} masked by the newer candidate` : '',
    u.held ? 'held' : '',
    u.phased !== undefined ? `phased ${u.phased}%` : '',
  ].filter(Boolean);
  return `${u.name}:${u.arch} ${u.installed} -> ${u.candidate} (${u.archives.join(',')})${notes.length ? ' [' + notes.join('; ') + ']' : ''}`;
}

const updateEvidence = (us: readonly PendingUpdate[]): Evidence[] => us.slice(0, MAX_EVIDENCE).map((u) => ({ file: u.list, text: updateText(u) }));

function names(us: readonly { name: string }[], max = 10): string {
  const n = [...new Set(us.map((u) => u.name))];
  return n.slice(0, max).join(', ') + (n.length > max ? `, and ${n.length - max} more` : '');
}

/** Why pending updates cannot be computed, or undefined when they can. */
function listsProblem(fam: FamilyFacts): string | undefined {
  if (!fam.listsDirExists || fam.lists.length === 0) {
    return 'no package lists in /var/lib/apt/lists (apt update has never run, or the lists were removed, as container images do): pending updates cannot be computed';
  }
  const read = fam.lists.filter((l) => !l.problem || l.packages > 0);
  if (read.length === 0) return `no package list could be read: ${fam.lists.map((l) => `${l.path}: ${l.problem}`).slice(0, 3).join('; ')}`;
  return undefined;
}

function pinsNote(fam: FamilyFacts): string {
  if (fam.pins.length === 0) return '';
  const files = [...new Set(fam.pins.map((p) => p.file))];
  return `; note: ${fam.pins.length} apt pin(s) in ${files.join(', ')} are reported, not applied, and may change apt's candidates`;
}

const pinsEvidence = (fam: FamilyFacts): Evidence[] => fam.pins.map((p) => ({ file: p.file, line: p.line, text: `Package: ${p.package} / Pin: ${p.pin} / Pin-Priority: ${p.priority ?? '?'}` }));

function listsFailedNote(fam: FamilyFacts): string {
  const failed = fam.lists.filter((l) => l.problem && l.packages === 0);
  return failed.length ? `; ${failed.length} list(s) unreadable: ${failed.map((l) => `${l.path}: ${l.problem}`).slice(0, 2).join('; ')}` : '';
}

function securityUpdates(f: UpdatesFacts): Outcome {
  const fam = family(f);
  const lp = listsProblem(fam);
  if (lp) return unknown(lp);
  if (!fam.sources.some((s) => s.security && s.lists > 0)) {
    return unknown(`no security archive among the package lists (${fam.sources.map((s) => s.suite ?? s.codename ?? s.path).join(', ') || 'none'}): security updates cannot be told apart (see updates.metadata_fresh)`);
  }
  const sec = fam.updates.filter((u) => u.security);
  if (sec.length === 0) return pass(`no security updates pending for ${fam.installedCount} installed packages${listsFailedNote(fam)}${pinsNote(fam)}`, pinsEvidence(fam));
  const masked = sec.filter((u) => u.maskedSecurity).length;
  return fail(
    `${sec.length} security update(s) pending${masked ? ` (${masked} through a newer non-security candidate)` : ''}: ${names(sec)}${listsFailedNote(fam)}${pinsNote(fam)}`,
    [...updateEvidence(sec), ...pinsEvidence(fam)],
  );
}

function pendingUpdates(f: UpdatesFacts): Outcome {
  const fam = family(f);
  const lp = listsProblem(fam);
  if (lp) return unknown(lp);
  const us = fam.updates;
  if (us.length === 0) return pass(`all ${fam.installedCount} installed packages are at their candidate versions${listsFailedNote(fam)}${pinsNote(fam)}`, pinsEvidence(fam));
  const parts = [
    `${us.filter((u) => u.security).length} security`,
    `${us.filter((u) => u.held).length} held`,
    `${us.filter((u) => u.phased !== undefined).length} phased (apt may keep these back until this machine's phase comes)`,
  ];
  return fail(`${us.length} package update(s) pending (${parts.join(', ')}): ${names(us)}${listsFailedNote(fam)}${pinsNote(fam)}`, [...updateEvidence(us), ...pinsEvidence(fam)]);
}

function heldPackages(f: UpdatesFacts): Outcome {
  const fam = family(f);
  const allowed = new Set(f.options.allowedHolds);
  const unexpected = fam.holds.filter((h) => !allowed.has(h.name));
  const evidence = (hs: typeof fam.holds): Evidence[] =>
    hs.map((h) => ({ file: DPKG_STATUS, line: h.line, text: `${h.name}:${h.arch} ${h.version} held${h.pending ? `, holding back ${h.pending.candidate}${h.pending.security ? ' (a security update)' : ''}` : ''}` }));
  const expected = fam.holds.filter((h) => allowed.has(h.name));
  const expNote = expected.length ? `; expected holds (allowedHolds): ${names(expected)}` : '';
  if (unexpected.length === 0) return pass(`no unexpected held packages${expNote}`, evidence(expected));
  const sec = unexpected.filter((h) => h.pending?.security).length;
  return fail(`${unexpected.length} package(s) held: ${names(unexpected)}${sec ? ` (${sec} hold back a security update)` : ''}${expNote}`, evidence(fam.holds));
}

function rebootRequired(f: UpdatesFacts): Outcome {
  const r = family(f).reboot;
  const reasons: string[] = [];
  const evidence: Evidence[] = [];
  if (r.flagFile) {
    reasons.push(`/run/reboot-required exists${r.flagPackages.length ? ` (for ${r.flagPackages.slice(0, 10).join(', ')})` : ''}`);
    evidence.push({ file: '/run/reboot-required' }, ...r.flagPackages.slice(0, 50).map((p, i) => ({ file: '/run/reboot-required.pkgs', line: i + 1, text: p })));
  }
  if (r.newerKernel) {
    reasons.push(r.newerKernel);
    evidence.push({ file: DPKG_STATUS, text: r.newerKernel }, ...(r.runningSource?.startsWith('/') ? [{ file: r.runningSource, text: r.running ?? '' }] : []));
  }
  if (reasons.length) return fail(`a reboot is required: ${reasons.join('; ')}`, evidence);
  const running = r.running ? `running kernel ${r.running}` : 'running kernel unknown';
  return pass(`no reboot is pending (no /run/reboot-required; ${running}${r.kernelNote ? `; ${r.kernelNote}` : r.kernels.length ? ' is the newest installed' : ''})`);
}

const enabledValue = (v: string | undefined) => v !== undefined && v.trim() !== '' && v.trim() !== '0';

function automaticUpdates(f: UpdatesFacts): Outcome {
  const a = family(f).automatic;
  const missing: string[] = [];
  const evidence: Evidence[] = [];
  const s = (k: string) => a.settings[k];
  for (const k of ['APT::Periodic::Update-Package-Lists', 'APT::Periodic::Unattended-Upgrade']) {
    const v = s(k);
    if (v) evidence.push({ file: v.file, line: v.line, text: `${k} "${v.value}"` });
    if (!enabledValue(v?.value)) missing.push(v ? `${k} is "${v.value}"` : `${k} is not set`);
  }
  const en = s('APT::Periodic::Enable');
  if (en && !enabledValue(en.value)) {
    missing.push(`APT::Periodic::Enable is "${en.value}"`);
    evidence.push({ file: en.file, line: en.line, text: `APT::Periodic::Enable "${en.value}"` });
  }
  if (!a.unattendedUpgradesInstalled) missing.push('the unattended-upgrades package is not installed');
  const secOrigins = a.origins.filter((o) => /security/i.test(o.value));
  if (a.unattendedUpgradesInstalled) {
    if (secOrigins.length === 0) missing.push(a.origins.length ? 'no Unattended-Upgrade::Origins-Pattern / Allowed-Origins entry names a security archive' : 'no Unattended-Upgrade::Origins-Pattern or Allowed-Origins is configured');
    evidence.push(...secOrigins.slice(0, 5).map((o) => ({ file: o.file, line: o.line, text: o.value })));
  }
  for (const t of APT_TIMERS) {
    const st = a.timers[t];
    if (!st || st.masked) missing.push(`${t} is masked`);
    else if (!st.enabled) missing.push(`${t} is not enabled (no link in /etc/systemd/system/timers.target.wants)`);
    if (st?.path) evidence.push({ file: st.path });
  }
  const note = a.problems.length ? `; apt.conf problems: ${a.problems.slice(0, 3).join('; ')}` : '';
  if (missing.length === 0) return pass(`unattended-upgrades installs security updates daily (${secOrigins.length} security origin(s), ${APT_TIMERS.join(' and ')} enabled)${note}`, evidence);
  return fail(`automatic security updates are not fully configured: ${missing.join('; ')}${note}`, evidence);
}

function metadataFresh(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (!fam.listsDirExists || fam.lists.length === 0) {
    return fail('no package lists in /var/lib/apt/lists: apt update is not running (or the lists are deleted), so this host cannot learn of security updates');
  }
  const sec = fam.sources.filter((s) => s.security && s.lists > 0);
  if (sec.length === 0) {
    return fail(`no security archive among the package lists (${fam.sources.map((s) => s.suite ?? s.codename ?? s.path).join(', ') || 'no Release files'}): security updates never reach this host`);
  }
  const dated = sec.filter((s) => s.date !== undefined);
  if (dated.length === 0) return unknown(`the security archive Release files have no readable Date: ${sec.map((s) => `${s.path}${s.problem ? ` (${s.problem})` : ''}`).join('; ')}`);
  const newest = dated.reduce((a, b) => (b.date! > a.date! ? b : a));
  const ageDays = (f.now - newest.date!) / DAY;
  const ev: Evidence[] = dated.map((s) => ({ file: s.path, text: `Date: ${s.dateText ?? day(s.date!)}` }));
  const label = `${newest.suite ?? newest.codename ?? newest.path}`;
  if (ageDays > f.options.maxMetadataAgeDays) {
    return fail(`the security archive ${label} was last fetched with a Release dated ${day(newest.date!)}, ${Math.floor(ageDays)} days ago (more than ${f.options.maxMetadataAgeDays}): apt update is not running or failing`, ev);
  }
  const skew = ageDays < -1 ? ` (dated ${Math.ceil(-ageDays)} days in the future: check the clock)` : '';
  return pass(`the security archive ${label} Release is dated ${day(newest.date!)}, ${Math.max(0, Math.floor(ageDays))} day(s) old${skew}`, ev);
}

const CIS = 'CIS Debian Linux 12 Benchmark 1.9 "Ensure updates, patches, and additional security software are installed"';
const UU = 'Debian wiki UnattendedUpgrades; unattended-upgrades(8) and /etc/apt/apt.conf.d/50unattended-upgrades';

export const updatesChecks: readonly Check<UpdatesFacts>[] = [
  {
    id: 'updates.security_updates',
    title: 'No security updates are pending',
    severity: 'high',
    references: [CIS, 'Lynis PKGS-7392', 'Ubuntu update-notifier apt_check.py (security pockets, ESM origins)'],
    remediation: 'Install the pending security updates (apt-get update && apt-get upgrade, or let unattended-upgrades do it), then reboot if a kernel or libc was updated. On Kubernetes, drain the node first or use a reboot coordinator such as kured.',
    evaluate: securityUpdates,
  },
  {
    id: 'updates.pending_updates',
    title: 'All packages are at their candidate versions',
    severity: 'low',
    references: [CIS, 'Lynis PKGS-7392', 'apt list --upgradable'],
    remediation: 'Upgrade packages during a maintenance window (apt-get upgrade after draining the node).',
    evaluate: pendingUpdates,
  },
  {
    id: 'updates.held_packages',
    title: 'No unexpected packages are held back from upgrades',
    severity: 'low',
    references: ['apt-mark(8) hold', 'Kubernetes kubeadm install guide (holds kubelet, kubeadm, kubectl)', 'Lynis PKGS-7392'],
    remediation: 'Review the holds (apt-mark showhold). Release the ones that are not deliberate with apt-mark unhold, or add deliberate ones to probes.updates.allowedHolds.',
    evaluate: heldPackages,
  },
  {
    id: 'updates.reboot_required',
    title: 'No reboot is pending after updates',
    severity: 'medium',
    references: ['Lynis KRNL-5830', 'update-notifier-common /run/reboot-required', 'kured (Kubernetes Reboot Daemon)'],
    remediation: 'Drain the node and reboot it so that the updated kernel and libraries are in use; kured automates this from /run/reboot-required.',
    evaluate: rebootRequired,
  },
  {
    id: 'updates.automatic_updates',
    title: 'Security updates are installed automatically',
    severity: 'medium',
    references: [CIS, UU, 'apt.systemd.daily (APT::Periodic::Update-Package-Lists, APT::Periodic::Unattended-Upgrade)', 'Lynis PKGS-7392'],
    remediation: 'apt-get install unattended-upgrades; dpkg-reconfigure -plow unattended-upgrades (writes /etc/apt/apt.conf.d/20auto-upgrades with APT::Periodic::Update-Package-Lists "1" and APT::Periodic::Unattended-Upgrade "1"); keep the security origin in Unattended-Upgrade::Origins-Pattern; systemctl enable --now apt-daily.timer apt-daily-upgrade.timer.',
    evaluate: automaticUpdates,
  },
  {
    id: 'updates.metadata_fresh',
    title: 'Package metadata from the security archive is current',
    severity: 'medium',
    references: ['Debian security archive Release files (re-signed weekly, Valid-Until = Date + 7 days)', UU, 'Lynis PKGS-7392'],
    remediation: 'Make apt update run and succeed regularly (apt-daily.timer, or configuration management), with the security archive (deb.debian.org/debian-security <codename>-security, or <codename>-security on Ubuntu) in the sources.',
    evaluate: metadataFresh,
  },
];
