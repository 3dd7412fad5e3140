/**
 * The updates fixtures (test/fixtures/hosts/updates-* and rpm-*): real-layout host roots scanned by the real engine
 * with
 * the updates probe and a fixed clock (the fixture's "now"); findings compared with <name>.fixture.json.
 * Every updates check must pass in one fixture and fail in another. Where apt is installed, apt itself is
 * asked about each fixture's files, and must list the same upgradable packages as the probe.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { HostRoot } from '../../src/host/root.js';
import { hostExec } from '../../src/host/exec.js';
import { measurementProblem } from '../../src/metrics/probe-metrics.js';
import { updatesProbe } from '../../probes/updates/index.js';
import type { UpdatesFacts } from '../../probes/updates/types.js';
import { FIXTURES, fixtureNames, materialize, expectationProblems } from '../helpers/hosts.js';
import { parseProbeOptions } from '../../src/scan/runner.js';

const log = pino({ level: 'silent' });
const names = fixtureNames().filter((n) => n.startsWith('updates-') || n.startsWith('rpm-'));
const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

const nowOf = (name: string) =>
  new Date((JSON.parse(readFileSync(path.join(FIXTURES, `${name}.fixture.json`), 'utf8')) as { now: string }).now);

/** Every file's path, size and mtime: the probe must not change any. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      const st = lstatSync(p);
      out.push(`${p} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

describe.each(names)('fixture %s', (name) => {
  it('produces the expected updates findings and measurements, and writes nothing', async () => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const before = snapshot(m.root);
    const config = defaultConfig();
    config.root = m.root;
    config.probes = { ...(m.spec.probes ?? {}) };
    const report = await runScan({ probes: [updatesProbe], config, log, now: () => nowOf(name) });
    expect(report.probes, JSON.stringify(report.probes)).toMatchObject([{ probe: 'updates', status: 'ok' }]);
    expect(snapshot(m.root)).toEqual(before);
    const by = new Map(report.findings.map((f) => [f.check, f]));
    for (const f of report.findings) {
      const s = seen.get(f.check) ?? new Set<string>();
      s.add(f.status);
      seen.set(f.check, s);
      expect(f.message.length, f.check).toBeGreaterThan(0);
      for (const e of f.evidence)
        if (e.file) expect(e.file.startsWith(m.root), `${f.check} evidence must be a host path`).toBe(false);
    }
    expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    // every series that can exist, 0 rather than absent
    expect(report.measurements.map((x) => `${x.metric}${JSON.stringify(x.labels)}`).sort()).toEqual([
      'hostward_reboot_required{}',
      'hostward_updates_pending{"kind":"all"}',
      'hostward_updates_pending{"kind":"security"}',
    ]);
    expect(report.measurements.map(measurementProblem).filter(Boolean)).toEqual([]);
    const sec = by.get('updates.security_updates')!;
    const measuredSec = report.measurements.find((x) => x.labels.kind === 'security')!.value;
    if (sec.status === 'fail') expect(measuredSec).toBeGreaterThan(0);
    else expect(measuredSec).toBe(0);
  });
});

describe('coverage of updates checks by fixtures', () => {
  it('every updates check passes in some fixture and fails in another', () => {
    const missing: string[] = [];
    for (const c of updatesProbe.checks) {
      const s = seen.get(c.id) ?? new Set();
      if (!s.has('pass') || !s.has('fail')) missing.push(`${c.id}: ${[...s].join(',') || 'never seen'}`);
    }
    expect(missing).toEqual([]);
  });

  it('check ids are updates.<snake_case> with title, references and remediation', () => {
    for (const c of updatesProbe.checks) {
      expect(c.id).toMatch(/^updates\.[a-z0-9]+(_[a-z0-9]+)*$/);
      expect(c.title.length).toBeGreaterThan(5);
      expect(c.references.length).toBeGreaterThan(0);
      expect(c.remediation.length).toBeGreaterThan(5);
    }
  });
});

const haveApt = existsSync('/usr/bin/apt');
describe.skipIf(!haveApt)('apt agrees with the probe on every updates fixture', () => {
  it.each(names.filter((n) => existsSync(path.join(FIXTURES, n, 'var/lib/apt/lists'))))('%s', async (name) => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const r = m.root;
    const out = execFileSync(
      'apt',
      [
        'list',
        '--upgradable',
        '-o',
        `Dir::State::status=${r}/var/lib/dpkg/status`,
        '-o',
        `Dir::State::Lists=${r}/var/lib/apt/lists`,
        '-o',
        `Dir::Etc=${r}/etc/apt`,
        '-o',
        'Dir::Cache::pkgcache=',
        '-o',
        'Dir::Cache::srcpkgcache=',
        '-o',
        'APT::Architectures::=i386',
      ],
      { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const want = out
      .split('\n')
      .flatMap((l) => {
        const x = /^(\S+?)\/(\S+) (\S+) (\S+) \[upgradable from: (\S+)\]$/.exec(l);
        return x
          ? [`${x[1]}:${x[4]} ${x[5]} -> ${x[3]} security=${x[2]!.split(',').some((s) => s.includes('-security'))}`]
          : [];
      })
      .sort();
    const host = new HostRoot(r);
    const facts = (await updatesProbe.gather({
      host,
      exec: hostExec(r),
      log,
      options: parseProbeOptions(updatesProbe, {}, host),
      signal: new AbortController().signal,
      now: () => nowOf(name),
      mode: 'scan',
    })) as UpdatesFacts;
    const got = facts
      .family!.updates.map(
        (u) => `${u.name}:${u.arch} ${u.installed} -> ${u.candidate} security=${u.candidateSecurity}`,
      )
      .sort();
    expect(got).toEqual(want);
  });
});
