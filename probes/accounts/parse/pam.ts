/**
 * PAM service files (pam.d(5)): "type control module-path args", where the control may be a bracketed list
 * ("[success=1 default=ignore]"), an argument may be bracketed to hold spaces ("[query=select ...]"), a
 * backslash joins lines, "#" starts a comment, a leading "-" on the type means "skip when the module is
 * missing", and Debian's libpam reads "@include file". Type keywords are case-insensitive, as libpam's are.
 */
import { addProblem, splitLines } from './common.js';
import type { Problems } from './common.js';

export type PamType = 'auth' | 'account' | 'password' | 'session';

export type PamLine =
  | {
      kind: 'module';
      type: PamType;
      control: string;
      module: string;
      args: string[];
      optional: boolean;
      line: number;
      text: string;
    }
  | {
      kind: 'include';
      type?: PamType;
      control: 'include' | 'substack' | '@include';
      target: string;
      line: number;
      text: string;
    };

export interface PamFile extends Problems {
  lines: PamLine[];
  truncated: boolean;
}

const TYPES = new Set(['auth', 'account', 'password', 'session']);

/** Words of a PAM line, a bracketed word kept whole (with "\]" for a literal bracket inside). */
export function pamWords(l: string): string[] | string {
  const words: string[] = [];
  let i = 0;
  while (i < l.length) {
    if (/\s/.test(l[i]!)) {
      i++;
      continue;
    }
    let w = '';
    if (l[i] === '[') {
      let j = i + 1;
      while (j < l.length && l[j] !== ']') j += l[j] === '\\' && l[j + 1] === ']' ? 2 : 1;
      if (j >= l.length) return 'an opening "[" is never closed';
      w = l.slice(i, j + 1);
      i = j + 1;
      // Text glued to the bracket ("[a b]c") belongs to the same word, as libpam reads it.
      while (i < l.length && !/\s/.test(l[i]!)) w += l[i++];
    } else {
      while (i < l.length && !/\s/.test(l[i]!)) w += l[i++];
    }
    words.push(w);
  }
  return words;
}

/** The module's base name: "/lib/x86_64-linux-gnu/security/pam_unix.so" -> "pam_unix.so". */
export const moduleName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export function parsePam(text: string): PamFile {
  const out: PamFile = { lines: [], problems: [], problemCount: 0, truncated: false };
  const { lines, truncated } = splitLines(text);
  out.truncated = truncated;
  let pending = '';
  let start = 0;
  lines.forEach((raw, i) => {
    if (pending === '') start = i + 1;
    if (raw.endsWith('\\')) {
      pending += raw.slice(0, -1) + ' ';
      return;
    }
    const full = pending + raw;
    pending = '';
    parseLine(full, start, out);
  });
  if (pending !== '') parseLine(pending, start, out);
  return out;
}

function parseLine(full: string, line: number, out: PamFile): void {
  const hash = full.indexOf('#');
  const l = (hash >= 0 ? full.slice(0, hash) : full).trim();
  if (l === '') return;
  const text = l.length > 200 ? l.slice(0, 200) + '…' : l;
  const words = pamWords(l);
  if (typeof words === 'string') return addProblem(out, line, words);
  if (words[0] === '@include') {
    if (words.length !== 2) return addProblem(out, line, '@include takes one file name');
    out.lines.push({ kind: 'include', control: '@include', target: words[1]!, line, text });
    return;
  }
  if (words.length < 3) return addProblem(out, line, 'fewer than three fields (type, control, module)');
  const optional = words[0]!.startsWith('-');
  const type = (optional ? words[0]!.slice(1) : words[0]!).toLowerCase();
  if (!TYPES.has(type)) return addProblem(out, line, `"${words[0]!.slice(0, 20)}" is not a PAM type`);
  const control = words[1]!;
  const lower = control.toLowerCase();
  if (lower === 'include' || lower === 'substack') {
    out.lines.push({ kind: 'include', type: type as PamType, control: lower, target: words[2]!, line, text });
    return;
  }
  out.lines.push({
    kind: 'module',
    type: type as PamType,
    control,
    module: words[2]!,
    args: words.slice(3),
    optional,
    line,
    text,
  });
}

/** The value of "name=value" among a module's arguments (the last one wins), or undefined. */
export function argValue(args: readonly string[], name: string): string | undefined {
  let v: string | undefined;
  for (const a of args) if (a.startsWith(name + '=')) v = a.slice(name.length + 1);
  return v;
}

export const hasArg = (args: readonly string[], name: string): boolean => args.includes(name);
