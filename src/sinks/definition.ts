/**
 * What a kind of sink declares about itself, so that adding one is its own file plus one line in
 * registry.ts: its type name, the least severity it gets without a routing block, the names its simple
 * setup takes, the parser of a `collector.sinks` item of its type, its simple-setup keys under `collector`
 * with their environment variables, and its factories. The configuration loader, the routing defaults and
 * the collector's sink factory all read these through the registry and never name a kind of sink.
 */
import type { Sink } from '../collector/sink.js';
import type { Severity } from '../contracts.js';
import type { OptionType } from '../probe-options.js';
import type { Obj } from './keyed.js';

/** How the configuration reference (docs/configuration.md) documents a key; its tests hold the parser to it. */
export interface KeyDoc {
  type: OptionType;
  description: string;
  /** Required: true, or when (in words). */
  required?: true | string;
  /** A default that depends on something else, in words. */
  defaultText?: string;
  /** A value the parser accepts (the default when absent). */
  example?: unknown;
  /** The example as the environment variable carries it, when it is not String(example). */
  envExample?: string;
}

/** What every sink factory gets besides its own settings. */
export interface SinkEnvironment {
  cluster?: string;
  publicUrl?: string;
  /** The check's remediation from the catalogue (the text `hostward checks` prints). */
  remediation: (check: string) => string | undefined;
}

/** One simple-setup key under `collector`, with the environment variable that overrides the file. */
export interface Setting<T> {
  /** The variable; an empty value is ignored, as for every other variable. */
  readonly env?: string;
  /** Read the file's value; `key` is "collector.<key>". Problems are thrown as KeyedProblem. */
  parse(v: unknown, key: string): T;
  /** Read the variable's value; default: the value as it is. */
  fromEnv?(raw: string): T;
  readonly default?: T;
  readonly doc: KeyDoc;
}

export type Settings = Readonly<Record<string, Setting<unknown>>>;

type ValueOf<X> = X extends Setting<infer T> ? T : never;

/** The configuration fields a sink's settings give: keys with a default are always set. */
export type SettingsOf<S extends Settings> = {
  -readonly [K in keyof S as S[K] extends { default: unknown } ? K : never]: ValueOf<S[K]>;
} & {
  -readonly [K in keyof S as S[K] extends { default: unknown } ? never : K]?: ValueOf<S[K]>;
};

/** A setting without a default (absent until the file or the environment sets it). */
export const setting = <T>(s: Setting<T> & { default?: undefined }): Setting<T> & { default?: undefined } => s;
/** A setting that always has a value. */
export const defaulted = <T>(s: Setting<T> & { default: T }): Setting<T> & { default: T } => s;

/** The common part of every `collector.sinks` item. */
export interface NamedSink<Type extends string> {
  name: string;
  type: Type;
}

export interface SinkDefinition<
  Type extends string,
  Def extends NamedSink<Type>,
  S extends Settings,
  Names extends readonly string[] = readonly string[],
> {
  readonly type: Type;
  /** The least severity this kind gets when the configuration has no `routing` block. */
  readonly floor: Severity;
  /**
   * The names the simple setup gives its sinks of this kind, written here only: `simple` is handed them to name its
   * sinks, and they are the `sink` label of their series (hostward_alerts_failed_total{sink="slack"}), which
   * dashboards select on. Named sinks may not take them.
   */
  readonly simpleNames: Names;
  /** The keys of a `collector.sinks` item of this type besides name and type, as messages list them. */
  readonly keys: readonly (KeyDoc & { key: string; default?: unknown })[];
  /** A valid `collector.sinks` item of this type: the reference's example, and its tests' base. */
  readonly example: Obj & { type: Type };
  /** A `collector.sinks` item whose keys were checked against `keys`; `at` is "collector.sinks[i]". */
  parse(x: Obj, at: string, name: string): Def;
  readonly settings: S;
  /** The simple setup's sinks of this kind, named from `names` (simpleNames); none when its keys configure none. */
  simple(settings: SettingsOf<S>, env: SinkEnvironment, names: Names): Sink[];
  /** The sinks of one `collector.sinks` item (several for one with replicas). */
  create(def: Def, settings: SettingsOf<S>, env: SinkEnvironment, at: string): Sink[];
}

/** Type the definition of a sink kind (the generics are inferred from it). */
export const defineSink = <
  Type extends string,
  Def extends NamedSink<Type>,
  S extends Settings,
  const Names extends readonly string[],
>(
  d: SinkDefinition<Type, Def, S, Names>,
): SinkDefinition<Type, Def, S, Names> => d;
