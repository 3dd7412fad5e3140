/**
 * deploy/prometheus/hostward-rules.yaml with the real promtool: `check rules` and `test rules` pass, a broken
 * copy of the tests fails (so the run can fail), every alert is tested firing and not firing, follows the
 * node-mixin conventions, has a runbook section, and selects only metrics and labels the code exports. The
 * chart's copy of the rules is the same bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { exportedMetrics, unknownNames } from './metric-names.js';

const RULES = path.resolve('deploy/prometheus/hostward-rules.yaml');
const TESTS = path.resolve('deploy/prometheus/hostward-rules.test.yaml');
const CHART_COPY = path.resolve('deploy/helm/hostward/files/hostward-rules.yaml');
const RUNBOOKS = path.resolve('deploy/runbooks.md');
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile {
  groups: { name: string; rules: Rule[] }[];
}
interface TestFile {
  tests: { alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: unknown[] }[] }[];
}

const rules = parse(readFileSync(RULES, 'utf8')) as RulesFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => r.alert !== undefined);

function promtool(args: string[], cwd: string) {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-rules-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasPromtool)('promtool on the rules', () => {
  it('promtool check rules accepts the file', () => {
    const r = promtool(['check', 'rules', RULES], path.dirname(RULES));
    expect(r.out).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('promtool test rules passes', () => {
    const r = promtool(['test', 'rules', TESTS], path.dirname(TESTS));
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('promtool test rules fails when an expectation is wrong (the run can fail)', () => {
    copyFileSync(RULES, path.join(dir, 'hostward-rules.yaml'));
    // The stale-scan alert one minute early: promtool must print what it got and exit 1.
    const broken = readFileSync(TESTS, 'utf8').replace(
      'eval_time: 56m\n        alertname: HostwardScansStale',
      'eval_time: 55m\n        alertname: HostwardScansStale',
    );
    expect(broken).not.toBe(readFileSync(TESTS, 'utf8'));
    writeFileSync(path.join(dir, 'broken.test.yaml'), broken);
    const r = promtool(['test', 'rules', 'broken.test.yaml'], dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain('alertname: HostwardScansStale, time: 55m');
  });
});

describe('the rules themselves', () => {
  it('every alert is tested firing and not firing', () => {
    const tests = (parse(readFileSync(TESTS, 'utf8')) as TestFile).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = tests.filter((t) => t.alertname === a.alert);
      expect(
        mine.some((t) => t.exp_alerts.length > 0),
        `${a.alert} firing`,
      ).toBe(true);
      expect(
        mine.some((t) => t.exp_alerts.length === 0),
        `${a.alert} not firing`,
      ).toBe(true);
    }
    // And no test names an alert that does not exist.
    for (const t of tests) expect(alerts.map((a) => a.alert)).toContain(t.alertname);
  });

  it('follow the node-mixin conventions: severity, summary, description, runbook_url to a runbook section', () => {
    const runbooks = readFileSync(RUNBOOKS, 'utf8');
    const names = new Set<string>();
    for (const a of alerts) {
      expect(a.alert).toMatch(/^Hostward[A-Z][A-Za-z]+$/);
      expect(names.has(a.alert)).toBe(false);
      names.add(a.alert);
      expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
      expect(a.annotations?.summary?.length).toBeGreaterThan(10);
      expect(a.annotations?.description?.length).toBeGreaterThan(10);
      const anchor = a.alert.toLowerCase();
      expect(a.annotations?.runbook_url).toBe(
        `https://github.com/hostward/hostward/blob/main/deploy/runbooks.md#${anchor}`,
      );
      expect(runbooks, `runbook section for ${a.alert}`).toMatch(new RegExp(`^## ${a.alert}$`, 'm'));
    }
  });

  it('select only metrics and labels that hostward exports, scoped to its jobs', () => {
    const exported = exportedMetrics();
    for (const a of alerts) {
      expect(unknownNames(a.expr, exported), a.alert).toEqual([]);
      for (const m of a.expr.matchAll(/\b(hostward_[a-z0-9_]+|up)\{([^}]*)\}/g))
        expect(m[2], `${a.alert}: ${m[1]} without a job selector`).toMatch(/job="hostward-(agent|collector)"/);
    }
  });

  it('catch a renamed metric (the name check can fail)', () => {
    expect(unknownNames('hostward_check_state{job="hostward-agent"} == 1', exportedMetrics())).toEqual([
      'hostward_check_state: not a metric hostward exports',
    ]);
    expect(
      unknownNames('hostward_updates_pending{job="hostward-agent",type="security"} > 0', exportedMetrics()),
    ).toEqual(['hostward_updates_pending{type}: no such label']);
  });

  it('the chart carries the same rules, byte for byte', () => {
    expect(readFileSync(CHART_COPY, 'utf8')).toBe(readFileSync(RULES, 'utf8'));
  });
});
