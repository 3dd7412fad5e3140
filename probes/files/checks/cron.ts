/**
 * cron and at: is the cron daemon there (informational: a Kubernetes node image often schedules with systemd
 * timers alone), and are crontab and at restricted to the users listed in cron.allow and at.allow.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import { CIS_DEBIAN_12, LYNIS } from '../refs.js';
import type { Expect } from '../table.js';
import type { Daemon, FilesFacts } from '../types.js';
import { deviations, expectText, statText } from './perms.js';

/** Debian's crontab is setgid crontab and at's files belong to daemon on some distributions: both accepted. */
const CRON_ALLOW: Expect = { maxMode: 0o640, owners: ['root'], groups: ['root', 'crontab'] };
const AT_ALLOW: Expect = { maxMode: 0o640, owners: ['root'], groups: ['root', 'daemon'] };

function cronDaemon(f: FilesFacts): Outcome {
  const c = f.cron;
  if (!c.binary) {
    const node = f.role.role === 'node' ? ' (usual on a Kubernetes node image: systemd timers schedule its jobs)' : '';
    return skip(`cron is not installed: no /usr/sbin/cron or crond${node}; the cron checks do not apply`);
  }
  const evidence: Evidence[] = [
    { file: c.binary, text: 'installed' },
    ...(c.enabledBy ? [{ file: c.enabledBy, text: 'enabled' }] : []),
  ];
  if (c.running)
    return pass(`cron is installed (${c.binary}) and running${c.enabledBy ? ', enabled at boot' : ''}`, evidence);
  if (!c.processesSeen) {
    const enabled = c.enabledBy ? 'enabled at boot' : 'not enabled in multi-user.target';
    return unknown(
      `cron is installed (${c.binary}), ${enabled}; whether it runs cannot be seen: no /proc in the scanned root`,
      evidence,
    );
  }
  const enabled = c.enabledBy ? 'enabled at boot but not running' : 'neither enabled nor running';
  return fail(
    `cron is installed (${c.binary}) but ${enabled}: jobs in /etc/crontab and /etc/cron.* do not run`,
    evidence,
  );
}

/** allow must exist and be restricted; deny must be absent or restricted. */
function restricted(f: FilesFacts, d: Daemon, allowPath: string, denyPath: string, e: Expect, tool: string): Outcome {
  if (!d.binary) return skip(`${d.name} is not installed (no ${d.name === 'at' ? '/usr/bin/at' : 'cron binary'})`);
  const allow = f.paths.get(allowPath)!;
  const deny = f.paths.get(denyPath)!;
  const evidence: Evidence[] = [];
  const problems: string[] = [];
  for (const s of [allow, deny]) {
    if (s.state === 'error') return unknown(`${s.path}: ${s.reason}`);
    if (s.state !== 'ok') continue;
    const bad = deviations(s.stat, e, f.accounts);
    evidence.push({ file: s.path, text: `${statText(s.path, s.stat, f.accounts)}, ${expectText(e)}` });
    if (s.stat.type !== 'file') problems.push(`${s.path} is a ${s.stat.type}`);
    else if (bad.length) problems.push(`${statText(s.path, s.stat, f.accounts)}: ${bad.join(', ')}`);
  }
  if (allow.state === 'missing') {
    const denyNote = deny.state === 'ok' ? `only ${denyPath} limits it` : `and there is no ${denyPath} either`;
    problems.unshift(`${allowPath} does not exist, so every user may use ${tool} (${denyNote})`);
  }
  if (problems.length) return fail(`${problems.join('; ')}; ${expectText(e)}`, evidence);
  return pass(
    `${allowPath} lists who may use ${tool}${deny.state === 'ok' ? `; ${denyPath} is restricted too` : ''}: ` +
      expectText(e),
    evidence,
  );
}

export const cronChecks: Check<FilesFacts>[] = [
  {
    id: 'files.cron_daemon',
    title: 'The cron daemon, when installed, is enabled and running (informational)',
    severity: 'info',
    references: [CIS_DEBIAN_12('2.4.1.1'), LYNIS('SCHD-7702')],
    remediation:
      'systemctl enable --now cron (crond on RHEL-likes), or remove the package when nothing uses it; a node ' +
      'image that schedules with systemd timers needs no cron.',
    evaluate: cronDaemon,
  },
  {
    id: 'files.cron_allow',
    title:
      'crontab is restricted to the users in /etc/cron.allow (root-owned, 0640 or stricter); cron.deny is absent ' +
      'or as restricted',
    severity: 'medium',
    references: [CIS_DEBIAN_12('2.4.1.8'), LYNIS('FILE-7524')],
    remediation:
      'touch /etc/cron.allow && chown root:root /etc/cron.allow && chmod 640 /etc/cron.allow, list the users who ' +
      'need crontab in it, and remove /etc/cron.deny (or make it root:root 0640): without cron.allow every user ' +
      'may schedule jobs.',
    evaluate: (f) => restricted(f, f.cron, '/etc/cron.allow', '/etc/cron.deny', CRON_ALLOW, 'crontab'),
  },
  {
    id: 'files.at_allow',
    title:
      'at is restricted to the users in /etc/at.allow (root-owned, 0640 or stricter); at.deny is absent or as ' +
      'restricted',
    severity: 'low',
    references: [CIS_DEBIAN_12('2.4.2.1'), LYNIS('SCHD-7718')],
    remediation:
      'touch /etc/at.allow && chown root:root /etc/at.allow && chmod 640 /etc/at.allow, and remove /etc/at.deny ' +
      '(or make it root:root 0640); or remove the at package where nothing uses it.',
    evaluate: (f) => restricted(f, f.at, '/etc/at.allow', '/etc/at.deny', AT_ALLOW, 'at'),
  },
];
