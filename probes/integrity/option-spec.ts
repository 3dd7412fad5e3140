/** The options of the integrity probe's section (`probes.integrity`), as documented, with the parser of options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_INTEGRITY_OPTIONS as D, parseIntegrityOptions } from './options.js';

export const INTEGRITY_OPTIONS = declareOptions({
  intro:
    'The file integrity baseline the probe compares with. `hostward integrity init|check|accept` does not read the ' +
    'configuration file: it takes `--db` (default `$HOSTWARD_STATE_DIR/integrity.db`), `--key-file` (or ' +
    '`HOSTWARD_INTEGRITY_KEY_FILE`), `--policy` and `--root` (or `HOSTWARD_ROOT`) itself, so give the command the ' +
    'values the agent uses, or the agent will not find or verify the baseline it writes.',
  parse: (c, ctx) => parseIntegrityOptions(c, ctx.env),
  keys: [
    {
      key: 'db',
      type: t.str("absolute path on the agent's file system"),
      description: 'The baseline; `$HOSTWARD_STATE_DIR/integrity.db` when that is set.',
      default: D.db,
      example: D.db,
    },
    {
      key: 'keyFile',
      type: t.str('absolute path'),
      description: 'HMAC key that signs the baseline (from a Secret).',
      env: 'HOSTWARD_INTEGRITY_KEY_FILE',
      example: '/etc/hostward/integrity/key',
    },
    {
      key: 'policy',
      type: t.str('absolute path'),
      description: 'A policy file; default: the built-in policy.',
      example: '/etc/hostward/integrity.yaml',
    },
    {
      key: 'rehashSlices',
      type: t.int(1, 1_000_000),
      description: 'Every file is re-read at least once every N checks, whatever stat says.',
      default: D.rehashSlices,
    },
    {
      key: 'trustCtime',
      type: t.bool,
      description: 'Use ctime in the stat fast path.',
      default: D.trustCtime,
      example: false,
    },
    {
      key: 'workers',
      type: t.int(1, 64),
      description: 'Hashing threads.',
      defaultText: 'the CPUs, at most 4',
      example: 2,
    },
    {
      key: 'maxEvidence',
      type: t.int(1, 1000),
      description: 'Changed paths listed in a finding.',
      default: D.maxEvidence,
    },
  ],
});
