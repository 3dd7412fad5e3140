/**
 * The integrity probe's checks: the baseline (present, signed, valid) and the files (unchanged, overall and
 * per category of the policy's rules). Facts come from ./index.ts gather(); evaluation is pure.
 */
import type { Category, Check, Evidence, IntegrityErrorCode, Outcome } from '../../src/sdk.js';
import type { IntegrityCheckResult as CheckResult } from '../../src/sdk.js';
import { pass, fail, unknown, skip, CATEGORIES } from '../../src/sdk.js';

export type KeyState =
  { state: 'ok'; file: string } | { state: 'none' } | { state: 'bad'; file: string; reason: string };

export type BaselineState =
  | { state: 'missing'; dbFile: string }
  | { state: 'invalid'; dbFile: string; code: IntegrityErrorCode; reason: string }
  /** Could not compare for another reason (bad policy, unreadable database, aborted). */
  | { state: 'error'; dbFile: string; code: IntegrityErrorCode | 'error'; reason: string }
  | { state: 'ok'; dbFile: string; result: CheckResult };

export interface IntegrityFacts {
  key: KeyState;
  baseline: BaselineState;
  /** Categories some rule of the policy has. */
  categories: ReadonlySet<Category>;
  maxEvidence: number;
}

const REFS = [
  'CIS Debian Linux 12 Benchmark v1.1.0 6.3.1',
  'CIS Debian Linux 12 Benchmark v1.1.0 6.3.2',
  'NIST SP 800-53 Rev. 5 SI-7',
  'PCI DSS v4.0 11.5.2',
];
const KEY_HELP =
  'Create a random key (head -c 32 /dev/urandom > key), keep it in a Kubernetes Secret mounted into the agent, name it with probes.integrity.keyFile or HOSTWARD_INTEGRITY_KEY_FILE, and rebuild the baseline with hostward integrity init --key-file.';
const TAMPER_CODES: readonly IntegrityErrorCode[] = [
  'baseline_corrupt',
  'baseline_truncated',
  'baseline_tampered',
  'baseline_wrong_key',
  'baseline_unsigned',
  'baseline_unverified',
];

const MAX_NAMES = 5;

function notTrusted(b: BaselineState): Outcome | undefined {
  switch (b.state) {
    case 'missing':
      return unknown(`no baseline database at ${b.dbFile}: nothing to compare against (run hostward integrity init)`);
    case 'invalid':
      return unknown(`the baseline cannot be trusted (${b.reason}): see integrity.baseline_valid`);
    case 'error':
      return unknown(`the files could not be compared with the baseline: ${b.reason}`);
    case 'ok':
      return undefined;
  }
}

function describe(
  r: CheckResult,
  filter: (p: string) => boolean,
  max: number,
): { count: number; message: string; evidence: Evidence[] } {
  const added = r.added.filter(filter);
  const removed = r.removed.filter(filter);
  const modified = r.modified.filter((m) => filter(m.path));
  const count = added.length + removed.length + modified.length;
  const names = [
    ...modified.map((m) => `${m.path} (${m.changes.join(', ')})`),
    ...added.map((p) => `${p} (added)`),
    ...removed.map((p) => `${p} (removed)`),
  ];
  const shown =
    names.slice(0, MAX_NAMES).join(', ') + (names.length > MAX_NAMES ? ` and ${names.length - MAX_NAMES} more` : '');
  const evidence: Evidence[] = [];
  for (const m of modified) {
    if (evidence.length >= max) break;
    const detail = m.changes
      .map((c) => (c === 'sha256' ? 'content' : `${c} ${String(m.old[c])} -> ${String(m.new[c])}`))
      .join('; ');
    evidence.push({ file: m.path, text: `modified: ${detail}` });
  }
  for (const p of added) {
    if (evidence.length >= max) break;
    evidence.push({ file: p, text: 'added' });
  }
  for (const p of removed) {
    if (evidence.length >= max) break;
    evidence.push({ file: p, text: 'removed' });
  }
  const message = `${modified.length} modified, ${added.length} added, ${removed.length} removed since the baseline of ${r.baseline.created}: ${shown}`;
  return { count, message, evidence };
}

/**
 * Paths that could not be compared (unreadable, too deep...), for the paths `filter` keeps. A file that vanished
 * during the scan is not one: it was either in the baseline (reported removed) or never mattered.
 */
function uncompared(r: CheckResult, filter: (p: string) => boolean): string | undefined {
  const ps = r.problems.filter((p) => p.path !== '' && !p.reason.startsWith('vanished') && filter(p.path));
  if (ps.length === 0) return undefined;
  const shown = ps
    .slice(0, MAX_NAMES)
    .map((p) => `${p.path} (${p.reason})`)
    .join(', ');
  return `${ps.length} path(s) could not be compared with the baseline: ${shown}${ps.length > MAX_NAMES ? ` and ${ps.length - MAX_NAMES} more` : ''}`;
}

const REMEDIATE_CHANGES =
  'Find out who changed these files and why (package upgrades, configuration management, an intruder). When the change is expected, take it into the baseline with hostward integrity accept --path P (or accept everything after an upgrade); otherwise restore the files from a trusted source and investigate the node.';

function categoryCheck(
  category: Category,
  title: string,
  severity: 'critical' | 'high' | 'medium',
): Check<IntegrityFacts> {
  return {
    id: `integrity.${category}_unchanged`,
    title,
    severity,
    references: REFS,
    remediation: REMEDIATE_CHANGES,
    evaluate(f) {
      if (!f.categories.has(category)) return skip(`no rule of the integrity policy has category ${category}`);
      const nt = notTrusted(f.baseline);
      if (nt) return nt;
      const r = (f.baseline as Extract<BaselineState, { state: 'ok' }>).result;
      const inCategory = (p: string) => r.categories[p] === category;
      const d = describe(r, inCategory, f.maxEvidence);
      if (d.count > 0) return fail(d.message, d.evidence);
      const u = uncompared(r, inCategory);
      return u
        ? unknown(`no ${category} file that could be read differs from the baseline, but ${u}`)
        : pass(`no ${category} file differs from the baseline of ${r.baseline.created}`);
    },
  };
}

export const integrityChecks: readonly Check<IntegrityFacts>[] = [
  {
    id: 'integrity.baseline_present',
    title: 'A file integrity baseline exists',
    severity: 'high',
    references: REFS,
    remediation:
      'Build the baseline on a node known to be clean: hostward integrity init --root /host --key-file <key> (the database goes to /var/lib/hostward/integrity.db).',
    evaluate(f) {
      const b = f.baseline;
      if (b.state === 'missing')
        return fail(`no baseline database at ${b.dbFile}: file integrity is not monitored on this node`);
      if (b.state === 'error' && (b.code === 'baseline_unreadable' || b.code === 'error')) return unknown(b.reason);
      return pass(`the baseline database is ${b.dbFile}`);
    },
  },
  {
    id: 'integrity.baseline_signed',
    title: 'The integrity baseline is signed with a key kept off the node',
    severity: 'high',
    references: REFS,
    remediation: KEY_HELP,
    evaluate(f) {
      if (f.key.state === 'none')
        return fail(
          'no integrity key is configured (probes.integrity.keyFile or HOSTWARD_INTEGRITY_KEY_FILE): someone with root on the node can rewrite the baseline unnoticed',
        );
      if (f.key.state === 'bad') return fail(`the integrity key cannot be used: ${f.key.reason}`);
      const b = f.baseline;
      if (b.state === 'missing') return skip('there is no baseline yet');
      if (b.state === 'invalid') {
        if (b.code === 'baseline_unsigned') return fail(b.reason);
        if (b.code === 'baseline_wrong_key') return fail(b.reason);
        return unknown(`the baseline does not verify (${b.reason}): see integrity.baseline_valid`);
      }
      if (b.state === 'error') return unknown(b.reason);
      return b.result.baseline.verified
        ? pass(`the baseline is signed and its HMAC verifies with the key in ${f.key.file}`)
        : fail('the baseline is not signed');
    },
  },
  {
    id: 'integrity.baseline_valid',
    title: 'The integrity baseline is intact (not tampered with, truncated or re-signed)',
    severity: 'critical',
    references: REFS,
    remediation:
      'Treat the node as possibly compromised: the baseline was modified, truncated or replaced. Investigate, then rebuild the baseline from a trusted state with hostward integrity init --key-file <key>.',
    evaluate(f) {
      const b = f.baseline;
      if (b.state === 'missing') return skip('there is no baseline yet');
      if (b.state === 'invalid') return fail(b.reason, [{ file: b.dbFile, text: b.code }]);
      if (b.state === 'error') return unknown(b.reason);
      const base = b.result.baseline;
      if (base.verified) return pass(`the baseline's HMAC verifies (${base.records} records, created ${base.created})`);
      // The library refuses this case (baseline_unverified); kept so that no path through here can pass it.
      if (base.signed)
        return fail(
          `the baseline is signed but was not verified: no usable key is configured${f.key.state === 'bad' ? ` (${f.key.reason})` : ''}`,
        );
      return pass(
        `the baseline is complete and its checksum matches (${base.records} records); it is unsigned, see integrity.baseline_signed`,
      );
    },
  },
  {
    id: 'integrity.files_unchanged',
    title: 'Files under the integrity policy are unchanged since the baseline',
    severity: 'high',
    references: REFS,
    remediation: REMEDIATE_CHANGES,
    evaluate(f) {
      const nt = notTrusted(f.baseline);
      if (nt) return nt;
      const r = (f.baseline as Extract<BaselineState, { state: 'ok' }>).result;
      const d = describe(r, () => true, f.maxEvidence);
      if (d.count > 0) return fail(d.message, d.evidence);
      const u = uncompared(r, () => true);
      if (u) return unknown(`every path that could be read matches the baseline, but ${u}`);
      return pass(
        `${r.stats.paths} paths match the baseline of ${r.baseline.created}${r.baseline.policyChanged ? ' (the policy changed since)' : ''}`,
      );
    },
  },
  categoryCheck('ssh', 'SSH configuration and host keys are unchanged since the baseline', 'high'),
  categoryCheck('kubernetes', 'Kubernetes node configuration is unchanged since the baseline', 'high'),
  categoryCheck('runtime', 'Container runtime configuration is unchanged since the baseline', 'high'),
  categoryCheck('accounts', 'Accounts, sudo and PAM configuration are unchanged since the baseline', 'high'),
  categoryCheck(
    'persistence',
    'Boot and scheduled-execution paths (cron, systemd units, ld.so.preload, modules) are unchanged since the baseline',
    'high',
  ),
  categoryCheck('binaries', 'System, kubelet and runtime binaries are unchanged since the baseline', 'high'),
];

/** Every category has a check: a test holds the table to CATEGORIES. */
export const CATEGORY_CHECK_IDS = CATEGORIES.map((c) => `integrity.${c}_unchanged`);
export { TAMPER_CODES };
