/**
 * Every write-capable system call of a command run by `runc exec`, as the kernel saw it (strace -f on the
 * runc process, which follows it into the container): the proof that a command wrote nowhere else.
 * Only the calls of the command itself count (from its execve on, with its threads and children); runc's own
 * bookkeeping before that is not the command's.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PREFIX, RUNC_ROOT } from './runc.js';

const WRITE_CALLS = [
  'open',
  'openat',
  'openat2',
  'creat',
  'mkdir',
  'mkdirat',
  'rename',
  'renameat',
  'renameat2',
  'unlink',
  'unlinkat',
  'rmdir',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'truncate',
  'chmod',
  'fchmodat',
  'chown',
  'lchown',
  'fchownat',
  'utimensat',
  'mknod',
  'mknodat',
  'setxattr',
  'lsetxattr',
  'removexattr',
  'lremovexattr',
  'mount',
  'umount2',
];
const FOLLOW = ['execve', 'clone', 'clone3', 'fork', 'vfork', 'chdir'];

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

export interface Write {
  call: string;
  /** Absolute path as the command saw it (relative ones resolved against its working directory). */
  path: string;
  line: string;
}

export interface Traced {
  status: number | null;
  stdout: string;
  stderr: string;
  writes: Write[];
}

/** `runc exec <id> <argv>` under strace; the writes of the command (after its execve of argv[0]). */
export function tracedExec(id: string, argv: string[], log: string, cwd = '/app'): Traced {
  const trace = [
    '-f',
    '-qq',
    '-s',
    '4096',
    '-e',
    `trace=${[...WRITE_CALLS, ...FOLLOW].join(',')}`,
    '-e',
    'signal=none',
    '-o',
    log,
  ];
  const r = spawnSync('strace', [...trace, 'runc', '--root', RUNC_ROOT, 'exec', PREFIX + id, ...argv], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    writes: parseWrites(readFileSync(log, 'utf8'), path.basename(argv[0]!), cwd),
  };
}

const LINE = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)/;
const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/;

/** The write calls of the command's processes in an `strace -f` log. */
export function parseWrites(text: string, command: string, cwd: string): Write[] {
  const ours = new Set<string>();
  const dirs = new Map<string, string>();
  const out: Write[] = [];
  for (const line of joinResumed(text)) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, pid, call, args, ret] = m as unknown as [string, string, string, string, string];
    if (call === 'execve' && ret === '0' && new RegExp(`^"[^"]*/${command}"`).test(args)) ours.add(pid);
    if (!ours.has(pid)) continue;
    if (['clone', 'clone3', 'fork', 'vfork'].includes(call) && Number(ret) > 0) ours.add(ret);
    if (call === 'chdir' && ret === '0') dirs.set(pid, resolve(firstString(args) ?? '/', dirs.get(pid) ?? cwd));
    if (!WRITE_CALLS.includes(call) || ret.startsWith('-')) continue;
    if (/^open/.test(call) && !WRITE_FLAGS.test(args)) continue;
    for (const p of pathArgs(call, args)) out.push({ call, path: resolve(p, dirs.get(pid) ?? cwd), line });
  }
  return out;
}

/** Lines with calls that another thread interrupted ("<unfinished ...>" ... "<... x resumed>") joined again. */
export function joinResumed(text: string): string[] {
  const pending = new Map<string, string>();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const unfinished = /^(\d+)\s+(.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(unfinished[1]!, `${unfinished[1]!} ${unfinished[2]!}`);
      continue;
    }
    const resumed = /^(\d+)\s+<\.\.\. \w+ resumed>\s?(.*)$/.exec(line);
    if (resumed && pending.has(resumed[1]!)) {
      out.push(pending.get(resumed[1]!)! + resumed[2]!);
      pending.delete(resumed[1]!);
    } else out.push(line);
  }
  return out;
}

/** Calls whose first argument is the only path (the others are flags, modes, ids or data). */
const ONE_PATH = [
  'chown',
  'lchown',
  'chmod',
  'truncate',
  'creat',
  'open',
  'mkdir',
  'rmdir',
  'unlink',
  'setxattr',
  'lsetxattr',
  'removexattr',
  'lremovexattr',
];

/** Path arguments of a call: quoted strings, with a directory fd other than AT_FDCWD marked unresolvable. */
function pathArgs(call: string, args: string): string[] {
  const strings = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!);
  const dirfd = /^(\d+),/.exec(args);
  if (dirfd && /at2?$/.test(call)) return strings.map((s) => (s.startsWith('/') ? s : `<fd ${dirfd[1]!}>/${s}`));
  if (ONE_PATH.includes(call)) return strings.slice(0, 1);
  return strings;
}

function firstString(args: string): string | undefined {
  return /"((?:[^"\\]|\\.)*)"/.exec(args)?.[1];
}

function resolve(p: string, cwd: string): string {
  return p.startsWith('<fd') ? p : path.posix.resolve(cwd, p);
}

/** Writes whose path is not under `dir` (unresolvable directory-fd paths count as outside). */
export function writesOutside(writes: readonly Write[], dir: string): Write[] {
  return writes.filter((w) => w.path !== dir && !w.path.startsWith(`${dir}/`));
}
