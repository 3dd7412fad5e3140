/**
 * Which checks change when the agent runs with fewer Linux capabilities: the real CLI (`hostward scan
 * --format json`) run as uid 0 under `setpriv` with a reduced bounding set, compared with the same scan with
 * every capability. For uid 0, exec makes the permitted and effective sets equal to the bounding set, which is
 * what a container with `capabilities: {drop: [ALL], add: [...]}` gets.
 *
 * Two scenes:
 * - `machine`: this machine's "/" (network checks of the ports probe off: nothing but loopback is touched),
 *   with a root-owned listener on 127.0.0.1:4194 (the cAdvisor port) started here with every capability,
 *   like the kubelet or containerd on a node: naming its owner needs /proc/<pid>/fd.
 * - `fixture`: a host root built like a real one (this machine's sshd and its libraries, so `sshd -T` runs
 *   chrooted as in the DaemonSet; /etc/shadow mode 0000 as on RHEL-family nodes; a signed integrity baseline).
 *
 * Used by capabilities.test.ts (the documented set against all capabilities) and, with
 * HOSTWARD_MEASURE_CAPS=1, to print the table in deploy/README.md.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Report } from '../../src/contracts.js';
import { sshdRoot } from '../helpers/ssh.js';

export const CLI = path.resolve('dist/src/cli/main.js');

/** The set the DaemonSet adds after dropping ALL (deploy/helm/hostward/values.yaml agent.securityContext). */
export const DOCUMENTED_CAPS = ['DAC_READ_SEARCH', 'SYS_PTRACE', 'SYS_CHROOT'] as const;

export function hasSetpriv(): boolean {
  return process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
}

/** Run the CLI scan with exactly these capabilities (undefined: unchanged, every capability). */
export function scanWithCaps(caps: readonly string[] | undefined, args: readonly string[]): Report {
  const scan = [CLI, 'scan', '--format', 'json', ...args];
  const bounding = ['-all', ...(caps ?? []).map((c) => `+${c.toLowerCase()}`)].join(',');
  const [cmd, argv] =
    caps === undefined
      ? [process.execPath, scan]
      : ['setpriv', ['--inh-caps=-all', `--bounding-set=${bounding}`, '--', process.execPath, ...scan]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  // Exit 1 only says that something fails at or above --fail-on; the report is complete.
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`scan under caps ${String(caps)} exited ${String(r.status)}: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(r.stdout) as Report;
}

export interface CheckChange {
  check: string;
  from: string;
  to: string;
  /** The message with fewer capabilities (why it changed). */
  message: string;
  /** Same status, but the evidence is weaker (another source); `to` equals `from`. */
  degraded: boolean;
}

/** Checks whose status (or, for degraded, message) differs between two scans of the same root. */
export function compareReports(all: Report, fewer: Report): CheckChange[] {
  const before = new Map(all.findings.map((f) => [f.check, f]));
  const out: CheckChange[] = [];
  for (const f of fewer.findings) {
    const b = before.get(f.check);
    if (!b) {
      out.push({ check: f.check, from: '(absent)', to: f.status, message: f.message, degraded: false });
      continue;
    }
    if (b.status !== f.status)
      out.push({ check: f.check, from: b.status, to: f.status, message: f.message, degraded: false });
    else if (b.message !== f.message)
      out.push({ check: f.check, from: b.status, to: f.status, message: f.message, degraded: true });
  }
  for (const b of all.findings)
    if (!fewer.findings.some((f) => f.check === b.check))
      out.push({ check: b.check, from: b.status, to: '(absent)', message: '', degraded: false });
  return out.sort((a, b) => a.check.localeCompare(b.check));
}

export interface Scene {
  name: string;
  /** Arguments for `hostward scan` (root, config, probes). */
  args: string[];
  stop(): void;
}

/** Config for a scan of "/": the ports probe sends no packet (reachability and metadata checks off). */
// Listeners above 1023 are the suite's own (other tests' servers): one on a wildcard address held by a process that
// is not root's loses its owner without DAC_READ_SEARCH and would change ports.unexpected_listeners' message.
const SAFE_PORTS =
  "  ports: { reachability: false, metadataCheck: false, extraAllowList: ['1024-65535/tcp', '1024-65535/udp'] }\n";

export const LISTENER_PORT = 4194;

/**
 * Start a root listener on 127.0.0.1:4194 with every capability. Two test files (this scene and the image's) need
 * that port, and vitest runs files in parallel: each waits, bounded, until the other has let the port go, rather
 * than measuring the other's listener. Resolves undefined when the port stays taken.
 */
export async function startListener(waitMs = 20 * 60_000): Promise<ChildProcess | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const child = await tryListen();
    if (child || Date.now() > deadline) return child;
    await new Promise((r) => setTimeout(r, 500)); // poll for the port to be free
  }
}

async function tryListen(): Promise<ChildProcess | undefined> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('net').createServer().listen(${LISTENER_PORT}, '127.0.0.1', () => console.log('up')).on('error', () => process.exit(3))`,
    ],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const up = await new Promise<boolean>((resolve) => {
    child.stdout.once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
  });
  return up ? child : undefined;
}

export async function machineScene(dir: string, probes: readonly string[]): Promise<Scene & { listening: boolean }> {
  const config = path.join(dir, 'machine.yaml');
  writeFileSync(config, `probes:\n${SAFE_PORTS}`);
  const listener = await startListener();
  return {
    name: 'machine',
    listening: listener !== undefined,
    args: ['--root', '/', '--config', config, ...probes.flatMap((p) => ['--probe', p])],
    stop: () => {
      listener?.kill('SIGKILL');
    },
  };
}

/** A host root with this machine's sshd (run chrooted by the ssh probe), a mode-0000 shadow and a signed baseline. */
export function fixtureScene(dir: string, probes: readonly string[]): Scene {
  const root = path.join(dir, 'root');
  sshdRoot(root);
  writeFileSync(
    path.join(root, 'etc/ssh/sshd_config'),
    'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n',
    { mode: 0o600 },
  );
  // RHEL, Fedora and Amazon Linux ship /etc/shadow with mode 0000: only DAC_READ_SEARCH (or DAC_OVERRIDE) reads it.
  writeFileSync(path.join(root, 'etc/shadow'), 'root:!:19000:0:99999:7:::\n');
  chmodSync(path.join(root, 'etc/shadow'), 0);
  const key = path.join(dir, 'integrity.key');
  writeFileSync(key, randomBytes(32), { mode: 0o600 });
  const db = path.join(dir, 'integrity.db');
  execFileSync(process.execPath, [CLI, 'integrity', 'init', '--root', root, '--db', db, '--key-file', key], {
    stdio: 'ignore',
  });
  const config = path.join(dir, 'fixture.yaml');
  // rehashSlices 1: every file is re-read at every check, so an unreadable one shows at once. trustedRoots: the
  // root stands for the DaemonSet's /host, the node's own root, whose sshd runs chrooted as the agent
  // (src/host/exec.ts); any other root's binaries would run sandboxed, which these capabilities cannot build.
  writeFileSync(
    config,
    `trustedRoots: [${root}]\nprobes:\n${SAFE_PORTS}  ssh: { live: false }\n  integrity: { db: ${db}, keyFile: ${key}, rehashSlices: 1 }\n`,
  );
  return {
    name: 'fixture',
    args: ['--root', root, '--config', config, ...probes.flatMap((p) => ['--probe', p])],
    stop: () => {},
  };
}

export function sshdAvailable(): boolean {
  return existsSync('/usr/sbin/sshd') && spawnSync('ldd', ['/usr/sbin/sshd']).status === 0;
}
