/**
 * The kubelet probe's pure parsers: pflag command lines, systemd units, environment files, KubeletConfiguration
 * YAML/JSON, durations; hostile input.
 */
import { describe, it, expect } from 'vitest';
import {
  collectUnit,
  expandExec,
  parseEnvFile,
  parseFlags,
  parseUnit,
  splitWords,
  wordsOf,
} from '../../src/host/facts/kubelet/argv.js';
import { lastFlag } from '../../src/host/facts/processes/index.js';
import { parseCmdline } from '../../src/sdk.js';
import { parseKubeletConfig, parseRancherConfig } from '../../src/host/facts/kubelet/config-file.js';
import {
  convertFlag,
  parseDuration,
  FLAG_BY_NAME,
  FLAG_TABLE,
  V1BETA1_DEFAULTS,
  LEGACY_FLAG_DEFAULTS,
} from '../../src/host/facts/kubelet/fields.js';
import { KUBELET_OPTIONS } from '../../probes/kubelet/option-spec.js';
import { parsedOptions } from '../helpers/options.js';

/** The section as the scan parses it: the declared options, unknown keys refused. */
const parseKubeletOptions = (raw: unknown) => parsedOptions(KUBELET_OPTIONS, raw);

const W = (...a: string[]) => wordsOf(a, '/proc/1/cmdline');

describe('parseFlags (pflag)', () => {
  it('reads --k=v, --k v, bare booleans, _ normalised, last one wins', () => {
    const { flags, problems } = parseFlags(
      W('--config', '/c.yaml', '--anonymous-auth', '--read_only_port=0', '--read-only-port=10255', '--v=2'),
    );
    expect(problems).toEqual([]);
    expect(lastFlag(flags, 'config')?.value).toBe('/c.yaml');
    expect(lastFlag(flags, 'anonymous-auth')?.value).toBe('true');
    expect(lastFlag(flags, 'read-only-port')?.value).toBe('10255');
    expect(lastFlag(flags, 'config')?.evidence).toEqual({ file: '/proc/1/cmdline', text: '--config /c.yaml' });
  });
  it('reports positional words and a trailing flag without value, stops at --', () => {
    const r = parseFlags(W('stray', '--config', '--', '--x=1'));
    expect(r.problems).toEqual(['unexpected argument "stray"']);
    expect(lastFlag(r.flags, 'config')?.value).toBe('--');
    expect(parseFlags(W('--kubeconfig')).problems).toEqual(['--kubeconfig without a value']);
    expect(parseFlags(W('--', '--a=1')).flags).toEqual([]);
  });
  it('bounds huge command lines', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `--f${i}=1`);
    const r = parseFlags(W(...many));
    expect(r.flags.length).toBe(4096);
    expect(r.problems[0]).toMatch(/only the first 4096/);
  });
  it('the shared cmdline splitter splits on NUL and, asked to, drops empty parts', () => {
    expect(parseCmdline('/usr/bin/kubelet\0--a=1\0\0', { dropEmpty: true })).toEqual(['/usr/bin/kubelet', '--a=1']);
    expect(parseCmdline('/usr/bin/kubelet\0\0--a=1\0')).toEqual(['/usr/bin/kubelet', '', '--a=1']);
    expect(parseCmdline('', { dropEmpty: true })).toEqual([]);
  });
});

describe('field conversion', () => {
  it('converts like strconv and rejects garbage', () => {
    const row = FLAG_BY_NAME.get('anonymous-auth')!;
    expect(convertFlag(row, 'T')).toEqual({ ok: true, value: true });
    expect(convertFlag(row, '0')).toEqual({ ok: true, value: false });
    expect(convertFlag(row, 'yes').ok).toBe(false);
    expect(convertFlag(FLAG_BY_NAME.get('read-only-port')!, '1e3').ok).toBe(false);
    expect(convertFlag(FLAG_BY_NAME.get('tls-cipher-suites')!, 'A, B,,C')).toEqual({
      ok: true,
      value: ['A', 'B', 'C'],
    });
  });
  it('parses Go durations', () => {
    expect(parseDuration('4h0m0s')).toBe(14400);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('300ms')).toBeCloseTo(0.3);
    for (const bad of ['', '5', 'abc', '5 m', '1d', 'x'.repeat(100), 5 as unknown as string, null as unknown as string])
      expect(parseDuration(bad)).toBeUndefined();
  });
  it('the flag table is consistent: unique flags and fields, defaults name known fields', () => {
    expect(new Set(FLAG_TABLE.map((r) => r.flag)).size).toBe(FLAG_TABLE.length);
    expect(new Set(FLAG_TABLE.map((r) => r.field)).size).toBe(FLAG_TABLE.length);
    const fields = new Set(FLAG_TABLE.map((r) => r.field));
    for (const k of [...Object.keys(V1BETA1_DEFAULTS), ...Object.keys(LEGACY_FLAG_DEFAULTS)])
      expect(fields.has(k), k).toBe(true);
  });
});

describe('systemd units and environment files', () => {
  const unit =
    '[Unit]\nDescription=x\n[Service]\nEnvironment="A=--a=1 --b=2" "B=x"\nEnvironmentFile=-/etc/default/kubelet\nExecStart=/usr/bin/kubelet \\\n  $A ${B}\nExecStart=\nExecStart=/usr/bin/kubelet $A $C --z="q r"\n';
  it('joins continuations, resets ExecStart=, expands $VAR into words and ${VAR} into one', () => {
    const d = parseUnit(unit, '/u');
    const u = collectUnit(d);
    expect(u.environmentFiles).toEqual([
      {
        path: '/etc/default/kubelet',
        optional: true,
        evidence: { file: '/u', line: 5, text: 'EnvironmentFile=-/etc/default/kubelet' },
      },
    ]);
    const env = parseEnvFile('# c\nC="--c=3 --d=4"\nexport E=1\nbad line\n', '/etc/default/kubelet', u.environment);
    const words = expandExec(u.exec!, env);
    expect(words.map((w) => w.text)).toEqual(['/usr/bin/kubelet', '--a=1', '--b=2', '--c=3', '--d=4', '--z=q r']);
    expect(words[3]!.evidence).toMatchObject({ file: '/etc/default/kubelet', line: 2 });
    expect(words[1]!.evidence).toMatchObject({ file: '/u', line: 4 });
  });
  it('splitWords handles quotes and escapes; unbalanced quotes end at the end', () => {
    expect(splitWords(`a "b c" 'd e' f\\ g ""`)).toEqual(['a', 'b c', 'd e', 'f g', '']);
    expect(splitWords('"unclosed x')).toEqual(['unclosed x']);
  });
  it('ignores directives outside [Service] and survives garbage and huge input', () => {
    expect(parseUnit('ExecStart=/x\n[Install]\nExecStart=/y\n', '/u')).toEqual([]);
    expect(() => parseUnit('\0\xff[[[\n=\n'.repeat(5000), '/u')).not.toThrow();
    expect(parseUnit('[Service]\n' + 'Environment=A=1\\\n'.repeat(100_000), '/u').length).toBeLessThanOrEqual(10_000);
  });
});

describe('KubeletConfiguration files', () => {
  it('flattens YAML to fields with lines; maps merge, lists are leaves', () => {
    const p = parseKubeletConfig(
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\nfeatureGates:\n  SeccompDefault: true\ntlsCipherSuites:\n- A\n- B\n',
      '/c.yaml',
    );
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.kind).toBe('KubeletConfiguration');
    expect(p.leaves.map((l) => [l.field, l.value, l.evidence.line])).toEqual([
      ['authentication.anonymous.enabled', false, 5],
      ['featureGates.SeccompDefault', true, 7],
      ['tlsCipherSuites', ['A', 'B'], 8],
    ]);
  });
  it('reads JSON (EKS) with lines', () => {
    const p = parseKubeletConfig(
      '{\n  "kind": "KubeletConfiguration",\n  "readOnlyPort": 0,\n  "authentication": {"anonymous": {"enabled": false}}\n}\n',
      '/c.json',
    );
    expect(p.ok && p.leaves.map((l) => [l.field, l.value, l.evidence.line])).toEqual([
      ['readOnlyPort', 0, 3],
      ['authentication.anonymous.enabled', false, 4],
    ]);
  });
  it('rejects malformed and non-mapping documents with a reason, and never throws', () => {
    for (const t of ['a: [1', 'key: : :', '- a\n- b', '"just a string"', '{"a": ', '\0\x01\x02', 'a: 1\na: 2\n\t- x']) {
      const p = parseKubeletConfig(t, '/c');
      if (!p.ok) expect(p.reason.length).toBeGreaterThan(0);
    }
    expect(parseKubeletConfig('a: [1', '/c').ok).toBe(false);
    expect(parseKubeletConfig('- a', '/c')).toEqual({
      ok: false,
      reason: 'not a KubeletConfiguration: the document is not a mapping',
    });
    expect(parseKubeletConfig('', '/c')).toEqual({ ok: true, leaves: [], problems: [] });
  });
  it('does not follow aliases (billion laughs) and bounds depth and size', () => {
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: *c\n';
    const p = parseKubeletConfig(bomb, '/c');
    expect(p.ok).toBe(true);
    let deep = '';
    for (let i = 0; i < 40; i++) deep += '  '.repeat(i) + `k${i}:\n`;
    deep += '  '.repeat(40) + 'v: 1\n';
    const d = parseKubeletConfig(deep, '/c');
    expect(d.ok && d.problems.some((x) => /deeper than/.test(x))).toBe(true);
    const huge = Array.from({ length: 12_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const h = parseKubeletConfig(huge, '/c');
    expect(h.ok && h.leaves.length).toBe(10_000);
  });
  it('k3s/RKE2 config.yaml: kubelet-arg as a list or a string, with the line of each item, and data-dir', () => {
    const r = parseRancherConfig(
      'data-dir: /opt/k3s\nkubelet-arg:\n  - "a=1"\n  - b=2\n',
      '/etc/rancher/k3s/config.yaml',
    );
    expect('ok' in r).toBe(false);
    if ('ok' in r) return;
    expect(r.dataDir).toBe('/opt/k3s');
    expect(r.kubeletArgs.map((a) => [a.text, a.evidence.line])).toEqual([
      ['a=1', 3],
      ['b=2', 4],
    ]);
    const s = parseRancherConfig('kubelet-arg: "x=1"\n', '/c');
    expect('ok' in s ? [] : s.kubeletArgs.map((a) => a.text)).toEqual(['x=1']);
  });
});

describe('kubelet options', () => {
  it('fills defaults and names the bad key', () => {
    expect(parseKubeletOptions(undefined).minEventRecordQPS).toBe(5);
    expect(() => parseKubeletOptions({ nope: 1 })).toThrow(/^nope: unknown key/);
    expect(() => parseKubeletOptions({ minEventRecordQPS: -1 })).toThrow(/^minEventRecordQPS:/);
    expect(() => parseKubeletOptions({ strongCipherSuites: ['rc4'] })).toThrow(/^strongCipherSuites:/);
    expect(parseKubeletOptions({ strongCipherSuites: ['TLS_AES_128_GCM_SHA256'] }).strongCipherSuites).toEqual([
      'TLS_AES_128_GCM_SHA256',
    ]);
  });
});
