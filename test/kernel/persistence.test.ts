/**
 * The persisted half of the sysctl checks: the sysctl.d parser and precedence (sysctl-conf.ts), the reader of a
 * root (persisted.ts) against systemd's own listing (`systemd-analyze cat-config sysctl.d --root`), and how the
 * checks judge a value that is right in force but not persisted, persisted otherwise, or undecidable.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HostRoot } from '../../src/sdk.js';
import {
  applyConf,
  globMatches,
  normaliseSysctlKey,
  parseSysctlConf,
  persistedValue,
  MAX_CONF_CHARS,
} from '../../probes/kernel/sysctl-conf.js';
import type { ConfFile } from '../../probes/kernel/sysctl-conf.js';
import { readPersisted } from '../../probes/kernel/persisted.js';
import { byCheck, makeRoot, scanKernel, sysctlFiles } from './helpers.js';
import type { Entry } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function conf(text: string): ConfFile {
  const p = parseSysctlConf(text);
  if (!p.ok) throw new Error(p.reason);
  return p.conf;
}

function root(files: Record<string, Entry>): string {
  const r = makeRoot(files);
  cleanups.push(r.cleanup);
  return r.root;
}

describe('parseSysctlConf', () => {
  it('assignments, comments, "-" prefixes, negative matches and lines that are not assignments', () => {
    const c = conf(
      '# c\n; c\n\n  kernel.a = 1  \n-kernel.b=2\n-kernel.c\nnot an assignment\nkernel.d = 1 # x\r\nkernel.e=\n',
    );
    expect(c.assignments.map(({ key, value, line }) => [key, value, line])).toEqual([
      ['kernel.a', '1', 4],
      ['kernel.b', '2', 5],
      ['kernel.c', null, 6],
      ['kernel.d', '1 # x', 8],
      ['kernel.e', '', 9],
    ]);
    expect(c.ignored).toEqual([{ line: 7, text: 'not an assignment' }]);
    expect(c.ignoredCount).toBe(1);
  });

  it('keys with "/" or "." separators name the same sysctl; a dot inside a name is "/" in the dotted form', () => {
    expect(normaliseSysctlKey('net/ipv4/ip_forward')).toBe('net.ipv4.ip_forward');
    expect(normaliseSysctlKey('net.ipv4.conf.eth0/100.rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(normaliseSysctlKey('net/ipv4/conf/eth0.100/rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(normaliseSysctlKey('/kernel//panic')).toBe('kernel.panic');
    expect(normaliseSysctlKey('kernel..panic')).toBe('kernel.panic');
    expect(conf('/ = 1\n= 1\n').assignments).toEqual([]);
  });

  it('refuses a file beyond the cap as a whole, keeps at most 10 ignored lines but counts them all', () => {
    expect(parseSysctlConf('#'.repeat(MAX_CONF_CHARS + 1))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('larger than any sysctl configuration file'),
    });
    const c = conf('junk\n'.repeat(50));
    expect(c.ignored.length).toBe(10);
    expect(c.ignoredCount).toBe(50);
  });
});

describe('applying the files (systemd-sysctl precedence)', () => {
  const apply = (...texts: string[]) => applyConf(texts.map((t, i) => ({ file: `/f${i}.conf`, conf: conf(t) })));

  it('a later assignment wins and names its file and line', () => {
    const s = apply('kernel.a = 1\n', '\nkernel/a = 2\n');
    expect(persistedValue(s, 'kernel.a')).toMatchObject({
      state: 'set',
      setting: { value: '2', file: '/f1.conf', line: 2 },
    });
    expect(persistedValue(s, 'kernel.b')).toEqual({ state: 'unset' });
  });

  it('an explicit line beats a glob whatever their order; among globs the last assigned wins', () => {
    const s = apply(
      'net.ipv4.conf.all.rp_filter = 1\n',
      'net.ipv4.conf.*.rp_filter = 2\nnet.ipv4.conf.[ad]*.rp_filter = 0\n',
    );
    expect(persistedValue(s, 'net.ipv4.conf.all.rp_filter')).toMatchObject({ state: 'set', setting: { value: '1' } });
    expect(persistedValue(s, 'net.ipv4.conf.default.rp_filter')).toMatchObject({
      state: 'set',
      glob: 'net.ipv4.conf.[ad]*.rp_filter',
      setting: { value: '0' },
    });
    expect(persistedValue(s, 'net.ipv4.conf.eth0.rp_filter')).toMatchObject({
      state: 'set',
      glob: 'net.ipv4.conf.*.rp_filter',
    });
  });

  it('a negative match keeps globs off a key and drops its earlier value; a negative glob only drops its own pattern', () => {
    const s = apply(
      'net.ipv4.conf.all.rp_filter = 1\n',
      'net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n-net.ipv4.conf.d*.rp_filter\n',
    );
    expect(persistedValue(s, 'net.ipv4.conf.all.rp_filter')).toMatchObject({ state: 'excluded' });
    expect(persistedValue(s, 'net.ipv4.conf.default.rp_filter')).toMatchObject({
      state: 'set',
      setting: { value: '2' },
    });
    const dropped = apply('net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.*.rp_filter\n');
    expect(persistedValue(dropped, 'net.ipv4.conf.default.rp_filter')).toEqual({ state: 'unset' });
  });

  it('the same value again keeps the first place (systemd keeps the earlier entry)', () => {
    const s = apply('kernel.a = 1\nnet.ipv4.conf.*.rp_filter = 2\n', 'kernel.a = 1\n');
    expect(persistedValue(s, 'kernel.a')).toMatchObject({ setting: { file: '/f0.conf', line: 1 } });
  });

  it('globs match per path component, as glob(3) over /proc/sys', () => {
    expect(globMatches('net.ipv4.conf.*.rp_filter', 'net.ipv4.conf.eth0/100.rp_filter')).toBe(true);
    expect(globMatches('net.ipv4.*', 'net.ipv4.conf.all.rp_filter')).toBe(false);
    expect(globMatches('kernel.?anic', 'kernel.panic')).toBe(true);
    expect(globMatches('kernel.[!p]anic', 'kernel.panic')).toBe(false);
    expect(globMatches('kernel.[', 'kernel.[')).toBe(true);
  });
});

/** The files `systemd-analyze cat-config sysctl.d --root` prints, in its order, with their text. */
function catConfig(dir: string): { path: string; text: string }[] | undefined {
  let out: string;
  try {
    out = execFileSync('systemd-analyze', ['cat-config', 'sysctl.d', `--root=${dir}`, '--no-pager'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return undefined;
  }
  const files: { path: string; text: string }[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith(`# ${dir}/`)) files.push({ path: line.slice(2 + dir.length), text: '' });
    else if (files.length > 0) files[files.length - 1]!.text += line + '\n';
  }
  return files;
}

const haveAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveAnalyze)('ground truth: systemd-analyze cat-config sysctl.d --root', () => {
  // Overlapping names across the five directories, a mask, an empty file, a dangling link, hidden and
  // non-.conf names, /lib beside /usr/lib, and /etc/sysctl.conf through the 99-sysctl.conf link.
  const files: Record<string, Entry> = {
    'usr/lib/sysctl.d/10-a.conf': 'kernel.panic = 1\nkernel.panic_on_oops = 0\n',
    'etc/sysctl.d/10-a.conf': 'kernel.panic = 2\n',
    'run/sysctl.d/10-a.conf': 'kernel.panic = 3\n',
    'run/sysctl.d/30-run.conf': 'kernel.panic = 30\nfs.suid_dumpable = 0\n',
    'usr/local/lib/sysctl.d/15-local.conf': 'kernel/dmesg_restrict = 1\n',
    'usr/lib/sysctl.d/20-masked.conf': 'kernel.kptr_restrict = 0\n',
    'etc/sysctl.d/20-masked.conf': { symlink: '/dev/null' },
    'lib/sysctl.d/05-lib.conf': 'kernel.kptr_restrict = 2\nkernel.panic_on_oops = 1\n',
    'lib/sysctl.d/30-run.conf': 'kernel.panic = 99\n',
    'usr/lib/sysctl.d/50-empty.conf': 'fs.suid_dumpable = 2\n',
    'etc/sysctl.d/50-empty.conf': '',
    'etc/sysctl.d/.hidden.conf': 'kernel.panic = 77\n',
    'etc/sysctl.d/notes.txt': 'kernel.panic = 78\n',
    'etc/sysctl.d/99-sysctl.conf': { symlink: '../sysctl.conf' },
    'etc/sysctl.conf': '# local\nkernel.randomize_va_space = 2\nkernel.panic = 10\n',
    'etc/sysctl.d/99-zz.conf': 'kernel.randomize_va_space = 1\n',
  };

  it('the reader picks the same files in the same order and reaches the same final values', async () => {
    const dir = root(files);
    const truth = catConfig(dir);
    expect(truth, 'systemd-analyze cat-config failed').toBeDefined();
    const p = await readPersisted(new HostRoot(dir));
    expect(p.problem).toBeUndefined();
    expect(p.sysctlConfLast).toBe(false);
    expect(p.sources.map((s) => s.path)).toEqual(truth!.map((t) => t.path));
    // Applying systemd's files in its order, last assignment winning (no globs here), gives the reader's values.
    const expected = new Map<string, string>();
    for (const t of truth!) {
      for (const line of t.text.split('\n')) {
        const m = /^\s*([^#;=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) expected.set(m[1]!.replace(/\//g, '.'), m[2]!);
      }
    }
    expect(expected.size).toBeGreaterThan(4);
    for (const [k, v] of expected)
      expect(persistedValue(p.settings, k), k).toMatchObject({ state: 'set', setting: { value: v } });
    // What the fixture means to show: /run beats /usr/lib and /lib, /etc beats /run, the mask and the empty file.
    expect(Object.fromEntries(expected)).toEqual({
      'kernel.kptr_restrict': '2',
      'kernel.panic_on_oops': '1',
      'kernel.panic': '10',
      'kernel.dmesg_restrict': '1',
      'fs.suid_dumpable': '0',
      'kernel.randomize_va_space': '1',
    });
  });

  it('without the 99-sysctl.conf link systemd does not list /etc/sysctl.conf; the reader adds it last, as procps does', async () => {
    const dir = root(Object.fromEntries(Object.entries(files).filter(([k]) => k !== 'etc/sysctl.d/99-sysctl.conf')));
    const truth = catConfig(dir)!;
    expect(truth.map((t) => t.path)).not.toContain('/etc/sysctl.conf');
    const p = await readPersisted(new HostRoot(dir));
    expect(p.sources.map((s) => s.path)).toEqual([...truth.map((t) => t.path), '/etc/sysctl.conf']);
    expect(p.sysctlConfLast).toBe(true);
    expect(persistedValue(p.settings, 'kernel.randomize_va_space')).toMatchObject({
      setting: { value: '2', file: '/etc/sysctl.conf' },
    });
  });
});

/**
 * systemd-sysctl itself, run in a private mount namespace where /proc/sys, the sysctl.d directories and
 * /etc/sysctl.conf are tmpfs or bind mounts of a fixture: it writes into files of a tmpfs, never into the
 * kernel. The script refuses to run unless /proc/sys is that tmpfs. Root only.
 */
const APPLY = String.raw`set -eu
root="$1"; shift
mount --make-rprivate /
mount -t tmpfs hostward-test /proc/sys
[ "$(stat -f -c %T /proc/sys)" = tmpfs ] || exit 97
[ ! -e /proc/sys/kernel/ostype ] || exit 98
for k in "$@"; do mkdir -p "/proc/sys/$(dirname "$k")"; echo 9 > "/proc/sys/$k"; done
mount -t tmpfs hostward-test /etc/sysctl.d
mount -t tmpfs hostward-test /usr/lib/sysctl.d
mount -t tmpfs hostward-test /run
mkdir -p /run/sysctl.d
mount -t tmpfs hostward-test /usr/local
mkdir -p /usr/local/lib/sysctl.d
for d in etc/sysctl.d usr/lib/sysctl.d run/sysctl.d usr/local/lib/sysctl.d; do
  [ -d "$root/$d" ] && cp -a "$root/$d/." "/$d/"
done
mount --bind "$root/etc/sysctl.conf" /etc/sysctl.conf
for b in /usr/lib/systemd/systemd-sysctl /lib/systemd/systemd-sysctl; do [ -x "$b" ] && { "$b" || true; break; }; done
[ "$(stat -f -c %T /proc/sys)" = tmpfs ] || exit 99
for k in "$@"; do printf '%s=%s\n' "$k" "$(cat "/proc/sys/$k")"; done`;

const canApply = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return (
    ['/usr/lib/systemd/systemd-sysctl', '/lib/systemd/systemd-sysctl'].some((b) => existsSync(b)) &&
    existsSync('/etc/sysctl.conf')
  );
})();

describe.skipIf(!canApply)('ground truth: the values systemd-sysctl writes', () => {
  it('explicit keys over globs, later globs over earlier, negative matches, masks and /etc over /run', async () => {
    const dir = root({
      'usr/lib/sysctl.d/50-default.conf':
        'net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n' +
        'net.ipv4.conf.default.accept_source_route = 0\nnet.ipv4.conf.*.accept_source_route = 0\n' +
        '-net.ipv4.conf.all.accept_source_route\nkernel.panic = 3\nfs.suid_dumpable = 2\n',
      'usr/lib/sysctl.d/60-masked.conf': 'kernel.kptr_restrict = 0\n',
      'etc/sysctl.d/60-masked.conf': { symlink: '/dev/null' },
      'etc/sysctl.d/70-local.conf':
        '; local\nkernel/dmesg_restrict = 1\nnet.ipv4.conf.eth0/100.rp_filter = 1\n-kernel.panic = 4\nnet/ipv4/conf/all/rp_filter=1\n',
      'run/sysctl.d/70-local.conf': 'kernel.panic = 99\n',
      'run/sysctl.d/80-run.conf': 'fs.suid_dumpable = 0\nkernel.kptr_restrict = 1\n',
      'usr/local/lib/sysctl.d/75-local.conf': 'net.ipv4.conf.e*.rp_filter = 0\n',
      'etc/sysctl.d/99-sysctl.conf': { symlink: '../sysctl.conf' },
      'etc/sysctl.conf': 'kernel.randomize_va_space = 2\n',
      'etc/sysctl.d/99-zz.conf': 'kernel.randomize_va_space = 1\n',
    });
    const paths = [
      'net/ipv4/conf/all/rp_filter',
      'net/ipv4/conf/default/rp_filter',
      'net/ipv4/conf/eth0/rp_filter',
      'net/ipv4/conf/eth0.100/rp_filter',
      'net/ipv4/conf/all/accept_source_route',
      'net/ipv4/conf/default/accept_source_route',
      'kernel/panic',
      'kernel/dmesg_restrict',
      'kernel/kptr_restrict',
      'kernel/randomize_va_space',
      'fs/suid_dumpable',
    ];
    const out = execFileSync('unshare', ['-m', 'sh', '-c', APPLY, 'sh', dir, ...paths], { encoding: 'utf8' });
    const written = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(Object.keys(written)).toEqual(paths);
    const p = await readPersisted(new HostRoot(dir));
    const ours = Object.fromEntries(
      paths.map((k) => {
        const v = persistedValue(p.settings, normaliseSysctlKey(k));
        return [k, v.state === 'set' ? v.setting.value : '9'];
      }),
    );
    expect(ours).toEqual(written);
    // What systemd wrote, spelled out, so that a change on either side shows here.
    expect(written).toEqual({
      'net/ipv4/conf/all/rp_filter': '1',
      'net/ipv4/conf/default/rp_filter': '2',
      'net/ipv4/conf/eth0/rp_filter': '0',
      'net/ipv4/conf/eth0.100/rp_filter': '1',
      'net/ipv4/conf/all/accept_source_route': '9',
      'net/ipv4/conf/default/accept_source_route': '0',
      'kernel/panic': '4',
      'kernel/dmesg_restrict': '1',
      'kernel/kptr_restrict': '1',
      'kernel/randomize_va_space': '1',
      'fs/suid_dumpable': '0',
    });
  });
});

describe('the checks judge in force and persisted', () => {
  const hardened = sysctlFiles({ 'kernel.randomize_va_space': 2, 'net.ipv4.ip_forward': 1, 'kernel.panic': 10 });
  const scan = async (
    files: Record<string, Entry>,
    role: 'node' | 'server' = 'node',
    config: Record<string, unknown> = {},
  ) => byCheck(await scanKernel(root(files), config, role));

  it('right in force but set by no file fails, saying the value is lost at the next boot', async () => {
    const f = (await scan({ ...hardened, 'etc/os-release': 'ID=debian\n' })).get('kernel.randomize_va_space')!;
    expect(f).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(
        'in force now but not persisted: no sysctl configuration file sets kernel.randomize_va_space (0 files read), so the next boot does not set it',
      ),
    });
  });

  it('persisted with another value fails and names the file and line', async () => {
    const f = (
      await scan({
        ...hardened,
        'etc/os-release': 'ID=debian\n',
        'usr/lib/sysctl.d/50-x.conf': '# x\nkernel.randomize_va_space = 1\n',
      })
    ).get('kernel.randomize_va_space')!;
    expect(f.status).toBe('fail');
    expect(f.message).toContain(
      '/usr/lib/sysctl.d/50-x.conf:2 sets kernel.randomize_va_space = 1, so the next boot changes it to 1 (expected 2)',
    );
    expect(f.evidence).toContainEqual({
      file: '/usr/lib/sysctl.d/50-x.conf',
      line: 2,
      text: 'kernel.randomize_va_space = 1',
    });
  });

  it('an /etc file masking the vendor one wins; the check passes naming it', async () => {
    const f = (
      await scan({
        ...hardened,
        'usr/lib/sysctl.d/50-x.conf': 'kernel.randomize_va_space = 1\n',
        'etc/sysctl.d/50-x.conf': 'kernel.randomize_va_space=2\n',
      })
    ).get('kernel.randomize_va_space')!;
    expect(f).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('persisted: /etc/sysctl.d/50-x.conf:1 sets kernel.randomize_va_space = 2'),
    });
  });

  it('on a node, forwarding and the kubelet values need not be persisted; on a server forwarding must be', async () => {
    const node = await scan({ ...hardened, 'etc/os-release': 'ID=debian\n' });
    expect(node.get('kernel.ip_forward')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('a Kubernetes node need not persist it: the CNI plugin turns forwarding on'),
    });
    expect(node.get('kernel.panic')).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('the kubelet sets it itself when it starts'),
    });
    const server = await scan(
      { ...hardened, ...sysctlFiles({ 'net.ipv4.ip_forward': 0 }), 'etc/os-release': 'ID=debian\n' },
      'server',
    );
    expect(server.get('kernel.ip_forward')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no sysctl configuration file sets net.ipv4.ip_forward'),
    });
  });

  it('a file that cannot be read and could decide makes it unknown; one before the deciding line does not', async () => {
    const big = '#'.repeat(MAX_CONF_CHARS + 10);
    const later = await scan({
      ...hardened,
      'etc/sysctl.d/10-a.conf': 'kernel.randomize_va_space = 2\n',
      'etc/sysctl.d/90-big.conf': big,
    });
    expect(later.get('kernel.randomize_va_space')).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining('/etc/sysctl.d/90-big.conf cannot be read (too large'),
    });
    const earlier = await scan({
      ...hardened,
      'etc/sysctl.d/95-a.conf': 'kernel.randomize_va_space = 2\n',
      'etc/sysctl.d/10-big.conf': big,
    });
    expect(earlier.get('kernel.randomize_va_space')!.status).toBe('pass');
  });

  it('a root without /etc cannot tell what the next boot applies: unknown, with the value in force', async () => {
    const f = (await scan(hardened)).get('kernel.randomize_va_space')!;
    expect(f).toMatchObject({
      status: 'unknown',
      message: expect.stringContaining(
        'kernel.randomize_va_space = 2 (expected 2); whether the next boot keeps it cannot be told: the scanned root has no readable /etc',
      ),
    });
  });

  it('persistence: false judges the value in force only', async () => {
    const f = (await scan({ ...hardened, 'etc/os-release': 'ID=debian\n' }, 'node', { persistence: false })).get(
      'kernel.randomize_va_space',
    )!;
    expect(f).toMatchObject({ status: 'pass', message: 'kernel.randomize_va_space = 2 (expected 2)' });
  });

  it('a value that fails in force fails for that reason, whatever is persisted', async () => {
    const f = (
      await scan({
        ...sysctlFiles({ 'kernel.randomize_va_space': 0 }),
        'etc/sysctl.d/60.conf': 'kernel.randomize_va_space = 2\n',
      })
    ).get('kernel.randomize_va_space')!;
    expect(f).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^kernel\.randomize_va_space = 0, expected 2: /),
    });
  });
});
