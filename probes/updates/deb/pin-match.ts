/**
 * The pattern matching apt's preferences use (apt-pkg/versionmatch.cc ExpressionMatches): "/regex/" is a POSIX
 * extended regular expression, case-insensitive and unanchored (regcomp REG_EXTENDED|REG_ICASE, regexec);
 * anything else is an fnmatch(3) glob with FNM_CASEFOLD and no other flag ("*" also matches "/" and a leading
 * "."). Patterns come from root-owned files, but are still treated as hostile: globs match in O(n*m) without
 * backtracking, and a regex whose repetition nests (the shapes that backtrack exponentially in JavaScript) is
 * refused as a problem rather than run.
 */

export type Matcher =
  { ok: true; test: (s: string) => boolean } | { ok: false; problem: string; test: (s: string) => boolean };

const MAX_PATTERN = 4096;
const never = () => false;

/** POSIX character classes, for the C locale apt's regcomp and fnmatch see on these ASCII names. */
const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

const escapeJs = (c: string) => (/[\\^$.*+?()[\]{}|\-/]/.test(c) ? '\\' + c : c);

/**
 * A POSIX bracket expression starting at pattern[i] === '['; returns the JavaScript class and the index after
 * its ']', or undefined when it does not close (or names an unknown class).
 */
function bracket(
  pattern: string,
  i: number,
  negators: string,
  backslashEscapes: boolean,
): { js: string; end: number } | undefined {
  let k = i + 1;
  let neg = false;
  if (k < pattern.length && negators.includes(pattern[k]!)) {
    neg = true;
    k++;
  }
  let body = '';
  let first = true;
  while (k < pattern.length) {
    const c = pattern[k]!;
    if (c === ']' && !first) return { js: `[${neg ? '^' : ''}${body}]`, end: k + 1 };
    first = false;
    if (c === '[' && (pattern[k + 1] === ':' || pattern[k + 1] === '=' || pattern[k + 1] === '.')) {
      const kind = pattern[k + 1]!;
      const close = pattern.indexOf(kind + ']', k + 2);
      if (close < 0) return undefined;
      const name = pattern.slice(k + 2, close);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) return undefined;
        body += cls;
      } else {
        if (name.length !== 1) return undefined; // collating elements beyond one character: not in the C locale
        body += escapeJs(name);
      }
      k = close + 2;
      continue;
    }
    if (c === '\\' && backslashEscapes && k + 1 < pattern.length) {
      body += escapeJs(pattern[k + 1]!);
      k += 2;
      continue;
    }
    body += c === '-' && body !== '' && pattern[k + 1] !== ']' ? '-' : escapeJs(c);
    k++;
  }
  return undefined;
}

type GlobToken = { k: 'lit'; c: string } | { k: 'any' } | { k: 'star' } | { k: 'set'; re: RegExp } | { k: 'never' };

/** fnmatch(pattern, s, FNM_CASEFOLD): O(len(s) * len(pattern)), one backtrack point at the last star. */
export function globMatcher(pattern: string): Matcher {
  if (pattern.length > MAX_PATTERN)
    return { ok: false, problem: `pattern longer than ${MAX_PATTERN} characters`, test: never };
  const toks: GlobToken[] = [];
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === '*') {
      if (toks.at(-1)?.k !== 'star') toks.push({ k: 'star' });
      i++;
    } else if (c === '?') {
      toks.push({ k: 'any' });
      i++;
    } else if (c === '[') {
      const b = bracket(pattern, i, '!^', true);
      if (b) {
        let re: RegExp | undefined;
        try {
          re = new RegExp(`^${b.js}$`, 'i');
        } catch {
          re = undefined;
        }
        toks.push(re ? { k: 'set', re } : { k: 'never' });
        i = b.end;
      } else {
        toks.push({ k: 'lit', c: '[' }); // an unclosed bracket is an ordinary character
        i++;
      }
    } else if (c === '\\') {
      if (i + 1 >= pattern.length)
        toks.push({ k: 'never' }); // glibc: a trailing backslash matches nothing
      else toks.push({ k: 'lit', c: pattern[i + 1]!.toLowerCase() });
      i += 2;
    } else {
      toks.push({ k: 'lit', c: c.toLowerCase() });
      i++;
    }
  }
  const one = (t: GlobToken, ch: string) =>
    t.k === 'any' ? true : t.k === 'lit' ? t.c === ch.toLowerCase() : t.k === 'set' ? t.re.test(ch) : false;
  const test = (s: string): boolean => {
    let ti = 0;
    let si = 0;
    let starT = -1;
    let starS = 0;
    while (si < s.length) {
      const t = toks[ti];
      if (t && t.k === 'star') {
        starT = ti++;
        starS = si;
      } else if (t && one(t, s[si]!)) {
        ti++;
        si++;
      } else if (starT >= 0) {
        ti = starT + 1;
        si = ++starS;
      } else return false;
    }
    while (toks[ti]?.k === 'star') ti++;
    return ti === toks.length;
  };
  return { ok: true, test };
}

/**
 * A POSIX ERE as a JavaScript RegExp with the same match/no-match answers as glibc's regcomp/regexec (checked
 * against glibc in the tests): brackets with classes, intervals, GNU \w \s \b \< \>, other escapes literal,
 * an unmatched ")" literal, a "{" that starts no interval an error, stacked repetition ("a**", "b+?") the
 * repetition of a repetition. Back-references and nested repetition ("(a+)+", "a{1,2}{3}") are refused.
 */
export function regexMatcher(source: string): Matcher {
  const bad = (problem: string): Matcher => ({ ok: false, problem, test: never });
  if (source.length > MAX_PATTERN) return bad(`regular expression longer than ${MAX_PATTERN} characters`);
  const t = new EreTranslator(source);
  for (let i = 0; i < source.length;) {
    const next = t.step(i);
    if (typeof next === 'string') return bad(next);
    i = next;
  }
  if (t.groups.length) return bad('unmatched (');
  try {
    const re = new RegExp(t.js, 'i');
    return { ok: true, test: (s) => re.test(s) };
  } catch (e) {
    return bad(
      `invalid regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, '').slice(0, 80)})`,
    );
  }
}

const NESTED = 'nested repetition is not evaluated (it can take exponential time)';
const simpleRepeat = (q: string) => q === '*' || q === '+' || q === '?';

/** regexMatcher's translation of an ERE into JavaScript, one token at a time. */
class EreTranslator {
  js = '';
  /** Per open group: where it starts in `js`, and whether something inside it repeats. */
  readonly groups: { at: number; repeats: boolean }[] = [];
  /** Where the last atom starts in `js`; -1 when there is none to repeat. */
  private atom = -1;
  /** That atom is a group containing a repetition. */
  private atomRepeats = false;
  /** The repetition just emitted after the atom ('' when none). */
  private quantified = '';

  constructor(private readonly source: string) {}

  /** Translates the token at `i`; returns where the next starts, or the problem. */
  step(i: number): number | string {
    const c = this.source[i]!;
    if (c === '\\') return this.escape(i);
    if (c === '[') {
      const b = bracket(this.source, i, '^', false);
      if (!b) return 'unmatched [ or unknown character class';
      this.startAtom(b.js);
      return b.end;
    }
    if (c === '(') return this.open(i);
    if (c === ')') return this.close(i);
    if (c === '*' || c === '+' || c === '?' || c === '{') return this.repeat(i, c);
    if (c === '|' || c === '^' || c === '$') {
      this.js += c;
      this.atom = -1;
      this.quantified = '';
      return i + 1;
    }
    this.startAtom(c === '/' ? '\\/' : c === '}' || c === ']' ? '\\' + c : c);
    return i + 1;
  }

  private startAtom(text: string): void {
    this.atom = this.js.length;
    this.js += text;
    this.atomRepeats = false;
    this.quantified = '';
  }

  private escape(i: number): number | string {
    const n = this.source[i + 1];
    if (n === undefined) return 'trailing backslash';
    if (/[1-9]/.test(n)) return 'back-references are not supported';
    this.startAtom(
      /[wWsSbB]/.test(n) ? '\\' + n : n === '<' || n === '>' ? '\\b' : n === '`' ? '^' : n === "'" ? '$' : escapeJs(n),
    );
    return i + 2;
  }

  private open(i: number): number | string {
    if (this.source[i + 1] === '?') return '"(?" is not POSIX';
    this.groups.push({ at: this.js.length, repeats: false });
    this.js += '(?:';
    this.atom = -1;
    this.quantified = '';
    return i + 1;
  }

  private close(i: number): number {
    const g = this.groups.pop();
    if (!g) {
      this.startAtom('\\)'); // glibc: an unmatched ")" is an ordinary character
      return i + 1;
    }
    this.js += ')';
    this.atom = g.at;
    this.atomRepeats = g.repeats;
    this.quantified = '';
    if (g.repeats && this.groups.length) this.groups[this.groups.length - 1]!.repeats = true;
    return i + 1;
  }

  private repeat(i: number, c: string): number | string {
    let q = c;
    if (c === '{') {
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(this.source.slice(i, i + 10));
      if (!m) return '"{" does not start an interval';
      if (m[3] !== undefined && m[3] !== '' && Number(m[3]) < Number(m[1])) return 'invalid interval';
      q = m[0];
    }
    if (this.atom < 0) return `"${q}" repeats nothing`;
    if (this.quantified) {
      // stacked repetition: x** is x*, x+? is x*, x?? is x?; with intervals it nests
      if (!simpleRepeat(this.quantified) || !simpleRepeat(q)) return NESTED;
      const both = this.quantified === q ? q : '*';
      this.js = this.js.slice(0, this.js.length - this.quantified.length) + both;
      this.quantified = both;
      return i + q.length;
    }
    if (this.atomRepeats) return NESTED;
    if (this.groups.length) this.groups[this.groups.length - 1]!.repeats = true;
    this.js += q;
    this.quantified = q;
    return i + q.length;
  }
}

/** apt's ExpressionMatches(pattern, s): "/…/" is a regex, anything else a glob. */
export function expressionMatcher(pattern: string): Matcher {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/'))
    return regexMatcher(pattern.slice(1, -1));
  return globMatcher(pattern);
}

/** Whether apt treats a Package: name as a pattern (CreatePin: /…/ or any of "*[?"). */
export const isNamePattern = (name: string) =>
  (name.length >= 2 && name.startsWith('/') && name.endsWith('/')) || /[*[?]/.test(name);
