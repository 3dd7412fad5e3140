/**
 * The files fixtures (test/fixtures/hosts/files-*) scanned by the real engine with the files probe alone: each
 * gives the findings its fixture.json expects, and across them every check of the probe passes in one and
 * fails in another, and the undecidable and inapplicable cases (unknown, skip) occur too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { filesProbe } from '../../probes/files/index.js';
import { expectationProblems, fixtureNames, materialize } from '../helpers/hosts.js';
import { scanFiles } from './helpers.js';

const names = fixtureNames().filter((n) => n.startsWith('files-'));
const seen = new Map<string, Set<string>>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe.each(names)('fixture %s', (name) => {
  it('gives the expected findings, with host paths as evidence', async () => {
    const m = materialize(name);
    cleanups.push(m.cleanup);
    const report = await scanFiles(m.root, m.spec.probes?.files ?? {}, m.spec.hostRole ?? 'node');
    expect(report.probes.map((p) => p.status)).toEqual(['ok']);
    for (const f of report.findings) {
      (seen.get(f.check) ?? seen.set(f.check, new Set()).get(f.check)!).add(f.status);
      for (const e of f.evidence) if (e.file) expect(e.file.startsWith(m.root), f.check).toBe(false);
      if (f.status === 'pass') expect(f.message, f.check).not.toMatch(/cannot|not seen|unknown|does not exist/);
    }
    expect(expectationProblems(report.findings, m.spec.expected)).toEqual([]);
    // Every check of the probe is listed in the fixture: a new check needs a decision in each.
    expect(Object.keys(m.spec.expected).sort()).toEqual(filesProbe.checks.map((c) => c.id).sort());
  });
});

describe('coverage of the files checks by the fixtures', () => {
  it('every check passes in some fixture and fails in another', () => {
    const missing = filesProbe.checks.flatMap((c) => {
      const s = seen.get(c.id) ?? new Set();
      return s.has('pass') && s.has('fail') ? [] : [`${c.id}: ${[...s].join(',') || 'never seen'}`];
    });
    expect(missing).toEqual([]);
  });

  it('unknown and skip occur: for the walk, the account files, GRUB and cron', () => {
    const has = (id: string, st: string) => seen.get(id)?.has(st) ?? false;
    expect(has('files.world_writable_files', 'unknown')).toBe(true);
    expect(has('files.unowned_files', 'unknown')).toBe(true);
    expect(has('files.passwd_permissions', 'unknown')).toBe(true);
    expect(has('files.home_directories', 'unknown')).toBe(true);
    expect(has('files.grub_password', 'skip')).toBe(true);
    expect(has('files.cron_daemon', 'skip')).toBe(true);
    expect(has('files.shadow_backup_permissions', 'skip')).toBe(true);
  });
});
