/**
 * sudoers(5), the parts CIS reads: Defaults entries (with their binding: Defaults:user, Defaults@host, ...),
 * the NOPASSWD tag of user specifications, and include directives (#include, @include, #includedir,
 * @includedir). "#" followed by digits is a uid ("#1000 ALL=..."), not a comment; a backslash joins lines.
 */
import { addProblem, splitLines } from './common.js';
import type { Problems } from './common.js';

export interface SudoDefault {
  /** Parameter name; negated with "!" (e.g. "!authenticate" is name authenticate, negated true). */
  name: string;
  negated: boolean;
  value?: string;
  /** The binding after "Defaults" (":user", "@host", ">runas", "!cmnd"), "" for global. */
  binding: string;
  line: number;
  text: string;
}

export interface SudoRule {
  /** The user list of the specification (first word). */
  user: string;
  nopasswd: boolean;
  line: number;
  text: string;
}

export interface SudoInclude {
  kind: 'file' | 'dir';
  target: string;
  line: number;
}

export interface SudoersFile extends Problems {
  defaults: SudoDefault[];
  rules: SudoRule[];
  includes: SudoInclude[];
  truncated: boolean;
}

const ALIASES = /^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\b/;

/** Drop a comment: "#" not followed by a digit (a uid) and not inside double quotes. */
function stripComment(l: string): string {
  let quoted = false;
  for (let i = 0; i < l.length; i++) {
    const c = l[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted && !/\d/.test(l[i + 1] ?? '')) return l.slice(0, i);
  }
  return l;
}

/** Split on commas outside double quotes and backslash escapes. */
function splitCommas(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((x) => x !== '');
}

function parseDefaults(l: string, line: number, out: SudoersFile): void {
  const m = /^Defaults([:@>!][^\s]*)?\s+(.*)$/.exec(l);
  if (!m) return addProblem(out, line, 'a Defaults line without parameters');
  const text = l.length > 200 ? l.slice(0, 200) + '…' : l;
  for (const item of splitCommas(m[2]!)) {
    const p = /^(!*)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-]?=)\s*(.*))?$/.exec(item);
    if (!p) {
      addProblem(out, line, `Defaults entry "${item.slice(0, 40)}" not understood`);
      continue;
    }
    const value = p[4] !== undefined ? p[4].replace(/^"(.*)"$/, '$1') : undefined;
    out.defaults.push({
      name: p[2]!,
      negated: p[1]!.length % 2 === 1,
      ...(value !== undefined ? { value } : {}),
      binding: m[1] ?? '',
      line,
      text,
    });
  }
}

export function parseSudoers(text: string): SudoersFile {
  const out: SudoersFile = { defaults: [], rules: [], includes: [], problems: [], problemCount: 0, truncated: false };
  const { lines, truncated } = splitLines(text);
  out.truncated = truncated;
  let pending = '';
  let start = 0;
  lines.forEach((raw, i) => {
    if (pending === '') start = i + 1;
    const inc = pending === '' ? /^\s*[#@](include|includedir)\s+(.+?)\s*$/.exec(raw) : null;
    if (inc) {
      out.includes.push({
        kind: inc[1] === 'includedir' ? 'dir' : 'file',
        target: inc[2]!.replace(/^"(.*)"$/, '$1'),
        line: i + 1,
      });
      return;
    }
    const body = stripComment(raw);
    if (body.endsWith('\\')) {
      pending += body.slice(0, -1) + ' ';
      return;
    }
    const l = (pending + body).trim();
    pending = '';
    if (l === '') return;
    if (l.startsWith('Defaults')) return parseDefaults(l, start, out);
    if (ALIASES.test(l)) return;
    if (!l.includes('=')) return addProblem(out, start, 'neither a Defaults line, an alias nor a user specification');
    const text = l.length > 200 ? l.slice(0, 200) + '…' : l;
    out.rules.push({ user: l.split(/\s+/)[0]!, nopasswd: /(^|[\s,(=])NOPASSWD\s*:/.test(l), line: start, text });
  });
  return out;
}

/**
 * Files sudo reads from an #includedir: regular names without "." and not ending in "~" (sudoers(5)),
 * in lexical order.
 */
export function includedirNames(names: readonly string[]): string[] {
  return names.filter((n) => !n.includes('.') && !n.endsWith('~')).sort();
}
