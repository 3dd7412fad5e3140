/** Every parser of the runtime probe fed well-formed, malformed, truncated and huge input: verdicts, never throws. */
import { describe, it, expect } from 'vitest';
import { parseCmdline, parseProcStat, parseBootTime, parseGoFlags } from '../../src/host/facts/processes/index.js';
import { parseProcStatus } from '../../src/host/facts/processes/status.js';
import {
  parseDaemonJson,
  parseDockerdArgs,
  resolveDocker,
  DOCKERD_BOOL_FLAGS,
  parseListenStreams,
} from '../../probes/runtime/docker.js';
import { parseToml, lineOfKey, mergeInto, splitKeyPath } from '../../src/host/facts/runtime/toml.js';
import { normaliseContainerd, parseHostsToml, parseContainerdArgs } from '../../src/host/facts/runtime/containerd.js';
import { normaliseCrio, parseCrioArgs } from '../../src/host/facts/runtime/crio.js';
import { parseAuditRules, parseKubeletCgroupDriver } from '../../probes/runtime/host.js';
import { checkMode, judgeMode } from '../../src/host/facts/runtime/files.js';
import { RUNTIME_OPTIONS } from '../../probes/runtime/option-spec.js';
import { parsedOptions } from '../helpers/options.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseRuntimeOptions = (raw: unknown) => parsedOptions(RUNTIME_OPTIONS, raw);

const HUGE = 'a'.repeat(5 * 1024 * 1024);

describe('mode bits (not decimal strings)', () => {
  it('0622 is not within 0644, although 622 <= 644 as decimals (docker-bench-security check_3_x)', () => {
    expect(622 <= 644).toBe(true);
    const v = judgeMode(
      { path: '/etc/docker/daemon.json', stat: { mode: 0o622, uid: 0, gid: 0, type: 'file' } },
      { maxMode: 0o644, uid: 0 },
    );
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toContain('0022');
  });
  it('0600 and 0640 are within 0644, 0700 is not, setuid is not', () => {
    const j = (m: number) =>
      judgeMode({ path: '/x', stat: { mode: m, uid: 0, gid: 0, type: 'file' } }, { maxMode: 0o644, uid: 0 }).ok;
    expect([0o600, 0o640, 0o644, 0o400].map(j)).toEqual([true, true, true, true]);
    expect([0o700, 0o646, 0o4644, 0o664].map(j)).toEqual([false, false, false, false]);
  });
  it('the shared verdict names the bits beyond the limit and judges owner and group only when asked', () => {
    const st = { mode: 0o2775, uid: 1000, gid: 50 };
    expect(checkMode(st, { maxMode: 0o7755 })).toEqual({ extra: 0o020, ownerOk: true, groupOk: true });
    expect(checkMode(st, { maxMode: 0o750, uid: 1000, gids: [0, 50] })).toEqual({
      extra: 0o2025,
      ownerOk: true,
      groupOk: true,
    });
    expect(checkMode(st, { maxMode: 0o7777, uid: 0, gids: [0] })).toEqual({ extra: 0, ownerOk: false, groupOk: false });
  });
});

describe('/proc parsers', () => {
  it('cmdline: NUL-separated, trailing NUL, bounded', () => {
    expect(parseCmdline('/usr/bin/dockerd\0-H\0fd://\0')).toEqual(['/usr/bin/dockerd', '-H', 'fd://']);
    expect(parseCmdline('')).toEqual([]);
    expect(parseCmdline('dockerd\0--icc=fa')).toEqual(['dockerd', '--icc=fa']); // truncated
    expect(parseCmdline('x\0'.repeat(100_000)).length).toBe(4096);
  });
  it('stat: comm with spaces and parentheses; truncated and garbage are undefined', () => {
    const s = parseProcStat(
      '1187 (my (odd) proc) S 1 1187 1187 0 -1 4194560 100 0 0 0 10 5 0 0 20 0 12 0 98765 1000 10 18446744073709551615\n',
    );
    expect(s).toMatchObject({ pid: 1187, comm: 'my (odd) proc', ppid: 1, startTicks: 98765 });
    expect(parseProcStat('1187 (dockerd) S 1 1187')).toBeUndefined();
    expect(parseProcStat('garbage')).toBeUndefined();
    expect(parseProcStat(HUGE)).toBeUndefined();
    expect(parseBootTime('cpu 1 2\nbtime 1700000000\n')).toBe(1700000000);
    expect(parseBootTime('btime x')).toBeUndefined();
    expect(parseProcStatus('Name:\tdockerd\nUid:\t1000\t1000\t1000\t1000\n').uid).toBe(1000);
    expect(parseProcStatus('Uid:\t4294967295\t0\t0\t0\n').uid).toBe(4294967295);
    for (const bad of [
      'Uid:\t4294967296\t0\n',
      'Uid:\t-1\t0\n',
      'Uid:\t12x\t0\n',
      'Uid:\n',
      'Uid:\t' + '9'.repeat(5000),
    ])
      expect(parseProcStatus(bad).uid).toBeUndefined();
  });
});

describe('dockerd flags and daemon.json', () => {
  it('last flag wins for scalars, list flags accumulate, -Hvalue and --flag value forms', () => {
    const a = parseDockerdArgs([
      'dockerd',
      '--icc=false',
      '-l',
      'debug',
      '--log-level=warn',
      '--icc',
      '-Htcp://0.0.0.0:2375',
      '--host',
      'unix:///var/run/docker.sock',
      '--insecure-registry',
      'a:5000',
      '--insecure-registry=b',
    ]);
    const r = resolveDocker(a, undefined, '/proc/1/cmdline').settings;
    expect(r.get('icc')).toMatchObject({ state: 'set', value: true, source: 'flag' });
    expect(r.get('log-level')).toMatchObject({ value: 'warn' });
    expect(r.get('hosts')).toMatchObject({ value: ['tcp://0.0.0.0:2375', 'unix:///var/run/docker.sock'] });
    expect(r.get('insecure-registries')).toMatchObject({ value: ['a:5000', 'b'] });
    expect(r.get('live-restore')).toMatchObject({ source: 'default', value: false });
  });
  it('bad boolean flag value is unknown; a flag without value is a problem', () => {
    const r = resolveDocker(parseDockerdArgs(['dockerd', '--icc=maybe']), undefined, undefined).settings;
    expect(r.get('icc')?.state).toBe('unknown');
    expect(parseDockerdArgs(['dockerd', '--log-level']).problems[0]).toContain('without a value');
    expect(parseGoFlags(['--x', '--y'], DOCKERD_BOOL_FLAGS).problems).toEqual([
      '--x without a value',
      '--y without a value',
    ]);
  });
  it('huge and garbage command lines do not throw', () => {
    const big = ['dockerd', ...Array.from({ length: 4000 }, (_, i) => `--label=k${i}=v`)];
    expect(() => parseDockerdArgs(big)).not.toThrow();
    expect(() => parseDockerdArgs(['dockerd', '-', '--', 'x', '-=', '--=', '\u0000'])).not.toThrow();
  });
  it('daemon.json: object, empty, malformed, truncated, non-object, huge, deep', () => {
    expect(parseDaemonJson('{"icc": false}')).toEqual({ ok: true, values: { icc: false } });
    expect(parseDaemonJson('  ')).toEqual({ ok: true, values: {} });
    expect(parseDaemonJson('{"icc": fal').ok).toBe(false);
    expect(parseDaemonJson('[1,2]')).toEqual({ ok: false, reason: 'not a JSON object' });
    expect(parseDaemonJson('{"a":"' + HUGE + '"}').ok).toBe(true);
    expect(parseDaemonJson(HUGE).ok).toBe(false);
    expect(() => parseDaemonJson('['.repeat(200_000))).not.toThrow();
  });
  it('flag and file for the same option is a conflict; the flag is what runs', () => {
    const r = resolveDocker(
      parseDockerdArgs(['dockerd', '--icc=false']),
      { path: '/etc/docker/daemon.json', text: '{\n  "icc": true\n}', json: { ok: true, values: { icc: true } } },
      '/proc/9/cmdline',
    );
    expect(r.conflicts).toEqual(['icc']);
    expect(r.settings.get('icc')).toMatchObject({ value: false, source: 'flag' });
  });
  it('docker.socket ListenStream, with an empty assignment resetting the list', () => {
    expect(
      parseListenStreams('[Socket]\nListenStream=/run/docker.sock\nListenStream=\nListenStream=0.0.0.0:2375\n'),
    ).toEqual([{ value: '0.0.0.0:2375', line: 4 }]);
  });
});

describe('TOML (containerd, CRI-O)', () => {
  it('malformed, truncated, non-UTF-8, huge and deeply nested input is a reason, not a throw', () => {
    for (const t of [
      '[plugins',
      'a = ',
      'version = 2\n[x]\ny = "unterminated',
      'a = 1\na = 2',
      '\uFFFD = 1',
      HUGE,
      'a = ' + '['.repeat(100_000),
      '[a]\n[a]\n',
    ]) {
      const p = parseToml(t);
      expect(p.ok, t.slice(0, 30)).toBe(false);
      if (!p.ok) expect(p.reason.length).toBeGreaterThan(0);
    }
    expect(parseToml('version = 3\n[plugins."io.containerd.cri.v1.runtime"]\nenable_selinux = true\n').ok).toBe(true);
  });
  it('key paths and lines', () => {
    expect(splitKeyPath(`plugins."io.containerd.grpc.v1.cri".containerd.runtimes.'runc'`)).toEqual([
      'plugins',
      'io.containerd.grpc.v1.cri',
      'containerd',
      'runtimes',
      'runc',
    ]);
    const t = '[a]\n x = 1\n[a."b.c"]\n  y = 2\nz.w = 3\n';
    expect(lineOfKey(t, ['a', 'x'])).toBe(2);
    expect(lineOfKey(t, ['a', 'b.c', 'y'])).toBe(4);
    expect(lineOfKey(t, ['a', 'b.c', 'z', 'w'])).toBe(5);
    expect(lineOfKey(t, ['nope'])).toBeUndefined();
  });
  it('mergo semantics: empty values do not override, arrays append; replace semantics replace', () => {
    const to = { a: true, l: [1], t: { x: 'keep' } };
    mergeInto(to, { a: false, l: [2, 1], t: { y: 'new' } }, 'mergo', 'f', new Map());
    expect(to).toEqual({ a: true, l: [1, 2], t: { x: 'keep', y: 'new' } });
    const to2 = { a: true, l: [1] };
    mergeInto(to2, { a: false, l: [2] }, 'replace', 'f', new Map());
    expect(to2).toEqual({ a: false, l: [2] });
    const p = {} as Record<string, unknown>;
    mergeInto(p, JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown>, 'replace', 'f', new Map());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('containerd defaults differ by config version (2.x turns unprivileged ports on)', () => {
    expect(normaliseContainerd({}, 2, new Map(), new Map(), [], []).cri.enableUnprivilegedPorts.value).toBe(false);
    expect(normaliseContainerd({}, 3, new Map(), new Map(), [], []).cri.enableUnprivilegedPorts.value).toBe(true);
    const wrongTypes = normaliseContainerd(
      { plugins: { 'io.containerd.grpc.v1.cri': { unset_seccomp_profile: 5, containerd: { runtimes: { x: 'y' } } } } },
      2,
      new Map(),
      new Map(),
      [],
      [],
    );
    expect(wrongTypes.cri.unsetSeccompProfile.value).toBe('');
    expect(wrongTypes.cri.runtimes).toEqual([]);
  });
  it('hosts.toml: skip_verify and plain HTTP, malformed', () => {
    const p = parseHostsToml('server = "http://r:5000"\n[host."https://m"]\n  skip_verify = true\n');
    expect(p.ok && p.insecure.map((i) => i.line)).toEqual([1, 3]);
    expect(parseHostsToml('[host."x"').ok).toBe(false);
  });
  it('CRI-O: capabilities normalised, wrong types fall back to defaults', () => {
    const c = normaliseCrio(
      { crio: { runtime: { default_capabilities: ['cap_chown', 'NET_RAW'], pids_limit: 'x' } } },
      new Map(),
      new Map(),
      [],
    );
    expect(c.defaultCapabilities.value).toEqual(['CHOWN', 'NET_RAW']);
    expect(c.pidsLimit.value).toBe(-1);
    expect(c.seccompUseDefaultWhenEmpty.value).toBeUndefined();
  });
  it('containerd and crio flags', () => {
    expect(parseContainerdArgs(['containerd', '-c', '/a.toml', '-a', '/s.sock'])).toEqual({
      config: '/a.toml',
      address: '/s.sock',
    });
    expect(parseContainerdArgs(['containerd', '--config=/b.toml'])).toEqual({ config: '/b.toml' });
    expect(parseCrioArgs(['crio', '--config', '/c', '--config-dir=/d'])).toEqual({ config: '/c', configDir: '/d' });
  });
});

describe('host parsers and options', () => {
  it('kubelet cgroupDriver: YAML, JSON, default, malformed, hostile aliases', () => {
    expect(parseKubeletCgroupDriver('cgroupDriver: systemd\n')).toEqual({
      ok: true,
      driver: 'systemd',
      explicit: true,
    });
    expect(parseKubeletCgroupDriver('{"cgroupDriver":"cgroupfs"}')).toMatchObject({ ok: true, driver: 'cgroupfs' });
    expect(parseKubeletCgroupDriver('kind: KubeletConfiguration\n')).toMatchObject({
      driver: 'cgroupfs',
      explicit: false,
    });
    expect(parseKubeletCgroupDriver('a: [').ok).toBe(false);
    expect(parseKubeletCgroupDriver('- 1\n').ok).toBe(false);
    expect(parseKubeletCgroupDriver('cgroupDriver: 5').ok).toBe(false);
    const bomb =
      'a: &a [x,x,x,x,x,x,x,x,x]\n' +
      Array.from(
        { length: 8 },
        (_, i) =>
          `b${i}: &b${i} [${Array(9)
            .fill(i === 0 ? '*a' : `*b${i - 1}`)
            .join(',')}]`,
      ).join('\n');
    expect(parseKubeletCgroupDriver(bomb).ok).toBe(false);
  });
  it('audit rules: -w and -F path=', () => {
    const m = parseAuditRules(
      '# c\n-w /usr/bin/dockerd -k docker\n-a always,exit -F path=/usr/bin/runc -F perm=x\n-w /etc/docker/ -p wa\n',
      '/etc/audit/audit.rules',
    );
    expect([...m.keys()]).toEqual(['/usr/bin/dockerd', '/usr/bin/runc', '/etc/docker']);
    expect(() => parseAuditRules(HUGE, 'x')).not.toThrow();
  });
  it('options name the bad key', () => {
    expect(parseRuntimeOptions({ dockerConfigFile: '/etc/d.json' })).toEqual({ dockerConfigFile: '/etc/d.json' });
    expect(() => parseRuntimeOptions({ nope: 1 })).toThrow(/^nope: unknown key/);
    expect(() => parseRuntimeOptions({ crioConfig: 'relative' })).toThrow(/^crioConfig: must be an absolute host path/);
    expect(() => parseRuntimeOptions([])).toThrow(/^\(section\)/);
  });
});
