/**
 * The few shell statements CIS reads from login scripts (/etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc,
 * root's dot files, /etc/environment): umask, TMOUT and PATH. This is no shell: it reads simple statements line
 * by line, including those inside if-branches (all branches count, as CIS's grep-based audits do), and says
 * which lines it saw. Statements split by ";" and "&&" are read one by one.
 */
import { splitLines } from './common.js';

export interface UmaskSetting {
  /** The mask as a number, undefined when the argument is not understood. */
  mask?: number;
  text: string;
  line: number;
}

export interface VarAssignment {
  value: string;
  line: number;
  text: string;
}

export interface ShellFacts {
  umasks: UmaskSetting[];
  /** TMOUT=value assignments (plain, exported, readonly or declared). */
  tmout: VarAssignment[];
  /** Lines that make TMOUT read-only / exported (with or without an assignment). */
  tmoutReadonly: number[];
  tmoutExported: number[];
  /** PATH=value assignments, in order. */
  path: VarAssignment[];
  truncated: boolean;
}

/** umask(1) arguments: octal, or symbolic "u=rwx,g=rx,o=" (the permissions *kept*). */
export function parseUmaskArg(arg: string): number | undefined {
  if (/^[0-7]{1,4}$/.test(arg)) return parseInt(arg, 8) & 0o777;
  const parts = arg.split(',');
  let keep = 0;
  const seen = new Set<string>();
  for (const p of parts) {
    const m = /^([ugoa]+)=([rwx]*)$/.exec(p);
    if (!m) return undefined;
    const bits = (m[2]!.includes('r') ? 4 : 0) | (m[2]!.includes('w') ? 2 : 0) | (m[2]!.includes('x') ? 1 : 0);
    for (const who of m[1]!.replace('a', 'ugo')) {
      seen.add(who);
      keep |= bits << (who === 'u' ? 6 : who === 'g' ? 3 : 0);
    }
  }
  // Classes not named keep what the current mask allows: unknown here, so a partial form is not understood.
  if (seen.size < 3) return undefined;
  return ~keep & 0o777;
}

const unquote = (v: string): string => v.replace(/^(["'])(.*)\1$/, '$2');

/** Split a line into simple statements (";", "&&", "||"), dropping a trailing comment. */
function statements(line: string): string[] {
  const noComment = line.replace(/(^|\s)#.*$/, '');
  return noComment
    .split(/;|&&|\|\|/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `declare -rx`, `typeset -r`, `readonly`, `export` and their flags, before NAME[=value] words. */
function parseStatement(s: string, line: number, out: ShellFacts): void {
  // Words inside if/then/else keep their statement: "then umask 027".
  const body = s.replace(/^(then|else|do|\{)\s+/, '');
  const um = /^umask\s+(-S\s+)?(\S+)$/.exec(body);
  if (um) {
    out.umasks.push({
      ...(parseUmaskArg(unquote(um[2]!)) !== undefined ? { mask: parseUmaskArg(unquote(um[2]!))! } : {}),
      text: s,
      line,
    });
    return;
  }
  const cmd = /^(export|readonly|declare|typeset|local)\b\s*(.*)$/.exec(body);
  const words = (cmd ? cmd[2]! : body).split(/\s+/);
  let exported = cmd?.[1] === 'export';
  let readonly = cmd?.[1] === 'readonly';
  for (const w of words) {
    if (/^-[a-zA-Z]+$/.test(w)) {
      if (w.includes('x')) exported = true;
      if (w.includes('r')) readonly = true;
      continue;
    }
    const a = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(w);
    if (!a) {
      if (!cmd) return;
      continue;
    }
    const [, name, value] = a;
    if (!cmd && value === undefined) return;
    if (name === 'TMOUT') {
      if (value !== undefined) out.tmout.push({ value: unquote(value), line, text: s });
      if (readonly) out.tmoutReadonly.push(line);
      if (exported) out.tmoutExported.push(line);
    } else if (name === 'PATH' && value !== undefined) {
      out.path.push({ value: unquote(value), line, text: s });
    }
  }
}

export function parseShellFile(text: string): ShellFacts {
  const out: ShellFacts = { umasks: [], tmout: [], tmoutReadonly: [], tmoutExported: [], path: [], truncated: false };
  const { lines, truncated } = splitLines(text);
  out.truncated = truncated;
  // A backslash-newline joins lines; the statement keeps the number of its first line.
  let pending = '';
  let start = 0;
  lines.forEach((raw, i) => {
    if (pending === '') start = i + 1;
    if (raw.endsWith('\\')) {
      pending += raw.slice(0, -1);
      return;
    }
    const l = (pending + raw).trim();
    pending = '';
    for (const s of statements(l)) parseStatement(s, start, out);
  });
  return out;
}

/** /etc/environment (pam_env): KEY=value lines, no statements. */
export function parseEnvironmentFile(text: string): VarAssignment[] {
  const { lines } = splitLines(text);
  const out: VarAssignment[] = [];
  lines.forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?PATH=(.*)$/.exec(raw);
    if (m) out.push({ value: unquote(m[1]!.trim()), line: i + 1, text: raw.trim() });
  });
  return out;
}
