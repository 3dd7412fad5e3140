/**
 * File ownership and permission facts, and the one comparison hostward makes of them: by mode bits. A rule
 * "at most 0644" means no bit outside 0644 may be set, so 0622 (group- and world-writable) fails, which the
 * decimal comparison of docker-bench-security lets pass.
 */
import type { Evidence } from '../../../contracts.js';
import type { Failure, HostRoot } from '../../root.js';

export interface StatFact {
  mode: number;
  uid: number;
  gid: number;
  type: string;
}

export interface FileFact {
  path: string;
  /** What the file is, e.g. "docker.service", "TLS key". */
  role: string;
  stat: StatFact | Failure;
}

export const octal = (m: number): string => '0' + (m & 0o7777).toString(8).padStart(3, '0');

export async function statFile(host: HostRoot, path: string, role: string): Promise<FileFact> {
  const st = await host.stat(path);
  return { path, role, stat: st.ok ? { mode: st.mode, uid: st.uid, gid: st.gid, type: st.type } : st };
}

export interface ModeRule {
  /** The most permissive mode allowed: bits outside it are forbidden. */
  maxMode: number;
  /** Required owner uid (root unless rootless). */
  uid: number;
  /** Allowed group ids; undefined means any. */
  gids?: readonly number[];
  /** How to name the allowed groups in messages. */
  groupNames?: string;
}

export interface ModeVerdict {
  ok: boolean;
  problems: string[];
  evidence: Evidence;
}

/** What a mode and owner rule asks: the most permissive mode, and the owner and groups allowed (any when unset). */
export interface ModeLimit {
  maxMode: number;
  uid?: number;
  gids?: readonly number[];
}

/** Where a stat departs from a rule: the mode bits beyond maxMode, and whether owner and group are allowed. */
export interface ModeCheck {
  /** Permission bits set that maxMode does not allow; 0 when none. */
  extra: number;
  ownerOk: boolean;
  groupOk: boolean;
}

/**
 * The one mode and owner verdict every probe takes, whatever words its messages use: bits outside maxMode are
 * forbidden (never a numeric comparison of modes), and the owner and group must be among those allowed.
 */
export function checkMode(stat: { mode: number; uid: number; gid: number }, limit: ModeLimit): ModeCheck {
  return {
    extra: stat.mode & ~limit.maxMode & 0o7777,
    ownerOk: limit.uid === undefined || stat.uid === limit.uid,
    groupOk: limit.gids === undefined || limit.gids.includes(stat.gid),
  };
}

/** Compare one file with a rule. Mode bits outside rule.maxMode, a wrong owner or group, are problems. */
export function judgeMode(f: { path: string; stat: StatFact }, rule: ModeRule): ModeVerdict {
  const { mode, uid, gid } = f.stat;
  const problems: string[] = [];
  const v = checkMode(f.stat, rule);
  if (v.extra) problems.push(`mode ${octal(mode)} has bits ${octal(v.extra)} beyond ${octal(rule.maxMode)}`);
  if (!v.ownerOk) problems.push(`owned by uid ${uid} (want ${rule.uid})`);
  if (!v.groupOk) problems.push(`group ${gid} (want ${rule.groupNames ?? rule.gids?.join(' or ')})`);
  return {
    ok: problems.length === 0,
    problems,
    evidence: { file: f.path, text: `mode ${octal(mode)} uid ${uid} gid ${gid}` },
  };
}

/** Parse /etc/group into name -> gid. */
export function parseGroupFile(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name && gid !== undefined && /^\d+$/.test(gid)) out.set(name, Number(gid));
  }
  return out;
}

/** Parse /etc/passwd into uid -> home. */
export function parsePasswdHomes(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && /^\d+$/.test(f[2]!)) out.set(Number(f[2]), f[5]!);
  }
  return out;
}

/** Host path of the first existing candidate. */
export async function firstExisting(host: HostRoot, paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (await host.exists(p)) return p;
  return undefined;
}

/** A line number (1-based) of the first line matching re, for evidence. */
export function lineOf(text: string, re: RegExp): number | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return undefined;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
