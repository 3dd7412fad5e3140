/** The end-of-life table (probes/updates/eol.ts): invariants of the data, cycle derivation and verdicts. */
import { describe, it, expect } from 'vitest';
import type { EolProduct } from '../../probes/updates/eol.js';
import {
  EOL_TABLE,
  EOL_DATA_VERSION,
  EOL_DATA_DATE,
  componentCycle,
  eolVerdict,
  lookupEol,
  osCycle,
} from '../../probes/updates/eol.js';
import { updatesChecks } from '../../probes/updates/checks.js';
import type { UpdatesFacts } from '../../probes/updates/types.js';
import { DEFAULT_UPDATES_OPTIONS } from '../../probes/updates/options.js';
import { EMPTY_OS } from '../../probes/updates/os.js';
import type { ComponentFact } from '../../probes/updates/components.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');

describe('EOL table invariants', () => {
  it('has a data version and date in its header', () => {
    expect(EOL_DATA_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(EOL_DATA_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
  it('every row has a real ISO date (or null), a source, and no duplicate key', () => {
    const keys = new Set<string>();
    for (const r of EOL_TABLE) {
      const k = `${r.product}/${r.cycle}`;
      expect(keys.has(k), k).toBe(false);
      keys.add(k);
      expect(r.source.length, k).toBeGreaterThan(10);
      for (const d of [r.eol, r.standard, r.extended]) {
        if (d === undefined || d === null) continue;
        expect(d, k).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10), k).toBe(d);
      }
      if (r.standard && r.eol) expect(r.standard <= r.eol, k).toBe(true);
      if (r.extended && r.eol) expect(r.extended >= r.eol, k).toBe(true);
    }
  });
  it('covers the releases the issue names', () => {
    const want = [
      ...['10', '11', '12', '13'].map((c) => ['debian', c]),
      ...['18.04', '20.04', '22.04', '24.04', '24.10', '25.04', '25.10', '26.04'].map((c) => ['ubuntu', c]),
      ...['7', '8', '9', '10'].map((c) => ['rhel', c]),
      ...['8', '9', '10'].flatMap((c) => [
        ['rocky', c],
        ['almalinux', c],
      ]),
      ['amazon-linux', '2'],
      ['amazon-linux', '2023'],
      ...['1.28', '1.29', '1.30', '1.31', '1.32', '1.33', '1.34', '1.35'].flatMap((c) => [
        ['kubernetes', c],
        ['cri-o', c],
      ]),
      ...['1.6', '1.7', '2.0', '2.1'].map((c) => ['containerd', c]),
      ...['20.10', '24.0', '25.0', '27', '28'].map((c) => ['docker-engine', c]),
    ] as [EolProduct, string][];
    for (const [p, c] of want) expect(lookupEol(p, c), `${p} ${c}`).toBeDefined();
  });
  it('Kubernetes minors end in order', () => {
    const k = EOL_TABLE.filter((r) => r.product === 'kubernetes');
    for (let i = 1; i < k.length; i++) expect(k[i]!.eol! > k[i - 1]!.eol!).toBe(true);
  });
});

describe('cycles', () => {
  it('maps os-release to table cycles', () => {
    expect(osCycle('debian', '12')).toEqual({ product: 'debian', cycle: '12' });
    expect(osCycle('ubuntu', '24.04')).toEqual({ product: 'ubuntu', cycle: '24.04' });
    expect(osCycle('rhel', '9.4')).toEqual({ product: 'rhel', cycle: '9' });
    expect(osCycle('rocky', '8.10')).toEqual({ product: 'rocky', cycle: '8' });
    expect(osCycle('amzn', '2023')).toEqual({ product: 'amazon-linux', cycle: '2023' });
    expect(osCycle('amzn', '2')).toEqual({ product: 'amazon-linux', cycle: '2' });
    expect(osCycle('cos', '117')).toEqual({ product: 'cos', cycle: 'cos-117' });
    expect(osCycle('debian', '')).toBeUndefined();
    expect(osCycle('ubuntu', '24')).toBeUndefined();
    expect(osCycle('arch', '')).toBeUndefined();
  });
  it('maps package versions to component cycles', () => {
    expect(componentCycle('kubernetes', '1.30.2-1.1')).toBe('1.30');
    expect(componentCycle('kubernetes', '1.28.2-00')).toBe('1.28');
    expect(componentCycle('containerd', '1.7.22-1')).toBe('1.7');
    expect(componentCycle('containerd', '1.6.20~ds1-1+b1')).toBe('1.6');
    expect(componentCycle('docker-engine', '5:27.3.1-1~debian.12~bookworm')).toBe('27');
    expect(componentCycle('docker-engine', '5:26.1.4-1~ubuntu.22.04~jammy')).toBe('26.1');
    expect(componentCycle('docker-engine', '5:26.0.2-1')).toBe('26.0');
    expect(componentCycle('docker-engine', '20.10.24+dfsg1-1+deb12u1')).toBe('20.10');
    expect(componentCycle('docker-engine', '5:25.0.5-1')).toBe('25.0');
    expect(componentCycle('cri-o', '1.30.3-1.1')).toBe('1.30');
    expect(componentCycle('kubernetes', 'garbage')).toBeUndefined();
    expect(componentCycle('kubernetes', '')).toBeUndefined();
    expect(componentCycle('kubernetes', '9'.repeat(10_000))).toBeUndefined();
  });
});

describe('verdicts', () => {
  it('the end day itself is supported, the day after is past; 90 days is the warning window', () => {
    expect(eolVerdict('2026-11-24', NOW).state).toBe('soon');
    expect(eolVerdict('2026-11-23', NOW).state).toBe('past');
    expect(eolVerdict('2027-02-21', NOW).state).toBe('soon');
    expect(eolVerdict('2027-02-28', NOW)).toMatchObject({ state: 'supported', days: 96 });
    expect(eolVerdict(null, NOW).state).toBe('no_date');
  });
});

/** Each new check, evaluated on synthetic facts: at least one pass and one fail. */
function facts(over: Partial<UpdatesFacts>): UpdatesFacts {
  return {
    options: DEFAULT_UPDATES_OPTIONS,
    os: { ...EMPTY_OS, idLike: [] },
    osClass: { kind: 'unknown' },
    components: [],
    esm: false,
    now: NOW,
    ...over,
  };
}
const check = (id: string) => updatesChecks.find((c) => c.id === id)!;
const comp = (c: Partial<ComponentFact> & Pick<ComponentFact, 'component' | 'product'>): ComponentFact => ({
  builder: 'upstream',
  file: '/var/lib/dpkg/status',
  ...c,
});
const debian = (v: string) => ({
  os: { ...EMPTY_OS, idLike: [], id: 'debian', versionId: v, file: '/etc/os-release' },
  osClass: { kind: 'general' as const },
});

describe('new checks pass and fail', () => {
  it('updates.os_end_of_life', () => {
    expect(check('updates.os_end_of_life').evaluate(facts(debian('12'))).status).toBe('pass');
    expect(check('updates.os_end_of_life').evaluate(facts(debian('10'))).status).toBe('fail');
    expect(check('updates.os_end_of_life').evaluate(facts(debian('9'))).status).toBe('unknown');
    expect(check('updates.os_end_of_life').evaluate(facts({})).status).toBe('unknown');
  });
  it('updates.kubelet_end_of_life', () => {
    const k = (v: string) =>
      facts({ components: [comp({ component: 'kubelet', product: 'kubernetes', version: v, package: 'kubelet' })] });
    expect(check('updates.kubelet_end_of_life').evaluate(k('1.35.1-1.1')).status).toBe('pass');
    expect(check('updates.kubelet_end_of_life').evaluate(k('1.33.4-1.1')).status).toBe('fail');
    expect(check('updates.kubelet_end_of_life').evaluate(k('1.99.0-1.1')).status).toBe('unknown');
    expect(check('updates.kubelet_end_of_life').evaluate(facts({})).status).toBe('skip');
  });
  it('updates.runtime_end_of_life: upstream builds by their branch, distribution builds by their OS release', () => {
    const r = (c: ComponentFact[], os: Partial<UpdatesFacts> = {}) =>
      check('updates.runtime_end_of_life').evaluate(facts({ components: c, ...os }));
    expect(
      r([comp({ component: 'containerd', product: 'containerd', version: '2.3.1-1', package: 'containerd.io' })])
        .status,
    ).toBe('pass');
    expect(
      r([comp({ component: 'containerd', product: 'containerd', version: '1.6.33-1', package: 'containerd.io' })])
        .status,
    ).toBe('fail');
    // Debian's containerd 1.6 (upstream ended 2025-08-23) is maintained by Debian for the life of Debian 12.
    const debs = [
      comp({
        component: 'containerd',
        product: 'containerd',
        version: '1.6.20~ds1-1',
        package: 'containerd',
        builder: 'distribution',
      }),
    ];
    const on12 = r(debs, debian('12'));
    expect(on12.status).toBe('pass');
    expect(on12.message).toContain('built for debian 12, is supported until 2028-06-30');
    expect(on12.message).not.toMatch(/reached its end|days ago/);
    expect(on12.evidence?.map((e) => e.text).join('\n')).toContain(
      'upstream containerd 1.6 is maintained until 2025-08-23',
    );
    // On a release past its end, the distribution's build is past it too; with no OS data, it is unknown.
    const on10 = r(debs, debian('10'));
    expect(on10.status).toBe('fail');
    expect(on10.message).toContain('reached its end of support on 2024-06-30');
    expect(r(debs).status).toBe('unknown');
    expect(
      r([comp({ component: 'docker', product: 'docker-engine', version: '5:29.0.1-1', package: 'docker-ce' })]).message,
    ).toContain('no end of support announced');
    expect(r([comp({ component: 'cri-o', product: 'cri-o', version: '1.31.5-1.1', package: 'cri-o' })]).status).toBe(
      'fail',
    );
    expect(r([comp({ component: 'containerd', product: 'containerd', problem: 'x exists' })]).status).toBe('unknown');
    expect(r([]).status).toBe('skip');
  });
  it('updates.end_of_life_soon', () => {
    expect(check('updates.end_of_life_soon').evaluate(facts({ ...debian('12') })).status).toBe('pass');
    const fedora43 = facts({
      os: { ...EMPTY_OS, idLike: [], id: 'fedora', versionId: '43', file: '/etc/os-release' },
      osClass: { kind: 'general' },
    });
    const o = check('updates.end_of_life_soon').evaluate(fedora43);
    expect(o.status).toBe('fail');
    expect(o.message).toContain('2026-12-09');
  });
  it('updates.minimal_os', () => {
    expect(check('updates.minimal_os').evaluate(facts(debian('12'))).status).toBe('fail');
    expect(
      check('updates.minimal_os').evaluate(
        facts({
          os: { ...EMPTY_OS, idLike: [], id: 'alpine', versionId: '3.22.1' },
          osClass: { kind: 'minimal', name: 'Alpine Linux', reason: 'r', rolling: false },
        }),
      ).status,
    ).toBe('pass');
    expect(check('updates.minimal_os').evaluate(facts({})).status).toBe('unknown');
  });
});
