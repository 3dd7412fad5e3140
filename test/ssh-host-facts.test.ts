import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parsePasswd,
  parseGroup,
  groupsOf,
  dpkgVersion,
  parseVersionString,
  addressFor,
  buildContexts,
  OUTSIDE_ADDRESS,
} from '../probes/ssh/host-facts.js';
import { SSH_OPTIONS } from '../probes/ssh/option-spec.js';
import { parsedOptions } from './helpers/options.js';
import { listenerArgv, parseSshdArgs } from '../probes/ssh/daemon.js';
import { liveTarget } from '../probes/ssh/index.js';
import type { ParsedConfig, MatchBlock } from '../probes/ssh/types.js';
import { FIXTURES } from './helpers/hosts.js';

/** The section as the scan parses it (the declared options), with the root given. */
const parseSshOptions = (raw: unknown, rootIsHost: boolean) => parsedOptions(SSH_OPTIONS, raw, { rootIsHost });

const stock = (f: string) => readFileSync(path.join(FIXTURES, 'debian12-stock', f), 'utf8');

describe('passwd and group', () => {
  it('parses the real Debian files', () => {
    const users = parsePasswd(stock('etc/passwd'));
    expect(users.find((u) => u.name === 'root')).toEqual({ name: 'root', uid: 0, gid: 0, shell: '/bin/bash' });
    expect(users.find((u) => u.name === 'admin')).toMatchObject({ uid: 1000, gid: 1000 });
    const groups = parseGroup(stock('etc/group'));
    expect(
      groupsOf(
        users.find((u) => u.name === 'admin'),
        groups,
      ),
    ).toEqual(['admin', 'sudo']);
    expect(groupsOf(undefined, groups)).toEqual([]);
  });

  it('skips malformed, truncated and comment lines, and survives huge input', () => {
    expect(
      parsePasswd('root:x:0:0\n#c:x:1:1:::\nbob:x:notanumber:1::/:/bin/sh\nok:x:5:5::/:/bin/sh\n\u0000\u0001garbage'),
    ).toEqual([{ name: 'ok', uid: 5, gid: 5, shell: '/bin/sh' }]);
    expect(parseGroup('wheel:x:10\nstaff:x:50:a,b, c ,\n:x:1:')).toEqual([
      { name: 'staff', gid: 50, members: ['a', 'b', 'c'] },
    ]);
    const huge = 'u:x:1:1::/:/bin/sh\n'.repeat(200_000);
    expect(parsePasswd(huge)).toHaveLength(200_000);
  });
});

describe('OpenSSH version', () => {
  it('reads dpkg status paragraphs of installed packages only', () => {
    expect(dpkgVersion(stock('var/lib/dpkg/status'))).toBe('1:9.2p1-2+deb12u10');
    expect(
      dpkgVersion('Package: openssh-server\nStatus: deinstall ok config-files\nVersion: 1:8.4p1-5\n'),
    ).toBeUndefined();
    expect(dpkgVersion('Package: openssh-server\nStatus: install ok installed\n')).toBeUndefined();
    expect(dpkgVersion('garbage\n\n\n\u0000')).toBeUndefined();
  });

  it('parses versions from packages, banners and binaries', () => {
    expect(parseVersionString('1:9.2p1-2+deb12u10')).toEqual({ major: 9, minor: 2 });
    expect(parseVersionString('OpenSSH_10.0p2 Debian-7')).toEqual({ major: 10, minor: 0 });
    expect(parseVersionString('8.7p1-38.el9')).toEqual({ major: 8, minor: 7 });
    expect(parseVersionString('nonsense')).toBeUndefined();
  });
});

describe('connection contexts', () => {
  const block = (kind: string, patterns: string): MatchBlock => ({
    criteria: [{ kind, patterns }],
    file: '/etc/ssh/sshd_config',
    line: 1,
    text: `Match ${kind} ${patterns}`,
  });
  const parsed = (blocks: MatchBlock[]): ParsedConfig => ({
    mainFile: '/etc/ssh/sshd_config',
    files: [],
    directives: [],
    matchBlocks: blocks,
    problems: [],
  });
  const passwd = parsePasswd(stock('etc/passwd'));
  const groups = parseGroup(stock('etc/group'));

  it('finds an address inside each Match Address pattern', () => {
    expect(addressFor('10.20.0.0/16')).toBe('10.20.0.1');
    expect(addressFor('192.168.1.7/32')).toBe('192.168.1.7');
    expect(addressFor('10.0.0.*')).toBe('10.0.0.1');
    expect(addressFor('2001:db8::/32')).toBe('2001:db8::1');
    expect(addressFor('!10.0.0.0/8')).toBeUndefined();
    expect(addressFor('not-an-address/99')).toBeUndefined();
    expect(addressFor('300.1.1.1')).toBeUndefined();
  });

  it('covers root, an ordinary user, Match users and group members, an invalid user, from every Match address and port', () => {
    const ctx = buildContexts({
      parsed: parsed([
        block('address', '10.20.0.0/16,!10.20.99.0/24'),
        block('user', 'deploy,!root'),
        block('group', 'sudo'),
      ]),
      passwd,
      groups,
      ports: [22, 2222],
      laddr: '192.0.2.1',
      extraAddresses: [],
    });
    const users = [...new Set(ctx.map((c) => c.user))];
    expect(users).toEqual(['root', 'admin', 'deploy', 'hostward-no-such-user']);
    expect([...new Set(ctx.map((c) => c.addr))]).toEqual([OUTSIDE_ADDRESS, '10.20.0.1']);
    expect([...new Set(ctx.map((c) => c.lport))]).toEqual([22, 2222]);
    expect(ctx).toHaveLength(4 * 2 * 2);
    expect(ctx.find((c) => c.user === 'admin')!.groups).toEqual(['admin', 'sudo']);
    expect(ctx.find((c) => c.userClass === 'invalid')!.groups).toEqual([]);
    expect(ctx.find((c) => c.user === 'root' && c.addr === '10.20.0.1' && c.lport === 2222)!.label).toBe(
      'root from 10.20.0.1 on port 2222',
    );
  });

  it('caps the number of contexts', () => {
    const many = Array.from({ length: 100 }, (_, i) => block('address', `10.${i}.0.0/16`));
    expect(
      buildContexts({ parsed: parsed(many), passwd, groups, ports: [22], laddr: '127.0.0.1', extraAddresses: [] }),
    ).toHaveLength(64);
  });
});

describe('ssh probe options', () => {
  it('fills defaults; live follows the root', () => {
    expect(parseSshOptions(undefined, true)).toMatchObject({ live: true, maxAuthTries: 4, minRsaBits: 3072 });
    expect(parseSshOptions({}, false).live).toBe(false);
    expect(parseSshOptions({ live: true, permitRootLogin: ['NO'] }, false)).toMatchObject({
      live: true,
      permitRootLogin: ['no'],
    });
  });

  it('names the key that is wrong', () => {
    expect(() => parseSshOptions({ maxAuthTries: 0 }, true)).toThrow(/^maxAuthTries: must be an integer from 1 to 100/);
    expect(() => parseSshOptions({ permitRootLogin: 'no' }, true)).toThrow(/^permitRootLogin: must be a list/);
    expect(() => parseSshOptions({ liveAddress: 'localhost' }, true)).toThrow(/^liveAddress: must be an IP address/);
    expect(() => parseSshOptions({ sourceAddresses: ['10.0.0.1', 'x'] }, true)).toThrow(/^sourceAddresses/);
    expect(() => parseSshOptions({ typo: 1 }, true)).toThrow(/^typo: unknown key/);
  });

  it('reaches a wildcard listener on loopback', () => {
    expect(liveTarget('0.0.0.0:22', {})).toEqual({ address: '127.0.0.1', port: 22 });
    expect(liveTarget('[::]:2222', {})).toEqual({ address: '::1', port: 2222 });
    expect(liveTarget('10.0.0.5:22', {})).toEqual({ address: '10.0.0.5', port: 22 });
    expect(liveTarget('0.0.0.0:22', { liveAddress: '192.0.2.9', livePort: 2200 })).toEqual({
      address: '192.0.2.9',
      port: 2200,
    });
  });
});

describe('sshd listener command line', () => {
  it('recovers argv from the retitled listener and ignores per-connection processes', () => {
    expect(listenerArgv('sshd: /usr/sbin/sshd -D -o A=b [listener] 0 of 10-100 startups\0')).toEqual([
      '/usr/sbin/sshd',
      '-D',
      '-o',
      'A=b',
    ]);
    expect(listenerArgv('/usr/sbin/sshd\0-D\0-f\0/etc/ssh/alt.conf\0')).toEqual([
      '/usr/sbin/sshd',
      '-D',
      '-f',
      '/etc/ssh/alt.conf',
    ]);
    expect(listenerArgv('sshd: admin [priv]\0')).toBeUndefined();
    expect(listenerArgv('sshd: admin@pts/0\0')).toBeUndefined();
    expect(listenerArgv('')).toBeUndefined();
    expect(listenerArgv('\0\0\0')).toBeUndefined();
    expect(listenerArgv('/usr/bin/bash\0-c\0sshd\0')).toBeUndefined();
  });

  it('parses getopt the way sshd does, replaying only configuration options', () => {
    const a = parseSshdArgs([
      '-De',
      '-oPasswordAuthentication=yes',
      '-o',
      'X11Forwarding no',
      '-p2222',
      '-f',
      '/etc/ssh/alt.conf',
      '-E',
      '/tmp/log',
      '-h',
      '/k',
    ]);
    expect(a.lines).toEqual(['PasswordAuthentication=yes', 'X11Forwarding no', 'Port 2222', 'HostKey /k']);
    expect(a.configFile).toBe('/etc/ssh/alt.conf');
    expect(a.replay).toEqual([
      '-o',
      'PasswordAuthentication=yes',
      '-o',
      'X11Forwarding no',
      '-p',
      '2222',
      '-f',
      '/etc/ssh/alt.conf',
      '-h',
      '/k',
    ]);
    expect(a.replay).not.toContain('-E'); // a log file would be written on the host
    expect(parseSshdArgs(['-o']).problems).toEqual(['-o without a value']);
    expect(parseSshdArgs(['stray']).problems[0]).toMatch(/unexpected argument/);
    expect(parseSshdArgs(Array.from({ length: 50_000 }, () => '-D')).lines).toEqual([]);
  });
});
