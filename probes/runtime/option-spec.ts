/** The options of the runtime probe's section (`probes.runtime`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { parseRuntimeOptions } from './options.js';

const PATH = t.str('absolute host path');

export const RUNTIME_OPTIONS = declareOptions({
  intro: 'Configuration files of the container runtimes, when no running daemon names its own.',
  parse: (c) => parseRuntimeOptions(c),
  keys: [
    {
      key: 'dockerConfigFile',
      type: PATH,
      description: "Docker's daemon.json.",
      defaultText: '`/etc/docker/daemon.json`',
      example: '/etc/docker/daemon.json',
    },
    {
      key: 'containerdConfig',
      type: PATH,
      description: "containerd's config.toml.",
      defaultText: '`/etc/containerd/config.toml`',
      example: '/etc/containerd/config.toml',
    },
    {
      key: 'crioConfig',
      type: PATH,
      description: "CRI-O's crio.conf.",
      defaultText: '`/etc/crio/crio.conf`',
      example: '/etc/crio/crio.conf',
    },
    {
      key: 'crioConfigDir',
      type: PATH,
      description: "CRI-O's drop-in directory.",
      defaultText: '`/etc/crio/crio.conf.d`',
      example: '/etc/crio/crio.conf.d',
    },
    {
      key: 'kubeletConfig',
      type: PATH,
      description: "The kubelet's config.yaml, for the cgroup driver comparison.",
      defaultText: "the running kubelet's `--config`",
      example: '/var/lib/kubelet/config.yaml',
    },
  ],
});
