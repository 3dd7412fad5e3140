/**
 * Running host binaries (sshd -T) safely: execFile with an argument array (no shell, nothing interpolated
 * from host data into a command string), a timeout, an output cap, and chroot into the host root when the
 * root is not "/", so that the host's binary reads the host's /etc, not the container's.
 */
import { execFile } from 'node:child_process';

export interface ExecOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
  env?: Record<string, string>;
}

export type ExecResult =
  | { ok: true; code: number; stdout: string; stderr: string }
  | { ok: false; reason: 'not_found' | 'timeout' | 'too_much_output' | 'spawn_failed'; message: string; stderr: string };

export function runFile(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeout = opts.timeoutMs ?? 5000;
  const maxBuffer = opts.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout, maxBuffer, killSignal: 'SIGKILL', env: opts.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' }, windowsHide: true },
      (err, stdout, stderr) => {
        const out = String(stdout);
        const errText = String(stderr);
        if (!err) return resolve({ ok: true, code: 0, stdout: out, stderr: errText });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string };
        if (e.code === 'ENOENT') return resolve({ ok: false, reason: 'not_found', message: `${file} not found`, stderr: errText });
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return resolve({ ok: false, reason: 'too_much_output', message: `${file} printed more than ${maxBuffer} bytes`, stderr: errText });
        if (e.killed || e.signal === 'SIGKILL') return resolve({ ok: false, reason: 'timeout', message: `${file} did not finish within ${timeout} ms`, stderr: errText });
        if (typeof e.code === 'number') return resolve({ ok: true, code: e.code, stdout: out, stderr: errText });
        resolve({ ok: false, reason: 'spawn_failed', message: e.message, stderr: errText });
      },
    );
  });
}

/** An exec function bound to a host root: chroot <root> <file> ... unless the root is "/". */
export function hostExec(root: string) {
  return (file: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult> =>
    root === '/' ? runFile(file, args, opts) : runFile('chroot', [root, file, ...args], opts);
}
