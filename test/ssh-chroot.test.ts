/**
 * --root is not "/", so the probe runs the root's own sshd -T inside the root: chrooted when the root is the
 * host's own (the DaemonSet's /host), sandboxed otherwise, as these temporary roots are (src/host/exec.ts;
 * test/ssh-sandbox.test.ts shows both give the same findings). The root here is a real minimal host: this
 * machine's sshd binary and the libraries ldd names, passwd/group, /dev/null, /run/sshd, a host key from
 * ssh-keygen, and the config under test.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { runScan } from '../src/scan/runner.js';
import { defaultConfig } from '../src/config/config.js';
import { PROBES } from '../probes/registry.js';
import type { Report } from '../src/contracts.js';
import { sshdRoot } from './helpers/ssh.js';
import { waitFor } from './helpers/wait.js';

const canRun = process.getuid?.() === 0 && existsSync('/usr/sbin/sshd');
let dir: string;

function buildRoot(config: string): string {
  const root = mkdtempSync(path.join(dir, 'root-'));
  sshdRoot(root);
  writeFileSync(path.join(root, 'etc/ssh/sshd_config'), config, { mode: 0o600 });
  return root;
}

async function scan(root: string): Promise<Report> {
  const config = defaultConfig();
  config.root = root;
  // sshd -T runs sandboxed here (a temporary root is not this host's): time enough on a loaded machine.
  config.scan.probeTimeoutSeconds = 300;
  config.probes = { ssh: { live: false, sshdTimeoutMs: 60_000 } };
  return runScan({ probes: PROBES, config, log: pino({ level: 'silent' }) });
}

const by = (r: Report, id: string) => r.findings.find((f) => f.check === id)!;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-chroot-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!canRun)(
  'sshd -T of the host, sandboxed in --root (a temporary root is not this host’s)',
  { timeout: 300_000 },
  () => {
    it('uses the host binary, sees a Match Group block for a host-only user, and agrees with the parser', async () => {
      const root = buildRoot(
        'PasswordAuthentication no\nKbdInteractiveAuthentication no\nMatch Group ops\n\tPasswordAuthentication yes\n',
      );
      const r = await scan(root);
      expect(r.probes[0]).toMatchObject({ probe: 'ssh', status: 'ok' });
      // opsuser exists only in the root's /etc/passwd: sshd -T found it through the root's NSS files.
      const pw = by(r, 'ssh.password_auth');
      expect(pw.status).toBe('fail');
      expect(pw.message).toContain('user opsuser');
      expect(pw.message).not.toContain('every user');
      expect(pw.evidence).toContainEqual({ file: '/etc/ssh/sshd_config', line: 4, text: 'PasswordAuthentication yes' });
      expect(by(r, 'ssh.parser_agreement').status).toBe('pass');
      expect(by(r, 'ssh.config_valid').message).toBe('sshd -T accepts the configuration');
    });

    it('replays the running daemon’s command line (-o beats the files) into sshd -T and the parser alike', async () => {
      const root = buildRoot('PasswordAuthentication no\nKbdInteractiveAuthentication no\n');
      // The listener as /proc shows it (hostPID): retitled, with its original arguments inside.
      mkdirSync(path.join(root, 'proc/4242'), { recursive: true });
      writeFileSync(path.join(root, 'proc/4242/comm'), 'sshd\n');
      writeFileSync(
        path.join(root, 'proc/4242/cmdline'),
        'sshd: /usr/sbin/sshd -D -oPasswordAuthentication=yes [listener] 0 of 10-100 startups\0',
      );
      const r = await scan(root);
      const pw = by(r, 'ssh.password_auth');
      expect(pw.status).toBe('fail');
      expect(pw.evidence).toContainEqual({ file: '/proc/4242/cmdline', line: 1, text: 'PasswordAuthentication=yes' });
      expect(by(r, 'ssh.parser_agreement').status).toBe('pass'); // sshd -T got the same -o
      expect(by(r, 'ssh.daemon_command_line').status).toBe('fail');
    });

    it('reports a configuration the host sshd rejects, with sshd’s reason, and decides nothing else', async () => {
      const root = buildRoot('PasswordAuthentication no\nPaswordAuthentication yes\n');
      const r = await scan(root);
      const valid = by(r, 'ssh.config_valid');
      expect(valid.status).toBe('fail');
      expect(valid.message).toMatch(/Bad configuration option|paswordauthentication/i);
      expect(by(r, 'ssh.password_auth').status).toBe('unknown');
    });
  },
);

describe.skipIf(!canRun)('end to end: the chrooted host sshd running, probed live', { timeout: 300_000 }, () => {
  it('corroborates the files with what the daemon offers, per user', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const root = buildRoot(
      `Port ${port}\nListenAddress 127.0.0.1\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nMatch User opsuser\n\tPasswordAuthentication yes\n`,
    );
    const { spawn } = await import('node:child_process');
    const daemon = spawn('chroot', [root, '/usr/sbin/sshd', '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      await waitFor(
        () => `sshd to start: ${log}`,
        () => log.includes('Server listening'),
      );
      const config = defaultConfig();
      config.root = root;
      config.scan.probeTimeoutSeconds = 300;
      config.probes = { ssh: { live: true, sshdTimeoutMs: 60_000 } };
      const r = await runScan({ probes: PROBES, config, log: pino({ level: 'silent' }) });
      const offered = by(r, 'ssh.live_password_offered');
      expect(offered.status).toBe('fail');
      expect(offered.message).toContain('opsuser');
      expect(offered.message).not.toMatch(/\broot\b.*password/);
      expect(by(r, 'ssh.live_matches_config').status).toBe('pass');
      expect(by(r, 'ssh.version_banner').status).toBe('fail');
      expect(by(r, 'ssh.password_auth').message).toContain('user opsuser');
    } finally {
      daemon.kill('SIGTERM');
    }
  });
});
