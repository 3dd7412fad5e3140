/**
 * The kubelet's flag reader (parseFlags) and the runtimes' (parseGoFlags) share one scan of argv; where the
 * programs' flag packages differ, each keeps its own reading. Each difference is asserted on both sides.
 */
import { describe, it, expect } from 'vitest';
import { parseFlags, wordsOf } from '../../src/host/facts/kubelet/argv.js';
import { lastFlag, parseGoFlags } from '../../src/host/facts/processes/index.js';
import { lastGoFlag, lastKubeletFlag } from '../../src/sdk.js';

const kubelet = (...a: string[]) => parseFlags(wordsOf(a, '/proc/1/cmdline'), new Set(['anonymous-auth']));
const go = (...a: string[]) => parseGoFlags(a, new Set(['debug', 'd']));
const pairs = (flags: readonly { name: string; value: string | undefined }[]) => flags.map((f) => [f.name, f.value]);

describe('one flag scan, two readings', () => {
  it('a one-dash word: the kubelet reads "-name" as "--name"; the runtimes read "-Xvalue" as X with its value', () => {
    expect(pairs(kubelet('-config', '/c.yaml', '-v=2', '-Hfoo', 'x').flags)).toEqual([
      ['config', '/c.yaml'],
      ['v', '2'],
      ['Hfoo', 'x'],
    ]);
    expect(pairs(go('-config', '/c.yaml', '-v=2', '-Hunix:///run/d.sock', '-c', '/e.toml').flags)).toEqual([
      ['config', '/c.yaml'],
      ['v', '2'],
      ['H', 'unix:///run/d.sock'],
      ['c', '/e.toml'],
    ]);
    // A boolean shorthand is not a flag with its value attached.
    expect(pairs(go('-dH', 'x').flags)).toEqual([['dH', 'x']]);
  });

  it('a value that starts with a dash: the kubelet takes the next word whatever it is, the runtimes do not', () => {
    expect(kubelet('--config', '--', '--node-ip', '-1')).toMatchObject({
      flags: [
        { name: 'config', value: '--' },
        { name: 'node-ip', value: '-1' },
      ],
      problems: [],
    });
    expect(go('--config', '--debug', '--root', '-')).toEqual({
      flags: [
        { name: 'config', value: undefined, text: '--config' },
        { name: 'debug', value: undefined, text: '--debug' },
        { name: 'root', value: '-', text: '--root -' },
      ],
      positional: [],
      problems: ['--config without a value'],
    });
  });

  it('names: the kubelet compares them with "_" as "-" and refuses an empty one; the runtimes keep them as written', () => {
    expect(kubelet('--read_only_port=0', '--=x', '--kube_config')).toEqual({
      flags: [
        { name: 'read-only-port', value: '0', evidence: { file: '/proc/1/cmdline', text: '--read_only_port=0' } },
      ],
      problems: ['malformed argument "--=x"', '--kube-config without a value'],
    });
    expect(go('--read_only_port=0', '--=x', '-c')).toMatchObject({
      flags: [
        { name: 'read_only_port', value: '0' },
        { name: '', value: 'x' },
        { name: 'c', value: undefined },
      ],
      problems: ['-c without a value'],
    });
  });

  it('booleans, positional words and "--": true and problems for the kubelet, as written and kept for the runtimes', () => {
    expect(kubelet('--anonymous-auth', 'stray', '--anonymous-auth=false', '--', '--x=1')).toEqual({
      flags: [
        { name: 'anonymous-auth', value: 'true', evidence: { file: '/proc/1/cmdline', text: '--anonymous-auth' } },
        {
          name: 'anonymous-auth',
          value: 'false',
          evidence: { file: '/proc/1/cmdline', text: '--anonymous-auth=false' },
        },
      ],
      problems: ['unexpected argument "stray"'],
    });
    expect(go('--debug', 'stray', '--debug=false', '--', '--x=1')).toEqual({
      flags: [
        { name: 'debug', value: undefined, text: '--debug' },
        { name: 'debug', value: 'false', text: '--debug=false' },
      ],
      positional: ['stray', '--x=1'],
      problems: [],
    });
  });

  it("the kubelet's evidence: the flag's word, joined with its value and bounded", () => {
    const long = 'v'.repeat(400);
    const [f] = kubelet('--kubeconfig', long).flags;
    expect(f!.value).toBe(long);
    expect(f!.evidence.text).toBe(`--kubeconfig ${long}`.slice(0, 300));
    const unit = parseFlags([
      { text: '--config', evidence: { file: '/etc/systemd/system/kubelet.service', line: 4 } },
      { text: '/c.yaml', evidence: { file: '/etc/default/kubelet', line: 1 } },
    ]);
    expect(unit.flags[0]!.evidence).toEqual({
      file: '/etc/systemd/system/kubelet.service',
      line: 4,
      text: '--config /c.yaml',
    });
  });

  it('the MAX_ARGS bound reads the first 4096 words only: a value beyond it is missing', () => {
    const words = [...Array.from({ length: 4095 }, (_, i) => `--f${i}=1`), '--config', '/c.yaml'];
    const r = parseFlags(wordsOf(words, '/proc/1/cmdline'));
    expect(r.problems).toEqual(['4097 arguments, only the first 4096 read', '--config without a value']);
    expect(lastFlag(r.flags, 'config')).toBeUndefined();
  });

  it('one lastFlag for both, by one name or any of several, under both SDK names', () => {
    expect(lastKubeletFlag).toBe(lastGoFlag);
    const k = kubelet('--config=/a', '--config=/b').flags;
    expect(lastFlag(k, 'config')?.value).toBe('/b');
    const g = go('-c', '/a', '--config', '/b', '-c', '/c').flags;
    expect(lastFlag(g, ['config', 'c'])?.text).toBe('-c /c');
    expect(lastFlag(g, ['config'])?.value).toBe('/b');
    expect(lastFlag(g, 'address')).toBeUndefined();
  });
});
