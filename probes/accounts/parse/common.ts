/** What every accounts parser shares: bounded line splitting and a capped list of problems. */

/** Lines looked at per file at most: a passwd of 200,000 accounts is a directory service, not a host. */
export const MAX_LINES = 200_000;
/** Problems kept per file; the count beyond is kept in `problemCount`. */
export const MAX_PROBLEMS = 100;

export interface Problem {
  line: number;
  reason: string;
}

export interface Problems {
  problems: Problem[];
  problemCount: number;
}

export function addProblem(p: Problems, line: number, reason: string): void {
  p.problemCount++;
  if (p.problems.length < MAX_PROBLEMS) p.problems.push({ line, reason });
}

/** Lines of a text (CR before LF dropped), at most MAX_LINES; `truncated` says when more were left out. */
export function splitLines(text: string): { lines: string[]; truncated: boolean } {
  const lines = text.split('\n', MAX_LINES + 1);
  const truncated = lines.length > MAX_LINES;
  if (truncated) lines.length = MAX_LINES;
  return { lines: lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), truncated };
}

/** A decimal integer as the C library's strtol would accept it whole (sign allowed), else undefined. */
export function parseIntStrict(s: string): number | undefined {
  if (!/^[+-]?\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}
