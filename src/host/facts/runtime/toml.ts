/**
 * TOML for containerd and CRI-O: parsing that never throws (smol-toml behind a size and depth guard), typed
 * getters over the parsed tables, the two merge semantics the daemons use for drop-ins, and the line of a key
 * in the file for evidence.
 */
import { tomlLib } from '../../../lazy-libs.js';

export type Table = Record<string, unknown>;
export type Parsed = { ok: true; doc: Table } | { ok: false; reason: string };

export const MAX_TOML_BYTES = 4 * 1024 * 1024;
/** Nesting beyond this is not a runtime config; refusing it keeps a hostile file from exhausting the stack. */
export const MAX_TOML_DEPTH = 64;

export const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function depthOk(text: string): boolean {
  // Brackets and braces outside strings bound the nesting of tables, arrays and inline tables.
  let depth = 0;
  let max = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n') quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '\n' && depth > 0 && max > MAX_TOML_DEPTH) return false;
  }
  return max <= MAX_TOML_DEPTH;
}

/** Depth of nested tables and arrays, without recursion (stops counting past the limit). */
function docDepth(doc: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[doc, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > MAX_TOML_DEPTH) return max;
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else if (isTable(v)) for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return max;
}

export function parseToml(text: string): Parsed {
  if (text.length > MAX_TOML_BYTES) return { ok: false, reason: `larger than ${MAX_TOML_BYTES} bytes` };
  if (text.includes('\uFFFD')) return { ok: false, reason: 'not UTF-8 text' };
  if (!depthOk(text)) return { ok: false, reason: `nested deeper than ${MAX_TOML_DEPTH} levels` };
  try {
    const doc = tomlLib().parse(text) as Table;
    // Dotted keys nest without brackets ([a.b.c…], a.b.c = 1): measure what was built. A header of thousands
    // of dotted parts overflowed the stack in mergeInto (found by fuzzing, test/fuzz).
    if (docDepth(doc) > MAX_TOML_DEPTH) return { ok: false, reason: `nested deeper than ${MAX_TOML_DEPTH} levels` };
    return { ok: true, doc };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return { ok: false, reason: `TOML syntax error: ${msg}` };
  }
}

/** The value at a path of table keys, or undefined. */
export function at(doc: unknown, path: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const k of path) {
    if (!isTable(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
export const strList = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

/**
 * Origins: which file last set each key path (joined with "\u0000"), so evidence names the right file.
 */
export type Origins = Map<string, string>;
export const pathKey = (p: readonly string[]): string => p.join('\u0000');

function isEmpty(v: unknown): boolean {
  return (
    v === false ||
    v === '' ||
    v === 0 ||
    (Array.isArray(v) && v.length === 0) ||
    (isTable(v) && Object.keys(v).length === 0)
  );
}

function recordOrigins(v: unknown, path: string[], file: string, origins: Origins): void {
  origins.set(pathKey(path), file);
  if (isTable(v)) for (const [k, x] of Object.entries(v)) recordOrigins(x, [...path, k], file, origins);
}

/**
 * Merge `from` into `to` in place. mode 'replace' (CRI-O drop-ins, decoded onto the config): every key present
 * replaces, tables merge key by key, arrays are replaced. mode 'mergo' (containerd imports, which use mergo with
 * WithOverride): a value overrides unless it is empty (false, "", 0, []), tables merge recursively and arrays
 * append, without duplicates.
 */
export function mergeInto(
  to: Table,
  from: Table,
  mode: 'replace' | 'mergo',
  file: string,
  origins: Origins,
  path: string[] = [],
): void {
  for (const [k, v] of Object.entries(from)) {
    if (k === '__proto__') continue;
    const p = [...path, k];
    const cur = to[k];
    if (isTable(v) && isTable(cur)) {
      mergeInto(cur, v, mode, file, origins, p);
    } else if (mode === 'mergo' && Array.isArray(v) && Array.isArray(cur)) {
      for (const x of v) if (!cur.some((y) => JSON.stringify(y) === JSON.stringify(x))) cur.push(x);
      origins.set(pathKey(p), file);
    } else if (mode === 'replace' || cur === undefined || !isEmpty(v)) {
      to[k] = isTable(v) ? structuredClone(v) : v;
      recordOrigins(v, p, file, origins);
    }
  }
}

/** Split a TOML table header or dotted key into its keys: a."b.c".'d' -> [a, b.c, d]. */
export function splitKeyPath(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '.') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/**
 * The 1-based line where `path` (tables then key) is set in the text, found by following table headers and
 * dotted keys; undefined when the key is not written in this file.
 */
export function lineOfKey(text: string, path: readonly string[]): number | undefined {
  const lines = text.split('\n');
  let table: string[] = [];
  const want = pathKey(path);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const h = /^\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (h) {
      table = splitKeyPath(h[1]!);
      if (pathKey(table) === want) return i + 1;
      continue;
    }
    const kv = /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(line);
    if (kv && pathKey([...table, ...splitKeyPath(kv[1]!)]) === want) return i + 1;
  }
  return undefined;
}
