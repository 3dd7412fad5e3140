/** What the accounts checks share: references, unreadable-file outcomes, short evidence lists. */
import type { Evidence, Outcome } from '../../../src/sdk.js';
import { unknown } from '../../../src/sdk.js';
import type { Read } from '../types.js';

export const CIS = (section: string): string => `CIS Debian Linux 12 Benchmark v1.1.0 ${section}`;
export const LYNIS = (test: string): string => `Lynis ${test}`;

/** Items named in a message at most; the evidence carries up to MAX_EVIDENCE lines. */
export const MAX_NAMED = 10;
export const MAX_EVIDENCE = 20;

/** Files only root may read, and the capability a non-root or capability-dropped reader lacks. */
const ROOT_ONLY = new Set(['/etc/shadow', '/etc/gshadow', '/etc/sudoers']);

export function unreadableReason(r: { file: string; code: string; reason: string }): string {
  const why = `${r.file}: ${r.code.replace(/_/g, ' ')} (${r.reason})`;
  if (r.code !== 'unreadable' || (!ROOT_ONLY.has(r.file) && !r.file.startsWith('/etc/sudoers.d'))) return why;
  return `${why}: the file is readable by root only, and this scan lacks CAP_DAC_READ_SEARCH (run the agent as root with that capability)`;
}

/** The outcome of a check whose input file could not be read: unknown, never pass. */
export function cannotRead<T>(r: Read<T> & { ok: false }, what: string): Outcome {
  return unknown(`${what} cannot be decided: ${unreadableReason(r)}`);
}

export function names(list: readonly string[], max = MAX_NAMED): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

export function ev(file: string, line: number, text: string): Evidence {
  return { file, line, text: text.length > 200 ? text.slice(0, 200) + '…' : text };
}

export const cap = (e: Evidence[]): Evidence[] => e.slice(0, MAX_EVIDENCE);

export const plural = (n: number, one: string, many = one + 's'): string => `${n} ${n === 1 ? one : many}`;
