/** The ssh probe's configuration section (`probes.ssh` in the YAML), validated with messages naming the key. */
import { optionBool, optionProblem, optionInt, ipFamily } from '../../src/sdk.js';
import type { DeclaredSection } from '../../src/sdk.js';
import type { SshOptions } from './types.js';

export const DEFAULT_SSH_OPTIONS: Readonly<Omit<SshOptions, 'live'>> = {
  permitRootLogin: ['no', 'prohibit-password', 'without-password', 'forced-commands-only'],
  maxAuthTries: 4,
  maxSessions: 10,
  loginGraceTimeSeconds: 60,
  clientAliveIntervalMax: 300,
  clientAliveCountMax: 3,
  sourceAddresses: [],
  minRsaBits: 3072,
  sshdTimeoutMs: 5000,
  configPath: '/etc/ssh/sshd_config',
};

/** The PermitRootLogin values sshd knows (./option-spec.ts documents them from here). */
export const ROOT_LOGIN = ['yes', 'no', 'prohibit-password', 'without-password', 'forced-commands-only'];

/**
 * Validate the section (its keys are the declared ones, ./option-spec.ts) and fill defaults. The live probe
 * defaults to on when the root is "/" (a scan of this machine) and off for other roots, where the daemon on this
 * machine's loopback is not the one the files describe; the DaemonSet (hostNetwork, root /host) turns it on.
 */
export function parseSshOptions(c: DeclaredSection, rootIsSlash: boolean): SshOptions {
  const o: SshOptions = { ...DEFAULT_SSH_OPTIONS, live: rootIsSlash };
  if (c.permitRootLogin !== undefined) {
    if (
      !Array.isArray(c.permitRootLogin) ||
      c.permitRootLogin.some((v) => typeof v !== 'string' || !ROOT_LOGIN.includes(v.toLowerCase()))
    ) {
      optionProblem('permitRootLogin', `must be a list of ${ROOT_LOGIN.join(', ')}`);
    }
    o.permitRootLogin = (c.permitRootLogin as string[]).map((v) => v.toLowerCase());
  }
  o.maxAuthTries = optionInt(c, 'maxAuthTries', o.maxAuthTries);
  o.maxSessions = optionInt(c, 'maxSessions', o.maxSessions);
  o.loginGraceTimeSeconds = optionInt(c, 'loginGraceTimeSeconds', o.loginGraceTimeSeconds);
  o.clientAliveIntervalMax = optionInt(c, 'clientAliveIntervalMax', o.clientAliveIntervalMax);
  o.clientAliveCountMax = optionInt(c, 'clientAliveCountMax', o.clientAliveCountMax);
  o.minRsaBits = optionInt(c, 'minRsaBits', o.minRsaBits);
  o.sshdTimeoutMs = optionInt(c, 'sshdTimeoutMs', o.sshdTimeoutMs);
  o.live = optionBool(c, 'live', o.live);
  if (c.liveAddress !== undefined) {
    if (typeof c.liveAddress !== 'string' || !ipFamily(c.liveAddress))
      optionProblem('liveAddress', 'must be an IP address');
    o.liveAddress = c.liveAddress;
  }
  const livePort = optionInt(c, 'livePort');
  if (livePort !== undefined) o.livePort = livePort;
  if (c.sourceAddresses !== undefined) {
    if (!Array.isArray(c.sourceAddresses) || c.sourceAddresses.some((a) => typeof a !== 'string' || !ipFamily(a)))
      optionProblem('sourceAddresses', 'must be a list of IP addresses');
    o.sourceAddresses = c.sourceAddresses as string[];
  }
  if (c.configPath !== undefined) {
    if (typeof c.configPath !== 'string' || !c.configPath.startsWith('/'))
      optionProblem('configPath', 'must be an absolute host path');
    o.configPath = c.configPath;
  }
  return o;
}
