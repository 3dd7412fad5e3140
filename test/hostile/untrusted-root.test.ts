/**
 * An intruder's host root: `hostward scan --root R` runs R's usr/sbin/sshd (-V, -T). Here that sshd is a
 * busybox script that tries to escape (mount proc and read a root-only file outside the root through
 * /proc/<ppid>/root, write outside the root, kill a process of the host, chroot, user namespaces, a setuid
 * and a file-capability binary, mknod, the network, filling the disk), fork-bombs, then holds forever or
 * prints forever. None of it may succeed, the process must hold no privilege while it runs (read from the
 * host's /proc), every process it started must be gone afterwards, and the scan must still finish with an
 * honest result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { hostExec } from '../../src/host/exec.js';
import { runScan } from '../../src/scan/runner.js';
import { defaultConfig } from '../../src/config/config.js';
import { PROBES } from '../../probes/registry.js';
import { attackScript, mountsUnder, pidsWithArgv, plantedRoot, processStatus, sleeperArgv } from './untrusted-root.js';
import { toolsAvailable } from './untrusted-root.js';
import type { Attack } from './untrusted-root.js';
import { waitFor } from '../helpers/wait.js';

const canRun = toolsAvailable();
const DIST_EXEC = path.resolve('dist/src/host/exec.js');
let dir: string;
let secret: string;
const victims: ChildProcess[] = [];
let listener: Server;
let port = 0;
let connections = 0;
const marks: number[] = [];

function attack(end: Attack['end']): Attack {
  // A root-owned process of the host per test: the script tries to kill it.
  const victim = spawn('sleep', ['3600'], { stdio: 'ignore' });
  victims.push(victim);
  const a: Attack = {
    secret: path.join(dir, 'secret'),
    outside: path.join(dir, `outside-${end}`),
    victimPid: victim.pid!,
    port,
    forkMark: 7_000_000 + randomInt(1_000_000),
    holdMark: 8_000_000 + randomInt(1_000_000),
    end,
  };
  marks.push(a.forkMark, a.holdMark);
  return a;
}

function buildRoot(a: Attack): string {
  const root = mkdtempSync(path.join(dir, 'root-'));
  plantedRoot(root, attackScript(a));
  return realpathSync(root);
}

const alive = (mark: number) => pidsWithArgv(sleeperArgv(mark));

const allGone = (a: Attack, what: string) =>
  waitFor(what, () => (alive(a.forkMark).length + alive(a.holdMark).length === 0 ? true : undefined), 10_000);

function killMarked(): void {
  for (const m of marks)
    for (const pid of alive(m))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
}

/** Nothing the script tried may have left a trace outside the root. */
function expectNoBreach(a: Attack, stderr: string): void {
  expect(stderr).toContain('HOSTWARD-ATTACK start');
  expect(stderr).toContain('HOSTWARD-ATTACK end');
  expect(stderr.split('\n').filter((l) => l.includes('BREACH'))).toEqual([]);
  expect(stderr).not.toContain(secret);
  expect(readFileSync(path.join(dir, 'secret'), 'utf8')).toBe(secret);
  expect(existsSync(a.outside)).toBe(false);
  const victim = victims.find((v) => v.pid === a.victimPid)!;
  expect({ exit: victim.exitCode, signal: victim.signalCode }).toEqual({ exit: null, signal: null });
  expect(connections).toBe(0);
}

beforeAll(async () => {
  if (!canRun) return;
  dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'hostward-intruder-')));
  secret = `secret-${randomBytes(8).toString('hex')}`;
  writeFileSync(path.join(dir, 'secret'), secret, { mode: 0o600 });
  listener = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as { port: number }).port;
});

afterAll(() => {
  if (!canRun) return;
  killMarked();
  for (const v of victims) v.kill('SIGKILL');
  listener?.close();
  // Today's code let the script mount proc inside the root, in the host's mount namespace.
  for (const mp of mountsUnder(dir)) execFileSync('umount', ['-l', mp]);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canRun)('a planted sshd in an untrusted --root', { timeout: 300_000 }, () => {
  it('holds no privilege while it runs, reaches nothing outside the root, and leaves no process behind', async () => {
    const a = attack('hold');
    const root = buildRoot(a);
    const ac = new AbortController();
    const run = hostExec(root)('/usr/sbin/sshd', ['-T'], { timeoutMs: 60_000, signal: ac.signal });
    let holder = 0;
    try {
      holder = await waitFor('the planted sshd to hold', () => alive(a.holdMark)[0]);
      const st = processStatus(holder);
      // uid 0 without a single capability (sshd reads its 0600 host keys as their owner); gid unprivileged.
      for (const g of st.get('Gid')!.split(/\s+/).map(Number)) expect(g).not.toBe(0);
      expect(st.get('Groups')).toBe('');
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
        expect({ set, value: st.get(set) }).toEqual({ set, value: '0000000000000000' });
      }
      expect(st.get('NoNewPrivs')).toBe('1');
      for (const ns of ['pid', 'mnt', 'net', 'ipc', 'uts']) {
        const same = readlinkSync(`/proc/${holder}/ns/${ns}`) === readlinkSync(`/proc/self/ns/${ns}`);
        expect({ ns, same }).toEqual({ ns, same: false });
      }
      expect(readlinkSync(`/proc/${holder}/root`)).toBe(root);
      expect(readlinkSync(`/proc/${holder}/cwd`)).toBe(root);
      // Descriptors hostward inherited without close-on-exec reach the child as /dev/null only.
      const fds = readdirSync(`/proc/${holder}/fd`).filter((fd) => Number(fd) > 2);
      expect(fds.map((fd) => readlinkSync(`/proc/${holder}/fd/${fd}`)).filter((t) => t !== '/dev/null')).toEqual([]);
      // Its own session: no controlling terminal of the operator's to push keystrokes into (TIOCSTI).
      const stat = (pid: number | 'self') => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      expect(stat(holder)[3]).not.toBe(stat('self')[3]);
      expect(stat(holder)[4]).toBe('0');
      expect(readFileSync(`/proc/${holder}/limits`, 'utf8')).toMatch(/^Max file size\s+0\s+0\s/m);
    } finally {
      ac.abort();
      if (holder)
        try {
          process.kill(holder, 0);
        } catch {
          /* gone */
        }
      // Today's code honours no abort: end the script and its children so that the run returns.
      killMarked();
    }
    const r = await run;
    expect(r.ok).toBe(false);
    expectNoBreach(a, r.stderr);
    await allGone(a, 'every process of the sandbox to end');
  });

  it('a binary that never ends is stopped at the timeout, with everything it started', async () => {
    const a = { ...attack('hold'), quick: true };
    const root = buildRoot(a);
    // Long enough for the script to reach its hold on a loaded machine (it proves the run got that far).
    const r = await hostExec(root)('/usr/sbin/sshd', ['-V'], { timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.stderr).toContain('HOSTWARD-ATTACK end');
    // Not one of the bomb's sleeps outlives the run: each would otherwise hold the root for an hour.
    await allGone(a, 'the timed-out sandbox to end');
  });

  it.runIf(existsSync(DIST_EXEC))('dies with hostward: a killed scanner leaves no process of the sandbox', async () => {
    const a = { ...attack('hold'), quick: true };
    const root = buildRoot(a);
    const code = [
      `import { hostExec } from ${JSON.stringify(DIST_EXEC)};`,
      `await hostExec(${JSON.stringify(root)})('/usr/sbin/sshd', ['-T'], { timeoutMs: 600000 });`,
    ].join('\n');
    const scanner = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    try {
      await waitFor('the planted sshd to hold', () => alive(a.holdMark)[0]);
      scanner.kill('SIGKILL');
      await allGone(a, 'the sandbox to die with its scanner');
    } finally {
      scanner.kill('SIGKILL');
    }
  });

  it('a probe that runs out of time stops its sandboxed sshd at once, not at the sshd timeout', async () => {
    const a = { ...attack('hold'), quick: true };
    const root = buildRoot(a);
    const config = defaultConfig();
    config.root = root;
    config.scan.probes = ['ssh'];
    config.scan.probeTimeoutSeconds = 1;
    config.probes = { ssh: { live: false, sshdTimeoutMs: 60_000 } };
    const report = await runScan({ probes: PROBES, config, log: pino({ level: 'silent' }) });
    expect(report.probes[0]).toMatchObject({ probe: 'ssh', status: 'error' });
    // Well before the 60 s sshd timeout: the probe's abort reached the sandbox.
    await allGone(a, 'the aborted sandbox to end');
  });

  it('a binary that prints forever is stopped at the output limit, with everything it started', async () => {
    const a = attack('yes');
    const root = buildRoot(a);
    const r = await hostExec(root)('/usr/sbin/sshd', ['-T'], { timeoutMs: 30_000, maxOutputBytes: 64 * 1024 });
    expect(r).toMatchObject({ ok: false, reason: 'too_much_output' });
    expectNoBreach(a, r.stderr);
    await waitFor('the sandbox to end', () => (alive(a.forkMark).length === 0 ? true : undefined), 10_000);
  });

  it('the scan finishes with an honest result: sshd -T unused and said why, verdicts from the files', async () => {
    const a = attack('yes');
    const root = buildRoot(a);
    const config = defaultConfig();
    config.root = root;
    config.scan.probes = ['ssh'];
    // Time enough that the output cap, not a clock, ends the run even on a loaded machine.
    config.scan.probeTimeoutSeconds = 120;
    config.probes = { ssh: { live: false, sshdTimeoutMs: 60_000 } };
    const report = await runScan({ probes: PROBES, config, log: pino({ level: 'silent' }) });
    expect(report.probes[0]).toMatchObject({ probe: 'ssh', status: 'ok' });
    const by = (id: string) => report.findings.find((f) => f.check === id)!;
    expect(by('ssh.parser_agreement')).toMatchObject({ status: 'skip' });
    expect(by('ssh.parser_agreement').message).toMatch(/sshd -T not used: .*more than/);
    expect(by('ssh.config_valid').message).not.toContain('sshd -T accepts');
    // The file turns passwords on; a misbehaving binary must not turn that into a pass.
    expect(by('ssh.password_auth').status).toBe('fail');
    expect(report.findings.filter((f) => f.message.includes('sshd -T accepts'))).toEqual([]);
    expect(existsSync(a.outside)).toBe(false);
    expect(victims.find((v) => v.pid === a.victimPid)!.exitCode).toBeNull();
    expect(connections).toBe(0);
    await waitFor('the sandbox to end', () => (alive(a.forkMark).length === 0 ? true : undefined), 10_000);
  });
});
