/**
 * deb822 control-file paragraphs (dpkg status, apt Packages lists, Release files): "Field: value" lines,
 * continuation lines starting with a space or tab, paragraphs separated by blank lines. Field names are
 * case-insensitive (kept lower-cased). Input is hostile: anything malformed is a problem with its line, never
 * a throw, and the work is linear in the input.
 *
 * For the 50 MB Packages lists, `fields` keeps only the fields asked for and `skip` drops a whole paragraph
 * from its first field (apt writes Package first), so unwanted paragraphs cost one line scan.
 */

export interface Paragraph {
  /** Lower-cased field name -> value (continuation lines joined with "\n", as in the file). */
  fields: Map<string, string>;
  /** 1-based line of the paragraph's first field (0 when line tracking is off). */
  line: number;
}

export interface Deb822Problem {
  line: number;
  message: string;
}

export interface Deb822Options {
  /** Keep only these lower-cased fields. */
  fields?: ReadonlySet<string>;
  /** Drop a paragraph when its first field says so (name lower-cased, value trimmed). */
  skip?: (name: string, value: string) => boolean;
  /** Track line numbers (default true); off is faster for big lists. */
  lines?: boolean;
  /** Stop after this many paragraphs (a problem says so). */
  maxParagraphs?: number;
  /** Treat lines starting with '#' as comments (deb822 sources; not in dpkg files). */
  comments?: boolean;
}

export interface Deb822Result {
  paragraphs: Paragraph[];
  problems: Deb822Problem[];
}

const MAX_PROBLEMS = 100;

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

export function parseDeb822(text: string, opts: Deb822Options = {}): Deb822Result {
  return new Deb822Reader(text, opts).read();
}

/** parseDeb822's pass over the text, line by line. */
class Deb822Reader {
  private readonly paragraphs: Paragraph[] = [];
  private readonly problems: Deb822Problem[] = [];
  private readonly track: boolean;
  private readonly maxParagraphs: number;
  private cur: Paragraph | undefined;
  /** The field a continuation line belongs to (undefined: not kept). */
  private lastKey: string | undefined;
  /** The current paragraph has a field (kept or not). */
  private sawField = false;
  private skipping = false;
  private lineNo = 0;

  constructor(
    private readonly text: string,
    private readonly opts: Deb822Options,
  ) {
    this.track = opts.lines !== false;
    this.maxParagraphs = opts.maxParagraphs ?? Number.POSITIVE_INFINITY;
  }

  read(): Deb822Result {
    const { text } = this;
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      this.lineNo++;
      if (end === pos || isBlank(text, pos, end)) {
        if (this.separator()) return { paragraphs: this.paragraphs, problems: this.problems };
      } else if (!this.skipping && !(text.charCodeAt(pos) === 35 && this.opts.comments)) this.line(pos, end);
      pos = end + 1;
    }
    if (this.cur && !this.skipping) this.paragraphs.push(this.cur);
    return { paragraphs: this.paragraphs, problems: this.problems };
  }

  private problem(message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line: this.lineNo, message });
  }

  /** A blank line ends the paragraph; true when that makes maxParagraphs. */
  private separator(): boolean {
    if (this.cur && !this.skipping) this.paragraphs.push(this.cur);
    this.cur = undefined;
    this.lastKey = undefined;
    this.sawField = false;
    this.skipping = false;
    if (this.paragraphs.length < this.maxParagraphs) return false;
    this.problem(`stopped after ${this.maxParagraphs} paragraphs`);
    return true;
  }

  /** A line that is not blank, of a paragraph not skipped, from pos to end (its newline). */
  private line(pos: number, end: number): void {
    const { text } = this;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const c0 = text.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      if (!this.sawField) this.problem('continuation line without a field');
      else if (this.lastKey !== undefined && this.cur)
        this.cur.fields.set(this.lastKey, this.cur.fields.get(this.lastKey) + '\n' + text.slice(pos, lineEnd));
      return;
    }
    // Within this line only: text.indexOf(':', pos) ran to the next colon of the file, quadratic over many
    // lines without one (a 4 MB status took 5-20 s; found by fuzzing, test/fuzz).
    let colon = pos;
    while (colon < lineEnd && text.charCodeAt(colon) !== 58) colon++;
    if (colon >= lineEnd || colon === pos) {
      this.problem(colon === pos ? 'field with an empty name' : 'line is neither a field nor a continuation');
      this.lastKey = undefined;
      return;
    }
    this.field(text.slice(pos, colon).toLowerCase(), colon + 1, lineEnd);
  }

  /** A field named `key` whose value runs from vs to lineEnd, blanks around it trimmed. */
  private field(key: string, vs: number, lineEnd: number): void {
    const { text } = this;
    while (vs < lineEnd && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    let ve = lineEnd;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    if (!this.sawField) {
      this.sawField = true;
      if (this.opts.skip?.(key, text.slice(vs, ve))) {
        this.skipping = true;
        this.cur = undefined;
        return;
      }
      this.cur = { fields: new Map(), line: this.track ? this.lineNo : 0 };
    }
    if (!this.opts.fields || this.opts.fields.has(key)) {
      if (this.cur!.fields.has(key)) this.problem(`duplicate field ${key}`);
      this.cur!.fields.set(key, text.slice(vs, ve));
      this.lastKey = key;
    } else this.lastKey = undefined;
  }
}
