/**
 * Parsers for the kernel probe's files: text in, typed facts out. They never decide pass or fail, never
 * throw, and treat every input as hostile: a value that is not what the kernel writes is a `problem` with a
 * reason (the check turns it into `unknown`), however large or binary it is.
 */

/** Largest file text a parser looks at; /proc/sys values are a few bytes, profile lists a few hundred KiB. */
export const MAX_VALUE_CHARS = 4096;
export const MAX_LIST_CHARS = 4 * 1024 * 1024;

export type Parsed<T> = ({ ok: true } & T) | { ok: false; reason: string };

const quote = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
const BINARY = /[\u0000-\u0008\u000e-\u001f\ufffd]/;
/** The kernel pads with ASCII blanks only; String.prototype.trim would also eat Unicode spaces. */
const trimAscii = (s: string) => s.replace(/^[ \t\n]+|[ \t\n]+$/g, '');

/**
 * A /proc/sys value as the kernel prints it: integers separated by tabs, then a newline ("1\n",
 * "4\t4\t1\t7\n"). Leading/trailing whitespace is tolerated (the newline is absent in a hand-made copy);
 * anything else is garbage. Integers beyond 2^53 are refused rather than rounded.
 */
export function parseSysctlValue(text: string): Parsed<{ values: number[] }> {
  if (text.length > MAX_VALUE_CHARS) return { ok: false, reason: `${text.length} characters, not a sysctl value` };
  if (BINARY.test(text)) return { ok: false, reason: 'binary data, not a sysctl value' };
  const trimmed = trimAscii(text);
  if (trimmed === '') return { ok: false, reason: 'empty (truncated?)' };
  const values: number[] = [];
  for (const token of trimmed.split(/[ \t]+/)) {
    if (!/^-?\d+$/.test(token)) return { ok: false, reason: `not an integer: ${quote(token)}` };
    const n = Number(token);
    if (!Number.isSafeInteger(n)) return { ok: false, reason: `integer out of range: ${quote(token)}` };
    values.push(n);
  }
  return { ok: true, values };
}

/**
 * /sys/kernel/security/lsm: the active LSMs in order, comma-separated ("lockdown,capability,landlock,yama,
 * apparmor"). The kernel writes no trailing newline; a copy may have one.
 */
export function parseLsmList(text: string): Parsed<{ names: string[] }> {
  if (text.length > MAX_VALUE_CHARS) return { ok: false, reason: `${text.length} characters, not an LSM list` };
  const trimmed = trimAscii(text);
  if (trimmed === '') return { ok: false, reason: 'empty (truncated?)' };
  const names = trimmed.split(',');
  const bad = names.find((n) => !/^[a-z][a-z0-9_]{0,31}$/.test(n));
  if (bad !== undefined) return { ok: false, reason: `not an LSM name: ${quote(bad)}` };
  return { ok: true, names };
}

/** /sys/module/apparmor/parameters/enabled: "Y" or "N" and a newline. */
export function parseYesNo(text: string): Parsed<{ value: boolean }> {
  const t = text.length > MAX_VALUE_CHARS ? '' : trimAscii(text);
  if (t === 'Y') return { ok: true, value: true };
  if (t === 'N') return { ok: true, value: false };
  return { ok: false, reason: t === '' ? 'empty or oversized (truncated?)' : `neither Y nor N: ${quote(t)}` };
}

/** /sys/fs/selinux/enforce: "1" (enforcing) or "0" (permissive), written without a newline. */
export function parseSelinuxEnforce(text: string): Parsed<{ enforcing: boolean }> {
  const v = parseSysctlValue(text);
  if (!v.ok) return v;
  if (v.values.length === 1 && (v.values[0] === 0 || v.values[0] === 1))
    return { ok: true, enforcing: v.values[0] === 1 };
  return { ok: false, reason: `neither 0 nor 1: ${quote(trimAscii(text))}` };
}

export const APPARMOR_MODES = ['enforce', 'complain', 'kill', 'unconfined', 'prompt', 'user'] as const;
export type AppArmorMode = (typeof APPARMOR_MODES)[number];

export interface AppArmorProfiles {
  /** Profiles per mode. */
  counts: Record<AppArmorMode, number>;
  total: number;
  /** Lines that are not "name (mode)", with their 1-based numbers (at most 10 kept). */
  malformed: { line: number; text: string }[];
  malformedCount: number;
}

/**
 * /sys/kernel/security/apparmor/profiles: one loaded profile a line, "name (mode)", e.g.
 * "/usr/bin/man (enforce)", "cri-containerd.apparmor.d (enforce)", "/usr/bin/man//man_groff (complain)".
 * Names may contain spaces, so the mode is taken from the end of the line.
 */
export function parseAppArmorProfiles(text: string): Parsed<{ profiles: AppArmorProfiles }> {
  if (text.length > MAX_LIST_CHARS)
    return { ok: false, reason: `${text.length} characters, larger than any profile list` };
  const counts = Object.fromEntries(APPARMOR_MODES.map((m) => [m, 0])) as Record<AppArmorMode, number>;
  const malformed: AppArmorProfiles['malformed'] = [];
  let malformedCount = 0;
  let total = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const m = /^(\S.*) \(([a-z]+)\)$/.exec(line);
    const mode = m?.[2] as AppArmorMode | undefined;
    if (m && mode && (APPARMOR_MODES as readonly string[]).includes(mode) && !BINARY.test(line)) {
      counts[mode]++;
      total++;
    } else {
      malformedCount++;
      if (malformed.length < 10)
        malformed.push({ line: i + 1, text: line.length > 80 ? line.slice(0, 80) + '…' : line });
    }
  });
  if (total === 0 && malformedCount > 0)
    return { ok: false, reason: `no line is "name (mode)"; line ${malformed[0]!.line}: ${quote(malformed[0]!.text)}` };
  return { ok: true, profiles: { counts, total, malformed, malformedCount } };
}

export const SELINUX_MODES = ['enforcing', 'permissive', 'disabled'] as const;
export type SelinuxMode = (typeof SELINUX_MODES)[number];

export interface SelinuxConfig {
  /** The last SELINUX= line's value, as the loader reads it. Absent when no line sets it. */
  mode?: SelinuxMode;
  line?: number;
  text?: string;
  /** A SELINUX= line with a value that is none of the modes. */
  problem?: string;
}

/** /etc/selinux/config: KEY=value lines, # comments. Only SELINUX= matters here. */
export function parseSelinuxConfig(text: string): SelinuxConfig {
  const out: SelinuxConfig = {};
  if (text.length > MAX_LIST_CHARS) return { problem: `${text.length} characters, larger than any SELinux config` };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const m = /^SELINUX\s*=\s*"?([^"#\s]*)"?\s*(#.*)?$/.exec(line);
    if (!m) return;
    const v = m[1]!.toLowerCase();
    delete out.problem;
    delete out.mode;
    out.line = i + 1;
    out.text = line.length > 120 ? line.slice(0, 120) + '…' : line;
    if ((SELINUX_MODES as readonly string[]).includes(v)) out.mode = v as SelinuxMode;
    else out.problem = `SELINUX=${quote(m[1]!)} is none of ${SELINUX_MODES.join(', ')}`;
  });
  return out;
}
