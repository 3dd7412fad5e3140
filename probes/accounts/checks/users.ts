/**
 * The account databases (CIS Debian 12 5.4.2 and 7.2, Lynis AUTH-92xx): who has uid 0, duplicates, empty
 * and unshadowed passwords, dangling primary groups, system accounts with a shell, the shadow group.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip } from '../../../src/sdk.js';
import type { ColonFile, GroupEntry, GshadowEntry, PasswdEntry } from '../parse/colon.js';
import type { AccountsFacts, Read } from '../types.js';
import { CIS, LYNIS, cannotRead, cap, ev, names, plural } from './util.js';

/** Accounts CIS 5.4.2.7 lets keep a shell: their "shells" are halt/sync/shutdown commands, or root itself. */
const SHELL_ALLOWED = new Set(['root', 'sync', 'shutdown', 'halt', 'nfsnobody']);
const NO_LOGIN = /(^|\/)(nologin|false)$/;
const NOBODY_UID = 65534;

function duplicates<E extends { line: number }>(
  entries: readonly E[],
  key: (e: E) => string | number,
): [string, E[]][] {
  const by = new Map<string, E[]>();
  for (const e of entries) {
    const k = String(key(e));
    by.set(k, [...(by.get(k) ?? []), e]);
  }
  return [...by.entries()].filter(([, es]) => es.length > 1);
}

function duplicateCheck<E extends { name: string; line: number }>(
  read: (f: AccountsFacts) => Read<ColonFile<E>>,
  key: (e: E) => string | number,
  what: string,
) {
  return (f: AccountsFacts): Outcome => {
    const r = read(f);
    if (!r.ok) return cannotRead(r, what);
    const entries = r.data.entries;
    const dups = duplicates(entries, key);
    const evidence: Evidence[] = cap(dups.flatMap(([, es]) => es.map((e) => ev(r.file, e.line, e.name))));
    if (dups.length === 0)
      return pass(`no duplicate ${what} among ${plural(entries.length, 'entry', 'entries')} of ${r.file}`);
    const list = dups.map(([k, es]) => `${k} (${es.map((e) => e.name).join(', ')})`);
    return fail(`${plural(dups.length, `duplicate ${what.replace(/s$/, '')}`)} in ${r.file}: ${names(list)}`, evidence);
  };
}

function uid0(f: AccountsFacts): Outcome {
  if (!f.passwd.ok) return cannotRead(f.passwd, 'who has uid 0');
  const file = f.passwd.file;
  const others = f.passwd.data.entries
    .filter((e) => e.uid === 0 && e.name !== 'root')
    .map((e) => ({ name: e.name, line: e.line }));
  // glibc reads a line with extra fields as an account, so a malformed line with uid 0 counts too.
  const odd = f.passwd.data.rejected.filter((r) => /^0+$/.test(r.fields[2] ?? '') && r.fields[0] !== 'root');
  const all = [
    ...others,
    ...odd.map((r) => ({ name: `${r.fields[0] || '(no name)'} (malformed line)`, line: r.line })),
  ];
  if (all.length === 0) return pass(`root is the only account with uid 0 in ${file}`);
  return fail(
    `${plural(all.length, 'account')} besides root with uid 0 (full root privilege): ${names(all.map((e) => e.name))}`,
    cap(all.map((e) => ev(file, e.line, `${e.name}: uid 0`))),
  );
}

function emptyPasswords(f: AccountsFacts): Outcome {
  if (!f.shadow.ok) return cannotRead(f.shadow, 'whether a password field is empty');
  const file = f.shadow.file;
  const empty = f.shadow.data.entries.filter((e) => e.hash === '');
  if (empty.length === 0) return pass(`every account in ${file} has a password or a lock (none is empty)`);
  return fail(
    `${plural(empty.length, 'account')} with an empty password field (a login without any password where PAM allows nullok): ${names(empty.map((e) => e.name))}`,
    cap(empty.map((e) => ev(file, e.line, `${e.name}::…`))),
  );
}

function shadowed(f: AccountsFacts): Outcome {
  if (!f.passwd.ok) return cannotRead(f.passwd, 'whether passwords are shadowed');
  const file = f.passwd.file;
  const bad = f.passwd.data.entries.filter((e) => e.password !== 'x');
  if (bad.length === 0)
    return pass(`every account in ${file} has "x" in its password field (the hash lives in /etc/shadow)`);
  // The field itself is not shown: it may hold a hash, and /etc/passwd is world-readable.
  return fail(
    `${plural(bad.length, 'account')} whose /etc/passwd password field is not "x", so a hash (or none) sits in a world-readable file: ${names(bad.map((e) => e.name))}`,
    cap(bad.map((e) => ev(file, e.line, `${e.name}:<${e.password === '' ? 'empty' : 'not x'}>:${e.uid}:${e.gid}`))),
  );
}

function groupsExist(f: AccountsFacts): Outcome {
  if (!f.passwd.ok) return cannotRead(f.passwd, 'whether primary groups exist');
  if (!f.group.ok) return cannotRead(f.group, 'whether primary groups exist');
  const gids = new Set(f.group.data.entries.map((g) => g.gid));
  const file = f.passwd.file;
  const missing = f.passwd.data.entries.filter((e) => !gids.has(e.gid));
  if (missing.length === 0) return pass(`the primary group of every account in ${file} exists in ${f.group.file}`);
  return fail(
    `${plural(missing.length, 'account')} whose primary group is not in ${f.group.file} (a group created later with that gid would own their files): ${names(missing.map((e) => `${e.name} (gid ${e.gid})`))}`,
    cap(missing.map((e) => ev(file, e.line, `${e.name}:x:${e.uid}:${e.gid}`))),
  );
}

function uidMin(f: AccountsFacts): { value: number; from: string } {
  const s = f.loginDefs.ok ? f.loginDefs.data.values.get('UID_MIN') : undefined;
  const n = s && /^\d+$/.test(s.value) ? Number(s.value) : undefined;
  return n !== undefined
    ? { value: n, from: `UID_MIN ${n} (/etc/login.defs:${s!.line})` }
    : { value: 1000, from: 'UID_MIN 1000 (the shadow-utils default; not set in /etc/login.defs)' };
}

function systemShells(f: AccountsFacts): Outcome {
  if (!f.passwd.ok) return cannotRead(f.passwd, 'which system accounts have a shell');
  const min = uidMin(f);
  const file = f.passwd.file;
  // An empty shell field means /bin/sh (passwd(5)), so it is a login shell too.
  const bad = f.passwd.data.entries.filter(
    (e) => (e.uid < min.value || e.uid === NOBODY_UID) && !SHELL_ALLOWED.has(e.name) && !NO_LOGIN.test(e.shell),
  );
  if (bad.length === 0)
    return pass(
      `every system account (uid below ${min.from}, and nobody) has nologin or false as its shell, but root, sync, shutdown and halt`,
    );
  return fail(
    `${plural(bad.length, 'system account')} with a login shell: ${names(bad.map((e) => `${e.name} (uid ${e.uid}, ${e.shell || 'empty: /bin/sh'})`))}; system accounts are below ${min.from}`,
    cap(bad.map((e) => ev(file, e.line, `${e.name}:x:${e.uid}:${e.gid}:…:${e.shell}`))),
  );
}

function shadowGroup(f: AccountsFacts): Outcome {
  if (!f.group.ok) return cannotRead(f.group, 'who is in the shadow group');
  const g = f.group.data.entries.find((e) => e.name === 'shadow');
  if (!g)
    return skip(`there is no shadow group in ${f.group.file} (this distribution gives /etc/shadow to root alone)`);
  const evidence: Evidence[] = [];
  const members = new Set(g.members);
  if (members.size) evidence.push(ev(f.group.file, g.line, `shadow:x:${g.gid}:${g.members.join(',')}`));
  const gs = f.gshadow.ok ? f.gshadow.data.entries.find((e) => e.name === 'shadow') : undefined;
  if (gs && gs.members.length && f.gshadow.ok) {
    gs.members.forEach((m) => members.add(m));
    evidence.push(ev(f.gshadow.file, gs.line, `shadow:…:${gs.admins.join(',')}:${gs.members.join(',')}`));
  }
  const primary = f.passwd.ok ? f.passwd.data.entries.filter((e) => e.gid === g.gid) : [];
  if (f.passwd.ok) primary.forEach((e) => evidence.push(ev(f.passwd.file, e.line, `${e.name}:x:${e.uid}:${e.gid}`)));
  const all = [...members, ...primary.map((e) => `${e.name} (primary group)`)];
  if (all.length)
    return fail(
      `the shadow group (gid ${g.gid}) has members, who can read every password hash in /etc/shadow: ${names(all)}`,
      cap(evidence),
    );
  if (!f.passwd.ok) return cannotRead(f.passwd, 'whether an account has shadow as its primary group');
  return pass(
    `the shadow group (gid ${g.gid}) has no members in ${f.group.file}${f.gshadow.ok ? ` or ${f.gshadow.file}` : ''} and is no account's primary group`,
  );
}

/** grpck's comparison of /etc/group with /etc/gshadow: every group there, with the same members. */
function gshadowIssues(groups: readonly GroupEntry[], gshadow: readonly GshadowEntry[]): string[] {
  const by = new Map(gshadow.map((g) => [g.name, g]));
  const noEntry = groups.filter((g) => !by.has(g.name)).map((g) => g.name);
  const onlyGroup = groups.flatMap((g) => {
    const gs = by.get(g.name);
    return gs ? g.members.filter((m) => !gs.members.includes(m)).map((m) => `${m} in ${g.name}`) : [];
  });
  return [
    ...(noEntry.length ? [`no /etc/gshadow entry for group ${names(noEntry)}`] : []),
    ...(onlyGroup.length ? [`members in /etc/group but not in /etc/gshadow: ${names(onlyGroup)}`] : []),
  ];
}

/** pwck/grpck's view: malformed lines, passwd accounts without a shadow entry and the reverse. */
function consistent(f: AccountsFacts): Outcome {
  const reads = [f.passwd, f.group, f.shadow, f.gshadow];
  const evidence: Evidence[] = [];
  const issues: string[] = [];
  for (const r of reads) {
    if (!r.ok) continue;
    const d = r.data as ColonFile<unknown>;
    for (const p of d.problems) evidence.push(ev(r.file, p.line, p.reason));
    if (d.problemCount) issues.push(`${plural(d.problemCount, 'malformed line')} in ${r.file}`);
    if (d.truncated) issues.push(`${r.file} has more lines than are read`);
  }
  if (f.passwd.ok && f.shadow.ok) {
    const inShadow = new Set(f.shadow.data.entries.map((e) => e.name));
    const inPasswd = new Set(f.passwd.data.entries.map((e) => e.name));
    const noShadow = f.passwd.data.entries.filter((e) => !inShadow.has(e.name)).map((e) => e.name);
    const noPasswd = f.shadow.data.entries.filter((e) => !inPasswd.has(e.name)).map((e) => e.name);
    if (noShadow.length) issues.push(`no /etc/shadow entry for ${names(noShadow)}`);
    if (noPasswd.length) issues.push(`/etc/shadow entries without an account: ${names(noPasswd)}`);
  }
  if (f.group.ok && f.gshadow.ok) issues.push(...gshadowIssues(f.group.data.entries, f.gshadow.data.entries));
  const missing = [f.passwd, f.group].filter((r) => !r.ok);
  if (missing.length)
    return cannotRead(
      missing[0] as AccountsFacts['passwd'] & { ok: false },
      'whether the account databases are consistent',
    );
  if (issues.length) return fail(`the account databases are not consistent: ${issues.join('; ')}`, cap(evidence));
  const notRead = [f.shadow, f.gshadow].filter((r) => !r.ok).map((r) => r.file);
  if (notRead.includes('/etc/shadow'))
    return cannotRead(f.shadow as AccountsFacts['shadow'] & { ok: false }, 'whether every account has a shadow entry');
  return pass(
    `/etc/passwd, /etc/group and /etc/shadow are well formed, every account has a shadow entry and /etc/gshadow agrees with /etc/group${notRead.length ? ` (${notRead.join(', ')} not read)` : ''}`,
  );
}

const passwdRead = (f: AccountsFacts): Read<ColonFile<PasswdEntry>> => f.passwd;
const groupRead = (f: AccountsFacts): Read<ColonFile<GroupEntry>> => f.group;

export const userChecks: readonly Check<AccountsFacts>[] = [
  {
    id: 'accounts.uid0_only_root',
    title: 'root is the only account with uid 0',
    severity: 'critical',
    references: [CIS('5.4.2.1'), LYNIS('AUTH-9204')],
    remediation:
      'Remove the other uid 0 accounts (userdel) or give them their own uid (usermod -u); use sudo for administrators.',
    evaluate: uid0,
  },
  {
    id: 'accounts.passwords_shadowed',
    title: 'Every account in /etc/passwd uses a shadowed password ("x")',
    severity: 'high',
    references: [CIS('7.2.1')],
    remediation:
      'Run "pwconv" to move password hashes from /etc/passwd to /etc/shadow, then investigate how they got there.',
    evaluate: shadowed,
  },
  {
    id: 'accounts.no_empty_passwords',
    title: 'No /etc/shadow password field is empty',
    severity: 'high',
    references: [CIS('7.2.2'), LYNIS('AUTH-9283')],
    remediation: 'Lock each such account ("passwd -l <user>") or set a password; then find out why it had none.',
    evaluate: emptyPasswords,
  },
  {
    id: 'accounts.passwd_groups_exist',
    title: 'Every primary group named in /etc/passwd exists in /etc/group',
    severity: 'low',
    references: [CIS('7.2.3'), LYNIS('AUTH-9216')],
    remediation:
      'Create the missing groups (groupadd -g <gid> <name>) or change the accounts\' primary group (usermod -g); "pwck -r" lists them.',
    evaluate: groupsExist,
  },
  {
    id: 'accounts.shadow_group_empty',
    title: 'The shadow group has no members',
    severity: 'medium',
    references: [CIS('7.2.4')],
    remediation:
      'Remove every member: "gpasswd -M \'\' shadow" (and from /etc/gshadow); give no account shadow as its primary group (usermod -g).',
    evaluate: shadowGroup,
  },
  {
    id: 'accounts.unique_uids',
    title: 'No two accounts share a uid',
    severity: 'medium',
    references: [CIS('7.2.5'), LYNIS('AUTH-9208')],
    remediation: 'Give each account its own uid (usermod -u) and re-own its files (find / -uid <old> -exec chown ...).',
    evaluate: duplicateCheck(passwdRead, (e) => e.uid, 'uids'),
  },
  {
    id: 'accounts.unique_gids',
    title: 'No two groups share a gid',
    severity: 'medium',
    references: [CIS('7.2.6'), LYNIS('AUTH-9222')],
    remediation: 'Give each group its own gid (groupmod -g) and re-group its files.',
    evaluate: duplicateCheck(groupRead, (e) => e.gid, 'gids'),
  },
  {
    id: 'accounts.unique_user_names',
    title: 'No two accounts share a name',
    severity: 'medium',
    references: [CIS('7.2.7'), LYNIS('AUTH-9208')],
    remediation: 'Rename or remove the duplicate entries (vipw); "pwck -r" lists them.',
    evaluate: duplicateCheck(passwdRead, (e) => e.name, 'user names'),
  },
  {
    id: 'accounts.unique_group_names',
    title: 'No two groups share a name',
    severity: 'medium',
    references: [CIS('7.2.8'), LYNIS('AUTH-9226')],
    remediation: 'Rename or remove the duplicate entries (vigr); "grpck -r" lists them.',
    evaluate: duplicateCheck(groupRead, (e) => e.name, 'group names'),
  },
  {
    id: 'accounts.system_accounts_no_shell',
    title: 'System accounts have no login shell',
    severity: 'medium',
    references: [CIS('5.4.2.7')],
    remediation:
      'Set nologin as their shell: "usermod -s /usr/sbin/nologin <account>" (root, sync, shutdown and halt excepted).',
    evaluate: systemShells,
  },
  {
    id: 'accounts.databases_consistent',
    title: 'The account databases are well formed and consistent (as pwck and grpck check)',
    severity: 'low',
    references: [LYNIS('AUTH-9228'), LYNIS('AUTH-9216'), 'https://man7.org/linux/man-pages/man8/pwck.8.html'],
    remediation:
      'Run "pwck" and "grpck" (interactively) to repair malformed lines and add the missing shadow entries ("pwconv", "grpconv").',
    evaluate: consistent,
  },
];
