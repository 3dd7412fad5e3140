/**
 * Password hashing and ageing (CIS Debian 12 5.4.1, Lynis AUTH-9229/9230/9286): login.defs and useradd
 * defaults, and whether the accounts in /etc/shadow follow them.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass } from '../../../src/sdk.js';
import type { ShadowEntry } from '../parse/colon.js';
import type { AccountsFacts } from '../types.js';
import { classifyHash } from './hashes.js';
import { CIS, LYNIS, cannotRead, cap, ev, names, plural } from './util.js';

const DAY_MS = 86_400_000;
/** Thresholds of CIS Debian 12 5.4.1.1-5.4.1.5. */
export const LIMITS = { maxDays: 365, minDays: 1, warnAge: 7, inactive: 45 } as const;

function setting(f: AccountsFacts, key: string): { value: string; line: number } | undefined {
  return f.loginDefs.ok ? f.loginDefs.data.values.get(key) : undefined;
}

function hashMethod(f: AccountsFacts): Outcome {
  if (!f.loginDefs.ok) return cannotRead(f.loginDefs, 'the hashing method for new passwords');
  const file = f.loginDefs.file;
  const m = setting(f, 'ENCRYPT_METHOD');
  if (!m)
    return fail(
      `ENCRYPT_METHOD is not set in ${file}: shadow-utils then hashes new passwords with DES (or MD5 with MD5_CRYPT_ENAB)`,
    );
  const e = [ev(file, m.line, `ENCRYPT_METHOD ${m.value}`)];
  const method = m.value.toUpperCase();
  if (method === 'YESCRYPT') {
    const c = setting(f, 'YESCRYPT_COST_FACTOR');
    const n = c ? Number(c.value) : 5;
    if (c) e.push(ev(file, c.line, `YESCRYPT_COST_FACTOR ${c.value}`));
    if (!Number.isInteger(n) || n < 5 || n > 11)
      return fail(
        `ENCRYPT_METHOD YESCRYPT, but YESCRYPT_COST_FACTOR ${c?.value} is below the default 5 or outside 1-11`,
        e,
      );
    return pass(`ENCRYPT_METHOD YESCRYPT with cost factor ${n}${c ? '' : ' (the default)'}`, e);
  }
  if (method === 'SHA512') {
    const lows = ['SHA_CRYPT_MIN_ROUNDS', 'SHA_CRYPT_MAX_ROUNDS']
      .map((k) => [k, setting(f, k)] as const)
      .filter(([, s]) => s);
    for (const [k, s] of lows) e.push(ev(file, s!.line, `${k} ${s!.value}`));
    const low = lows.filter(([, s]) => !(Number(s!.value) >= 5000));
    if (low.length)
      return fail(
        `ENCRYPT_METHOD SHA512, but ${low.map(([k, s]) => `${k} ${s!.value}`).join(', ')} is below 5000 rounds (the default)`,
        e,
      );
    return pass(
      `ENCRYPT_METHOD SHA512${lows.length ? ` with ${lows.map(([k, s]) => `${k} ${s!.value}`).join(', ')}` : ' with the default 5000 rounds'}`,
      e,
    );
  }
  return fail(
    `ENCRYPT_METHOD ${m.value}: new passwords are hashed with a method CIS does not accept (use YESCRYPT or SHA512)`,
    e,
  );
}

function withPassword(f: AccountsFacts): ShadowEntry[] | undefined {
  if (!f.shadow.ok) return undefined;
  return f.shadow.data.entries.filter((e) => classifyHash(e.hash).kind === 'hash');
}

function hashesStrong(f: AccountsFacts): Outcome {
  if (!f.shadow.ok) return cannotRead(f.shadow, 'how the stored passwords are hashed');
  const file = f.shadow.file;
  const hashed = f.shadow.data.entries.map((e) => ({ e, c: classifyHash(e.hash) })).filter((x) => x.c.kind === 'hash');
  const weak = hashed.filter((x) => x.c.kind === 'hash' && !x.c.strong);
  if (hashed.length === 0)
    return pass(`no account in ${file} has a password hash (all are locked or have none): nothing weak is stored`);
  const kinds = [...new Set(hashed.map((x) => (x.c.kind === 'hash' ? x.c.scheme : '')))].join(', ');
  // Never the hash itself: its scheme and the account name are evidence enough.
  const evidence: Evidence[] = cap(
    weak.map((x) => ev(file, x.e.line, `${x.e.name}: ${x.c.kind === 'hash' ? x.c.scheme : ''}`)),
  );
  if (weak.length === 0)
    return pass(`${plural(hashed.length, 'password hash', 'password hashes')} in ${file}, all strong (${kinds})`);
  return fail(
    `${plural(weak.length, 'account')} with a weak password hash, which offline cracking recovers quickly: ${names(weak.map((x) => `${x.e.name} (${x.c.kind === 'hash' ? x.c.why : ''})`))}`,
    evidence,
  );
}

function daysCheck(key: string, ok: (n: number) => boolean, want: string, absent: string) {
  return (f: AccountsFacts): Outcome => {
    if (!f.loginDefs.ok) return cannotRead(f.loginDefs, key);
    const s = setting(f, key);
    if (!s) return fail(`${key} is not set in ${f.loginDefs.file}: ${absent}`);
    const e = [ev(f.loginDefs.file, s.line, `${key} ${s.value}`)];
    const n = /^-?\d+$/.test(s.value) ? Number(s.value) : NaN;
    if (Number.isNaN(n)) return fail(`${key} "${s.value}" is not a number, so shadow-utils ignores it`, e);
    return ok(n) ? pass(`${key} ${n} (${want})`, e) : fail(`${key} ${n}; CIS wants ${want}`, e);
  };
}

function inactive(f: AccountsFacts): Outcome {
  if (!f.useradd.ok) {
    if (f.useradd.code === 'missing')
      return fail(
        `${f.useradd.file} does not exist, so INACTIVE is -1: accounts stay usable forever after their password expires`,
      );
    return cannotRead(f.useradd, 'INACTIVE for new accounts');
  }
  const s = f.useradd.data.values.get('INACTIVE');
  if (!s)
    return fail(
      `INACTIVE is not set in ${f.useradd.file}: useradd's default -1 never locks an account after its password expires`,
    );
  const e = [ev(f.useradd.file, s.line, `INACTIVE=${s.value}`)];
  const n = /^-?\d+$/.test(s.value) ? Number(s.value) : NaN;
  if (n >= 0 && n <= LIMITS.inactive)
    return pass(`INACTIVE=${n}: accounts lock ${n} days after their password expires`, e);
  return fail(`INACTIVE=${s.value}; CIS wants 0 to ${LIMITS.inactive} days (-1 never locks)`, e);
}

/** Existing accounts with a password whose own shadow fields break the limits (login.defs only acts on new ones). */
function usersAging(f: AccountsFacts): Outcome {
  const users = withPassword(f);
  if (!users || !f.shadow.ok)
    return cannotRead(f.shadow as AccountsFacts['shadow'] & { ok: false }, 'the ageing of existing passwords');
  const file = f.shadow.file;
  const bad: { e: ShadowEntry; why: string[] }[] = [];
  for (const e of users) {
    const why: string[] = [];
    if (e.max === undefined || e.max < 0 || e.max > LIMITS.maxDays) why.push(`maximum ${e.max ?? 'unset'}`);
    if (e.min === undefined || e.min < LIMITS.minDays) why.push(`minimum ${e.min ?? 'unset'}`);
    if (e.warn === undefined || e.warn < LIMITS.warnAge) why.push(`warning ${e.warn ?? 'unset'}`);
    if (e.inactive === undefined || e.inactive < 0 || e.inactive > LIMITS.inactive)
      why.push(`inactive ${e.inactive ?? 'unset'}`);
    if (why.length) bad.push({ e, why });
  }
  if (users.length === 0) return pass(`no account in ${file} has a usable password, so no password ages`);
  if (bad.length === 0)
    return pass(
      `all ${plural(users.length, 'account')} with a password follow max ${LIMITS.maxDays}, min ${LIMITS.minDays}, warn ${LIMITS.warnAge} and inactive ${LIMITS.inactive} days`,
    );
  return fail(
    `${plural(bad.length, 'account')} with a password whose ageing breaks the limits (login.defs applies to new accounts only): ${names(bad.map((b) => `${b.e.name} (${b.why.join(', ')})`))}`,
    cap(
      bad.map((b) =>
        ev(
          file,
          b.e.line,
          `${b.e.name}:…:${b.e.lastChange ?? ''}:${b.e.min ?? ''}:${b.e.max ?? ''}:${b.e.warn ?? ''}:${b.e.inactive ?? ''}`,
        ),
      ),
    ),
  );
}

function changePast(f: AccountsFacts): Outcome {
  if (!f.shadow.ok) return cannotRead(f.shadow, 'when passwords last changed');
  const today = Math.floor(f.now.getTime() / DAY_MS);
  const file = f.shadow.file;
  const future = f.shadow.data.entries.filter((e) => e.lastChange !== undefined && e.lastChange > today);
  if (future.length === 0) return pass(`no account in ${file} has a last password change after today (day ${today})`);
  return fail(
    `${plural(future.length, 'account')} with a last password change in the future, which defeats password ageing: ${names(future.map((e) => e.name))}`,
    cap(future.map((e) => ev(file, e.line, `${e.name}:…:${e.lastChange}`))),
  );
}

export const passwordChecks: readonly Check<AccountsFacts>[] = [
  {
    id: 'accounts.hash_method',
    title: 'New passwords are hashed with yescrypt or SHA-512 (login.defs ENCRYPT_METHOD)',
    severity: 'medium',
    references: [CIS('5.4.1.4'), LYNIS('AUTH-9230')],
    remediation:
      'Set "ENCRYPT_METHOD YESCRYPT" (or SHA512) in /etc/login.defs; leave YESCRYPT_COST_FACTOR at 5 or more and SHA_CRYPT_*_ROUNDS at 5000 or more.',
    evaluate: hashMethod,
  },
  {
    id: 'accounts.stored_hashes_strong',
    title: 'Stored password hashes use strong methods (yescrypt, SHA-512), not MD5 or DES',
    severity: 'high',
    references: [CIS('5.4.1.4'), LYNIS('AUTH-9229')],
    remediation:
      'Make the named users change their password ("passwd -e <user>" forces it at next login) once ENCRYPT_METHOD and pam_unix use yescrypt; lock accounts that need no password.',
    evaluate: hashesStrong,
  },
  {
    id: 'accounts.pass_max_days',
    title: 'Passwords expire within 365 days (PASS_MAX_DAYS)',
    severity: 'medium',
    references: [CIS('5.4.1.1'), LYNIS('AUTH-9286')],
    remediation: 'Set "PASS_MAX_DAYS 365" (or less) in /etc/login.defs.',
    evaluate: daysCheck(
      'PASS_MAX_DAYS',
      (n) => n >= 1 && n <= LIMITS.maxDays,
      `1 to ${LIMITS.maxDays}`,
      'passwords never expire (shadow-utils default -1)',
    ),
  },
  {
    id: 'accounts.pass_min_days',
    title: 'Passwords cannot be changed again within a day (PASS_MIN_DAYS)',
    severity: 'low',
    references: [CIS('5.4.1.2'), LYNIS('AUTH-9286')],
    remediation: 'Set "PASS_MIN_DAYS 1" (or more) in /etc/login.defs.',
    evaluate: daysCheck(
      'PASS_MIN_DAYS',
      (n) => n >= LIMITS.minDays,
      `${LIMITS.minDays} or more`,
      'a password can be changed back at once (default 0)',
    ),
  },
  {
    id: 'accounts.pass_warn_age',
    title: 'Users are warned 7 days before their password expires (PASS_WARN_AGE)',
    severity: 'low',
    references: [CIS('5.4.1.3')],
    remediation: 'Set "PASS_WARN_AGE 7" (or more) in /etc/login.defs.',
    evaluate: daysCheck(
      'PASS_WARN_AGE',
      (n) => n >= LIMITS.warnAge,
      `${LIMITS.warnAge} or more`,
      'no warning is configured',
    ),
  },
  {
    id: 'accounts.inactive_lock',
    title: 'Accounts lock within 45 days after their password expires (useradd INACTIVE)',
    severity: 'low',
    references: [CIS('5.4.1.5')],
    remediation:
      'Run "useradd -D -f 45" (writes INACTIVE=45 to /etc/default/useradd), and "chage --inactive 45 <user>" for existing users.',
    evaluate: inactive,
  },
  {
    id: 'accounts.users_password_ageing',
    title: 'Existing accounts with a password follow the ageing limits',
    severity: 'low',
    references: [CIS('5.4.1.1'), CIS('5.4.1.2'), CIS('5.4.1.3'), CIS('5.4.1.5'), LYNIS('AUTH-9286')],
    remediation: 'For each named user: "chage --maxdays 365 --mindays 1 --warndays 7 --inactive 45 <user>".',
    evaluate: usersAging,
  },
  {
    id: 'accounts.password_change_past',
    title: "No account's last password change is in the future",
    severity: 'low',
    references: [CIS('5.4.1.6')],
    remediation:
      'Investigate the account, then reset its date ("chage -d $(date +%F) <user>") or make it change its password.',
    evaluate: changePast,
  },
];
