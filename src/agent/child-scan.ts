/**
 * Scans in a short-lived child process: the agent runs `hostward scan --format json` (the CLI contract) and
 * reads the report from its stdout. The idle agent then holds only its HTTP server, schedule and metrics;
 * everything a scan loads (ssh2, parsers, file contents) goes back to the OS when the child exits, a probe
 * that wedges the event loop is killed at the deadline, and a crash in a scan cannot take the agent down.
 */
import { execFile } from 'node:child_process';
import type { Report } from '../contracts.js';

export interface ChildScanOptions {
  /** Path of the CLI entry point (dist/src/cli/main.js). */
  cli: string;
  root: string;
  configFile?: string;
  /** Kill the child after this long. */
  timeoutMs: number;
  /** At most this many bytes of report. */
  maxBytes?: number;
  env?: NodeJS.ProcessEnv;
}

/** Tells the child `hostward scan` that it scans for the agent (ctx.mode 'agent'). */
export const SCAN_MODE_ENV = 'HOSTWARD_SCAN_MODE';

export class ChildScanError extends Error {
  readonly code = 'HOSTWARD_CHILD_SCAN_FAILED';
}

function isReport(v: unknown): v is Report {
  const r = v as Partial<Report> | null;
  return typeof r === 'object' && r !== null && Array.isArray(r.findings) && Array.isArray(r.probes) && typeof r.summary === 'object';
}

export function childScanner(opts: ChildScanOptions): () => Promise<Report> {
  const args = [opts.cli, 'scan', '--format', 'json', '--root', opts.root, ...(opts.configFile ? ['--config', opts.configFile] : [])];
  return () =>
    new Promise<Report>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        args,
        { timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: opts.maxBytes ?? 64 * 1024 * 1024, env: { ...(opts.env ?? process.env), [SCAN_MODE_ENV]: 'agent' }, encoding: 'utf8' },
        (err, stdout) => {
          // Exit 1 means "something fails at or above --fail-on": the report is still complete.
          const code = (err as (Error & { code?: unknown }) | null)?.code;
          if (err && code !== 1) {
            const why = (err as Error & { killed?: boolean }).killed ? `killed after ${opts.timeoutMs} ms` : `exit ${String(code ?? err.message)}`;
            reject(new ChildScanError(`scan process failed (${why})`));
            return;
          }
          try {
            const parsed: unknown = JSON.parse(stdout);
            if (!isReport(parsed)) throw new Error('not a report');
            resolve(parsed);
          } catch (e) {
            reject(new ChildScanError(`scan process printed no report: ${(e as Error).message}`));
          }
        },
      );
      // The child's logs (pino, JSON lines on stderr) go where the agent's go.
      child.stderr?.pipe(process.stderr);
    });
}
