/** The options of the seccomp probe's section (`probes.seccomp`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_SECCOMP_OPTIONS as D, parseSeccompOptions } from './options.js';

const POD_UID = '0b0f5c1e-1d2a-4c3b-9f8e-7d6c5b4a3f21';

export const SECCOMP_OPTIONS = declareOptions({
  intro: 'Which running containers are judged, and which capabilities count as dangerous.',
  parse: (c) => parseSeccompOptions(c),
  keys: [
    {
      key: 'exclude.podUids',
      type: t.text('list of pod uids'),
      description: 'Pods left out (always decidable: the uid is in every cgroup path).',
      default: [],
      example: [POD_UID],
    },
    {
      key: 'exclude.pods',
      type: t.text('list of `namespace/name` globs'),
      description: 'Pods left out where the host shows names.',
      default: [],
      example: ['kube-system/*'],
    },
    {
      key: 'exclude.containerIds',
      type: t.text('list of 64-hex container ids'),
      description: 'Containers left out.',
      default: [],
      example: ['a'.repeat(64)],
    },
    {
      key: 'selfContainerId',
      type: t.str('64-hex container id'),
      description: "The agent's own container.",
      defaultText: 'detected from `/proc/self/cgroup`',
      example: 'b'.repeat(64),
    },
    {
      key: 'selfPodUid',
      type: t.str('pod uid'),
      description: "The agent's own pod.",
      defaultText: 'detected',
      example: POD_UID,
    },
    {
      key: 'maxListed',
      type: t.int(1, 1000),
      description: 'Containers named in a finding, at most.',
      default: D.maxListed,
    },
    {
      key: 'maxProcesses',
      type: t.int(1, 10_000_000),
      description: 'Processes read, at most.',
      default: D.maxProcesses,
    },
    {
      key: 'dangerousCapabilities',
      type: t.text('list of capability names'),
      description: 'Capabilities a container is flagged for (replaces the default).',
      default: [...D.dangerousCapabilities],
      example: ['SYS_ADMIN'],
    },
  ],
});
