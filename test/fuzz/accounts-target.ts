/**
 * Fuzz target of the accounts probe: one input written as every file the probe parses (passwd, shadow, group,
 * gshadow, login.defs, useradd, a profile script, PAM stacks, sudoers), then the probe's gather and every check.
 * Property: nothing throws, parsers stay within their caps, and every check returns a status and a message.
 */
import fc from 'fast-check';
import { promises as fsp, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { accountsProbe } from '../../probes/accounts/index.js';
import type { AccountsFacts } from '../../probes/accounts/index.js';
import { MAX_LINES, MAX_PROBLEMS } from '../../probes/accounts/parse/common.js';
import { joinLines, word } from './mutate.js';
// A cycle with targets.ts, harmless: PropertyViolation is used only when a case runs.
import { PropertyViolation } from './targets.js';
import type { FuzzTarget } from './targets.js';

const FILES = [
  'etc/passwd',
  'etc/shadow',
  'etc/group',
  'etc/gshadow',
  'etc/login.defs',
  'etc/default/useradd',
  'etc/profile',
  'etc/pam.d/common-auth',
  'etc/pam.d/common-password',
  'etc/pam.d/su',
  'etc/sudoers',
  'etc/security/pwquality.conf',
];
const log = pino({ level: 'silent' });

function ensure(cond: unknown, what: string): asserts cond {
  if (!cond) throw new PropertyViolation(what);
}

/** The accounts fixtures' files named in FILES, as seeds. */
function seedFiles(repoRoot: string): Buffer[] {
  const base = path.join(repoRoot, 'test/fixtures/hosts');
  const out: Buffer[] = [];
  for (const fx of readdirSync(base)
    .filter((n) => n.startsWith('accounts-') && !n.endsWith('.json'))
    .sort()) {
    for (const f of FILES) {
      const p = path.join(base, fx, f);
      try {
        if (statSync(p).isFile()) out.push(readFileSync(p));
      } catch {
        // not every fixture has every file
      }
    }
  }
  return out;
}

const colonLine = fc
  .array(fc.oneof(word, fc.constantFrom('0', 'x', '!', '*', '', '$y$j9T$a$b', '$1$a$b', '99999', '-1')), {
    maxLength: 10,
  })
  .map((f) => f.join(':'));
const pamLine = fc
  .tuple(
    fc.constantFrom('auth', '-session', 'password', 'Account', '@include', 'bogus'),
    fc.constantFrom('required', '[success=1 default=ignore]', '[unclosed', 'include', 'substack'),
    fc.oneof(word, fc.constantFrom('pam_unix.so', 'pam_faillock.so', 'pam_wheel.so', 'common-auth', '/etc/pam.d/su')),
    fc.array(fc.oneof(word, fc.constantFrom('nullok', 'deny=3', 'minlen=', 'group=', '\\')), { maxLength: 4 }),
  )
  .map(([t, c, m, a]) => [t, c, m, ...a].join(' '));
const sudoLine = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('Defaults', 'Defaults:u', 'Defaults>root'),
      fc.array(
        fc.oneof(word, fc.constantFrom('use_pty', '!authenticate', 'logfile="a,b"', 'timestamp_timeout=-1', '"')),
        { maxLength: 3 },
      ),
    )
    .map(([d, a]) => `${d} ${a.join(',')}`),
  fc.constantFrom(
    '#includedir /etc/sudoers.d',
    '@include /etc/sudoers',
    '@include sudoers',
    '#1000 ALL=(ALL) NOPASSWD: ALL',
    'u ALL=(ALL) NOPASSWD: \\',
    'Cmnd_Alias X = /bin/a',
  ),
  word,
);
const shellLine = fc.oneof(
  fc.constantFrom(
    'umask 027',
    'umask u=rwx,g=,o=',
    'readonly TMOUT=900 ; export TMOUT',
    'PATH="::.:/tmp"',
    'declare -xr TMOUT',
    'if [ x ]; then umask 0',
    'x\\',
  ),
  word,
);

export const accountsTarget: FuzzTarget = {
  name: 'accounts files',
  entry: 'probes/accounts gather (parse/*) + every check',
  dictionary: [
    '\n',
    ':',
    '::',
    '\\\n',
    '[',
    ']',
    '#',
    '@include ',
    '#includedir ',
    'NOPASSWD:',
    'Defaults ',
    'root:x:0:0::/root:/bin/bash\n',
    'TMOUT=',
    'umask ',
  ],
  async seeds(ctx) {
    return seedFiles(ctx.repoRoot);
  },
  structured: () => joinLines(fc.oneof(colonLine, pamLine, sudoLine, shellLine), 60),
  async setup(ctx) {
    for (const f of FILES) {
      await fsp.mkdir(path.dirname(path.join(ctx.work, 'root', f)), { recursive: true });
      await fsp.writeFile(path.join(ctx.work, 'root', f), '');
    }
  },
  async run(input, ctx) {
    // The input goes to two of the files (chosen by its length), so that a case costs two parses, not twelve.
    const root = path.join(ctx.work, 'root');
    const chosen = [FILES[input.length % FILES.length]!, FILES[(input.length >> 3) % FILES.length]!];
    await Promise.all(FILES.map((f) => fsp.writeFile(path.join(root, f), chosen.includes(f) ? input : '')));
    const host = new HostRoot(root);
    const facts = (await accountsProbe.gather({
      host,
      exec: hostExec(host.root),
      log,
      options: undefined,
      signal: new AbortController().signal,
      now: () => new Date(0),
      mode: 'scan',
    })) as AccountsFacts;
    for (const r of [facts.passwd, facts.shadow, facts.group, facts.gshadow]) {
      if (r.ok)
        ensure(
          r.data.problems.length <= MAX_PROBLEMS && r.data.entries.length <= MAX_LINES,
          `${r.file}: within the caps`,
        );
    }
    for (const s of [...facts.pam.stacks, facts.pam.su])
      ensure(s.problems.length <= MAX_PROBLEMS && s.modules.length <= 1024, `${s.file}: problems and modules bounded`);
    for (const c of accountsProbe.checks) {
      const o = c.evaluate(facts);
      ensure(
        ['pass', 'fail', 'unknown', 'skip'].includes(o.status) && o.message.length > 0,
        `${c.id}: a status and a message`,
      );
    }
  },
};
