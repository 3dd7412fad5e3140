/** The options of the ssh probe's section (`probes.ssh`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_SSH_OPTIONS, ROOT_LOGIN, parseSshOptions } from './options.js';

export const SSH_OPTIONS = declareOptions({
  intro: "The sshd probe's thresholds and its live look at the daemon.",
  parse: (c, ctx) => parseSshOptions(c, ctx.rootIsHost),
  keys: [
    {
      key: 'permitRootLogin',
      type: t.text(`list of ${ROOT_LOGIN.map((v) => `\`${v}\``).join(', ')}`),
      description: 'PermitRootLogin values that pass.',
      default: DEFAULT_SSH_OPTIONS.permitRootLogin,
      example: ['no'],
    },
    {
      key: 'maxAuthTries',
      type: t.int(1, 100),
      description: 'MaxAuthTries at most this.',
      default: DEFAULT_SSH_OPTIONS.maxAuthTries,
    },
    {
      key: 'maxSessions',
      type: t.int(0, 1000),
      description: 'MaxSessions at most this.',
      default: DEFAULT_SSH_OPTIONS.maxSessions,
    },
    {
      key: 'loginGraceTimeSeconds',
      type: t.int(1, 3600, 'seconds'),
      description: 'LoginGraceTime at most this.',
      default: DEFAULT_SSH_OPTIONS.loginGraceTimeSeconds,
    },
    {
      key: 'clientAliveIntervalMax',
      type: t.int(1, 86400, 'seconds'),
      description: 'ClientAliveInterval at most this (and not 0).',
      default: DEFAULT_SSH_OPTIONS.clientAliveIntervalMax,
    },
    {
      key: 'clientAliveCountMax',
      type: t.int(1, 100),
      description: 'ClientAliveCountMax at most this.',
      default: DEFAULT_SSH_OPTIONS.clientAliveCountMax,
    },
    {
      key: 'minRsaBits',
      type: t.int(1024, 16384, 'bits'),
      description: 'Smallest acceptable RSA host key.',
      default: DEFAULT_SSH_OPTIONS.minRsaBits,
    },
    {
      key: 'sshdTimeoutMs',
      type: t.int(100, 60000, 'ms'),
      description: "Deadline of the host's `sshd -T`.",
      default: DEFAULT_SSH_OPTIONS.sshdTimeoutMs,
    },
    {
      key: 'sourceAddresses',
      type: t.text('list of IP addresses'),
      description: 'Extra client addresses to evaluate `Match Address` blocks for.',
      default: DEFAULT_SSH_OPTIONS.sourceAddresses,
      example: ['192.0.2.10'],
    },
    {
      key: 'live',
      type: t.bool,
      description: 'Connect to the daemon (ssh2) to read what it offers.',
      defaultText: '`true` when the root is `/`, else `false` (the DaemonSet sets `true`)',
      example: true,
    },
    {
      key: 'liveAddress',
      type: t.str('IP address'),
      description: 'Where the live probe connects.',
      defaultText: "sshd's first ListenAddress (loopback for a wildcard)",
      example: '127.0.0.1',
    },
    {
      key: 'livePort',
      type: t.int(1, 65535),
      description: 'Port the live probe connects to.',
      defaultText: 'the port of that ListenAddress, else 22',
      example: 2222,
    },
    {
      key: 'configPath',
      type: t.str('absolute host path'),
      description: 'sshd_config to read when no running sshd names one with `-f`.',
      default: DEFAULT_SSH_OPTIONS.configPath,
    },
  ],
});
