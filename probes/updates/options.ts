/** The updates probe's configuration section (`probes.updates`), validated with messages naming the key. */
import type { UpdatesOptions } from './types.js';

export const DEFAULT_UPDATES_OPTIONS: Readonly<UpdatesOptions> = Object.freeze({
  maxMetadataAgeDays: 8,
  allowedHolds: ['kubelet', 'kubeadm', 'kubectl'],
  maxListFileBytes: 256 * 1024 * 1024,
  maxListBytes: 256 * 1024 * 1024,
});

const KEYS = ['maxMetadataAgeDays', 'allowedHolds', 'maxListFileBytes', 'maxListBytes'];

function bad(key: string, problem: string): never {
  throw new Error(`${key}: ${problem}`);
}

function int(c: Record<string, unknown>, key: string, min: number, max: number, dflt: number): number {
  const v = c[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

export function parseUpdatesOptions(raw: unknown): UpdatesOptions {
  const c = (raw ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) bad('(section)', 'must be a mapping');
  for (const k of Object.keys(c)) if (!KEYS.includes(k)) bad(k, `unknown key (expected one of: ${KEYS.join(', ')})`);
  const o: UpdatesOptions = { ...DEFAULT_UPDATES_OPTIONS, allowedHolds: [...DEFAULT_UPDATES_OPTIONS.allowedHolds] };
  o.maxMetadataAgeDays = int(c, 'maxMetadataAgeDays', 1, 365, o.maxMetadataAgeDays);
  o.maxListFileBytes = int(c, 'maxListFileBytes', 1024, 4 * 1024 * 1024 * 1024, o.maxListFileBytes);
  // A decoded list becomes one JavaScript string, which V8 caps near 512 MiB.
  o.maxListBytes = int(c, 'maxListBytes', 1024, 500 * 1024 * 1024, o.maxListBytes);
  if (c.allowedHolds !== undefined) {
    if (!Array.isArray(c.allowedHolds) || c.allowedHolds.some((v) => typeof v !== 'string' || !/^[a-z0-9][a-z0-9+.-]*$/.test(v))) {
      bad('allowedHolds', 'must be a list of package names');
    }
    o.allowedHolds = c.allowedHolds as string[];
  }
  return o;
}
