/**
 * Sinks register themselves: every kind of sink is one file in src/sinks exporting its definition, plus one
 * line in src/sinks/registry.ts. The registry lists exactly the definitions those files export, everything
 * the rest of the code knows about kinds of sink (the type union, reserved names, parser, routing floors,
 * simple-setup keys and variables, factories, the configuration reference) comes from it, and no other file
 * names a kind of sink.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig, validateConfig, applyEnv, ConfigError } from '../../src/config/config.js';
import type { ValidationContext } from '../../src/config/config.js';
import { createBareSinks } from '../../src/collector/sinks.js';
import { SEVERITIES } from '../../src/contracts.js';
import {
  DEFAULT_FLOORS,
  parseSinkDefs,
  RESERVED_SINK_NAMES,
  SINK_DEFINITIONS,
  SINK_SETTING_KEYS,
  SINK_TYPES,
  sinkDefinition,
  sinkSettingDefaults,
} from '../../src/sinks/registry.js';
import { KeyedProblem } from '../../src/sinks/keyed.js';
import type { Sink } from '../../src/collector/sink.js';

const REPO = path.join(__dirname, '..', '..');
const SINKS_DIR = path.join(REPO, 'src', 'sinks');
const ctx: ValidationContext = { checkIds: new Set(), probes: new Map() };

/** A value shaped like a sink definition (src/sinks/definition.ts). */
const isDefinition = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  ['type', 'floor', 'simpleNames', 'keys', 'settings'].every((k) => k in v) &&
  ['parse', 'simple', 'create'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

describe('the sink registry', () => {
  it('lists every definition a file in src/sinks exports, each once, and nothing else', async () => {
    const exported: { file: string; type: string; def: unknown }[] = [];
    for (const file of readdirSync(SINKS_DIR).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(/* @vite-ignore */ path.join(SINKS_DIR, file))) as Record<string, unknown>;
      for (const v of Object.values(mod))
        if (isDefinition(v)) exported.push({ file, type: (v as { type: string }).type, def: v });
    }
    expect(exported.length).toBeGreaterThanOrEqual(5);
    const listed = [...SINK_DEFINITIONS] as unknown[];
    // The registry re-exports nothing shaped like a definition: each is found in its own file only.
    expect(exported.filter((e) => e.file === 'registry.ts')).toEqual([]);
    expect(new Set(exported.map((e) => e.def))).toEqual(new Set(listed));
    expect(listed).toHaveLength(new Set(listed).size);
    expect(SINK_TYPES).toEqual(SINK_DEFINITIONS.map((d) => d.type));
    expect(new Set(SINK_TYPES).size).toBe(SINK_TYPES.length);
  });

  it('registers each definition with one line of src/sinks/registry.ts', () => {
    const text = readFileSync(path.join(SINKS_DIR, 'registry.ts'), 'utf8');
    const list = /SINK_DEFINITIONS = \[([^\]]*)\]/.exec(text)?.[1] ?? '';
    const lines = list
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l);
    expect(lines).toHaveLength(SINK_DEFINITIONS.length);
    for (const l of lines) expect(l).toMatch(/^\w+Definition,$/);
  });

  it('names a kind of sink in no other file of src/', () => {
    const own = new Set(
      SINK_DEFINITIONS.map((d) => {
        const file = readdirSync(SINKS_DIR).find((f) =>
          readFileSync(path.join(SINKS_DIR, f), 'utf8').includes(`type: '${d.type}',\n  floor:`),
        );
        return path.join(SINKS_DIR, file ?? '?');
      }),
    );
    expect(own.size).toBe(SINK_DEFINITIONS.length);
    // A kind's name as a string literal, as a switch case or a type union names it. Names that are also plain
    // words ("file") are looked for only where sinks are handled: sinks, the collector and the configuration.
    const names: readonly string[] = SINK_DEFINITIONS.flatMap((d) => [d.type, ...d.simpleNames]);
    const plainWords = new Set(['file', 'stdout']);
    const sinkCode = ['sinks', 'collector', 'config'].map((d) => path.join(REPO, 'src', d) + path.sep);
    const offenders: string[] = [];
    for (const file of tsFiles(path.join(REPO, 'src'))) {
      if (own.has(file)) continue;
      const handlesSinks = sinkCode.some((d) => file.startsWith(d));
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/^\s*(\/\/|\*|\/\*).*$/, '');
          for (const m of code.matchAll(/(['"`])([a-z]+)\1/g)) {
            const name = m[2]!;
            if (!names.includes(name) || (plainWords.has(name) && !handlesSinks)) continue;
            // The collector's SQL builds evidence objects with a 'file' member: a column, not a sink.
            if (name === 'file' && code.includes("json_object('file'")) continue;
            // A documented key's type "file" (str('file')) is the word, not the sink.
            if (name === 'file' && code.slice(0, m.index).endsWith('str(')) continue;
            offenders.push(`${path.relative(REPO, file)}:${i + 1}: ${m[0]}`);
          }
        });
    }
    expect(offenders).toEqual([]);
  });
});

describe('what derives from the registry', () => {
  it('reserves every simple-setup name and gives every kind a floor, strictest first', () => {
    expect(RESERVED_SINK_NAMES).toEqual(SINK_DEFINITIONS.flatMap((d) => [...d.simpleNames]));
    expect(Object.keys(DEFAULT_FLOORS).sort()).toEqual([...SINK_TYPES].sort());
    const ranks = Object.values(DEFAULT_FLOORS).map((s) => SEVERITIES.indexOf(s));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const d of SINK_DEFINITIONS) {
      expect(() => parseSinkDefs([{ name: d.simpleNames[0], type: d.type }], 'collector.sinks')).toThrow(
        /is the name of the simple setup's sink/,
      );
    }
  });

  it('accepts each kind of named sink and refuses an unknown type naming every registered one', () => {
    const problem = (raw: unknown) => {
      try {
        parseSinkDefs(raw, 'collector.sinks');
      } catch (e) {
        if (e instanceof KeyedProblem) return `${e.key}: ${e.problem}`;
        throw e;
      }
      return undefined;
    };
    expect(problem([{ name: 'x', type: 'no-such-kind' }])).toBe(
      `collector.sinks[0].type: must be one of ${SINK_TYPES.join(', ')}, got "no-such-kind"`,
    );
    for (const d of SINK_DEFINITIONS) {
      const msg = problem([{ name: 'x', type: d.type, bogus: 1 }]);
      expect(msg).toBe(
        `collector.sinks[0].bogus: unknown key (expected one of: ${['name', 'type', ...d.keys.map((k) => k.key)].join(', ')})`,
      );
    }
  });

  it('reads every simple-setup key from the file and its variable from the environment', () => {
    const keys = SINK_DEFINITIONS.flatMap((d) => Object.keys(d.settings));
    expect(SINK_SETTING_KEYS).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    const vars = SINK_DEFINITIONS.flatMap((d) => Object.values(d.settings).flatMap((s) => (s.env ? [s.env] : [])));
    expect(new Set(vars).size).toBe(vars.length);
    for (const v of vars) expect(v).toMatch(/^HOSTWARD_[A-Z0-9_]+$/);
    const defaults = sinkSettingDefaults() as Record<string, unknown>;
    const collector = defaultConfig().collector as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(defaults)) expect(collector[k]).toEqual(v);
    for (const d of SINK_DEFINITIONS)
      for (const [key, s] of Object.entries(d.settings)) {
        // An unknown collector key is refused; each registered one is read (a wrong type names it).
        const err = (() => {
          try {
            validateConfig({ collector: { [key]: { not: 'valid' } } }, ctx, 'test.yaml');
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(err, key).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).key).toMatch(new RegExp(`^collector\\.${key}`));
        if (s.env) {
          const raw = key.endsWith('Urls') ? 'http://127.0.0.1:9093' : '/run/secrets/x';
          const got = (applyEnv(defaultConfig(), { [s.env]: raw }).collector as unknown as Record<string, unknown>)[
            key
          ];
          expect(got, s.env).toEqual(s.fromEnv ? s.fromEnv(raw) : raw);
          // An empty variable is ignored, as every other one is.
          expect(
            (applyEnv(defaultConfig(), { [s.env]: '' }).collector as unknown as Record<string, unknown>)[key],
          ).toEqual(collector[key]);
        }
      }
  });

  it('builds no sink from the defaults, and the simple setup of each kind in registry order', async () => {
    expect(createBareSinks(defaultConfig().collector)).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), 'hostward-registry-'));
    try {
      const cfg = defaultConfig().collector;
      cfg.fileSink = path.join(dir, 'sink.ndjson');
      cfg.alertmanagerUrls = ['http://127.0.0.1:9093', 'http://127.0.0.1:9094'];
      const sinks = createBareSinks(cfg);
      const byType = SINK_TYPES.filter((t) => t === 'alertmanager' || t === 'file');
      expect([...new Set(sinks.map((s) => s.type))]).toEqual(byType);
      expect(sinks.map((s) => s.name)).toEqual(
        byType.flatMap((t) => (t === 'file' ? ['file'] : ['alertmanager[0]', 'alertmanager[1]'])),
      );
      for (const s of sinks) await s.close?.();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the simple setup's sinks from simpleNames only, the sink label the metrics contract lists", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hostward-registry-'));
    const built: Sink[] = [];
    try {
      const secret = (name: string, text: string) => {
        writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      };
      const cfg = defaultConfig().collector;
      cfg.slackWebhookUrlFile = secret('slack', 'https://hooks.slack.invalid/services/T/B/x');
      cfg.pagerdutyRoutingKeyFile = secret('pd', 'a'.repeat(32));
      cfg.alertmanagerUrls = ['http://127.0.0.1:9093'];
      cfg.webhookUrlFile = secret('webhook', 'https://soc.invalid/hook');
      const names = (fileSink: string, rename: (n: string) => string) =>
        SINK_DEFINITIONS.flatMap((d) => {
          const env = { remediation: () => undefined };
          const sinks = sinkDefinition(d.type).simple({ ...cfg, fileSink }, env, d.simpleNames.map(rename));
          built.push(...sinks);
          return sinks.map((x) => x.name);
        });
      const file = path.join(dir, 'out.ndjson');
      expect(names(file, (n) => n)).toEqual(['slack', 'pagerduty', 'alertmanager[0]', 'webhook', 'file']);
      expect(names('-', (n) => n).at(-1)).toBe('stdout');
      // Other names given, other names taken: no sink's file writes its name a second time.
      const x = (n: string) => `x-${n}`;
      expect(names(file, x)).toEqual(['x-slack', 'x-pagerduty', 'x-alertmanager[0]', 'x-webhook', 'x-file']);
      expect(names('-', x).at(-1)).toBe('x-stdout');
      const metrics = readFileSync(path.join(REPO, 'docs', 'contracts', 'metrics.md'), 'utf8');
      const listed = /The `sink` label is the sink's name: ([^]*?) for\s+the simple setup/.exec(metrics)?.[1];
      expect(listed?.match(/`[^`]+`/g)?.map((n) => n.slice(1, -1))).toEqual([...RESERVED_SINK_NAMES]);
    } finally {
      for (const s of built) await s.close?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
