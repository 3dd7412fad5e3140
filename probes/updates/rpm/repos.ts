/**
 * dnf and yum configuration: the [main] section of /etc/dnf/dnf.conf (or /etc/yum.conf) and the repositories
 * of every *.repo file in the repository directories, as libdnf's INI parser reads them: `[section]`,
 * `key=value` (whitespace around both trimmed), `#` and `;` comment lines, and lines that start with
 * whitespace continuing the previous value (multi-line baseurl or exclude lists). A repository defined twice
 * keeps its first definition, as dnf does (it warns and ignores the second).
 *
 * Only what the updates computation needs is kept: enabled, priority (lower wins, default 99), excludepkgs /
 * includepkgs (globs, from [main] and per repository), cachedir and reposdir.
 */

export const DNF_CONF = '/etc/dnf/dnf.conf';
export const YUM_CONF = '/etc/yum.conf';
/** dnf 4's default reposdir; dnf 5 reads the same directories. */
export const DEFAULT_REPOS_DIRS = ['/etc/yum.repos.d', '/etc/yum/repos.d', '/etc/distro.repos.d'] as const;
export const DEFAULT_PRIORITY = 99;

export interface IniSection {
  name: string;
  line: number;
  /** Lower-cased key -> value (continuation lines joined with a newline) and the line of the key. */
  values: Map<string, { value: string; line: number }>;
}

export interface IniProblem {
  line: number;
  message: string;
}

export function parseIni(text: string): { sections: IniSection[]; problems: IniProblem[] } {
  const sections: IniSection[] = [];
  const problems: IniProblem[] = [];
  let cur: IniSection | undefined;
  let lastKey: { value: string; line: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const n = i + 1;
    if (/^[ \t]/.test(raw) && raw.trim() && lastKey && !/^\s*[#;]/.test(raw)) {
      lastKey.value += '\n' + raw.trim();
      continue;
    }
    const t = raw.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) {
      if (!t) lastKey = undefined;
      continue;
    }
    const sec = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(t);
    if (sec) {
      cur = { name: sec[1]!.trim(), line: n, values: new Map() };
      sections.push(cur);
      lastKey = undefined;
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0 || !cur) {
      if (problems.length < 20)
        problems.push({
          line: n,
          message: cur ? `not a key=value line: ${t.slice(0, 80)}` : `key outside a [section]: ${t.slice(0, 80)}`,
        });
      lastKey = undefined;
      continue;
    }
    const key = t.slice(0, eq).trim().toLowerCase();
    lastKey = { value: t.slice(eq + 1).trim(), line: n };
    cur.values.set(key, lastKey);
  }
  return { sections, problems };
}

/** libdnf's boolean option values. */
export function parseBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = v.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(s)) return true;
  if (['0', 'no', 'false', 'off'].includes(s)) return false;
  return dflt;
}

/** List options: items separated by commas, spaces or newlines. */
export function parseList(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(/[\s,]+/).filter(Boolean);
}

export interface MainConf {
  file?: string;
  excludes: string[];
  cachedir?: string;
  reposdir?: string[];
  problems: string[];
}

export interface RepoConf {
  id: string;
  name?: string;
  enabled: boolean;
  priority: number;
  excludes: string[];
  /** When non-empty, only these packages are taken from the repository. */
  includes: string[];
  file: string;
  line: number;
}

export function parseMainConf(text: string, file: string): { main: MainConf; repos: RepoConf[] } {
  const ini = parseIni(text);
  const main: MainConf = { file, excludes: [], problems: ini.problems.map((p) => `${file}:${p.line}: ${p.message}`) };
  const m = ini.sections.find((s) => s.name === 'main');
  if (m) {
    const v = (k: string) => m.values.get(k)?.value;
    main.excludes = [...parseList(v('exclude')), ...parseList(v('excludepkgs'))];
    const cd = v('cachedir');
    if (cd) main.cachedir = cd;
    const rd = v('reposdir');
    if (rd !== undefined) main.reposdir = parseList(rd);
  }
  // dnf.conf may also define repositories
  return { main, repos: reposOf(ini.sections, file, main.problems) };
}

/** libdnf Repo::verifyId: letters, digits and -_.: only; dnf skips a repository with another id. */
export const REPO_ID_RE = /^[A-Za-z0-9_.:-]+$/;

function reposOf(sections: IniSection[], file: string, problems: string[]): RepoConf[] {
  // dnf skips a [main] section in .repo files, and repositories with invalid ids (with a warning)
  const valid = sections.filter((s) => {
    if (s.name === 'main') return false;
    if (REPO_ID_RE.test(s.name)) return true;
    if (!s.name.includes('$'))
      problems.push(`${file}:${s.line}: bad repository id [${s.name.slice(0, 80)}] (skipped, as dnf does)`);
    else
      problems.push(
        `${file}:${s.line}: repository id [${s.name.slice(0, 80)}] uses dnf variables, which are not substituted (skipped)`,
      );
    return false;
  });
  return valid.map((s) => {
    const v = (k: string) => s.values.get(k)?.value;
    const prio = Number.parseInt(v('priority') ?? '', 10);
    const r: RepoConf = {
      id: s.name,
      enabled: parseBool(v('enabled'), true),
      priority: Number.isFinite(prio) ? prio : DEFAULT_PRIORITY,
      excludes: [...parseList(v('exclude')), ...parseList(v('excludepkgs'))],
      includes: parseList(v('includepkgs')),
      file,
      line: s.line,
    };
    const name = v('name');
    if (name) r.name = name;
    return r;
  });
}

export function parseRepoFile(text: string, file: string): { repos: RepoConf[]; problems: string[] } {
  const ini = parseIni(text);
  const problems = ini.problems.map((p) => `${file}:${p.line}: ${p.message}`);
  return { repos: reposOf(ini.sections, file, problems), problems };
}

/** A glob of dnf's package specs (fnmatch: *, ?, [...]) as a RegExp over the whole string. */
export function specRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Matches a package by name or name.arch against exclude/include specs. */
export function specMatcher(specs: readonly string[]): (name: string, arch: string) => boolean {
  if (specs.length === 0) return () => false;
  const res = specs.map(specRegExp);
  return (name, arch) => res.some((r) => r.test(name) || r.test(`${name}.${arch}`));
}
