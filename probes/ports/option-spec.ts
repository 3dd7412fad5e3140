/** The options of the ports probe's section (`probes.ports`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_ALLOW_LIST, parsePortsOptions } from './options.js';

export const PORTS_OPTIONS = declareOptions({
  intro:
    "Listening sockets against an allow-list, and in the agent a bounded connect scan of the node's own addresses " +
    'and of the cloud metadata endpoint. Port ranges are written `22/tcp` or `51820-51821/udp`.',
  parse: (raw) => parsePortsOptions(raw),
  keys: [
    {
      key: 'allowList',
      type: t.text('list of port ranges'),
      description: "Listeners beyond loopback that are expected (replaces the default: a Kubernetes worker's).",
      default: [...DEFAULT_ALLOW_LIST],
      example: ['22/tcp'],
    },
    {
      key: 'extraAllowList',
      type: t.text('list of port ranges'),
      description: 'Added to `allowList` (e.g. `9100/tcp` for node-exporter).',
      default: [],
      example: ['9100/tcp'],
    },
    {
      key: 'reachability',
      type: t.text('`auto`, `true` or `false`'),
      description: "Connect scan of the node's own addresses; `auto`: in the agent only.",
      default: 'auto',
      example: false,
    },
    {
      key: 'reachabilityTargets',
      type: t.text('list of IP addresses'),
      description: "Addresses to scan (only this host's are ever used).",
      defaultText: "the node's own addresses",
      example: ['10.0.0.5'],
    },
    {
      key: 'nodePortRange',
      type: t.str('FROM-TO'),
      description: "The cluster's NodePort range.",
      default: '30000-32767',
      example: '30000-32000',
    },
    {
      key: 'allowNodePorts',
      type: t.bool,
      description: 'Reachable ports in `nodePortRange` are Services, expected; false makes them findings.',
      default: true,
      example: false,
    },
    {
      key: 'scanRatePerSecond',
      type: t.int(1, 10000),
      description: 'Connection attempts per second, at most.',
      default: 2000,
    },
    {
      key: 'scanConcurrency',
      type: t.int(1, 512),
      description: 'Connection attempts in flight, at most.',
      default: 64,
    },
    { key: 'connectTimeoutMs', type: t.int(10, 10000, 'ms'), description: 'Per connection attempt.', default: 300 },
    {
      key: 'scanBudgetSeconds',
      type: t.int(1, 300, 'seconds'),
      description: "The whole reachability scan's deadline.",
      default: 10,
    },
    { key: 'maxScanTargets', type: t.int(1, 64), description: 'Addresses scanned, at most.', default: 4 },
    {
      key: 'metadataCheck',
      type: t.text('`auto`, `true` or `false`'),
      description:
        'Whether `ports.metadata_reachable` connects to the metadata address; `auto`: in an agent inside a pod.',
      default: 'auto',
      example: false,
    },
    {
      key: 'metadataAddress',
      type: t.str('IP address'),
      description: 'The cloud metadata endpoint.',
      default: '169.254.169.254',
      example: 'fd00:ec2::254',
    },
    { key: 'metadataPort', type: t.int(1, 65535), description: 'Its port.', default: 80 },
    { key: 'metadataTimeoutMs', type: t.int(10, 10000, 'ms'), description: 'Its connect timeout.', default: 1000 },
    {
      key: 'procNetFallback',
      type: t.bool,
      description:
        "With a root other than `/` and no `<root>/proc/1/net`, read hostward's own `/proc/net` (host network).",
      default: true,
      example: false,
    },
    {
      key: 'allowedPublicAddresses',
      type: t.text('list of IP addresses'),
      description: 'Public addresses meant to be on the node (an edge node).',
      default: [],
      example: ['203.0.113.7'],
    },
    {
      key: 'maxProcesses',
      type: t.int(1, 1_000_000),
      description: 'Processes read to find socket owners, at most.',
      default: 100_000,
    },
  ],
});
