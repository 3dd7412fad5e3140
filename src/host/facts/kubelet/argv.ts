/**
 * Command lines: the kubelet's argv as pflag reads it, systemd units and environment files that build it
 * when no kubelet process is visible, and /proc/<pid>/cmdline. Pure: text in, flags with evidence out.
 */
import type { Evidence } from '../../../contracts.js';
import { scanFlags } from '../processes/index.js';
import type { FlagGrammar } from '../processes/index.js';
import { BOOL_FLAGS } from './fields.js';
import type { Flag } from './types.js';

/** One command-line word with where it was written. */
export interface Word {
  text: string;
  evidence: Evidence;
}

/** Arguments read at most from one command line. */
export const MAX_ARGS = 4096;

/** The kubelet's reading of the shared flag grammar: "-name" as "--name", any next word a value, "_" as "-". */
const kubeletGrammar = (bools: ReadonlySet<string>): FlagGrammar => ({
  bools,
  singleDash: 'long',
  dashValues: true,
  normalise: (name) => name.replace(/_/g, '-'),
});

const quote = (word: string) => JSON.stringify(word.slice(0, 80));

/**
 * pflag over argv (without argv[0]): `--name=value`, `--name value`, `--bool-flag`, `--bool-flag=false`.
 * Names are normalised as the kubelet does ("_" -> "-"). Positional words are returned as problems.
 */
export function parseFlags(
  words: readonly Word[],
  boolFlags: ReadonlySet<string> = BOOL_FLAGS,
): { flags: Flag[]; problems: string[] } {
  const flags: Flag[] = [];
  const problems: string[] = [];
  if (words.length > MAX_ARGS) problems.push(`${words.length} arguments, only the first ${MAX_ARGS} read`);
  const read = words.slice(0, MAX_ARGS);
  const tokens = scanFlags(
    read.map((w) => w.text),
    kubeletGrammar(boolFlags),
  );
  for (const t of tokens) {
    const w = read[t.at]!;
    if (t.kind === 'end') break;
    if (t.kind === 'positional') problems.push(`unexpected argument ${quote(w.text)}`);
    else if (t.kind === 'missing') problems.push(`--${t.name} without a value`);
    else if (t.name === '') problems.push(`malformed argument ${quote(w.text)}`);
    else if (t.valueAt === undefined) flags.push({ name: t.name, value: t.value ?? 'true', evidence: w.evidence });
    else {
      const value = read[t.valueAt]!.text;
      const text = `${w.evidence.text ?? w.text} ${value}`.slice(0, 300);
      flags.push({ name: t.name, value, evidence: { ...w.evidence, text } });
    }
  }
  return { flags, problems };
}

/** Words of an argv, each with the file (and the word) as evidence. */
export function wordsOf(argv: readonly string[], file: string): Word[] {
  return argv.map((text) => ({ text, evidence: { file, text: text.slice(0, 300) } }));
}

/**
 * Split a string into words the way systemd (and a POSIX shell without expansions) does: whitespace
 * separates, double and single quotes group, backslash escapes. Unbalanced quotes end at the end of text.
 */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i]!;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i]!;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

export interface EnvVar {
  value: string;
  evidence: Evidence;
}

/** An environment file (KEY=value lines, optional quotes, # comments, `export` tolerated). */
export function parseEnvFile(text: string, file: string, into: Map<string, EnvVar> = new Map()): Map<string, EnvVar> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && i < 10_000; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#') || raw.startsWith(';')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    let v = m[2]!;
    if (
      (v.startsWith('"') && v.endsWith('"') && v.length >= 2) ||
      (v.startsWith("'") && v.endsWith("'") && v.length >= 2)
    )
      v = v.slice(1, -1);
    into.set(m[1]!, { value: v, evidence: { file, line: i + 1, text: raw.slice(0, 300) } });
  }
  return into;
}

export interface UnitDirective {
  key: string;
  value: string;
  evidence: Evidence;
}

/** The [Service] directives of a systemd unit or drop-in, with continuation lines joined. */
export function parseUnit(text: string, file: string): UnitDirective[] {
  const out: UnitDirective[] = [];
  const lines = text.split('\n');
  let section = '';
  for (let i = 0; i < lines.length && i < 10_000; i++) {
    const start = i;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length && line.length < 64 * 1024)
      line = line.slice(0, -1) + ' ' + lines[++i]!;
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    out.push({
      key: t.slice(0, eq).trim(),
      value: t.slice(eq + 1).trim(),
      evidence: { file, line: start + 1, text: t.slice(0, 300) },
    });
  }
  return out;
}

export interface UnitCommand {
  /** ExecStart words after expansion, each with where it was written. */
  words: Word[];
  /** EnvironmentFile= paths in order, with "-" (optional) stripped. */
  environmentFiles: { path: string; optional: boolean; evidence: Evidence }[];
  environment: Map<string, EnvVar>;
}

/** Collect Environment=, EnvironmentFile= and the effective ExecStart= over a unit and its drop-ins. */
export function collectUnit(directives: readonly UnitDirective[]): {
  exec?: UnitDirective;
  environment: Map<string, EnvVar>;
  environmentFiles: UnitCommand['environmentFiles'];
} {
  let exec: UnitDirective | undefined;
  const environment = new Map<string, EnvVar>();
  const environmentFiles: UnitCommand['environmentFiles'] = [];
  for (const d of directives) {
    if (d.key === 'ExecStart') exec = d.value === '' ? undefined : d;
    else if (d.key === 'Environment') {
      for (const a of splitWords(d.value)) {
        const eq = a.indexOf('=');
        if (eq > 0) environment.set(a.slice(0, eq), { value: a.slice(eq + 1), evidence: d.evidence });
      }
    } else if (d.key === 'EnvironmentFile' && d.value !== '') {
      const optional = d.value.startsWith('-');
      environmentFiles.push({ path: optional ? d.value.slice(1) : d.value, optional, evidence: d.evidence });
    }
  }
  return exec ? { exec, environment, environmentFiles } : { environment, environmentFiles };
}

/**
 * Expand an ExecStart line as systemd does: `$VAR` alone as a word splits into words, `${VAR}` keeps one
 * word; unknown variables expand to nothing. Prefix characters (`-`, `@`, `+`, `!`) are dropped.
 */
export function expandExec(exec: UnitDirective, env: ReadonlyMap<string, EnvVar>): Word[] {
  const out: Word[] = [];
  const value = exec.value.replace(/^[-@+!:]+/, '');
  for (const w of splitWords(value)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (whole) {
      const v = env.get(whole[1]!);
      if (v)
        for (const part of splitWords(v.value))
          out.push({ text: part, evidence: { ...v.evidence, text: part.slice(0, 300) } });
      continue;
    }
    let ev: Evidence = exec.evidence;
    const text = w.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_m, a: string | undefined, b: string | undefined) => {
        const v = env.get((a ?? b)!);
        if (v) ev = v.evidence;
        return v?.value ?? '';
      },
    );
    if (text !== '') out.push({ text, evidence: { ...ev, text: text.slice(0, 300) } });
  }
  return out;
}
