/** The options of the updates probe's section (`probes.updates`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_UPDATES_OPTIONS, parseUpdatesOptions } from './options.js';

const MiB = 1024 * 1024;

export const UPDATES_OPTIONS = declareOptions({
  intro: 'Pending and security updates from the package databases (apt never runs).',
  parse: (c) => parseUpdatesOptions(c),
  keys: [
    {
      key: 'maxMetadataAgeDays',
      type: t.int(1, 365, 'days'),
      description: 'Package lists older than this fail `updates.metadata_fresh`.',
      default: DEFAULT_UPDATES_OPTIONS.maxMetadataAgeDays,
    },
    {
      key: 'allowedHolds',
      type: t.text('list of package names'),
      description: 'Held packages that are expected.',
      default: [...DEFAULT_UPDATES_OPTIONS.allowedHolds],
      example: ['kubelet'],
    },
    {
      key: 'maxListFileBytes',
      type: t.int(1024, 4 * 1024 * MiB, 'bytes'),
      description: 'Largest apt list file read (compressed).',
      default: DEFAULT_UPDATES_OPTIONS.maxListFileBytes,
    },
    {
      key: 'maxListBytes',
      // A decoded list becomes one JavaScript string, which V8 caps near 512 MiB.
      type: t.int(1024, 500 * MiB, 'bytes'),
      description: 'Largest apt list once decompressed.',
      default: DEFAULT_UPDATES_OPTIONS.maxListBytes,
    },
  ],
});
