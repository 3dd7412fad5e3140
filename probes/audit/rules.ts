/**
 * A small parser of auditctl rule syntax (auditctl(8)), enough to judge which files are watched and which
 * system calls are recorded: "-w <path> -p <perms> -k <key>", "-a <action>,<list> -F arch=b64 -S a,b -S c
 * -F key=v -k key", "-e 2". Other options (-D, -b, -f, --backlog_wait_time...) are kept as controls.
 */
export type AuditRule =
  | { kind: 'watch'; path: string; perms: string; line: number; file: string }
  | {
      kind: 'syscall';
      list: string;
      action: string;
      arch?: string;
      syscalls: string[];
      fields: Record<string, string>;
      line: number;
      file: string;
    }
  | { kind: 'control'; option: string; value?: string; line: number; file: string };

export interface ParsedRules {
  rules: AuditRule[];
  problems: string[];
}

const MAX_PROBLEMS = 5;

export function parseAuditRules(text: string, file: string): ParsedRules {
  const out: ParsedRules = { rules: [], problems: [] };
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const r = parseRule(l.split(/\s+/), i + 1, file);
    if (typeof r === 'string') {
      if (out.problems.length < MAX_PROBLEMS) out.problems.push(`${file}:${i + 1}: ${r}`);
    } else out.rules.push(r);
  });
  return out;
}

function parseRule(w: string[], line: number, file: string): AuditRule | string {
  const opt = w[0]!;
  if (opt === '-w') {
    const path = w[1];
    if (!path) return '-w without a path';
    const p = w.indexOf('-p');
    return { kind: 'watch', path, perms: p > 0 ? (w[p + 1] ?? '') : 'rwxa', line, file };
  }
  if (opt === '-a' || opt === '-A') {
    const [a, b] = (w[1] ?? '').split(',');
    if (!a || !b) return `${opt} needs "action,list"`;
    // auditctl accepts both "always,exit" and "exit,always".
    const [action, list] = ['always', 'never'].includes(a) ? [a, b] : [b, a];
    const syscalls: string[] = [];
    const fields: Record<string, string> = {};
    for (let i = 2; i < w.length; i++) {
      if (w[i] === '-S' && w[i + 1]) syscalls.push(...w[++i]!.split(','));
      else if (w[i] === '-F' && w[i + 1]) {
        const m = /^([a-z_]+)(!=|>=|<=|=|>|<|&=|&)(.*)$/.exec(w[++i]!);
        if (m) fields[m[1]!] = m[3]!;
      } else if (w[i] === '-k' && w[i + 1]) fields.key = w[++i]!;
    }
    return {
      kind: 'syscall',
      list: list,
      action: action,
      ...(fields.arch ? { arch: fields.arch } : {}),
      syscalls,
      fields,
      line,
      file,
    };
  }
  if (opt.startsWith('-'))
    return { kind: 'control', option: opt, ...(w[1] !== undefined ? { value: w[1] } : {}), line, file };
  return `not an auditctl option: "${opt.slice(0, 30)}"`;
}

/** Whether a watch covers the path: the same path, or a directory above it; with write access recorded. */
export function watched(rules: readonly AuditRule[], path: string): AuditRule | undefined {
  const norm = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  const want = norm(path);
  return rules.find(
    (r) =>
      r.kind === 'watch' && r.perms.includes('w') && (norm(r.path) === want || want.startsWith(norm(r.path) + '/')),
  );
}

/** Syscalls of the list recorded by an always,exit rule for 64-bit calls (or any arch when the rule names none). */
export function recordedSyscalls(rules: readonly AuditRule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    if (r.kind !== 'syscall' || r.action !== 'always' || r.list !== 'exit') continue;
    if (r.arch && r.arch !== 'b64') continue;
    r.syscalls.forEach((s) => out.add(s));
  }
  return out;
}
