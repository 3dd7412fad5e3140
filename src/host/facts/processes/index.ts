/**
 * The host's process table, shared by the probes (the DaemonSet runs with hostPID): argv from cmdline, start
 * time from stat field 22 plus /proc/stat btime, real uid from status, and the flags of Go programs' command
 * lines. Parsers take text; findProcesses does the reads, once per scan.
 */
import type { HostRoot } from '../../root.js';
import { processStatus } from './status.js';

/** USER_HZ: the unit of /proc/<pid>/stat times on every Linux architecture Kubernetes runs on. */
export const CLOCK_TICKS = 100;
export const MAX_CMDLINE_BYTES = 256 * 1024;
export const MAX_ARGS = 4096;

/**
 * argv from /proc/<pid>/cmdline: NUL-separated, with a trailing NUL; bounded in count. The one splitter of
 * command lines: `dropEmpty` leaves out empty words, which a flag parser never sees and evidence need not show.
 */
export function parseCmdline(text: string, opts: { dropEmpty?: boolean } = {}): string[] {
  const parts = text.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return (opts.dropEmpty ? parts.filter((p) => p.length > 0) : parts).slice(0, MAX_ARGS);
}

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks after boot (field 22). */
  startTicks: number;
}

/** /proc/<pid>/stat: "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ")". */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field 22 is rest[19].
  const ppid = Number(rest[1]);
  const start = rest[19];
  if (!Number.isSafeInteger(pid) || rest.length < 20 || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '', ppid, startTicks: Number(start) };
}

/** btime (seconds since the epoch) from /proc/stat. */
export function parseBootTime(text: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * A process' real uid, from its status read once per scan whichever probe asks (the seccomp probe's confinement
 * reads the same); undefined when its status cannot be read.
 */
export async function processUid(host: HostRoot, pid: number): Promise<number | undefined> {
  return (await processStatus(host, pid)).status?.uid;
}

/** One variable of /proc/<pid>/environ. */
export function environValue(text: string, name: string): string | undefined {
  for (const kv of text.split('\0')) if (kv.startsWith(name + '=')) return kv.slice(name.length + 1);
  return undefined;
}

export interface ProcInfo {
  pid: number;
  comm: string;
  argv: string[];
  /** Host path of the cmdline file, for evidence. */
  cmdlineFile: string;
  uid?: number;
  /** When the process started, milliseconds since the epoch (from stat starttime and btime). */
  startedAtMs?: number;
}

/** What a process table lookup matches on: comm names, or a test of the comm (cut at 15 characters). */
export type CommMatch = readonly string[] | ((comm: string) => boolean);

/** Per HostRoot (one per scan): boot time and each process read once, whichever probe asks first. */
interface ProcessCache {
  btime?: Promise<number | undefined>;
  cmdlines: Map<number, ReturnType<HostRoot['readText']>>;
  infos: Map<number, Promise<ProcInfo | undefined>>;
}
const caches = new WeakMap<HostRoot, ProcessCache>();

function cacheOf(host: HostRoot): ProcessCache {
  let c = caches.get(host);
  if (!c) caches.set(host, (c = { cmdlines: new Map(), infos: new Map() }));
  return c;
}

/** /proc/<pid>/cmdline as text, read at most once per scan (bounded by MAX_CMDLINE_BYTES). */
export function readCmdline(host: HostRoot, pid: number): ReturnType<HostRoot['readText']> {
  const c = cacheOf(host);
  let r = c.cmdlines.get(pid);
  if (!r) c.cmdlines.set(pid, (r = host.readText(`/proc/${pid}/cmdline`, { maxBytes: MAX_CMDLINE_BYTES })));
  return r;
}

function bootTime(host: HostRoot): Promise<number | undefined> {
  const c = cacheOf(host);
  c.btime ??= host
    .readText('/proc/stat', { maxBytes: 1024 * 1024 })
    .then((r) => (r.ok ? parseBootTime(r.text) : undefined));
  return c.btime;
}

async function readInfo(host: HostRoot, pid: number, comm: string): Promise<ProcInfo | undefined> {
  const cmdlineFile = `/proc/${pid}/cmdline`;
  const [cmd, stat, uid, btime] = await Promise.all([
    readCmdline(host, pid),
    host.readText(`/proc/${pid}/stat`, { maxBytes: 4096 }),
    processUid(host, pid),
    bootTime(host),
  ]);
  if (!cmd.ok) return undefined;
  const argv = parseCmdline(cmd.text);
  if (argv.length === 0) return undefined; // a zombie or kernel thread
  const info: ProcInfo = { pid, comm, argv, cmdlineFile };
  const st = stat.ok ? parseProcStat(stat.text) : undefined;
  if (st && btime !== undefined) info.startedAtMs = (btime + st.startTicks / CLOCK_TICKS) * 1000;
  if (uid !== undefined) info.uid = uid;
  return info;
}

/**
 * The process table's entries whose comm matches, lowest pid first, with argv, real uid and start time. Comm
 * comes from the one walk of /proc (HostRoot.processes); the rest is read only for matches, once per scan
 * whichever probe asks (several look at the same daemons). At most maxProcs
 * pids are looked at. Each caller gets its own copy.
 */
export async function findProcesses(host: HostRoot, match: CommMatch, maxProcs = 100_000): Promise<ProcInfo[]> {
  const test = typeof match === 'function' ? match : (comm: string) => match.includes(comm);
  const matches = (await host.processes()).slice(0, maxProcs).filter((p) => test(p.comm));
  const infos = cacheOf(host).infos;
  const out: ProcInfo[] = [];
  for (const p of matches) {
    let info = infos.get(p.pid);
    if (!info) infos.set(p.pid, (info = readInfo(host, p.pid, p.comm)));
    const i = await info;
    if (i) out.push({ ...i, argv: [...i.argv] });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

export async function readEnviron(host: HostRoot, pid: number, name: string): Promise<string | undefined> {
  const r = await host.readText(`/proc/${pid}/environ`, { maxBytes: MAX_CMDLINE_BYTES });
  return r.ok ? environValue(r.text, name) : undefined;
}

/**
 * Command-line flags as Go programs read them (pflag, urfave/cli, Go's flag package): one scan (scanFlags), told
 * by a few switches where the programs differ. parseGoFlags reads the runtimes' flags with it; the kubelet's
 * parseFlags (kubelet/argv.ts) is a layer over it that adds the kubelet's names, evidence and problem texts.
 * sshd's POSIX getopt, with clustered single-letter options, is another grammar (the ssh probe's parseSshdArgs).
 */

/** Where the programs' flag packages differ. */
export interface FlagGrammar {
  /** The flags that take no value. */
  bools: ReadonlySet<string>;
  /**
   * How a word with one dash is read. "long": "-name" is "--name", as Go's flag package reads it. "shorthand":
   * as pflag and urfave/cli, "-n value" or "-nvalue" (a short flag with its value attached), except a word of
   * lower-case letters and dashes ("-config"), which programs built on Go's flag package take for a long name.
   */
  singleDash: 'long' | 'shorthand';
  /**
   * Whether the word after a flag that needs a value is its value even when it starts with a dash ("--config --"
   * sets config to "--", as pflag reads it); otherwise such a word is the next flag and the first has no value.
   */
  dashValues: boolean;
  /** The name as the program compares it (the kubelet's "_" -> "-"); by default as written. */
  normalise?: (name: string) => string;
}

/** One step of reading argv; `at` is the index of the word, `valueAt` that of a value in the next word. */
export type FlagToken =
  /** `value` is undefined for a flag of `bools` written without "=". */
  | { kind: 'flag'; name: string; value: string | undefined; at: number; valueAt?: number }
  /** A flag that needs a value and has none (argv ends, or the next word is a flag). */
  | { kind: 'missing'; name: string; at: number }
  | { kind: 'positional'; at: number }
  /** "--": the words after it are not flags; reading stops. */
  | { kind: 'end'; at: number };

/** The name and value written in one flag word (without its dashes), before looking at the next word. */
function splitFlag(body: string, long: boolean, g: FlagGrammar): { name: string; value: string | undefined } {
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const value = eq >= 0 ? body.slice(eq + 1) : undefined;
  // -Hvalue: a short flag with its value attached (single-dash long names like -config are Go's flag package)
  const attached =
    g.singleDash === 'shorthand' &&
    !long &&
    eq < 0 &&
    name.length > 1 &&
    !g.bools.has(name) &&
    !g.bools.has(name[0]!) &&
    !/^[a-z][a-z-]+$/.test(name);
  return attached ? { name: name[0]!, value: name.slice(1) } : { name, value };
}

/** Read argv (without argv[0]) word by word under `g`. */
export function scanFlags(args: readonly string[], g: FlagGrammar): FlagToken[] {
  const out: FlagToken[] = [];
  const normalise = g.normalise ?? ((n: string) => n);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push({ kind: 'end', at: i });
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.push({ kind: 'positional', at: i });
      continue;
    }
    const long = a.startsWith('--');
    const split = splitFlag(a.slice(long ? 2 : 1), long, g);
    const name = normalise(split.name);
    if (split.value !== undefined || g.bools.has(name)) {
      out.push({ kind: 'flag', name, value: split.value, at: i });
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || (!g.dashValues && next.startsWith('-') && next.length > 1)) {
      out.push({ kind: 'missing', name, at: i });
      continue;
    }
    out.push({ kind: 'flag', name, value: next, at: i, valueAt: i + 1 });
    i++;
  }
  return out;
}

export interface FlagOccurrence {
  name: string;
  value: string | undefined;
  /** The argument text, for evidence. */
  text: string;
}

/**
 * Go-style flag parsing (pflag, urfave/cli): "--name=value", "--name value", "-n value", "-nvalue", "--bool".
 * `bools` lists the flags that take no value. Returns each flag occurrence in order (the caller decides
 * last-wins or accumulate), with a flag missing its value as an occurrence without one, and positional arguments.
 */
export function parseGoFlags(
  args: readonly string[],
  bools: ReadonlySet<string>,
): { flags: FlagOccurrence[]; positional: string[]; problems: string[] } {
  const flags: FlagOccurrence[] = [];
  const positional: string[] = [];
  const problems: string[] = [];
  for (const t of scanFlags(args, { bools, singleDash: 'shorthand', dashValues: false })) {
    const a = args[t.at]!;
    if (t.kind === 'end') positional.push(...args.slice(t.at + 1));
    else if (t.kind === 'positional') positional.push(a);
    else if (t.kind === 'missing') {
      problems.push(`${a} without a value`);
      flags.push({ name: t.name, value: undefined, text: a });
    } else flags.push({ name: t.name, value: t.value, text: t.valueAt === undefined ? a : `${a} ${args[t.valueAt]}` });
  }
  return { flags, positional, problems };
}

/** The last occurrence of a flag named `names` (or any of them): the value a program keeps. */
export function lastFlag<F extends { name: string }>(
  flags: readonly F[],
  names: string | readonly string[],
): F | undefined {
  const wanted: readonly string[] = typeof names === 'string' ? [names] : names;
  for (let i = flags.length - 1; i >= 0; i--) if (wanted.includes(flags[i]!.name)) return flags[i];
  return undefined;
}
