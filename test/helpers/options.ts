import type { OptionContext, Probe, ProbeOptions } from '../../src/sdk.js';

/**
 * What the configuration loader would say of a probe's section: the declared parser's problem as "key: problem",
 * or undefined when the section is valid (it throws for a probe that declares none).
 */
export function optionsProblem(probe: Probe<unknown>, raw: unknown): string | undefined {
  if (!probe.options) throw new Error(`${probe.name} declares no options`);
  try {
    probe.options.parse(raw, { rootIsHost: true, env: {} });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A section as the scan parses it: the declared parser, unknown keys refused, with this root and environment. */
export function parsedOptions<O>(options: ProbeOptions<O>, raw: unknown, ctx: Partial<OptionContext> = {}): O {
  return options.parse(raw, { rootIsHost: true, env: {}, ...ctx });
}
