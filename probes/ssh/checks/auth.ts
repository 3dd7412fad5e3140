/** Authentication checks: who can log in, and with what. Evaluated in every connection context. */
import type { Check, Evidence } from '../../../src/sdk.js';
import { pass, fail, unknown } from '../../../src/sdk.js';
import type { SshFacts } from '../types.js';
import {
  perContext,
  flag,
  intRange,
  passwordPaths,
  noEffectiveReason,
  dedupeEvidence,
  first,
  undecidedFor,
  undecidedMessage,
} from './util.js';
import { CIS_DEBIAN_12, CIS_DIL, CIS_UBUNTU_2204 } from './util.js';

/** What passwordPaths reads: a Match block that could set one of these decides password exposure. */
const PASSWORD_KEYWORDS = [
  'passwordauthentication',
  'kbdinteractiveauthentication',
  'usepam',
  'authenticationmethods',
  'permitrootlogin',
];

const rootLoginNames: Record<string, string> = { 'prohibit-password': 'without-password' };
const normRoot = (v: string) => rootLoginNames[v.toLowerCase()] ?? v.toLowerCase();

/** Keywords a Match block must not turn on, with the value that weakens. */
const WEAKENING: Record<string, string> = {
  passwordauthentication: 'yes',
  kbdinteractiveauthentication: 'yes',
  permitemptypasswords: 'yes',
  permitrootlogin: 'yes',
  hostbasedauthentication: 'yes',
};

export const authChecks: readonly Check<SshFacts>[] = [
  {
    id: 'ssh.password_auth',
    title: 'SSH password authentication is disabled',
    severity: 'high',
    references: [
      'dev-sec ssh-baseline sshd-27',
      'dev-sec ssh-baseline sshd-29',
      'Lynis SSH-7408',
      'sshd_config(5) PasswordAuthentication',
      'sshd_config(5) KbdInteractiveAuthentication',
    ],
    remediation:
      'Set "PasswordAuthentication no" and "KbdInteractiveAuthentication no" in the first file sshd reads (on Debian a drop-in under /etc/ssh/sshd_config.d/ sorts before 50-cloud-init.conf), remove Match blocks that set them to yes, then reload sshd.',
    evaluate(facts) {
      const why = noEffectiveReason(facts);
      if (why) return unknown(why);
      const decided = facts.effective.filter((cfg) => !undecidedFor(cfg, PASSWORD_KEYWORDS));
      const exposed = decided.map((cfg) => ({ cfg, paths: passwordPaths(cfg) })).filter((x) => x.paths.length > 0);
      const open = facts.effective.flatMap((cfg) => {
        const line = undecidedFor(cfg, PASSWORD_KEYWORDS);
        return line ? [{ cfg, line }] : [];
      });
      if (exposed.length === 0 && open.length > 0)
        return unknown(undecidedMessage(open), dedupeEvidence(open.map((o) => o.line)));
      if (exposed.length === 0) {
        const contexts = new Set(facts.effective.map((c) => c.context.label)).size;
        return pass(
          `no password login is possible in any of ${contexts} connection contexts (root, users, invalid users, each source address)`,
        );
      }
      // Evidence for the settings that open a path, not for the ones that close one.
      const evidence: Evidence[] = [];
      for (const { cfg, paths } of exposed) {
        const keys = paths.flatMap((p) =>
          p.startsWith('PasswordAuthentication')
            ? ['passwordauthentication']
            : ['kbdinteractiveauthentication', 'usepam'],
        );
        for (const k of keys) {
          const set = cfg.settings.get(k);
          evidence.push(
            ...(set?.evidence ?? [
              { text: `${k} ${set?.values.join(' ') ?? '?'} (the OpenSSH default: no line sets it)` },
            ]),
          );
        }
      }
      const groups = new Map<string, string[]>();
      for (const x of exposed) {
        const key = x.paths.join(' and ');
        groups.set(key, [...(groups.get(key) ?? []), x.cfg.context.label]);
      }
      const all = exposed.length === facts.effective.length;
      const msg = [...groups]
        .map(
          ([paths, who]) =>
            `${paths} is in force ${all && groups.size === 1 ? 'for every user' : 'for ' + summarise(who)}`,
        )
        .join('; ');
      return fail(msg, dedupeEvidence(evidence));
    },
  },
  {
    id: 'ssh.kbd_interactive_auth',
    title: 'SSH keyboard-interactive authentication is disabled',
    severity: 'medium',
    references: ['dev-sec ssh-baseline sshd-29', 'sshd_config(5) KbdInteractiveAuthentication'],
    remediation: 'Set "KbdInteractiveAuthentication no" (ChallengeResponseAuthentication is its old alias).',
    evaluate: (facts) => perContext(facts, flag('kbdinteractiveauthentication', 'no', 'KbdInteractiveAuthentication')),
  },
  {
    id: 'ssh.permit_root_login',
    title: 'SSH root login is not allowed with a password',
    severity: 'high',
    references: [CIS_DEBIAN_12('5.1.20'), CIS_DIL('5.2.10'), 'dev-sec ssh-baseline sshd-06', 'Lynis SSH-7408'],
    remediation: 'Set "PermitRootLogin no" (or prohibit-password where automation logs in as root with keys).',
    evaluate(facts) {
      const accepted = new Set(facts.options.permitRootLogin.map(normRoot));
      return perContext(facts, {
        keyword: 'permitrootlogin',
        bad: (v) => (accepted.has(normRoot(v)) ? undefined : `PermitRootLogin ${v}`),
        ok: (v) => `PermitRootLogin ${v}`,
        applies: (cfg) => cfg.context.userClass === 'root',
      });
    },
  },
  {
    id: 'ssh.permit_empty_passwords',
    title: 'SSH does not accept empty passwords',
    severity: 'high',
    references: [CIS_DEBIAN_12('5.1.19'), CIS_DIL('5.2.11'), 'dev-sec ssh-baseline sshd-28'],
    remediation: 'Set "PermitEmptyPasswords no".',
    evaluate: (facts) => perContext(facts, flag('permitemptypasswords', 'no', 'PermitEmptyPasswords')),
  },
  {
    id: 'ssh.pubkey_auth',
    title: 'SSH public key authentication is enabled',
    severity: 'medium',
    references: ['dev-sec ssh-baseline sshd-22'],
    remediation: 'Set "PubkeyAuthentication yes" so that keys, not passwords, are the way in.',
    evaluate: (facts) => perContext(facts, flag('pubkeyauthentication', 'yes', 'PubkeyAuthentication')),
  },
  {
    id: 'ssh.hostbased_auth',
    title: 'SSH host-based authentication is disabled',
    severity: 'medium',
    references: [CIS_DEBIAN_12('5.1.10'), CIS_DIL('5.2.9'), 'dev-sec ssh-baseline sshd-25'],
    remediation: 'Set "HostbasedAuthentication no".',
    evaluate: (facts) => perContext(facts, flag('hostbasedauthentication', 'no', 'HostbasedAuthentication')),
  },
  {
    id: 'ssh.ignore_rhosts',
    title: 'SSH ignores .rhosts and .shosts files',
    severity: 'medium',
    references: [CIS_DEBIAN_12('5.1.11'), CIS_DIL('5.2.8'), 'dev-sec ssh-baseline sshd-23'],
    remediation: 'Set "IgnoreRhosts yes".',
    evaluate: (facts) => perContext(facts, flag('ignorerhosts', 'yes', 'IgnoreRhosts')),
  },
  {
    id: 'ssh.ignore_user_known_hosts',
    title: "SSH ignores users' known_hosts for host-based authentication",
    severity: 'low',
    references: ['dev-sec ssh-baseline sshd-24'],
    remediation: 'Set "IgnoreUserKnownHosts yes".',
    evaluate: (facts) => perContext(facts, flag('ignoreuserknownhosts', 'yes', 'IgnoreUserKnownHosts')),
  },
  {
    id: 'ssh.gssapi_auth',
    title: 'SSH GSSAPI authentication is disabled',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.9'), CIS_UBUNTU_2204('5.1.9'), 'dev-sec ssh-baseline sshd-33'],
    remediation: 'Set "GSSAPIAuthentication no" unless the node joins a Kerberos realm.',
    evaluate: (facts) => perContext(facts, flag('gssapiauthentication', 'no', 'GSSAPIAuthentication')),
  },
  {
    id: 'ssh.kerberos_auth',
    title: 'SSH Kerberos password authentication is disabled',
    severity: 'low',
    references: ['dev-sec ssh-baseline sshd-30'],
    remediation: 'Set "KerberosAuthentication no".',
    evaluate: (facts) => perContext(facts, flag('kerberosauthentication', 'no', 'KerberosAuthentication')),
  },
  {
    id: 'ssh.use_pam',
    title: 'SSH uses PAM',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.22'), CIS_DIL('5.2.20')],
    remediation: 'Set "UsePAM yes" so account and session policy (pam_faillock, pam_limits) applies to SSH logins.',
    evaluate: (facts) => perContext(facts, flag('usepam', 'yes', 'UsePAM')),
  },
  {
    id: 'ssh.max_auth_tries',
    title: 'SSH limits authentication attempts per connection',
    severity: 'medium',
    references: [CIS_DEBIAN_12('5.1.16'), CIS_DIL('5.2.7'), 'dev-sec ssh-baseline sshd-19'],
    remediation: 'Set "MaxAuthTries 4" or lower (not below the number of keys your automation offers).',
    evaluate: (facts) => perContext(facts, intRange('maxauthtries', 'MaxAuthTries', 1, facts.options.maxAuthTries)),
  },
  {
    id: 'ssh.access_lists',
    title: 'SSH access is limited to named users or groups',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.4'), CIS_DIL('5.2.18')],
    remediation: 'Add "AllowGroups" (or AllowUsers/DenyUsers/DenyGroups) naming who may log in over SSH.',
    evaluate(facts) {
      const why = noEffectiveReason(facts);
      if (why) return unknown(why);
      const kws = ['allowusers', 'allowgroups', 'denyusers', 'denygroups'];
      const cfg = facts.effective[0]!;
      const set = kws.map((k) => [k, cfg.settings.get(k)] as const).filter(([, s]) => s && s.values.length > 0);
      if (set.length === 0)
        return fail(
          'none of AllowUsers, AllowGroups, DenyUsers, DenyGroups is set: every account with a key or password may log in',
        );
      return pass(
        set.map(([k, s]) => `${k} ${s!.values.join(' ')}`).join('; '),
        dedupeEvidence(set.flatMap(([, s]) => s!.evidence ?? [])),
      );
    },
  },
  {
    id: 'ssh.match_weakens_auth',
    title: 'No SSH Match block re-enables password, empty-password, root or host-based logins',
    severity: 'medium',
    references: ['sshd_config(5) Match'],
    remediation:
      'A Match block overrides the global section for the connections it matches, so it can turn these logins back on for some of them. ' +
      'Remove the Match block (or the line in it) that turns the setting back on; if a group really needs it, restrict the block to a management address range.',
    evaluate(facts) {
      if (!('directives' in facts.parsed)) return unknown(`cannot read the configuration: ${facts.parsed.reason}`);
      const hits = facts.parsed.directives.filter((d) => {
        if (!d.match) return false;
        const weak = WEAKENING[d.keyword];
        return weak !== undefined && d.args[0]?.toLowerCase() === weak;
      });
      if (hits.length === 0)
        return pass(
          'no Match block turns on password, keyboard-interactive, empty-password, root or host-based logins',
        );
      const msg = hits.map((d) => `"${d.match!.text}" sets ${d.text}`).join('; ');
      return fail(
        msg,
        hits.map((d) => ({ file: d.file, line: d.line, text: d.text })),
      );
    },
  },
];

function summarise(labels: string[]): string {
  const u = [...new Set(labels)];
  return u.length <= 4 ? u.join('; ') : `${u.slice(0, 4).join('; ')} and ${u.length - 4} more`;
}

/** Exported for the live check: what the files say about password exposure for a user class. */
export function filePasswordExposure(facts: SshFacts): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const cfg of facts.effective) {
    const exposed = passwordPaths(cfg).length > 0 || first(cfg.settings.get('passwordauthentication')) === 'yes';
    m.set(cfg.context.user, (m.get(cfg.context.user) ?? false) || exposed);
  }
  return m;
}
