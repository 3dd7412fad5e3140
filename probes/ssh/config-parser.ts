/**
 * sshd_config parser with sshd's own reading rules (servconf.c, OpenSSH 9.2): case-insensitive keywords,
 * `key=value`, quotes, `#` comments, Include with globs (relative to /etc/ssh, lexical order, missing files
 * ignored), Include inside Match, and Match blocks that end with the file they are in. It records what sshd
 * would reject as fatal problems instead of throwing, and caps files, depth and directives so that a hostile
 * or broken configuration cannot make the scan hang.
 */
import { hasGlobMagic, type Failure, type HostRoot } from '../../src/sdk.js';
import type { ConfigProblem, Directive, MatchBlock, MatchCriterion, ParsedConfig } from './types.js';
import { lookupKeyword, type OpenSshVersionNumber } from './keywords.js';
import { validateCriteria, activeWithoutConnection, takesNoArgument, releaseString } from './match.js';
import { normaliseDirective } from './effective.js';

export interface ParseOptions {
  /** sshd's SERVCONF_MAX_DEPTH: deeper includes are fatal. */
  maxDepth?: number;
  maxFiles?: number;
  maxDirectives?: number;
  /** Per-file read cap (HostRoot's default when absent). */
  maxFileBytes?: number;
  /** Lines longer than this get a (non-fatal) problem; they are still parsed. */
  longLine?: number;
  /** Directory relative Include paths are resolved under. */
  sshDir?: string;
  version?: OpenSshVersionNumber;
  /**
   * Options the running daemon was started with (-o Key=value, -p, -h, -c as config lines). sshd applies
   * them before any file, so with "first value wins" they beat the files. `file` names where they came from
   * (/proc/<pid>/cmdline); it is not added to `files`.
   */
  commandLine?: { file: string; lines: string[] };
}

const DEFAULTS = { maxDepth: 16, maxFiles: 256, maxDirectives: 50_000, longLine: 8192, sshDir: '/etc/ssh' };
/**
 * Include patterns expanded at most per parse. Each costs a stat or a directory read: a 3 MB line of 278k
 * Include arguments kept the parser busy for minutes (found by fuzzing, test/fuzz).
 */
export const MAX_INCLUDE_PATTERNS = 1024;

interface State {
  host: HostRoot;
  opts: Required<Omit<ParseOptions, 'maxFileBytes' | 'commandLine'>> & { maxFileBytes?: number };
  files: string[];
  directives: Directive[];
  matchBlocks: MatchBlock[];
  problems: ConfigProblem[];
  stack: string[];
  stopped: boolean;
  /** Include patterns expanded so far (MAX_INCLUDE_PATTERNS). */
  includePatterns: number;
}

const WS = ' \t\r\n';

/**
 * misc.c strdelim: the next token, split on whitespace or one `=`, with a double-quoted token unquoted.
 * Returns null for an unterminated quote (sshd then ignores the token).
 */
export function strdelim(s: string): { token: string; rest: string | null } | null {
  let i = 0;
  while (i < s.length && !(WS + '"=').includes(s[i]!)) i++;
  if (i >= s.length) return { token: s, rest: null };
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) return null;
    const token = s.slice(0, i) + s.slice(i + 1, close);
    return { token, rest: skipWs(s.slice(close + 1)) };
  }
  const wasEq = s[i] === '=';
  let rest = skipWs(s.slice(i + 1));
  if (!wasEq && rest.startsWith('=')) rest = skipWs(rest.slice(1));
  return { token: s.slice(0, i), rest };
}

function skipWs(s: string): string {
  let i = 0;
  while (i < s.length && WS.includes(s[i]!)) i++;
  return s.slice(i);
}

/** misc.c argv_split with comments: words, quotes ' and ", backslash escapes; null for an open quote. */
export function argvSplit(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let arg = '';
    let quote = '';
    for (; i < s.length; i++) {
      const ch = s[i]!;
      const next = s[i + 1];
      if (
        ch === '\\' &&
        next !== undefined &&
        (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' '))
      ) {
        arg += next;
        i++;
      } else if (quote === '' && (ch === ' ' || ch === '\t')) break;
      else if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
      else if (quote !== '' && ch === quote) quote = '';
      else arg += ch;
    }
    if (quote !== '') return null;
    out.push(arg);
  }
  return out;
}

/**
 * match_cfg_line's reading of the criteria (strdelim tokens; `#` ends the line). `version` decides which
 * criteria exist (Invalid-User, with no argument, from 9.9; Version from 10.0); absent, the newest.
 */
export function parseCriteria(
  rest: string,
  version?: OpenSshVersionNumber,
): { criteria: MatchCriterion[]; error?: string } {
  const criteria: MatchCriterion[] = [];
  let cp: string | null = rest;
  while (cp !== null && cp !== '') {
    const a = strdelim(cp);
    if (!a || a.token === '' || a.token.startsWith('#')) break;
    const kind = a.token.toLowerCase();
    if (kind === 'all') {
      criteria.push({ kind, patterns: '' });
      const n = a.rest === null ? null : strdelim(a.rest);
      if (criteria.length > 1 || (n && n.token !== '' && !n.token.startsWith('#'))) {
        return { criteria, error: "'all' cannot be combined with other Match attributes" };
      }
      break;
    }
    if (takesNoArgument(kind, version)) {
      criteria.push({ kind, patterns: '' });
      cp = a.rest;
      continue;
    }
    const v = a.rest === null ? null : strdelim(a.rest);
    if (!v || v.token === '' || v.token.startsWith('#'))
      return { criteria, error: `Missing Match criteria for ${a.token}` };
    criteria.push({ kind, patterns: v.token });
    cp = v.rest;
  }
  const error = validateCriteria(criteria, version);
  return error ? { criteria, error } : { criteria };
}

type ProblemKind = NonNullable<ConfigProblem['kind']>;

function problem(
  st: State,
  file: string,
  line: number | undefined,
  message: string,
  fatal: boolean,
  kind: ProblemKind,
): void {
  if (st.problems.length >= 1000) return; // a garbage file must not produce a megabyte of problems
  const p: ConfigProblem = { file, kind, message, fatal };
  if (line !== undefined) p.line = line;
  st.problems.push(p);
}

/** Strip as load_server_config and process_server_config_line do: leading " \t\r", trailing whitespace and \f. */
function trimLine(raw: string): string {
  return raw.replace(/^[ \t\r]+/, '').replace(/[ \t\r\n\f]+$/, '');
}

async function parseFile(
  st: State,
  file: string,
  text: string,
  depth: number,
  parent: MatchBlock | null,
  isFile = true,
): Promise<void> {
  if (isFile) st.files.push(file);
  st.stack.push(file);
  let block = parent;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length && !st.stopped; i++) {
    const next = await parseLine(st, file, i + 1, lines[i]!, depth, block, parent);
    if (next !== undefined) block = next;
  }
  st.stack.pop();
}

/** Parse one line; returns the new current Match block when the line is a Match. */
async function parseLine(
  st: State,
  file: string,
  lineNo: number,
  raw: string,
  depth: number,
  block: MatchBlock | null,
  parent: MatchBlock | null,
): Promise<MatchBlock | undefined> {
  let line = raw;
  if (line.includes('\0')) {
    problem(st, file, lineNo, 'line contains a NUL byte; sshd would misread it and the following line', true, 'syntax');
    line = line.slice(0, line.indexOf('\0'));
  }
  if (line.length > st.opts.longLine)
    problem(st, file, lineNo, `line is ${line.length} characters long`, false, 'syntax');
  const text = trimLine(line);
  if (text === '') return undefined;
  let kw = strdelim(text);
  if (kw && kw.token === '' && kw.rest !== null) kw = strdelim(kw.rest);
  if (!kw || kw.token === '' || kw.token.startsWith('#')) return undefined;
  if (kw.rest === null || kw.rest === '') {
    problem(st, file, lineNo, `no argument after keyword "${printable(kw.token)}"`, true, 'syntax');
    return undefined;
  }
  const found = lookupKeyword(kw.token);
  if (!found) {
    problem(st, file, lineNo, `Bad configuration option: ${printable(kw.token)}`, true, 'unknown_keyword');
    return undefined;
  }
  const args = argvSplit(kw.rest);
  if (args === null) {
    problem(st, file, lineNo, 'invalid quotes', true, 'syntax');
    return undefined;
  }
  const name = found.info.name;
  if (block !== null && !found.inMatch && !activeWithoutConnection(block, releaseString(st.opts.version))) {
    problem(
      st,
      file,
      lineNo,
      `Directive '${kw.token}' is not allowed within a Match block`,
      true,
      'not_allowed_in_match',
    );
  }
  if (name === 'match') return matchLine(st, file, lineNo, text, kw.rest, parent);
  if (name === 'include') {
    await includeLine(st, file, lineNo, args, depth, block);
    return undefined;
  }
  addDirective(st, { keyword: name, args, file, line: lineNo, text, match: block }, found.info.status, kw.token);
  return undefined;
}

function printable(s: string): string {
  const t = s.length > 80 ? s.slice(0, 80) + '…' : s;
  return t.replace(/[^\x20-\x7e]/g, '?');
}

function matchLine(
  st: State,
  file: string,
  lineNo: number,
  text: string,
  rest: string,
  parent: MatchBlock | null,
): MatchBlock {
  const { criteria, error } = parseCriteria(rest, st.opts.version);
  if (error) problem(st, file, lineNo, `Bad Match condition: ${error}`, true, 'bad_value');
  // sshd evaluates a Match inside an included file only when the Include's own block applies: AND them.
  const all = parent ? [...parent.criteria, ...criteria] : criteria;
  const block: MatchBlock = { criteria: all, file, line: lineNo, text };
  st.matchBlocks.push(block);
  return block;
}

function addDirective(st: State, d: Directive, status: string, written: string): void {
  if (st.directives.length >= st.opts.maxDirectives) {
    problem(st, d.file, d.line, `more than ${st.opts.maxDirectives} directives; the rest is not read`, false, 'limit');
    st.stopped = true;
    return;
  }
  if (status === 'deprecated') problem(st, d.file, d.line, `Deprecated option ${written}`, false, 'deprecated');
  else if (status === 'unsupported') problem(st, d.file, d.line, `Unsupported option ${written}`, false, 'deprecated');
  else if (status === 'ignored') problem(st, d.file, d.line, `${written} is ignored by this sshd`, false, 'deprecated');
  else {
    const n = normaliseDirective(d.keyword, d.args, d.text, st.opts.version);
    if (!n.ok) problem(st, d.file, d.line, n.message, true, 'bad_value');
  }
  st.directives.push(d);
}

async function includeLine(
  st: State,
  file: string,
  lineNo: number,
  args: string[],
  depth: number,
  block: MatchBlock | null,
): Promise<void> {
  if (args.length === 0) {
    problem(st, file, lineNo, 'Include missing filename argument', true, 'syntax');
    return;
  }
  for (const arg of args) {
    if (arg === '') {
      problem(st, file, lineNo, 'keyword Include empty argument', true, 'syntax');
      return;
    }
    if (++st.includePatterns > MAX_INCLUDE_PATTERNS) {
      problem(
        st,
        file,
        lineNo,
        `more than ${MAX_INCLUDE_PATTERNS} Include patterns; the rest is not read`,
        false,
        'limit',
      );
      st.stopped = true;
      return;
    }
    const pattern = arg.startsWith('/') || arg.startsWith('~') ? arg : `${st.opts.sshDir}/${arg}`;
    for (const path of await expandInclude(st, file, lineNo, pattern)) {
      if (st.stopped) return;
      await includeFile(st, file, lineNo, path, depth + 1, block);
    }
  }
}

/** Files an Include pattern names, in glob(3) order; a missing file or empty glob is silently nothing. */
async function expandInclude(st: State, file: string, lineNo: number, pattern: string): Promise<string[]> {
  if (pattern.startsWith('~')) return []; // sshd globs without GLOB_TILDE: a literal "~..." never exists
  if (hasGlobMagic(pattern)) return st.host.glob(pattern);
  const st0 = await st.host.stat(pattern, false);
  if (!st0.ok) return [];
  return [pattern];
}

async function includeFile(
  st: State,
  from: string,
  lineNo: number,
  path: string,
  depth: number,
  block: MatchBlock | null,
): Promise<void> {
  if (depth > st.opts.maxDepth) {
    problem(
      st,
      from,
      lineNo,
      `Too many recursive configuration includes (more than ${st.opts.maxDepth})`,
      true,
      'include',
    );
    st.stopped = true;
    return;
  }
  if (st.files.length >= st.opts.maxFiles) {
    problem(
      st,
      from,
      lineNo,
      `more than ${st.opts.maxFiles} configuration files; the rest is not read`,
      false,
      'limit',
    );
    st.stopped = true;
    return;
  }
  const r = await st.host.readText(path, st.opts.maxFileBytes === undefined ? {} : { maxBytes: st.opts.maxFileBytes });
  if (!r.ok) {
    // sshd exits when it cannot open a file its glob returned (symlink loop, permissions); too large is our cap.
    const fatal = r.code === 'symlink_loop' || r.code === 'unreadable'; // a directory reads as empty in sshd
    problem(st, from, lineNo, `Include ${path}: ${r.code.replace(/_/g, ' ')} (${r.reason})`, fatal, 'include');
    return;
  }
  if (st.stack.includes(r.realPath) || st.stack.includes(path)) {
    problem(
      st,
      from,
      lineNo,
      `Include loop: ${path} includes itself (sshd fails with too many recursive includes)`,
      true,
      'include',
    );
    return;
  }
  await parseFile(st, path, r.text, depth, block);
}

/** Parse the main sshd_config and everything it includes. A Failure when the main file cannot be read. */
export async function parseSshdConfig(
  host: HostRoot,
  mainFile = '/etc/ssh/sshd_config',
  opts: ParseOptions = {},
): Promise<ParsedConfig | Failure> {
  const o: State['opts'] = {
    maxDepth: opts.maxDepth ?? DEFAULTS.maxDepth,
    maxFiles: opts.maxFiles ?? DEFAULTS.maxFiles,
    maxDirectives: opts.maxDirectives ?? DEFAULTS.maxDirectives,
    longLine: opts.longLine ?? DEFAULTS.longLine,
    sshDir: opts.sshDir ?? DEFAULTS.sshDir,
    version: opts.version ?? { major: 9, minor: 2 },
  };
  if (opts.maxFileBytes !== undefined) o.maxFileBytes = opts.maxFileBytes;
  const r = await host.readText(mainFile, o.maxFileBytes === undefined ? {} : { maxBytes: o.maxFileBytes });
  if (!r.ok) return r;
  const st: State = {
    host,
    opts: o,
    files: [],
    directives: [],
    matchBlocks: [],
    problems: [],
    stack: [],
    stopped: false,
    includePatterns: 0,
  };
  if (opts.commandLine && opts.commandLine.lines.length > 0)
    await parseFile(st, opts.commandLine.file, opts.commandLine.lines.join('\n'), 0, null, false);
  await parseFile(st, mainFile, r.text, 0, null);
  checkDuplicates(st);
  return { mainFile, files: st.files, directives: st.directives, matchBlocks: st.matchBlocks, problems: st.problems };
}

/** Cross-line checks sshd makes: a Subsystem defined twice, AuthenticationMethods `any` after a list. */
function checkDuplicates(st: State): void {
  const subs = new Set<string>();
  let authSet = false;
  for (const d of st.directives) {
    if (d.match !== null && !activeWithoutConnection(d.match, releaseString(st.opts.version))) continue;
    if (d.keyword === 'subsystem' && d.args[0] !== undefined) {
      if (subs.has(d.args[0]))
        problem(st, d.file, d.line, `Subsystem '${d.args[0]}' already defined.`, true, 'bad_value');
      subs.add(d.args[0]);
    }
    if (d.keyword === 'authenticationmethods') {
      if (authSet && d.args.includes('any'))
        problem(st, d.file, d.line, '"any" must appear alone in AuthenticationMethods', true, 'bad_value');
      if (!d.args.includes('any')) authSet = true;
    }
  }
}
