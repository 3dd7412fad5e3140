/**
 * apt Release / InRelease files: the archive's identity (Origin, Label, Suite, Codename), when it was signed
 * (Date, Valid-Until) and its default pin (NotAutomatic, ButAutomaticUpgrades). InRelease is clear-signed:
 * the PGP armour is stripped and the signature is NOT verified (apt did that when it fetched the file).
 */
import { parseDeb822 } from '../../../src/worker-sdk.js';

export interface ReleaseInfo {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  version?: string;
  /** Date: as Unix milliseconds, when parseable. */
  date?: number;
  dateText?: string;
  validUntil?: number;
  notAutomatic: boolean;
  butAutomaticUpgrades: boolean;
  /** Whether the text was clear-signed (InRelease). */
  signed: boolean;
}

export type ReleaseResult = { ok: true; release: ReleaseInfo; problems: string[] } | { ok: false; reason: string };

const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIG = '-----BEGIN PGP SIGNATURE-----';

/** The signed text of a clear-signed message (RFC 4880 §7), dash-escaping undone; plain text unchanged. */
export function stripPgpArmour(
  text: string,
): { ok: true; text: string; signed: boolean } | { ok: false; reason: string } {
  const start = text.indexOf(BEGIN_SIGNED);
  if (start < 0) {
    if (text.includes(BEGIN_SIG)) return { ok: false, reason: 'PGP signature without a signed message header' };
    return { ok: true, text, signed: false };
  }
  if (text.slice(0, start).trim() !== '') return { ok: false, reason: 'text before the PGP signed message header' };
  // Armour headers ("Hash: SHA512") end at the first empty line.
  const headerEnd = text.indexOf('\n\n', start);
  const headerEndCrlf = text.indexOf('\n\r\n', start);
  const he = headerEnd < 0 ? headerEndCrlf : headerEndCrlf < 0 ? headerEnd : Math.min(headerEnd, headerEndCrlf);
  if (he < 0) return { ok: false, reason: 'truncated: no end of the PGP armour headers' };
  const bodyStart = text.indexOf('\n', he + 1) + 1;
  const sig = text.indexOf('\n' + BEGIN_SIG, bodyStart - 1);
  if (sig < 0) return { ok: false, reason: 'truncated: no PGP signature after the signed text' };
  const body = text
    .slice(bodyStart, sig)
    .split('\n')
    .map((l) => (l.startsWith('- ') ? l.slice(2) : l))
    .join('\n');
  return { ok: true, text: body, signed: true };
}

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

/** RFC 2822 dates as Release files write them ("Sat, 22 Nov 2025 10:21:34 UTC"); undefined when not one. */
export function parseReleaseDate(s: string): number | undefined {
  const m =
    /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(UTC|GMT|Z|[+-]\d{4})?$/.exec(
      s.trim(),
    );
  if (!m) return undefined;
  const month = MONTHS[m[2]!.toLowerCase()];
  if (month === undefined) return undefined;
  const [d, y, hh, mm, ss] = [Number(m[1]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  let t = Date.UTC(y, month, d, hh, mm, ss);
  const tz = m[7];
  if (tz && /^[+-]\d{4}$/.test(tz)) {
    const sign = tz[0] === '-' ? -1 : 1;
    t -= sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5))) * 60_000;
  }
  return Number.isFinite(t) ? t : undefined;
}

const yes = (v: string | undefined) => v?.trim().toLowerCase() === 'yes';

/** Parse a Release or InRelease file: the first paragraph's fields. */
export function parseRelease(text: string): ReleaseResult {
  if (text.includes('\0')) return { ok: false, reason: 'binary data (NUL bytes)' };
  const stripped = stripPgpArmour(text);
  if (!stripped.ok) return stripped;
  const parsed = parseDeb822(stripped.text, {
    fields: new Set([
      'origin',
      'label',
      'suite',
      'codename',
      'version',
      'date',
      'valid-until',
      'notautomatic',
      'butautomaticupgrades',
    ]),
    maxParagraphs: 1,
  });
  const p = parsed.paragraphs[0];
  if (!p || p.fields.size === 0) return { ok: false, reason: 'no Release fields' };
  const f = p.fields;
  if (!f.has('suite') && !f.has('codename')) return { ok: false, reason: 'neither Suite nor Codename' };
  const problems = parsed.problems
    .filter((x) => !x.message.startsWith('stopped after'))
    .map((x) => `line ${x.line}: ${x.message}`);
  const r: ReleaseInfo = {
    notAutomatic: yes(f.get('notautomatic')),
    butAutomaticUpgrades: yes(f.get('butautomaticupgrades')),
    signed: stripped.signed,
  };
  for (const [k, key] of [
    ['origin', 'origin'],
    ['label', 'label'],
    ['suite', 'suite'],
    ['codename', 'codename'],
    ['version', 'version'],
  ] as const) {
    const v = f.get(k);
    if (v !== undefined && v !== '') r[key] = v;
  }
  const date = f.get('date');
  if (date !== undefined) {
    r.dateText = date;
    const t = parseReleaseDate(date);
    if (t === undefined) problems.push(`Date "${date.slice(0, 60)}" is not an RFC 2822 date`);
    else r.date = t;
  }
  const vu = f.get('valid-until');
  if (vu !== undefined) {
    const t = parseReleaseDate(vu);
    if (t === undefined) problems.push(`Valid-Until "${vu.slice(0, 60)}" is not an RFC 2822 date`);
    else r.validUntil = t;
  }
  return { ok: true, release: r, problems };
}
