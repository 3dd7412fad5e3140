/**
 * Helpers of the documentation tests: the built CLI run as users run it, its --help texts, Markdown tables and the
 * command lines the documents give.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const REPO = process.cwd();
export const CLI = path.resolve('dist/src/cli/main.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, argument array only, with the environment given (nothing of this process's but PATH). */
export function hostward(args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 120_000,
    ...(input !== undefined ? { input } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const helpCache = new Map<string, string>();

/** `hostward COMMAND --help`, once per command; throws when the command has no help (an unknown command). */
export function helpOf(command: string): string {
  let text = helpCache.get(command);
  if (text === undefined) {
    const r = hostward([command, '--help']);
    if (r.status !== 0) throw new Error(`hostward ${command} --help exited ${r.status}: ${r.stderr}`);
    text = r.stdout;
    helpCache.set(command, text);
  }
  return text;
}

/** The long flags a --help text lists (`--root`, `--web.config.file`) and the short ones (`-q`). */
export function flagsIn(help: string): Set<string> {
  return new Set([...help.matchAll(/(?<![\w-])(--?[a-z][a-z0-9.-]*)/g)].map((m) => m[1]!));
}

export function readDoc(rel: string): string {
  return readFileSync(path.join(REPO, rel), 'utf8');
}

/** Every Markdown file under docs/ and deploy/runbooks.md, as repository paths. */
export function documentFiles(): string[] {
  const docs = readdirSync(path.join(REPO, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f));
  return [...docs.sort(), 'deploy/runbooks.md'];
}

export type Row = Record<string, string>;

/**
 * The rows of the first Markdown table after the heading `heading` (any level), keyed by the header cells in
 * lower case. Cells keep their text with the surrounding backticks removed.
 */
export function tableAfter(markdown: string, heading: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '').trim() === heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  let i = start + 1;
  while (i < lines.length && !lines[i]!.startsWith('|')) {
    if (/^#+ /.test(lines[i]!)) throw new Error(`no table under "${heading}"`);
    i++;
  }
  const cells = (l: string) =>
    l
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
  const header = cells(lines[i]!).map((h) => h.toLowerCase());
  const rows: Row[] = [];
  for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const c = cells(lines[i]!);
    rows.push(Object.fromEntries(header.map((h, j) => [h, unquote(c[j] ?? '')])));
  }
  return rows;
}

/** `x` → x; text with several code spans keeps them. */
export function unquote(cell: string): string {
  const m = /^`([^`]*)`$/.exec(cell);
  return m ? m[1]! : cell;
}

/** The code spans of a cell: "`a`, `b`" → [a, b]. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

export interface CommandLine {
  file: string;
  line: number;
  /** The words after `hostward`, up to the end of that command (a pipe, `;`, `&&`, `&`, a comment). */
  args: string[];
  text: string;
  /** From an inline code span of prose (which may also quote a message that starts with "hostward …"). */
  inline: boolean;
}

/** Where a command line runs hostward: at its start (after `sudo` or VAR=value), or after kubectl exec's `--`. */
const INVOCATION = /(?:^|\s--\s+|^sudo\s+)(?:[A-Z_]+=\S+\s+)*hostward\s+(.*)$/;

/**
 * Every `hostward …` command a document gives: the lines of its code blocks (continued lines joined; every
 * command of a line split at `|`, `;`, `&&`) and its inline code spans.
 */
export function commandLines(file: string, text: string): CommandLine[] {
  const out: CommandLine[] = [];
  const lines = text.split('\n');
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*```/.test(l)) {
      inBlock = !inBlock;
      continue;
    }
    let candidates: string[];
    const inline = !inBlock;
    if (inBlock) {
      let joined = l;
      while (/\\\s*$/.test(joined) && i + 1 < lines.length) joined = joined.replace(/\\\s*$/, ' ') + lines[++i]!;
      candidates = [joined];
    } else candidates = [...l.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const c of candidates) {
      const code = c.replace(/\s#.*$/, '').replace(/\$\([^)]*\)/g, 'X');
      for (const part of code.split(/\s*(?:\|\||&&|[|;&])\s*/)) {
        const m = INVOCATION.exec(part.trim().replace(/^\$\s+/, ''));
        if (m) out.push({ file, line: i + 1, args: splitWords(m[1]!), text: c.trim(), inline });
      }
    }
  }
  return out;
}

/** Words as a POSIX shell splits them for the simple lines documents give (quotes, no expansion). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g;
  let cur = '';
  let last = -1;
  for (const m of s.matchAll(re)) {
    const piece = m[1] ?? m[2] ?? m[3] ?? '';
    if (last >= 0 && m.index === last) cur += piece;
    else {
      if (last >= 0) words.push(cur);
      cur = piece;
    }
    last = m.index + m[0].length;
  }
  if (last >= 0) words.push(cur);
  return words.map((w) => w.replace(/\\$/, '')).filter((w) => w !== '');
}

export interface FieldDoc {
  path: string;
  type: string;
  always: boolean;
}

/** The fields of a contract table (field, type, present). */
export function fieldDocs(rows: readonly Row[]): FieldDoc[] {
  return rows.map((r) => {
    const present = r.present ?? '';
    if (present !== 'always' && present !== 'optional')
      throw new Error(`${r.field}: present must be always or optional`);
    return { path: r.field!, type: r.type!, always: present === 'always' };
  });
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `v` is not of the documented type, or undefined when it is. */
export function typeProblem(type: string, v: Json): string | undefined {
  const spans = codeSpans(type);
  const ok = (() => {
    if (type.startsWith('one of')) return spans.includes(String(v));
    if (type.startsWith('array of objects')) return Array.isArray(v) && v.every(isObject);
    if (type.startsWith('array of strings')) return Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (type === 'string (ISO 8601)')
      return typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v);
    if (type === 'string (YYYY-MM-DD)') return typeof v === 'string' && /^\d{4}-\d\d-\d\d$/.test(v);
    if (type.startsWith('string')) return typeof v === 'string';
    if (type.startsWith('integer')) return Number.isInteger(v);
    if (type.startsWith('number')) return typeof v === 'number' && Number.isFinite(v);
    if (type.startsWith('boolean')) return typeof v === 'boolean';
    if (type === 'object') return isObject(v);
    if (type === 'map') return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
    throw new Error(`unknown documented type "${type}"`);
  })();
  return ok ? undefined : `${JSON.stringify(v)?.slice(0, 80)} is not ${type}`;
}

/**
 * Hold JSON values to a contract table: every field seen is documented (maps are not entered), every `always`
 * field is present wherever its parent is, and values have the documented type. Returns the fields seen.
 */
export function checkFields(
  fields: readonly FieldDoc[],
  values: readonly Json[],
): { problems: string[]; seen: Set<string> } {
  const byPath = new Map(fields.map((f) => [f.path, f]));
  const problems: string[] = [];
  const seen = new Set<string>();
  const childrenOf = (parent: string) => fields.filter((f) => f.path !== parent && parentOf(f.path) === parent);
  const visitObject = (o: Record<string, Json>, at: string) => {
    for (const f of childrenOf(at)) if (f.always && !(lastKey(f.path) in o)) problems.push(`${f.path}: missing`);
    for (const [k, v] of Object.entries(o)) visit(v, at === '' ? k : `${at}.${k}`);
  };
  const visit = (v: Json, p: string) => {
    const doc = byPath.get(p);
    if (!doc) return void problems.push(`${p}: not documented`);
    seen.add(p);
    const t = typeProblem(doc.type, v);
    if (t) return void problems.push(`${p}: ${t}`);
    const items = p === '[]' ? p : `${p}[]`;
    if (Array.isArray(v) && doc.type.startsWith('array of objects'))
      for (const x of v) visitObject(x as Record<string, Json>, items);
    else if (doc.type === 'object') visitObject(v as Record<string, Json>, p);
  };
  for (const v of values) {
    if (byPath.has('[]')) visit(v, '[]');
    else if (isObject(v)) visitObject(v, '');
    else problems.push(`top level: ${JSON.stringify(v)?.slice(0, 40)} is not an object`);
  }
  return { problems: [...new Set(problems)], seen };
}

/** `findings[].evidence[].line` → `findings[].evidence[]`; `os.id` → `os`; `node` → ''. */
function parentOf(p: string): string {
  const i = p.lastIndexOf('.');
  return i < 0 ? '' : p.slice(0, i);
}

function lastKey(p: string): string {
  return p.slice(p.lastIndexOf('.') + 1);
}
