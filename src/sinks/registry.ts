/**
 * Every kind of sink, one line each. The sink type union, the reserved names, the parser of
 * `collector.sinks`, the simple setup's keys and environment variables, the routing floors, the collector's
 * factory and the configuration reference all derive from this list: adding a sink is its file (exporting a
 * definition, see definition.ts) and one entry here, its import and its line. The order is the order messages
 * and the documentation list the types in, and the order the simple setup's sinks are created in.
 */
import { severityRank } from '../contracts.js';
import type { Severity } from '../contracts.js';
import { alertmanagerDefinition } from './alertmanager.js';
import type { Sink } from '../collector/sink.js';
import type { Setting, SettingsOf, SinkDefinition, SinkEnvironment, Settings } from './definition.js';
import { fileDefinition } from './file.js';
import { allow, isObj, KeyedProblem, str } from './keyed.js';
import type { Obj } from './keyed.js';
import { pagerdutyDefinition } from './pagerduty.js';
import { slackDefinition } from './slack.js';
import { webhookDefinition } from './webhook.js';

export const SINK_DEFINITIONS = [
  slackDefinition,
  pagerdutyDefinition,
  alertmanagerDefinition,
  webhookDefinition,
  fileDefinition,
] as const;

type Registered = (typeof SINK_DEFINITIONS)[number];

export type SinkType = Registered['type'];
/** An item of `collector.sinks`, as its type's parser returns it. */
export type SinkDef = ReturnType<Registered['parse']>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type SettingsOfEach<D> = D extends Registered ? SettingsOf<D['settings']> : never;
/** The simple setup's fields of the collector's configuration, every sink's together. */
export type SinkSettings = UnionToIntersection<SettingsOfEach<Registered>>;

/** A definition as the code that handles every kind alike sees it (each reads only its own fields). */
export interface AnySinkDefinition extends Omit<SinkDefinition<SinkType, SinkDef, Settings>, 'simple' | 'create'> {
  simple(settings: SinkSettings, env: SinkEnvironment, names: readonly string[]): Sink[];
  create(def: SinkDef, settings: SinkSettings, env: SinkEnvironment, at: string): Sink[];
}
const DEFINITIONS = SINK_DEFINITIONS as readonly unknown[] as readonly AnySinkDefinition[];

export const SINK_TYPES: readonly SinkType[] = SINK_DEFINITIONS.map((d) => d.type);

/** Names the simple setup uses (collector.slackWebhookUrlFile → "slack", ...); named sinks may not reuse them. */
export const RESERVED_SINK_NAMES: readonly string[] = DEFINITIONS.flatMap((d) => d.simpleNames);

/** The least severity each kind of sink gets without a routing block (see routing.ts), strictest first. */
export const DEFAULT_FLOORS: Readonly<Record<SinkType, Severity>> = Object.fromEntries(
  [...SINK_DEFINITIONS].sort((a, b) => severityRank(a.floor) - severityRank(b.floor)).map((d) => [d.type, d.floor]),
) as Record<SinkType, Severity>;

/** The floor of a kind of sink; undefined for none (a sink not listed gets every group). */
export function floorOf(type: string | undefined): Severity | undefined {
  return DEFINITIONS.find((d) => d.type === type)?.floor;
}

export function sinkDefinition(type: SinkType): AnySinkDefinition {
  return DEFINITIONS.find((d) => d.type === type)!;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** One item of `collector.sinks`: its name, its type, then the keys its type's parser reads. */
function parseSinkDef(x: unknown, key: string, seen: Set<string>): SinkDef {
  if (!isObj(x)) throw new KeyedProblem(key, 'must be a mapping with name and type');
  const name = str(x.name, `${key}.name`);
  if (!NAME_RE.test(name))
    throw new KeyedProblem(
      `${key}.name`,
      `${JSON.stringify(name)} must start with a letter and hold only letters, digits, _ and - (at most 63)`,
    );
  if (RESERVED_SINK_NAMES.includes(name))
    throw new KeyedProblem(`${key}.name`, `"${name}" is the name of the simple setup's sink; choose another`);
  if (seen.has(name)) throw new KeyedProblem(`${key}.name`, `a second sink named "${name}"`);
  seen.add(name);
  const d = DEFINITIONS.find((def) => def.type === x.type);
  if (!d)
    throw new KeyedProblem(`${key}.type`, `must be one of ${SINK_TYPES.join(', ')}, got ${JSON.stringify(x.type)}`);
  allow(x, key, ['name', 'type', ...d.keys.map((k) => k.key)]);
  return d.parse(x, key, name);
}

/** `collector.sinks`: the named sinks. */
export function parseSinkDefs(raw: unknown, at: string): SinkDef[] {
  if (!Array.isArray(raw)) throw new KeyedProblem(at, 'must be a list of sinks');
  const seen = new Set<string>();
  return raw.map((x, i) => parseSinkDef(x, `${at}[${i}]`, seen));
}

/** The simple setup's keys under `collector`, every sink's, in registry order. */
export const SINK_SETTINGS: readonly { key: string; setting: Setting<unknown> }[] = DEFINITIONS.flatMap((d) =>
  Object.entries(d.settings).map(([key, setting]) => ({ key, setting })),
);
export const SINK_SETTING_KEYS: readonly string[] = SINK_SETTINGS.map((s) => s.key);

/** The simple setup's defaults (the keys that always have a value). */
export function sinkSettingDefaults(): SinkSettings {
  const out: Obj = {};
  for (const { key, setting } of SINK_SETTINGS) if (setting.default !== undefined) out[key] = setting.default;
  return out as SinkSettings;
}

/** Read the simple setup's keys of the `collector` mapping `c` into `target`; problems as KeyedProblem. */
export function applySinkSettings(target: SinkSettings, c: Obj, at: string): void {
  const t = target as Obj;
  for (const { key, setting } of SINK_SETTINGS)
    if (c[key] !== undefined) t[key] = setting.parse(c[key], `${at}.${key}`);
}

/** The environment variables of the simple setup; each overrides its key (an empty variable is ignored). */
export function applySinkEnv(target: SinkSettings, env: NodeJS.ProcessEnv): void {
  const t = target as Obj;
  for (const { key, setting } of SINK_SETTINGS) {
    const raw = setting.env === undefined ? undefined : env[setting.env];
    if (raw) t[key] = setting.fromEnv ? setting.fromEnv(raw) : raw;
  }
}
