/**
 * sshd -T of an untrusted root runs sandboxed (uid 0 without a capability, src/host/sandbox.ts); the same
 * root listed in trustedRoots runs it chrooted with every capability, as the DaemonSet does for the node's
 * own root. Measured here on real roots (this machine's sshd and libraries, 0600 sshd_config and host key as
 * on RHEL): which ssh checks change between the two. Also why the uid stays 0 (any other uid cannot load the
 * root-owned host key), and what a scan says when the sandbox cannot be built (the DaemonSet's capabilities).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { runScan } from '../src/scan/runner.js';
import { defaultConfig } from '../src/config/config.js';
import { PROBES } from '../probes/registry.js';
import type { Report } from '../src/contracts.js';
import { sshdRoot } from './helpers/ssh.js';
import { CLI, DOCUMENTED_CAPS, compareReports, scanWithCaps } from './deploy/capabilities.js';

const canRun = process.getuid?.() === 0 && existsSync('/usr/sbin/sshd') && existsSync('/usr/sbin/capsh');
let dir: string;

const lines = (...l: string[]) => l.map((x) => `${x}\n`).join('');

/** Configurations with the features sshd -T decides: Include, Match User/Group/Address, rejected keywords. */
const CONFIGS: Record<string, { main: string; dropin?: string }> = {
  debian: {
    main: lines(
      'Include /etc/ssh/sshd_config.d/*.conf',
      'KbdInteractiveAuthentication no',
      'UsePAM yes',
      'X11Forwarding yes',
      'PrintMotd no',
      'AcceptEnv LANG LC_*',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
    ),
  },
  hardened: {
    main: lines(
      'Include /etc/ssh/sshd_config.d/*.conf',
      'PermitRootLogin no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxAuthTries 3',
      'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com',
      'Match Group ops',
      '\tPasswordAuthentication yes',
      '\tAllowTcpForwarding no',
      'Match Address 10.0.0.0/8',
      '\tPermitRootLogin prohibit-password',
    ),
    dropin: 'ClientAliveInterval 300\nMACs hmac-sha2-512-etm@openssh.com\n',
  },
  'match-user': {
    main: lines(
      'PasswordAuthentication no',
      'Match User opsuser',
      '\tPasswordAuthentication yes',
      '\tX11Forwarding yes',
      'Match all',
      '\tMaxSessions 4',
    ),
  },
  rejected: { main: 'PasswordAuthentication no\nPaswordAuthentication yes\n' },
};

function root(name: string): string {
  const r = mkdtempSync(path.join(dir, `${name}-`));
  chmodSync(r, 0o755);
  sshdRoot(r);
  const c = CONFIGS[name]!;
  writeFileSync(path.join(r, 'etc/ssh/sshd_config'), c.main, { mode: 0o600 });
  if (c.dropin) writeFileSync(path.join(r, 'etc/ssh/sshd_config.d/50-site.conf'), c.dropin, { mode: 0o600 });
  return r;
}

async function scan(r: string, trusted: boolean): Promise<Report> {
  const config = defaultConfig();
  config.root = r;
  config.trustedRoots = trusted ? [r] : [];
  config.scan.probes = ['ssh'];
  // A timed-out sshd -T would differ between the two runs for the clock's sake: time enough on a loaded machine.
  config.scan.probeTimeoutSeconds = 300;
  config.probes = { ssh: { live: false, sshdTimeoutMs: 60_000 } };
  return runScan({ probes: PROBES, config, log: pino({ level: 'silent' }) });
}

const finding = (r: Report, id: string) => r.findings.find((f) => f.check === id)!;

beforeAll(() => {
  if (canRun) dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-ssh-sandbox-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canRun)('sshd -T sandboxed against sshd -T chrooted with every capability', () => {
  for (const name of Object.keys(CONFIGS)) {
    it(`${name}: every ssh check decides the same, with the same message`, async () => {
      const r = root(name);
      const chrooted = await scan(r, true);
      const sandboxed = await scan(r, false);
      // sshd -T really ran in both (accepted the configuration, or rejected it with its own words).
      const ran = name === 'rejected' ? /Bad configuration option/ : /^sshd -T accepts the configuration$/;
      for (const rep of [chrooted, sandboxed]) expect(finding(rep, 'ssh.config_valid').message).toMatch(ran);
      expect(compareReports(chrooted, sandboxed)).toEqual([]);
    }, 300_000);
  }

  it('any uid but 0 cannot run sshd -T: the root-owned 0600 host key does not load', () => {
    const r = root('debian');
    chmodSync(path.join(r, 'etc/ssh/sshd_config'), 0o644); // only the host key stays 0600
    const opts = { encoding: 'utf8', timeout: 10_000 } as const;
    const asNobody = spawnSync('chroot', ['--userspec=65534:65534', '--groups=', r, '/usr/sbin/sshd', '-T'], opts);
    expect(asNobody.status).not.toBe(0);
    expect(asNobody.stderr).toMatch(/no hostkeys available/);
    const asRoot = spawnSync('chroot', [r, '/usr/sbin/sshd', '-T'], opts);
    expect(asRoot.status).toBe(0);
  });
});

describe.skipIf(!canRun || !existsSync(CLI))('without the capabilities to build the sandbox', () => {
  it('the binary does not run, the scan says why, and the parser alone decides', () => {
    const r = root('hardened');
    const config = path.join(dir, 'slow-machine.yaml');
    const slow = lines('scan: { probeTimeoutSeconds: 300 }', 'probes:', '  ssh: { live: false, sshdTimeoutMs: 60000 }');
    writeFileSync(config, slow);
    const args = ['--root', r, '--config', config, '--probe', 'ssh'];
    const sandboxed = scanWithCaps(undefined, args);
    // The DaemonSet's set: enough for a trusted root (chroot), not for the sandbox.
    const documented = scanWithCaps(DOCUMENTED_CAPS, args);
    const agreement = finding(documented, 'ssh.parser_agreement');
    expect(agreement.status).toBe('skip');
    expect(agreement.message).toContain("is not this host's own root, so its binaries run only sandboxed");
    const lacks = 'building the sandbox needs CAP_SETGID, CAP_SETPCAP, CAP_SYS_ADMIN, which hostward lacks';
    expect(agreement.message).toContain(lacks);
    const changes = compareReports(sandboxed, documented);
    const statusChanges = changes.filter((c) => !c.degraded).map((c) => `${c.check} ${c.from}->${c.to}`);
    expect(statusChanges).toEqual(['ssh.parser_agreement pass->skip']);
    // Same verdicts, weaker evidence: what the file leaves unset comes from the parser's defaults, not from sshd.
    const weaker = changes.filter((c) => c.degraded).map((c) => c.check);
    const defaults = ['ssh.config_valid', 'ssh.host_key_algorithms', 'ssh.kex_algorithms', 'ssh.required_rsa_size'];
    expect(weaker).toEqual(defaults);
    expect(finding(documented, 'ssh.config_valid').message).toContain('sshd -T not used');
  }, 300_000);
});
