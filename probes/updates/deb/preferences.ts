/**
 * apt_preferences(5) pins from /etc/apt/preferences and /etc/apt/preferences.d/*, read as apt 2.x reads them
 * (apt-pkg/policy.cc ReadPinFile): a record without Pin is ignored; an unknown pin type, or "version" on
 * "Package: *", is a warning and ignored; a record without Package, a missing, zero or out-of-range
 * Pin-Priority, or "never" on a named package is an error that makes apt refuse to run, and apt reads no
 * further record of that file. Pin-Priority is read like strtol (leading digits count, trailing text is
 * ignored); "never" exists only for "Package: *".
 *
 * `pins` holds the records apt applies, in apt's order; `problems` says what is wrong with the others.
 */
import { parseDeb822 } from '../../../src/sdk.js';

export interface Pin {
  file: string;
  line: number;
  /** The Package: field as written (names, globs, /regex/, "*"; several separated by spaces). */
  package: string;
  /** The Pin: field as written ("release n=bookworm", "origin example.org", "version 1.2*"). */
  pin: string;
  /** The priority apt uses (NEVER_PIN for "never"); undefined only for records apt does not apply. */
  priority: number | undefined;
}

/** apt's "Pin-Priority: never": no version from a matching package file is ever a candidate. */
export const NEVER_PIN = -32768;

export type PinType = 'version' | 'release' | 'origin';

/** The type word and the data of a Pin: field (as ReadPinFile splits it), or undefined for an unknown type. */
export function pinParts(pin: string): { type: PinType; data: string } | undefined {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(pin);
  if (!m) return undefined;
  const type = m[1]!.toLowerCase();
  if (type !== 'version' && type !== 'release' && type !== 'origin') return undefined;
  return { type, data: m[2]! };
}

/** Files in preferences.d that apt reads (GetListOfFilesInDir with "pref", no extension allowed). */
export function isPreferencesPart(name: string): boolean {
  if (!/^[A-Za-z0-9_:.-]+$/.test(name) || name.startsWith('.') || name.endsWith('.')) return false;
  const dot = name.lastIndexOf('.');
  return dot < 0 || name.slice(dot + 1) === 'pref';
}

const SHORT_MIN = -32768;
const SHORT_MAX = 32767;

/** Pin-Priority as apt reads it: { priority } or { error } (apt refuses to run). */
export function readPriority(raw: string | undefined, generic: boolean): { priority: number } | { error: string } {
  const text = (raw ?? '').trim();
  if (text === 'never')
    return generic ? { priority: NEVER_PIN } : { error: 'Pin-Priority: never is only allowed for "Package: *"' };
  // strtol: optional sign and leading digits; anything after them is ignored; no digits reads as 0
  const m = /^([+-]?)(\d+)/.exec(text);
  if (!m || text.length >= 300)
    return {
      error:
        raw === undefined ? 'no Pin-Priority' : `Pin-Priority "${text.slice(0, 40)}" is not a number (apt reads 0)`,
    };
  const n = Number(m[1] === '-' ? '-' + m[2] : m[2]);
  if (n === 0) return { error: 'Pin-Priority 0 is not allowed' };
  if (!Number.isSafeInteger(n) || n < SHORT_MIN || n > SHORT_MAX)
    return { error: `Pin-Priority ${text.slice(0, 40)} is outside ${SHORT_MIN}..${SHORT_MAX}` };
  return { priority: n === SHORT_MIN ? SHORT_MIN + 1 : n };
}

export function parsePreferences(text: string, file: string): { pins: Pin[]; problems: string[] } {
  const { paragraphs, problems } = parseDeb822(text, { comments: true });
  const pins: Pin[] = [];
  const out = problems.map((p) => `${file}:${p.line}: ${p.message}`);
  for (const p of paragraphs) {
    if (p.fields.size === 0) continue;
    const pkg = p.fields.get('package')?.trim();
    const pin = p.fields.get('pin')?.trim();
    const where = `${file}:${p.line}`;
    if (!pkg) {
      out.push(`${where}: a record without Package: apt stops with an error and ignores the rest of this file`);
      break;
    }
    if (pin === undefined) {
      out.push(`${where}: a record without Pin: apt ignores it`);
      continue;
    }
    const parts = pinParts(pin);
    const generic = pkg === '*';
    if (!parts || (parts.type === 'version' && generic)) {
      out.push(
        `${where}: pin type "${pin.split(/\s/)[0]!.slice(0, 40)}" is not understood${generic && parts ? ' for "Package: *"' : ''}: apt warns and ignores the record`,
      );
      continue;
    }
    const prio = readPriority(p.fields.get('pin-priority'), generic);
    if ('error' in prio) {
      out.push(`${where}: ${prio.error}: apt stops with an error and ignores the rest of this file`);
      break;
    }
    const raw = p.fields.get('pin-priority')!.trim();
    if (raw !== 'never' && !/^[+-]?\d+$/.test(raw))
      out.push(`${where}: Pin-Priority "${raw.slice(0, 40)}" has trailing text; apt reads ${prio.priority}`);
    pins.push({ file, line: p.line, package: pkg, pin, priority: prio.priority });
  }
  return { pins, problems: out };
}
