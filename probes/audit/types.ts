import type { HostRole } from '../../src/sdk.js';
import type { AuditRule } from './rules.js';

export interface Setting {
  value: string;
  file: string;
  line: number;
}

export interface AuditFacts {
  role: HostRole;
  cmdline: string | undefined;
  grubCmdline: Setting | undefined;
  grubRead: boolean;
  auditd: { binary: string | undefined; enabled: boolean };
  auditdConf: Map<string, Setting>;
  rules: { source: 'rules.d' | 'audit.rules'; files: string[]; rules: AuditRule[]; problems: string[] };
  journald: Map<string, Setting>;
  journalDir: boolean;
  rsyslog: { binary: string | undefined; enabled: boolean; mode: Setting | undefined };
  /** Container runtime and Kubernetes files that exist on the host. */
  existing: string[];
}
