/**
 * docs/configuration.md and the reference it is rendered from (src/config/reference.ts) against the code:
 * - the file is what `npm run docs:config` writes now;
 * - every mapping's keys, as its validator lists them when it refuses an unknown key, are the documented ones;
 * - every documented key is accepted with its example, its integer bounds, enum values and booleans hold at the
 *   validator, and its default is the code's (defaultConfig(), and setting the default explicitly changes nothing,
 *   which also covers the probes' own parsers);
 * - every environment variable the code reads is documented, and each documented one sets its key;
 * - every documented flag is in the command's --help.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PROBES } from '../../probes/registry.js';
import {
  applyEnv,
  ConfigError,
  defaultConfig,
  loadConfig,
  validateConfig,
  validationContext,
} from '../../src/config/config.js';
import type { ValidationContext } from '../../src/config/config.js';
import {
  CONFIG_SECTIONS,
  CONTEXTS,
  ENVIRONMENT,
  INTERNAL_ENVIRONMENT,
  PLACEHOLDERS,
  configKeys,
  renderConfigurationMarkdown,
} from '../../src/config/reference.js';
import type { ConfigKey } from '../../src/config/reference.js';
import type { ProbeOptions } from '../../src/sdk.js';
import { flagsIn, helpOf, readDoc, REPO } from './docs.js';

const ctx: ValidationContext = validationContext(PROBES);

function declared(name: string): ProbeOptions {
  const options = PROBES.find((p) => p.name === name)?.options;
  if (!options) throw new Error(`probes.${name} is documented but its probe declares no options`);
  return options;
}

/**
 * Each documented probe's declared parser (Probe.options), which fills its defaults: validateConfig keeps the raw
 * section.
 */
function probeParsers(names: readonly string[]): Record<string, (raw: unknown) => unknown> {
  const out: Record<string, (raw: unknown) => unknown> = {};
  for (const name of names) {
    const options = declared(name);
    out[name] = (raw) => options.parse(raw, { rootIsHost: true, env: {} });
  }
  return out;
}

const documentedProbes = [
  ...new Set(
    configKeys()
      .filter((k) => k.path.startsWith('probes.'))
      .map((k) => k.path.split('.')[1]!),
  ),
];
const PARSERS = probeParsers(documentedProbes);

const BOGUS = '__undocumented_key__';
const ABSENT = Symbol('absent');

interface Seg {
  name: string;
  /** '' for `[]`, the variant for `[slack]`; undefined for a mapping key. */
  item?: string;
}

function segments(p: string): Seg[] {
  return p.split('.').map((s) => {
    const m = /^([^[]+)(?:\[([a-z]*)\])?$/.exec(s);
    if (!m) throw new Error(`bad path segment ${s} in ${p}`);
    return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, item: m[2] };
  });
}

const segText = (s: Seg) => (s.item === undefined ? s.name : `${s.name}[${s.item}]`);
const sub = (v: unknown): unknown =>
  typeof v === 'string' && PLACEHOLDERS[v] !== undefined ? PLACEHOLDERS[v] : Array.isArray(v) ? v.map(sub) : v;
const context = (loc: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(CONTEXTS[loc] ?? {}).map(([k, v]) => [k, sub(v)]));

/** A configuration document with `value` at `p` (every list one item long), plus what each location needs. */
function place(p: string, value: unknown, siblings: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const segs = segments(p);
  const root: Record<string, unknown> = {};
  let cur = root;
  let loc = '';
  segs.forEach((s, i) => {
    const key = sub(s.name) as string;
    loc = loc ? `${loc}.${segText(s)}` : segText(s);
    if (i === segs.length - 1) {
      Object.assign(cur, siblings);
      if (value !== ABSENT) cur[key] = value;
      return;
    }
    const next = context(loc);
    cur[key] = s.item === undefined ? next : [next];
    cur = next;
  });
  return root;
}

/** The key a validator names for `p`: list items are the first, placeholders their values. */
const errorKey = (p: string) =>
  segments(p)
    .map((s) => (s.item === undefined ? String(sub(s.name)) : `${s.name}[0]`))
    .join('.');

function refusal(doc: unknown): ConfigError | undefined {
  try {
    validateConfig(doc, ctx);
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

const exampleOf = (k: ConfigKey): unknown => (k.example !== undefined ? sub(k.example) : k.default);
const isProbeKey = (k: ConfigKey) => k.path.startsWith('probes.');
const hasPlaceholder = (p: string) => p.includes('<');

function getPath(o: unknown, p: string): unknown {
  return p
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}

/** Locations (mappings and list items) and the keys documented directly under each. */
function documentedLocations(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const k of configKeys()) {
    const segs = segments(k.path);
    for (let i = 0; i < segs.length; i++) {
      const loc = segs.slice(0, i).map(segText).join('.');
      const set = out.get(loc) ?? new Set<string>();
      set.add(segs[i]!.name);
      out.set(loc, set);
    }
  }
  return out;
}

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` renders from src/config/reference.ts', () => {
    expect(readDoc('docs/configuration.md'), 'run: scripts/use-node npm run docs:config').toBe(
      renderConfigurationMarkdown(),
    );
  });

  it('has unique paths and every key either has an example, a default, or needs none', () => {
    const paths = configKeys().map((k) => k.path);
    expect(paths.length).toBeGreaterThan(60);
    expect(new Set(paths).size).toBe(paths.length);
    for (const k of configKeys()) expect(exampleOf(k), `${k.path}: give an example`).not.toBeUndefined();
  });
});

describe('the keys each validator accepts are the documented ones', () => {
  const locations = documentedLocations();
  // Mappings keyed by names (check ids, probe names, sysctl check ids) refuse an unknown name otherwise.
  const keyedByName = [...locations].filter(([, keys]) => [...keys].some(hasPlaceholder)).map(([loc]) => loc);

  it.each([...locations.keys()].filter((l) => !keyedByName.includes(l) && l !== 'probes'))('%s', (loc) => {
    const e = refusal(place(loc ? `${loc}.${BOGUS}` : BOGUS, 1));
    expect(e, `${loc}: an unknown key was accepted`).toBeDefined();
    expect(e!.key).toBe(errorKey(loc ? `${loc}.${BOGUS}` : BOGUS));
    const listed = /unknown key \(expected one of: ([^)]*)\)/.exec(e!.message);
    expect(listed, e!.message).not.toBeNull();
    const accepted = listed![1]!.split(', ').sort();
    expect(accepted, `keys of ${loc || '(top level)'}: the validator's, then the reference's`).toEqual(
      [...locations.get(loc)!].sort(),
    );
  });

  it('every probe that takes options is documented, and every other refuses any', () => {
    const documented = [...locations.get('probes')!];
    for (const p of PROBES) {
      if (documented.includes(p.name)) continue;
      expect(
        refusal({ probes: { [p.name]: { [BOGUS]: 1 } } }),
        `probes.${p.name} takes options: document them`,
      ).toBeDefined();
      expect(refusal({ probes: { [p.name]: {} } }), `probes.${p.name}: {} refused`).toBeUndefined();
    }
    expect(documented.every((n) => PROBES.some((p) => p.name === n && p.options))).toBe(true);
    expect(Object.keys(PARSERS).sort()).toEqual([...documented].sort());
    expect(refusal({ probes: { nosuchprobe: {} } })?.key).toBe('probes.nosuchprobe');
  });

  it('a check id, a sysctl check id and a probe name that do not exist are refused', () => {
    expect(refusal({ checks: { 'ssh.no_such_check': { enabled: false } } })?.key).toBe('checks.ssh.no_such_check');
    expect(refusal({ probes: { kernel: { expect: { 'kernel.no_such_sysctl': 1 } } } })?.key).toBe(
      'probes.kernel.expect.kernel.no_such_sysctl',
    );
    expect(keyedByName.sort()).toEqual(['checks', 'probes.kernel.expect']);
  });
});

describe('every documented key is accepted, with the types it documents', () => {
  it.each(configKeys().map((k) => [k.path, k] as const))('%s', (_p, k) => {
    const accept = (v: unknown, siblings = k.with ?? {}) => {
      const e = refusal(place(k.path, v, siblings));
      expect(e?.message, `${k.path}: ${JSON.stringify(v)} refused`).toBeUndefined();
    };
    const refuse = (v: unknown) => {
      const e = refusal(place(k.path, v, k.with ?? {}));
      expect(e?.key, `${k.path}: ${JSON.stringify(v)} accepted`).toBe(errorKey(k.path));
    };
    accept(exampleOf(k));
    const t = k.type;
    if (t.kind === 'integer') {
      accept(t.min);
      accept(t.max);
      refuse(t.min - 1);
      refuse(t.max + 1);
      refuse(1.5);
    } else if (t.kind === 'enum') {
      for (const v of t.values) accept(v);
      refuse('not-one-of-them');
    } else if (t.kind === 'boolean') {
      accept(true);
      accept(false);
      refuse('yes');
    }
  });
});

describe("documented defaults are the code's", () => {
  const plain = configKeys().filter((k) => !isProbeKey(k) && !k.path.includes('[') && !hasPlaceholder(k.path));

  it.each(plain.map((k) => [k.path, k] as const))('%s equals defaultConfig()', (_p, k) => {
    expect(getPath(defaultConfig(), k.path), `${k.path}: document the default, or none`).toEqual(k.default);
  });

  it('every default of defaultConfig() is documented', () => {
    const leaves: string[] = [];
    const walk = (v: unknown, p: string) => {
      if (v && typeof v === 'object' && !Array.isArray(v))
        for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
      else leaves.push(p);
    };
    const d = defaultConfig() as unknown as Record<string, unknown>;
    for (const k of ['checks', 'exceptions', 'probes']) expect(d[k], k).toEqual(k === 'exceptions' ? [] : {});
    walk({ ...d, checks: undefined, exceptions: undefined, probes: undefined }, '');
    const documented = new Set(plain.map((k) => k.path));
    expect(leaves.filter((p) => !['checks', 'exceptions', 'probes'].includes(p) && !documented.has(p))).toEqual([]);
  });

  const explicit = configKeys().filter((k) => k.default !== undefined && !hasPlaceholder(k.path));
  it.each(explicit.map((k) => [k.path, k] as const))('%s: setting the documented default changes nothing', (_p, k) => {
    const without = place(k.path, ABSENT, k.with ?? {});
    const withDefault = place(k.path, k.default, k.with ?? {});
    if (isProbeKey(k)) {
      const name = k.path.split('.')[1]!;
      const section = (doc: Record<string, unknown>) => (doc.probes as Record<string, unknown>)[name];
      expect(PARSERS[name]!(section(withDefault))).toEqual(PARSERS[name]!(section(without)));
    } else {
      expect(validateConfig(withDefault, ctx)).toEqual(validateConfig(without, ctx));
    }
  });
});

describe('environment variables', () => {
  const withEnv = configKeys().filter((k) => k.env);
  const documented = new Set([
    ...withEnv.map((k) => k.env!),
    ...ENVIRONMENT.map((e) => e.name),
    ...INTERNAL_ENVIRONMENT,
  ]);

  it.each(withEnv.map((k) => [k.env!, k] as const))('%s sets its key', (name, k) => {
    const value = exampleOf(k);
    const text = k.envExample ?? String(value);
    if (isProbeKey(k)) {
      const [, probe, key] = k.path.split('.') as [string, string, string];
      const parsed = declared(probe).parse({}, { rootIsHost: true, env: { [name]: text } });
      expect((parsed as Record<string, unknown>)[key]).toEqual(value);
    } else {
      expect(getPath(applyEnv(defaultConfig(), { [name]: text }), k.path)).toEqual(value);
    }
  });

  it('every variable the configuration code reads is documented', () => {
    const read = new Set<string>();
    const spy = new Proxy(
      {},
      {
        get: (_t, k) => {
          if (typeof k === 'string') read.add(k);
          return undefined;
        },
      },
    );
    loadConfig(undefined, ctx, spy);
    for (const p of PROBES) p.options?.parse({}, { rootIsHost: true, env: spy });
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((n) => !documented.has(n))).toEqual([]);
  });

  it('every variable the source reads is documented, and every documented one is read', () => {
    const inSource = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
          const text = readFileSync(p, 'utf8');
          for (const m of text.matchAll(
            /\benv\.([A-Z][A-Z0-9_]*)\b|\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]|_ENV = '([A-Z][A-Z0-9_]*)'/g,
          )) {
            inSource.add((m[1] ?? m[2] ?? m[3])!);
          }
          // A sink setting's variable (src/sinks/definition.ts), read through the sink registry.
          for (const m of text.matchAll(/\benv: '([A-Z][A-Z0-9_]*)'/g)) inSource.add(m[1]!);
        }
      }
    };
    walk(path.join(REPO, 'src'));
    walk(path.join(REPO, 'probes'));
    expect([...inSource].filter((n) => !documented.has(n)).sort(), 'read by the code, not documented').toEqual([]);
    expect([...documented].filter((n) => !inSource.has(n)).sort(), 'documented, read by nothing').toEqual([]);
  });
});

describe('command-line flags', () => {
  const flagged = configKeys().flatMap((k) => (k.flags ?? []).map((f) => [f, k.path] as const));
  it.each(flagged)("`hostward %s` (%s) is in the command's --help", (flag) => {
    const [command, name] = flag.split(' ') as [string, string];
    expect(flagsIn(helpOf(command))).toContain(name);
  });

  it('sections are in the rendered document in order', () => {
    const doc = readDoc('docs/configuration.md');
    const at = CONFIG_SECTIONS.map((s) => doc.indexOf(`\n## ${s.title}\n`));
    expect(at.every((x) => x > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });
});
