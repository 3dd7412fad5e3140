/**
 * apt.conf(5) syntax, enough to read what apt.systemd.daily and unattended-upgrades read: `Name "value";`,
 * `A::B::C "v";`, nested `A { B "v"; };`, lists `A::List { "x"; "y"; };`, `#clear A::List;`, `//`, `#` and
 * `/* *\/` comments. Names are case-insensitive. Files are applied in order (later ones override scalars
 * and append to lists). Malformed input gives problems with file and line, never a throw.
 */

export interface ConfValue {
  value: string;
  file: string;
  line: number;
}

export interface AptConf {
  /** Lower-cased full name -> last scalar assignment. */
  scalars: Map<string, ConfValue>;
  /** Lower-cased full name -> list items in order. */
  lists: Map<string, ConfValue[]>;
  problems: { file: string; line: number; message: string }[];
}

export function emptyAptConf(): AptConf {
  return { scalars: new Map(), lists: new Map(), problems: [] };
}

/** Files in apt.conf.d that apt reads: [A-Za-z0-9_.-] only, and no extension or ".conf". */
export function isAptConfPart(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && (!name.includes('.') || name.endsWith('.conf'));
}

type Tok = { t: 'word' | 'str' | '{' | '}' | ';' | 'clear' | 'include'; v: string; line: number };

function tokenize(text: string, file: string, conf: AptConf): Tok[] {
  const toks: Tok[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text.charCodeAt(k) === 10) line++;
      if (end < 0) conf.problems.push({ file, line, message: 'unterminated /* comment' });
      i = stop;
    } else if (c === '#') {
      const m = /^#(clear|include)\b/.exec(text.slice(i, i + 9));
      if (m) {
        toks.push({ t: m[1] as 'clear' | 'include', v: m[1]!, line });
        i += m[0].length;
      } else while (i < n && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      toks.push({ t: c, v: c, line });
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) {
        conf.problems.push({ file, line, message: 'unterminated quoted string' });
        i = nl < 0 ? n : nl;
        continue;
      }
      toks.push({ t: 'str', v: text.slice(i + 1, end), line });
      i = end + 1;
    } else {
      let j = i;
      while (j < n && !/[\s{};"]/.test(text[j]!)) j++;
      toks.push({ t: 'word', v: text.slice(i, j), line });
      i = j;
    }
  }
  return toks;
}

const MAX_DEPTH = 64;

/** Apply one file's text to `conf`. */
export function applyAptConf(conf: AptConf, text: string, file: string): void {
  const toks = tokenize(text, file, conf);
  const stack: string[] = [];
  let k = 0;
  const join = (name: string) => [...stack, name].filter(Boolean).join('::').toLowerCase();
  while (k < toks.length) {
    const t = toks[k]!;
    if (t.t === ';') {
      k++;
      continue;
    }
    if (t.t === '}') {
      if (stack.length === 0) conf.problems.push({ file, line: t.line, message: 'unbalanced }' });
      else stack.pop();
      k++;
      continue;
    }
    if (t.t === 'clear' || t.t === 'include') {
      const arg = toks[k + 1];
      if (t.t === 'clear' && arg && (arg.t === 'word' || arg.t === 'str')) {
        const full = join(arg.v);
        for (const m of [conf.scalars, conf.lists] as Map<string, unknown>[]) {
          for (const key of [...m.keys()]) if (key === full || key.startsWith(full + '::')) m.delete(key);
        }
      } else if (t.t === 'include')
        conf.problems.push({ file, line: t.line, message: '#include is not followed (not read)' });
      while (k < toks.length && toks[k]!.t !== ';') k++;
      continue;
    }
    if (t.t === '{') {
      conf.problems.push({ file, line: t.line, message: 'block without a name' });
      stack.push('');
      k++;
      continue;
    }
    // word or str: a name, a name and a value, or a list item
    const next = toks[k + 1];
    if (next?.t === '{') {
      if (stack.length >= MAX_DEPTH) {
        conf.problems.push({ file, line: t.line, message: 'blocks nested too deep' });
        return;
      }
      stack.push(t.v);
      k += 2;
      continue;
    }
    if (next && (next.t === 'word' || next.t === 'str')) {
      const after = toks[k + 2];
      if (after?.t === '{') {
        // `Name "value" {` is not apt syntax we need; treat as a block named by the name
        conf.problems.push({ file, line: t.line, message: `value before a block for ${t.v}` });
        stack.push(t.v);
        k += 3;
        continue;
      }
      const full = join(t.v);
      conf.scalars.set(full, { value: next.v, file, line: t.line });
      if (after && after.t !== ';' && after.t !== '}')
        conf.problems.push({ file, line: t.line, message: `missing ; after ${t.v}` });
      k += 2;
      continue;
    }
    // a lone value: a list item of the enclosing block (or a bare name at top level)
    if (stack.length > 0) {
      const full = join('');
      const list = conf.lists.get(full) ?? [];
      list.push({ value: t.v, file, line: t.line });
      conf.lists.set(full, list);
    } else conf.problems.push({ file, line: t.line, message: `${t.v.slice(0, 40)} has no value` });
    k++;
  }
  if (stack.length > 0) conf.problems.push({ file, line: toks.at(-1)?.line ?? 1, message: 'unclosed {' });
}

export function parseAptConf(files: readonly { file: string; text: string }[]): AptConf {
  const conf = emptyAptConf();
  for (const f of files) applyAptConf(conf, f.text, f.file);
  return conf;
}
