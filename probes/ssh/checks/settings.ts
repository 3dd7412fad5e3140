/** Session, forwarding, logging and limit settings, plus whether sshd would load the configuration at all. */
import type { Check } from '../../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../../src/sdk.js';
import type { SshFacts, EffectiveConfig } from '../types.js';
import { perContext, flag, intRange, first, CIS_DEBIAN_12, CIS_DIL } from './util.js';

const atLeast = (f: SshFacts, major: number, minor: number) =>
  f.version.major > major || (f.version.major === major && f.version.minor >= minor);

/** DisableForwarding yes overrides the individual forwarding keywords, and sshd -T does not show that. */
function forwardingRule(keyword: string, display: string) {
  return {
    keyword,
    bad: (v: string, _s: unknown, cfg: EffectiveConfig) =>
      first(cfg.settings.get('disableforwarding')) === 'yes' || v === 'no' ? undefined : `${display} ${v}`,
    ok: (v: string) => `${display} ${v}`,
  };
}

export const settingsChecks: readonly Check<SshFacts>[] = [
  {
    id: 'ssh.config_valid',
    title: 'sshd accepts its configuration',
    severity: 'high',
    references: ['sshd(8) -t', 'sshd(8) -T'],
    remediation:
      'Run "sshd -t" on the node and fix the lines it names before the next restart: sshd does not start with a configuration it refuses, ' +
      'so the next restart leaves the node without SSH (and until then the old configuration stays in force).',
    evaluate(facts) {
      if (facts.sshdRejected) return fail(`sshd refuses this configuration: ${facts.sshdRejected}`);
      if ('directives' in facts.parsed) {
        const fatal = facts.parsed.problems.filter((p) => p.fatal);
        if (fatal.length > 0 && !facts.sshdT.used) {
          return fail(
            fatal
              .map((p) => `${p.file}${p.line ? ':' + p.line : ''}: ${p.message}`)
              .slice(0, 5)
              .join('; '),
            fatal.map((p) => ({ file: p.file, ...(p.line !== undefined ? { line: p.line } : {}) })),
          );
        }
        return pass(
          facts.sshdT.used
            ? 'sshd -T accepts the configuration'
            : `the configuration parses cleanly (${facts.parsed.files.length} files; sshd -T not used: ${facts.sshdT.reason})`,
        );
      }
      return unknown(`cannot read ${facts.parsed.path}: ${facts.parsed.reason}`);
    },
  },
  {
    id: 'ssh.daemon_command_line',
    title: 'The running sshd takes its configuration from files, not from its command line',
    severity: 'medium',
    references: ['dev-sec ssh-baseline sshd-49', 'sshd(8) -o', 'sshd(8) -f'],
    remediation:
      'Options on the sshd command line override every configuration file. Move -o options (and -f) from the service definition (systemd unit, /etc/default/ssh OPTIONS, RHEL CRYPTO_POLICY) into sshd_config, where configuration management and audits see them.',
    evaluate(facts) {
      if (facts.daemons.length === 0)
        return skip(
          'no sshd listener is visible in /proc (not running, or the agent does not share the host PID namespace)',
        );
      const withOptions = facts.daemons.filter((d) => d.lines.length > 0 || d.configFile);
      const more =
        facts.daemons.length > 1
          ? ` (${facts.daemons.length} listeners: ${facts.daemons.map((d) => d.pid).join(', ')}; the configuration of pid ${facts.daemons[0]!.pid} is the one evaluated)`
          : '';
      if (withOptions.length === 0)
        return pass(
          `sshd (pid ${facts.daemons.map((d) => d.pid).join(', ')}) runs with no configuration on its command line${more}`,
        );
      const parts = withOptions.map(
        (d) => `pid ${d.pid}: ${[...(d.configFile ? [`-f ${d.configFile}`] : []), ...d.lines].join('; ')}`,
      );
      return fail(
        `configuration on the sshd command line, which beats every file: ${parts.join(' | ')}${more}`,
        withOptions.flatMap((d) => d.lines.map((l, i) => ({ file: `/proc/${d.pid}/cmdline`, line: i + 1, text: l }))),
      );
    },
  },
  {
    id: 'ssh.parser_agreement',
    title: "hostward's sshd_config reading agrees with sshd -T",
    severity: 'info',
    references: ['sshd(8) -T'],
    remediation:
      "Nothing to change on the node: the verdicts follow sshd -T, and only the file:line evidence comes from hostward's own reading of the files. " +
      'Report the configuration to the hostward maintainers so that the reading can be corrected.',
    evaluate(facts) {
      if (!facts.sshdT.used) return skip(`sshd -T not used: ${facts.sshdT.reason}`);
      const diffs: string[] = [];
      for (const cfg of facts.effective) {
        for (const [k, s] of cfg.settings) {
          if (s.parserValues)
            diffs.push(
              `${k} for ${cfg.context.label}: sshd -T "${s.values.join(' ')}", parser "${s.parserValues.join(' ')}"`,
            );
        }
      }
      if (diffs.length === 0)
        return pass(`agree on every checked keyword in ${facts.effective.length} connection contexts`);
      return fail(`${diffs.length} disagreements: ${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? '; ...' : ''}`);
    },
  },
  {
    id: 'ssh.x11_forwarding',
    title: 'SSH X11 forwarding is disabled',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.8'), CIS_DIL('5.2.6'), 'dev-sec ssh-baseline sshd-42', 'Lynis SSH-7408'],
    remediation: 'Set "X11Forwarding no".',
    evaluate: (facts) => perContext(facts, forwardingRule('x11forwarding', 'X11Forwarding')),
  },
  {
    id: 'ssh.x11_use_localhost',
    title: 'SSH binds forwarded X11 to localhost',
    severity: 'low',
    references: ['dev-sec ssh-baseline sshd-43'],
    remediation: 'Set "X11UseLocalhost yes".',
    evaluate: (facts) => perContext(facts, flag('x11uselocalhost', 'yes', 'X11UseLocalhost')),
  },
  {
    id: 'ssh.tcp_forwarding',
    title: 'SSH TCP forwarding is disabled',
    severity: 'medium',
    references: [CIS_DEBIAN_12('5.1.8'), CIS_DIL('5.2.21'), 'dev-sec ssh-baseline sshd-39', 'Lynis SSH-7408'],
    remediation:
      'Set "DisableForwarding yes" (or "AllowTcpForwarding no"): a node reachable over SSH must not become a tunnel into the pod network.',
    evaluate: (facts) => perContext(facts, forwardingRule('allowtcpforwarding', 'AllowTcpForwarding')),
  },
  {
    id: 'ssh.agent_forwarding',
    title: 'SSH agent forwarding is disabled',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.8'), 'dev-sec ssh-baseline sshd-40', 'Lynis SSH-7408'],
    remediation: 'Set "AllowAgentForwarding no".',
    evaluate: (facts) => perContext(facts, forwardingRule('allowagentforwarding', 'AllowAgentForwarding')),
  },
  {
    id: 'ssh.permit_tunnel',
    title: 'SSH tun/tap tunnelling is disabled',
    severity: 'medium',
    references: ['dev-sec ssh-baseline sshd-38'],
    remediation: 'Set "PermitTunnel no".',
    evaluate: (facts) => perContext(facts, flag('permittunnel', 'no', 'PermitTunnel')),
  },
  {
    id: 'ssh.gateway_ports',
    title: 'SSH remote forwards do not bind to all interfaces',
    severity: 'medium',
    references: ['dev-sec ssh-baseline sshd-41'],
    remediation: 'Set "GatewayPorts no".',
    evaluate: (facts) => perContext(facts, flag('gatewayports', 'no', 'GatewayPorts')),
  },
  {
    id: 'ssh.permit_user_environment',
    title: 'SSH does not let users set environment variables',
    severity: 'medium',
    references: [CIS_DEBIAN_12('5.1.21'), CIS_DIL('5.2.12'), 'dev-sec ssh-baseline sshd-17'],
    remediation: 'Set "PermitUserEnvironment no" (LD_PRELOAD from ~/.ssh/environment bypasses ForceCommand).',
    evaluate: (facts) => perContext(facts, flag('permituserenvironment', 'no', 'PermitUserEnvironment')),
  },
  {
    id: 'ssh.strict_modes',
    title: "SSH checks permissions of users' key files",
    severity: 'low',
    references: ['dev-sec ssh-baseline sshd-11'],
    remediation: 'Set "StrictModes yes".',
    evaluate: (facts) => perContext(facts, flag('strictmodes', 'yes', 'StrictModes')),
  },
  {
    id: 'ssh.login_grace_time',
    title: 'SSH drops unauthenticated connections quickly',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.13'), CIS_DIL('5.2.17'), 'dev-sec ssh-baseline sshd-18'],
    remediation: 'Set "LoginGraceTime 60" or lower (not 0, which means no limit).',
    evaluate: (facts) =>
      perContext(
        facts,
        intRange('logingracetime', 'LoginGraceTime', 1, facts.options.loginGraceTimeSeconds, 'no limit'),
      ),
  },
  {
    id: 'ssh.client_alive',
    title: 'SSH ends idle sessions',
    severity: 'low',
    references: [
      CIS_DEBIAN_12('5.1.7'),
      CIS_DIL('5.2.16'),
      'dev-sec ssh-baseline sshd-36',
      'dev-sec ssh-baseline sshd-37',
    ],
    remediation:
      'Set "ClientAliveInterval 300" and "ClientAliveCountMax 3" (since OpenSSH 8.2, a count of 0 disables termination instead of enforcing it).',
    evaluate(facts) {
      const o = facts.options;
      return perContext(facts, {
        keyword: 'clientaliveinterval',
        bad(v, _s, cfg) {
          const interval = Number(v);
          const count = Number(first(cfg.settings.get('clientalivecountmax')) ?? NaN);
          if (!Number.isFinite(interval) || interval <= 0)
            return `ClientAliveInterval ${v} (idle sessions are never ended)`;
          if (interval > o.clientAliveIntervalMax)
            return `ClientAliveInterval ${v} is above ${o.clientAliveIntervalMax}`;
          if (!Number.isFinite(count)) return 'ClientAliveCountMax is unknown';
          if (count === 0 && atLeast(facts, 8, 2)) {
            return `ClientAliveCountMax 0 disables termination since OpenSSH 8.2 (this is ${facts.version.major}.${facts.version.minor})`;
          }
          if (count > o.clientAliveCountMax) return `ClientAliveCountMax ${count} is above ${o.clientAliveCountMax}`;
          return undefined;
        },
        ok: (v) => `ClientAliveInterval ${v} with a bounded ClientAliveCountMax`,
      });
    },
  },
  {
    id: 'ssh.log_level',
    title: 'SSH logs logins at INFO or VERBOSE',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.14'), CIS_DIL('5.2.5'), 'dev-sec ssh-baseline sshd-13'],
    remediation: 'Set "LogLevel VERBOSE" (records key fingerprints of logins) or INFO.',
    evaluate: (facts) =>
      perContext(facts, {
        keyword: 'loglevel',
        bad: (v) => (['INFO', 'VERBOSE'].includes(v.toUpperCase()) ? undefined : `LogLevel ${v}`),
        ok: (v) => `LogLevel ${v}`,
      }),
  },
  {
    id: 'ssh.max_startups',
    title: 'SSH throttles concurrent unauthenticated connections',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.18'), CIS_DIL('5.2.22'), 'dev-sec ssh-baseline sshd-21'],
    remediation: 'Set "MaxStartups 10:30:60" or stricter.',
    evaluate: (facts) =>
      perContext(facts, {
        keyword: 'maxstartups',
        bad(v) {
          const [start, rate, full] = v.split(':').map(Number);
          if (start === undefined || !Number.isFinite(start)) return `MaxStartups ${v} cannot be read`;
          const r = rate ?? 100;
          const f = full ?? start;
          if (start > 10 || r < 30 || f > 60) return `MaxStartups ${v} is looser than 10:30:60`;
          return undefined;
        },
        ok: (v) => `MaxStartups ${v}`,
      }),
  },
  {
    id: 'ssh.max_sessions',
    title: 'SSH limits sessions per connection',
    severity: 'low',
    references: [CIS_DEBIAN_12('5.1.17'), CIS_DIL('5.2.23'), 'dev-sec ssh-baseline sshd-20'],
    remediation: 'Set "MaxSessions 10" or lower (CIS Distribution Independent asks for 4).',
    evaluate: (facts) => perContext(facts, intRange('maxsessions', 'MaxSessions', 0, facts.options.maxSessions)),
  },
  {
    id: 'ssh.banner',
    title: 'SSH shows a warning banner before login',
    severity: 'info',
    references: [CIS_DEBIAN_12('5.1.5'), CIS_DIL('5.2.19')],
    remediation: 'Set "Banner /etc/issue.net" with your organisation\'s authorised-use notice.',
    evaluate: (facts) =>
      perContext(facts, {
        keyword: 'banner',
        bad: (v) => (v === 'none' ? 'Banner none' : undefined),
        ok: (v) => `Banner ${v}`,
      }),
  },
  {
    id: 'ssh.compression',
    title: 'SSH compression is disabled',
    severity: 'low',
    references: ['Lynis SSH-7408'],
    remediation:
      'Set "Compression no": node links rarely need it, and zlib in the session adds attack surface and compression side channels.',
    evaluate: (facts) =>
      perContext(facts, {
        keyword: 'compression',
        // sshd -T prints "yes" for both yes and delayed; since OpenSSH 7.4 both start only after authentication.
        bad: (v) =>
          v === 'no'
            ? undefined
            : atLeast(facts, 7, 4)
              ? 'Compression yes (after authentication)'
              : `Compression ${v} (before authentication on OpenSSH < 7.4)`,
        ok: () => 'Compression no',
      }),
  },
  {
    id: 'ssh.tcp_keepalive',
    title: 'SSH relies on its encrypted keepalives, not spoofable TCP keepalives',
    severity: 'info',
    references: ['dev-sec ssh-baseline sshd-35', 'Lynis SSH-7408'],
    remediation: 'Set "TCPKeepAlive no" together with ClientAliveInterval/ClientAliveCountMax.',
    evaluate: (facts) => perContext(facts, flag('tcpkeepalive', 'no', 'TCPKeepAlive')),
  },
  {
    id: 'ssh.use_dns',
    title: 'SSH does not resolve client host names',
    severity: 'low',
    references: ['Lynis SSH-7408', 'sshd_config(5) UseDNS'],
    remediation:
      'Set "UseDNS no": Match Host and from= patterns then see addresses an attacker with a reverse zone cannot fake.',
    evaluate: (facts) => perContext(facts, flag('usedns', 'no', 'UseDNS')),
  },
  {
    id: 'ssh.syslog_facility',
    title: 'SSH logs to the AUTH or AUTHPRIV facility',
    severity: 'info',
    references: ['dev-sec ssh-baseline sshd-12'],
    remediation:
      'Set "SyslogFacility AUTH" (or AUTHPRIV) so logins reach the log pipeline that watches authentication.',
    evaluate: (facts) =>
      perContext(facts, {
        keyword: 'syslogfacility',
        bad: (v) => (['AUTH', 'AUTHPRIV'].includes(v.toUpperCase()) ? undefined : `SyslogFacility ${v}`),
        ok: (v) => `SyslogFacility ${v}`,
      }),
  },
  {
    id: 'ssh.fingerprint_hash',
    title: 'SSH logs key fingerprints as SHA256',
    severity: 'info',
    references: ['Lynis SSH-7408'],
    remediation:
      'Set "FingerprintHash sha256" (the default): MD5 fingerprints in logs can be matched by a crafted key.',
    evaluate: (facts) =>
      perContext(facts, {
        keyword: 'fingerprinthash',
        bad: (v) => (v.toUpperCase() === 'SHA256' ? undefined : `FingerprintHash ${v}`),
        ok: (v) => `FingerprintHash ${v}`,
      }),
  },
  {
    id: 'ssh.deprecated_options',
    title: 'sshd_config uses no deprecated or ignored options',
    severity: 'low',
    references: ['sshd_config(5)', 'Lynis SSH-7408'],
    remediation:
      'Remove the deprecated lines (Protocol, UsePrivilegeSeparation, UseLogin, RSAAuthentication, ...): they no longer do what they say.',
    evaluate(facts) {
      if (!('directives' in facts.parsed)) return unknown(`cannot read the configuration: ${facts.parsed.reason}`);
      const dep = facts.parsed.problems.filter((p) => p.kind === 'deprecated');
      if (dep.length === 0) return pass('no deprecated options');
      return fail(
        dep.map((p) => p.message).join('; '),
        dep.map((p) => ({ file: p.file, ...(p.line !== undefined ? { line: p.line } : {}) })),
      );
    },
  },
];
