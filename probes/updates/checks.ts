/** The updates probe's checks: catalogue data plus one small verdict over the facts each. */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip, DPKG_STATUS_PATH } from '../../src/sdk.js';
import type { DebFamilyFacts, FamilyFacts, PendingUpdate, RpmFamilyFacts, UpdatesFacts } from './types.js';
import { APT_TIMERS } from './deb/family.js';
import { describeImage, OSTREE_STAGED } from './image.js';
import { osLabel } from './os.js';
import { componentCycle, eolVerdict, EOL_DATA_VERSION, EOL_SOON_DAYS, lookupEol, osCycle } from './eol.js';
import type { EolRow, EolVerdict } from './eol.js';
import type { ComponentFact } from './components.js';
import { RPM_AUTO_TOOLS } from './rpm/automatic.js';
import { parseBool } from './rpm/repos.js';

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
    u.pins?.length ? `pinned: ${u.pins.map((r) => (r.line > 0 ? `${r.file}:${r.line}` : r.file)).join(', ')}` : '',
    ...(u.advisories ?? []).slice(0, 5).map((a) => `${a.id}${a.severity ? ` ${a.severity}` : ''}`),
  ].filter(Boolean);
  return `${u.name}:${u.arch} ${u.installed} -> ${u.candidate} (${u.archives.join(',')})${notes.length ? ' [' + notes.join('; ') + ']' : ''}`;
}

const updateEvidence = (us: readonly PendingUpdate[]): Evidence[] =>
  us.slice(0, MAX_EVIDENCE).map((u) => ({ file: u.list, text: updateText(u) }));

function names(us: readonly { name: string }[], max = 10): string {
  const n = [...new Set(us.map((u) => u.name))];
  return n.slice(0, max).join(', ') + (n.length > max ? `, and ${n.length - max} more` : '');
}

/** Why pending updates cannot be computed, or undefined when they can. */
function listsProblem(fam: DebFamilyFacts): string | undefined {
  if (!fam.listsDirExists || fam.lists.length === 0) {
    return 'no package lists in /var/lib/apt/lists (apt update has never run, or the lists were removed, as container images do): pending updates cannot be computed';
  }
  const read = fam.lists.filter((l) => !l.problem || l.packages > 0);
  if (read.length === 0)
    return `no package list could be read: ${fam.lists
      .map((l) => `${l.path}: ${l.problem}`)
      .slice(0, 3)
      .join('; ')}`;
  return undefined;
}

/** Pins are applied as apt applies them; the note names the candidates they change and preferences apt rejects. */
function pinsNote(fam: DebFamilyFacts): string {
  const { effects, problems } = fam.pinPolicy;
  const parts: string[] = [];
  if (effects.length) {
    const shown = effects
      .slice(0, 5)
      .map((e) => `${e.name} ${e.candidate ?? 'no candidate'} instead of ${e.unpinned ?? 'none'}`);
    parts.push(
      `apt pins change the candidate of ${effects.length} package(s): ${shown.join(', ')}${effects.length > 5 ? ', ...' : ''}`,
    );
  }
  if (problems.length)
    parts.push(
      `preferences problems: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`,
    );
  return parts.length ? '; ' + parts.join('; ') : '';
}

/** file:line of each pin that changes a candidate, with what it changes. */
function pinsEvidence(fam: DebFamilyFacts, only?: ReadonlySet<string>): Evidence[] {
  const out: Evidence[] = [];
  for (const e of fam.pinPolicy.effects) {
    if (only && !only.has(e.name)) continue;
    for (const r of e.pins) {
      if (out.length >= MAX_EVIDENCE) return out;
      const what = `${e.name}:${e.arch} candidate ${e.candidate ?? 'none'} instead of ${e.unpinned ?? 'none'} (installed ${e.installed})${e.securityWithheld ? `, withholding security fix ${e.securityWithheld}` : ''}`;
      out.push(
        r.line > 0
          ? { file: r.file, line: r.line, text: `${r.text}: ${what}` }
          : { file: r.file, text: `${r.text}: ${what}` },
      );
    }
  }
  return out;
}

function listsFailedNote(fam: DebFamilyFacts): string {
  const failed = fam.lists.filter((l) => l.problem && l.packages === 0);
  return failed.length
    ? `; ${failed.length} list(s) unreadable: ${failed
        .map((l) => `${l.path}: ${l.problem}`)
        .slice(0, 2)
        .join('; ')}`
    : '';
}

function securityUpdates(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (fam.family === 'rpm') return rpmSecurityUpdates(fam);
  const lp = listsProblem(fam);
  if (lp) return unknown(lp);
  if (!fam.sources.some((s) => s.security && s.lists > 0)) {
    return unknown(
      `no security archive among the package lists (${fam.sources.map((s) => s.suite ?? s.codename ?? s.path).join(', ') || 'none'}): security updates cannot be told apart (see updates.metadata_fresh)`,
    );
  }
  const sec = fam.updates.filter((u) => u.security);
  // A pin that keeps a security fix from being the candidate leaves the host as exposed as a pending update.
  const withheld = fam.pinPolicy.effects.filter((e) => e.securityWithheld);
  if (sec.length === 0 && withheld.length === 0)
    return pass(
      `no security updates pending for ${fam.installedCount} installed packages${listsFailedNote(fam)}${pinsNote(fam)}`,
      pinsEvidence(fam),
    );
  const masked = sec.filter((u) => u.maskedSecurity).length;
  const what = [
    sec.length
      ? `${sec.length} security update(s) pending${masked ? ` (${masked} through a newer non-security candidate)` : ''}: ${names(sec)}`
      : '',
    withheld.length ? `${withheld.length} security fix(es) withheld by apt pins: ${names(withheld)}` : '',
  ].filter(Boolean);
  return fail(`${what.join('; ')}${listsFailedNote(fam)}${pinsNote(fam)}`, [
    ...updateEvidence(sec),
    ...pinsEvidence(fam),
  ]);
}

function pendingUpdates(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (fam.family === 'rpm') return rpmPendingUpdates(fam);
  const lp = listsProblem(fam);
  if (lp) return unknown(lp);
  const us = fam.updates;
  if (us.length === 0)
    return pass(
      `all ${fam.installedCount} installed packages are at their candidate versions${listsFailedNote(fam)}${pinsNote(fam)}`,
      pinsEvidence(fam),
    );
  const parts = [
    `${us.filter((u) => u.security).length} security`,
    `${us.filter((u) => u.held).length} held`,
    `${us.filter((u) => u.phased !== undefined).length} phased (apt may keep these back until this machine's phase comes)`,
  ];
  return fail(
    `${us.length} package update(s) pending (${parts.join(', ')}): ${names(us)}${listsFailedNote(fam)}${pinsNote(fam)}`,
    [...updateEvidence(us), ...pinsEvidence(fam)],
  );
}

function heldPackages(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (fam.family === 'rpm' && fam.unreadable) return unknown(`the installed set is unknown: ${fam.unreadable}`);
  const allowed = new Set(f.options.allowedHolds);
  const unexpected = fam.holds.filter((h) => !allowed.has(h.name));
  const evidence = (hs: typeof fam.holds): Evidence[] =>
    hs.map((h) => ({
      file: h.file ?? DPKG_STATUS_PATH,
      line: h.line,
      text: `${h.name}:${h.arch} ${h.version} held${h.pending ? `, holding back ${h.pending.candidate}${h.pending.security ? ' (a security update)' : ''}` : ''}`,
    }));
  const expected = fam.holds.filter((h) => allowed.has(h.name));
  const expNote = expected.length ? `; expected holds (allowedHolds): ${names(expected)}` : '';
  const what = fam.family === 'rpm' ? ` (dnf versionlock: ${fam.versionlock ?? 'no versionlock.list'})` : '';
  if (unexpected.length === 0) return pass(`no unexpected held packages${what}${expNote}`, evidence(expected));
  const sec = unexpected.filter((h) => h.pending?.security).length;
  return fail(
    `${unexpected.length} package(s) held${what}: ${names(unexpected)}${sec ? ` (${sec} hold back a security update)` : ''}${expNote}`,
    evidence(fam.holds),
  );
}

function rebootRequired(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (fam.family === 'rpm') return rpmReboot(fam);
  const r = fam.reboot;
  const reasons: string[] = [];
  const evidence: Evidence[] = [];
  if (r.flagFile) {
    reasons.push(
      `/run/reboot-required exists${r.flagPackages.length ? ` (for ${r.flagPackages.slice(0, 10).join(', ')})` : ''}`,
    );
    evidence.push(
      { file: '/run/reboot-required' },
      ...r.flagPackages.slice(0, 50).map((p, i) => ({ file: '/run/reboot-required.pkgs', line: i + 1, text: p })),
    );
  }
  if (r.newerKernel) {
    reasons.push(r.newerKernel);
    evidence.push(
      { file: DPKG_STATUS_PATH, text: r.newerKernel },
      ...(r.runningSource?.startsWith('/') ? [{ file: r.runningSource, text: r.running ?? '' }] : []),
    );
  }
  if (reasons.length) return fail(`a reboot is required: ${reasons.join('; ')}`, evidence);
  // Without the running kernel only /run/reboot-required speaks, and only update-notifier-common writes it.
  if (!r.running)
    return unknown(
      `no /run/reboot-required, but the running kernel release is unknown (no /proc/sys/kernel/osrelease), so a newer installed kernel cannot be ruled out`,
    );
  return pass(
    `no reboot is pending (no /run/reboot-required; running kernel ${r.running}${r.kernelNote ? `; ${r.kernelNote}` : r.kernels.length ? ' is the newest installed' : ''})`,
  );
}

const enabledValue = (v: string | undefined) => v !== undefined && v.trim() !== '' && v.trim() !== '0';

function automaticUpdates(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (fam.family === 'rpm') return rpmAutomaticUpdates(fam);
  const a = fam.automatic;
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
    if (secOrigins.length === 0)
      missing.push(
        a.origins.length
          ? 'no Unattended-Upgrade::Origins-Pattern / Allowed-Origins entry names a security archive'
          : 'no Unattended-Upgrade::Origins-Pattern or Allowed-Origins is configured',
      );
    evidence.push(...secOrigins.slice(0, 5).map((o) => ({ file: o.file, line: o.line, text: o.value })));
  }
  for (const t of APT_TIMERS) {
    const st = a.timers[t];
    if (!st || st.masked) missing.push(`${t} is masked`);
    else if (!st.enabled) missing.push(`${t} is not enabled (no link in /etc/systemd/system/timers.target.wants)`);
    if (st?.path) evidence.push({ file: st.path });
  }
  const note = a.problems.length ? `; apt.conf problems: ${a.problems.slice(0, 3).join('; ')}` : '';
  if (missing.length === 0)
    return pass(
      `unattended-upgrades installs security updates daily (${secOrigins.length} security origin(s), ${APT_TIMERS.join(' and ')} enabled)${note}`,
      evidence,
    );
  return fail(`automatic security updates are not fully configured: ${missing.join('; ')}${note}`, evidence);
}

function metadataFresh(f: UpdatesFacts): Outcome {
  const fam = family(f);
  if (fam.family === 'rpm') return rpmMetadataFresh(fam, f);
  if (!fam.listsDirExists || fam.lists.length === 0) {
    return fail(
      'no package lists in /var/lib/apt/lists: apt update is not running (or the lists are deleted), so this host cannot learn of security updates',
    );
  }
  const sec = fam.sources.filter((s) => s.security && s.lists > 0);
  if (sec.length === 0) {
    return fail(
      `no security archive among the package lists (${fam.sources.map((s) => s.suite ?? s.codename ?? s.path).join(', ') || 'no Release files'}): security updates never reach this host`,
    );
  }
  const dated = sec.filter((s) => s.date !== undefined);
  if (dated.length === 0)
    return unknown(
      `the security archive Release files have no readable Date: ${sec.map((s) => `${s.path}${s.problem ? ` (${s.problem})` : ''}`).join('; ')}`,
    );
  const newest = dated.reduce((a, b) => (b.date! > a.date! ? b : a));
  const ageDays = (f.now - newest.date!) / DAY;
  const ev: Evidence[] = dated.map((s) => ({ file: s.path, text: `Date: ${s.dateText ?? day(s.date!)}` }));
  const label = `${newest.suite ?? newest.codename ?? newest.path}`;
  if (ageDays > f.options.maxMetadataAgeDays) {
    return fail(
      `the security archive ${label} was last fetched with a Release dated ${day(newest.date!)}, ${Math.floor(ageDays)} days ago (more than ${f.options.maxMetadataAgeDays}): apt update is not running or failing`,
      ev,
    );
  }
  const skew = ageDays < -1 ? ` (dated ${Math.ceil(-ageDays)} days in the future: check the clock)` : '';
  return pass(
    `the security archive ${label} Release is dated ${day(newest.date!)}, ${Math.max(0, Math.floor(ageDays))} day(s) old${skew}`,
    ev,
  );
}

/** Package checks apply to hosts with a package family; image-based OSes and unknown hosts skip them. */
function needFamily(fn: (f: UpdatesFacts) => Outcome): (f: UpdatesFacts) => Outcome {
  return (f) => {
    if (f.image)
      return skip(
        `${describeImage(f.image)}: an image-based OS is updated as a whole image, not package by package (see updates.minimal_os)`,
      );
    if (!f.family) return skip(f.unsupported ?? 'no supported package manager');
    return fn(f);
  };
}

// ---- RPM family ----

const enabledRepos = (fam: RpmFamilyFacts) => fam.repos.filter((r) => r.enabled);
const readRepos = (fam: RpmFamilyFacts) => enabledRepos(fam).filter((r) => r.primary && !r.primary.problem);
const ids = (rs: readonly { id: string }[], max = 8) =>
  [...rs]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, max)
    .map((r) => r.id)
    .join(', ') + (rs.length > max ? `, and ${rs.length - max} more` : '');

/** Why pending updates cannot be computed on an RPM host, or undefined when they can. */
function rpmCacheProblem(fam: RpmFamilyFacts): string | undefined {
  if (fam.unreadable) return `the installed set is unknown: ${fam.unreadable}`;
  const en = enabledRepos(fam);
  if (en.length === 0)
    return `no enabled repository in the dnf/yum configuration (${fam.repos.length} defined): this host receives no updates through dnf`;
  if (readRepos(fam).length > 0) return undefined;
  const cached = en.filter((r) => r.cache);
  if (cached.length === 0) {
    return `no dnf/yum metadata cache for the ${en.length} enabled repositories (${ids(en)}) in ${fam.cacheRoots.length ? fam.cacheRoots.join(', ') : '/var/cache/dnf, /var/cache/libdnf5 or /var/cache/yum'}: pending updates cannot be computed until dnf makecache runs (the probe never runs dnf)`;
  }
  const why = cached.map((r) => `${r.id}: ${r.primary?.problem ?? r.problems[0] ?? 'no primary metadata'}`);
  return `no cached primary metadata could be read: ${why.slice(0, 3).join('; ')}`;
}

/** What makes the RPM result partial: repositories without a cache, modular repositories. */
function rpmNotes(fam: RpmFamilyFacts): string {
  const en = enabledRepos(fam);
  const notes: string[] = [];
  const missing = en.filter((r) => !r.primary || r.primary.problem);
  if (missing.length)
    notes.push(
      `${missing.length} enabled repositor${missing.length === 1 ? 'y has' : 'ies have'} no readable cache (${ids(missing)})`,
    );
  const modular = en.filter((r) => r.modular);
  if (modular.length) notes.push(`modular filtering is not applied (modules metadata in ${ids(modular)})`);
  if (fam.excludes.length) notes.push(`dnf.conf excludes ${fam.excludes.slice(0, 5).join(' ')}`);
  return notes.length ? `; note: ${notes.join('; ')}` : '';
}

function rpmSecurityUpdates(fam: RpmFamilyFacts): Outcome {
  const cp = rpmCacheProblem(fam);
  if (cp) return unknown(cp);
  const withInfo = readRepos(fam).filter((r) => r.updateinfo && !r.updateinfo.problem);
  if (withInfo.length === 0) {
    const bad = readRepos(fam)
      .filter((r) => r.updateinfo?.problem)
      .map((r) => `${r.id}: ${r.updateinfo!.problem}`);
    return unknown(
      `no cached repository has readable updateinfo (security advisories)${bad.length ? `: ${bad.slice(0, 3).join('; ')}` : ` among ${ids(readRepos(fam))}`}: security updates cannot be told apart (see updates.pending_updates)`,
    );
  }
  const sec = fam.updates.filter((u) => u.security);
  const pendingNames = new Set(sec.map((u) => u.name));
  const unavailable = fam.advisories.filter((a) => !pendingNames.has(a.name));
  const unavailableNote = unavailable.length
    ? `; ${unavailable.length} security advisory package(s) newer than installed have no installable build in the enabled repositories (${names(
        unavailable.map((a) => ({ name: `${a.id} ${a.nevra}` })),
        5,
      )})`
    : '';
  const advEvidence: Evidence[] = fam.advisories.slice(0, MAX_EVIDENCE).map((a) => ({
    file: a.file,
    text: `${a.id}${a.severity ? ` ${a.severity}` : ''}/Sec. ${a.nevra} (installed ${a.installed})`,
  }));
  const src = `advisories from ${ids(withInfo)}`;
  if (sec.length === 0)
    return pass(
      `no security updates pending for ${fam.installedCount} installed packages (${src})${unavailableNote}${rpmNotes(fam)}`,
      advEvidence,
    );
  const bySev = new Map<string, number>();
  for (const u of sec) {
    const s = u.advisories?.[0]?.severity ?? 'no severity';
    bySev.set(s, (bySev.get(s) ?? 0) + 1);
  }
  const sevText = [...bySev.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
  return fail(
    `${sec.length} security update(s) pending (${sevText}): ${names(sec)}${unavailableNote}${rpmNotes(fam)}`,
    [...updateEvidence(sec), ...advEvidence],
  );
}

function rpmPendingUpdates(fam: RpmFamilyFacts): Outcome {
  const cp = rpmCacheProblem(fam);
  if (cp) return unknown(cp);
  const us = fam.updates;
  const repos = `repositories ${ids(readRepos(fam))}`;
  if (us.length === 0)
    return pass(
      `all ${fam.installedCount} installed packages are at the newest versions of the ${repos}${rpmNotes(fam)}`,
    );
  return fail(
    `${us.length} package update(s) pending (${us.filter((u) => u.security).length} security) from the ${repos}: ${names(us)}${rpmNotes(fam)}`,
    updateEvidence(us),
  );
}

function rpmReboot(fam: RpmFamilyFacts): Outcome {
  const r = fam.reboot;
  if (r.newerKernel)
    return fail(`a reboot is required: ${r.newerKernel}`, [
      { file: fam.database, text: r.newerKernel },
      ...(r.runningSource?.startsWith('/') ? [{ file: r.runningSource, text: r.running ?? '' }] : []),
    ]);
  if (fam.unreadable) return unknown(`the installed kernels are unknown: ${fam.unreadable}`);
  if (!r.running) return unknown('the running kernel release is unknown (no /proc/sys/kernel/osrelease)');
  if (r.kernelNote) return pass(`no newer kernel is installed (running ${r.running}; ${r.kernelNote})`);
  return pass(`the running kernel ${r.running} is the newest installed (${r.kernels.length} kernel package(s))`);
}

function rpmAutomaticUpdates(fam: RpmFamilyFacts): Outcome {
  const a = fam.automatic;
  const evidence: Evidence[] = [];
  const present = a.tools.filter((t) => t.installed || (fam.unreadable !== undefined && t.configs.length > 0));
  for (const t of present) {
    if (t.applyUpdates)
      evidence.push({
        file: t.applyUpdates.file,
        line: t.applyUpdates.line,
        text: `apply_updates = ${t.applyUpdates.value}`,
      });
    if (t.upgradeType)
      evidence.push({
        file: t.upgradeType.file,
        line: t.upgradeType.line,
        text: `${t.id === 'yum-cron' ? 'update_cmd' : 'upgrade_type'} = ${t.upgradeType.value}`,
      });
    for (const u of t.units)
      if (u.path) evidence.push({ file: u.path, text: u.masked ? `${u.unit} masked` : `${u.unit} enabled` });
  }
  const note = a.problems.length ? `; config problems: ${a.problems.slice(0, 3).join('; ')}` : '';
  const applying = present.filter((t) => t.applies);
  if (applying.length) {
    const t = applying[0]!;
    const unit = t.units
      .filter((u) => u.enabled)
      .map((u) => u.unit)
      .join(', ');
    const type = t.upgradeType?.value ?? 'default';
    return pass(
      `${t.id} installs updates automatically (${unit} enabled; ${t.id === 'yum-cron' ? 'update_cmd' : 'upgrade_type'} = ${type}${t.units.some((u) => u.enabled && u.installs) ? '' : `, apply_updates = ${t.applyUpdates?.value}`})${note}`,
      evidence,
    );
  }
  if (present.length === 0) {
    const pkgs = RPM_AUTO_TOOLS.flatMap((t) => t.packages).join(', ');
    return fail(
      `no automatic update tool is installed (none of ${pkgs}${fam.unreadable ? ' has a configuration file; the installed set is unknown' : ''})${note}`,
      evidence,
    );
  }
  const why = present.map((t) => {
    const enabled = t.units.filter((u) => u.enabled);
    const parts: string[] = [];
    if (enabled.length === 0)
      parts.push(`no unit enabled (${t.units.map((u) => (u.masked ? `${u.unit} masked` : u.unit)).join(', ')})`);
    if (!parseBool(t.applyUpdates?.value, false) && !enabled.some((u) => u.installs))
      parts.push(
        t.applyUpdates
          ? `apply_updates = ${t.applyUpdates.value} (downloads or notifies only)`
          : 'apply_updates is not set (default no: downloads or notifies only)',
      );
    return `${t.id}: ${parts.join('; ')}`;
  });
  return fail(`automatic updates are not installing updates: ${why.join('; ')}${note}`, evidence);
}

function rpmMetadataFresh(fam: RpmFamilyFacts, f: UpdatesFacts): Outcome {
  const en = enabledRepos(fam);
  if (en.length === 0)
    return fail(
      `no enabled repository in the dnf/yum configuration (${fam.repos.length} defined): this host cannot learn of updates`,
    );
  const dated = en.filter((r) => r.cache?.generated !== undefined);
  if (dated.length === 0) {
    if (en.some((r) => r.cache))
      return unknown(
        `the cached repomd.xml files have no readable timestamp: ${en
          .filter((r) => r.cache)
          .map((r) => `${r.cache!.repomd}${r.problems[0] ? ` (${r.problems[0]})` : ''}`)
          .slice(0, 3)
          .join('; ')}`,
      );
    return fail(
      `no dnf/yum metadata cache for the ${en.length} enabled repositories (${ids(en)}): dnf makecache (dnf-makecache.timer) is not running or the cache was cleaned, so this host does not learn of updates`,
    );
  }
  // Repositories with advisories are the ones republished with every update batch: judge by them when there are any.
  const sec = dated.filter((r) => r.updateinfo);
  const judged = sec.length ? sec : dated;
  const newest = judged.reduce((a, b) => (b.cache!.generated! > a.cache!.generated! ? b : a));
  const gen = newest.cache!.generated!;
  const ageDays = (f.now - gen) / DAY;
  const ev: Evidence[] = judged.map((r) => ({
    file: r.cache!.repomd,
    text: `${r.id}: generated ${day(r.cache!.generated!)}${r.cache!.revision ? `, revision ${r.cache!.revision}` : ''}; cached file modified ${day(r.cache!.fetched)}`,
  }));
  const which = sec.length ? 'repository with security advisories' : 'cached repository (none has updateinfo)';
  const uncached = en.filter((r) => !r.cache);
  const uncachedNote = uncached.length
    ? `; ${uncached.length} enabled repositor${uncached.length === 1 ? 'y has' : 'ies have'} no cache (${ids(uncached)})`
    : '';
  if (ageDays > f.options.maxMetadataAgeDays) {
    return fail(
      `the newest ${which}, ${newest.id}, has metadata generated ${day(gen)}, ${Math.floor(ageDays)} days ago (more than ${f.options.maxMetadataAgeDays}): dnf makecache is not running or failing${uncachedNote}`,
      ev,
    );
  }
  const skew = ageDays < -1 ? ` (dated ${Math.ceil(-ageDays)} days in the future: check the clock)` : '';
  return pass(
    `the ${which} ${newest.id} has metadata generated ${day(gen)}, ${Math.max(0, Math.floor(ageDays))} day(s) old${skew}${uncachedNote}`,
    ev,
  );
}

/** Reboot required on ostree images: a staged deployment waits for the next boot. */
function rebootRequiredAny(f: UpdatesFacts): Outcome {
  const i = f.image;
  if (i?.staged !== undefined) {
    if (i.staged)
      return fail(`a reboot is required: an ostree deployment is staged for the next boot (${describeImage(i)})`, [
        { file: OSTREE_STAGED },
      ]);
    return pass(`no ostree deployment is staged (${describeImage(i)})`);
  }
  return needFamily(rebootRequired)(f);
}

// ---- OS class and end of life ----

const MINIMAL_OSES = 'Flatcar, Bottlerocket, Talos, Container-Optimized OS, Fedora CoreOS';

function minimalOs(f: UpdatesFacts): Outcome {
  const c = f.osClass;
  if (c.kind === 'unknown')
    return unknown('no readable os-release (/etc/os-release, /usr/lib/os-release): the OS cannot be identified');
  const ev: Evidence[] = [
    {
      file: f.os.file,
      text: `ID=${f.os.id}${f.os.variantId ? ` VARIANT_ID=${f.os.variantId}` : ''}${f.os.versionId ? ` VERSION_ID=${f.os.versionId}` : ''}`,
    },
  ];
  if (c.kind === 'minimal') {
    const img = f.image
      ? `; ${describeImage(f.image)}${f.image.notes.length ? ` (${f.image.notes.join('; ')})` : ''}`
      : '';
    return pass(`${osLabel(f.os)} is a minimal, container-optimised OS: ${c.reason}${img}`, ev);
  }
  return fail(
    `${osLabel(f.os)} is a general-purpose distribution: its larger attack surface needs hardening of its own; an OS designed only to run containers (${MINIMAL_OSES}) has a smaller one`,
    ev,
  );
}

interface Assessed {
  what: string;
  row: EolRow;
  date: string | null;
  verdict: EolVerdict;
  /**
   * A distribution's own build (Debian's docker.io, Ubuntu's containerd): the distribution patches it for the life
   * of the OS release, so `date` and `verdict` are the OS release's, and the upstream end is evidence.
   */
  distribution: boolean;
  evidence: Evidence[];
  note: string;
}

type Assessment = { ok: true; a: Assessed } | { ok: false; outcome: Outcome };

const when = (v: EolVerdict) =>
  v.days === undefined ? '' : v.days < 0 ? ` (${-v.days} days ago)` : ` (in ${v.days} days)`;

function assessOs(f: UpdatesFacts): Assessment {
  const os = f.os;
  if (!os.id)
    return { ok: false, outcome: unknown('no readable os-release: the OS release and its end of support are unknown') };
  const label = osLabel(os);
  if (f.osClass.rolling) {
    return {
      ok: false,
      outcome: skip(
        `${label}: ${f.osClass.name} supports the newest release of each channel rather than releases with end dates; keep the image updated${f.image ? ` (${describeImage(f.image)})` : ''}`,
      ),
    };
  }
  const cyc = osCycle(os.id, os.versionId);
  const row = cyc && lookupEol(cyc.product, cyc.cycle);
  if (!row)
    return {
      ok: false,
      outcome: unknown(
        `no end-of-support data for ${label} (ID=${os.id}, VERSION_ID=${os.versionId || 'unset'}) in the table (data ${EOL_DATA_VERSION})`,
      ),
    };
  let date = row.eol;
  let note = row.standard ? debianLtsNote(row.standard, f.now) : '';
  if (row.product === 'ubuntu' && row.extended) {
    if (f.esm) {
      date = row.extended;
      note = `; through Ubuntu Pro ESM (configured on this host), which followed standard support on ${row.eol}`;
    } else note = `; Ubuntu Pro ESM would extend security updates to ${row.extended}`;
  } else if (row.extended) note += `; paid extended support until ${row.extended}`;
  return {
    ok: true,
    a: {
      what: label,
      row,
      date,
      verdict: eolVerdict(date, f.now),
      distribution: false,
      evidence: [{ file: os.file, text: `ID=${os.id} VERSION_ID=${os.versionId}` }, { text: `source: ${row.source}` }],
      note,
    },
  };
}

/** Debian LTS follows the Debian security team's support; the date it took over, in words that state no problem. */
function debianLtsNote(standard: string, now: number): string {
  return Date.parse(standard) < now
    ? `; Debian LTS took over its security support from the Debian security team on ${standard}`
    : `; the Debian security team supports it until ${standard}, Debian LTS after that`;
}

const componentName = (c: ComponentFact) => `${c.package ?? c.component}${c.version ? ` ${c.version}` : ''}`;

function assessComponent(c: ComponentFact, f: UpdatesFacts): Assessment {
  if (c.builder === 'image' && !c.version)
    return { ok: false, outcome: skip(c.problem ?? `${c.component} is part of the OS image`) };
  if (!c.version)
    return {
      ok: false,
      outcome: unknown(`${c.component}: ${c.problem ?? 'version unknown'}`, c.file ? [{ file: c.file }] : []),
    };
  const cycle = componentCycle(c.product, c.version);
  const row = cycle && lookupEol(c.product, cycle);
  if (!row)
    return {
      ok: false,
      outcome: unknown(
        `${componentName(c)}: no end-of-support data for ${c.product} ${cycle ?? '(unparseable version)'} in the table (data ${EOL_DATA_VERSION})`,
        c.file ? [{ file: c.file, ...(c.line ? { line: c.line } : {}) }] : [],
      ),
    };
  const ev: Evidence[] = [
    {
      ...(c.file ? { file: c.file } : {}),
      ...(c.line ? { line: c.line } : {}),
      text: `${c.package ? `Package: ${c.package} ` : ''}Version: ${c.version}`,
    },
    { text: `source: ${row.source}` },
  ];
  const what = `${componentName(c)} (${c.product} ${row.cycle})`;
  if (c.builder === 'distribution') return distributionBuild(what, row, ev, f);
  const note = (row.note ? `; ${row.note}` : '') + (c.builder === 'image' ? '; part of the OS image' : '');
  return {
    ok: true,
    a: { what, row, date: row.eol, verdict: eolVerdict(row.eol, f.now), distribution: false, evidence: ev, note },
  };
}

/**
 * A distribution's build is maintained by the distribution for the life of the OS release (security fixes are
 * backported to it), so its end of support is the OS release's, not the upstream branch's.
 */
function distributionBuild(what: string, row: EolRow, ev: Evidence[], f: UpdatesFacts): Assessment {
  const upstream = row.eol
    ? `upstream ${row.product} ${row.cycle} is maintained until ${row.eol}${row.note ? ` (${row.note})` : ''}`
    : `upstream ${row.product} ${row.cycle} has no announced end`;
  const evidence = [
    ...ev,
    { text: `${upstream}; the distribution backports fixes to its build for the life of the OS release` },
  ];
  const os = assessOs(f);
  if (!os.ok) {
    const why = os.outcome.message || 'the OS release has no end-of-support data';
    return {
      ok: false,
      outcome: unknown(
        `${what}: a distribution build, supported for the life of the OS release, whose end is not known: ${why}`,
        evidence,
      ),
    };
  }
  const a = os.a;
  return {
    ok: true,
    a: {
      what: `${what}, built for ${a.what},`,
      row,
      date: a.date,
      verdict: a.verdict,
      distribution: true,
      evidence: [...evidence, ...a.evidence],
      note: ' with the OS release',
    },
  };
}

function eolText(a: Assessed): string {
  const v = a.verdict;
  if (v.state === 'no_date') return `${a.what}: no end of support announced${a.note}`;
  if (v.state === 'past') return `${a.what} reached its end of support on ${a.date}${when(v)}${a.note}`;
  return `${a.what} is supported until ${a.date}${when(v)}${a.note}`;
}

/** One subject or several (runtimes): fail on any past its end, unknown when any is undecided. */
function eolOutcome(items: Assessment[], none: Outcome): Outcome {
  if (items.length === 0) return none;
  const done = items.flatMap((i) => (i.ok ? [i.a] : []));
  const open = items.flatMap((i) => (i.ok ? [] : [i.outcome]));
  const past = done.filter((a) => a.verdict.state === 'past');
  const evidence = done.flatMap((a) => a.evidence);
  if (past.length)
    return fail(
      done
        .map(eolText)
        .concat(open.map((o) => o.message))
        .join('; '),
      evidence,
    );
  const undecided = open.filter((o) => o.status === 'unknown');
  if (undecided.length)
    return unknown([...undecided.map((o) => o.message), ...done.map(eolText)].join('; '), [
      ...undecided.flatMap((o) => o.evidence ?? []),
      ...evidence,
    ]);
  if (done.length === 0) return skip(open.map((o) => o.message).join('; '));
  return pass(
    done
      .map(eolText)
      .concat(open.map((o) => o.message))
      .join('; '),
    evidence,
  );
}

function osEndOfLife(f: UpdatesFacts): Outcome {
  const a = assessOs(f);
  return a.ok ? eolOutcome([a], skip('')) : a.outcome;
}

const binariesNote = (ids: string[]) =>
  `none of ${ids.join(', ')} has a package record or a binary in the usual places`;

function kubeletEndOfLife(f: UpdatesFacts): Outcome {
  const ks = f.components.filter((c) => c.component === 'kubelet');
  return eolOutcome(
    ks.map((c) => assessComponent(c, f)),
    skip(`the kubelet is not installed (${binariesNote(['kubelet'])})`),
  );
}

function runtimeEndOfLife(f: UpdatesFacts): Outcome {
  const rs = f.components.filter((c) => c.component !== 'kubelet');
  return eolOutcome(
    rs.map((c) => assessComponent(c, f)),
    skip(`no container runtime is installed (${binariesNote(['containerd', 'Docker Engine', 'CRI-O'])})`),
  );
}

function endOfLifeSoon(f: UpdatesFacts): Outcome {
  const items = [assessOs(f), ...f.components.map((c) => assessComponent(c, f))];
  const done = items.flatMap((i) => (i.ok && !i.a.distribution ? [i.a] : []));
  const soon = done.filter((a) => a.verdict.state === 'soon');
  if (soon.length)
    return fail(
      `support ends within ${EOL_SOON_DAYS} days: ${soon.map(eolText).join('; ')}`,
      soon.flatMap((a) => a.evidence),
    );
  const dated = done.filter((a) => a.verdict.state === 'supported' || a.verdict.state === 'no_date');
  // What is already past its end fails updates.os_end_of_life and its siblings; this check is about what comes next.
  if (dated.length) return pass(`no support end within ${EOL_SOON_DAYS} days: ${dated.map(eolText).join('; ')}`);
  if (done.length)
    return skip(
      `everything with a known end of support is already past it (see the *_end_of_life checks): ${done.map((a) => a.what).join(', ')}`,
    );
  const open = items.flatMap((i) => (i.ok ? [] : [i.outcome]));
  if (open.some((o) => o.status === 'unknown'))
    return unknown(`no end-of-support date is known for this host: ${open.map((o) => o.message).join('; ')}`);
  return skip(`nothing on this host has a dated end of support: ${open.map((o) => o.message).join('; ')}`);
}

const CIS = 'CIS Debian Linux 12 Benchmark v1.1.0 1.2.2.1';
const UU = 'https://wiki.debian.org/UnattendedUpgrades';
const EOLD = 'https://endoflife.date/';
const K8S_RELEASES = 'https://kubernetes.io/releases/';

export const updatesChecks: readonly Check<UpdatesFacts>[] = [
  {
    id: 'updates.security_updates',
    title: 'No security updates are pending',
    severity: 'high',
    references: [CIS, 'Lynis PKGS-7392', 'dnf(8) updateinfo'],
    remediation:
      'Install the pending security updates (apt-get update && apt-get upgrade, or let unattended-upgrades do it; on RPM hosts dnf upgrade --security, or dnf-automatic), then reboot if a kernel or libc was updated. On Kubernetes, drain the node first or use a reboot coordinator such as kured.',
    evaluate: needFamily(securityUpdates),
  },
  {
    id: 'updates.pending_updates',
    title: 'All packages are at their candidate versions',
    severity: 'low',
    references: [CIS, 'Lynis PKGS-7392', 'apt(8) list', 'dnf(8) check-update'],
    remediation:
      'Upgrade packages during a maintenance window (apt-get upgrade, or dnf upgrade, after draining the node).',
    evaluate: needFamily(pendingUpdates),
  },
  {
    id: 'updates.held_packages',
    title: 'No unexpected packages are held back from upgrades',
    severity: 'low',
    references: [
      'apt-mark(8) hold',
      'https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/install-kubeadm/',
    ],
    remediation:
      'Review the holds (apt-mark showhold). Release the ones that are not deliberate with apt-mark unhold, or add deliberate ones to probes.updates.allowedHolds.',
    evaluate: needFamily(heldPackages),
  },
  {
    id: 'updates.reboot_required',
    title: 'No reboot is pending after updates',
    severity: 'medium',
    references: ['Lynis KRNL-5830', 'https://github.com/kubereboot/kured'],
    remediation:
      'Drain the node and reboot it so that the updated kernel and libraries are in use; kured automates this from /run/reboot-required.',
    evaluate: rebootRequiredAny,
  },
  {
    id: 'updates.automatic_updates',
    title: 'Security updates are installed automatically',
    severity: 'medium',
    references: [CIS, UU, 'unattended-upgrades(8)', 'dnf-automatic(8)'],
    remediation:
      'Debian/Ubuntu: apt-get install unattended-upgrades; dpkg-reconfigure -plow unattended-upgrades (writes /etc/apt/apt.conf.d/20auto-upgrades with APT::Periodic::Update-Package-Lists "1" and APT::Periodic::Unattended-Upgrade "1"); keep the security origin in Unattended-Upgrade::Origins-Pattern; systemctl enable --now apt-daily.timer apt-daily-upgrade.timer. RPM hosts: dnf install dnf-automatic; set apply_updates = yes (upgrade_type = security for security fixes only) in /etc/dnf/automatic.conf; systemctl enable --now dnf-automatic.timer (dnf5: dnf5-automatic.timer).',
    evaluate: needFamily(automaticUpdates),
  },
  {
    id: 'updates.metadata_fresh',
    title: 'Package metadata from the security archive is current',
    severity: 'medium',
    references: ['https://wiki.debian.org/DebianRepository/Format', UU, 'dnf(8) makecache'],
    remediation:
      'Make apt update run and succeed regularly (apt-daily.timer, or configuration management), with the security archive (deb.debian.org/debian-security <codename>-security, or <codename>-security on Ubuntu) in the sources. RPM hosts: keep dnf-makecache.timer enabled (or dnf-automatic, which refreshes the metadata) and the distribution update repositories enabled.',
    evaluate: needFamily(metadataFresh),
  },
  {
    id: 'updates.minimal_os',
    title: 'The node runs a minimal, container-optimised OS',
    severity: 'info',
    references: [
      'https://www.giantswarm.io/blog/securing-the-base-infrastructure-of-a-kubernetes-cluster',
      'https://www.nsa.gov/Press-Room/News-Highlights/Article/Article/2716980/nsa-cisa-release-kubernetes-hardening-guidance/',
    ],
    remediation:
      'Prefer a minimal, image-based node OS (Flatcar, Bottlerocket, Talos, Container-Optimized OS, Fedora CoreOS) for new node pools; on a general-purpose distribution, remove unneeded packages and services and harden it (CIS distribution benchmark).',
    evaluate: minimalOs,
  },
  {
    id: 'updates.os_end_of_life',
    title: 'The OS release still receives security updates',
    severity: 'high',
    references: [
      EOLD,
      'https://wiki.debian.org/LTS',
      'https://ubuntu.com/about/release-cycle',
      'https://access.redhat.com/support/policy/updates/errata',
    ],
    remediation:
      'Upgrade the node to a supported OS release (or replace the node with one built from a supported image); drain it first. On Ubuntu LTS past standard support, Ubuntu Pro ESM extends security updates.',
    evaluate: osEndOfLife,
  },
  {
    id: 'updates.kubelet_end_of_life',
    title: 'The kubelet is a Kubernetes minor version that is still maintained',
    severity: 'high',
    references: [K8S_RELEASES, 'https://kubernetes.io/releases/version-skew-policy/'],
    remediation:
      'Upgrade the cluster (control plane first, then the kubelets, one minor version at a time) to a maintained Kubernetes minor release.',
    evaluate: kubeletEndOfLife,
  },
  {
    id: 'updates.runtime_end_of_life',
    title: 'The container runtimes are releases that are still maintained',
    severity: 'high',
    references: [
      'https://containerd.io/releases/',
      'https://github.com/moby/moby/blob/master/project/BRANCHES-AND-TAGS.md',
      'https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes',
    ],
    remediation:
      'Upgrade containerd, Docker Engine or CRI-O to a maintained release (containerd LTS or current; CRI-O matching a maintained Kubernetes minor), draining the node first. ' +
      "A distribution's own package (docker.io or containerd from the OS archive) is maintained as long as the OS release: past that, upgrade the OS release.",
    evaluate: runtimeEndOfLife,
  },
  {
    id: 'updates.end_of_life_soon',
    title: `Nothing on the node reaches its end of support within ${EOL_SOON_DAYS} days`,
    severity: 'medium',
    references: [EOLD, K8S_RELEASES],
    remediation:
      'Plan the upgrade of the OS release, Kubernetes minor or container runtime named in the finding before its end of support.',
    evaluate: endOfLifeSoon,
  },
];
