/**
 * The whole-disk checks over the bounded walk: world-writable files, world-writable directories without the
 * sticky bit, files of no known user or group, SUID/SGID programs beyond the distribution's default set. What
 * the walk found is a fail whether or not it finished; "none found" passes only when it saw everything, and is
 * `unknown` with the count of what it did not see otherwise.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import { CIS_DEBIAN_12 } from '../refs.js';
import { allowList } from '../setid.js';
import type { FilesFacts } from '../types.js';
import type { Category, Hit, WalkResult } from '../walker.js';
import { modeText } from './perms.js';

const SHOWN = 3;
const MAX_EVIDENCE = 20;
// Thousands separated as en-US does it; for integers without Intl, whose first use costs ~15 ms of a scan.
const n = (x: number) =>
  Number.isInteger(x) ? String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : x.toLocaleString('en-US');

function hitText(h: Hit, f: FilesFacts): string {
  const u = f.accounts.users.get(h.uid) ?? String(h.uid);
  const g = f.accounts.groups.get(h.gid) ?? String(h.gid);
  return `${h.path} ${modeText(h.mode)} ${u}:${g}`;
}

/** What the walk did not see, as a clause; empty when it saw everything. */
export function unseen(w: WalkResult): string {
  if (w.complete) return '';
  const why =
    w.stoppedBy === 'entries'
      ? `its limit of ${n(w.limits.maxEntries)} entries (probes.files.walkMaxEntries)`
      : w.stoppedBy === 'time'
        ? `its time budget of ${n(w.limits.budgetMs)} ms (probes.files.walkBudgetMs)`
        : "the scan's timeout";
  const partial = w.partial ? `, ${n(w.partial.left)} entries of ${w.partial.dir}` : '';
  const eg = w.notRead.length ? ` (e.g. ${w.notRead.join(', ')})` : '';
  const where = `${n(w.dirsNotRead)} directories${eg}${partial}`;
  return `the walk stopped at ${why} after ${n(w.entries)} entries in ${n(w.elapsedMs)} ms: ${where} were not seen`;
}

function seen(w: WalkResult): string {
  const skipped = w.skipped.length ? `; not entered: ${w.skipped.map((s) => s.path).join(', ')}` : '';
  const unreadable = w.unreadableCount
    ? `; ${n(w.unreadableCount)} directories unreadable (${w.unreadable
        .slice(0, SHOWN)
        .map((u) => `${u.path}: ${u.reason}`)
        .join(', ')})`
    : '';
  const mounts = w.mountsProblem ? `; network mounts walked as local (${w.mountsProblem})` : '';
  return `${n(w.entries)} entries of local file systems walked in ${n(w.elapsedMs)} ms${skipped}${unreadable}${mounts}`;
}

interface Spec {
  cat: Category;
  /** Plural noun phrase of what fails: "world-writable files"; `one` is its singular. */
  what: string;
  one: string;
  keep?: (h: Hit, f: FilesFacts) => boolean;
  /** A reason the check cannot decide at all (no account files). */
  blocked?: (f: FilesFacts) => string | undefined;
  note?: (f: FilesFacts) => string;
}

function judgeWalk(s: Spec, f: FilesFacts): Outcome {
  const w = f.walk;
  if (!w) return skip('probes.files.walk is false: the file systems are not walked');
  const blocked = s.blocked?.(f);
  if (blocked) return unknown(blocked);
  const list = w.found[s.cat];
  const bad = s.keep ? list.hits.filter((h) => s.keep!(h, f)) : list.hits;
  // Hits beyond the kept ones were not stored; for a filtered list only the stored ones can be named.
  const total = s.keep ? bad.length + (list.count > list.hits.length ? list.count - list.hits.length : 0) : list.count;
  const note = s.note ? ` ${s.note(f)}` : '';
  if (bad.length > 0) {
    const evidence: Evidence[] = bad.slice(0, MAX_EVIDENCE).map((h) => ({ file: h.path, text: hitText(h, f) }));
    const more =
      total > SHOWN
        ? ` and ${n(total - SHOWN)} more${s.keep && list.count > list.hits.length ? ' (at most)' : ''}`
        : '';
    const partial = w.complete ? '' : ` (${unseen(w)})`;
    return fail(
      `${n(total)} ${total === 1 ? s.one : s.what}: ${bad
        .slice(0, SHOWN)
        .map((h) => hitText(h, f))
        .join(', ')}${more}${partial}${note}`,
      evidence,
    );
  }
  if (!w.complete) return unknown(`no ${s.what} among what was seen, but ${unseen(w)}`);
  return pass(`no ${s.what}: ${seen(w)}${note}`);
}

const accountsBlocked = (f: FilesFacts) =>
  f.accounts.problem
    ? `the account files cannot be read (${f.accounts.problem}): every owner would look unknown`
    : undefined;

const SPECS: {
  id: string;
  title: string;
  severity: Check<FilesFacts>['severity'];
  refs: string[];
  remediation: string;
  spec: Spec;
}[] = [
  {
    id: 'files.world_writable_files',
    title: 'No regular file on local file systems is world-writable',
    severity: 'medium',
    refs: [CIS_DEBIAN_12('7.1.11')],
    remediation:
      'chmod o-w <file> for each file named (find <mount> -xdev -type f -perm -0002 lists them): anyone on the ' +
      'host can change a world-writable file, and a program or configuration among them runs what they write.',
    spec: { cat: 'worldWritableFiles', what: 'world-writable files', one: 'world-writable file' },
  },
  {
    id: 'files.world_writable_dirs_sticky',
    title: 'Every world-writable directory has the sticky bit',
    severity: 'medium',
    refs: [CIS_DEBIAN_12('7.1.11')],
    remediation:
      'chmod +t <dir> for each directory named (or o-w where it need not be shared): without the sticky bit any ' +
      'user may delete or replace the files of others in it.',
    spec: {
      cat: 'worldWritableDirs',
      what: 'world-writable directories without the sticky bit',
      one: 'world-writable directory without the sticky bit',
    },
  },
  {
    id: 'files.unowned_files',
    title: 'Every file belongs to a user of /etc/passwd',
    severity: 'low',
    refs: [CIS_DEBIAN_12('7.1.12')],
    remediation:
      'chown each file named to a real account (or remove it): a file of a deleted user belongs to whoever is ' +
      'next given that uid. On a node, files written by containers with their own uids show up here when a volume ' +
      'is outside /var/lib/kubelet/pods.',
    spec: {
      cat: 'unownedUser',
      what: 'files whose owner uid is not in /etc/passwd',
      one: 'file whose owner uid is not in /etc/passwd',
      blocked: accountsBlocked,
    },
  },
  {
    id: 'files.ungrouped_files',
    title: 'Every file belongs to a group of /etc/group',
    severity: 'low',
    refs: [CIS_DEBIAN_12('7.1.12')],
    remediation:
      'chgrp each file named to a real group (or remove it): a file of a deleted group is shared with whichever ' +
      'group next gets that gid.',
    spec: {
      cat: 'unownedGroup',
      what: 'files whose group gid is not in /etc/group',
      one: 'file whose group gid is not in /etc/group',
      blocked: accountsBlocked,
    },
  },
  {
    id: 'files.setid_allowed',
    title: 'SUID/SGID programs are only those the distribution installs (or probes.files.allowSetid lists)',
    severity: 'medium',
    refs: [CIS_DEBIAN_12('7.1.13')],
    remediation:
      'Review each program named: remove the package or the bit (chmod u-s,g-s) when it is not needed, or add its ' +
      'path to probes.files.allowSetid. A setuid program runs as its owner for every user, so a bug in it is a ' +
      'privilege escalation.',
    spec: {
      cat: 'setid',
      what: 'SUID/SGID programs beyond the allow-list',
      one: 'SUID/SGID program beyond the allow-list',
      keep: (h, f) => !allowList(f.os.family, f.options.allowSetid).match(h.path, h.mode),
      note: (f) => `(allow-list: ${allowList(f.os.family, f.options.allowSetid).source} for ${f.os.name})`,
    },
  },
];

export const walkChecks: Check<FilesFacts>[] = SPECS.map((x) => ({
  id: x.id,
  title: x.title,
  severity: x.severity,
  references: x.refs,
  remediation: x.remediation,
  evaluate: (f: FilesFacts) => judgeWalk(x.spec, f),
}));
