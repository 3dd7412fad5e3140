/**
 * Small validators for a probe's configuration section (`probes.<name>`). Problems are thrown as
 * "key: problem", which the config loader turns into "probes.<name>.key: problem" (exit 2).
 */

export function optionProblem(key: string, problem: string): never {
  throw new Error(`${key}: ${problem}`);
}

/** The section as a mapping, refusing keys not in `keys` (a typo must not silently do nothing). */
export function optionSection(raw: unknown, keys: readonly string[]): Record<string, unknown> {
  const c = (raw ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) optionProblem('(section)', 'must be a mapping');
  for (const k of Object.keys(c))
    if (!keys.includes(k)) optionProblem(k, `unknown key (expected one of: ${keys.join(', ')})`);
  return c;
}

/** An integer option within [min, max], or `dflt` when absent. */
export function optionInt(c: Record<string, unknown>, key: string, min: number, max: number, dflt: number): number {
  const v = c[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    optionProblem(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** validateConfig of a probe that takes no options: any key is refused (a typo must not silently do nothing). */
export function noOptions(probe: string): (raw: unknown) => string | undefined {
  return (raw) => {
    const empty =
      raw === undefined ||
      raw === null ||
      (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0);
    return empty ? undefined : `probes.${probe} takes no options`;
  };
}
