import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { runScan } from '../src/scan/runner.js';
import { defaultConfig } from '../src/config/config.js';
import { declareOptions, defineProbe, pass, fail, optionInt, optionType } from '../src/sdk.js';
import type { OptionContext } from '../src/sdk.js';
import { FIXTURES } from './helpers/hosts.js';
import { VERSION } from '../src/version.js';

const log = pino({ level: 'silent' });
const cfg = () => ({ ...defaultConfig(), root: path.join(FIXTURES, 'debian12-stock') });

const good = defineProbe<{ n: number }>({
  name: 'good',
  description: 'works',
  checks: [
    {
      id: 'good.a',
      title: 'A',
      severity: 'high',
      references: [],
      remediation: '',
      evaluate: (f) => (f.n > 1 ? fail('too many') : pass('fine')),
    },
    { id: 'good.b', title: 'B', severity: 'low', references: [], remediation: '', evaluate: () => pass('fine') },
    {
      id: 'good.c',
      title: 'C',
      severity: 'low',
      references: [],
      remediation: '',
      evaluate: () => {
        throw new Error('boom in check');
      },
    },
  ],
  gather: async () => ({ n: 2 }),
});
const throws = defineProbe({
  name: 'throws',
  description: '',
  checks: [
    { id: 'throws.a', title: 'A', severity: 'high', references: [], remediation: '', evaluate: () => pass('never') },
  ],
  gather: async () => {
    throw new Error('cannot read /proc');
  },
});
const hangs = defineProbe({
  name: 'hangs',
  description: '',
  checks: [
    { id: 'hangs.a', title: 'A', severity: 'high', references: [], remediation: '', evaluate: () => pass('never') },
  ],
  gather: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
});

describe('scan runner', () => {
  it('completes when probes throw or time out, and reports them as errors', async () => {
    const c = cfg();
    c.scan.probeTimeoutSeconds = 1;
    // The hanging probe is given up by its timeout (its error says so): the scan completes instead of hanging.
    const r = await runScan({ probes: [good, throws, hangs], config: c, log });
    expect(r.probes.map((p) => [p.probe, p.status])).toEqual([
      ['good', 'ok'],
      ['throws', 'error'],
      ['hangs', 'error'],
    ]);
    expect(r.probes[1]!.error).toMatch(/cannot read \/proc/);
    expect(r.probes[2]!.error).toMatch(/timed out after 1 s/);
    const by = Object.fromEntries(r.findings.map((f) => [f.check, f]));
    expect(by['good.a']!.status).toBe('fail');
    expect(by['good.c']!.status).toBe('unknown');
    expect(by['good.c']!.message).toMatch(/boom in check/);
    expect(by['throws.a']!.status).toBe('unknown');
    expect(by['hangs.a']!.status).toBe('unknown');
    expect(r.summary).toEqual({ pass: 1, fail: 1, unknown: 3, skip: 0, accepted: 0 });
    // failures first within a probe
    expect(r.findings[0]!.check).toBe('good.a');
    expect(r.os.id).toBe('debian');
    expect(r.node).toBe(process.env.NODE_NAME ?? process.env.HOSTWARD_NODE_NAME ?? 'worker-stock');
  });

  it('drops disabled checks and restricts to --probe', async () => {
    const c = cfg();
    c.checks['good.b'] = { enabled: false };
    const r = await runScan({ probes: [good, throws], config: c, log, only: ['good'] });
    expect(r.findings.map((f) => f.check).sort()).toEqual(['good.a', 'good.c']);
    expect(r.probes).toHaveLength(1);
  });

  it('parses each section once with the declared options and gives the probe the parsed value', async () => {
    const declared = declareOptions({
      intro: '',
      keys: [{ key: 'limit', type: optionType.int(1, 10), default: 3, description: 'at most' }],
      parse: (c, ctx) => ({ limit: optionInt(c, 'limit', 3), rootIsHost: ctx.rootIsHost }),
    });
    let parses = 0;
    const counted = { ...declared, parse: (raw: unknown, ctx: OptionContext) => (parses++, declared.parse(raw, ctx)) };
    const seen: unknown[] = [];
    const probe = defineProbe({
      name: 'opts',
      description: '',
      options: counted,
      gather: async (ctx) => (seen.push(ctx.options), ctx.options),
      checks: [
        {
          id: 'opts.a',
          title: 'A',
          severity: 'low',
          references: [],
          remediation: '',
          evaluate: (f) => (f.limit > 5 ? fail('high limit') : pass('low limit')),
        },
      ],
    });
    const c = cfg();
    c.probes = { opts: { limit: 7 } };
    const r = await runScan({ probes: [probe], config: c, log });
    expect(parses).toBe(1);
    expect(seen).toEqual([{ limit: 7, rootIsHost: false }]);
    expect(r.findings.map((f) => f.status)).toEqual(['fail']);

    // Sections the loader never saw (a configuration built by hand): the probe fails naming the key, the scan ends.
    for (const [section, error] of [
      [{ limit: 70 }, 'probes.opts.limit: must be an integer from 1 to 10, got 70'],
      [{ limt: 1 }, 'probes.opts.limt: unknown key (expected one of: limit)'],
      [[], 'probes.opts: must be a mapping'],
    ] as const) {
      c.probes = { opts: section as unknown as Record<string, unknown> };
      const bad = await runScan({ probes: [probe, good], config: c, log });
      expect(bad.probes.map((p) => [p.probe, p.status, p.error])).toEqual([
        ['opts', 'error', error],
        ['good', 'ok', undefined],
      ]);
      expect(bad.findings.find((f) => f.check === 'opts.a')).toMatchObject({
        status: 'unknown',
        message: `the opts probe failed: ${error}`,
      });
    }
    expect(seen).toHaveLength(1);
  });
});

describe('probe registry', () => {
  it('registers every folder under probes/, and names match folders', async () => {
    const { PROBES } = await import('../probes/registry.js');
    const dirs = readdirSync('probes').filter((d) => statSync(path.join('probes', d)).isDirectory());
    expect(PROBES.map((p) => p.name).sort()).toEqual(dirs.sort());
  });

  it('check ids are unique, <probe>.<snake_case>, with title, references and remediation', async () => {
    const { PROBES } = await import('../probes/registry.js');
    const ids = new Set<string>();
    for (const p of PROBES) {
      for (const c of p.checks) {
        expect(c.id).toMatch(new RegExp(`^${p.name}\\.[a-z0-9]+(_[a-z0-9]+)*$`));
        expect(ids.has(c.id), c.id).toBe(false);
        ids.add(c.id);
        expect(c.title.length).toBeGreaterThan(5);
        expect(c.references.length, c.id).toBeGreaterThan(0);
        expect(c.remediation.length, c.id).toBeGreaterThan(5);
      }
    }
  });

  it('keeps VERSION equal to package.json', () => {
    expect(VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});

describe('probe measurements', () => {
  it('collects them into the report, and a measure() that throws loses only the measurements', async () => {
    const measured = defineProbe<{ n: number }>({
      name: 'measured',
      description: '',
      checks: [
        { id: 'measured.a', title: 'A', severity: 'low', references: [], remediation: '', evaluate: () => pass('ok') },
      ],
      gather: async () => ({ n: 3 }),
      measure: (f) => [{ metric: 'hostward_updates_pending', labels: { kind: 'all' }, value: f.n }],
    });
    const broken = defineProbe({
      ...measured,
      name: 'broken',
      checks: [],
      measure: () => {
        throw new Error('x');
      },
    });
    const r = await runScan({ probes: [measured, broken], config: cfg(), log });
    expect(r.measurements).toEqual([{ metric: 'hostward_updates_pending', labels: { kind: 'all' }, value: 3 }]);
    expect(r.probes.map((p) => p.status)).toEqual(['ok', 'ok']);
  });
});
