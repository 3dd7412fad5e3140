/**
 * What a sysctl value must be: a small closed set of comparisons (as kube-bench's ops), used by the table
 * and by configuration overrides alike.
 */
export type Expectation =
  | { op: 'equal'; value: number }
  | { op: 'one_of'; values: readonly number[] }
  | { op: 'at_least'; value: number }
  | { op: 'at_most'; value: number };

export function satisfies(e: Expectation, v: number): boolean {
  switch (e.op) {
    case 'equal':
      return v === e.value;
    case 'one_of':
      return e.values.includes(v);
    case 'at_least':
      return v >= e.value;
    case 'at_most':
      return v <= e.value;
  }
}

/** "1", "1 or 2", ">= 1", "<= 0". */
export function describe(e: Expectation): string {
  switch (e.op) {
    case 'equal':
      return String(e.value);
    case 'one_of':
      return e.values.length === 1
        ? String(e.values[0])
        : `${e.values.slice(0, -1).join(', ')} or ${e.values[e.values.length - 1]}`;
    case 'at_least':
      return `>= ${e.value}`;
    case 'at_most':
      return `<= ${e.value}`;
  }
}

/** The value a remediation suggests: the expected one, the first accepted one, or the bound. */
export function suggested(e: Expectation): number {
  return e.op === 'one_of' ? e.values[0]! : e.value;
}
