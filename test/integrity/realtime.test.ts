/**
 * The integrity side of real time (issue 7): the agent's re-check of only the changed paths, merged into the last
 * whole-policy result (kept beside the baseline under a MAC), and the directories the policy asks the agent to
 * watch. The agent side (watcher, partial child scans, latency) is test/agent-watch.test.ts.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { defaultConfig } from '../../src/config/config.js';
import { runScan } from '../../src/scan/runner.js';
import { HostRoot } from '../../src/host/root.js';
import type { Report } from '../../src/contracts.js';
import { integrityProbe } from '../../probes/integrity/index.js';
import { integrityCheck, integrityInit } from '../../src/integrity/api.js';
import { cursorFile, readKeyFile } from '../../src/integrity/db.js';
import { lastResultFile, mergeScoped, readLastResult, writeLastResult } from '../../src/integrity/last-result.js';
import { changedPaths, CHANGED_PATHS_ENV } from '../../probes/integrity/options.js';
import { CHANGED_PATHS_ENV as ENGINE_CHANGED_PATHS_ENV } from '../../src/agent/child-scan.js';
import { policyWatchTargets } from '../../src/integrity/watch-targets.js';
import { defaultPolicy, loadPolicyFile } from '../../src/integrity/policy.js';
import type { CheckResult } from '../../src/integrity/types.js';
import { byCheck, log, policy, sandbox } from './helpers.js';
import { fsClockTick } from '../helpers/wait.js';
import type { Sandbox } from './helpers.js';

let s: Sandbox | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
  delete process.env[CHANGED_PATHS_ENV];
});

const TREE = {
  'etc/ssh/sshd_config': 'PasswordAuthentication no\n',
  'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
  'etc/pam.d/sshd': 'auth required pam_unix.so\n',
  'usr/bin/kubelet': 'ELF kubelet\n',
};
const POLICY_YAML = `version: 1
rules:
  - {path: /etc/ssh, properties: config, category: ssh}
  - {path: /etc/passwd, properties: config, category: accounts}
  - {path: /etc/pam.d, properties: config, category: accounts}
  - {path: /usr/bin, properties: binaries, category: binaries}
`;

async function agentScan(
  sb: Sandbox,
  changed?: string[],
  mode: 'agent' | 'scan' = 'agent',
): Promise<Map<string, string>> {
  if (changed) process.env[CHANGED_PATHS_ENV] = JSON.stringify(changed);
  else delete process.env[CHANGED_PATHS_ENV];
  const config = defaultConfig();
  config.root = sb.root;
  config.probes = { integrity: { db: sb.db, keyFile: sb.key, policy: `${sb.state}/policy.yaml` } };
  const report: Report = await runScan({ probes: [integrityProbe], config, log, mode });
  expect(report.probes[0]!.status).toBe('ok');
  return new Map([...byCheck(report)].map(([k, f]) => [k, f.status]));
}

describe('the agent re-checks only the changed paths and merges them into the last whole result', () => {
  it('changes elsewhere stay reported, the changed paths are re-checked, the cursor is left alone', async () => {
    s = sandbox(TREE);
    writeFileSync(`${s.state}/policy.yaml`, POLICY_YAML);
    await integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key });
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('usr/bin/kubelet'), 'ELF kubelet patched\n');
    writeFileSync(s.at('etc/passwd'), 'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n');
    let st = await agentScan(s); // a whole check, kept
    expect([
      st.get('integrity.binaries_unchanged'),
      st.get('integrity.accounts_unchanged'),
      st.get('integrity.ssh_unchanged'),
    ]).toEqual(['fail', 'fail', 'pass']);
    expect(existsSync(lastResultFile(s.db))).toBe(true);
    const cursor = readFileSync(cursorFile(s.db), 'utf8');

    writeFileSync(s.at('etc/passwd'), 'root:x:0:0::/root:/bin/sh\n'); // restored, but not named as changed
    writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    st = await agentScan(s, ['/etc/ssh/sshd_config']);
    expect([
      st.get('integrity.binaries_unchanged'),
      st.get('integrity.accounts_unchanged'),
      st.get('integrity.ssh_unchanged'),
    ]).toEqual(['fail', 'fail', 'fail']);
    expect(readFileSync(cursorFile(s.db), 'utf8')).toBe(cursor); // a partial check does not advance the rolling rehash

    st = await agentScan(s, ['/etc/passwd']);
    expect([
      st.get('integrity.binaries_unchanged'),
      st.get('integrity.accounts_unchanged'),
      st.get('integrity.ssh_unchanged'),
    ]).toEqual(['fail', 'pass', 'fail']);

    // A new file under a watched directory, then its removal.
    writeFileSync(s.at('etc/pam.d/evil'), 'auth sufficient pam_permit.so\n');
    expect((await agentScan(s, ['/etc/pam.d/evil'])).get('integrity.accounts_unchanged')).toBe('fail');
    rmSync(s.at('etc/pam.d/evil'));
    expect((await agentScan(s, ['/etc/pam.d/evil'])).get('integrity.accounts_unchanged')).toBe('pass');

    // What is kept equals what a whole check says now.
    const whole = await integrityCheck({
      root: s.root,
      policy: `${s.state}/policy.yaml`,
      dbFile: s.db,
      keyFile: s.key,
      advanceCursor: false,
    });
    const kept = await readLastResult(
      s.db,
      readKeyFile(s.key),
      whole.baseline.digest,
      loadPolicyFile(`${s.state}/policy.yaml`).digest,
    );
    expect({
      added: kept!.added,
      removed: kept!.removed,
      modified: kept!.modified.map((m) => [m.path, m.changes]),
    }).toEqual({
      added: whole.added,
      removed: whole.removed,
      modified: whole.modified.map((m) => [m.path, m.changes]),
    });
  });

  it('without a trustworthy kept result it checks everything: missing, tampered, or of another baseline', async () => {
    s = sandbox(TREE);
    writeFileSync(`${s.state}/policy.yaml`, POLICY_YAML);
    await integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key });
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('usr/bin/kubelet'), 'ELF kubelet patched\n');
    // no kept result yet: the changed-paths hint cannot hide the binaries change
    expect((await agentScan(s, ['/etc/ssh/sshd_config'])).get('integrity.binaries_unchanged')).toBe('fail');
    // someone without the key rewrites the kept result to drop the binaries change: refused, whole check
    const file = lastResultFile(s.db);
    const [mac, body] = readFileSync(file, 'utf8').split('\n');
    const forged = JSON.parse(body!) as CheckResult;
    forged.modified = [];
    writeFileSync(file, `${mac}\n${JSON.stringify(forged)}\n`);
    expect((await agentScan(s, ['/etc/ssh/sshd_config'])).get('integrity.binaries_unchanged')).toBe('fail');
    // signed with the key but for an older baseline or another policy: stale, refused; another key: refused
    const digest = (JSON.parse(readFileSync(file, 'utf8').split('\n')[1]!) as CheckResult).baseline.digest;
    const policyDigest = loadPolicyFile(`${s.state}/policy.yaml`).digest;
    expect(await readLastResult(s.db, readKeyFile(s.key), digest, policyDigest)).toBeDefined();
    expect(await readLastResult(s.db, readKeyFile(s.key), 'f'.repeat(64), policyDigest)).toBeUndefined();
    expect(await readLastResult(s.db, readKeyFile(s.key), digest, 'e'.repeat(64))).toBeUndefined();
    expect(await readLastResult(s.db, readKeyFile(s.otherKey), digest, policyDigest)).toBeUndefined();
    // The policy changes under a running agent (a ConfigMap update): the next re-check is a whole one, so the
    // accounts change that the new policy adds is reported even though only sshd_config was named.
    writeFileSync(s.at('etc/group'), 'root:x:0:\n');
    writeFileSync(
      `${s.state}/policy.yaml`,
      POLICY_YAML + '  - {path: /etc/group, properties: config, category: accounts}\n',
    );
    expect((await agentScan(s, ['/etc/ssh/sshd_config'])).get('integrity.accounts_unchanged')).toBe('fail'); // /etc/group: added
  });

  it('the command line (scan mode) ignores the hint and keeps nothing', async () => {
    s = sandbox(TREE);
    writeFileSync(`${s.state}/policy.yaml`, POLICY_YAML);
    await integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key });
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('usr/bin/kubelet'), 'ELF kubelet patched\n');
    expect((await agentScan(s, ['/etc/ssh'], 'scan')).get('integrity.binaries_unchanged')).toBe('fail');
    expect(existsSync(lastResultFile(s.db))).toBe(false);
  });

  it('kept result files: round trip; truncated, garbage and huge are refused, not thrown', async () => {
    s = sandbox({ 'a/b': 'x' });
    await integrityInit({ root: s.root, paths: ['/a'], dbFile: s.db, keyFile: s.key });
    const r = await integrityCheck({ root: s.root, paths: ['/a'], dbFile: s.db, keyFile: s.key });
    const key = readKeyFile(s.key);
    const pd = 'a'.repeat(64);
    expect(await writeLastResult(s.db, key, pd, r)).toBe(true);
    expect((await readLastResult(s.db, key, r.baseline.digest, pd))?.baseline).toEqual(r.baseline);
    const text = readFileSync(lastResultFile(s.db), 'utf8');
    for (const bad of [
      text.slice(0, text.length - 10),
      text.slice(0, 30),
      '',
      'garbage\n',
      '\n\n',
      `${'0'.repeat(64)}\n{}\n`,
      `${text.slice(0, 65)}null\n`,
    ]) {
      writeFileSync(lastResultFile(s.db), bad);
      expect(await readLastResult(s.db, key, r.baseline.digest, pd), JSON.stringify(bad.slice(0, 40))).toBeUndefined();
    }
    writeFileSync(lastResultFile(s.db), Buffer.alloc(40 * 1024 * 1024, 0x61));
    expect(await readLastResult(s.db, key, r.baseline.digest, pd)).toBeUndefined();
  });

  it('mergeScoped: inside the scope the new result, outside the old one, in walk order', () => {
    const base = { created: 'c', signed: true, verified: true, policyChanged: false, records: 9, digest: 'd' };
    const stats = {
      paths: 9,
      hashed: 1,
      reused: 8,
      bytesHashed: 3,
      durationMs: 1,
      rehash: { slice: 0, of: 1, full: true },
    };
    const cats = (o: Record<string, string>) => Object.assign(Object.create(null), o);
    const prev = {
      added: ['/etc/a', '/etc/ssh/x'],
      removed: ['/etc/ssh/gone'],
      modified: [
        { path: '/usr/bin/k', changes: ['sha256'], old: {}, new: {} },
        { path: '/etc/ssh/sshd_config', changes: ['mode'], old: {}, new: {} },
      ],
      categories: cats({
        '/etc/a': 'accounts',
        '/etc/ssh/x': 'ssh',
        '/etc/ssh/gone': 'ssh',
        '/usr/bin/k': 'binaries',
        '/etc/ssh/sshd_config': 'ssh',
      }),
      baseline: base,
      stats,
      problems: [
        { path: '/etc/ssh/x', reason: 'old' },
        { path: '/usr/bin/k', reason: 'kept' },
      ],
      notes: ['old note'],
    } as unknown as CheckResult;
    const scoped = {
      added: ['/etc/ssh/new'],
      removed: [],
      modified: [{ path: '/etc/ssh/sshd_config', changes: ['sha256'], old: {}, new: {} }],
      categories: cats({ '/etc/ssh/new': 'ssh', '/etc/ssh/sshd_config': 'ssh' }),
      baseline: { ...base, verified: true },
      stats: { ...stats, paths: 3 },
      problems: [],
      notes: ['new note'],
    } as unknown as CheckResult;
    const m = mergeScoped(prev, scoped, ['/etc/ssh']);
    expect(m.added).toEqual(['/etc/a', '/etc/ssh/new']);
    expect(m.removed).toEqual([]);
    expect(m.modified.map((x) => [x.path, x.changes])).toEqual([
      ['/etc/ssh/sshd_config', ['sha256']],
      ['/usr/bin/k', ['sha256']],
    ]);
    expect({ ...m.categories }).toEqual({
      '/etc/a': 'accounts',
      '/etc/ssh/new': 'ssh',
      '/etc/ssh/sshd_config': 'ssh',
      '/usr/bin/k': 'binaries',
    });
    expect(m.problems).toEqual([{ path: '/usr/bin/k', reason: 'kept' }]);
    expect(m.notes).toEqual(['new note']);
    expect(m.stats.paths).toBe(9);
  });

  it('the changed-paths hint: a JSON list of absolute paths, anything else is ignored', () => {
    expect(CHANGED_PATHS_ENV).toBe(ENGINE_CHANGED_PATHS_ENV);
    const env = (v: string) => ({ [CHANGED_PATHS_ENV]: v });
    expect(changedPaths(env('["/etc/passwd","/etc/ssh/sshd_config"]'))).toEqual([
      '/etc/passwd',
      '/etc/ssh/sshd_config',
    ]);
    for (const bad of [
      '',
      '[]',
      '{}',
      '["etc/passwd"]',
      '[1]',
      '["/a\\u0000b"]',
      '[',
      'null',
      JSON.stringify(Array.from({ length: 1001 }, (_, i) => `/f${i}`)),
      `["/${'a'.repeat(5000)}"]`,
    ]) {
      expect(changedPaths(env(bad)), bad.slice(0, 30)).toBeUndefined();
    }
    expect(changedPaths({})).toBeUndefined();
  });
});

describe('what the policy asks the agent to watch', () => {
  it('the default policy: configuration rules (parents filtered by name, directories with depth), never binaries', async () => {
    s = sandbox({
      'etc/passwd': 'x',
      'etc/ssh/sshd_config': 'x',
      'etc/cron.d/job': 'x',
      'etc/cron.daily/logrotate': 'x',
      'usr/lib/systemd/system/ssh.service': 'x',
      'usr/bin/ls': 'x',
    });
    symlinkSync('usr/lib', s.at('lib')); // merged /usr
    const targets = await policyWatchTargets(new HostRoot(s.root), defaultPolicy());
    const find = (p: string) => targets.filter((t) => t.path === p);
    expect(find('/etc').flatMap((t) => t.names ?? [])).toEqual(
      expect.arrayContaining([
        'ssh',
        'passwd',
        'shadow',
        'group',
        'sudoers',
        'sudoers.d',
        'pam.d',
        'ld.so.preload',
        'crontab',
        'cron.*',
      ]),
    );
    expect(find('/etc/ssh')).toEqual([{ path: '/etc/ssh', depth: 7, ignore: ['*.swp', '*.dpkg-tmp'] }]);
    expect(find('/etc/cron.d')).toHaveLength(1);
    expect(find('/etc/cron.daily')).toHaveLength(1);
    // /lib/systemd/system resolves inside the root to the path its records carry
    expect(find('/usr/lib/systemd/system').length).toBeGreaterThanOrEqual(1);
    expect(targets.some((t) => t.path.startsWith('/lib'))).toBe(false);
    expect(targets.some((t) => t.path === '/usr/bin' || t.path === '/bin' || t.path === '/usr/sbin')).toBe(false);
    expect(targets.some((t) => (t.names ?? []).some((n) => n === 'bin' || n === 'sbin'))).toBe(false);
  });

  it('watch: false and true override the default per rule; a depth-0 rule watches only its parent', async () => {
    s = sandbox({ 'etc/a/x': 'x', 'opt/bin/tool': 'x' });
    mkdirSync(s.at('etc/b'));
    const p = policy({
      version: 1,
      rules: [
        { path: '/etc/a', properties: 'config', watch: false },
        { path: '/etc/b', properties: 'config', recurse: false },
        { path: '/opt/bin', properties: 'binaries', category: 'binaries', watch: true },
      ],
    });
    const targets = await policyWatchTargets(new HostRoot(s.root), p);
    expect(targets).toEqual(
      [
        { path: '/etc', names: ['b'] },
        { path: '/opt', names: ['bin'] },
        { path: '/opt/bin', depth: Infinity, ignore: [] },
      ].map((t) => (t.depth === Infinity ? { ...t, depth: 7 } : t)),
    );
  });
});
