/** The options of the files probe's section (`probes.files`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_FILES_OPTIONS, WALK_BUDGET_MS, parseFilesOptions } from './options.js';

export const FILES_OPTIONS = declareOptions({
  intro: 'The file-system walk behind the world-writable, unowned and SUID/SGID checks.',
  parse: (c) => parseFilesOptions(c),
  keys: [
    {
      key: 'walk',
      type: t.bool,
      description: "Walk the host's file systems; false: the walk's checks are skipped.",
      default: DEFAULT_FILES_OPTIONS.walk,
      example: false,
    },
    {
      key: 'walkMaxEntries',
      type: t.int(1, 100_000_000),
      description: 'Entries examined at most.',
      default: DEFAULT_FILES_OPTIONS.walkMaxEntries,
    },
    {
      key: 'walkBudgetMs',
      type: t.int(1, 3_600_000, 'ms'),
      description: 'Time the walk may take (within `scan.probeTimeoutSeconds`).',
      defaultText: `${WALK_BUDGET_MS.scan} in a one-off scan, ${WALK_BUDGET_MS.agent} in the agent`,
      example: 1000,
    },
    {
      key: 'allowSetid',
      type: t.text('list of absolute host paths'),
      description: "SUID/SGID files accepted beyond the distribution's own.",
      default: [...DEFAULT_FILES_OPTIONS.allowSetid],
      example: ['/usr/bin/fusermount3'],
    },
  ],
});
