/**
 * deploy/grafana/hostward.json: valid dashboard JSON (unique panel ids, grid inside 24 columns, every panel on
 * the datasource variable), the sections the issue asks for, and every PromQL expression parses and names
 * only metrics and labels hostward exports. promtool has no expression checker, so the expressions (with
 * Grafana's variables substituted) become recording rules in a file that `promtool check rules` parses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { exportedMetrics, unknownNames } from './metric-names.js';

const dash = JSON.parse(readFileSync('deploy/grafana/hostward.json', 'utf8'));
const panels = dash.panels as any[];
const queries = panels.flatMap((p) =>
  (p.targets ?? []).map((t: any) => ({ panel: p.title as string, expr: t.expr as string })),
);
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

/** Grafana's variables as Prometheus would see them after substitution. */
const substitute = (e: string) => e.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*');

function checkRules(exprs: string[]): { status: number | null; out: string } {
  const file = path.join(dir, `dashboard-${Math.random().toString(36).slice(2)}.rules.yaml`);
  writeFileSync(
    file,
    stringify({
      groups: [
        { name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `hostward_dashboard:expr_${i}`, expr })) },
      ],
    }),
  );
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-grafana-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Grafana dashboard', () => {
  it('is dashboard JSON: uid, title, schemaVersion, unique ids, panels inside the grid, on the datasource variable', () => {
    expect(dash.uid).toBe('hostward-fleet');
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.h).toBeGreaterThan(0);
      if (p.type !== 'row') {
        expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        expect(new Set(p.targets.map((t: any) => t.refId)).size).toBe(p.targets.length);
      }
    }
    // No two panels overlap.
    const cells = new Set<string>();
    for (const p of panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    const vars = dash.templating.list.map((v: any) => v.name);
    expect(vars).toEqual(['datasource', 'instance']);
  });

  it('has the fleet overview, failing checks by severity, per-node detail, scan duration and agent memory', () => {
    const titles = panels.map((p) => p.title as string);
    for (const t of [
      'Fleet overview',
      'Failing checks by severity',
      'Worst nodes (failing critical and high checks)',
      'Node detail ($instance)',
      'Scan duration by probe (slowest node)',
      'Agent resident memory',
      'Certificates expiring soonest (seconds left)',
      'Integrity changes by node',
      'Nodes with pending security updates',
    ]) {
      expect(titles).toContain(t);
    }
    expect(queries.find((q) => q.panel === 'Agent resident memory')?.expr).toContain(
      'hostward_process_resident_memory_bytes',
    );
  });

  it('uses only metrics and labels hostward exports', () => {
    const exported = exportedMetrics();
    expect(queries.length).toBeGreaterThan(25);
    for (const q of queries) expect(unknownNames(substitute(q.expr), exported), q.panel).toEqual([]);
  });

  it.skipIf(!hasPromtool)('every expression parses (promtool check rules on them as recording rules)', () => {
    const r = checkRules(queries.map((q) => substitute(q.expr)));
    expect(r.out).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasPromtool)('a broken expression fails the same check (it can fail)', () => {
    const r = checkRules(['sum by (probe) (hostward_probe_success{job="hostward-agent"}']);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/unclosed left parenthesis|parse error/);
  });
});
