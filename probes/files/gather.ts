/**
 * Reads everything the files probe judges, through the host root: the permission table's paths, the account
 * files, the scheduler daemons, banners, GRUB, home directories, and (unless turned off) the bounded walk.
 */
import { mapLimit } from '../../src/sdk.js';
import type { HostRoot, ProbeContext } from '../../src/sdk.js';
import { WALK_BUDGET_MS } from './options.js';
import type { FilesOptions } from './options.js';
import { NOLOGIN, familyOf, grubPasswordLines, parseGroup, parseOsRelease, parsePasswd, parseShells } from './parse.js';
import { tablePaths } from './table.js';
import type {
  Accounts,
  Banner,
  Daemon,
  FilesFacts,
  GrubFacts,
  HomeFacts,
  OsInfo,
  PathState,
  PasswdEntry,
} from './types.js';
import { parseMountinfo, skippedMounts, walkOffThread } from './walker.js';
import type { WalkResult } from './walker.js';

const MAX_ACCOUNT_BYTES = 16 * 1024 * 1024;
const MAX_SMALL = 1024 * 1024;
export const MAX_HOMES = 1000;
export const MAX_DOT_FILES = 200;
const MAX_GRUB_SOURCES = 64;
const CONCURRENCY = 16;

export const ALLOW_DENY = ['/etc/cron.allow', '/etc/cron.deny', '/etc/at.allow', '/etc/at.deny'];
export const BANNERS = ['/etc/motd', '/etc/issue', '/etc/issue.net'];
const GRUB_CFGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];

const why = (f: { code: string; reason: string }) => `${f.code.replace(/_/g, ' ')} (${f.reason})`;

export async function statPath(host: HostRoot, path: string, follow = true): Promise<PathState> {
  const r = await host.stat(path, follow);
  if (r.ok) return { state: 'ok', path, stat: r };
  return r.code === 'missing' ? { state: 'missing', path } : { state: 'error', path, reason: why(r) };
}

async function readBanner(host: HostRoot, path: string, max = MAX_SMALL): Promise<Banner> {
  const r = await host.readText(path, { maxBytes: max });
  if (r.ok) return { state: 'ok', path, text: r.text };
  return r.code === 'missing' ? { state: 'missing', path } : { state: 'error', path, reason: why(r) };
}

async function gatherOs(host: HostRoot): Promise<OsInfo> {
  const r = await host.readText('/etc/os-release', { maxBytes: MAX_SMALL });
  const alt = r.ok ? r : await host.readText('/usr/lib/os-release', { maxBytes: MAX_SMALL });
  if (!alt.ok) return { family: 'other', name: 'a distribution without os-release' };
  const o = parseOsRelease(alt.text);
  return {
    family: familyOf(o.ID, o.ID_LIKE),
    ...(o.ID ? { id: o.ID } : {}),
    name: o.PRETTY_NAME ?? o.ID ?? 'an unnamed distribution',
  };
}

export async function gatherAccounts(host: HostRoot): Promise<Accounts> {
  const [p, g] = await Promise.all([
    host.readText('/etc/passwd', { maxBytes: MAX_ACCOUNT_BYTES }),
    host.readText('/etc/group', { maxBytes: MAX_ACCOUNT_BYTES }),
  ]);
  const passwd = p.ok ? parsePasswd(p.text) : [];
  const groups = g.ok ? parseGroup(g.text) : [];
  const a: Accounts = { users: new Map(), groups: new Map(), groupIds: new Map(), passwd };
  for (const u of passwd) if (!a.users.has(u.uid)) a.users.set(u.uid, u.name);
  for (const x of groups) {
    if (!a.groups.has(x.gid)) a.groups.set(x.gid, x.name);
    if (!a.groupIds.has(x.name)) a.groupIds.set(x.name, x.gid);
  }
  const problems = [...(p.ok ? [] : [`/etc/passwd: ${why(p)}`]), ...(g.ok ? [] : [`/etc/group: ${why(g)}`])];
  if (problems.length) a.problem = problems.join('; ');
  return a;
}

async function firstExisting(host: HostRoot, paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if ((await host.stat(p)).ok) return p;
  return undefined;
}

async function daemon(
  host: HostRoot,
  name: string,
  binaries: string[],
  units: string[],
  comms: string[],
): Promise<Daemon> {
  const binary = await firstExisting(host, binaries);
  const wants = units.flatMap((u) => ['/etc/systemd/system/multi-user.target.wants/' + u]);
  const enabledBy = await firstExisting(host, wants);
  const procs = await host.processes();
  const running = procs.some((p) => comms.includes(p.comm));
  return {
    name,
    ...(binary ? { binary } : {}),
    ...(enabledBy ? { enabledBy } : {}),
    running,
    processesSeen: procs.length > 0,
  };
}

async function gatherGrub(host: HostRoot): Promise<GrubFacts> {
  let cfg: Banner = { state: 'missing', path: GRUB_CFGS[0]! };
  for (const p of GRUB_CFGS) {
    cfg = await readBanner(host, p, 8 * MAX_SMALL);
    if (cfg.state !== 'missing') break;
  }
  const d = await host.readDir('/etc/grub.d');
  const files = d.ok
    ? d.entries.filter((e) => e.type === 'file' || e.type === 'symlink').slice(0, MAX_GRUB_SOURCES)
    : [];
  const texts = await mapLimit(files, CONCURRENCY, (e) => readBanner(host, e.path));
  const sourcesWithPassword = texts.flatMap((t) => {
    if (t.state !== 'ok') return [];
    const g = grubPasswordLines(t.text);
    return g.superusers !== undefined && (g.pbkdf2 !== undefined || g.plain !== undefined) ? [t.path] : [];
  });
  const efi = (await host.stat('/sys/firmware/efi')).ok;
  const userCfg = cfg.state === 'ok' ? await readBanner(host, cfg.path.replace(/grub\.cfg$/, 'user.cfg')) : undefined;
  return { cfg, tried: GRUB_CFGS, sourcesWithPassword, efi, ...(userCfg ? { userCfg } : {}) };
}

/** Users who can log in: a shell listed in /etc/shells (or, without it, any shell that is not a nologin). */
export function interactiveUsers(passwd: readonly PasswdEntry[], shells: readonly string[] | undefined): PasswdEntry[] {
  return passwd.filter((u) => !NOLOGIN.test(u.shell) && (shells ? shells.includes(u.shell) : u.shell !== ''));
}

async function gatherHome(host: HostRoot, user: PasswdEntry): Promise<HomeFacts> {
  const dir = await statPath(host, user.home);
  const out: HomeFacts = { user, dir, dotFiles: [], dotOmitted: 0 };
  if (dir.state !== 'ok' || dir.stat.type !== 'directory') return out;
  const d = await host.readDir(user.home);
  if (!d.ok) return out;
  const dots = d.entries.filter((e) => e.name.startsWith('.'));
  out.dotOmitted = Math.max(0, dots.length - MAX_DOT_FILES);
  out.dotFiles = await mapLimit(dots.slice(0, MAX_DOT_FILES), CONCURRENCY, (e) => statPath(host, e.path, false));
  return out;
}

async function gatherShells(host: HostRoot): Promise<string[] | undefined> {
  const r = await host.readText('/etc/shells', { maxBytes: MAX_SMALL });
  return r.ok ? parseShells(r.text).filter((s) => !NOLOGIN.test(s)) : undefined;
}

async function gatherWalk(ctx: ProbeContext, o: FilesOptions, a: Accounts): Promise<WalkResult> {
  const mi = await ctx.host.readText('/proc/1/mountinfo', { maxBytes: 16 * MAX_SMALL });
  const mounts = mi.ok ? skippedMounts(parseMountinfo(mi.text)) : new Map<string, string>();
  return walkOffThread({
    host: ctx.host,
    limits: { maxEntries: o.walkMaxEntries, budgetMs: o.walkBudgetMs ?? WALK_BUDGET_MS[ctx.mode] },
    users: new Set(a.users.keys()),
    groups: new Set(a.groups.keys()),
    mounts,
    ...(mi.ok ? {} : { mountsProblem: `/proc/1/mountinfo: ${why(mi)}` }),
    signal: ctx.signal,
  });
}

export async function gather(ctx: ProbeContext<FilesOptions>): Promise<FilesFacts> {
  const { host, options } = ctx;
  const [os, accounts, shells] = await Promise.all([gatherOs(host), gatherAccounts(host), gatherShells(host)]);
  // The walk (a worker thread running to its time budget) starts once it has the accounts that say which owners
  // exist, beside the rest of the gather rather than after it: it is the longest part of the probe.
  const walk = options.walk ? gatherWalk(ctx, options, accounts) : undefined;
  walk?.catch(() => undefined); // awaited below; a throw before that must not leave it unhandled
  const paths = [...tablePaths(), ...ALLOW_DENY];
  const states = await mapLimit(paths, CONCURRENCY, (p) => statPath(host, p));
  const banners = await mapLimit(BANNERS, CONCURRENCY, (p) => readBanner(host, p));
  const cron = await daemon(
    host,
    'cron',
    ['/usr/sbin/cron', '/usr/sbin/crond', '/usr/bin/crond'],
    ['cron.service', 'crond.service', 'cronie.service'],
    ['cron', 'crond'],
  );
  const at = await daemon(host, 'at', ['/usr/bin/at'], ['atd.service'], ['atd']);
  const users = interactiveUsers(accounts.passwd, shells);
  const homes = await mapLimit(users.slice(0, MAX_HOMES), CONCURRENCY, (u) => gatherHome(host, u));
  const facts: FilesFacts = {
    options,
    role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' },
    os,
    accounts,
    paths: new Map(paths.map((p, i) => [p, states[i]!])),
    banners: new Map(BANNERS.map((p, i) => [p, banners[i]!])),
    cron,
    at,
    grub: await gatherGrub(host),
    ...(shells ? { shells } : {}),
    homes,
    homesOmitted: Math.max(0, users.length - MAX_HOMES),
  };
  if (walk) facts.walk = await walk;
  return facts;
}
