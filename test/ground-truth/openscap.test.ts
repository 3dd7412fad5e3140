/**
 * OpenSCAP as ground truth for the OS baseline probes: the SCAP Security Guide's CIS Level 1 Server profile (its
 * Ubuntu 22.04 content, with the platform check rewritten for Debian 12) and `hostward scan` judge this machine
 * and two whole-host fixture roots (weak and hardened). Every overlapping rule (test/ground-truth/openscap-map.ts)
 * must agree, unless docs/ground-truth.md lists the check on that root with its reason. A rule OpenSCAP does not
 * decide (notapplicable, notchecked) or cannot evaluate inside a fixture root is not compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/contracts.js';
import { LIVE_HOST_WALKS, OVERLAPS, chrootBlind } from './openscap-map.js';
import type { Overlap } from './openscap-map.js';
import { composeRoot } from './openscap-roots.js';
import type { ComposedRoot } from './openscap-roots.js';
import { debianDatastream, haveOpenscap, parseResults, runOscap, writeDebianDatastream } from './openscap.js';
import type { OscapRun, SsgResult } from './openscap.js';

const CLI = path.resolve('dist/src/cli/main.js');
const DOC = path.resolve('docs/ground-truth.md');
const PROBES = ['accounts', 'files', 'modules', 'mounts', 'services', 'audit', 'firewall', 'kernel', 'ssh'];
const TARGETS = ['host', 'weak', 'hardened'] as const;
type Target = (typeof TARGETS)[number];

/** A plain server (no kubelet), the files walk given time to finish the whole tree as OpenSCAP's find does. */
const CONFIG = [
  'scan:',
  '  hostRole: server',
  '  probeTimeoutSeconds: 900',
  'probes:',
  '  files:',
  '    walkBudgetMs: 600000',
  '    walkMaxEntries: 20000000',
  '',
].join('\n');

interface Outcome {
  check: string;
  ssg: string;
  hostward: string;
  kind: 'agree' | 'listed' | 'not compared' | 'disagree';
}

/** The disagreements docs/ground-truth.md lists: its table rows `| check | roots | reason |` under "## OpenSCAP". */
export function listedDisagreements(doc: string): Map<string, { targets: Set<string>; reason: string }> {
  const section = doc.split(/^## /m).find((s) => s.startsWith('OpenSCAP'));
  if (!section) throw new Error('docs/ground-truth.md has no "## OpenSCAP" section');
  const listed = new Map<string, { targets: Set<string>; reason: string }>();
  for (const m of section.matchAll(/^\| `([a-z_]+\.[a-z0-9_]+)` \| ([a-z, ]+) \| (.+) \|$/gm)) {
    const [, check, targets, reason] = m as unknown as [string, string, string, string];
    listed.set(check, { targets: new Set(targets.split(',').map((t) => t.trim())), reason: reason.trim() });
  }
  return listed;
}

function ssgVerdict(o: Overlap, results: Map<string, SsgResult>, target: Target): string {
  if (target !== 'host' && o.rules.some(chrootBlind)) return 'not evaluated in a root';
  if (target === 'host' && o.rules.some((r) => LIVE_HOST_WALKS.has(r))) return 'not walked on a live host';
  const r = o.rules.map((id) => results.get(id) ?? 'missing');
  if (r.every((x) => x === 'pass')) return 'pass';
  if (r.includes('fail')) return 'fail';
  return [...new Set(r)].sort().join('/');
}

const UNDECIDED = new Set([
  'not evaluated in a root',
  'not walked on a live host',
  'notapplicable',
  'notchecked',
  'notapplicable/notchecked',
]);

type Listed = ReturnType<typeof listedDisagreements>;

function compare(target: Target, run: OscapRun, report: Report, listed: Listed): Outcome[] {
  const findings = new Map(report.findings.map((f) => [f.check, f.status]));
  return OVERLAPS.map((o) => {
    const ssg = ssgVerdict(o, run.results, target);
    const hostward = findings.get(o.check) ?? 'missing';
    const kind: Outcome['kind'] =
      ssg === hostward
        ? 'agree'
        : listed.get(o.check)?.targets.has(target)
          ? 'listed'
          : UNDECIDED.has(ssg)
            ? 'not compared'
            : 'disagree';
    return { check: o.check, ssg, hostward, kind };
  });
}

function scan(root: string, config: string): Promise<Report> {
  const probes = PROBES.flatMap((p) => ['--probe', p]);
  const args = [CLI, 'scan', '--root', root, '--config', config, '--format', 'json', ...probes];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOSTWARD_NODE_NAME: 'openscap' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // 1: a check failed at or above --fail-on; the report is still whole.
      if (code !== 0 && code !== 1) reject(new Error(`hostward scan exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as Report);
    });
  });
}

describe.skipIf(!haveOpenscap)('OpenSCAP (SSG CIS Level 1 Server) and hostward agree on the overlapping rules', () => {
  const runs = new Map<Target, OscapRun>();
  const reports = new Map<Target, Report>();
  const outcomes = new Map<Target, Outcome[]>();
  const cleanups: (() => void)[] = [];
  let listed: Listed;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    listed = listedDisagreements(readFileSync(DOC, 'utf8'));
    const ds = writeDebianDatastream();
    cleanups.push(ds.cleanup);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-openscap-cfg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'hostward.yaml');
    writeFileSync(config, CONFIG);
    const roots: Record<Target, string> = { host: '/', weak: '', hardened: '' };
    for (const name of ['weak', 'hardened'] as const) {
      const c: ComposedRoot = composeRoot(name);
      cleanups.push(c.cleanup);
      roots[name] = c.root;
    }
    const hostRules = OVERLAPS.flatMap((o) => o.rules).filter((r) => !LIVE_HOST_WALKS.has(r));
    // oscap once per root for the whole file; on this machine only the mapped rules that do not walk the disks.
    await Promise.all(
      TARGETS.map(async (t) => {
        const rules = t === 'host' ? hostRules : undefined;
        const [run, report] = await Promise.all([runOscap(ds.file, roots[t], rules), scan(roots[t], config)]);
        runs.set(t, run);
        reports.set(t, report);
        outcomes.set(t, compare(t, run, report, listed));
      }),
    );
  }, 1_800_000);
  afterAll(() => cleanups.forEach((c) => c()));

  it('the map names rules of the profile, each once, and checks hostward has', () => {
    const results = runs.get('weak')!.results;
    const rules = OVERLAPS.flatMap((o) => o.rules);
    expect(rules.filter((r) => !results.has(r))).toEqual([]);
    expect(new Set(rules).size).toBe(rules.length);
    const doc = readFileSync(DOC, 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain(`${rules.length} of the profile's ${results.size} rules, for ${OVERLAPS.length} checks`);
    const checks = new Set(reports.get('weak')!.findings.map((f) => f.check));
    expect(OVERLAPS.map((o) => o.check).filter((c) => !checks.has(c))).toEqual([]);
  });

  it('the rewritten platform check makes the profile apply to Debian 12', () => {
    for (const t of TARGETS) {
      const decided = [...runs.get(t)!.results.values()].filter((r) => r === 'pass' || r === 'fail');
      expect(decided.length, t).toBeGreaterThan(20);
    }
  });

  it.each(TARGETS)('on %s every compared rule agrees, or docs/ground-truth.md lists it', (t) => {
    const all = outcomes.get(t)!;
    const count = (k: Outcome['kind']) => all.filter((o) => o.kind === k).length;
    console.info(
      `OpenSCAP on ${t} (${runs.get(t)!.seconds.toFixed(0)} s): of ${all.length} overlapping checks ` +
        `${count('agree')} agree, ` +
        `${count('listed')} differ as docs/ground-truth.md lists, ${count('not compared')} not decided by OpenSCAP`,
    );
    const bad = all.filter((o) => o.kind === 'disagree');
    expect(bad.map((o) => `${o.check}: OpenSCAP ${o.ssg}, hostward ${o.hostward}`)).toEqual([]);
  });

  it('the fixture roots are compared on passing and failing rules alike', () => {
    for (const t of ['weak', 'hardened'] as const) {
      const agreed = outcomes.get(t)!.filter((o) => o.kind === 'agree');
      expect(agreed.length, t).toBeGreaterThan(15);
    }
    const verdicts = (['weak', 'hardened'] as const).flatMap((t) => outcomes.get(t)!.filter((o) => o.kind === 'agree'));
    expect(new Set(verdicts.map((o) => o.ssg))).toEqual(new Set(['pass', 'fail']));
  });

  it('every disagreement listed for a fixture root still happens there (the list is not stale)', () => {
    const stale = [...listed].flatMap(([check, { targets }]) =>
      (['weak', 'hardened'] as const)
        .filter((t) => targets.has(t))
        .filter((t) => outcomes.get(t)!.find((o) => o.check === check)?.kind !== 'listed')
        .map((t) => `${check} on ${t}`),
    );
    expect(stale).toEqual([]);
    for (const [check, { reason }] of listed) {
      expect(
        OVERLAPS.some((o) => o.check === check),
        check,
      ).toBe(true);
      expect(reason.length, check).toBeGreaterThan(20);
    }
  });
});

describe('reading what OpenSCAP and docs/ground-truth.md say', () => {
  it('an XCCDF results file with no rule results, or cut short, is an error, not an empty agreement', () => {
    expect(() => parseResults('')).toThrow(/no rule results/);
    const one =
      '<rule-result idref="xccdf_org.ssgproject.content_rule_a" role="full"><result>pass</result></rule-result>';
    expect([...parseResults(one)]).toEqual([['a', 'pass']]);
    expect(() => parseResults(one.slice(0, 60))).toThrow(/no rule results/);
    expect(() => parseResults(one.replace('xccdf_org.ssgproject.content_rule_', 'other_'))).toThrow(/unexpected rule/);
  });

  it('the disagreement table is read per check, with its roots and reason', () => {
    expect(() => listedDisagreements('# Ground truth\n')).toThrow(/OpenSCAP/);
    const doc = '## OpenSCAP\n\n| check | roots | reason |\n|---|---|---|\n| `files.x` | weak, host | why |\n## Next\n';
    const want = { targets: new Set(['weak', 'host']), reason: 'why' };
    expect([...listedDisagreements(doc)]).toEqual([['files.x', want]]);
  });
});

describe('the Debian 12 platform rewrite of the data stream', () => {
  it('refuses content that is not as expected, rather than evaluate the wrong platform', () => {
    expect(() => debianDatastream('')).toThrow(/CPE OVAL component/);
    expect(() => debianDatastream('<ds:component id="scap_org.open-scap_comp_ssg-ubuntu2204-cpe-oval.xml">')).toThrow(
      /found 0/,
    );
  });
});
