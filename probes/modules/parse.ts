/**
 * Parsers for the files the modules probe reads: modprobe.d configuration, /proc/modules, the kernel command
 * line, pam_limits files and systemd's coredump.conf. Each takes text and never throws; lines it does not
 * understand come back as problems, not exceptions.
 */
import { canonical } from './table.js';
import type { CoreLimit, CoredumpSetting, ModprobeDirective } from './types.js';

/** Problems reported per file at most: a garbage file should not flood a finding. */
const MAX_PROBLEMS = 5;

/** Logical lines: '#' comments dropped, a trailing backslash joins the next line (as kmod does). */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let acc = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    if (acc === '') start = i + 1;
    const l = raw.replace(/\r$/, '');
    if (l.endsWith('\\')) {
      acc += l.slice(0, -1) + ' ';
      return;
    }
    acc += l;
    const t = acc.trim();
    acc = '';
    if (t && !t.startsWith('#')) out.push({ line: start, text: t });
  });
  if (acc.trim() && !acc.trim().startsWith('#')) out.push({ line: start, text: acc.trim() });
  return out;
}

const MODPROBE_KEYWORDS = new Set([
  'alias',
  'options',
  'remove',
  'softdep',
  'weakdep',
  'include',
  'install',
  'blacklist',
]);

export function parseModprobe(text: string, file: string): { directives: ModprobeDirective[]; problems: string[] } {
  const directives: ModprobeDirective[] = [];
  const problems: string[] = [];
  for (const { line, text: t } of logicalLines(text)) {
    const words = t.split(/\s+/);
    const kw = words[0]!;
    if (!MODPROBE_KEYWORDS.has(kw)) {
      if (problems.length < MAX_PROBLEMS) problems.push(`${file}:${line}: unknown keyword "${kw.slice(0, 40)}"`);
      continue;
    }
    if (kw !== 'install' && kw !== 'blacklist') continue;
    const mod = words[1];
    if (!mod || (kw === 'install' && words.length < 3)) {
      if (problems.length < MAX_PROBLEMS)
        problems.push(`${file}:${line}: "${kw}" without ${mod ? 'a command' : 'a module name'}`);
      continue;
    }
    const d: ModprobeDirective = { kind: kw, module: canonical(mod), file, line, text: t.slice(0, 200) };
    if (kw === 'install') d.command = words.slice(2).join(' ');
    directives.push(d);
  }
  return { directives, problems };
}

/** An install command that makes loading fail or do nothing: /bin/false, /bin/true (any of the usual paths). */
export function isDenyCommand(command: string): boolean {
  return /^(?:(?:\/usr)?\/bin\/)?(?:false|true)(?:\s*;?\s*)$/.test(command.trim());
}

/** Names of loaded modules from /proc/modules ("name size refcount deps state address"). */
export function parseProcModules(text: string): Set<string> {
  const names = new Set<string>();
  for (const l of text.split('\n')) {
    const name = l.split(' ', 1)[0];
    if (name && /^[\w-]+$/.test(name)) names.add(canonical(name));
  }
  return names;
}

/** Modules the kernel command line blacklists: module_blacklist=a,b and modprobe.blacklist=a,b. */
export function parseCmdlineBlacklist(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.trim().split(/\s+/)) {
    const m = /^(?:module_blacklist|modprobe\.blacklist)=(.*)$/.exec(w);
    if (m) for (const n of m[1]!.split(',')) if (n) out.add(canonical(n));
  }
  return out;
}

/** The `core` items of a pam_limits file (`<domain> <type> <item> <value>`). */
export function parseLimits(text: string, file: string): { entries: CoreLimit[]; problems: string[] } {
  const entries: CoreLimit[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.replace(/#.*/, '').trim();
    if (!t) return;
    const w = t.split(/\s+/);
    if (w.length !== 4) {
      if (problems.length < MAX_PROBLEMS)
        problems.push(`${file}:${i + 1}: ${w.length} fields where pam_limits wants 4`);
      return;
    }
    const [domain, type, item, value] = w as [string, string, string, string];
    if (item !== 'core') return;
    if (type !== 'hard' && type !== 'soft' && type !== '-') {
      if (problems.length < MAX_PROBLEMS)
        problems.push(`${file}:${i + 1}: type "${type.slice(0, 20)}" is not hard, soft or -`);
      return;
    }
    entries.push({ domain, type, value, file, line: i + 1 });
  });
  return { entries, problems };
}

/** Storage= and ProcessSizeMax= of the [Coredump] section of a coredump.conf file; the last one wins. */
export function parseCoredumpConf(
  text: string,
  file: string,
): { storage?: CoredumpSetting; processSizeMax?: CoredumpSetting } {
  const out: { storage?: CoredumpSetting; processSizeMax?: CoredumpSetting } = {};
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) return;
    const s = /^\[(.*)\]$/.exec(t);
    if (s) {
      section = s[1]!;
      return;
    }
    if (section !== 'Coredump') return;
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(t);
    if (!kv) return;
    const setting = { value: kv[2]!.trim(), file, line: i + 1 };
    if (kv[1] === 'Storage') out.storage = setting;
    if (kv[1] === 'ProcessSizeMax') out.processSizeMax = setting;
  });
  return out;
}

/** systemd's size syntax: 0, 0B, 0K... all mean zero; anything else that parses is more. */
export function isZeroSize(v: string): boolean {
  return /^0+(?:\.0*)?\s*[BKMGTPE]?$/i.test(v.trim());
}
