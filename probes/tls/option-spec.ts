/** The options of the tls probe's section (`probes.tls`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_TLS_OPTIONS, parseTlsOptions } from './options.js';

const GLOBS = t.text('list of absolute host paths or globs');

export const TLS_OPTIONS = declareOptions({
  intro: 'Node certificates: expiry windows, key sizes, where else to look.',
  parse: (c) => parseTlsOptions(c),
  keys: [
    {
      key: 'warnDays',
      type: t.int(1, 3650, 'days'),
      description: 'A certificate expiring within this fails (medium).',
      default: DEFAULT_TLS_OPTIONS.warnDays,
    },
    {
      key: 'criticalDays',
      type: t.int(0, 3650, 'days'),
      description: 'Within this it fails critical; at most `warnDays`.',
      default: DEFAULT_TLS_OPTIONS.criticalDays,
      with: { warnDays: 3650 },
    },
    {
      key: 'minRsaBits',
      type: t.int(1024, 16384, 'bits'),
      description: 'Smallest acceptable RSA key.',
      default: DEFAULT_TLS_OPTIONS.minRsaBits,
    },
    {
      key: 'minEcBits',
      type: t.int(160, 521, 'bits'),
      description: 'Smallest acceptable EC key.',
      default: DEFAULT_TLS_OPTIONS.minEcBits,
    },
    {
      key: 'paths',
      type: GLOBS,
      description: 'More certificate files.',
      default: [...DEFAULT_TLS_OPTIONS.paths],
      example: ['/etc/myapp/*.crt'],
    },
    {
      key: 'kubeconfigs',
      type: GLOBS,
      description: 'More kubeconfigs with embedded certificates.',
      default: [...DEFAULT_TLS_OPTIONS.kubeconfigs],
      example: ['/etc/kubernetes/*.conf'],
    },
    {
      key: 'exclude',
      type: GLOBS,
      description: 'Certificates not to judge.',
      default: [...DEFAULT_TLS_OPTIONS.exclude],
      example: ['/etc/ssl/certs/*'],
    },
  ],
});
