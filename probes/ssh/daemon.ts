/**
 * The running sshd listener and the command line it was started with. `sshd -o PasswordAuthentication=yes`
 * beats every file, and `-f` changes which file is read at all, so the effective configuration is the
 * files as the daemon was told to read them. Read from the host's /proc (the DaemonSet runs with hostPID);
 * where no listener is visible, nothing is assumed.
 */
import type { HostRoot } from '../../src/sdk.js';
import { findProcesses, parseCmdline } from '../../src/sdk.js';

/** sshd's getopt string (9.2): these options take an argument. */
const WITH_ARG = new Set(['C', 'E', 'b', 'c', 'f', 'g', 'h', 'k', 'o', 'p', 'u']);
/** Options that set configuration, as config lines; everything else (-D, -e, -E log, -d) is not replayed. */
const AS_CONFIG: Record<string, (v: string) => string> = {
  o: (v) => v,
  p: (v) => `Port ${v}`,
  h: (v) => `HostKey ${v}`,
  c: (v) => `HostCertificate ${v}`,
};

export interface DaemonArgs {
  configFile?: string;
  /** -o/-p/-h/-c as configuration lines, in order. */
  lines: string[];
  /** The same options as arguments, for replaying with sshd -T (never -E, -d or anything that writes). */
  replay: string[];
  /** Options hostward could not make sense of. */
  problems: string[];
}

/**
 * getopt over sshd's argv (without argv[0]): "-De", "-oKey=v", "-o" "Key=v", "-p2222". Not the SDK's Go flag
 * scan (parseGoFlags), which reads "-De" as -D with the value "e": sshd is a C program whose POSIX getopt lets
 * single-letter options cluster ("-De" is -D -e, "-Dp22" is -D -p 22), knows no long options, and takes a value
 * for the letters of its own table (WITH_ARG).
 */
export function parseSshdArgs(args: readonly string[]): DaemonArgs {
  const out: DaemonArgs = { lines: [], replay: [], problems: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--') {
      out.problems.push(`unexpected argument ${JSON.stringify(a)}`);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const opt = a[j]!;
      if (!WITH_ARG.has(opt)) continue;
      const value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
      if (value === undefined) {
        out.problems.push(`-${opt} without a value`);
        break;
      }
      if (opt === 'f') {
        out.configFile = value;
        out.replay.push('-f', value);
      } else if (AS_CONFIG[opt]) {
        out.lines.push(AS_CONFIG[opt](value));
        out.replay.push(`-${opt}`, value);
      }
      break;
    }
  }
  return out;
}

/**
 * The listener's argv from /proc/<pid>/cmdline. Since OpenSSH 8.x the listener retitles itself
 * "sshd: /usr/sbin/sshd -D -o X=y [listener] 0 of 10-100 startups" (one string); per-connection processes
 * are "sshd: user [priv]" and are not listeners.
 */
export function listenerArgv(cmdline: string | readonly string[]): string[] | undefined {
  const parts =
    typeof cmdline === 'string' ? parseCmdline(cmdline, { dropEmpty: true }) : cmdline.filter((p) => p.length > 0);
  if (parts.length === 0) return undefined;
  const first = parts[0]!;
  if (parts.length === 1 && first.startsWith('sshd: ')) {
    const m = /^sshd: (.*?) \[listener\]/.exec(first);
    return m ? m[1]!.split(/\s+/).filter(Boolean) : undefined;
  }
  return /(^|\/)sshd$/.test(first) ? parts : undefined;
}

export interface Daemon {
  pid: number;
  argv: string[];
  args: DaemonArgs;
}

/** Every sshd listener visible in the host's /proc, lowest pid first. */
export async function findListeners(host: HostRoot, maxProcs = 100_000): Promise<Daemon[]> {
  const out: Daemon[] = [];
  for (const p of await findProcesses(host, ['sshd'], maxProcs)) {
    const argv = listenerArgv(p.argv);
    if (argv) out.push({ pid: p.pid, argv, args: parseSshdArgs(argv.slice(1)) });
  }
  return out;
}
