/**
 * The login environment (CIS Debian 12 5.4.2.5, 5.4.3.2, 5.4.3.3; Lynis AUTH-9328, SHLL-6220, SHLL-6230): the
 * default umask, root's PATH, the idle shell timeout. Read statically from the scripts a login shell runs;
 * every branch of an if counts, as in CIS's own audits.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { checkMode, fail, pass, unknown } from '../../../src/sdk.js';
import type { AccountsFacts, ShellFile } from '../types.js';
import { CIS, LYNIS, cap, ev, names } from './util.js';

/** The umask CIS wants: group write and every "other" bit masked (027 or stricter). */
const UMASK_WANT = 0o027;
const TMOUT_MAX = 900;

const octal = (n: number): string => n.toString(8).padStart(3, '0');

function umask(f: AccountsFacts): Outcome {
  const good: Evidence[] = [];
  const weak: Evidence[] = [];
  const odd: Evidence[] = [];
  const ld = f.loginDefs.ok ? f.loginDefs.data.values.get('UMASK') : undefined;
  if (ld && f.loginDefs.ok) {
    const n = /^[0-7]{1,4}$/.test(ld.value) ? parseInt(ld.value, 8) : undefined;
    const e = ev(f.loginDefs.file, ld.line, `UMASK ${ld.value}`);
    (n === undefined ? odd : (n & UMASK_WANT) === UMASK_WANT ? good : weak).push(e);
  }
  for (const s of f.profiles) {
    for (const u of s.facts.umasks) {
      const e = ev(s.file, u.line, u.text);
      (u.mask === undefined ? odd : (u.mask & UMASK_WANT) === UMASK_WANT ? good : weak).push(e);
    }
  }
  const note = f.profileProblems.length ? `; not read: ${f.profileProblems.join('; ')}` : '';
  if (weak.length)
    return fail(
      `a umask weaker than 027 is set (${weak
        .map((e) => `${e.file}:${e.line} ${e.text}`)
        .slice(0, 5)
        .join('; ')}): new files are readable or writable by others`,
      cap([...weak, ...good]),
    );
  if (good.length && !odd.length)
    return pass(
      `the default umask is 027 or stricter (${good.map((e) => `${e.file}:${e.line}`).join(', ')})${note}`,
      cap(good),
    );
  if (odd.length)
    return unknown(
      `a umask could not be understood: ${odd.map((e) => `${e.file}:${e.line} ${e.text}`).join('; ')}`,
      cap([...odd, ...good]),
    );
  if (!f.loginDefs.ok && f.loginDefs.code !== 'missing')
    return unknown(`/etc/login.defs: ${f.loginDefs.reason}${note}`);
  return fail(
    `no umask is set in /etc/login.defs (UMASK), /etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc or /etc/bashrc: the default 022 leaves new files readable by everyone${note}`,
  );
}

interface PathEntry {
  file: string;
  line: number;
  text: string;
  value: string;
}

/** Where root's PATH is set: login.defs for login and su, pam_env, then every script a root login shell runs. */
function pathEntries(f: AccountsFacts): PathEntry[] {
  const env = f.environment.ok ? f.environment.data.map((a) => ({ file: f.environment.file, ...a })) : [];
  const fromFiles = (files: readonly ShellFile[]): PathEntry[] =>
    files.flatMap((s) => s.facts.path.map((a) => ({ file: s.file, ...a })));
  // login and su give root ENV_SUPATH of login.defs (login.defs(5)); the scripts may then change it.
  const su = f.loginDefs.ok ? f.loginDefs.data.values.get('ENV_SUPATH') : undefined;
  const supath =
    su && f.loginDefs.ok
      ? [
          {
            file: f.loginDefs.file,
            line: su.line,
            text: `ENV_SUPATH ${su.value}`,
            value: su.value.replace(/^PATH=/, ''),
          },
        ]
      : [];
  return [...supath, ...env, ...fromFiles(f.profiles), ...fromFiles(f.rootProfiles)];
}

function rootPath(f: AccountsFacts): Outcome {
  const entries = pathEntries(f);
  const stats = new Map(f.pathDirs.map((d) => [d.dir, d.stat]));
  const problems: string[] = [];
  const evidence: Evidence[] = [];
  const unsure: string[] = [];
  for (const p of entries) {
    const bad: string[] = [];
    const parts = p.value.split(':');
    if (parts.some((d) => d === '')) bad.push('an empty entry (the current directory)');
    for (const d of parts) {
      if (d === '' || d.includes('$')) continue;
      if (!d.startsWith('/')) {
        bad.push(`"${d}" (relative: resolved from the current directory)`);
        continue;
      }
      const s = stats.get(d);
      if (!s) continue;
      if (!s.ok) {
        if (!/missing/.test(s.reason)) unsure.push(`${d}: ${s.reason}`);
        continue;
      }
      if (s.type !== 'directory') bad.push(`${d} (not a directory)`);
      else if (checkMode(s, { maxMode: 0o7755 }).extra)
        bad.push(`${d} (mode ${octal(s.mode & 0o777)}: group or world writable)`);
      else if (s.uid !== 0) bad.push(`${d} (owned by uid ${s.uid}, not root)`);
    }
    if (bad.length) {
      problems.push(`${p.file}:${p.line}: ${bad.join(', ')}`);
      evidence.push(ev(p.file, p.line, p.text));
    }
  }
  if (problems.length) return fail(`root's PATH can run programs others control: ${names(problems, 5)}`, cap(evidence));
  if (entries.length === 0)
    return unknown(
      "no PATH is set in /etc/login.defs (ENV_SUPATH), /etc/environment, /etc/profile, /etc/profile.d, /etc/bash.bashrc, /etc/bashrc or root's dot files; root's PATH then comes from a source this check does not read (login, sudo secure_path, systemd)",
    );
  if (unsure.length) return unknown(`directories of root's PATH could not be checked: ${names(unsure, 5)}`);
  return pass(
    `the PATH root's shell is given (${entries.map((e) => `${e.file}:${e.line}`).join(', ')}) has no empty entry, no ".", and only root-owned directories not writable by group or others`,
    cap(entries.map((e) => ev(e.file, e.line, e.text))),
  );
}

function tmout(f: AccountsFacts): Outcome {
  const evidence: Evidence[] = [];
  const tooLong: string[] = [];
  const good: string[] = [];
  const partial: string[] = [];
  for (const s of f.profiles) {
    const ro = s.facts.tmoutReadonly.length > 0;
    const ex = s.facts.tmoutExported.length > 0;
    for (const a of s.facts.tmout) {
      evidence.push(ev(s.file, a.line, a.text));
      const n = /^\d+$/.test(a.value) ? Number(a.value) : NaN;
      const where = `${s.file}:${a.line} TMOUT=${a.value}`;
      if (!(n > 0 && n <= TMOUT_MAX)) tooLong.push(where);
      else if (ro && ex) good.push(where);
      else
        partial.push(`${where} (${[ro ? '' : 'not readonly', ex ? '' : 'not exported'].filter(Boolean).join(', ')})`);
    }
  }
  const note = f.profileProblems.length ? `; not read: ${f.profileProblems.join('; ')}` : '';
  if (tooLong.length)
    return fail(
      `TMOUT is set to 0, more than ${TMOUT_MAX} seconds, or not a number: ${names(tooLong, 5)}`,
      cap(evidence),
    );
  if (good.length)
    return pass(
      `idle shells end after at most ${TMOUT_MAX} s: ${names(good, 5)}, readonly and exported${partial.length ? `; also ${names(partial, 3)}` : ''}${note}`,
      cap(evidence),
    );
  if (partial.length)
    return fail(
      `TMOUT is set but a user can unset it or child shells do not inherit it: ${names(partial, 5)}`,
      cap(evidence),
    );
  if (f.profileProblems.length) return unknown(`no TMOUT in the login scripts read${note}`);
  return fail(
    'TMOUT is not set in /etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc or /etc/bashrc: idle root shells stay open forever',
  );
}

export const environmentChecks: readonly Check<AccountsFacts>[] = [
  {
    id: 'accounts.default_umask',
    title: 'The default umask is 027 or stricter',
    severity: 'medium',
    references: [CIS('5.4.3.3'), LYNIS('AUTH-9328'), LYNIS('SHLL-6230')],
    remediation:
      'Set "UMASK 027" in /etc/login.defs (pam_umask reads it on Debian) and "umask 027" in /etc/profile.d/cis-umask.sh; remove weaker umask lines.',
    evaluate: umask,
  },
  {
    id: 'accounts.root_path',
    title: "root's PATH has no empty or relative entry and no group- or world-writable directory",
    severity: 'medium',
    references: [CIS('5.4.2.5')],
    remediation:
      'Remove empty entries ("::", a leading or trailing ":") and "." from PATH in /etc/environment, /etc/profile and /root/.profile or .bashrc; make each directory root-owned and "chmod go-w".',
    evaluate: rootPath,
  },
  {
    id: 'accounts.shell_timeout',
    title: 'Idle shells time out within 900 s (TMOUT readonly and exported)',
    severity: 'low',
    references: [CIS('5.4.3.2'), LYNIS('SHLL-6220')],
    remediation:
      'Create /etc/profile.d/tmout.sh with "readonly TMOUT=900 ; export TMOUT"; remove larger TMOUT values elsewhere.',
    evaluate: tmout,
  },
];
