/** The kernel probe's parsers on text alone: the real formats, then hostile input (never a throw or a hang). */
import { describe, it, expect } from 'vitest';
import {
  parseAppArmorProfiles,
  parseLsmList,
  parseSelinuxConfig,
  parseSelinuxEnforce,
  parseSysctlValue,
  parseYesNo,
} from '../../probes/kernel/parse.js';

const HUGE = 'x'.repeat(16 * 1024 * 1024);
const HUGE_DIGITS = '1'.repeat(8 * 1024 * 1024);
const BINARY = Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a, 0x80]).toString('utf8');
const HOSTILE = [
  '',
  '\n',
  ' \t\n',
  BINARY,
  '\u0000',
  HUGE,
  HUGE_DIGITS,
  '1'.repeat(5000) + '\n',
  '-',
  '--1',
  '0x10',
  '1e3',
  '1.5',
  '+1',
  '１',
  '1\u00a0',
  'NaN',
  'Infinity',
  '(enforce)',
  ',',
  ',,,',
  'a'.repeat(100000) + ' (enforce)',
];

describe('parseSysctlValue', () => {
  it('reads the kernel format: integers, tab separated, newline terminated', () => {
    expect(parseSysctlValue('1\n')).toEqual({ ok: true, values: [1] });
    expect(parseSysctlValue('25000000\n')).toEqual({ ok: true, values: [25000000] });
    expect(parseSysctlValue('4\t4\t1\t7\n')).toEqual({ ok: true, values: [4, 4, 1, 7] });
    expect(parseSysctlValue('-1\n')).toEqual({ ok: true, values: [-1] });
    expect(parseSysctlValue('2')).toEqual({ ok: true, values: [2] });
  });

  it('refuses garbage, truncation and overflow with a reason', () => {
    expect(parseSysctlValue('')).toEqual({ ok: false, reason: 'empty (truncated?)' });
    expect(parseSysctlValue('\n')).toEqual({ ok: false, reason: 'empty (truncated?)' });
    expect(parseSysctlValue('abc\n')).toEqual({ ok: false, reason: 'not an integer: "abc"' });
    expect(parseSysctlValue('1x\n')).toMatchObject({ ok: false, reason: 'not an integer: "1x"' });
    expect(parseSysctlValue('0x1\n')).toMatchObject({ ok: false });
    expect(parseSysctlValue('1.0\n')).toMatchObject({ ok: false });
    expect(parseSysctlValue('99999999999999999999\n')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('out of range'),
    });
    expect(parseSysctlValue('9007199254740993\n')).toMatchObject({ ok: false });
    expect(parseSysctlValue('9007199254740991\n')).toEqual({ ok: true, values: [9007199254740991] });
    expect(parseSysctlValue(BINARY)).toMatchObject({ ok: false, reason: expect.stringContaining('binary') });
    expect(parseSysctlValue('1'.repeat(5000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('5000 characters'),
    });
  });

  it('quotes at most 40 characters of a bad token', () => {
    const r = parseSysctlValue('z'.repeat(1000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeLessThan(80);
  });
});

describe('parseLsmList', () => {
  it('reads the kernel format, with or without a trailing newline', () => {
    expect(parseLsmList('lockdown,capability,landlock,yama,apparmor')).toEqual({
      ok: true,
      names: ['lockdown', 'capability', 'landlock', 'yama', 'apparmor'],
    });
    expect(parseLsmList('lockdown,capability,landlock,yama,apparmor\n')).toEqual({
      ok: true,
      names: ['lockdown', 'capability', 'landlock', 'yama', 'apparmor'],
    });
    expect(parseLsmList('capability,selinux,bpf')).toEqual({ ok: true, names: ['capability', 'selinux', 'bpf'] });
  });

  it('refuses anything but LSM names', () => {
    expect(parseLsmList('')).toMatchObject({ ok: false });
    expect(parseLsmList('apparmor,,yama')).toMatchObject({ ok: false, reason: 'not an LSM name: ""' });
    expect(parseLsmList('App Armor')).toMatchObject({ ok: false });
    expect(parseLsmList('apparmor;rm -rf /')).toMatchObject({ ok: false });
  });
});

describe('parseYesNo and parseSelinuxEnforce', () => {
  it('read Y/N and 1/0', () => {
    expect(parseYesNo('Y\n')).toEqual({ ok: true, value: true });
    expect(parseYesNo('N\n')).toEqual({ ok: true, value: false });
    expect(parseYesNo('maybe')).toMatchObject({ ok: false, reason: 'neither Y nor N: "maybe"' });
    expect(parseSelinuxEnforce('1')).toEqual({ ok: true, enforcing: true });
    expect(parseSelinuxEnforce('0')).toEqual({ ok: true, enforcing: false });
    expect(parseSelinuxEnforce('0\n')).toEqual({ ok: true, enforcing: false });
    expect(parseSelinuxEnforce('2')).toMatchObject({ ok: false, reason: 'neither 0 nor 1: "2"' });
    expect(parseSelinuxEnforce('1 1')).toMatchObject({ ok: false });
  });
});

describe('parseAppArmorProfiles', () => {
  it('counts modes, with names that contain spaces, slashes and child profiles', () => {
    const text =
      [
        '/usr/bin/man (enforce)',
        'man_filter (enforce)',
        'nvidia_modprobe//kmod (enforce)',
        'cri-containerd.apparmor.d (enforce)',
        '/usr/lib/snapd/snap-confine (complain)',
        'profile with spaces (complain)',
        'docker-default (kill)',
        'unconfined-ish (unconfined)',
      ].join('\n') + '\n';
    const r = parseAppArmorProfiles(text);
    expect(r).toMatchObject({
      ok: true,
      profiles: { total: 8, malformedCount: 0, counts: { enforce: 4, complain: 2, kill: 1, unconfined: 1 } },
    });
  });

  it('an empty list is zero profiles; garbage lines are counted, an all-garbage list is a problem', () => {
    expect(parseAppArmorProfiles('')).toMatchObject({ ok: true, profiles: { total: 0 } });
    const some = parseAppArmorProfiles('/usr/bin/man (enforce)\nnot a profile\n');
    expect(some).toMatchObject({
      ok: true,
      profiles: { total: 1, malformedCount: 1, malformed: [{ line: 2, text: 'not a profile' }] },
    });
    expect(parseAppArmorProfiles('garbage\n(enforce)\nx (sideways)\n')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('line 1'),
    });
  });

  it('keeps at most 10 malformed lines however many there are', () => {
    const r = parseAppArmorProfiles('/a (enforce)\n' + 'junk\n'.repeat(200000));
    expect(r).toMatchObject({ ok: true, profiles: { total: 1, malformedCount: 200000 } });
    if (r.ok) expect(r.profiles.malformed.length).toBe(10);
  });
});

describe('parseSelinuxConfig', () => {
  it('reads the last SELINUX= line, ignoring comments and SELINUXTYPE', () => {
    const text =
      '# SELINUX= can take one of these three values:\n#     enforcing - ...\nSELINUX=permissive\nSELINUXTYPE=targeted\nSELINUX=enforcing # final\n';
    expect(parseSelinuxConfig(text)).toEqual({ mode: 'enforcing', line: 5, text: 'SELINUX=enforcing # final' });
    expect(parseSelinuxConfig('SELINUX="disabled"\n')).toMatchObject({ mode: 'disabled', line: 1 });
    expect(parseSelinuxConfig('SELINUXTYPE=mls\n')).toEqual({});
  });

  it('reports a value that is none of the modes', () => {
    expect(parseSelinuxConfig('SELINUX=sometimes\n')).toMatchObject({
      problem: expect.stringContaining('"sometimes"'),
      line: 1,
    });
  });
});

describe('every parser on hostile input', () => {
  const parsers: [string, (t: string) => unknown][] = [
    ['parseSysctlValue', parseSysctlValue],
    ['parseLsmList', parseLsmList],
    ['parseYesNo', parseYesNo],
    ['parseSelinuxEnforce', parseSelinuxEnforce],
    ['parseAppArmorProfiles', parseAppArmorProfiles],
    ['parseSelinuxConfig', parseSelinuxConfig],
  ];
  // How long they take on it is measured by bench/parsers.mjs; a hang here ends at vitest's test timeout.
  it.each(parsers)('%s neither throws nor hangs, and refuses what is not its format', (_name, parse) => {
    for (const input of HOSTILE) {
      const r = parse(input) as { ok?: boolean; problem?: string };
      expect(r).toBeTypeOf('object');
    }
  });

  it('the value parsers refuse every hostile input but none', () => {
    for (const input of HOSTILE) {
      expect(parseLsmList(input).ok, JSON.stringify(input.slice(0, 20))).toBe(false);
      expect(parseYesNo(input).ok).toBe(false);
      expect(parseSelinuxEnforce(input).ok).toBe(false);
      if (input !== '-')
        expect(
          parseSysctlValue(input).ok === false || /^\s*\d+\s*$/.test(input),
          JSON.stringify(input.slice(0, 20)),
        ).toBe(true);
    }
    expect(parseSysctlValue(HUGE_DIGITS).ok).toBe(false);
    expect(parseAppArmorProfiles(HUGE).ok).toBe(false);
    expect(parseSelinuxConfig(HUGE)).toMatchObject({ problem: expect.stringContaining('characters') });
  });
});
