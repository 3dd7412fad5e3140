/**
 * The files checks over small roots built here: the distribution's variant of the shadow rows, "or stricter"
 * modes, missing files that never pass, the GRUB password kept in RHEL's user.cfg, cron.allow and at.allow,
 * interactive users, banners, options. Each case would fail if the verdict it names were different.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FILES_OPTIONS } from '../../probes/files/option-spec.js';
import { parsedOptions } from '../helpers/options.js';
import { interactiveUsers } from '../../probes/files/gather.js';
import { bannerLeaks, grubPasswordLines, parsePasswd } from '../../probes/files/parse.js';
import { allowList } from '../../probes/files/setid.js';
import { DEBIAN_OS, GROUP, PASSWD, ROCKY_OS, byCheck, makeRoot, scanFiles } from './helpers.js';
import type { Entry } from './helpers.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseFilesOptions = (raw: unknown) => parsedOptions(FILES_OPTIONS, raw);

const roots: (() => void)[] = [];
afterEach(() => roots.splice(0).forEach((c) => c()));

async function findings(files: Record<string, Entry>, config: Record<string, unknown> = {}) {
  const r = makeRoot(files);
  roots.push(r.cleanup);
  return byCheck(await scanFiles(r.root, { walk: false, ...config }));
}

const base = (os: string): Record<string, Entry> => ({
  'etc/os-release': os,
  'etc/passwd': PASSWD,
  'etc/group': GROUP,
});

describe('the shadow rows follow the distribution', () => {
  it("RHEL: 0000 root:root passes; 0640 root:shadow, Debian's value, fails", async () => {
    const ok = await findings({ ...base(ROCKY_OS), 'etc/shadow': { text: '', mode: 0o000 } });
    expect(ok.get('files.shadow_permissions')!.status).toBe('pass');
    const bad = await findings({ ...base(ROCKY_OS), 'etc/shadow': { text: '', mode: 0o640, owner: '0:42' } });
    const f = bad.get('files.shadow_permissions')!;
    expect(f.status).toBe('fail');
    expect(f.message).toContain('/etc/shadow 0640 root:shadow');
    expect(f.message).toContain('expected 0000 or stricter');
  });

  it('Debian: root:shadow 0640 passes, 0600 (stricter) passes, 0660 and a setgid bit fail, another group fails', async () => {
    for (const [mode, owner, status] of [
      [0o640, '0:42', 'pass'],
      [0o600, '0:0', 'pass'],
      [0o660, '0:42', 'fail'],
      [0o2640, '0:42', 'fail'],
      [0o640, '0:1000', 'fail'],
    ] as const) {
      const f = (await findings({ ...base(DEBIAN_OS), 'etc/shadow': { text: '', mode, owner } })).get(
        'files.shadow_permissions',
      )!;
      expect(`${mode.toString(8)} ${owner} ${f.status}`).toBe(`${mode.toString(8)} ${owner} ${status}`);
    }
  });

  it('a missing /etc/shadow is unknown and a missing backup is skip, never pass', async () => {
    const f = await findings(base(DEBIAN_OS));
    expect(f.get('files.shadow_permissions')!.status).toBe('unknown');
    expect(f.get('files.shadow_backup_permissions')!.status).toBe('skip');
  });

  it('a directory where a file belongs fails; a link is followed as stat -L does', async () => {
    const f = await findings({
      ...base(DEBIAN_OS),
      'etc/shells': { dir: true },
      'etc/motd': { symlink: '/run/motd.real' },
      'run/motd.real': { text: 'hi\n', mode: 0o666 },
    });
    expect(f.get('files.shells_permissions')!.message).toContain('is a directory');
    expect(f.get('files.motd_permissions')!.status).toBe('fail');
    expect(f.get('files.motd_permissions')!.message).toContain('/etc/motd (-> /run/motd.real) 0666');
  });
});

describe('GRUB', () => {
  const RHEL_CFG =
    'if [ -f ${prefix}/user.cfg ]; then\n  source ${prefix}/user.cfg\n  if [ -n "${GRUB2_PASSWORD}" ]; then\n    set superusers="root"\n    export superusers\n    password_pbkdf2 root ${GRUB2_PASSWORD}\n  fi\nfi\n';
  it("RHEL's 01_users passes with a hash in user.cfg and fails without it", async () => {
    const ok = await findings({
      ...base(ROCKY_OS),
      'boot/grub2/grub.cfg': { text: RHEL_CFG, mode: 0o600 },
      'boot/grub2/user.cfg': { text: 'GRUB2_PASSWORD=grub.pbkdf2.sha512.10000.AB.CD\n', mode: 0o600 },
    });
    expect(ok.get('files.grub_password')!.status).toBe('pass');
    const bad = await findings({
      ...base(ROCKY_OS),
      'boot/grub2/grub.cfg': { text: RHEL_CFG, mode: 0o600 },
      'boot/grub2/user.cfg': { text: 'GRUB2_PASSWORD=\n' },
    });
    expect(bad.get('files.grub_password')!.status).toBe('fail');
  });

  it('a clear-text password fails; a commented-out one is no password', async () => {
    const plain = await findings({
      ...base(DEBIAN_OS),
      'boot/grub/grub.cfg': 'set superusers="admin"\npassword admin secret\n',
    });
    expect(plain.get('files.grub_password')!.message).toContain('clear-text');
    expect(grubPasswordLines('# set superusers="a"\n# password_pbkdf2 a grub.pbkdf2.x')).toEqual({});
  });
});

describe('cron and at', () => {
  const cron: Record<string, Entry> = {
    'usr/sbin/cron': { text: 'x', mode: 0o755 },
    'usr/bin/at': { text: 'x', mode: 0o755 },
  };
  it('allow files: present and restricted pass; group crontab and daemon are accepted; a world-readable one fails', async () => {
    const ok = await findings({
      ...base(DEBIAN_OS),
      ...cron,
      'etc/cron.allow': { text: 'root\n', mode: 0o640, owner: '0:0' },
      'etc/at.allow': { text: 'root\n', mode: 0o640, owner: '0:1' },
    });
    expect(ok.get('files.cron_allow')!.status).toBe('pass');
    const bad = await findings({
      ...base(DEBIAN_OS),
      ...cron,
      'etc/cron.allow': { text: 'root\n', mode: 0o644 },
      'etc/at.allow': { text: '', mode: 0o640, owner: '1000:0' },
    });
    expect(bad.get('files.cron_allow')!.message).toContain('0644');
    expect(bad.get('files.at_allow')!.message).toContain('owner alice');
  });

  it('cron not installed: every cron row skips, whatever the files say', async () => {
    const f = await findings({ ...base(DEBIAN_OS), 'etc/crontab': { text: '', mode: 0o666 } });
    expect(f.get('files.crontab_permissions')!.status).toBe('skip');
    expect(f.get('files.cron_allow')!.status).toBe('skip');
  });
});

describe('homes and users', () => {
  it('interactive users are those with a shell of /etc/shells, nologin and false never', () => {
    const users = parsePasswd(
      'a:x:1:1::/h/a:/bin/bash\nb:x:2:2::/h/b:/usr/sbin/nologin\nc:x:3:3::/h/c:/bin/zsh\nbad line\nd:x:4:4::/h/d:/bin/false\n',
    );
    expect(interactiveUsers(users, ['/bin/bash']).map((u) => u.name)).toEqual(['a']);
    expect(interactiveUsers(users, undefined).map((u) => u.name)).toEqual(['a', 'c']);
  });

  it('a setgid home (0750 plus g+s) passes as CIS masks 027; a group-writable dot file fails; a .rhosts fails', async () => {
    const f = await findings({
      ...base(DEBIAN_OS),
      'etc/shells': '/bin/bash\n',
      root: { dir: true, mode: 0o700 },
      'home/alice': { dir: true, mode: 0o2750, owner: '1000:1000' },
      'home/alice/.profile': { text: '', mode: 0o664, owner: '1000:1000' },
      'home/alice/.rhosts': { text: '+ +\n', mode: 0o600, owner: '1000:1000' },
    });
    expect(f.get('files.home_directories')!.status).toBe('pass');
    expect(f.get('files.dot_files')!.message).toContain(
      '/home/alice/.profile 0664 alice:alice group or world writable',
    );
    expect(f.get('files.no_trust_files')!.message).toContain('/home/alice/.rhosts');
  });
});

describe('banners and allow-lists', () => {
  it('names the escapes and the OS id, and not words that merely contain it', () => {
    expect(bannerLeaks('Welcome to \\s \\r (\\m)\n', 'debian')).toEqual(['\\s', '\\r', '\\m']);
    expect(bannerLeaks('Authorized use only. Debian admins watch.', 'debian')).toEqual(['the OS name "debian"']);
    expect(bannerLeaks('Authorized use only (\\l, \\n).', 'debian')).toEqual([]);
    expect(bannerLeaks('debianized', 'debian')).toEqual([]);
  });

  it("the SUID allow-list checks the bit too: Debian's SGID chage made SUID is not allowed", () => {
    const deb = allowList('debian', []);
    expect(deb.match('/usr/bin/chage', 0o2755)).toBe(true);
    expect(deb.match('/usr/bin/chage', 0o4755)).toBe(false);
    expect(deb.match('/bin/su', 0o4755)).toBe(true);
    expect(deb.match('/usr/lib/aarch64-linux-gnu/utempter/utempter', 0o2755)).toBe(true);
    expect(allowList('rhel', []).match('/usr/bin/chage', 0o4755)).toBe(true);
    expect(allowList('rhel', ['/opt/tool/bin/*']).match('/opt/tool/bin/helper', 0o4755)).toBe(true);
  });
});

describe('options', () => {
  it('refuses bad values naming the key', () => {
    expect(() => parseFilesOptions({ walk: 'yes' })).toThrow(/^walk:/);
    expect(() => parseFilesOptions({ walkMaxEntries: 0 })).toThrow(/^walkMaxEntries:/);
    expect(() => parseFilesOptions({ allowSetid: ['relative/path'] })).toThrow(/^allowSetid:/);
    expect(() => parseFilesOptions({ walkBudget: 5 })).toThrow(/^walkBudget: unknown key/);
    expect(parseFilesOptions(undefined)).toEqual({ walk: true, walkMaxEntries: 200_000, allowSetid: [] });
  });

  it('walk: false makes the whole-disk checks skip', async () => {
    const f = await findings(base(DEBIAN_OS), { walk: false });
    for (const id of ['files.world_writable_files', 'files.unowned_files', 'files.setid_allowed'])
      expect(f.get(id)!.status).toBe('skip');
  });
});
