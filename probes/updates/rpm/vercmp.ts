/**
 * RPM version comparison with rpm's semantics (rpmvercmp, lib/rpmvercmp.c), written from its documented
 * behaviour and checked against the cases of rpm's own test suite (tests/rpmvercmp.at):
 * - versions are split into alternating runs of ASCII digits and ASCII letters; every other character is a
 *   separator, and separators only split (2.0 == 2_0);
 * - `~` sorts before anything, even the end of the string (1.0~rc1 < 1.0); `^` sorts after the end but before
 *   any other segment (1.0 < 1.0^git1 < 1.01);
 * - digit runs compare as numbers (leading zeros ignored, then by length, then by digits); letter runs as
 *   strings; a digit run is newer than a letter run;
 * - when one string runs out, the one with segments left is newer.
 * Linear in the input, no recursion.
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const TILDE = 126;
const CARET = 94;

/** rpmvercmp: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const n = a.length;
  const m = b.length;
  while (i < n || j < m) {
    while (
      i < n &&
      !isDigit(a.charCodeAt(i)) &&
      !isAlpha(a.charCodeAt(i)) &&
      a.charCodeAt(i) !== TILDE &&
      a.charCodeAt(i) !== CARET
    )
      i++;
    while (
      j < m &&
      !isDigit(b.charCodeAt(j)) &&
      !isAlpha(b.charCodeAt(j)) &&
      b.charCodeAt(j) !== TILDE &&
      b.charCodeAt(j) !== CARET
    )
      j++;
    const ca = i < n ? a.charCodeAt(i) : -1;
    const cb = j < m ? b.charCodeAt(j) : -1;
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= n) return -1;
      if (j >= m) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= n || j >= m) break;
    const numeric = isDigit(ca);
    const same = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < n && same(a.charCodeAt(i))) i++;
    while (j < m && same(b.charCodeAt(j))) j++;
    // a's run is never empty (ca is a digit or a letter); b's is when the kinds differ
    if (j === sj) return numeric ? 1 : -1;
    let x = a.slice(si, i);
    let y = b.slice(sj, j);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x > y ? 1 : -1;
  }
  if (i >= n && j >= m) return 0;
  return i < n ? 1 : -1;
}

export interface Evr {
  epoch?: number;
  version: string;
  release: string;
}

/** Compare epoch (missing = 0), then version, then release, as rpm does for EVRs. */
export function compareEvr(a: Evr, b: Evr): number {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea > eb ? 1 : -1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

/** "[epoch:]version-release" as rpm -q prints EVRs (epoch only when set). */
export function formatEvr(e: Evr): string {
  return `${e.epoch ? `${e.epoch}:` : ''}${e.version}-${e.release}`;
}
