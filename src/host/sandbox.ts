/**
 * Running a binary of an untrusted host root (an image, a mounted disk) without privilege. A chroot alone
 * contains nothing for uid 0 with capabilities: the binary could mount proc and read the host through
 * /proc/<ppid>/root. So the binary runs at the end of a chain of util-linux and libcap tools, each an
 * argument array, each doing one step in the order that keeps it safe:
 *
 *   setpriv --pdeathsig=KILL      dies with hostward
 *   unshare --pid --fork --kill-child --mount --net --ipc --uts --cgroup
 *                                 own PID namespace (nothing of the host to see or signal), no network
 *   unshare --fork --kill-child   PID 1 of that namespace: killing the chain's head ends every process in it
 *   prlimit                       file size 0, open files, CPU seconds, address space
 *   setpriv --no-new-privs --regid=G --clear-groups, inheritable and ambient sets emptied, bounding set
 *           cut to SYS_CHROOT and SETPCAP (what capsh needs next)
 *   capsh --chroot=<root>         enter the root (chroot, then chdir /) while SYS_CHROOT is still held,
 *         --drop=all --secbits --caps= --noamb --inh=
 *                                 then empty the bounding set and every other set, lock the securebits
 *         --shell=<file> -- args  and only then exec the binary, resolved inside the root
 *
 * capsh is the one tool that chroots, drops and execs in one process from outside the root; a tool run
 * after a plain chroot would be the root's own copy. The uid stays 0 and every capability goes: sshd needs
 * its root-owned 0600 host keys (and, on RHEL, a 0600 sshd_config), which only their owner reads without
 * a capability. Any other uid could not run sshd -T at all, and a uid that is 0 in any set (effective,
 * saved) can take the others back without a capability, so 0 throughout is the honest statement. G is a
 * random unused gid, fixed (changing it needs CAP_SETGID), with no supplementary groups. A uid-0 process
 * is exempt from RLIMIT_NPROC: the number of processes is bounded by the timeout, at which the whole PID
 * namespace dies, not by a limit.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync } from 'node:fs';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { ExecOptions, ExecResult } from './exec.js';

export const SANDBOX_LIMITS = { openFiles: 64, addressSpaceBytes: 1024 * 1024 * 1024 } as const;

/** Capabilities hostward needs to build the chain (namespaces, gid and groups, chroot, bounding set). */
const NEEDED_CAPS: Record<string, number> = { CAP_SETGID: 6, CAP_SETPCAP: 8, CAP_SYS_CHROOT: 18, CAP_SYS_ADMIN: 21 };

export interface SandboxTools {
  setpriv: string;
  unshare: string;
  prlimit: string;
  capsh: string;
}

const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Absolute paths of the tools (never a PATH lookup: each tool execs the next one by this path). */
export function findTools(): SandboxTools | { missing: string[] } {
  const found: Partial<Record<keyof SandboxTools, string>> = {};
  const missing: string[] = [];
  for (const name of ['setpriv', 'unshare', 'prlimit', 'capsh'] as const) {
    const p = DIRS.map((d) => `${d}/${name}`).find((f) => {
      try {
        accessSync(f, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (p) found[name] = p;
    else missing.push(name);
  }
  return missing.length > 0 ? { missing } : (found as SandboxTools);
}

/** Which of the needed capabilities the CapEff line of a /proc/<pid>/status lacks. */
export function missingCapabilities(status: string): string[] {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const eff = hex ? BigInt(`0x${hex}`) : 0n;
  return Object.entries(NEEDED_CAPS)
    .filter(([, bit]) => (eff & (1n << BigInt(bit))) === 0n)
    .map(([name]) => name);
}

export function ownMissingCapabilities(): string[] {
  return missingCapabilities(readFileSync('/proc/self/status', 'utf8'));
}

/** A gid no group uses: above 2^31, far from every distribution's and container runtime's ranges. */
export function randomGid(): number {
  return 0x80000000 + randomInt(0x70000000);
}

/** The chain as [program, ...arguments]. */
export function sandboxArgv(
  t: SandboxTools,
  root: string,
  file: string,
  args: readonly string[],
  o: { gid: number; cpuSeconds: number },
): string[] {
  return [
    t.setpriv,
    '--pdeathsig=KILL',
    '--',
    t.unshare,
    '--pid',
    '--fork',
    '--kill-child',
    '--mount',
    '--net',
    '--ipc',
    '--uts',
    '--cgroup',
    '--',
    t.unshare,
    '--fork',
    '--kill-child',
    '--',
    t.prlimit,
    '--fsize=0',
    '--core=0',
    `--nofile=${SANDBOX_LIMITS.openFiles}`,
    `--cpu=${o.cpuSeconds}`,
    `--as=${SANDBOX_LIMITS.addressSpaceBytes}`,
    '--',
    t.setpriv,
    '--no-new-privs',
    `--regid=${o.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--ambient-caps=-all',
    '--bounding-set=-all,+sys_chroot,+setpcap',
    '--',
    // securebits 0xef: no root privilege at exec, no setuid fixup, no ambient raise, all locked.
    t.capsh,
    `--chroot=${root}`,
    '--drop=all',
    '--secbits=0xef',
    '--caps=',
    '--noamb',
    '--inh=',
    `--shell=${file}`,
    '--',
    ...args,
  ];
}

/**
 * Descriptors of this process that a child would inherit besides stdio: those without O_CLOEXEC, left open
 * by whatever started hostward. Node marks its own close-on-exec; these it cannot, and one that points at
 * a directory outside the root is the classic way out of a chroot (fchdir to it).
 */
export function inheritedDescriptors(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) out.push(fd);
    } catch {
      // closed meanwhile (the directory listing's own descriptor is one)
    }
  }
  return out;
}

/** stdio for spawn that puts /dev/null over every inherited descriptor in the child. */
function scrubbedStdio(nullFd: number): StdioOptions {
  const leaked = inheritedDescriptors();
  const stdio: (number | 'ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
  for (let fd = 3; fd <= Math.max(2, ...leaked); fd++) stdio.push(leaked.includes(fd) ? nullFd : 'ignore');
  return stdio;
}

export interface ProcessOptions extends ExecOptions {
  cwd?: string;
  /**
   * For binaries of an untrusted root: a new session and process group (no controlling terminal; the
   * group is killed as one), and no descriptor of hostward's but stdio reaches the child.
   */
  isolate?: boolean;
}

type Env = Record<string, string>;

function startChild(file: string, args: readonly string[], opts: ProcessOptions, env: Env): ChildProcess {
  const common = { cwd: opts.cwd, env, windowsHide: true };
  if (!opts.isolate) return spawn(file, [...args], { ...common, stdio: ['ignore', 'pipe', 'pipe'] });
  const nullFd = openSync('/dev/null', 'r');
  try {
    return spawn(file, [...args], { ...common, stdio: scrubbedStdio(nullFd), detached: true });
  } finally {
    closeSync(nullFd);
  }
}

/**
 * Runs a program with an argument array: a timeout and an abort that SIGKILL it (its process group when
 * detached), and an output cap per stream. ExecResult as execFile-based callers had it.
 */
export function runProcess(file: string, args: readonly string[], opts: ProcessOptions = {}): Promise<ExecResult> {
  const timeout = opts.timeoutMs ?? 5000;
  const max = opts.maxOutputBytes ?? 1024 * 1024;
  const env = opts.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
  if (opts.signal?.aborted) {
    const message = `${file} was not started: the scan was cancelled`;
    return Promise.resolve({ ok: false, reason: 'aborted', message, stderr: '' });
  }
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sizes = { out: 0, err: 0 };
    let ended: { reason: 'timeout' | 'too_much_output' | 'aborted'; message: string } | undefined;
    const child = startChild(file, args, opts, env);
    const kill = (reason: NonNullable<typeof ended>['reason'], message: string) => {
      if (ended) return;
      ended = { reason, message };
      try {
        if (opts.isolate && child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const collect = (list: Buffer[], key: 'out' | 'err') => (d: Buffer) => {
      sizes[key] += d.length;
      if (sizes[key] > max) return kill('too_much_output', `${file} printed more than ${max} bytes`);
      list.push(d);
    };
    child.stdout!.on('data', collect(out, 'out'));
    child.stderr!.on('data', collect(err, 'err'));
    const timer = setTimeout(() => kill('timeout', `${file} did not finish within ${timeout} ms`), timeout);
    const onAbort = () => kill('aborted', `${file} was stopped: the scan was cancelled`);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (r: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const text = (list: Buffer[]) => Buffer.concat(list).toString('utf8');
    child.on('error', (e: NodeJS.ErrnoException) => {
      // A process that never started emits no 'close' one can count on.
      if (child.pid !== undefined) return;
      if (e.code === 'ENOENT') finish({ ok: false, reason: 'not_found', message: `${file} not found`, stderr: '' });
      else finish({ ok: false, reason: 'spawn_failed', message: e.message, stderr: '' });
    });
    child.on('close', (code, signal) => {
      const stderr = text(err);
      if (ended) return finish({ ok: false, ...ended, stderr });
      if (code !== null) return finish({ ok: true, code, stdout: text(out), stderr });
      finish({ ok: false, reason: 'spawn_failed', message: `${file} was killed by ${String(signal)}`, stderr });
    });
  });
}
