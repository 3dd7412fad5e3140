/**
 * The persisted sysctl configuration: what the next boot will write into /proc/sys. Pure functions (text in,
 * settings out) that follow systemd-sysctl (src/sysctl/sysctl.c and conf-files.c), which applies the settings
 * at boot on systemd hosts:
 *
 * - files named *.conf in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and
 *   /lib/sysctl.d; a name in an earlier directory masks the same name in later ones (a link to /dev/null, an
 *   empty file or a dangling link masks and sets nothing); the files are read in lexicographic order of name;
 * - per line: blanks stripped; empty lines and lines starting with `#` or `;` are comments (no comment after a
 *   value: "1 # x" is the value "1 # x"); `key = value`; a leading `-` on an assignment only ignores write
 *   errors; `-key` without `=` is a "negative match" that keeps globs off that key and drops an earlier
 *   assignment of it; any other line is ignored with a warning;
 * - keys use `.` or `/` as separators: when the first separator is `.`, dots and slashes swap (so
 *   net.ipv4.conf.eth0/100.rp_filter is /proc/sys/net/ipv4/conf/eth0.100/rp_filter);
 * - a later assignment of the same key replaces the earlier one; a key with `*`, `?` or `[` is a glob
 *   (systemd 245+) applied to the sysctls it matches, in the order the globs were last assigned, but never to
 *   a key that an explicit line names (explicit settings win whatever their order).
 *
 * /etc/sysctl.conf: systemd reads it only through the link /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf
 * (shipped by systemd and by Debian's procps), at that name's place in the order. procps `sysctl --system`
 * (sysctl.c PreloadSystem) reads the same directories the same way and then /etc/sysctl.conf last. The reader
 * (persisted.ts) takes systemd's order and, when no sysctl.d entry leads to /etc/sysctl.conf, appends it last
 * as procps does.
 */
import type { Parsed } from './parse.js';

export const SYSCTL_CONF_DIRS = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
] as const;
export const SYSCTL_CONF = '/etc/sysctl.conf';
/** Largest configuration file read: real ones are a few KiB; systemd's own line limit is 1 MiB. */
export const MAX_CONF_CHARS = 1024 * 1024;
/** Lines not understood that are kept for messages (all are counted). */
const MAX_IGNORED_KEPT = 10;

export interface ConfAssignment {
  /** The key as this probe names sysctls: dot-separated, a literal dot inside a name written `/`. */
  key: string;
  /** The value after `=` with blanks stripped; null for a negative match (`-key`). */
  value: string | null;
  /** 1-based line number. */
  line: number;
  /** The line as written (shortened), for evidence. */
  text: string;
}

export interface ConfFile {
  assignments: ConfAssignment[];
  /** Lines that are neither comments nor assignments (systemd ignores them with a warning). */
  ignored: { line: number; text: string }[];
  ignoredCount: number;
}

const short = (s: string) => (s.length > 120 ? s.slice(0, 120) + '…' : s);
/** systemd's WHITESPACE: strstrip() removes these only. */
const strip = (s: string) => s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');

/**
 * systemd's sysctl_normalize, then this probe's spelling: path form (net/ipv4/conf/eth0.100/rp_filter) with
 * empty and "." components dropped, then dots and slashes swapped back (net.ipv4.conf.eth0/100.rp_filter).
 */
export function normaliseSysctlKey(raw: string): string {
  const first = /[./]/.exec(raw);
  const asPath = first && first[0] === '.' ? swapDotsAndSlashes(raw) : raw;
  const parts = asPath.split('/').filter((p) => p !== '' && p !== '.');
  return swapDotsAndSlashes(parts.join('/'));
}

function swapDotsAndSlashes(s: string): string {
  return s.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** A key that systemd treats as a glob (string_is_glob: any of `*?[`). */
export const isGlob = (key: string) => /[*?[]/.test(key);

/** Parse one sysctl.d file. Never throws; a file beyond MAX_CONF_CHARS is refused as a whole. */
export function parseSysctlConf(text: string): Parsed<{ conf: ConfFile }> {
  if (text.length > MAX_CONF_CHARS) {
    return { ok: false, reason: `${text.length} characters, larger than any sysctl configuration file` };
  }
  const conf: ConfFile = { assignments: [], ignored: [], ignoredCount: 0 };
  // read_line() ends a line at \n, \r\n, \r or NUL.
  text.split(/\r\n|[\r\n\0]/).forEach((raw, i) => {
    const p = strip(raw);
    if (p === '' || p[0] === '#' || p[0] === ';') return;
    const eq = p.indexOf('=');
    let key: string;
    let value: string | null;
    if (eq >= 0) {
      key = p.slice(p[0] === '-' ? 1 : 0, eq);
      value = strip(p.slice(eq + 1));
    } else if (p[0] === '-') {
      key = p.slice(1);
      value = null;
    } else {
      conf.ignoredCount++;
      if (conf.ignored.length < MAX_IGNORED_KEPT) conf.ignored.push({ line: i + 1, text: short(p) });
      return;
    }
    const k = normaliseSysctlKey(strip(key));
    if (k === '') {
      conf.ignoredCount++;
      if (conf.ignored.length < MAX_IGNORED_KEPT) conf.ignored.push({ line: i + 1, text: short(p) });
      return;
    }
    conf.assignments.push({ key: k, value, line: i + 1, text: short(p) });
  });
  return { ok: true, conf };
}

/** One setting after every file is applied: the line that set it last. */
export interface ConfSetting extends ConfAssignment {
  /** Host path of the file. */
  file: string;
  /** Position of the file in the order applied (0-based). */
  order: number;
}

/**
 * The settings in force after applying the files in order, as systemd-sysctl's ordered hashmap: a new
 * value for a key moves it to the end, the same value again leaves it where it was.
 */
export function applyConf(files: readonly { file: string; conf: ConfFile }[]): Map<string, ConfSetting> {
  const settings = new Map<string, ConfSetting>();
  files.forEach(({ file, conf }, order) => {
    for (const a of conf.assignments) {
      const existing = settings.get(a.key);
      if (existing && existing.value === a.value) continue;
      settings.delete(a.key);
      settings.set(a.key, { ...a, file, order });
    }
  });
  return settings;
}

export type Persisted =
  | {
      state: 'set';
      setting: ConfSetting;
      /** The glob the value came from, when no explicit line names the key. */
      glob?: string;
    }
  | { state: 'excluded'; setting: ConfSetting }
  | { state: 'unset' };

/** What the next boot writes to one sysctl (named as the probe names it), from the applied settings. */
export function persistedValue(settings: ReadonlyMap<string, ConfSetting>, name: string): Persisted {
  const explicit = settings.get(name);
  if (explicit) {
    return explicit.value === null ? { state: 'excluded', setting: explicit } : { state: 'set', setting: explicit };
  }
  let last: ConfSetting | undefined;
  for (const s of settings.values()) if (s.value !== null && isGlob(s.key) && globMatches(s.key, name)) last = s;
  return last ? { state: 'set', setting: last, glob: last.key } : { state: 'unset' };
}

/** glob(3) over /proc/sys paths: per path component, `*` and `?` never match `/`; `[...]` and `[!...]` sets. */
export function globMatches(pattern: string, name: string): boolean {
  const pat = swapDotsAndSlashes(pattern).split('/');
  const path = swapDotsAndSlashes(name).split('/');
  return pat.length === path.length && pat.every((p, i) => componentRegex(p).test(path[i]!));
}

function componentRegex(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < p.length) re += escape(p[++i]!);
    else if (c === '[') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let set = p.slice(i + 1, close);
      const negate = set[0] === '!' || set[0] === '^';
      if (negate) set = set.slice(1);
      re += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, (x) => `\\${x}`)}]`;
      i = close;
    } else re += escape(c);
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return /$^/;
  }
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, (x) => `\\${x}`);
