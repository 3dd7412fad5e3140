/**
 * Home directories of interactive users (a login shell of /etc/shells): each exists, belongs to its user and is
 * 0750 or stricter; dot files are the user's and not group or world writable; no .netrc, .rhosts or .forward.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { checkMode, fail, pass, skip, unknown } from '../../../src/sdk.js';
import { CIS_DEBIAN_12, LYNIS } from '../refs.js';
import type { FilesFacts, HomeFacts, PathState } from '../types.js';
import { modeText, statText } from './perms.js';

const SHOWN = 5;
const TRUST_FILES = ['.netrc', '.rhosts', '.forward'];

function usersNote(f: FilesFacts): string {
  const shells = f.shells ? '' : ' (no readable /etc/shells: every shell but nologin and false counts)';
  const omitted = f.homesOmitted ? `; ${f.homesOmitted} more users not read` : '';
  return `${f.homes.length} interactive user${f.homes.length === 1 ? '' : 's'}${shells}${omitted}`;
}

function noUsers(f: FilesFacts): Outcome | undefined {
  if (f.accounts.problem) return unknown(`the account files cannot be read: ${f.accounts.problem}`);
  if (f.homes.length === 0) return skip('no interactive user (no account with a login shell of /etc/shells)');
  return undefined;
}

function homeProblem(h: HomeFacts, f: FilesFacts): string | undefined {
  const d = h.dir;
  if (d.state === 'missing') return `${h.user.name}: ${h.user.home} does not exist`;
  if (d.state === 'error') return `${h.user.name}: ${d.reason}`;
  const st = d.stat;
  const text = statText(d.path, st, f.accounts);
  if (st.type !== 'directory') return `${h.user.name}: ${text} is a ${st.type}`;
  // 0750 or stricter in the permission bits; setuid, setgid and sticky are not judged here.
  const v = checkMode(st, { maxMode: 0o7750, uid: h.user.uid });
  const bad = [
    ...(!v.ownerOk ? [`not owned by ${h.user.name}`] : []),
    ...(v.extra ? [`mode ${modeText(st.mode)} beyond 0750`] : []),
  ];
  return bad.length ? `${h.user.name}: ${text} ${bad.join(', ')}` : undefined;
}

function homeDirs(f: FilesFacts): Outcome {
  const none = noUsers(f);
  if (none) return none;
  const problems = f.homes.flatMap((h) => homeProblem(h, f) ?? []);
  const evidence: Evidence[] = f.homes.map((h) => ({
    file: h.user.home,
    text: h.dir.state === 'ok' ? statText(h.dir.path, h.dir.stat, f.accounts) : `${h.user.name}: ${h.dir.state}`,
  }));
  if (problems.length)
    return fail(
      `${problems.slice(0, SHOWN).join('; ')}${problems.length > SHOWN ? ` and ${problems.length - SHOWN} more` : ''}` +
        '; expected owned by the user, 0750 or stricter',
      evidence.slice(0, 20),
    );
  return pass(`${usersNote(f)}: every home exists, belongs to its user and is 0750 or stricter`, evidence.slice(0, 20));
}

const isFile = (s: PathState): s is Extract<PathState, { state: 'ok' }> => s.state === 'ok' && s.stat.type === 'file';
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function dotProblem(s: Extract<PathState, { state: 'ok' }>, h: HomeFacts, f: FilesFacts): string | undefined {
  const v = checkMode(s.stat, { maxMode: 0o7755, uid: h.user.uid });
  const bad = [...(!v.ownerOk ? [`not owned by ${h.user.name}`] : []), ...(v.extra ? ['group or world writable'] : [])];
  return bad.length ? `${statText(s.path, s.stat, f.accounts)} ${bad.join(', ')}` : undefined;
}

function dotFiles(f: FilesFacts): Outcome {
  const none = noUsers(f);
  if (none) return none;
  const files = f.homes.flatMap((h) => h.dotFiles.filter(isFile).map((s) => ({ s, h })));
  const problems = files.flatMap(({ s, h }) => dotProblem(s, h, f) ?? []);
  const omitted = f.homes.reduce((a, h) => a + h.dotOmitted, 0);
  if (problems.length) {
    const evidence = problems.slice(0, 20).map((p) => ({ file: p.split(' ')[0]!, text: p }));
    return fail(
      `${problems.slice(0, SHOWN).join('; ')}${problems.length > SHOWN ? ` and ${problems.length - SHOWN} more` : ''}`,
      evidence,
    );
  }
  if (omitted)
    return unknown(
      `${files.length} dot files are the users' and not group or world writable, ` +
        `but ${omitted} were not read (more than the per-home cap)`,
    );
  return pass(`${usersNote(f)}: ${files.length} dot files, each owned by its user and writable by it alone`);
}

function trustFiles(f: FilesFacts): Outcome {
  const none = noUsers(f);
  if (none) return none;
  const found = f.homes.flatMap((h) =>
    h.dotFiles.filter((s) => s.state === 'ok' && TRUST_FILES.includes(base(s.path))),
  );
  const evidence: Evidence[] = found.flatMap((s) =>
    s.state === 'ok' ? [{ file: s.path, text: `${modeText(s.stat.mode)} ${s.stat.type}` }] : [],
  );
  if (found.length)
    return fail(
      `${found.map((s) => s.path).join(', ')}: ${found.length === 1 ? 'it' : 'they'} must not exist ` +
        '(.netrc holds clear-text passwords, .rhosts grants password-less rsh logins, ' +
        '.forward runs programs on mail delivery)',
      evidence.slice(0, 20),
    );
  const omitted = f.homes.reduce((a, h) => a + h.dotOmitted, 0);
  if (omitted) return unknown(`none found, but ${omitted} dot entries were not read (more than the per-home cap)`);
  return pass(`${usersNote(f)}: no .netrc, .rhosts or .forward in their homes`);
}

export const homeChecks: Check<FilesFacts>[] = [
  {
    id: 'files.home_directories',
    title: "Every interactive user's home directory exists, belongs to the user and is 0750 or stricter",
    severity: 'medium',
    references: [CIS_DEBIAN_12('7.2.9'), LYNIS('HOME-9304'), LYNIS('HOME-9306')],
    remediation:
      'mkdir -p <home> && chown <user>: <home> && chmod 750 <home> (0700 where the group need not enter): a ' +
      'readable home leaks keys, history and configuration to every user.',
    evaluate: homeDirs,
  },
  {
    id: 'files.dot_files',
    title: "Users' dot files (.bashrc, .profile, ...) belong to them and are not group or world writable",
    severity: 'medium',
    references: [CIS_DEBIAN_12('7.2.10')],
    remediation:
      "chown <user> <file> && chmod go-w <file> for each file named: whoever can write a user's .bashrc or " +
      '.profile runs commands as that user at the next login.',
    evaluate: dotFiles,
  },
  {
    id: 'files.no_trust_files',
    title: 'No user has a .netrc, .rhosts or .forward file',
    severity: 'medium',
    references: [CIS_DEBIAN_12('7.2.10')],
    remediation:
      "Remove the files named (move a .netrc's credentials to a secret store): .netrc keeps passwords in clear " +
      'text, .rhosts trusts other hosts for password-less logins, .forward can pipe mail to a program.',
    evaluate: trustFiles,
  },
];
