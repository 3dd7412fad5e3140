/** The updates probe's configuration section (`probes.updates`), validated with messages naming the key. */
import { optionProblem, optionInt } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import type { UpdatesOptions } from './types.js';

export const DEFAULT_UPDATES_OPTIONS: Readonly<UpdatesOptions> = Object.freeze({
  maxMetadataAgeDays: 8,
  allowedHolds: ['kubelet', 'kubeadm', 'kubectl'],
  maxListFileBytes: 256 * 1024 * 1024,
  maxListBytes: 256 * 1024 * 1024,
});

/** Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. */
export function parseUpdatesOptions(c: DeclaredSection): UpdatesOptions {
  const o: UpdatesOptions = { ...DEFAULT_UPDATES_OPTIONS, allowedHolds: [...DEFAULT_UPDATES_OPTIONS.allowedHolds] };
  o.maxMetadataAgeDays = optionInt(c, 'maxMetadataAgeDays', o.maxMetadataAgeDays);
  o.maxListFileBytes = optionInt(c, 'maxListFileBytes', o.maxListFileBytes);
  o.maxListBytes = optionInt(c, 'maxListBytes', o.maxListBytes);
  if (c.allowedHolds !== undefined) {
    if (
      !Array.isArray(c.allowedHolds) ||
      c.allowedHolds.some((v) => typeof v !== 'string' || !/^[a-z0-9][a-z0-9+.-]*$/.test(v))
    ) {
      optionProblem('allowedHolds', 'must be a list of package names');
    }
    o.allowedHolds = c.allowedHolds as string[];
  }
  return o;
}
