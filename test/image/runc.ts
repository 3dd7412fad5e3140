/**
 * The image built by scripts/build-image, run with runc: each container gets its own writable copy of the
 * image (buildah from + mount, as a snapshotter gives one), a bundle with the config.json of pod-to-oci.ts,
 * and a state directory of its own so that leftovers of an earlier run can be found and removed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageConfig } from './pod-to-oci.js';

/** runc's state for these tests only: `runc list` here shows only containers the image tests started. */
export const RUNC_ROOT = '/run/hostward-image-tests';
export const PREFIX = 'hwimg-';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** Why the image tests cannot run here, or undefined when they can. */
export function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'the image tests need root (buildah storage, runc, debootstrap)';
  for (const tool of ['buildah', 'podman', 'runc']) {
    if (!has(tool, ['--version'])) return `${tool} is not installed (.ci/install-test-deps installs it)`;
  }
  // debootstrap has no --version; it is a script in /usr/sbin.
  if (!existsSync('/usr/sbin/debootstrap')) return 'debootstrap is not installed (.ci/install-test-deps installs it)';
  return undefined;
}

export interface Built {
  image: string;
  log: string;
}

/** scripts/build-image; throws with its output when the build fails. */
export function buildImage(): Built {
  const r = spawnSync('scripts/build-image', [], {
    encoding: 'utf8',
    timeout: 40 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const log = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0)
    throw new Error(`scripts/build-image failed (${String(r.status ?? r.signal)}):\n${log.slice(-4000)}`);
  const image = /^image: (\S+)$/m.exec(r.stdout)?.[1];
  if (!image) throw new Error(`scripts/build-image printed no image reference:\n${log}`);
  return { image, log };
}

/** The image's config (entrypoint, cmd, env, working directory, user). */
export function imageConfig(image: string): ImageConfig {
  const out = execFileSync('podman', ['image', 'inspect', '--format', '{{json .Config}}', image], { encoding: 'utf8' });
  return JSON.parse(out) as ImageConfig;
}

export interface Rootfs {
  /** The buildah working container's name. */
  name: string;
  path: string;
  /** The container layer: what a container wrote into its root file system. */
  upperDir: string;
}

/** A writable copy of the image's file system (an overlay over the image's layers). */
export function imageRootfs(image: string, name: string): Rootfs {
  const full = PREFIX + name;
  spawnSync('buildah', ['rm', full], { stdio: 'ignore' });
  execFileSync('buildah', ['from', '--pull-never', '--name', full, image], { stdio: 'ignore' });
  const mount = execFileSync('buildah', ['mount', full], { encoding: 'utf8' }).trim();
  // overlay's upper directory is beside `merged`: the container's own writes, and nothing else, land there.
  return { name: full, path: mount, upperDir: path.join(path.dirname(mount), 'diff') };
}

/**
 * The root file system's mount, made again if it is gone (containers/storage may unmount a working container's
 * layers when another buildah process shuts its store down); call it right before runc uses the path.
 */
export function mountRootfs(r: Rootfs): string {
  return execFileSync('buildah', ['mount', r.name], { encoding: 'utf8' }).trim();
}

export function removeRootfs(r: Rootfs): void {
  spawnSync('buildah', ['umount', r.name], { stdio: 'ignore' });
  spawnSync('buildah', ['rm', r.name], { stdio: 'ignore' });
}

/** Write the bundle (config.json) of a container. */
export function writeBundle(dir: string, config: unknown): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

const runc = (...args: string[]) => ['--root', RUNC_ROOT, ...args];

/** Start a container in the background; its stdout and stderr go to `log`. */
export function startContainer(id: string, bundle: string, log: string): void {
  const fd = openSync(log, 'a');
  try {
    const r = spawnSync('runc', runc('run', '--detach', '--bundle', bundle, PREFIX + id), {
      stdio: ['ignore', fd, fd],
      timeout: 60_000,
    });
    if (r.status !== 0)
      throw new Error(
        `runc run ${id} failed (${String(r.status ?? r.signal)}): ${readFileSync(log, 'utf8').slice(-2000)}`,
      );
  } finally {
    closeSync(fd);
  }
}

export interface Exited {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a container to its end (a one-off command) and remove it. Detached, runc hands the container the files
 * themselves as stdout and stderr (as a runtime's log files): a foreground runc would put a pipe in between,
 * and the CLI, which exits 50 ms after its last write, can leave a report cut short in a pipe nobody drains
 * fast enough. The exit status is not known this way; the output says whether the command did its work.
 */
export async function runToEnd(id: string, bundle: string, timeoutMs: number): Promise<Exited> {
  const out = path.join(bundle, 'stdout');
  const err = path.join(bundle, 'stderr');
  const fds = [openSync(out, 'w'), openSync(err, 'w')] as const;
  try {
    const r = spawnSync('runc', runc('run', '--detach', '--bundle', bundle, PREFIX + id), {
      stdio: ['ignore', fds[0], fds[1]],
      timeout: 60_000,
    });
    if (r.status !== 0)
      throw new Error(
        `runc run ${id} failed (${String(r.status ?? r.signal)}): ${readFileSync(err, 'utf8').slice(-2000)}`,
      );
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const end = Date.now() + timeoutMs;
  while (containerState(id)?.status === 'running' && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  const finished = containerState(id)?.status !== 'running';
  killContainer(id);
  deleteContainer(id);
  if (!finished)
    throw new Error(`container ${id} still ran after ${timeoutMs} ms: ${readFileSync(err, 'utf8').slice(-2000)}`);
  return { status: null, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

/** `runc exec`: a process in a running container, with the container's user, capabilities and seccomp profile. */
export function execIn(id: string, args: string[], timeoutMs = 300_000): Exited {
  const r = spawnSync('runc', runc('exec', PREFIX + id, ...args), {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The container's state (running, stopped), or undefined when runc does not know it. */
export function containerState(id: string): { status: string; pid: number } | undefined {
  const r = spawnSync('runc', runc('state', PREFIX + id), { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string; pid: number }) : undefined;
}

export function killContainer(id: string): void {
  spawnSync('runc', runc('kill', PREFIX + id, 'KILL'), { stdio: 'ignore' });
}

export function deleteContainer(id: string): void {
  spawnSync('runc', runc('delete', '--force', PREFIX + id), { stdio: 'ignore' });
}

/**
 * Kill and delete every container of one test file (ids starting with `scope`), this run's or an earlier one's
 * that died; the other image test file may be running its own at the same time.
 */
export function removeAllContainers(scope: string): void {
  const r = spawnSync('runc', runc('list', '--quiet'), { encoding: 'utf8' });
  for (const full of r.stdout?.split('\n').filter((x) => x.startsWith(PREFIX + scope)) ?? []) {
    spawnSync('runc', runc('kill', full, 'KILL'), { stdio: 'ignore' });
    spawnSync('runc', runc('delete', '--force', full), { stdio: 'ignore' });
  }
}

/** Working containers of buildah that one test file made (leftovers included). */
export function removeAllRootfs(scope: string): void {
  const r = spawnSync('buildah', ['containers', '--quiet', '--format', '{{.ContainerName}}'], { encoding: 'utf8' });
  for (const name of r.stdout?.split('\n').filter((x) => x.startsWith(PREFIX + scope)) ?? [])
    removeRootfs({ name, path: '', upperDir: '' });
}
