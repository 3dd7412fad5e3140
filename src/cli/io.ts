/** The command line's dealings with the file system and the OS, with errors a person can act on. */
import { renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Why `dir` cannot be a host root ("/nope does not exist"), or undefined when it is a directory. */
export function requireDirectory(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : `${dir} is not a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? `${dir} does not exist`
      : `${dir} cannot be read (${code ?? 'error'})`;
  }
}

/** Writes `text` to `file` whole: into a temporary file beside it, then renamed over it. */
export function writeOutput(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw Object.assign(new Error(`cannot write ${file}`), {
      code: (e as NodeJS.ErrnoException).code,
      syscall: 'write',
      path: file,
    });
  }
}

const PLAIN: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

/**
 * One line for an error from the OS (a port in use, a file that cannot be written), saying each thing once;
 * undefined for anything else (a defect, which keeps its stack).
 */
export function describeSystemError(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!(e instanceof Error) || typeof err.code !== 'string' || !/^E[A-Z]+$/.test(err.code)) return undefined;
  if (err.code === 'EADDRINUSE')
    return `cannot listen on ${err.address ?? ''}:${err.port ?? ''}: the port is in use (another hostward, or --port)`;
  if (err.code === 'EADDRNOTAVAIL') return `cannot listen on ${err.address ?? ''}: no such address on this host`;
  if (err.syscall === 'listen' && err.code === 'EACCES')
    return `cannot listen on port ${err.port ?? ''}: permission denied`;
  const what = PLAIN[err.code] ?? err.code;
  // Node's own messages repeat the code ("EACCES: permission denied, open '/x'"); say it once.
  const subject = err.path ?? err.message.replace(/^E[A-Z]+: [^,]*,?\s*/, '');
  return `${subject}: ${what}${err.code !== what && PLAIN[err.code] ? ` (${err.code})` : ''}`;
}
