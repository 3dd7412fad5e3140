import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Outcome } from '../../src/sdk.js';
import type { SshFacts, Setting, HostKeyFact, OpenSshVersion, LiveResult } from '../../probes/ssh/types.js';
import {
  cryptoChecks,
  compareDebianVersions,
  packageVersion,
  strictKexByVersion,
} from '../../probes/ssh/checks/crypto.js';

// ---------------------------------------------------------------------------------------------------------------
// Real `sshd -T` output from this machine's sshd, for a minimal config and for the ssh-audit Debian 12 guide.

const SSHD = '/usr/sbin/sshd';
const canRunSshdT = existsSync(SSHD) && process.getuid?.() === 0 && existsSync('/run/sshd');

/** The ssh-audit Debian 12 hardening guide's sshd settings (ssh-audit.com/hardening_guides.html, Debian 12). */
const GUIDE = [
  'KexAlgorithms sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256',
  'Ciphers aes256-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-gcm@openssh.com,aes128-ctr,chacha20-poly1305@openssh.com',
  'MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com',
  'HostKeyAlgorithms sk-ssh-ed25519-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
  'RequiredRSASize 3072',
];

let tmp = '';
let stock: Map<string, string> | undefined;
let guide: Map<string, string> | undefined;

function sshdT(extra: string[]): Map<string, string> {
  const cfg = path.join(tmp, `cfg-${extra.length}`);
  writeFileSync(cfg, [`HostKey ${path.join(tmp, 'hk')}`, ...extra, ''].join('\n'));
  const out = execFileSync(SSHD, ['-T', '-f', cfg], { encoding: 'utf8' });
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && !m.has(line.slice(0, sp))) m.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return m;
}

beforeAll(() => {
  if (!canRunSshdT) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'hostward-sshdt-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'hk')], { stdio: 'ignore' });
  stock = sshdT([]);
  guide = sshdT(GUIDE);
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-built facts

const DEB12: OpenSshVersion = { major: 9, minor: 2, raw: '1:9.2p1-2+deb12u10', source: 'dpkg' };
const KEYS: HostKeyFact[] = [
  { path: '/etc/ssh/ssh_host_rsa_key', type: 'ssh-rsa', bits: 3072 },
  { path: '/etc/ssh/ssh_host_ecdsa_key', type: 'ecdsa-sha2-nistp256', bits: 256 },
  { path: '/etc/ssh/ssh_host_ed25519_key', type: 'ssh-ed25519', bits: 256 },
];

interface Build {
  settings?: Record<string, string> | Map<string, string>;
  version?: OpenSshVersion;
  hostKeys?: HostKeyFact[];
  moduli?: SshFacts['moduli'];
  live?: LiveResult;
  noEffective?: boolean;
  minRsaBits?: number;
  evidence?: Record<string, { file: string; line: number }>;
}

function makeFacts(b: Build = {}): SshFacts {
  const entries = b.settings instanceof Map ? [...b.settings] : Object.entries(b.settings ?? {});
  const settings = new Map<string, Setting>(
    entries.map(([k, v]) => {
      const ev = b.evidence?.[k];
      const s: Setting = ev
        ? { values: [v], source: 'sshd -T', evidence: [{ ...ev, text: `${k} ${v}` }] }
        : { values: [v], source: 'sshd -T' };
      return [k, s];
    }),
  );
  return {
    installed: true,
    daemons: [],
    sshdPath: SSHD,
    version: b.version ?? DEB12,
    configPath: '/etc/ssh/sshd_config',
    parsed: b.noEffective
      ? { ok: false, code: 'unreadable', path: '/etc/ssh/sshd_config', reason: 'EACCES: permission denied' }
      : {
          mainFile: '/etc/ssh/sshd_config',
          files: ['/etc/ssh/sshd_config'],
          directives: [],
          matchBlocks: [],
          problems: [],
        },
    sshdT: b.noEffective ? { used: false, reason: 'not root' } : { used: true },
    effective: b.noEffective
      ? []
      : [
          {
            context: {
              userClass: 'user',
              user: 'nobody',
              groups: [],
              host: 'h',
              addr: '10.0.0.1',
              laddr: '10.0.0.2',
              lport: 22,
              label: 'a user from 10.0.0.1',
            },
            settings,
            source: 'sshd -T',
          },
        ],
    files: [],
    hostKeys: b.hostKeys ?? KEYS,
    moduli: b.moduli ?? { sizes: [3072, 4096, 8192] },
    ...(b.live ? { live: b.live } : {}),
    options: {
      permitRootLogin: ['no'],
      maxAuthTries: 4,
      maxSessions: 10,
      loginGraceTimeSeconds: 60,
      clientAliveIntervalMax: 300,
      clientAliveCountMax: 3,
      live: false,
      sourceAddresses: [],
      minRsaBits: b.minRsaBits ?? 3072,
      sshdTimeoutMs: 5000,
      configPath: '/etc/ssh/sshd_config',
    },
  };
}

/** OpenSSH 9.2p1 defaults as sshd -T prints them; used where sshd itself cannot run. */
const DEFAULTS_92: Record<string, string> = {
  ciphers:
    'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com',
  macs: 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1',
  kexalgorithms:
    'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
  hostkeyalgorithms:
    'ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256',
  requiredrsasize: '1024',
};

function check(id: string) {
  const c = cryptoChecks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

/** Every outcome produced in this file, per check id, for the "a passing and a failing case each" test. */
const seen = new Map<string, Set<string>>();
function run(id: string, facts: SshFacts): Outcome {
  const o = check(id).evaluate(facts);
  if (!seen.has(id)) seen.set(id, new Set());
  seen.get(id)!.add(o.status);
  return o;
}

// ---------------------------------------------------------------------------------------------------------------

describe('catalogue data', () => {
  it('ids are stable ssh.<snake_case>, unique, with title, references and remediation', () => {
    const ids = cryptoChecks.map((c) => c.id);
    expect(ids).toEqual([
      'ssh.ciphers',
      'ssh.macs',
      'ssh.kex_algorithms',
      'ssh.host_key_algorithms',
      'ssh.host_key_strength',
      'ssh.moduli_strength',
      'ssh.terrapin',
      'ssh.required_rsa_size',
    ]);
    for (const c of cryptoChecks) {
      expect(c.id).toMatch(/^ssh\.[a-z0-9_]+$/);
      expect(c.title.length).toBeGreaterThan(10);
      expect(c.references.length).toBeGreaterThan(0);
      expect(c.remediation).toMatch(/"|\bssh-keygen\b|awk/);
    }
  });
});

describe.skipIf(!canRunSshdT)('stock Debian 12 (real sshd -T defaults) vs the ssh-audit Debian 12 guide', () => {
  it('captured the real lists', () => {
    expect(stock!.get('macs')).toContain('hmac-sha1');
    expect(guide!.get('macs')).toBe(
      'hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com',
    );
  });

  it("stock: ciphers pass (CIS's chacha20 note is evidence, not message), MACs and KEX fail under ssh-audit", () => {
    const f = makeFacts({ settings: stock! });
    const c = run('ssh.ciphers', f);
    expect(c.status).toBe('pass');
    expect(c.message).not.toMatch(/warns|fails|weak/);
    const cis =
      /CIS \(CIS Ubuntu Linux 22\.04 LTS Benchmark v2\.0\.0 5\.1\.6[^)]*\) warns on chacha20-poly1305@openssh\.com/;
    expect(c.evidence?.some((e) => cis.test(e.text ?? ''))).toBe(true);

    const m = run('ssh.macs', f);
    expect(m.status).toBe('fail');
    expect(m.message).toContain('ssh-audit fails hmac-sha1-etm@openssh.com, hmac-sha1 (uses the broken SHA-1 hash)');
    // The disagreement is named: CIS 5.1.15 fails umac-128-etm, which ssh-audit accepts.
    expect(m.message).toMatch(/CIS \([^)]*5\.1\.15\) fails [^;]*umac-128-etm@openssh\.com/);

    const k = run('ssh.kex_algorithms', f);
    expect(k.status).toBe('fail');
    expect(k.message).toContain(
      'ssh-audit fails ecdh-sha2-nistp256, ecdh-sha2-nistp384, ecdh-sha2-nistp521 (uses NIST P-curves',
    );
    expect(k.message).toMatch(/CIS \([^)]*5\.1\.12\) passes/);
    expect(k.message).toMatch(/CIS-DIL \([^)]*5\.2\.15\) fails sntrup761x25519-sha512/);
    // Defaults: no file evidence, so the evidence is the sshd -T line.
    expect(k.evidence?.[0]?.text).toMatch(/^kexalgorithms sntrup761/);
  });

  it('stock: host key algorithms fail because the ECDSA key is loaded; RequiredRSASize 1024 fails', () => {
    const f = makeFacts({ settings: stock! });
    const h = run('ssh.host_key_algorithms', f);
    expect(h.status).toBe('fail');
    expect(h.message).toContain('ssh-audit fails ecdsa-sha2-nistp256 (uses NIST P-curves');
    // Certificates and sk- algorithms are configured but not offered (no HostCertificate / no such key).
    expect(h.message).toMatch(
      /Configured but not offered \(no matching key or HostCertificate loaded\): .*sk-ecdsa-sha2-nistp256@openssh\.com/,
    );
    expect(run('ssh.required_rsa_size', f).status).toBe('fail');
  });

  it('the ssh-audit Debian 12 guide passes every list check (classic KEX beside post-quantum ones)', () => {
    const f = makeFacts({
      settings: guide!,
      hostKeys: [KEYS[0]!, KEYS[2]!].map((k) => ({ ...k, bits: k.type === 'ssh-rsa' ? 4096 : 256 })),
    });
    for (const id of [
      'ssh.ciphers',
      'ssh.macs',
      'ssh.kex_algorithms',
      'ssh.host_key_algorithms',
      'ssh.required_rsa_size',
      'ssh.host_key_strength',
      'ssh.terrapin',
      'ssh.moduli_strength',
    ]) {
      const o = run(id, f);
      expect(o.status, `${id}: ${o.message}`).toBe('pass');
    }
    const k = run('ssh.kex_algorithms', f);
    expect(k.message).toContain(
      'clean under ssh-audit: post-quantum sntrup761x25519-sha512, sntrup761x25519-sha512@openssh.com, and curve25519-sha256',
    );
    expect(k.message).not.toMatch(/warns|fails/);
    // dev-sec wants exactly its list; the guide differs, and the evidence says so without failing.
    expect(k.evidence?.some((e) => /dev-sec \(dev-sec ssh-baseline sshd-02\) fails/.test(e.text ?? ''))).toBe(true);
  });
});

describe('ssh.ciphers / ssh.macs / ssh.kex_algorithms with hand-written lists', () => {
  it('weak ciphers fail with reasons, and so does CBC, which ssh-audit warns on', () => {
    const o = run(
      'ssh.ciphers',
      makeFacts({
        settings: { ciphers: 'aes128-ctr,3des-cbc,aes256-cbc' },
        evidence: { ciphers: { file: '/etc/ssh/sshd_config.d/10-old.conf', line: 3 } },
      }),
    );
    expect(o.status).toBe('fail');
    expect(o.message).toContain('ssh-audit fails 3des-cbc (uses the broken and deprecated 3DES cipher)');
    expect(o.message).toContain('ssh-audit warns on aes256-cbc (uses the weak CBC cipher mode)');
    expect(o.message).toContain('set at /etc/ssh/sshd_config.d/10-old.conf:3');
    expect(o.evidence).toEqual([
      { file: '/etc/ssh/sshd_config.d/10-old.conf', line: 3, text: 'ciphers aes128-ctr,3des-cbc,aes256-cbc' },
    ]);
    const cbc = run('ssh.ciphers', makeFacts({ settings: { ciphers: 'aes256-gcm@openssh.com,aes256-cbc' } }));
    expect(cbc.status).toBe('fail');
    expect(cbc.message).toMatch(/ssh-audit warns on aes256-cbc/);
    expect(cbc.message).toMatch(/CIS \([^)]*\) fails aes256-cbc/);
  });

  it('an unknown algorithm name is unknown, never pass', () => {
    const o = run(
      'ssh.ciphers',
      makeFacts({ settings: { ciphers: 'aes256-gcm@openssh.com,aes512-quantum@example.com' } }),
    );
    expect(o.status).toBe('unknown');
    expect(o.message).toContain('aes512-quantum@example.com');
  });

  it('MACs: the CIS-friendly list passes; hmac-sha1 fails', () => {
    expect(
      run('ssh.macs', makeFacts({ settings: { macs: 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com' } }))
        .status,
    ).toBe('pass');
    expect(run('ssh.macs', makeFacts({ settings: { macs: 'hmac-sha2-256-etm@openssh.com,hmac-sha1' } })).status).toBe(
      'fail',
    );
  });

  it('MACs note when every cipher is AEAD', () => {
    const o = run('ssh.macs', makeFacts({ settings: { ciphers: 'aes256-gcm@openssh.com', macs: 'hmac-sha1' } }));
    expect(o.status).toBe('fail');
    expect(o.message).toContain('no MAC is negotiated');
  });

  it('KEX: PQ-only passes cleanly; pseudo-algorithms are ignored; no post-quantum KEX or SHA-1 groups fail', () => {
    const pq = run(
      'ssh.kex_algorithms',
      makeFacts({
        settings: { kexalgorithms: 'mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com' },
      }),
    );
    expect(pq.status).toBe('pass');
    expect(pq.message).toContain('all clean under ssh-audit');
    const live = makeFacts({
      noEffective: true,
      live: {
        address: '127.0.0.1',
        port: 22,
        status: 'ok',
        methods: [],
        offered: {
          kex: ['curve25519-sha256', 'ext-info-s', 'kex-strict-s-v00@openssh.com'],
          hostKey: [],
          ciphers: [],
          macs: [],
          compression: [],
        },
      },
    });
    const l = run('ssh.kex_algorithms', live);
    expect(l.status).toBe('fail');
    expect(l.message).toContain('ssh-audit warns on curve25519-sha256 (no protection against post-quantum attacks');
    expect(l.message).toContain('the live probe');
    expect(l.message).toContain('Pseudo-algorithms ignored for rating: ext-info-s, kex-strict-s-v00@openssh.com');
    expect(
      run(
        'ssh.kex_algorithms',
        makeFacts({ settings: { kexalgorithms: 'curve25519-sha256,diffie-hellman-group14-sha1' } }),
      ).status,
    ).toBe('fail');
  });

  it('missing data -> unknown with the reason', () => {
    const o = run('ssh.ciphers', makeFacts({ noEffective: true }));
    expect(o.status).toBe('unknown');
    expect(o.message).toContain('EACCES: permission denied');
    const missing = run('ssh.macs', makeFacts({ settings: { ciphers: 'aes128-ctr' } }));
    expect(missing.status).toBe('unknown');
    expect(missing.message).toContain('macs is not in the effective configuration');
    const f = makeFacts({ noEffective: true });
    f.effectiveUnavailable = 'sshd -T refused the configuration';
    expect(run('ssh.kex_algorithms', f).message).toBe('sshd -T refused the configuration');
  });
});

describe('ssh.host_key_algorithms narrows to loaded keys', () => {
  const hka = DEFAULTS_92.hostkeyalgorithms!;
  it('without an ECDSA key the default list passes (ECDSA and sk- algorithms are not offered)', () => {
    const o = run(
      'ssh.host_key_algorithms',
      makeFacts({ settings: { hostkeyalgorithms: hka }, hostKeys: [KEYS[0]!, KEYS[2]!] }),
    );
    expect(o.status).toBe('pass');
    expect(o.message).toContain('Configured but not offered');
    expect(o.message).toContain('ssh-ed25519-cert-v01@openssh.com');
  });
  it('a host certificate makes certificate algorithms offered', () => {
    const o = run(
      'ssh.host_key_algorithms',
      makeFacts({
        settings: { hostkeyalgorithms: hka, hostcertificate: '/etc/ssh/ssh_host_ed25519_key-cert.pub' },
        hostKeys: [KEYS[2]!],
      }),
    );
    expect(o.status).toBe('pass');
    expect(o.message).toMatch(/^2 host key algorithms offered/);
  });
  it('ssh-rsa (SHA-1 signatures) with an RSA key fails', () => {
    expect(
      run(
        'ssh.host_key_algorithms',
        makeFacts({ settings: { hostkeyalgorithms: 'rsa-sha2-512,ssh-rsa' }, hostKeys: [KEYS[0]!] }),
      ).status,
    ).toBe('fail');
  });
  it('unknown key types: the whole configured list is rated', () => {
    const o = run(
      'ssh.host_key_algorithms',
      makeFacts({ settings: { hostkeyalgorithms: hka }, hostKeys: [{ path: '/etc/ssh/k', problem: 'unreadable' }] }),
    );
    expect(o.status).toBe('fail');
    expect(o.message).toContain('Rated the whole configured list');
  });
  it('the live probe list wins', () => {
    const live: LiveResult = {
      address: '127.0.0.1',
      port: 22,
      status: 'ok',
      methods: [],
      offered: { kex: [], hostKey: ['ssh-ed25519', 'rsa-sha2-512'], ciphers: [], macs: [], compression: [] },
    };
    expect(run('ssh.host_key_algorithms', makeFacts({ settings: { hostkeyalgorithms: hka }, live })).status).toBe(
      'pass',
    );
  });
  it('missing data -> unknown', () => {
    expect(run('ssh.host_key_algorithms', makeFacts({ noEffective: true })).status).toBe('unknown');
  });
});

describe('ssh.host_key_strength', () => {
  it('DSA fails', () => {
    const o = run(
      'ssh.host_key_strength',
      makeFacts({ hostKeys: [{ path: '/etc/ssh/ssh_host_dsa_key', type: 'ssh-dss', bits: 1024 }, KEYS[2]!] }),
    );
    expect(o.status).toBe('fail');
    expect(o.message).toContain('DSA');
  });
  it("RSA below options.minRsaBits fails; 3072 passes, dev-sec's 4096 is evidence; ECDSA defers to the algorithm check", () => {
    expect(
      run('ssh.host_key_strength', makeFacts({ hostKeys: [{ path: '/k', type: 'ssh-rsa', bits: 2048 }] })).status,
    ).toBe('fail');
    const ok = run('ssh.host_key_strength', makeFacts({}));
    expect(ok.status).toBe('pass');
    expect(ok.message).toContain('RSA 3072 bits (at least 3072)');
    expect(ok.message).toContain('(its algorithm: ssh.host_key_algorithms)');
    expect(ok.evidence?.map((e) => e.text)).toContain(
      'dev-sec ssh-baseline sshd-50 asks for RSA host keys of 4096 bits',
    );
    expect(run('ssh.host_key_strength', makeFacts({ minRsaBits: 4096 })).status).toBe('fail');
  });
  it('unknown types or no keys -> unknown', () => {
    expect(run('ssh.host_key_strength', makeFacts({ hostKeys: [] })).status).toBe('unknown');
    const o = run(
      'ssh.host_key_strength',
      makeFacts({ hostKeys: [{ path: '/k', problem: 'no .pub file' }, KEYS[2]!] }),
    );
    expect(o.status).toBe('unknown');
    expect(o.message).toContain('no .pub file');
  });
});

describe('ssh.moduli_strength', () => {
  it('a group below 2048 bits fails (dev-sec sshd-48)', () => {
    const o = run(
      'ssh.moduli_strength',
      makeFacts({
        settings: { kexalgorithms: 'diffie-hellman-group-exchange-sha256' },
        moduli: { sizes: [1536, 2048, 4096] },
      }),
    );
    expect(o.status).toBe('fail');
    expect(o.message).toContain('1536');
    expect(o.message).toContain('dev-sec sshd-48');
  });
  it("2048-bit groups pass (the check's bar is 2048); the message counts them without calling them weak", () => {
    const o = run(
      'ssh.moduli_strength',
      makeFacts({ settings: { kexalgorithms: DEFAULTS_92.kexalgorithms! }, moduli: { sizes: [2048, 3072] } }),
    );
    expect(o.status).toBe('pass');
    expect(o.message).toContain('2 groups, 2048..3072 bits; 1 of 2 have 2048 to 3071 bits');
    expect(o.message).not.toMatch(/warns/);
  });
  it('a missing moduli file passes and says sshd uses its built-in groups', () => {
    const o = run(
      'ssh.moduli_strength',
      makeFacts({
        moduli: { ok: false, code: 'missing', path: '/etc/ssh/moduli', reason: 'no such file or directory' },
      }),
    );
    expect(o.status).toBe('pass');
    expect(o.message).toContain('sshd uses its built-in groups 14, 16 and 18');
  });
  it('GEX not offered: the moduli file does not matter', () => {
    const o = run(
      'ssh.moduli_strength',
      makeFacts({ settings: { kexalgorithms: 'curve25519-sha256' }, moduli: { sizes: [1024] } }),
    );
    expect(o.status).toBe('pass');
    expect(o.message).toContain('not used');
  });
  it('unreadable -> unknown', () => {
    expect(
      run(
        'ssh.moduli_strength',
        makeFacts({ moduli: { ok: false, code: 'unreadable', path: '/etc/ssh/moduli', reason: 'EACCES' } }),
      ).status,
    ).toBe('unknown');
  });
});

describe('ssh.terrapin', () => {
  const chacha = {
    ciphers: 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com',
    macs: 'hmac-sha2-256-etm@openssh.com',
  };
  it('Debian 12 with the back-port (deb12u2 and later) passes', () => {
    const o = run('ssh.terrapin', makeFacts({ settings: chacha }));
    expect(o.status).toBe('pass');
    expect(o.message).toContain('1:9.2p1-2+deb12u2');
  });
  it('Debian 12 before the back-port fails with the CVE', () => {
    const o = run(
      'ssh.terrapin',
      makeFacts({ settings: chacha, version: { major: 9, minor: 2, raw: '1:9.2p1-2+deb12u1', source: 'dpkg' } }),
    );
    expect(o.status).toBe('fail');
    expect(o.message).toContain('kex-strict-s-v00@openssh.com');
    expect(check('ssh.terrapin').references).toContain('CVE-2023-48795');
  });
  it('CBC with ETM counts, CBC without ETM does not', () => {
    const old: OpenSshVersion = { major: 8, minor: 4, raw: '1:8.4p1-5', source: 'dpkg' };
    expect(
      run(
        'ssh.terrapin',
        makeFacts({ settings: { ciphers: 'aes128-cbc', macs: 'hmac-sha2-256-etm@openssh.com' }, version: old }),
      ).status,
    ).toBe('fail');
    expect(
      run(
        'ssh.terrapin',
        makeFacts({ settings: { ciphers: 'aes128-cbc,aes128-ctr', macs: 'hmac-sha2-256' }, version: old }),
      ).status,
    ).toBe('pass');
  });
  it('the live probe decides when it saw the KEX list', () => {
    const live = (kex: string[]): LiveResult => ({
      address: '127.0.0.1',
      port: 22,
      status: 'ok',
      methods: [],
      offered: { kex, hostKey: [], ciphers: [], macs: [], compression: [] },
    });
    const old: OpenSshVersion = { major: 8, minor: 7, raw: 'OpenSSH_8.7p1', source: 'sshd' };
    expect(
      run(
        'ssh.terrapin',
        makeFacts({
          settings: chacha,
          version: old,
          live: live(['curve25519-sha256', 'kex-strict-s-v00@openssh.com']),
        }),
      ).status,
    ).toBe('pass');
    expect(
      run('ssh.terrapin', makeFacts({ settings: chacha, version: DEB12, live: live(['curve25519-sha256']) })).status,
    ).toBe('fail');
  });
  it('upstream OpenSSH 9.6 passes; an upstream 8.7 without distro revision is unknown', () => {
    expect(
      run(
        'ssh.terrapin',
        makeFacts({ settings: chacha, version: { major: 9, minor: 6, raw: 'OpenSSH_9.6p1', source: 'sshd' } }),
      ).status,
    ).toBe('pass');
    const u = run(
      'ssh.terrapin',
      makeFacts({ settings: chacha, version: { major: 8, minor: 7, raw: 'OpenSSH_8.7p1', source: 'sshd' } }),
    );
    expect(u.status).toBe('unknown');
    expect(u.message).toContain('live probe');
  });
  it('missing data -> unknown', () => {
    expect(run('ssh.terrapin', makeFacts({ noEffective: true })).status).toBe('unknown');
  });
});

describe('ssh.required_rsa_size', () => {
  it('>= 2048 passes, the 1024 default fails', () => {
    expect(run('ssh.required_rsa_size', makeFacts({ settings: { requiredrsasize: '3072' } })).status).toBe('pass');
    expect(run('ssh.required_rsa_size', makeFacts({ settings: { requiredrsasize: '1024' } })).status).toBe('fail');
  });
  it('OpenSSH < 9.1 skips', () => {
    expect(
      run(
        'ssh.required_rsa_size',
        makeFacts({ version: { major: 8, minor: 9, raw: '1:8.9p1-3ubuntu0.10', source: 'dpkg' } }),
      ).status,
    ).toBe('skip');
  });
  it('missing data -> unknown', () => {
    expect(run('ssh.required_rsa_size', makeFacts({ settings: {} })).status).toBe('unknown');
    expect(run('ssh.required_rsa_size', makeFacts({ noEffective: true })).status).toBe('unknown');
  });
});

describe('version helpers', () => {
  it('compares Debian versions like dpkg', () => {
    expect(compareDebianVersions('1:9.2p1-2+deb12u10', '1:9.2p1-2+deb12u2')).toBeGreaterThan(0);
    expect(compareDebianVersions('1:9.2p1-2', '1:9.2p1-2+deb12u2')).toBeLessThan(0);
    expect(compareDebianVersions('1:9.2p1-2+deb12u2', '1:9.2p1-2+deb12u2')).toBe(0);
    expect(compareDebianVersions('1.0~rc1-1', '1.0-1')).toBeLessThan(0);
    expect(compareDebianVersions('2:1.0-1', '1:9.9-1')).toBeGreaterThan(0);
    expect(compareDebianVersions('1:8.9p1-3ubuntu0.10', '1:8.9p1-3ubuntu0.5')).toBeGreaterThan(0);
  });
  it('finds the package version in dpkg strings and banners', () => {
    expect(packageVersion('1:9.2p1-2+deb12u3')).toBe('1:9.2p1-2+deb12u3');
    expect(packageVersion('OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026')).toBe('1:9.2p1-2+deb12u10');
    expect(packageVersion('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6')).toBe('1:8.9p1-3ubuntu0.6');
    expect(packageVersion('OpenSSH_9.6p1')).toBeUndefined();
  });
  it('strict KEX by version, also from the live banner', () => {
    expect(
      strictKexByVersion(
        { major: 9, minor: 2, raw: 'OpenSSH_9.2p1', source: 'sshd' },
        'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
      ).strict,
    ).toBe(true);
    expect(strictKexByVersion({ major: 8, minor: 9, raw: '1:8.9p1-3ubuntu0.4', source: 'dpkg' }).strict).toBe(false);
    expect(strictKexByVersion({ major: 0, minor: 0, raw: '', source: 'assumed' }).strict).toBeUndefined();
  });
});

describe('coverage of outcomes', () => {
  it('every crypto check has at least one passing and one failing case in this file', () => {
    for (const c of cryptoChecks) {
      const s = seen.get(c.id) ?? new Set();
      expect([...s], c.id).toContain('pass');
      expect([...s], c.id).toContain('fail');
    }
  });
});
