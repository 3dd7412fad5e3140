/** The options of the ports probe's section (`probes.ports`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_PORTS_OPTIONS as D, parsePortsOptions } from './options.js';

export const PORTS_OPTIONS = declareOptions({
  intro:
    "Listening sockets against an allow-list, and in the agent a bounded connect scan of the node's own addresses " +
    'and of the cloud metadata endpoint. Port ranges are written `22/tcp` or `51820-51821/udp`.',
  parse: (c) => parsePortsOptions(c),
  keys: [
    {
      key: 'allowList',
      type: t.text('list of port ranges'),
      description: "Listeners beyond loopback that are expected (replaces the default: a Kubernetes worker's).",
      default: [...D.allowList],
      example: ['22/tcp'],
    },
    {
      key: 'extraAllowList',
      type: t.text('list of port ranges'),
      description: 'Added to `allowList` (e.g. `9100/tcp` for node-exporter).',
      default: [...D.extraAllowList],
      example: ['9100/tcp'],
    },
    {
      key: 'reachability',
      type: t.text('`auto`, `true` or `false`'),
      description: "Connect scan of the node's own addresses; `auto`: in the agent only.",
      default: D.reachability,
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
      default: D.nodePortRange,
      example: '30000-32000',
    },
    {
      key: 'allowNodePorts',
      type: t.bool,
      description: 'Reachable ports in `nodePortRange` are Services, expected; false makes them findings.',
      default: D.allowNodePorts,
      example: false,
    },
    {
      key: 'scanRatePerSecond',
      type: t.int(1, 10000),
      description: 'Connection attempts per second, at most.',
      default: D.scanRatePerSecond,
    },
    {
      key: 'scanConcurrency',
      type: t.int(1, 512),
      description: 'Connection attempts in flight, at most.',
      default: D.scanConcurrency,
    },
    {
      key: 'connectTimeoutMs',
      type: t.int(10, 10000, 'ms'),
      description: 'Per connection attempt.',
      default: D.connectTimeoutMs,
    },
    {
      key: 'scanBudgetSeconds',
      type: t.int(1, 300, 'seconds'),
      description: "The whole reachability scan's deadline.",
      default: D.scanBudgetSeconds,
    },
    {
      key: 'maxScanTargets',
      type: t.int(1, 64),
      description: 'Addresses scanned, at most.',
      default: D.maxScanTargets,
    },
    {
      key: 'metadataCheck',
      type: t.text('`auto`, `true` or `false`'),
      description:
        'Whether `ports.metadata_reachable` connects to the metadata address; `auto`: in an agent inside a pod.',
      default: D.metadataCheck,
      example: false,
    },
    {
      key: 'metadataAddress',
      type: t.str('IP address'),
      description: 'The cloud metadata endpoint.',
      default: D.metadataAddress,
      example: 'fd00:ec2::254',
    },
    { key: 'metadataPort', type: t.int(1, 65535), description: 'Its port.', default: D.metadataPort },
    {
      key: 'metadataTimeoutMs',
      type: t.int(10, 10000, 'ms'),
      description: 'Its connect timeout.',
      default: D.metadataTimeoutMs,
    },
    {
      key: 'procNetFallback',
      type: t.bool,
      description:
        "With a root other than `/` and no `<root>/proc/1/net`, read hostward's own `/proc/net` (host network).",
      default: D.procNetFallback,
      example: false,
    },
    {
      key: 'allowedPublicAddresses',
      type: t.text('list of IP addresses'),
      description: 'Public addresses meant to be on the node (an edge node).',
      default: [...D.allowedPublicAddresses],
      example: ['203.0.113.7'],
    },
    {
      key: 'maxProcesses',
      type: t.int(1, 1_000_000),
      description: 'Processes read to find socket owners, at most.',
      default: D.maxProcesses,
    },
  ],
});
