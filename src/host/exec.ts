/**
 * Running host binaries (sshd -T, sshd -V): argument arrays only (no shell, nothing interpolated from host
 * data into a command string), a timeout, an output cap. Where the binary comes from decides how it runs
 * (docs/threat-model.md, "What hostward trusts"):
 *
 * - the host's own root ("/", a root that is the root directory of PID 1, or one listed in trustedRoots):
 *   its binaries already run as root on this host, so they run as before: directly for "/", chrooted
 *   (as uid 0 with hostward's capabilities) for another path such as the DaemonSet's /host;
 * - any other root (an image, a mounted disk): in the sandbox of sandbox.ts, without capabilities, after
 *   root-safety.ts found nothing in the root that reaches the host. Without the sandbox's tools or
 *   capabilities the binary does not run at all, and the result says why.
 */
import { realpath, stat } from 'node:fs/promises';
import { checkRoot } from './root-safety.js';
import { findTools, ownMissingCapabilities, randomGid, runProcess, sandboxArgv } from './sandbox.js';
import type { SandboxTools } from './sandbox.js';

export interface ExecOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
  env?: Record<string, string>;
  /** Stops the binary (and, sandboxed, everything it started). */
  signal?: AbortSignal;
}

export type ExecResult =
  | { ok: true; code: number; stdout: string; stderr: string }
  | {
      ok: false;
      reason: 'not_found' | 'timeout' | 'too_much_output' | 'spawn_failed' | 'aborted' | 'sandbox_unavailable';
      message: string;
      stderr: string;
    };

export type Exec = (file: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

export function runFile(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return runProcess(file, args, opts);
}

export interface HostExecOptions {
  /** Roots (paths as given to --root) whose binaries are the host's own: see rootTrust. */
  trustedRoots?: readonly string[];
  /** The process whose root directory is the host's root: PID 1 with the host's PID namespace. */
  hostPid?: number;
}

export interface Trust {
  trusted: boolean;
  why: string;
}

async function sameDirectory(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Whether a root's binaries are as trusted as the host itself. */
export async function rootTrust(root: string, o: HostExecOptions = {}): Promise<Trust> {
  if (root === '/') return { trusted: true, why: 'the root is /' };
  const real = await realpath(root).catch(() => root);
  for (const t of o.trustedRoots ?? []) {
    if ((await realpath(t).catch(() => t)) === real) return { trusted: true, why: `${root} is listed in trustedRoots` };
  }
  const pid = o.hostPid ?? 1;
  if (await sameDirectory(root, `/proc/${pid}/root`)) {
    return { trusted: true, why: `${root} is this host's root (the root directory of PID ${pid})` };
  }
  return { trusted: false, why: `${root} is not this host's own root` };
}

type Readiness = { ok: true; tools: SandboxTools } | { ok: false; message: string };

/** Tools, capabilities and a safe root: checked once per hostExec (that is, per scan). */
async function sandboxReadiness(root: string, why: string): Promise<Readiness> {
  const lead = `${why}, so its binaries run only sandboxed`;
  const tools = findTools();
  if ('missing' in tools) {
    const missing = tools.missing.join(', ');
    return { ok: false, message: `${lead}, and the sandbox needs ${missing} (util-linux, libcap2-bin), not found` };
  }
  const caps = ownMissingCapabilities();
  if (caps.length > 0) {
    return { ok: false, message: `${lead}, and building the sandbox needs ${caps.join(', ')}, which hostward lacks` };
  }
  const safe = await checkRoot(root);
  if (!safe.ok) return { ok: false, message: `${lead}, and the root is not safe to run anything from: ${safe.reason}` };
  return { ok: true, tools };
}

function sandboxed(root: string, tools: SandboxTools): Exec {
  return (file, args, opts = {}) => {
    if (!file.startsWith('/') || file.includes('\0')) {
      const message = `${JSON.stringify(file)} is not an absolute path`;
      return Promise.resolve({ ok: false, reason: 'spawn_failed', message, stderr: '' });
    }
    const cpuSeconds = Math.ceil((opts.timeoutMs ?? 5000) / 1000) + 1;
    const [prog, ...argv] = sandboxArgv(tools, root, file, args, { gid: randomGid(), cpuSeconds });
    return runProcess(prog!, argv, { ...opts, cwd: root, isolate: true });
  };
}

function refuse(message: string): Exec {
  return async () => ({ ok: false, reason: 'sandbox_unavailable', message, stderr: '' });
}

/**
 * An exec function bound to a host root; the trust decision and the sandbox checks are made at first use,
 * on the root's resolved path, which every later step uses too: a symbolic link in the path that changed
 * between the decision and a run could otherwise swap a trusted root for another.
 */
export function hostExec(root: string, o: HostExecOptions = {}): Exec {
  let chosen: Promise<Exec> | undefined;
  const choose = async (): Promise<Exec> => {
    if (root === '/') return runFile;
    let real: string;
    try {
      real = await realpath(root);
    } catch (e) {
      return refuse(`cannot resolve the root ${root}: ${(e as Error).message}`);
    }
    const trust = await rootTrust(real, o);
    if (trust.trusted && real === '/') return runFile;
    if (trust.trusted) return (file, args, opts) => runFile('chroot', [real, file, ...args], opts);
    const ready = await sandboxReadiness(real, trust.why);
    return ready.ok ? sandboxed(real, ready.tools) : refuse(ready.message);
  };
  return async (file, args, opts) => (await (chosen ??= choose()))(file, args, opts);
}
