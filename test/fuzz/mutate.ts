/**
 * Mutations of real files, in the style of AFL's havoc stage: bit flips, truncation, duplication of a
 * slice, splicing two seeds, inserting dictionary tokens or random bytes, deleting, swapping lines, and huge
 * repeats of a slice. Each mutation is a small list of operations that fast-check generates and shrinks,
 * so a failing case shrinks towards the fewest, smallest operations on the smallest seed.
 */
import fc from 'fast-check';

export type MutationOp =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'duplicate'; from: number; len: number; to: number }
  | { kind: 'splice'; other: number; cut: number; otherCut: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'token'; pos: number; token: number }
  | { kind: 'delete'; pos: number; len: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'repeat'; from: number; len: number; targetBytes: number };

export interface MutationOptions {
  /** Tokens of the format (keywords, delimiters) inserted whole, as AFL dictionaries do. */
  dictionary?: readonly string[];
  /** Upper bound of a `repeat` result, in bytes (huge inputs). 0 disables repeats. */
  hugeBytes?: number;
}

const pos = fc.nat({ max: 0x7fffffff });

export function mutationOp(opts: MutationOptions = {}): fc.Arbitrary<MutationOp> {
  const dict = opts.dictionary ?? [];
  const huge = opts.hugeBytes ?? 2 * 1024 * 1024;
  const ops: fc.WeightedArbitrary<MutationOp>[] = [
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.integer({ min: 0, max: 7 }) }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('duplicate' as const),
        from: pos,
        len: fc.integer({ min: 1, max: 4096 }),
        to: pos,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice' as const), other: pos, cut: pos, otherCut: pos }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('insert' as const),
        pos,
        bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('delete' as const), pos, len: fc.integer({ min: 1, max: 256 }) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('swapLines' as const), a: pos, b: pos }) },
  ];
  if (dict.length > 0)
    ops.push({
      weight: 5,
      arbitrary: fc.record({ kind: fc.constant('token' as const), pos, token: fc.nat({ max: dict.length - 1 }) }),
    });
  if (huge > 0) {
    ops.push({
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('repeat' as const),
        from: pos,
        len: fc.integer({ min: 1, max: 512 }),
        targetBytes: fc.integer({ min: 64 * 1024, max: huge }),
      }),
    });
  }
  return fc.oneof(...ops);
}

function lineBounds(buf: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) {
      if (start < buf.length) out.push([start, buf.length]);
      return out;
    }
    out.push([start, nl + 1]);
    start = nl + 1;
  }
}

export function applyOp(buf: Buffer, op: MutationOp, seeds: readonly Buffer[], dict: readonly string[]): Buffer {
  const n = buf.length;
  const at = (p: number, extra = 0) => (n + extra === 0 ? 0 : p % (n + extra));
  switch (op.kind) {
    case 'flip': {
      if (n === 0) return buf;
      const out = Buffer.from(buf);
      const i = at(op.pos);
      out[i] = out[i]! ^ (1 << op.bit);
      return out;
    }
    case 'truncate':
      return buf.subarray(0, at(op.pos, 1));
    case 'duplicate': {
      if (n === 0) return buf;
      const from = at(op.from);
      const slice = buf.subarray(from, Math.min(n, from + op.len));
      const to = at(op.to, 1);
      return Buffer.concat([buf.subarray(0, to), slice, buf.subarray(to)]);
    }
    case 'splice': {
      const other = seeds[op.other % seeds.length] ?? buf;
      const cut = at(op.cut, 1);
      const otherCut = other.length === 0 ? 0 : op.otherCut % (other.length + 1);
      return Buffer.concat([buf.subarray(0, cut), other.subarray(otherCut)]);
    }
    case 'insert': {
      const p = at(op.pos, 1);
      return Buffer.concat([buf.subarray(0, p), Buffer.from(op.bytes), buf.subarray(p)]);
    }
    case 'token': {
      const p = at(op.pos, 1);
      return Buffer.concat([buf.subarray(0, p), Buffer.from(dict[op.token] ?? ''), buf.subarray(p)]);
    }
    case 'delete': {
      const p = at(op.pos);
      return Buffer.concat([buf.subarray(0, p), buf.subarray(Math.min(n, p + op.len))]);
    }
    case 'swapLines': {
      const lines = lineBounds(buf);
      if (lines.length < 2) return buf;
      const a = op.a % lines.length;
      const b = op.b % lines.length;
      const parts = lines.map(([s, e]) => buf.subarray(s, e));
      [parts[a], parts[b]] = [parts[b]!, parts[a]!];
      return Buffer.concat(parts);
    }
    case 'repeat': {
      if (n === 0) return buf;
      const from = at(op.from);
      const slice = buf.subarray(from, Math.min(n, from + op.len));
      const times = Math.max(1, Math.floor(op.targetBytes / slice.length));
      return Buffer.concat([buf.subarray(0, from), Buffer.alloc(slice.length * times, slice), buf.subarray(from)]);
    }
  }
}

/** Inputs made by mutating one of `seeds` with 1 to 4 operations. */
export function mutated(seeds: readonly Buffer[], opts: MutationOptions = {}): fc.Arbitrary<Buffer> {
  if (seeds.length === 0) throw new Error('mutated() needs at least one seed');
  const dict = opts.dictionary ?? [];
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutationOp(opts), { minLength: 1, maxLength: 4 }))
    .map(([i, ops]) => ops.reduce((b, op) => applyOp(b, op, seeds, dict), seeds[i]!));
}

/** Text lines joined with LF or CRLF, sometimes without a final newline. */
export function joinLines(lines: fc.Arbitrary<string>, maxLength = 40): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.array(lines, { maxLength }), fc.constantFrom('\n', '\r\n'), fc.boolean())
    .map(([ls, eol, final]) => Buffer.from(ls.join(eol) + (final ? eol : ''), 'utf8'));
}

/** Strings that break naive parsers: empty, whitespace, quotes, NUL, huge numbers, U+FFFD, long runs. */
export const nasty = fc.constantFrom(
  '',
  ' ',
  '\t',
  '"',
  '""',
  "'",
  '\\',
  '\0',
  '\uFFFD',
  '=',
  '#',
  '*',
  '..',
  '../../../../etc/shadow',
  '/',
  '-1',
  '0',
  '4294967296',
  '18446744073709551616',
  '1e309',
  'NaN',
  'yes',
  'no',
  'true',
  '%',
  '%s%n',
  '${HOME}',
  '[',
  ']',
  '{',
  '}',
  'x'.repeat(10_000),
);

/** A value: a nasty string, a short word, or arbitrary unicode. */
export const word = fc.oneof(
  nasty,
  fc.stringMatching(/^[A-Za-z0-9_.:/,@+-]{1,24}$/),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
);
