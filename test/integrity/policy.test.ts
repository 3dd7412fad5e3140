/** Policy parsing: clear errors naming the key, property sets, the default policy, globs and nested rules. */
import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync } from 'node:fs';
import {
  DEFAULT_POLICY,
  PROPERTY_SETS,
  defaultPolicy,
  globRegExp,
  parsePolicy,
  resolvePolicy,
} from '../../src/integrity/policy.js';
import { integrityCheck, integrityInit } from '../../src/integrity/api.js';
import { IntegrityError } from '../../src/integrity/types.js';
import { sandbox } from './helpers.js';
import type { Sandbox } from './helpers.js';

function policyError(text: string): string {
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(IntegrityError);
    expect((e as IntegrityError).code).toBe('policy_invalid');
    return (e as Error).message;
  }
  throw new Error('expected the policy to be refused');
}

describe('policy errors name the file and the key', () => {
  it.each([
    ['rules:\n  - path: /etc\n    properties: [config\n', /^policy\.yaml: not valid YAML at line \d+/],
    [
      'rules:\n  - path: /etc\n    propertes: config\n',
      /^policy\.yaml: rules\[0\]\.propertes: unknown key \(expected one of: path, properties/,
    ],
    [
      'rules:\n  - path: /etc\n    properties: config\n  - path: /usr\n    properties: sha1\n',
      /^policy\.yaml: rules\[1\]\.properties: unknown property or set "sha1"/,
    ],
    [
      'rules:\n  - path: etc\n    properties: config\n',
      /^policy\.yaml: rules\[0\]\.path: must be an absolute host path/,
    ],
    ['rules:\n  - path: /proc/1\n    properties: config\n', /rules\[0\]\.path: \/proc is a kernel interface/],
    [
      'rules:\n  - path: /etc\n    properties: config\n    recurse: yes-please\n',
      /rules\[0\]\.recurse: must be true, false or a depth/,
    ],
    [
      'rules:\n  - path: /etc\n    properties: config\n    category: web\n',
      /rules\[0\]\.category: must be one of ssh, kubernetes/,
    ],
    [
      'rules:\n  - path: /etc\n    properties: config\n  - path: /etc/\n    properties: logs\n',
      /rules\[1\]\.path: \/etc is already the path of rules\[0\]/,
    ],
    ['rules: []\n', /^policy\.yaml: rules: must be a non-empty list/],
    ['version: 2\nrules: []\n', /^policy\.yaml: version: must be 1/],
    [
      'exclude: "*.swp"\nrules:\n  - path: /etc\n    properties: config\n',
      /^policy\.yaml: exclude: must be a list of glob patterns/,
    ],
    ['rules:\n  - path: /etc\n    properties: config\nrule: x\n', /^policy\.yaml: rule: unknown key/],
    ['- just\n- a list\n', /^policy\.yaml: \(policy\): must be a mapping/],
  ])('%j', (text, re) => {
    expect(policyError(text)).toMatch(re);
  });

  it('an unreadable policy file is named', () => {
    expect(() => resolvePolicy({ policy: '/nonexistent/policy.yaml' })).toThrow(
      /\/nonexistent\/policy\.yaml: cannot read the policy \(ENOENT\)/,
    );
  });
});

describe('property sets', () => {
  it('sets, single properties, additions and removals', () => {
    const p = parsePolicy(
      'define:\n  perms: [mode, owner, group]\nrules:\n  - {path: /a, properties: binaries}\n  - {path: /b, properties: [config, mtime]}\n  - {path: /c, properties: [binaries, -ctime, -mtime]}\n  - {path: /d, properties: perms}\n  - {path: /e, properties: logs}\n',
    );
    const props = p.rules.map((r) => [...r.properties].sort());
    expect(props[0]).toEqual([...PROPERTY_SETS.binaries!].sort());
    expect(props[1]).toEqual(['group', 'mode', 'mtime', 'owner', 'sha256', 'target', 'type']);
    expect(props[2]).not.toContain('ctime');
    expect(props[2]).not.toContain('mtime');
    expect(props[3]).toEqual(['group', 'mode', 'owner', 'type']); // type is always tracked
    expect(props[4]).toEqual(['growing', 'type']);
  });

  it('the digest changes with the policy and not with key order', () => {
    const a = parsePolicy('rules:\n  - {path: /a, properties: config, recurse: true}\n');
    const b = parsePolicy('rules:\n  - {recurse: true, properties: config, path: /a}\n');
    const c = parsePolicy('rules:\n  - {path: /a, properties: binaries}\n');
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
  });
});

describe('the default Kubernetes-node policy', () => {
  it('is valid and lists the paths of the issue', () => {
    const p = defaultPolicy();
    const paths = p.rules.map((r) => r.path);
    for (const want of [
      '/etc/ssh',
      '/etc/kubernetes',
      '/var/lib/kubelet/config.yaml',
      '/etc/containerd',
      '/etc/docker',
      '/etc/crio',
      '/etc/passwd',
      '/etc/shadow',
      '/etc/group',
      '/etc/sudoers',
      '/etc/sudoers.d',
      '/etc/pam.d',
      '/etc/ld.so.preload',
      '/etc/crontab',
      '/etc/cron.*',
      '/etc/systemd/system',
      '/usr/bin',
      '/usr/sbin',
      '/usr/lib/modules/*/modules.*',
      '/usr/local/bin',
      '/opt/cni/bin',
    ]) {
      expect(paths).toContain(want);
    }
    expect(DEFAULT_POLICY.rules.every((r) => r.category !== undefined)).toBe(true);
  });
});

describe('globs and nested rules on a real tree', () => {
  let s: Sandbox;
  afterEach(() => s.cleanup());

  it('globs in rule paths expand at each walk; the deepest rule governs; recurse limits depth', async () => {
    s = sandbox({
      'etc/cron.d/job': 'x',
      'etc/cron.daily/run': 'y',
      'etc/other/z': 'z',
      'top/a/b/c/deep': 'd',
      'top/inner/f': 'f',
    });
    const file = `${s.state}/policy.yaml`;
    writeFileSync(
      file,
      'rules:\n  - {path: /etc/cron.*, properties: config}\n  - {path: /top, properties: binaries, recurse: 2}\n  - {path: /top/inner, properties: [sha256]}\n',
    );
    const init = await integrityInit({ root: s.root, policy: file, dbFile: s.db, keyFile: null });
    expect(init.records).toBe(9); // cron.d, job, cron.daily, run; /top, /top/a, /top/a/b, /top/inner, /top/inner/f
    writeFileSync(s.at('top/a/b/c/deep'), 'changed'); // below the depth limit
    writeFileSync(s.at('top/inner/f'), 'F'); // same size: found by content
    const { mkdirSync } = await import('node:fs');
    mkdirSync(s.at('etc/cron.weekly'));
    const r = await integrityCheck({ root: s.root, policy: file, dbFile: s.db, keyFile: null });
    expect(r.added).toEqual(['/etc/cron.weekly']);
    expect(r.modified.map((m) => [m.path, m.changes])).toEqual([['/top/inner/f', ['sha256']]]);
  });

  it('glob patterns: * stays in a component, ** crosses them', () => {
    expect(globRegExp('/var/log/*.gz').test('/var/log/a.gz')).toBe(true);
    expect(globRegExp('/var/log/*.gz').test('/var/log/x/a.gz')).toBe(false);
    expect(globRegExp('/var/**/*.gz').test('/var/log/x/a.gz')).toBe(true);
    expect(globRegExp('[!.]*').test('.hidden')).toBe(false);
  });
});
