/**
 * sudo and su (CIS Debian 12 5.2.1-5.2.7): sudo installed, Defaults use_pty and logfile, no NOPASSWD or
 * !authenticate, a bounded timestamp_timeout, and su limited to an empty group by pam_wheel. sudoers is
 * mode 0440 root: a reader without CAP_DAC_READ_SEARCH gets `unknown`, never a pass.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import type { SudoDefault } from '../parse/sudoers.js';
import { argValue, moduleName } from '../parse/pam.js';
import type { AccountsFacts } from '../types.js';
import { CIS, cap, ev, names, plural, unreadableReason } from './util.js';

const MAX_TIMESTAMP = 15;

function notDecidable(f: AccountsFacts): Outcome | undefined {
  if (!f.sudo.present)
    return skip(
      f.sudo.binary
        ? `${f.sudo.binary} exists but /etc/sudoers does not: sudo refuses to run without it`
        : 'sudo is not installed (no /etc/sudoers)',
    );
  const u = f.sudo.unreadable;
  if (u.length)
    return unknown(
      `sudoers cannot be read whole: ${u.map((x) => unreadableReason({ file: x.file, code: /unreadable/.test(x.reason) ? 'unreadable' : 'other', reason: x.reason })).join('; ')}`,
    );
  return undefined;
}

/** Global Defaults in sudo's reading order: the last one setting a name wins. */
function globalDefault(f: AccountsFacts, name: string): { d: SudoDefault; file: string } | undefined {
  let found: { d: SudoDefault; file: string } | undefined;
  for (const file of f.sudo.files)
    for (const d of file.defaults) if (d.binding === '' && d.name === name) found = { d, file: file.file };
  return found;
}

const dev = (x: { d: SudoDefault; file: string }): Evidence => ev(x.file, x.d.line, x.d.text);
const filesRead = (f: AccountsFacts): string => `${plural(f.sudo.files.length, 'file')} read`;

function installed(f: AccountsFacts): Outcome {
  if (f.sudo.binary) return pass(`sudo is installed (${f.sudo.binary})`, [{ file: f.sudo.binary }]);
  return fail(
    'sudo is not installed (no /usr/bin/sudo): administrators log in as root or use su, and nothing records who ran what',
  );
}

function usePty(f: AccountsFacts): Outcome {
  const n = notDecidable(f);
  if (n) return n;
  const d = globalDefault(f, 'use_pty');
  if (d && !d.d.negated)
    return pass(`Defaults use_pty (${d.file}:${d.d.line}): commands run in their own pseudo-terminal`, [dev(d)]);
  if (d)
    return fail(
      `Defaults !use_pty (${d.file}:${d.d.line}): a command run by sudo can push input into the caller's terminal`,
      [dev(d)],
    );
  return fail(
    `Defaults use_pty is not set (${filesRead(f)}): sudo before 1.9.14 (Debian 12 ships 1.9.13) then shares the caller's terminal with the command`,
  );
}

function logfile(f: AccountsFacts): Outcome {
  const n = notDecidable(f);
  if (n) return n;
  const d = globalDefault(f, 'logfile');
  if (d && !d.d.negated && d.d.value) return pass(`Defaults logfile="${d.d.value}" (${d.file}:${d.d.line})`, [dev(d)]);
  return fail(
    d
      ? `logging to a file is turned off (${d.file}:${d.d.line})`
      : `Defaults logfile is not set (${filesRead(f)}): sudo logs to syslog only`,
    d ? [dev(d)] : [],
  );
}

function nopasswd(f: AccountsFacts): Outcome {
  const n = notDecidable(f);
  if (n) return n;
  const rules = f.sudo.files.flatMap((file) =>
    file.rules.filter((r) => r.nopasswd).map((r) => ({ r, file: file.file })),
  );
  const total = f.sudo.files.reduce((a, x) => a + x.rules.length, 0);
  if (rules.length === 0) return pass(`no sudo rule has NOPASSWD (${plural(total, 'rule')} in ${filesRead(f)})`);
  // Node images (Debian cloud "admin", "ubuntu", "ec2-user") get such a rule from cloud-init (90-cloud-init-users).
  const node =
    f.role.role === 'node'
      ? "; on a Kubernetes node this is usually the image's default user, given NOPASSWD by cloud-init"
      : '';
  return fail(
    `${plural(rules.length, 'sudo rule')} with NOPASSWD: ${names(
      rules.map((x) => `${x.file}:${x.r.line} (${x.r.user})`),
      5,
    )}${node}`,
    cap(rules.map((x) => ev(x.file, x.r.line, x.r.text))),
  );
}

function authenticate(f: AccountsFacts): Outcome {
  const n = notDecidable(f);
  if (n) return n;
  const off = f.sudo.files.flatMap((file) =>
    file.defaults.filter((d) => d.name === 'authenticate' && d.negated).map((d) => ({ d, file: file.file })),
  );
  if (off.length === 0) return pass(`no Defaults line turns authentication off (!authenticate) (${filesRead(f)})`);
  return fail(
    `sudo asks no password ${off.some((x) => x.d.binding === '') ? 'of anyone' : 'of some users'}: ${names(
      off.map((x) => `${x.file}:${x.d.line} Defaults${x.d.binding} !authenticate`),
      5,
    )}`,
    cap(off.map(dev)),
  );
}

function timestamp(f: AccountsFacts): Outcome {
  const n = notDecidable(f);
  if (n) return n;
  const all = f.sudo.files.flatMap((file) =>
    file.defaults.filter((d) => d.name === 'timestamp_timeout').map((d) => ({ d, file: file.file })),
  );
  const bad = all.filter((x) => {
    // "!timestamp_timeout" is 0: a password every time.
    const v = x.d.negated ? 0 : Number(x.d.value);
    return !(v >= 0 && v <= MAX_TIMESTAMP);
  });
  if (bad.length)
    return fail(
      `timestamp_timeout is negative (never expires), above ${MAX_TIMESTAMP} minutes or not a number: ${names(
        bad.map((x) => `${x.file}:${x.d.line} ${x.d.text}`),
        3,
      )}`,
      cap(bad.map(dev)),
    );
  if (all.length)
    return pass(
      `timestamp_timeout ${all.map((x) => (x.d.negated ? '0 (!timestamp_timeout)' : x.d.value)).join(', ')} (${MAX_TIMESTAMP} minutes or less)`,
      cap(all.map(dev)),
    );
  return pass(
    `timestamp_timeout is not set: sudo's built-in default applies (5 minutes upstream, 15 on some builds; never more than ${MAX_TIMESTAMP})`,
  );
}

function su(f: AccountsFacts): Outcome {
  const s = f.pam.su;
  if (!s.present) return skip('/etc/pam.d/su does not exist (su is not installed or has no PAM service)');
  const wheel = s.modules.filter(
    // "deny" inverts pam_wheel (members are refused) and "trust" lets members in without a password: neither restricts.
    (m) =>
      m.type === 'auth' &&
      moduleName(m.module) === 'pam_wheel.so' &&
      /^(required|requisite)$/.test(m.control) &&
      !m.args.includes('deny') &&
      !m.args.includes('trust'),
  );
  if (wheel.length === 0)
    return fail(
      `/etc/pam.d/su has no "auth required pam_wheel.so": any user who knows root's password can su to root${s.problems.length ? `; ${names(s.problems, 3)}` : ''}`,
    );
  const m = wheel.find((w) => w.args.includes('use_uid') && argValue(w.args, 'group')) ?? wheel[0]!;
  const e = [ev(m.file, m.line, m.text)];
  const group = argValue(m.args, 'group');
  if (!group)
    return fail(
      `pam_wheel on ${m.file}:${m.line} names no group=, so su falls back to the wheel or root group; CIS wants a dedicated empty group`,
      e,
    );
  if (!m.args.includes('use_uid'))
    return fail(`pam_wheel on ${m.file}:${m.line} lacks use_uid: it checks the login name, not the user running su`, e);
  if (!f.group.ok)
    return unknown(
      `su is restricted to group ${group}, but ${f.group.file} cannot be read to see who is in it (${f.group.reason})`,
      e,
    );
  const g = f.group.data.entries.find((x) => x.name === group);
  if (!g)
    return fail(
      `pam_wheel names group ${group}, which does not exist in ${f.group.file}: su is refused to everyone now, but whoever later creates a group of that name decides who may su`,
      e,
    );
  const members = [
    ...g.members,
    ...(f.passwd.ok ? f.passwd.data.entries.filter((p) => p.gid === g.gid).map((p) => `${p.name} (primary)`) : []),
  ];
  e.push(ev(f.group.file, g.line, `${g.name}:x:${g.gid}:${g.members.join(',')}`));
  if (members.length)
    return fail(`su is restricted to group ${group}, but the group has members who can su: ${names(members)}`, e);
  return pass(
    `su is restricted by pam_wheel use_uid to group ${group}, which is empty: nobody can su (root excepted), sudo is the way to root`,
    e,
  );
}

export const sudoChecks: readonly Check<AccountsFacts>[] = [
  {
    id: 'accounts.sudo_installed',
    title: 'sudo is installed',
    severity: 'low',
    references: [CIS('5.2.1')],
    remediation:
      'apt-get install sudo (or dnf install sudo) and give administrators their own accounts with sudo rights.',
    evaluate: installed,
  },
  {
    id: 'accounts.sudo_use_pty',
    title: 'sudo runs commands in a pseudo-terminal (Defaults use_pty)',
    severity: 'medium',
    references: [CIS('5.2.2')],
    remediation: 'Add "Defaults use_pty" with visudo (e.g. in /etc/sudoers.d/10-hardening) and remove "!use_pty".',
    evaluate: usePty,
  },
  {
    id: 'accounts.sudo_logfile',
    title: 'sudo logs to its own file (Defaults logfile)',
    severity: 'low',
    references: [CIS('5.2.3')],
    remediation: 'Add \'Defaults logfile="/var/log/sudo.log"\' with visudo.',
    evaluate: logfile,
  },
  {
    id: 'accounts.sudo_nopasswd',
    title: 'No sudo rule grants commands without a password (NOPASSWD)',
    severity: 'medium',
    references: [CIS('5.2.4')],
    remediation:
      'Remove NOPASSWD: from the named rules (visudo -f <file>); for automation, grant the exact commands needed to a dedicated account.',
    evaluate: nopasswd,
  },
  {
    id: 'accounts.sudo_authenticate',
    title: 'sudo authentication is not turned off (no !authenticate)',
    severity: 'high',
    references: [CIS('5.2.5')],
    remediation: 'Remove every "Defaults !authenticate" (and Defaults:<user> !authenticate) with visudo.',
    evaluate: authenticate,
  },
  {
    id: 'accounts.sudo_timestamp_timeout',
    title: 'sudo asks again after 15 minutes or less (timestamp_timeout)',
    severity: 'low',
    references: [CIS('5.2.6')],
    remediation: 'Set "Defaults timestamp_timeout=15" (or less, not negative) with visudo.',
    evaluate: timestamp,
  },
  {
    id: 'accounts.su_restricted',
    title: 'su is restricted to an empty group (pam_wheel use_uid group=...)',
    severity: 'medium',
    references: [CIS('5.2.7')],
    remediation:
      'groupadd sugroup (no members) and add "auth required pam_wheel.so use_uid group=sugroup" to /etc/pam.d/su.',
    evaluate: su,
  },
];
