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
  const paragraphs: Paragraph[] = [];
  const problems: Deb822Problem[] = [];
  const track = opts.lines !== false;
  const maxParagraphs = opts.maxParagraphs ?? Number.POSITIVE_INFINITY;
  const problem = (line: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, message });
  };
  let cur: Paragraph | undefined;
  let lastKey: string | undefined; // field a continuation line belongs to (undefined: not kept)
  let sawField = false; // current paragraph has a field (kept or not)
  let skipping = false;
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    lineNo++;
    const c0 = text.charCodeAt(pos);
    if (end === pos || isBlank(text, pos, end)) {
      // paragraph separator
      if (cur && !skipping) paragraphs.push(cur);
      cur = undefined;
      lastKey = undefined;
      sawField = false;
      skipping = false;
      if (paragraphs.length >= maxParagraphs) {
        problem(lineNo, `stopped after ${maxParagraphs} paragraphs`);
        return { paragraphs, problems };
      }
      pos = end + 1;
      continue;
    }
    if (skipping) {
      pos = end + 1;
      continue;
    }
    if (c0 === 35 && opts.comments) {
      pos = end + 1;
      continue;
    }
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    if (c0 === 32 || c0 === 9) {
      // continuation
      if (!sawField) problem(lineNo, 'continuation line without a field');
      else if (lastKey !== undefined && cur)
        cur.fields.set(lastKey, cur.fields.get(lastKey) + '\n' + text.slice(pos, lineEnd));
      pos = end + 1;
      continue;
    }
    // Within this line only: text.indexOf(':', pos) ran to the next colon of the file, quadratic over many
    // lines without one (a 4 MB status took 5-20 s; found by fuzzing, test/fuzz).
    let colon = pos;
    while (colon < lineEnd && text.charCodeAt(colon) !== 58) colon++;
    if (colon >= lineEnd || colon === pos) {
      problem(lineNo, colon === pos ? 'field with an empty name' : 'line is neither a field nor a continuation');
      lastKey = undefined;
      pos = end + 1;
      continue;
    }
    const key = text.slice(pos, colon).toLowerCase();
    let vs = colon + 1;
    while (vs < lineEnd && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    let ve = lineEnd;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    if (!sawField) {
      sawField = true;
      const value = text.slice(vs, ve);
      if (opts.skip?.(key, value)) {
        skipping = true;
        cur = undefined;
        pos = end + 1;
        continue;
      }
      cur = { fields: new Map(), line: track ? lineNo : 0 };
    }
    if (!opts.fields || opts.fields.has(key)) {
      if (cur!.fields.has(key)) problem(lineNo, `duplicate field ${key}`);
      cur!.fields.set(key, text.slice(vs, ve));
      lastKey = key;
    } else lastKey = undefined;
    pos = end + 1;
  }
  if (cur && !skipping) paragraphs.push(cur);
  return { paragraphs, problems };
}
