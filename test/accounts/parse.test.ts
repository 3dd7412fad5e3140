/** The accounts probe's parsers on real, malformed, truncated and huge input. */
import { describe, it, expect } from 'vitest';
import { parseGroup, parseGshadow, parsePasswd, parseShadow } from '../../probes/accounts/parse/colon.js';
import { MAX_LINES, MAX_PROBLEMS } from '../../probes/accounts/parse/common.js';
import { parseLoginDefs, parseSecurityConf, parseUseraddDefaults } from '../../probes/accounts/parse/keyvalue.js';
import { parsePam, pamWords, argValue } from '../../probes/accounts/parse/pam.js';
import { parseEnvironmentFile, parseShellFile, parseUmaskArg } from '../../probes/accounts/parse/shell.js';
import { includedirNames, parseSudoers } from '../../probes/accounts/parse/sudoers.js';
import { classifyHash } from '../../probes/accounts/checks/hashes.js';

describe('colon databases', () => {
  it('reads passwd entries and reports malformed lines with their numbers', () => {
    const p = parsePasswd(
      'root:x:0:0:root:/root:/bin/bash\r\nbad line\nx:x:1:notgid:::\n+@nis::::::\n\n:x:5:5::/:/bin/sh\nok:x:7:7::/home/ok:\n',
    );
    expect(p.entries.map((e) => [e.name, e.uid, e.shell, e.line])).toEqual([
      ['root', 0, '/bin/bash', 1],
      ['ok', 7, '', 7],
    ]);
    expect(p.problems.map((x) => x.line)).toEqual([2, 3, 6]);
    expect(p.nisLines).toEqual([4]);
    expect(p.rejected.map((r) => r.line)).toEqual([2, 3, 6]);
  });

  it('keeps the fields of a rejected line so that a uid 0 in it can still be judged', () => {
    const p = parsePasswd('evil:x:0:0::/root:/bin/bash:extra\n');
    expect(p.entries).toEqual([]);
    expect(p.rejected[0]!.fields.slice(0, 3)).toEqual(['evil', 'x', '0']);
  });

  it('reads shadow day fields, empty ones as undefined, garbage as a problem', () => {
    const s = parseShadow('root:$y$j9T$a$b:20000:0:99999:7:::\nu:!:20000::::::\nbad:*:soon:0:1:2:::\n');
    expect(s.entries[0]).toMatchObject({ name: 'root', lastChange: 20000, min: 0, max: 99999, warn: 7 });
    expect(s.entries[0]!.inactive).toBeUndefined();
    expect(s.entries[1]!.min).toBeUndefined();
    expect(s.problems).toEqual([{ line: 3, reason: 'last change "soon" is not a number' }]);
  });

  it('reads group and gshadow members', () => {
    expect(parseGroup('sudo:x:27:a,b,\n').entries[0]).toMatchObject({ gid: 27, members: ['a', 'b'] });
    expect(parseGshadow('sudo:!:adm:a,b\n').entries[0]).toMatchObject({ admins: ['adm'], members: ['a', 'b'] });
  });

  it('stops at MAX_LINES and keeps at most MAX_PROBLEMS problems, counting the rest', () => {
    const p = parsePasswd('garbage\n'.repeat(MAX_LINES + 10));
    expect(p.truncated).toBe(true);
    expect(p.problems.length).toBe(MAX_PROBLEMS);
    expect(p.problemCount).toBe(MAX_LINES);
  });
});

describe('key-value files', () => {
  it('login.defs: the last setting wins, values may be quoted, comments are ignored', () => {
    const d = parseLoginDefs(
      'UMASK 022\n# UMASK 077\nUMASK\t027\nENV_SUPATH\tPATH=/usr/sbin:/usr/bin\nMAIL_DIR "/var/mail"\nFLAG\n',
    );
    expect(d.values.get('UMASK')).toEqual({ value: '027', line: 3 });
    expect(d.values.get('ENV_SUPATH')!.value).toBe('PATH=/usr/sbin:/usr/bin');
    expect(d.values.get('MAIL_DIR')!.value).toBe('/var/mail');
    expect(d.values.get('FLAG')!.value).toBe('');
  });

  it('useradd defaults and security conf files', () => {
    expect(parseUseraddDefaults('INACTIVE=45\nEXPIRE=\n').values.get('INACTIVE')!.value).toBe('45');
    const c = parseSecurityConf('# minlen = 8\nMinLen = 14\nenforce_for_root\n');
    expect(c.values.get('minlen')).toEqual({ value: '14', line: 2 });
    expect(c.values.has('enforce_for_root')).toBe(true);
  });
});

describe('shell statements', () => {
  it('umask: octal and full symbolic forms; a partial symbolic form is not understood', () => {
    expect(parseUmaskArg('027')).toBe(0o027);
    expect(parseUmaskArg('0077')).toBe(0o077);
    expect(parseUmaskArg('u=rwx,g=rx,o=')).toBe(0o027);
    expect(parseUmaskArg('g-w')).toBeUndefined();
    expect(parseUmaskArg('u=rwx')).toBeUndefined();
  });

  it('TMOUT: readonly and export in every spelling CIS accepts', () => {
    for (const text of [
      'readonly TMOUT=900 ; export TMOUT',
      'declare -xr TMOUT=900',
      'typeset -r TMOUT=900\nexport TMOUT',
      'TMOUT=900\nreadonly TMOUT\nexport TMOUT',
    ]) {
      const s = parseShellFile(text);
      expect(
        s.tmout.map((t) => t.value),
        text,
      ).toEqual(['900']);
      expect(s.tmoutReadonly.length, text).toBeGreaterThan(0);
      expect(s.tmoutExported.length, text).toBeGreaterThan(0);
    }
    const plain = parseShellFile('TMOUT=600 # not exported\n');
    expect(plain.tmoutExported).toEqual([]);
    expect(plain.tmoutReadonly).toEqual([]);
  });

  it('reads statements inside if-branches, after then, and across a backslash continuation', () => {
    const s = parseShellFile(
      'if [ "$(id -u)" -eq 0 ]; then umask 077; else\n  umask 022\nfi\nPATH="/usr/bin:\\\n/bin"\n# umask 000\n',
    );
    expect(s.umasks.map((u) => [u.mask, u.line])).toEqual([
      [0o077, 1],
      [0o022, 2],
    ]);
    expect(s.path).toEqual([{ value: '/usr/bin:/bin', line: 4, text: 'PATH="/usr/bin:/bin"' }]);
  });

  it('/etc/environment PATH lines', () => {
    expect(parseEnvironmentFile('LANG=C\nPATH="/usr/bin:/bin"\n')).toEqual([
      { value: '/usr/bin:/bin', line: 2, text: 'PATH="/usr/bin:/bin"' },
    ]);
  });
});

describe('PAM service files', () => {
  it('bracketed controls with spaces, continuation lines, comments, @include, optional types, case', () => {
    const p = parsePam(
      [
        '#%PAM-1.0',
        'auth\t[success=1 default=ignore]\tpam_unix.so nullok # trailing comment',
        'Auth [success=ok \\',
        '  default=bad] pam_faillock.so preauth deny=4',
        '-session optional pam_systemd.so',
        '@include common-password',
        'account include system-auth',
        'password substack password-auth',
        'auth required pam_exec.so [args with spaces]',
      ].join('\n'),
    );
    expect(p.problems).toEqual([]);
    const [unix, faillock, systemd, inc, include, substack, exec] = p.lines;
    expect(unix).toMatchObject({
      kind: 'module',
      type: 'auth',
      control: '[success=1 default=ignore]',
      module: 'pam_unix.so',
      args: ['nullok'],
      line: 2,
    });
    expect(faillock).toMatchObject({
      kind: 'module',
      type: 'auth',
      control: '[success=ok    default=bad]',
      args: ['preauth', 'deny=4'],
      line: 3,
    });
    expect(systemd).toMatchObject({ kind: 'module', type: 'session', optional: true });
    expect(inc).toMatchObject({ kind: 'include', control: '@include', target: 'common-password' });
    expect(include).toMatchObject({ kind: 'include', type: 'account', control: 'include', target: 'system-auth' });
    expect(substack).toMatchObject({ kind: 'include', type: 'password', control: 'substack', target: 'password-auth' });
    expect(exec).toMatchObject({ args: ['[args with spaces]'] });
    expect(argValue(['deny=3', 'deny=5'], 'deny')).toBe('5');
  });

  it('reports an unclosed bracket, an unknown type and a short line, and keeps going', () => {
    const p = parsePam(
      'auth [success=1 pam_unix.so\nfoo required pam_x.so\nauth required\npassword required pam_unix.so sha512\n',
    );
    expect(p.problems.map((x) => x.line)).toEqual([1, 2, 3]);
    expect(p.lines).toHaveLength(1);
    expect(pamWords('[a]b c')).toEqual(['[a]b', 'c']);
  });
});

describe('sudoers', () => {
  it('tells #include and #includedir from comments, and "#1000" (a uid) from a comment', () => {
    const s = parseSudoers(
      '#includedir /etc/sudoers.d\n@include /etc/sudoers.local\n#include "/etc/sudo s"\n# a comment\n#1000 ALL=(ALL) NOPASSWD: ALL\n',
    );
    expect(s.includes).toEqual([
      { kind: 'dir', target: '/etc/sudoers.d', line: 1 },
      { kind: 'file', target: '/etc/sudoers.local', line: 2 },
      { kind: 'file', target: '/etc/sudo s', line: 3 },
    ]);
    expect(s.rules).toEqual([expect.objectContaining({ user: '#1000', nopasswd: true, line: 5 })]);
  });

  it('reads Defaults with bindings, negation, quoted commas and spaces around =', () => {
    const s = parseSudoers(
      'Defaults  use_pty, logfile="/var/log/sudo,x.log", !lecture\nDefaults:deploy !authenticate\nDefaults secure_path = /sbin:/bin\nDefaults>root  timestamp_timeout=-1\n',
    );
    expect(s.defaults.map((d) => [d.name, d.negated, d.value, d.binding, d.line])).toEqual([
      ['use_pty', false, undefined, '', 1],
      ['logfile', false, '/var/log/sudo,x.log', '', 1],
      ['lecture', true, undefined, '', 1],
      ['authenticate', true, undefined, ':deploy', 2],
      ['secure_path', false, '/sbin:/bin', '', 3],
      ['timestamp_timeout', false, '-1', '>root', 4],
    ]);
  });

  it('NOPASSWD on a continued line keeps the first line number; PASSWD alone is not NOPASSWD; aliases are no rules', () => {
    const s = parseSudoers(
      'Cmnd_Alias X = /bin/ls\nci ALL=(root) PASSWD: /bin/a, \\\n   NOPASSWD: /bin/b\nops ALL=(ALL) PASSWD: ALL\n',
    );
    expect(s.rules.map((r) => [r.user, r.nopasswd, r.line])).toEqual([
      ['ci', true, 2],
      ['ops', false, 4],
    ]);
  });

  it('files sudo reads from an includedir: no dot, no trailing ~, sorted', () => {
    expect(includedirNames(['b', 'a', 'c.bak', 'd~', 'README'])).toEqual(['README', 'a', 'b']);
  });
});

describe('password hash classes', () => {
  it.each([
    ['', 'empty'],
    ['!', 'locked'],
    ['*', 'locked'],
    ['!!', 'locked'],
    ['x', 'locked'],
    ['LK', 'locked'],
  ])('%j is %s', (field, kind) => expect(classifyHash(field).kind).toBe(kind));

  it.each([
    ['$y$j9T$salt$hash', 'yescrypt', true],
    ['!$y$j9T$salt$hash', 'yescrypt', true],
    ['$6$salt$hash', 'SHA-512', true],
    ['$6$rounds=1000$salt$hash', 'SHA-512', false],
    ['$5$salt$hash', 'SHA-256', true],
    ['$5$rounds=2000$salt$hash', 'SHA-256', false],
    ['$1$salt$hash', 'MD5', false],
    ['abl9M1hdrb7nw', 'DES', false],
    ['$2b$12$abcdefghijklmnopqrstuv', 'bcrypt', true],
    ['$9$odd$thing', 'unrecognised', false],
  ])('%s is %s (strong %s)', (field, scheme, strong) => {
    expect(classifyHash(field)).toMatchObject({ kind: 'hash', scheme, strong });
  });
});
