/**
 * PAM (CIS Debian 12 5.3.2-5.3.3; Lynis AUTH-9262): pam_pwquality with minlen, pam_faillock (or the legacy
 * pam_tally2), pam_pwhistory, pam_unix without nullok and with a strong hash. The stacks read are Debian's
 * common-auth/common-account/common-password or RHEL's system-auth/password-auth, includes followed.
 * A module's arguments override its configuration file, as the modules themselves do.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import { modulesOf } from '../gather/pam.js';
import { argValue } from '../parse/pam.js';
import type { PamType } from '../parse/pam.js';
import type { KeyValues } from '../parse/keyvalue.js';
import type { AccountsFacts, PamModule, Read } from '../types.js';
import { CIS, LYNIS, cap, ev, names } from './util.js';

const WANT = { minlen: 14, deny: 5, unlock: 900, remember: 24 } as const;
/** Built-in defaults of the modules (pwquality.conf(5), faillock.conf(5), pwhistory.conf(5)). */
const DEFAULTS = { minlen: 8, deny: 3, unlockTime: 600, remember: 10 } as const;

const mev = (m: PamModule): Evidence => ev(m.file, m.line, m.text);

/** Skip or unknown when the host has no stacks to read; undefined when there are. */
function noStacks(f: AccountsFacts): Outcome | undefined {
  if (f.pam.problem) return unknown(`PAM configuration cannot be read: ${f.pam.problem}`);
  if (f.pam.family === 'none')
    return skip(
      'no PAM stacks to read: /etc/pam.d has neither common-password/common-auth (Debian) nor system-auth (RHEL)',
    );
  return undefined;
}

const stackProblems = (f: AccountsFacts): string => {
  const p = f.pam.stacks.flatMap((s) => s.problems);
  return p.length ? `; PAM lines not followed: ${names(p, 3)}` : '';
};

/** A setting from a module argument, else the configuration files (the last one setting it), else the default. */
function effective(
  m: PamModule,
  key: string,
  confs: readonly Read<KeyValues>[],
): { value: string; from: string; conf?: Evidence } | undefined {
  const a = argValue(m.args, key);
  if (a !== undefined) return { value: a, from: `${key}=${a} on ${m.file}:${m.line}` };
  let found: { value: string; from: string; conf?: Evidence } | undefined;
  for (const c of confs) {
    const s = c.ok ? c.data.values.get(key) : undefined;
    if (s && c.ok)
      found = {
        value: s.value,
        from: `${key} = ${s.value} in ${c.file}:${s.line}`,
        conf: ev(c.file, s.line, `${key} = ${s.value}`),
      };
  }
  return found;
}

function moduleIn(f: AccountsFacts, type: PamType, name: string): PamModule[] {
  return modulesOf(f.pam.stacks, type, name);
}

function pwquality(f: AccountsFacts): Outcome {
  const none = noStacks(f);
  if (none) return none;
  const mods = moduleIn(f, 'password', 'pam_pwquality.so');
  const cracklib = moduleIn(f, 'password', 'pam_cracklib.so');
  const m = mods[0] ?? cracklib[0];
  if (!m)
    return fail(
      `neither pam_pwquality nor pam_cracklib is in the password stack (${f.pam.stacks.map((s) => s.file).join(', ')}): any password is accepted${stackProblems(f)}`,
    );
  const unreadable = f.pam.pwquality.filter((c) => !c.ok && c.code !== 'missing');
  const s = effective(m, 'minlen', mods.length ? f.pam.pwquality : []);
  const n = s ? Number(s.value) : DEFAULTS.minlen;
  const evidence = [mev(m), ...(s?.conf ? [s.conf] : [])];
  const from = s ? s.from : `minlen not set: the default ${DEFAULTS.minlen}`;
  if (n >= WANT.minlen)
    return pass(`${m.module.split('/').pop()} checks new passwords with minlen ${n} (${from})`, evidence);
  if (!s && unreadable.length)
    return unknown(
      `${m.module} is in the password stack, but ${unreadable.map((u) => u.file).join(', ')} could not be read for minlen`,
      evidence,
    );
  return fail(
    `${m.module.split('/').pop()} accepts passwords shorter than ${WANT.minlen} characters (${from})`,
    evidence,
  );
}

function faillockOrTally(f: AccountsFacts): { kind: 'faillock' | 'tally2'; mods: PamModule[] } | undefined {
  const fl = moduleIn(f, 'auth', 'pam_faillock.so');
  if (fl.length) return { kind: 'faillock', mods: fl };
  const t = moduleIn(f, 'auth', 'pam_tally2.so');
  return t.length ? { kind: 'tally2', mods: t } : undefined;
}

function lockSetting(
  f: AccountsFacts,
  key: 'deny' | 'unlock_time',
): { n: number; from: string; evidence: Evidence[]; kind: string } | Outcome {
  const none = noStacks(f);
  if (none) return none;
  const found = faillockOrTally(f);
  if (!found)
    return fail(
      `neither pam_faillock nor pam_tally2 is in the auth stack: password guessing is never locked out${stackProblems(f)}`,
    );
  const confs = found.kind === 'faillock' ? [f.pam.faillock] : [];
  // The first module line that sets the key decides (preauth and authfail usually agree); else the file.
  const settings = found.mods.map((m) => effective(m, key, confs)).filter((s) => s !== undefined);
  const s = settings[0];
  const def = key === 'deny' ? DEFAULTS.deny : found.kind === 'faillock' ? DEFAULTS.unlockTime : 0;
  const evidence = [...found.mods.map(mev), ...(s?.conf ? [s.conf] : [])];
  const label =
    found.kind === 'tally2' ? 'pam_tally2 (legacy: removed in Linux-PAM 1.5, use pam_faillock)' : 'pam_faillock';
  if (!s && found.kind === 'faillock' && !f.pam.faillock.ok && f.pam.faillock.code !== 'missing') {
    return unknown(
      `${key} is not on the pam_faillock lines and ${f.pam.faillock.file} cannot be read (${f.pam.faillock.reason})`,
      evidence,
    );
  }
  const n = s ? (s.value === 'never' ? 0 : Number(s.value)) : def;
  return { n, from: s ? s.from : `${key} not set: the default ${def}`, evidence, kind: label };
}

function faillockDeny(f: AccountsFacts): Outcome {
  const r = lockSetting(f, 'deny');
  if ('status' in r) return r;
  if (r.n >= 1 && r.n <= WANT.deny)
    return pass(`${r.kind} locks an account after ${r.n} failed attempts (${r.from})`, r.evidence);
  return fail(
    `${r.kind} ${r.n === 0 ? 'never locks (deny=0)' : `allows ${r.n} failed attempts`}; CIS wants ${WANT.deny} or fewer (${r.from})`,
    r.evidence,
  );
}

function faillockUnlock(f: AccountsFacts): Outcome {
  const r = lockSetting(f, 'unlock_time');
  if ('status' in r) return r;
  if (r.n === 0)
    return pass(
      `${r.kind} keeps a locked account locked until an administrator unlocks it (unlock_time 0; ${r.from})`,
      r.evidence,
    );
  if (r.n >= WANT.unlock) return pass(`${r.kind} unlocks after ${r.n} s (${r.from})`, r.evidence);
  return fail(
    `${r.kind} unlocks after ${Number.isNaN(r.n) ? 'an unreadable time' : `${r.n} s`}; CIS wants 0 (never) or ${WANT.unlock} s or more (${r.from})`,
    r.evidence,
  );
}

function pwhistory(f: AccountsFacts): Outcome {
  const none = noStacks(f);
  if (none) return none;
  const m = moduleIn(f, 'password', 'pam_pwhistory.so')[0];
  if (!m)
    return fail(`pam_pwhistory is not in the password stack: a user can reuse an old password${stackProblems(f)}`);
  const s = effective(m, 'remember', [f.pam.pwhistory]);
  const n = s ? Number(s.value) : DEFAULTS.remember;
  const evidence = [mev(m), ...(s?.conf ? [s.conf] : [])];
  const from = s ? s.from : `remember not set: the default ${DEFAULTS.remember}`;
  if (n >= WANT.remember) return pass(`pam_pwhistory refuses the last ${n} passwords (${from})`, evidence);
  return fail(
    `pam_pwhistory remembers ${Number.isNaN(n) ? 'an unreadable number of' : n} passwords; CIS wants ${WANT.remember} or more (${from})`,
    evidence,
  );
}

function nullok(f: AccountsFacts): Outcome {
  const none = noStacks(f);
  if (none) return none;
  const unix = modulesOf(f.pam.stacks, undefined, 'pam_unix.so');
  const bad = unix.filter((m) => m.args.some((a) => a === 'nullok' || a === 'nullok_secure'));
  if (bad.length)
    return fail(
      `pam_unix accepts an empty password (nullok) on ${names(bad.map((m) => `${m.file}:${m.line}`))}`,
      cap(bad.map(mev)),
    );
  if (unix.length === 0)
    return unknown(
      `pam_unix is not in the stacks read (${f.pam.stacks.map((s) => s.file).join(', ')}), so which module checks passwords is not known here${stackProblems(f)}`,
    );
  return pass(
    `no pam_unix line has nullok (${unix.length} line${unix.length === 1 ? '' : 's'} read)${stackProblems(f)}`,
    cap(unix.map(mev)),
  );
}

const STRONG_UNIX = ['yescrypt', 'sha512'];
const WEAK_UNIX = ['md5', 'bigcrypt', 'sha256', 'blowfish', 'gost_yescrypt'];

function unixHash(f: AccountsFacts): Outcome {
  const none = noStacks(f);
  if (none) return none;
  const unix = moduleIn(f, 'password', 'pam_unix.so');
  if (unix.length === 0) return unknown(`pam_unix is not in the password stack read${stackProblems(f)}`);
  const weak = unix.filter((m) => !m.args.some((a) => STRONG_UNIX.includes(a)));
  if (weak.length === 0)
    return pass(
      `pam_unix hashes new passwords with ${[...new Set(unix.map((m) => m.args.find((a) => STRONG_UNIX.includes(a))))].join(', ')}`,
      cap(unix.map(mev)),
    );
  const why = (m: PamModule): string =>
    m.args.find((a) => WEAK_UNIX.includes(a)) ??
    'no method named (then ENCRYPT_METHOD of login.defs, which CIS does not accept in place of the argument)';
  return fail(
    `pam_unix in the password stack does not name yescrypt or sha512: ${names(
      weak.map((m) => `${m.file}:${m.line} ${why(m)}`),
      3,
    )}`,
    cap(weak.map(mev)),
  );
}

export const pamChecks: readonly Check<AccountsFacts>[] = [
  {
    id: 'accounts.pam_pwquality_minlen',
    title: 'New passwords are checked by pam_pwquality with minlen 14 or more',
    severity: 'medium',
    references: [CIS('5.3.2.3'), CIS('5.3.3.2.2'), LYNIS('AUTH-9262')],
    remediation:
      'Install libpam-pwquality (Debian: pam-auth-update enables it) and set "minlen = 14" in /etc/security/pwquality.conf.d/50-pwlength.conf; remove smaller minlen= arguments from the pam_pwquality line.',
    evaluate: pwquality,
  },
  {
    id: 'accounts.pam_faillock_deny',
    title: 'Failed logins lock the account after 5 attempts or fewer (pam_faillock deny)',
    severity: 'medium',
    references: [CIS('5.3.2.2'), CIS('5.3.3.1.1')],
    remediation:
      'Enable pam_faillock (Debian: a pam-auth-update profile with "auth required pam_faillock.so preauth" and "authfail") and set "deny = 5" (or fewer) in /etc/security/faillock.conf.',
    evaluate: faillockDeny,
  },
  {
    id: 'accounts.pam_faillock_unlock_time',
    title: 'Locked accounts stay locked 900 s or more (pam_faillock unlock_time)',
    severity: 'low',
    references: [CIS('5.3.3.1.2')],
    remediation:
      'Set "unlock_time = 900" (or 0: until an administrator runs faillock --reset) in /etc/security/faillock.conf.',
    evaluate: faillockUnlock,
  },
  {
    id: 'accounts.pam_pwhistory_remember',
    title: 'The last 24 passwords cannot be reused (pam_pwhistory remember)',
    severity: 'low',
    references: [CIS('5.3.2.4'), CIS('5.3.3.3.1')],
    remediation:
      'Add "password requisite pam_pwhistory.so remember=24 enforce_for_root use_authtok" before pam_unix in the password stack (or remember = 24 in /etc/security/pwhistory.conf).',
    evaluate: pwhistory,
  },
  {
    id: 'accounts.pam_unix_no_nullok',
    title: 'pam_unix does not accept empty passwords (no nullok)',
    severity: 'high',
    references: [CIS('5.3.3.4.1')],
    remediation:
      'Remove nullok from every pam_unix.so line (Debian: edit the profile under /usr/share/pam-configs and run pam-auth-update).',
    evaluate: nullok,
  },
  {
    id: 'accounts.pam_unix_hash',
    title: 'pam_unix hashes new passwords with yescrypt or sha512',
    severity: 'medium',
    references: [CIS('5.3.3.4.3')],
    remediation:
      'Put yescrypt (or sha512) on the "password ... pam_unix.so" line and remove md5, bigcrypt, sha256 and blowfish.',
    evaluate: unixHash,
  },
];
