import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostRoot } from '../../src/host/root.js';
import { argvSplit, parseCriteria, parseSshdConfig, strdelim } from '../../probes/ssh/config-parser.js';
import { effectiveSettings } from '../../probes/ssh/effective.js';
import type { ConnectionContext, ParsedConfig } from '../../probes/ssh/types.js';
import { testContext } from '../helpers/ssh.js';

const V92 = { major: 9, minor: 2 };
let root = '';
let host: HostRoot;

/** Write files under the fixture root; keys are host paths. */
function put(files: Record<string, string | Buffer>): void {
  for (const [p, text] of Object.entries(files)) {
    const fp = path.join(root, p);
    mkdirSync(path.dirname(fp), { recursive: true });
    writeFileSync(fp, text);
  }
}

async function parse(main = '/etc/ssh/sshd_config'): Promise<ParsedConfig> {
  const r = await parseSshdConfig(host, main);
  if (!('directives' in r)) throw new Error(`unexpected failure: ${JSON.stringify(r)}`);
  return r;
}

const ctx = testContext;

function value(p: ParsedConfig, key: string, c: ConnectionContext = ctx()): string[] | undefined {
  return effectiveSettings(p, c, V92).get(key)?.values;
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'hostward-parser-'));
  host = new HostRoot(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tokenising like sshd', () => {
  it('splits keywords on whitespace or one =', () => {
    expect(strdelim('Key=value')).toEqual({ token: 'Key', rest: 'value' });
    expect(strdelim('Key = value')).toEqual({ token: 'Key', rest: 'value' });
    expect(strdelim('Key  value x')).toEqual({ token: 'Key', rest: 'value x' });
    expect(strdelim('"Quoted Key" v')).toEqual({ token: 'Quoted Key', rest: 'v' });
    expect(strdelim('"open')).toBeNull();
    expect(strdelim('alone')).toEqual({ token: 'alone', rest: null });
  });
  it('splits arguments with quotes, escapes and comments', () => {
    expect(argvSplit('a "b c" d # x')).toEqual(['a', 'b c', 'd']);
    expect(argvSplit("'x y'z")).toEqual(['x yz']);
    expect(argvSplit('no#c')).toEqual(['no#c']);
    expect(argvSplit('a\\ b')).toEqual(['a b']);
    expect(argvSplit('"open')).toBeNull();
  });
  it('reads Match criteria', () => {
    expect(parseCriteria('User bob,!root Address=10.0.0.0/8 # c').criteria).toEqual([
      { kind: 'user', patterns: 'bob,!root' },
      { kind: 'address', patterns: '10.0.0.0/8' },
    ]);
    expect(parseCriteria('ALL').criteria).toEqual([{ kind: 'all', patterns: '' }]);
    expect(parseCriteria('all User x').error).toMatch(/all/);
    expect(parseCriteria('User').error).toMatch(/Missing/);
    expect(parseCriteria('Colour blue').error).toMatch(/Unsupported/);
    expect(parseCriteria('Address 10.0.0.1/8').error).toMatch(/Invalid/);
    expect(parseCriteria('LocalPort 99999').error).toMatch(/LocalPort/);
  });
});

describe('parseSshdConfig', () => {
  it('returns a Failure when the main file is missing', async () => {
    const r = await parseSshdConfig(host, '/etc/ssh/none_here');
    expect(r).toMatchObject({ ok: false, code: 'missing' });
  });

  it('reads keywords case-insensitively with aliases, quotes and comments', async () => {
    put({
      '/etc/ssh/sshd_config':
        'passwordAUTHENTICATION=NO # c\nChallengeResponseAuthentication no\nBanner "/etc/issue.net"\n# PermitRootLogin yes\n',
    });
    const p = await parse();
    expect(p.directives.map((d) => [d.keyword, d.args])).toEqual([
      ['passwordauthentication', ['NO']],
      ['kbdinteractiveauthentication', ['no']],
      ['banner', ['/etc/issue.net']],
    ]);
    expect(p.problems).toEqual([]);
    expect(value(p, 'passwordauthentication')).toEqual(['no']);
    const s = effectiveSettings(p, ctx(), V92).get('passwordauthentication');
    expect(s).toMatchObject({
      source: 'file',
      evidence: [{ file: '/etc/ssh/sshd_config', line: 1, text: 'passwordAUTHENTICATION=NO # c' }],
    });
    expect(effectiveSettings(p, ctx(), V92).get('x11forwarding')).toEqual({ values: ['no'], source: 'default' });
  });

  it('resolves relative includes under /etc/ssh in lexical order, first value wins', async () => {
    put({
      '/etc/ssh/sshd_config':
        'Include sshd_config.d/*.conf\nPasswordAuthentication no\nInclude missing.conf\nInclude nothing/*.conf\n',
      '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      '/etc/ssh/sshd_config.d/10-first.conf': 'MaxAuthTries 3\n',
      '/etc/ssh/sshd_config.d/README': 'garbage that is not included\n',
    });
    const p = await parse();
    expect(p.files).toEqual([
      '/etc/ssh/sshd_config',
      '/etc/ssh/sshd_config.d/10-first.conf',
      '/etc/ssh/sshd_config.d/50-cloud-init.conf',
    ]);
    expect(p.problems).toEqual([]);
    expect(value(p, 'passwordauthentication')).toEqual(['yes']);
    expect(value(p, 'maxauthtries')).toEqual(['3']);
  });

  it('ends a Match block from an included file at the end of that file', async () => {
    put({
      '/etc/ssh/sshd_config': 'Include inc.conf\nX11Forwarding yes\n',
      '/etc/ssh/inc.conf': 'Match User bob\nPasswordAuthentication no\n',
    });
    const p = await parse();
    const x11 = p.directives.find((d) => d.keyword === 'x11forwarding');
    expect(x11?.match).toBeNull();
    expect(value(p, 'x11forwarding', ctx({ user: 'alice' }))).toEqual(['yes']);
    expect(value(p, 'passwordauthentication')).toEqual(['no']);
    expect(value(p, 'passwordauthentication', ctx({ user: 'alice' }))).toEqual(['yes']);
  });

  it('applies Include inside Match only to that Match, and ANDs a Match inside it', async () => {
    put({
      '/etc/ssh/sshd_config': 'Match Address 10.0.0.0/8\n  Include inner.conf\n',
      '/etc/ssh/inner.conf': 'MaxSessions 2\nMatch User root\nPermitRootLogin no\n',
    });
    const p = await parse();
    expect(value(p, 'maxsessions')).toEqual(['2']);
    expect(value(p, 'maxsessions', ctx({ addr: '192.168.1.1' }))).toEqual(['10']);
    expect(value(p, 'permitrootlogin', ctx({ user: 'root', userClass: 'root' }))).toEqual(['no']);
    expect(value(p, 'permitrootlogin', ctx({ user: 'root', userClass: 'root', addr: '192.168.1.1' }))).toEqual([
      'without-password',
    ]);
    const block = p.directives.find((d) => d.keyword === 'permitrootlogin')?.match;
    expect(block?.criteria.map((c) => c.kind)).toEqual(['address', 'user']);
  });

  it('flags unknown keywords, Match-only violations, bad values as fatal and deprecated as not', async () => {
    put({
      '/etc/ssh/sshd_config':
        'NoSuchThing yes\nUsePrivilegeSeparation sandbox\nProtocol 2\nMaxAuthTries lots\nMatch User x\n  Port 2222\n  Ciphers aes128-ctr\n',
    });
    const p = await parse();
    const msgs = p.problems.map((q) => `${q.line}:${q.fatal ? 'F' : 'w'}:${q.message}`);
    expect(msgs).toEqual([
      '1:F:Bad configuration option: NoSuchThing',
      '2:w:Deprecated option UsePrivilegeSeparation',
      '3:w:Protocol is ignored by this sshd',
      '4:F:maxauthtries integer value invalid.',
      "6:F:Directive 'Port' is not allowed within a Match block",
      "7:F:Directive 'Ciphers' is not allowed within a Match block",
    ]);
  });

  it('allows global-only keywords under Match all, as sshd does', async () => {
    put({ '/etc/ssh/sshd_config': 'Match all\nPort 2200\n' });
    const p = await parse();
    expect(p.problems.filter((q) => q.fatal)).toEqual([]);
    expect(value(p, 'port')).toEqual(['2200']);
  });

  it('reports an include loop as fatal without hanging', async () => {
    put({
      '/etc/ssh/sshd_config': 'Include loop.conf\nPermitRootLogin no\n',
      '/etc/ssh/loop.conf': 'Include sshd_config\nMaxSessions 3\n',
    });
    const p = await parse();
    expect(p.problems.some((q) => q.fatal && /loop/i.test(q.message))).toBe(true);
    expect(value(p, 'maxsessions')).toEqual(['3']);
  });

  it('stops at the include depth limit', async () => {
    const files: Record<string, string> = { '/etc/ssh/sshd_config': 'Include d0.conf\n' };
    for (let i = 0; i < 20; i++) files[`/etc/ssh/d${i}.conf`] = `Include d${i + 1}.conf\nMaxSessions ${i + 1}\n`;
    put(files);
    const p = await parse();
    expect(p.problems.some((q) => q.fatal && /recursive/.test(q.message))).toBe(true);
  });

  it('survives a symlink loop in an include', async () => {
    put({ '/etc/ssh/sshd_config': 'Include /etc/ssh/ring.conf\nInclude /etc/ssh/ringdir/*.conf\nMaxSessions 4\n' });
    symlinkSync('ring2.conf', path.join(root, 'etc/ssh/ring.conf'));
    symlinkSync('ring.conf', path.join(root, 'etc/ssh/ring2.conf'));
    mkdirSync(path.join(root, 'etc/ssh/ringdir'));
    symlinkSync('x.conf', path.join(root, 'etc/ssh/ringdir/x.conf'));
    const p = await parse();
    expect(value(p, 'maxsessions')).toEqual(['4']);
    expect(p.problems.some((q) => /symbolic links|symlink/i.test(q.message))).toBe(true);
  });

  it('treats garbage bytes, NUL and truncated lines as problems, not crashes', async () => {
    const garbage = Buffer.concat([
      Buffer.from('PermitRootLogin no\n'),
      Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]),
      Buffer.from('MaxAuthTries 3\nBanner "/etc/iss'),
    ]);
    put({ '/etc/ssh/sshd_config': garbage });
    const p = await parse();
    expect(value(p, 'permitrootlogin')).toEqual(['no']);
    expect(value(p, 'maxauthtries')).toEqual(['3']);
    expect(p.problems.some((q) => q.fatal && /NUL/.test(q.message))).toBe(true);
    expect(p.problems.some((q) => q.fatal && /quotes/.test(q.message))).toBe(true);
  });

  it('reads 10k lines and a very long line', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `AllowUsers u${i}`).join('\n');
    put({ '/etc/ssh/sshd_config': `${many}\nAcceptEnv ${'X'.repeat(100_000)}\n` });
    const p = await parse();
    expect(p.directives.length).toBe(10_001);
    expect(value(p, 'allowusers')?.length).toBe(10_000);
    expect(p.problems.some((q) => !q.fatal && /characters long/.test(q.message))).toBe(true);
  });

  it('caps a 5 MB main file (HostRoot limit) and a 5 MB include', async () => {
    const big = 'PermitRootLogin no\n'.repeat(Math.ceil((5 * 1024 * 1024) / 19));
    put({ '/etc/ssh/big_config': big, '/etc/ssh/sshd_config': 'Include big_config\nMaxSessions 2\n' });
    const r = await parseSshdConfig(host, '/etc/ssh/big_config');
    expect(r).toMatchObject({ ok: false, code: 'too_large' });
    const p = await parse();
    expect(value(p, 'maxsessions')).toEqual(['2']);
    expect(p.problems.some((q) => !q.fatal && /too large/.test(q.message))).toBe(true);
  });

  it('caps the number of directives', async () => {
    put({ '/etc/ssh/sshd_config': 'AcceptEnv A\n'.repeat(300) });
    const r = await parseSshdConfig(host, '/etc/ssh/sshd_config', { maxDirectives: 100 });
    if (!('directives' in r)) throw new Error('failure');
    expect(r.directives.length).toBe(100);
    expect(r.problems.some((q) => /more than 100 directives/.test(q.message))).toBe(true);
  });

  it('caps the number of files under a fan-out of includes', async () => {
    const files: Record<string, string> = { '/etc/ssh/sshd_config': 'Include fan/*.conf\n' };
    for (let i = 0; i < 10; i++) files[`/etc/ssh/fan/${i}.conf`] = 'Include /etc/ssh/fan2/*.conf\n';
    for (let i = 0; i < 10; i++) files[`/etc/ssh/fan2/${i}.conf`] = 'MaxSessions 1\n';
    put(files);
    const r = await parseSshdConfig(host, '/etc/ssh/sshd_config', { maxFiles: 50 });
    if (!('directives' in r)) throw new Error('failure');
    expect(r.files.length).toBeLessThanOrEqual(50);
    expect(r.problems.some((q) => /configuration files/.test(q.message))).toBe(true);
  });

  it('does not crash on random bytes', async () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let n = 0; n < 20; n++) {
      const bytes = Buffer.from(Array.from({ length: 2000 }, () => Math.floor(rnd() * 256)));
      put({ '/etc/ssh/sshd_config': bytes });
      const p = await parse();
      expect(Array.isArray(p.problems)).toBe(true);
      effectiveSettings(p, ctx(), V92);
    }
  });
});

describe('effective values', () => {
  it('normalises values as sshd -T prints them', async () => {
    put({
      '/etc/ssh/sshd_config': [
        'LoginGraceTime 2m',
        'PermitRootLogin prohibit-password',
        'LogLevel verbose',
        'MaxStartups 10:30:60',
        'Ciphers -*cbc,3des*',
        'KexAlgorithms +diffie-hellman-group14-sha1',
        'AllowTcpForwarding all',
      ].join('\n'),
    });
    const p = await parse();
    const e = effectiveSettings(p, ctx(), V92);
    expect(e.get('logingracetime')?.values).toEqual(['120']);
    expect(e.get('permitrootlogin')?.values).toEqual(['without-password']);
    expect(effectiveSettings(p, ctx(), { major: 10, minor: 1 }).get('permitrootlogin')?.values).toEqual([
      'prohibit-password',
    ]);
    expect(e.get('loglevel')?.values).toEqual(['VERBOSE']);
    expect(e.get('maxstartups')?.values).toEqual(['10:30:60']);
    expect(e.get('ciphers')?.values[0]).not.toMatch(/cbc/);
    expect(e.get('kexalgorithms')?.values[0]).toMatch(/,diffie-hellman-group14-sha1$/);
    expect(e.get('allowtcpforwarding')?.values).toEqual(['yes']);
  });

  it('replaces global AllowUsers with the matching blocks’ AllowUsers', async () => {
    put({
      '/etc/ssh/sshd_config':
        'AllowUsers alice root\nMatch User bob\n AllowUsers bob\nMatch Address 10.0.0.0/8\n AllowUsers net\n',
    });
    const p = await parse();
    expect(value(p, 'allowusers')).toEqual(['bob', 'net']);
    expect(value(p, 'allowusers', ctx({ user: 'carol', addr: '1.1.1.1' }))).toEqual(['alice', 'root']);
  });

  it('uses older defaults for older versions', async () => {
    put({ '/etc/ssh/sshd_config': 'MaxSessions 1\n' });
    const p = await parse();
    expect(effectiveSettings(p, ctx(), { major: 6, minor: 9 }).get('permitrootlogin')?.values).toEqual(['yes']);
  });
});
