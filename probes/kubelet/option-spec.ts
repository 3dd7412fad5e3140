/** The options of the kubelet probe's section (`probes.kubelet`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_KUBELET_OPTIONS as D, parseKubeletOptions } from './options.js';

export const KUBELET_OPTIONS = declareOptions({
  intro: "The kubelet's effective configuration against CIS Kubernetes §4.",
  parse: (c) => parseKubeletOptions(c),
  keys: [
    {
      key: 'minEventRecordQPS',
      type: t.int(0, 1_000_000),
      description: '`eventRecordQPS` must be 0 (unlimited) or at least this.',
      default: D.minEventRecordQPS,
    },
    {
      key: 'strongCipherSuites',
      type: t.text('list of cipher suite names (TLS_…)'),
      description: 'Suites `tlsCipherSuites` may name (CIS 4.2.12).',
      default: [...D.strongCipherSuites],
      example: ['TLS_AES_128_GCM_SHA256'],
    },
    {
      key: 'maxProcesses',
      type: t.int(1, 10_000_000),
      description: 'Processes read looking for the kubelet and kube-proxy, at most.',
      default: D.maxProcesses,
    },
  ],
});
