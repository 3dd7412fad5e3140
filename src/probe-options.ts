/**
 * A probe's configuration section (`probes.<name>`): the options it declares (key, type, default, description,
 * documented in docs/configuration.md from these declarations) and the one parser that validates the section and
 * fills its defaults. A problem is an OptionError naming the key inside the section; the config loader turns it
 * into a ConfigError naming `probes.<name>.<key>` (exit 2), by its type and key, never by reading the message.
 */

/** What a key holds, as the configuration reference documents it. */
export type OptionType =
  | { kind: 'string'; what?: string }
  | { kind: 'integer'; min: number; max: number; unit?: string }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  /** Anything else, described in words (lists, mappings, unions). */
  | { kind: 'text'; text: string };

/** One option of a probe's section, as documented. */
export interface OptionSpec {
  /** Its path inside the section: `maxAuthTries`, `exclude.podUids`; `<…>` stands for a key that is a name. */
  key: string;
  type: OptionType;
  /** The value in force when the key is absent, as written in YAML; the tests hold the parser to it. */
  default?: unknown;
  /** A default that depends on something else (the root, the mode, another key), in words. */
  defaultText?: string;
  /** The environment variable that sets the key when the file does not. */
  env?: string;
  /** A value the parser accepts (the default when absent). */
  example?: unknown;
  /** Sibling keys the example needs to be valid (criticalDays must not exceed warnDays). */
  with?: Readonly<Record<string, unknown>>;
  description: string;
}

/** What a parser may depend on besides the section. */
export interface OptionContext {
  /** The scan reads this machine (the root is "/"): defaults that only make sense there apply. */
  rootIsHost: boolean;
  /** The environment, for options that an environment variable sets too. */
  env: NodeJS.ProcessEnv;
}

/** A probe's declared options: the documentation of its section and the parser of it. */
export interface ProbeOptions<O = unknown> {
  /** The section's introduction in docs/configuration.md (Markdown, a sentence or two). */
  intro: string;
  keys: readonly OptionSpec[];
  /** Values the documentation tests put where a key says `<…>`, by placeholder. */
  placeholders?: Readonly<Record<string, string>>;
  /** Validate the section and fill its defaults; throws OptionError on the first problem. */
  parse(raw: unknown, ctx: OptionContext): O;
}

/** Where a declared section keeps its keys' declarations (a symbol: never a key of the YAML mapping). */
const DECLARED: unique symbol = Symbol('declared options');

/**
 * A section as its parser is given it: a mapping that holds declared keys only (the keys of `keys`, and of a nested
 * mapping such as `exclude.podUids`), carrying their declarations, so that the parser's helpers (optionInt) take a
 * key's bounds from there and no probe writes its keys, or their bounds, a second time.
 */
export type DeclaredSection = Record<string, unknown> & { readonly [DECLARED]: ReadonlyMap<string, OptionSpec> };

/** What a probe writes: the documentation of its section and the parser of the declared section. */
export interface OptionDeclaration<O> extends Omit<ProbeOptions<O>, 'parse'> {
  parse(section: DeclaredSection, ctx: OptionContext): O;
}

/** A problem with one key of a probe's section; `key` is relative to the section, `(section)` for all of it. */
export class OptionError extends Error {
  readonly code = 'HOSTWARD_PROBE_OPTION_INVALID';
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}

export function optionProblem(key: string, problem: string): never {
  throw new OptionError(key, problem);
}

/** Define a probe's options with the parsed type inferred; unknown keys are refused from `keys` before `parse`. */
export function declareOptions<O>(o: OptionDeclaration<O>): ProbeOptions<O> {
  const tree = keyTree(o.keys);
  const specs = new Map(o.keys.map((k) => [k.key, k]));
  return { ...o, parse: (raw, ctx) => o.parse({ ...declaredSection(raw, tree), [DECLARED]: specs }, ctx) };
}

/** The declared keys by their first segment, with the names under it (`exclude` -> podUids, pods, ...). */
function keyTree(keys: readonly OptionSpec[]): Map<string, string[]> {
  const tree = new Map<string, string[]>();
  for (const { key } of keys) {
    const [top, ...rest] = key.split('.') as [string, ...string[]];
    const names = tree.get(top) ?? [];
    if (rest.length > 0) names.push(rest.join('.'));
    tree.set(top, names);
  }
  return tree;
}

/** The section, refusing keys not declared; a mapping keyed by names (`expect.<sysctl check id>`) is the probe's. */
function declaredSection(raw: unknown, tree: ReadonlyMap<string, readonly string[]>): Record<string, unknown> {
  const c = optionSection(raw, [...tree.keys()]);
  for (const [top, names] of tree) {
    const v = c[top];
    if (names.length === 0 || names.some((n) => n.startsWith('<')) || v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) optionProblem(top, `must be a mapping with ${names.join(', ')}`);
    for (const k of Object.keys(v))
      if (!names.includes(k)) optionProblem(`${top}.${k}`, `unknown key (expected one of: ${names.join(', ')})`);
  }
  return c;
}

/** Where a problem of probe `name`'s section is in the whole configuration: `probes.<name>.<key>`. */
export function optionErrorKey(name: string, e: OptionError): string {
  return e.key === '(section)' ? `probes.${name}` : `probes.${name}.${e.key}`;
}

/** Constructors of option types, so that declarations read as a table. */
export const optionType = {
  int: (min: number, max: number, unit?: string): OptionType => ({
    kind: 'integer',
    min,
    max,
    ...(unit ? { unit } : {}),
  }),
  str: (what?: string): OptionType => ({ kind: 'string', ...(what ? { what } : {}) }),
  bool: { kind: 'boolean' } as OptionType,
  oneOf: (values: readonly string[]): OptionType => ({ kind: 'enum', values }),
  text: (text: string): OptionType => ({ kind: 'text', text }),
} as const;

/** The section as a mapping, refusing keys not in `keys` (a typo must not silently do nothing). */
export function optionSection(raw: unknown, keys: readonly string[]): Record<string, unknown> {
  const c = (raw ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) optionProblem('(section)', 'must be a mapping');
  for (const k of Object.keys(c))
    if (!keys.includes(k)) optionProblem(k, `unknown key (expected one of: ${keys.join(', ')})`);
  return c;
}

/** An integer option within the bounds its declaration gives (`optionType.int(min, max)`), or `dflt` when absent. */
export function optionInt(c: DeclaredSection, key: string, dflt: number): number;
export function optionInt(c: DeclaredSection, key: string): number | undefined;
export function optionInt(c: DeclaredSection, key: string, dflt?: number): number | undefined {
  const { min, max } = declaredType(c, key, 'integer');
  const v = c[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    optionProblem(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A boolean key's value, `dflt` when it is absent; every probe's boolean keys say the same thing when wrong. */
export function optionBool(c: DeclaredSection, key: string, dflt: boolean): boolean;
export function optionBool(c: DeclaredSection, key: string): boolean | undefined;
export function optionBool(c: DeclaredSection, key: string, dflt?: boolean): boolean | undefined {
  declaredType(c, key, 'boolean');
  const v = c[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') optionProblem(key, `must be true or false, got ${shown(v)}`);
  return v;
}

/** A wrong value as a message shows it: JSON, cut at 60 characters (a huge value would flood the log). */
export function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/** The declared type of `key`, which must be of `kind`: a parser reading a key as another type is a bug. */
function declaredType<K extends OptionType['kind']>(
  c: DeclaredSection,
  key: string,
  kind: K,
): Extract<OptionType, { kind: K }> {
  const type = c[DECLARED].get(key)?.type;
  if (type?.kind !== kind) throw new Error(`option ${key} is not declared as ${kind}`);
  return type as Extract<OptionType, { kind: K }>;
}
