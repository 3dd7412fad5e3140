/** The tls probe's configuration section (`probes.tls` in the YAML), validated with messages naming the key. */
import { optionProblem, optionInt } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import type { TlsOptions } from './types.js';

export const DEFAULT_TLS_OPTIONS: Readonly<TlsOptions> = Object.freeze({
  warnDays: 30,
  criticalDays: 7,
  minRsaBits: 2048,
  minEcBits: 256,
  paths: [],
  kubeconfigs: [],
  exclude: [],
});

function paths(c: Record<string, unknown>, key: string): string[] {
  const v = c[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !p.startsWith('/') || p.includes('\0')))
    optionProblem(key, 'must be a list of absolute host paths or globs');
  return [...(v as string[])];
}

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parseTlsOptions(c: DeclaredSection): TlsOptions {
  const warnDays = optionInt(c, 'warnDays', DEFAULT_TLS_OPTIONS.warnDays);
  const criticalDays = optionInt(c, 'criticalDays', Math.min(DEFAULT_TLS_OPTIONS.criticalDays, warnDays));
  if (criticalDays > warnDays)
    optionProblem('criticalDays', `must not exceed warnDays (${warnDays}), got ${criticalDays}`);
  return {
    warnDays,
    criticalDays,
    minRsaBits: optionInt(c, 'minRsaBits', DEFAULT_TLS_OPTIONS.minRsaBits),
    minEcBits: optionInt(c, 'minEcBits', DEFAULT_TLS_OPTIONS.minEcBits),
    paths: paths(c, 'paths'),
    kubeconfigs: paths(c, 'kubeconfigs'),
    exclude: paths(c, 'exclude'),
  };
}
