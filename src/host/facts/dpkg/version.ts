/**
 * Debian version comparison, an exact port of dpkg's verrevcmp() and dpkg_version_compare() (lib/dpkg/
 * version.c and parsehelp.c; deb-version(7)). Pure functions over strings; no allocation on the hot path.
 *
 * A version is [epoch:]upstream[-revision]. The epoch is the integer before the first colon; the revision
 * is what follows the *last* hyphen (a missing revision compares like an empty one, which equals "0").
 * verrevcmp alternates non-digit runs (compared by order(): '~' < end < letters < everything else) and
 * digit runs (compared numerically, leading zeros ignored).
 */

export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** dpkg's order(): digits 0, letters their code, '~' -1, end of string 0, anything else code + 256. */
function order(c: number): number {
  if (c >= 48 && c <= 57) return 0; // digit
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c; // c_isalpha: ASCII letters only
  if (c === 126) return -1; // '~'
  if (c === 0 || Number.isNaN(c)) return 0; // end of string (charCodeAt past the end is NaN)
  // A byte >= 0x80 is a negative signed char in dpkg, so c + 256 is the byte value again.
  if (c >= 128) return c;
  return c + 256;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** dpkg's verrevcmp on two strings: <0, 0 or >0. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    let firstDiff = 0;
    while ((i < la && !isDigit(a.charCodeAt(i))) || (j < lb && !isDigit(b.charCodeAt(j)))) {
      const ac = i < la ? order(a.charCodeAt(i)) : 0;
      const bc = j < lb ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < la && a.charCodeAt(i) === 48) i++;
    while (j < lb && b.charCodeAt(j) === 48) j++;
    while (i < la && j < lb && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < la && isDigit(a.charCodeAt(i))) return 1;
    if (j < lb && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

export type ParsedVersion = { ok: true; version: DebVersion } | { ok: false; reason: string; version: DebVersion };

/**
 * Parse like dpkg's parseversion(): surrounding whitespace is ignored, the epoch must be a non-negative
 * integer, the revision is split at the last hyphen. Problems are reported (as dpkg warns), and a best-effort
 * version is still returned so that comparison behaves as `dpkg --compare-versions` does on bad input.
 */
export function parseVersion(input: string): ParsedVersion {
  const s = input.trim();
  const problems: string[] = [];
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (e === '') problems.push('epoch in version is empty');
    else if (!/^[0-9]+$/.test(e)) problems.push('epoch in version is not number');
    else if (Number(e) > 2147483647) problems.push('epoch in version is too big');
    epoch = /^[0-9]+$/.test(e) && Number(e) <= 2147483647 ? Number(e) : 0;
    rest = s.slice(colon + 1);
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') problems.push('revision number is empty');
  }
  const version: DebVersion = { epoch, upstream, revision };
  if (s === '') problems.push('version string is empty');
  else if (/\s/.test(s)) problems.push('version string has embedded spaces');
  if (upstream === '' && s !== '') problems.push('version number is empty');
  else if (upstream !== '' && !isDigit(upstream.charCodeAt(0)))
    problems.push('version number does not start with digit');
  if (/[^A-Za-z0-9.+~:-]/.test(upstream) || /[^A-Za-z0-9.+~]/.test(revision))
    problems.push('invalid character in version number');
  return problems.length === 0 ? { ok: true, version } : { ok: false, reason: problems[0]!, version };
}

/** dpkg_version_compare on parsed versions. */
export function compareParsed(a: DebVersion, b: DebVersion): number {
  if (a.epoch > b.epoch) return 1;
  if (a.epoch < b.epoch) return -1;
  const r = verrevcmp(a.upstream, b.upstream);
  if (r !== 0) return r;
  return verrevcmp(a.revision, b.revision);
}

/** Compare two version strings as `dpkg --compare-versions` does; the sign is what matters. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return compareParsed(splitVersion(a), splitVersion(b));
}

/** The split parseVersion() makes, without validation: the fast path for comparisons. */
export function splitVersion(input: string): DebVersion {
  let s = input;
  if (s.length > 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32)) s = s.trim();
  let epoch = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    epoch = /^[0-9]{1,10}$/.test(e) && Number(e) <= 2147483647 ? Number(e) : 0;
    s = s.slice(colon + 1);
  }
  const hyphen = s.lastIndexOf('-');
  return hyphen >= 0
    ? { epoch, upstream: s.slice(0, hyphen), revision: s.slice(hyphen + 1) }
    : { epoch, upstream: s, revision: '' };
}
