/**
 * The colon databases: /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow (passwd(5), shadow(5), group(5),
 * gshadow(5)). One entry per line with a fixed number of fields; a line with another count, a non-numeric id
 * or an empty name is reported with its number, as pwck and grpck do, and left out of the entries.
 * NIS compat lines (+, -) name no local account and are counted apart.
 */
import { MAX_PROBLEMS, addProblem, parseIntStrict, splitLines } from './common.js';
import type { Problems } from './common.js';

export interface PasswdEntry {
  name: string;
  password: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  line: number;
}

export interface ShadowEntry {
  name: string;
  /** The password field as written: a hash, "!"/"*" locks, "" for none. */
  hash: string;
  /** Days since 1970-01-01; undefined when the field is empty. */
  lastChange?: number;
  min?: number;
  max?: number;
  warn?: number;
  inactive?: number;
  expire?: number;
  line: number;
}

export interface GroupEntry {
  name: string;
  password: string;
  gid: number;
  members: string[];
  line: number;
}

export interface GshadowEntry {
  name: string;
  password: string;
  admins: string[];
  members: string[];
  line: number;
}

export interface ColonFile<T> extends Problems {
  entries: T[];
  /** Lines left out as malformed, with their fields (at most MAX_PROBLEMS): a check may still judge them. */
  rejected: { line: number; fields: string[] }[];
  /** NIS compat lines ("+user", "-@netgroup"), which pull entries from elsewhere. */
  nisLines: number[];
  truncated: boolean;
}

function parseColon<T>(
  text: string,
  fields: number,
  make: (f: string[], line: number, p: Problems) => T | undefined,
): ColonFile<T> {
  const out: ColonFile<T> = {
    entries: [],
    rejected: [],
    nisLines: [],
    problems: [],
    problemCount: 0,
    truncated: false,
  };
  const { lines, truncated } = splitLines(text);
  out.truncated = truncated;
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('+') || raw.startsWith('-')) {
      out.nisLines.push(line);
      return;
    }
    const f = raw.split(':');
    const reject = (reason: string): void => {
      if (out.rejected.length < MAX_PROBLEMS)
        out.rejected.push({ line, fields: f.slice(0, fields + 1).map((x) => x.slice(0, 64)) });
      addProblem(out, line, reason);
    };
    if (f.length !== fields) return reject(`${f.length} fields where ${fields} are expected`);
    if (f[0] === '') return reject('empty name');
    const before = out.problemCount;
    const e = make(f, line, out);
    if (e) out.entries.push(e);
    else if (out.problemCount > before && out.rejected.length < MAX_PROBLEMS)
      out.rejected.push({ line, fields: f.map((x) => x.slice(0, 64)) });
  });
  return out;
}

function id(f: string, what: string, line: number, p: Problems): number | undefined {
  const n = parseIntStrict(f);
  if (n === undefined || n < 0 || n > 0xffffffff) addProblem(p, line, `${what} "${f.slice(0, 20)}" is not a number`);
  return n === undefined || n < 0 || n > 0xffffffff ? undefined : n;
}

const list = (s: string): string[] => (s === '' ? [] : s.split(',').filter((m) => m !== ''));

export function parsePasswd(text: string): ColonFile<PasswdEntry> {
  return parseColon(text, 7, (f, line, p) => {
    const uid = id(f[2]!, 'uid', line, p);
    const gid = id(f[3]!, 'gid', line, p);
    if (uid === undefined || gid === undefined) return undefined;
    return { name: f[0]!, password: f[1]!, uid, gid, home: f[5]!, shell: f[6]!, line };
  });
}

/** An optional day count of shadow(5): empty is undefined; garbage is a problem. */
function day(f: string, what: string, line: number, p: Problems): number | undefined | null {
  if (f === '') return undefined;
  const n = parseIntStrict(f);
  if (n === undefined) {
    addProblem(p, line, `${what} "${f.slice(0, 20)}" is not a number`);
    return null;
  }
  return n;
}

export function parseShadow(text: string): ColonFile<ShadowEntry> {
  return parseColon(text, 9, (f, line, p) => {
    const names = ['last change', 'minimum age', 'maximum age', 'warning period', 'inactivity period', 'expiry'];
    const days = names.map((n, i) => day(f[2 + i]!, n, line, p));
    if (days.some((d) => d === null)) return undefined;
    const e: ShadowEntry = { name: f[0]!, hash: f[1]!, line };
    const keys = ['lastChange', 'min', 'max', 'warn', 'inactive', 'expire'] as const;
    keys.forEach((k, i) => {
      const d = days[i];
      if (typeof d === 'number') e[k] = d;
    });
    return e;
  });
}

export function parseGroup(text: string): ColonFile<GroupEntry> {
  return parseColon(text, 4, (f, line, p) => {
    const gid = id(f[2]!, 'gid', line, p);
    return gid === undefined ? undefined : { name: f[0]!, password: f[1]!, gid, members: list(f[3]!), line };
  });
}

export function parseGshadow(text: string): ColonFile<GshadowEntry> {
  return parseColon(text, 4, (f, line) => ({
    name: f[0]!,
    password: f[1]!,
    admins: list(f[2]!),
    members: list(f[3]!),
    line,
  }));
}
