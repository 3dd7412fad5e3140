/**
 * Parsing helpers for sink settings. A problem is thrown as KeyedProblem naming the exact key
 * ("collector.sinks[2].urlFile"); the configuration loader turns it into a ConfigError with its source.
 * Free of imports, so that every sink file and the loader can use it without an import cycle.
 */
export class KeyedProblem extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuse keys of `o` outside `keys`. */
export function allow(o: Obj, at: string, keys: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) throw new KeyedProblem(`${at}.${k}`, `unknown key (expected one of: ${keys.join(', ')})`);
}

/** A string with something besides white space (items of `collector.sinks` and `collector.routing`). */
export function str(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new KeyedProblem(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** A string of at least one character (the simple setup's keys, read as the rest of `collector` is). */
export function nonEmpty(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new KeyedProblem(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** A string or a list of strings, as a non-empty list. */
export function strList(v: unknown, key: string): string[] {
  if (typeof v === 'string') return [str(v, key)];
  if (!Array.isArray(v) || v.length === 0)
    throw new KeyedProblem(key, 'must be a string or a non-empty list of strings');
  return v.map((x, i) => str(x, `${key}[${i}]`));
}

export function bool(v: unknown, key: string): boolean {
  if (typeof v !== 'boolean') throw new KeyedProblem(key, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
