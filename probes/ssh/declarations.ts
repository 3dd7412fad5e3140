/**
 * What the ssh probe declares to the engine besides its checks: the configuration whose changes re-run it in the
 * agent, and the optional work it leaves out when the agent is over its resource budget (src/sdk.ts, Probe).
 */
import type { ShedSpec, WatchSpec } from '../../src/sdk.js';

/** sshd_config and its drop-ins; users and groups, since the probe evaluates per user and group. */
export const SSH_WATCH: readonly WatchSpec[] = [
  { path: '/etc/ssh', depth: 1 },
  { path: '/etc', names: ['passwd', 'group'] },
];

/** The live probe (an ssh2 connection to the daemon) is switched off; its checks then say unknown. */
export const SSH_SHED: ShedSpec = { action: 'ssh_live', options: { live: false }, checks: /^ssh\.live_/ };
