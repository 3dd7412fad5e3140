/** Parsers of the account, shell, os-release and GRUB files: total functions over any text, bounded in lines. */
import type { Family, PasswdEntry } from './types.js';

/** Lines read at most from an account or config file; a host has thousands of accounts, not millions. */
export const MAX_LINES = 200_000;

const lines = (text: string): string[] => text.split('\n', MAX_LINES);
const isId = (s: string | undefined): boolean => s !== undefined && /^\d{1,10}$/.test(s);

/** /etc/passwd: name:password:uid:gid:gecos:home:shell; malformed lines are left out. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  lines(text).forEach((l, i) => {
    if (l === '' || l.startsWith('#') || l.startsWith('+') || l.startsWith('-')) return;
    const f = l.split(':');
    if (f.length !== 7 || !f[0] || !isId(f[2]) || !isId(f[3])) return;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]!.trim(), line: i + 1 });
  });
  return out;
}

/** /etc/group: name:password:gid:members. */
export function parseGroup(text: string): { name: string; gid: number }[] {
  const out: { name: string; gid: number }[] = [];
  for (const l of lines(text)) {
    const f = l.split(':');
    if (f.length !== 4 || !f[0] || !isId(f[2]) || l.startsWith('+') || l.startsWith('-')) continue;
    out.push({ name: f[0], gid: Number(f[2]) });
  }
  return out;
}

/** /etc/shells: absolute paths, comments and blanks left out. */
export function parseShells(text: string): string[] {
  return lines(text)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.startsWith('/'));
}

/** Shells that refuse a login: not interactive, whatever /etc/shells says. */
export const NOLOGIN = /(^|\/)(nologin|false|sync|shutdown|halt)$/;

/** /etc/os-release: KEY=value with optional quotes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines(text)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l.trim());
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

export function familyOf(id: string | undefined, idLike: string | undefined): Family {
  const ids = [id ?? '', ...(idLike ?? '').split(/\s+/)].map((s) => s.toLowerCase());
  if (ids.some((s) => s === 'debian' || s === 'ubuntu')) return 'debian';
  if (ids.some((s) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol', 'amzn'].includes(s))) return 'rhel';
  return 'other';
}

/** GRUB script: the lines that set superusers and that give a user a PBKDF2 password (comments left out). */
export interface GrubPassword {
  superusers?: number;
  pbkdf2?: number;
  /** RHEL's 01_users: `password_pbkdf2 root ${GRUB2_PASSWORD}`, the hash in user.cfg beside grub.cfg. */
  pbkdf2Var?: { line: number; name: string };
  plain?: number;
}

export function grubPasswordLines(text: string): GrubPassword {
  const out: GrubPassword = {};
  lines(text).forEach((raw, i) => {
    const l = raw.replace(/#.*/, '').trim();
    if (out.superusers === undefined && /^set\s+superusers\s*=\s*\S/.test(l)) out.superusers = i + 1;
    if (out.pbkdf2 === undefined && /^password_pbkdf2\s+\S+\s+grub\.pbkdf2\.\S+/.test(l)) out.pbkdf2 = i + 1;
    const v = /^password_pbkdf2\s+\S+\s+"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?$/.exec(l);
    if (v && !out.pbkdf2Var) out.pbkdf2Var = { line: i + 1, name: v[1]! };
    if (out.plain === undefined && /^password\s+\S+\s+\S+/.test(l)) out.plain = i + 1;
  });
  return out;
}

/** user.cfg: NAME=grub.pbkdf2... as grub2-setpassword writes it; true when the variable holds a PBKDF2 hash. */
export function userCfgSets(text: string, name: string): boolean {
  return lines(text).some((l) => new RegExp(`^\\s*${name}=grub\\.pbkdf2\\.\\S+`).test(l));
}

/** The getty escapes that print the OS and kernel (\m machine, \r release, \s system, \v version, \S os-release). */
export function bannerLeaks(text: string, osId: string | undefined): string[] {
  const out = [...new Set([...text.matchAll(/\\[mrsvS]/g)].map((m) => m[0]))];
  if (osId && osId.length >= 3 && new RegExp(`\\b${osId.replace(/[^a-z0-9]/gi, '')}\\b`, 'i').test(text))
    out.push(`the OS name "${osId}"`);
  return out;
}
