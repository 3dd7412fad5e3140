/**
 * Real-time re-scan (src/agent/watch.ts): an agent on a fixture host root, scanning in process with the real
 * ssh probe, sees a drop-in that re-enables SSH passwords in /metrics without waiting for the schedule,
 * debounces bursts, survives missing directories, respects its watch bound, and stops watching on close.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, validateConfig } from '../src/config/config.js';
import type { Config } from '../src/config/config.js';
import { startAgent } from '../src/agent/server.js';
import type { Agent } from '../src/agent/server.js';
import { declaredTargets, startWatcher } from '../src/agent/watch.js';
import { mergeReports, metricOwners } from '../src/agent/child-scan.js';
import type { Finding } from '../src/contracts.js';
import { runScan } from '../src/scan/runner.js';
import { PROBES } from '../probes/registry.js';
import { materialize } from './helpers/hosts.js';
import { waitFor, waitForValue } from './helpers/wait.js';
import { integrityInit } from '../src/integrity/index.js';
import type { Report } from '../src/contracts.js';
import type { Materialized } from './helpers/hosts.js';

const silent = pino({ level: 'silent' });

/** A debug logger whose lines the test reads: how often a message was logged. */
function captured(): { log: pino.Logger; count: (msg: string) => number } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, count: (msg) => lines.filter((l) => l.includes(`"msg":${JSON.stringify(msg)}`)).length };
}

/**
 * sshd takes the first value of a keyword, and 00-hardening.conf says "PasswordAuthentication no"; a drop-in
 * that sorts before it (as an intruder's would) is what re-enables passwords.
 */
const EVIL = 'etc/ssh/sshd_config.d/00-evil.conf';

function agentConfig(root: string, watch: Partial<Config['agent']['watch']> = {}): Config {
  const c = defaultConfig();
  c.root = root;
  c.scan.probes = ['ssh'];
  c.probes = { ssh: { live: false } };
  // Far away: only the start scan and the watcher trigger scans in these tests.
  c.agent.schedule = '0 0 1 1 *';
  c.agent.watch = { ...c.agent.watch, ...watch };
  return c;
}

async function metrics(agent: Agent): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${agent.port}/metrics`);
  return res.text();
}

function sample(text: string, name: string, match = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{') && line.includes(match))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const passwordStatus = async (agent: Agent) =>
  sample(await metrics(agent), 'hostward_check_status', 'check="ssh.password_auth"');
const scans = async (agent: Agent) => sample(await metrics(agent), 'hostward_scans_total') ?? 0;

// The waits below give up only after a bound that a broken watcher reaches: how fast a change arrives is measured by
// bench/integrity.mjs --watch, not asserted here.
describe('agent watch: real-time re-scan', () => {
  let m: Materialized;
  let agent: Agent;

  beforeAll(async () => {
    m = materialize('debian12-hardened');
    agent = await startAgent({ config: agentConfig(m.root), probes: PROBES, log: silent, port: 0, host: '127.0.0.1' });
    expect(
      await waitForValue(
        'ssh.password_auth to pass after the first scan',
        () => passwordStatus(agent),
        (v) => v === 0,
      ),
    ).toBe(0);
  });
  afterAll(async () => {
    await agent?.close();
    m?.cleanup();
  });

  it('exports the watch metrics: /etc/ssh, sshd_config.d and /etc (for passwd and group) are watched, missing dirs are not', async () => {
    const text = await metrics(agent);
    expect(sample(text, 'hostward_watches')).toBe(3);
    expect(sample(text, 'hostward_watch_missed_changes_total')).toBe(0);
    expect(sample(text, 'hostward_watch_limit')).toBeGreaterThan(0);
    expect(sample(text, 'hostward_watch_events_total')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'hostward_watch_errors_total', 'reason="limit"')).toBe(0);
  });

  it('a drop-in re-enabling passwords shows in /metrics, the schedule a year away (10 changes)', async () => {
    for (let i = 0; i < 10; i++) {
      const on = i % 2 === 0;
      if (on) writeFileSync(join(m.root, EVIL), 'PasswordAuthentication yes\n');
      else rmSync(join(m.root, EVIL));
      const want = on ? 1 : 0;
      const got = await waitForValue(
        'ssh.password_auth to follow the drop-in',
        () => passwordStatus(agent),
        (v) => v === want,
      );
      expect(got, `change ${i} (${on ? 'drop-in written' : 'drop-in removed'})`).toBe(want);
    }
    expect(sample(await metrics(agent), 'hostward_watch_events_total')).toBeGreaterThanOrEqual(10);
  });

  it('debounces: a burst of 20 writes causes at most 2 scans', async () => {
    // A scan of the test's own: once it is done, no scan the tests before caused is still running or queued.
    await agent.scanNow();
    const before = await scans(agent);
    for (let i = 0; i < 20; i++) writeFileSync(join(m.root, EVIL), `PasswordAuthentication yes\n# ${i}\n`);
    expect(
      await waitForValue(
        'ssh.password_auth to fail after the burst',
        () => passwordStatus(agent),
        (v) => v === 1,
      ),
    ).toBe(1);
    // Then the drop-in goes: its events come after the burst's (one directory, one queue), so once a scan has seen
    // it, every scan the burst caused has been asked for; the last of them may be this one.
    rmSync(join(m.root, EVIL));
    expect(
      await waitForValue(
        'ssh.password_auth to pass once the drop-in is gone',
        () => passwordStatus(agent),
        (v) => v === 0,
      ),
    ).toBe(0);
    const total = (await scans(agent)) - before;
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(3); // at most 2 for the burst, 1 for the removal
  });
});

describe('agent watch: bounds, missing paths, close', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'hostward-watch-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('missing dirs are not watched and do not crash; refresh() picks them up once they exist', async () => {
    const seen: string[][] = [];
    const w = startWatcher({
      root,
      targets: declaredTargets(PROBES),
      debounceMs: 10,
      maxWatches: 16,
      log: silent,
      onChange: (p) => seen.push(p),
    });
    try {
      expect(w.watches).toBe(0);
      mkdirSync(join(root, 'etc/crio/crio.conf.d'), { recursive: true });
      w.refresh();
      expect(w.watched()).toEqual(['/etc', '/etc/crio', '/etc/crio/crio.conf.d']);
      writeFileSync(join(root, 'etc/crio/crio.conf.d/10-x.conf'), '[crio]\n');
      await waitFor('the change in the new directory', () => seen.length > 0);
      expect(seen.flat()).toContain('/etc/crio/crio.conf.d/10-x.conf');
      // The directory goes away: the watch is dropped (counted), nothing throws, whether or not its events came.
      rmSync(join(root, 'etc/crio'), { recursive: true });
      w.refresh();
      expect(w.watched()).toEqual(['/etc']);
    } finally {
      w.close();
    }
  });

  it('is bounded by maxWatches, skips excluded paths, and counts what it refused', async () => {
    for (const d of ['etc/ssh/a', 'etc/ssh/b', 'etc/ssh/c', 'etc/kubernetes/pki'])
      mkdirSync(join(root, d), { recursive: true });
    const w = startWatcher({
      root,
      targets: declaredTargets(PROBES),
      debounceMs: 10,
      maxWatches: 3,
      exclude: ['/etc/kubernetes'],
      log: silent,
      onChange: () => undefined,
    });
    try {
      expect(w.watches).toBe(3);
      expect(w.watched().some((p) => p.startsWith('/etc/kubernetes'))).toBe(false);
      const text = await w.registry.metrics();
      expect(sample(text, 'hostward_watches')).toBe(3);
      expect(sample(text, 'hostward_watch_errors_total', 'reason="limit"')).toBeGreaterThanOrEqual(1);
    } finally {
      w.close();
    }
  });

  it('close() stops watching: no change is reported after it', async () => {
    mkdirSync(join(root, 'etc/docker'), { recursive: true });
    let changes = 0;
    const w = startWatcher({
      root,
      targets: declaredTargets(PROBES),
      debounceMs: 10,
      maxWatches: 16,
      log: silent,
      onChange: () => changes++,
    });
    writeFileSync(join(root, 'etc/docker/daemon.json'), '{}');
    await waitFor('the first change', () => changes > 0);
    expect(changes).toBe(1);
    w.close();
    expect(w.watches).toBe(0);
    writeFileSync(join(root, 'etc/docker/daemon.json'), '{"icc": true}');
    // A second watcher, started after the close, sees a later write: had the first still watched, its change
    // (an earlier event, the same debounce) would have come before this one.
    let later = 0;
    const w2 = startWatcher({
      root,
      targets: declaredTargets(PROBES),
      debounceMs: 10,
      maxWatches: 16,
      log: silent,
      onChange: () => later++,
    });
    try {
      writeFileSync(join(root, 'etc/docker/daemon.json'), '{"icc": false}');
      await waitFor('the second watcher to see a later write', () => later > 0);
    } finally {
      w2.close();
    }
    expect(changes).toBe(1);
  });

  it('changes during a running scan get exactly one more scan after it', async () => {
    const m = materialize('debian12-hardened');
    try {
      const config = agentConfig(m.root, { debounceMs: 10 });
      const logs = captured();
      let n = 0;
      const gates: (() => void)[] = [];
      const scan = async () => {
        n++;
        await new Promise<void>((r) => gates.push(r));
        return runScan({ probes: PROBES, config, log: silent, mode: 'agent' });
      };
      const agent = await startAgent({ config, probes: PROBES, log: logs.log, port: 0, host: '127.0.0.1', scan });
      try {
        expect(n).toBe(1); // the start scan, held at its gate
        for (let i = 0; i < 3; i++) {
          writeFileSync(join(m.root, EVIL), `PasswordAuthentication yes\n# ${i}\n`);
          // each write is its own debounced change
          await waitFor(`change ${i + 1}`, () => logs.count('configuration changed; re-scanning') > i);
        }
        expect(n).toBe(1); // joined, not started
        gates.shift()!();
        await waitFor('the follow-up scan', () => n >= 2);
        expect(n).toBe(2); // one follow-up scan for the three changes
        gates.shift()!();
        // Once the follow-up is counted as done, any further scan would already have been asked for.
        await waitFor('the follow-up scan to finish', async () => (await scans(agent)) >= 2);
        expect(n).toBe(2);
        expect(await passwordStatus(agent)).toBe(1);
      } finally {
        for (const g of gates) g();
        await agent.close();
      }
    } finally {
      m.cleanup();
    }
  });

  it('an agent that is closed runs no more scans on changes; agent.watch.enabled false watches nothing', async () => {
    const m = materialize('debian12-hardened');
    try {
      let n = 0;
      const config = agentConfig(m.root);
      const scan = () => (n++, runScan({ probes: PROBES, config, log: silent, mode: 'agent' }));
      const agent = await startAgent({ config, probes: PROBES, log: silent, port: 0, host: '127.0.0.1', scan });
      await agent.scanNow();
      await agent.close();
      const after = n;
      writeFileSync(join(m.root, EVIL), 'PasswordAuthentication yes\n');
      // A watcher started after the close, with the agent's debounce, sees a later write: a change the closed agent
      // still acted on would have come first.
      let later = 0;
      const w2 = startWatcher({
        root: m.root,
        targets: declaredTargets(PROBES),
        debounceMs: config.agent.watch.debounceMs,
        maxWatches: 16,
        log: silent,
        onChange: () => later++,
      });
      try {
        writeFileSync(join(m.root, EVIL), 'PasswordAuthentication yes\n# later\n');
        await waitFor('a watcher started after the close to see a later write', () => later > 0);
      } finally {
        w2.close();
      }
      expect(n).toBe(after);

      const off = await startAgent({
        config: agentConfig(m.root, { enabled: false }),
        probes: PROBES,
        log: silent,
        port: 0,
        host: '127.0.0.1',
      });
      try {
        expect(sample(await metrics(off), 'hostward_watches')).toBeUndefined();
      } finally {
        await off.close();
      }
    } finally {
      m.cleanup();
    }
  });
});

describe('agent.watch configuration', () => {
  const ctx = { checkIds: new Set<string>(), probes: new Map() };
  const key = (doc: unknown): string | undefined => {
    try {
      validateConfig(doc, ctx);
      return undefined;
    } catch (e) {
      return e instanceof ConfigError ? e.key : 'not a ConfigError';
    }
  };

  it('defaults to enabled, 50 ms, 256 watches, and names the key of a bad value', () => {
    expect(defaultConfig().agent.watch).toEqual({ enabled: true, debounceMs: 50, maxWatches: 256 });
    expect(
      validateConfig({ agent: { watch: { enabled: false, debounceMs: 20, maxWatches: 8 } } }, ctx).agent.watch,
    ).toEqual({ enabled: false, debounceMs: 20, maxWatches: 8 });
    expect(key({ agent: { watch: 'yes' } })).toBe('agent.watch');
    expect(key({ agent: { watch: { enabled: 'yes' } } })).toBe('agent.watch.enabled');
    expect(key({ agent: { watch: { debounceMs: -1 } } })).toBe('agent.watch.debounceMs');
    expect(key({ agent: { watch: { maxWatches: 0 } } })).toBe('agent.watch.maxWatches');
    expect(key({ agent: { watch: { recursive: true } } })).toBe('agent.watch.recursive');
  });
});

describe('agent watch: the integrity policy and the probes that read each path', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'hostward-watch-policy-'));
    const files: Record<string, string> = {
      'etc/ssh/sshd_config': 'PasswordAuthentication no\n',
      'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
      'etc/group': 'root:x:0:\n',
      'etc/hostname': 'node\n',
      'etc/pam.d/common-auth': 'auth required pam_unix.so\n',
      'etc/cron.d/job': '* * * * * root true\n',
      'etc/systemd/system/multi-user.target.wants/x.service': '[Unit]\n',
      'etc/sudoers.d/README': '#\n',
      'etc/pam.d/old.dpkg-tmp/x': 'a directory the policy excludes (*.dpkg-tmp)\n',
      'usr/bin/ls': 'ELF\n',
    };
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function watcherWith(changes: { paths: string[]; probes: string[] }[], probes?: string[]) {
    const config = defaultConfig();
    config.root = root;
    if (probes) config.scan.probes = probes;
    return startWatcher({
      root,
      probes: PROBES,
      config,
      debounceMs: 10,
      maxWatches: 256,
      log: silent,
      onChange: (_p, c) => changes.push({ paths: c.paths, probes: c.probes }),
    });
  }

  async function next(
    changes: { paths: string[]; probes: string[] }[],
    n: number,
  ): Promise<{ paths: string[]; probes: string[] } | undefined> {
    await waitFor(`change ${n}`, () => changes.length >= n);
    return changes[n - 1];
  }

  it('watches the configuration rules of the default policy (with their subdirectories), not the binaries', async () => {
    const w = watcherWith([]);
    try {
      await w.ready;
      const watched = w.watched();
      for (const d of [
        '/etc',
        '/etc/ssh',
        '/etc/pam.d',
        '/etc/cron.d',
        '/etc/systemd/system',
        '/etc/systemd/system/multi-user.target.wants',
        '/etc/sudoers.d',
      ])
        expect(watched).toContain(d);
      expect(watched.filter((d) => d.startsWith('/usr'))).toEqual([]); // /usr/lib/systemd does not exist here
      expect(watched).not.toContain('/usr/bin');
      expect(watched).not.toContain('/etc/pam.d/old.dpkg-tmp'); // excluded by the policy: never watched
    } finally {
      w.close();
    }
  });

  it('a change re-runs only the probes that read the path; names, exclusions and unwatched trees cause nothing', async () => {
    const changes: { paths: string[]; probes: string[] }[] = [];
    const w = watcherWith(changes);
    try {
      await w.ready;
      // passwd replaced by rename, as vipw and useradd do
      writeFileSync(join(root, 'etc/passwd+'), 'root:x:0:0::/root:/bin/sh\nevil:x:0:0::/:/bin/sh\n');
      renameSync(join(root, 'etc/passwd+'), join(root, 'etc/passwd'));
      expect(await next(changes, 1)).toEqual({ paths: ['/etc/passwd'], probes: ['integrity', 'runtime', 'ssh'] });
      writeFileSync(join(root, 'etc/pam.d/common-auth'), 'auth sufficient pam_permit.so\n');
      expect(await next(changes, 2)).toEqual({ paths: ['/etc/pam.d/common-auth'], probes: ['integrity'] });
      writeFileSync(join(root, 'etc/ld.so.preload'), '/tmp/evil.so\n'); // usually absent: its creation is what matters
      expect(await next(changes, 3)).toEqual({ paths: ['/etc/ld.so.preload'], probes: ['integrity'] });
      writeFileSync(join(root, 'etc/ssh/sshd_config.d.swp'), 'x'); // excluded by the policy, but the ssh probe's directory
      expect(await next(changes, 4)).toEqual({ paths: ['/etc/ssh/sshd_config.d.swp'], probes: ['ssh'] });
      writeFileSync(join(root, 'etc/pam.d/common-auth.swp'), 'x'); // excluded, and nobody else reads pam.d
      writeFileSync(join(root, 'etc/hostname'), 'other\n'); // /etc is watched for some names only
      writeFileSync(join(root, 'usr/bin/ls'), 'ELF changed\n'); // binaries: the schedule's
      // Then a watched change: events come in order, so the writes above, had they counted, come first or with it.
      writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
      expect((await next(changes, 5))?.paths).toEqual(['/etc/group']);
      expect(changes).toHaveLength(5);
      expect(sample(await w.registry.metrics(), 'hostward_watch_missed_changes_total')).toBe(0);
    } finally {
      w.close();
    }
  });

  it('only probes the configuration runs are re-run, and only their paths are watched', async () => {
    const changes: { paths: string[]; probes: string[] }[] = [];
    const w = watcherWith(changes, ['integrity']);
    try {
      await w.ready;
      writeFileSync(join(root, 'etc/group'), 'root:x:0:\nevil:x:0:\n');
      expect(await next(changes, 1)).toEqual({ paths: ['/etc/group'], probes: ['integrity'] });
      writeFileSync(join(root, 'etc/ssh/sshd_config.d.swp'), 'y'); // only the ssh probe cares, and it does not run
      writeFileSync(join(root, 'etc/group'), 'root:x:0:\n'); // a later watched change, seen after (or with) the one above
      expect((await next(changes, 2))?.paths).toEqual(['/etc/group']);
      expect(changes).toHaveLength(2);
    } finally {
      w.close();
    }
  });
});

describe('agent watch: events lost to an inotify queue overflow are found by the stat digest', () => {
  it('a write whose event was dropped is counted and re-checked', { timeout: 120_000 }, async () => {
    const m = materialize('debian12-hardened');
    const changes: string[][] = [];
    const w = startWatcher({
      root: m.root,
      targets: [
        { path: '/etc/ssh/sshd_config.d', probes: ['ssh'] },
        { path: '/etc/ssh', names: ['sshd_config'], probes: ['ssh'] },
      ],
      debounceMs: 10,
      maxWatches: 8,
      log: silent,
      onChange: (p) => changes.push(p),
    });
    try {
      await w.ready;
      // The agent's event loop is blocked (here by spawnSync) while something floods the watched directory
      // with far more events than fs.inotify.max_queued_events (16384 here), then edits sshd_config: the
      // kernel drops that event (IN_Q_OVERFLOW, which libuv does not report).
      const queue = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
      const files = Math.ceil(queue / 2) + 4000; // two events each (create, modify)
      const flood = `const fs = require('fs'); const d = process.argv[1];
        for (let i = 0; i < ${files}; i++) fs.writeFileSync(d + '/sshd_config.d/f' + i + '.conf', 'x');
        fs.appendFileSync(d + '/sshd_config', 'PasswordAuthentication yes\\n');`;
      const r = spawnSync(process.execPath, ['-e', flood, join(m.root, 'etc/ssh')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      await waitFor('the edit to be re-checked', () => changes.flat().includes('/etc/ssh/sshd_config'));
      const text = await w.registry.metrics();
      const events = sample(text, 'hostward_watch_events_total')!;
      const missed = sample(text, 'hostward_watch_missed_changes_total')!;
      console.log(
        `overflow: ${files + 1} files changed, ${events} events delivered, ${missed} changes found by the digest`,
      );
      expect(events).toBeLessThan(2 * files); // events were really lost
      expect(changes.flat()).toContain('/etc/ssh/sshd_config'); // ... and the edit is re-checked anyway
      expect(missed).toBeGreaterThanOrEqual(1);
    } finally {
      w.close();
      m.cleanup();
    }
  });
});

describe('agent watch: a change lost with no other event is found by the scheduled refresh', () => {
  it(
    'an overflow made of events nobody watches for, then an edit of /etc/passwd: refresh() counts and re-checks it',
    { timeout: 120_000 },
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'hostward-watch-refresh-'));
      mkdirSync(join(root, 'etc/noise'), { recursive: true });
      writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
      const changes: string[][] = [];
      // The test's own watch of the noisy directory: inotify events reach the process through one queue, read to
      // its end at once, so when this one hears of the noise, the watcher has heard of it all.
      let noise = 0;
      const heard = watch(join(root, 'etc/noise'), { persistent: false }, () => noise++);
      const w = startWatcher({
        root,
        targets: [
          { path: '/etc', names: ['passwd'], probes: ['ssh'] },
          { path: '/etc/noise', names: ['none'], probes: ['ssh'] },
        ],
        debounceMs: 10,
        maxWatches: 8,
        log: silent,
        onChange: (p) => changes.push(p),
      });
      try {
        await w.ready;
        const queue = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
        const flood = `const fs = require('fs'); const d = process.argv[1];
        for (let i = 0; i < ${Math.ceil(queue / 2) + 4000}; i++) fs.writeFileSync(d + '/noise/f' + i, 'x');
        fs.appendFileSync(d + '/passwd', 'toor:x:0:0::/:/bin/sh\\n');`;
        const r = spawnSync(process.execPath, ['-e', flood, join(root, 'etc')], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        // The events that were queued are delivered, and ignored (their names are not watched).
        await waitFor('the queued events to be delivered', () => noise > 0);
        expect(changes).toEqual([]);
        expect(sample(await w.registry.metrics(), 'hostward_watch_missed_changes_total')).toBe(0);
        w.refresh(); // as on each scheduled scan
        expect(sample(await w.registry.metrics(), 'hostward_watch_missed_changes_total')).toBe(1);
        await waitFor('the re-check after refresh()', () => changes.length > 0);
        expect(changes).toEqual([['/etc/passwd']]);
      } finally {
        heard.close();
        w.close();
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

describe('the real CLI agent: a change re-runs only the probes that read it, merged into the last report', () => {
  // HOSTWARD_TEST_CLI: another build of the CLI (a private tsc --outDir while others rebuild dist/).
  const CLI = resolve(process.env.HOSTWARD_TEST_CLI ?? 'dist/src/cli/main.js');
  let m: Materialized;
  let state: string;
  let agent: ChildProcess | undefined;
  let base = '';
  let logs = '';
  const PASSWD = 'etc/passwd';
  let passwd = '';

  const text = async () =>
    (await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer watch-test-token' } })).text();
  const status = async (check: string) => sample(await text(), 'hostward_check_status', `check="${check}"`);

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    m = materialize('debian12-hardened');
    for (const [p, t] of Object.entries({
      'etc/pam.d/common-auth': 'auth required pam_unix.so\n',
      'usr/bin/kubelet': 'ELF kubelet 1.31\n',
    })) {
      mkdirSync(join(m.root, p, '..'), { recursive: true });
      writeFileSync(join(m.root, p), t);
    }
    passwd = readFileSync(join(m.root, PASSWD), 'utf8');
    state = mkdtempSync(join(tmpdir(), 'hostward-watch-state-'));
    const key = join(state, 'key');
    writeFileSync(key, 'a-watch-test-key-of-32-bytes!!!!\n');
    const db = join(state, 'integrity.db');
    await integrityInit({ root: m.root, dbFile: db, keyFile: key });
    // A change the full scan finds outside any watched path: partial re-checks must keep reporting it.
    writeFileSync(join(m.root, 'usr/bin/kubelet'), 'ELF kubelet 1.31 patched\n');
    const cfg = join(state, 'hostward.yaml');
    // /v1/report answers authenticated requests only.
    writeFileSync(join(state, 'tokens'), 'watch-test-token\n');
    writeFileSync(join(state, 'web.yml'), `bearer_tokens_file: ${join(state, 'tokens')}\n`);
    writeFileSync(
      cfg,
      [
        // No watchdog: twenty re-scans in a row put the agent over its CPU budget on a busy machine, and a shed
        // integrity rehash keeps an alert open by design (test/agent-watchdog.test.ts), which is not this test's
        // subject.
        `agent: { listen: 127.0.0.1, schedule: "0 0 1 1 *", webConfigFile: ${JSON.stringify(join(state, 'web.yml'))}, watchdog: { enabled: false } }`,
        'probes:',
        '  ssh: { live: false }',
        // The fixture root has no /proc/1/net: without this the probe would judge this machine's sockets.
        '  ports: { reachability: false, metadataCheck: false, procNetFallback: false }',
        `  integrity: { db: ${JSON.stringify(db)}, keyFile: ${JSON.stringify(key)} }`,
        '',
      ].join('\n'),
    );
    agent = spawn(process.execPath, [CLI, 'agent', '--root', m.root, '--port', '0', '--config', cfg], {
      env: { PATH: process.env.PATH, HOSTWARD_NODE_NAME: 'watch-node', HOSTWARD_STATE_DIR: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.setEncoding('utf8').on('data', (d: string) => (logs += d));
    agent.stderr!.setEncoding('utf8').on('data', (d: string) => (logs += d));
    const port = await waitFor(
      () => `the agent to start: ${logs}`,
      () => Number(/"port":(\d+)[^\n]*agent listening/.exec(logs)?.[1] ?? 0) || undefined,
      10_000,
    );
    base = `http://127.0.0.1:${port}`;
    await waitForValue(
      'the agent to be ready',
      async () => (await fetch(`${base}/readyz`)).status,
      (s) => s === 200,
      60_000, // only an agent that never gets ready waits this long: its first full scan comes first
    );
    await waitFor('the agent to log that it watches', () => logs.includes('watching probe paths'), 30_000);
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]); // a deadline for the exit
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    m?.cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('starts with a full scan: all nine probes, the binaries change reported', async () => {
    const r = (await (
      await fetch(`${base}/v1/report`, { headers: { Authorization: 'Bearer watch-test-token' } })
    ).json()) as Report;
    expect(r.probes.map((p) => p.probe).sort()).toEqual(PROBES.map((p) => p.name).sort());
    expect(await status('integrity.binaries_unchanged')).toBe(1);
    expect(await status('integrity.accounts_unchanged')).toBe(0);
    expect(await status('ssh.password_auth')).toBe(0);
    expect(logs).toContain('"msg":"watching probe paths"');
  });

  it('a drop-in re-enabling SSH passwords: in /metrics without the schedule (10 changes), only ssh and integrity re-run', async () => {
    const before = (await (
      await fetch(`${base}/v1/report`, { headers: { Authorization: 'Bearer watch-test-token' } })
    ).json()) as Report;
    for (let i = 0; i < 10; i++) {
      const on = i % 2 === 0;
      if (on) writeFileSync(join(m.root, EVIL), 'PasswordAuthentication yes\n');
      else rmSync(join(m.root, EVIL));
      const got = await waitForValue(
        'ssh.password_auth to follow the drop-in',
        () => status('ssh.password_auth'),
        (v) => v === (on ? 1 : 0),
      );
      expect(got, `change ${i}`).toBe(on ? 1 : 0);
      // the integrity check of that path, merged: the drop-in is an added ssh file; the binaries change is kept
      expect(
        await waitForValue(
          'integrity.ssh_unchanged to follow the drop-in',
          () => status('integrity.ssh_unchanged'),
          (v) => v === (on ? 1 : 0),
        ),
      ).toBe(on ? 1 : 0);
      expect(await status('integrity.binaries_unchanged')).toBe(1);
    }
    const after = (await (
      await fetch(`${base}/v1/report`, { headers: { Authorization: 'Bearer watch-test-token' } })
    ).json()) as Report;
    // The probes that do not read /etc/ssh kept their last run (same duration to the 0.1 ms), their findings too.
    for (const p of ['kernel', 'updates', 'tls', 'kubelet', 'runtime', 'seccomp', 'ports']) {
      expect(
        after.probes.find((r) => r.probe === p),
        p,
      ).toEqual(before.probes.find((r) => r.probe === p));
      expect(after.findings.filter((f) => f.probe === p)).toEqual(before.findings.filter((f) => f.probe === p));
    }
    expect(after.probes.find((r) => r.probe === 'ssh')).not.toEqual(before.probes.find((r) => r.probe === 'ssh'));
    expect(after.findings.length).toBe(before.findings.length);
  }, 120_000);

  it('/etc/passwd edited: integrity.accounts_unchanged in /metrics without the schedule (10 edits), then restored', async () => {
    for (let i = 0; i < 10; i++) {
      const evil = i % 2 === 0;
      // as vipw and useradd do: a new file renamed over the old one
      writeFileSync(join(m.root, `${PASSWD}+`), evil ? `${passwd}toor:x:0:0::/root:/bin/sh\n` : passwd, {
        mode: 0o644,
      }); // whatever the umask
      renameSync(join(m.root, `${PASSWD}+`), join(m.root, PASSWD));
      const got = await waitForValue(
        'integrity.accounts_unchanged to follow /etc/passwd',
        () => status('integrity.accounts_unchanged'),
        (v) => v === (evil ? 1 : 0),
      );
      expect(got, `change ${i}`).toBe(evil ? 1 : 0);
      const t = await text();
      expect(sample(t, 'hostward_integrity_changes', 'change="modified"')).toBe(evil ? 2 : 1); // passwd and kubelet, or kubelet
      expect(sample(t, 'hostward_check_status', 'check="integrity.binaries_unchanged"')).toBe(1);
    }
    // Twenty ordinary changes, each with its events: the digest comparison found nothing missing (no false alarm).
    const t = await text();
    expect(sample(t, 'hostward_watch_missed_changes_total')).toBe(0);
    expect(sample(t, 'hostward_watch_events_total')).toBeGreaterThanOrEqual(20);
  }, 120_000);
});

describe('mergeReports: a partial scan merged into the last full report', () => {
  const f = (probe: string, check: string, status: Finding['status']): Finding => ({
    check,
    probe,
    title: check,
    status,
    severity: 'high',
    message: '',
    evidence: [],
    references: [],
    remediation: '',
  });
  const report = (
    probes: string[],
    findings: Finding[],
    measurements: Report['measurements'],
    startedAt: string,
  ): Report => ({
    node: 'n',
    root: '/',
    agentVersion: '0',
    startedAt,
    durationSeconds: 1,
    os: { id: 'debian', versionId: '12', prettyName: 'Debian', kernel: '6' },
    probes: probes.map((p) => ({ probe: p, status: 'ok', durationSeconds: startedAt === 'full' ? 1 : 0.1 })),
    findings,
    summary: { pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 0 },
    measurements,
  });

  it('replaces the findings, runs and metrics of the probes that ran again, keeps the rest, recounts the summary', () => {
    const full = report(
      ['ssh', 'tls', 'integrity', 'kernel'],
      [
        f('ssh', 'ssh.password_auth', 'pass'),
        f('tls', 'tls.expiry', 'fail'),
        f('integrity', 'integrity.accounts_unchanged', 'pass'),
        f('kernel', 'kernel.x', 'unknown'),
      ],
      [
        {
          metric: 'hostward_certificate_expiry_timestamp_seconds',
          labels: { path: '/etc/kubernetes/pki/ca.crt' },
          value: 1,
        },
        { metric: 'hostward_integrity_changes', labels: { change: 'modified' }, value: 0 },
      ],
      'full',
    );
    const part = report(
      ['integrity', 'ssh', 'tls'],
      [
        f('integrity', 'integrity.accounts_unchanged', 'fail'),
        f('ssh', 'ssh.password_auth', 'fail'),
        f('tls', 'tls.expiry', 'pass'),
      ],
      [{ metric: 'hostward_integrity_changes', labels: { change: 'modified' }, value: 1 }],
      'part',
    );
    const m = mergeReports(full, part, ['integrity', 'ssh', 'tls'], metricOwners(PROBES));
    expect(m.findings.map((x) => `${x.check}=${x.status}`)).toEqual([
      'ssh.password_auth=fail',
      'tls.expiry=pass',
      'integrity.accounts_unchanged=fail',
      'kernel.x=unknown',
    ]);
    expect(m.probes.map((p) => `${p.probe}:${p.durationSeconds}`)).toEqual([
      'ssh:0.1',
      'tls:0.1',
      'integrity:0.1',
      'kernel:1',
    ]);
    expect(m.summary).toEqual({ pass: 1, fail: 2, unknown: 1, skip: 0, accepted: 0 });
    // tls ran again and found no certificate: its old series goes, it does not linger
    expect(m.measurements).toEqual([
      { metric: 'hostward_integrity_changes', labels: { change: 'modified' }, value: 1 },
    ]);
    expect(m.startedAt).toBe('part');
    // a probe not re-run keeps its series
    expect(mergeReports(full, part, ['integrity'], metricOwners(PROBES)).measurements).toContainEqual(
      full.measurements[0],
    );
  });
});
