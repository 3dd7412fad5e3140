/**
 * The audit probe: logging (journald storage, rsyslog file mode) and auditd (installed and enabled, audit=1 and
 * a large enough backlog at boot, log retention and space actions, the CIS Level 2 rules, and the rules for
 * container runtime and Kubernetes node files). Rules are read from /etc/audit/rules.d/*.rules, which
 * augenrules compiles at boot, or /etc/audit/audit.rules when rules.d holds none; the loaded rules
 * ("auditctl -l") are not read, since that needs the audit netlink socket.
 */
import { defineProbe } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import { parseAuditRules } from './rules.js';
import { NODE_FILES, RUNTIME_FILES } from './table.js';
import type { AuditFacts, Setting } from './types.js';
import { auditChecks } from './checks.js';

export type { AuditFacts } from './types.js';
export { parseAuditRules } from './rules.js';

const MAX_FILE = 1024 * 1024;
const MAX_RULE_FILES = 128;

/** `key = value` lines (auditd.conf, journald.conf, /etc/default/grub); the last one of each key wins. */
export function keyValues(
  text: string,
  file: string,
  into = new Map<string, Setting>(),
  section?: string,
): Map<string, Setting> {
  let current: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#') || l.startsWith(';')) return;
    const s = /^\[(.*)\]$/.exec(l);
    if (s) {
      current = s[1];
      return;
    }
    if (section && current !== section) return;
    const m = /^([A-Za-z_][\w]*)\s*=\s*(.*)$/.exec(l);
    if (m) into.set(m[1]!, { value: m[2]!.trim().replace(/^"(.*)"$/, '$1'), file, line: i + 1 });
  });
  return into;
}

async function read(host: HostRoot, file: string): Promise<string | undefined> {
  const r = await host.readText(file, { maxBytes: MAX_FILE });
  return r.ok ? r.text : undefined;
}

async function readRules(host: HostRoot): Promise<AuditFacts['rules']> {
  const files = (await host.glob('/etc/audit/rules.d/*.rules')).slice(0, MAX_RULE_FILES);
  const source = files.length ? 'rules.d' : 'audit.rules';
  const list = files.length ? files : ['/etc/audit/audit.rules'];
  const out: AuditFacts['rules'] = { source, files: [], rules: [], problems: [] };
  for (const f of list) {
    const t = await read(host, f);
    if (t === undefined) continue;
    const p = parseAuditRules(t, f);
    out.files.push(f);
    out.rules.push(...p.rules);
    out.problems.push(...p.problems);
  }
  return out;
}

async function readConfDir(
  host: HostRoot,
  main: string,
  glob: string,
  section?: string,
): Promise<Map<string, Setting>> {
  const into = new Map<string, Setting>();
  for (const f of [main, ...(await host.glob(glob)).slice(0, 64)]) {
    const t = await read(host, f);
    if (t !== undefined) keyValues(t, f, into, section);
  }
  return into;
}

async function rsyslogMode(host: HostRoot): Promise<Setting | undefined> {
  let mode: Setting | undefined;
  for (const f of ['/etc/rsyslog.conf', ...(await host.glob('/etc/rsyslog.d/*.conf')).slice(0, 64)]) {
    const t = await read(host, f);
    t?.split('\n').forEach((l, i) => {
      const m =
        /^\s*\$FileCreateMode\s+([0-7]+)/.exec(l) ?? /fileCreateMode\s*=\s*"([0-7]+)"/.exec(l.replace(/#.*/, ''));
      if (m) mode = { value: m[1]!, file: f, line: i + 1 };
    });
  }
  return mode;
}

/** The first path that exists, links not followed: a .wants link points at a unit file outside /etc. */
async function firstExisting(host: HostRoot, paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if ((await host.stat(p, false)).ok) return p;
  return undefined;
}

async function gather(ctx: ProbeContext): Promise<AuditFacts> {
  const { host } = ctx;
  const cmdline = await host.readText('/proc/cmdline', { maxBytes: 64 * 1024 });
  const grub = await read(host, '/etc/default/grub');
  const wants = ['multi-user.target.wants', 'sysinit.target.wants'];
  const unitEnabled = async (u: string) =>
    (await firstExisting(
      host,
      wants.map((w) => `/etc/systemd/system/${w}/${u}`),
    )) !== undefined;
  const existing: string[] = [];
  for (const p of [...RUNTIME_FILES, ...NODE_FILES]) if (await host.exists(p)) existing.push(p);
  const auditdBinary = await firstExisting(host, ['/usr/sbin/auditd', '/sbin/auditd']);
  const rsyslogBinary = await firstExisting(host, ['/usr/sbin/rsyslogd', '/sbin/rsyslogd']);
  return {
    role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' },
    cmdline: cmdline.ok ? cmdline.text.trim() : undefined,
    grubCmdline: grub !== undefined ? keyValues(grub, '/etc/default/grub').get('GRUB_CMDLINE_LINUX') : undefined,
    grubRead: grub !== undefined,
    auditd: { binary: auditdBinary, enabled: await unitEnabled('auditd.service') },
    auditdConf: keyValues((await read(host, '/etc/audit/auditd.conf')) ?? '', '/etc/audit/auditd.conf'),
    rules: await readRules(host),
    journald: await readConfDir(host, '/etc/systemd/journald.conf', '/etc/systemd/journald.conf.d/*.conf', 'Journal'),
    journalDir: await host.exists('/var/log/journal'),
    rsyslog: { binary: rsyslogBinary, enabled: await unitEnabled('rsyslog.service'), mode: await rsyslogMode(host) },
    existing,
  };
}

export const auditProbe = defineProbe<AuditFacts>({
  name: 'audit',
  description:
    'Logging and audit: journald persistent storage, rsyslog file mode, auditd installed and enabled with audit=1 and a backlog at boot, log retention, the CIS Level 2 audit rules, and rules for container runtime and Kubernetes node files.',
  checks: auditChecks,
  gather,
});
