/**
 * Real containers: Debian's runc starts busybox containers placed like a kubelet would (cgroupfs driver,
 * /kubepods/besteffort/pod<uid>/<64-hex id>), one without seccomp, one with a seccomp filter, one with every
 * capability; the live host is scanned through HostRoot('/') and each container must be reported as it is.
 * Needs root and runc; skipped with the reason otherwise.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { HostRoot } from '../../src/sdk.js';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { seccompProbe } from '../../probes/seccomp/index.js';
import type { SeccompFacts } from '../../probes/seccomp/index.js';
import { CAP_NAMES } from '../../probes/seccomp/caps.js';
import { hostExec } from '../../src/host/exec.js';
import { parseProbeOptions } from '../../src/scan/runner.js';
import { waitFor } from '../helpers/wait.js';

const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const isRoot = process.getuid?.() === 0;
const why = !isRoot
  ? 'not root'
  : !RUNC
    ? 'runc is not installed'
    : !BUSYBOX
      ? 'busybox-static is not installed'
      : undefined;
if (why) console.warn(`real runc containers skipped: ${why}`);

interface Ctr {
  name: string;
  id: string;
  podUid: string;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'hostward-runc-'));
const state = path.join(work, 'state');
const started: Ctr[] = [];

function runc(args: string[]): string {
  return execFileSync(RUNC!, ['--root', state, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

/** The capabilities this process may hand on (its bounding set): what a privileged container gets here. */
function boundingCaps(): string[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  const mask = BigInt('0x' + hex);
  return CAP_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

function initPid(id: string): number {
  return (JSON.parse(runc(['state', id])) as { pid: number }).pid;
}

/**
 * `runc run -d` returns once the container's init has been told to go, before it has executed the workload: for
 * a moment it is still runc's own "runc:[2:INIT]", and a no_new_privs container's seccomp filter is installed
 * only just before that execve. Wait until it is busybox asleep: comm is set by the execve and state S is the
 * sleep itself, so the confinement the scan reads is the workload's.
 */
async function untilAsleep(c: Ctr): Promise<void> {
  const pid = initPid(c.id);
  let last = '';
  await waitFor(
    () => `${c.name}'s init (pid ${pid}) to run busybox sleep; /proc/${pid}/stat: ${last}`,
    () => {
      // A container that exits instead throws here (ENOENT), with the reason.
      last = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0, 40);
      return last.startsWith(`${pid} (busybox) S `);
    },
  );
}

async function startContainer(name: string, edit: (spec: Record<string, any>) => void): Promise<Ctr> {
  const id = randomBytes(32).toString('hex');
  const podUid = randomUUID();
  const bundle = path.join(work, name);
  mkdirSync(path.join(bundle, 'rootfs/bin'), { recursive: true });
  copyFileSync(BUSYBOX!, path.join(bundle, 'rootfs/bin/busybox'));
  chmodSync(path.join(bundle, 'rootfs/bin/busybox'), 0o755);
  execFileSync(RUNC!, ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as Record<string, any>;
  // Runs until afterAll kills it, however slow the test is.
  spec.process.args = ['/bin/busybox', 'sleep', 'infinity'];
  spec.process.terminal = false;
  spec.linux.cgroupsPath = `/kubepods/besteffort/pod${podUid}/${id}`;
  edit(spec);
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  execFileSync(RUNC!, ['--root', state, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore', timeout: 30_000 });
  const c = { name, id, podUid };
  started.push(c);
  await untilAsleep(c);
  return c;
}

const log = pino({ level: 'silent' });

function safeDirs(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

describe.skipIf(why !== undefined)('real runc containers on this host', () => {
  let plain: Ctr, filtered: Ctr, full: Ctr;
  let facts: SeccompFacts;

  beforeAll(async () => {
    mkdirSync(state, { recursive: true });
    plain = await startContainer('plain', (s) => {
      s.process.noNewPrivileges = false;
    });
    filtered = await startContainer('filtered', (s) => {
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }],
      };
    });
    const all = boundingCaps().map((n) => `CAP_${n}`);
    full = await startContainer('full', (s) => {
      s.process.capabilities = { bounding: all, effective: all, permitted: all };
      s.process.noNewPrivileges = false;
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
    });
    const host = new HostRoot('/');
    facts = (await seccompProbe.gather({
      host,
      exec: hostExec('/'),
      log,
      options: parseProbeOptions(seccompProbe, {}, host),
      signal: new AbortController().signal,
      now: () => new Date(),
      mode: 'scan',
    })) as SeccompFacts;
  });

  afterAll(() => {
    for (const c of started) {
      try {
        runc(['kill', c.id, 'KILL']);
      } catch {
        /* already gone */
      }
      try {
        runc(['delete', '-f', c.id]);
      } catch {
        /* already gone */
      }
    }
    rmSync(work, { recursive: true, force: true });
    // runc removes the containers' cgroups; the pod directories above them were made for the test.
    for (const c of started) {
      for (const base of ['/sys/fs/cgroup', ...safeDirs('/sys/fs/cgroup').map((d) => `/sys/fs/cgroup/${d}`)]) {
        try {
          rmdirSync(`${base}/kubepods/besteffort/pod${c.podUid}`);
        } catch {
          /* not there, or not empty */
        }
      }
    }
  });

  const find = (c: Ctr) => facts.containers.find((x) => x.containerId === c.id);

  it('finds each container with its id, pod uid and QoS from the cgroup path, init = lowest pid', () => {
    for (const c of [plain, filtered, full]) {
      const f = find(c);
      expect(f, `${c.name} ${c.id}`).toBeDefined();
      expect(f!.podUid).toBe(c.podUid);
      expect(f!.qos).toBe('besteffort');
      expect(f!.comm).toBe('busybox');
      expect(f!.pid).toBe(initPid(c.id));
    }
  });

  it('reports Seccomp 0 for the container without a filter and 2 with one', () => {
    expect(find(plain)!.status?.seccomp).toBe(0);
    expect(find(filtered)!.status?.seccomp).toBe(2);
    expect(find(filtered)!.status?.seccompFilters ?? 1).toBeGreaterThanOrEqual(1);
  });

  it("decodes runc's default capabilities and no_new_privs", () => {
    expect(find(plain)!.capabilities).toEqual(['KILL', 'NET_BIND_SERVICE', 'AUDIT_WRITE']);
    expect(find(plain)!.dangerous).toEqual([]);
    expect(find(plain)!.status?.noNewPrivs).toBe(0);
    expect(find(filtered)!.status?.noNewPrivs).toBe(1);
  });

  it('names every capability and the dangerous ones of the full-capability container, and calls it privileged', () => {
    const f = find(full)!;
    expect(f.fullCapabilities).toBe(true);
    expect(f.capabilities).toEqual(boundingCaps());
    expect(f.dangerous).toEqual(
      expect.arrayContaining(['SYS_ADMIN', 'NET_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'BPF', 'DAC_READ_SEARCH']),
    );
    expect(f.privileged).toBe(true);
    expect(find(plain)!.privileged).toBe(false);
  });

  it('the scan of the live host fails the container checks and names the containers', async () => {
    const config = defaultConfig();
    config.root = '/';
    config.probes = { seccomp: {} };
    const report = await runScan({ probes: [seccompProbe], config, log });
    const by = new Map(report.findings.map((f) => [f.check, f]));
    expect(by.get('seccomp.unconfined_containers')!.status).toBe('fail');
    expect(by.get('seccomp.unconfined_containers')!.message).toContain(plain.podUid);
    expect(by.get('seccomp.unconfined_containers')!.message).not.toContain(filtered.podUid);
    expect(by.get('seccomp.privileged_containers')!.status).toBe('fail');
    expect(by.get('seccomp.privileged_containers')!.message).toContain(full.podUid);
    expect(by.get('seccomp.privileged_containers')!.message).not.toContain(plain.podUid);
    expect(by.get('seccomp.dangerous_capabilities')!.message).toContain(full.podUid);
    expect(by.get('seccomp.no_new_privs')!.message).toContain(plain.podUid);
    expect(by.get('seccomp.no_new_privs')!.message).not.toContain(filtered.podUid);
  });

  it("excludes a pod by uid and the agent's own container by id", async () => {
    const config = defaultConfig();
    config.root = '/';
    config.probes = { seccomp: { exclude: { podUids: [plain.podUid] }, selfContainerId: full.id } };
    const report = await runScan({ probes: [seccompProbe], config, log });
    const by = new Map(report.findings.map((f) => [f.check, f]));
    expect(by.get('seccomp.unconfined_containers')!.message).not.toContain(plain.podUid);
    expect(by.get('seccomp.privileged_containers')!.message).not.toContain(full.podUid);
  });
});
