/**
 * The live probe against REAL OpenSSH daemons on 127.0.0.1 (each with its own host keys and config), plus
 * misbehaving TCP peers, plus unit tests of the live checks over hand-built facts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { isKexPseudo, PQ_ONLY_REASON, probeLive, randomProbeUser } from '../../probes/ssh/live.js';
import { liveChecks } from '../../probes/ssh/checks/live.js';
import type {
  EffectiveConfig,
  LiveResult,
  ParsedConfig,
  Setting,
  SshFacts,
  SshOptions,
  UserClass,
} from '../../probes/ssh/types.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const HAVE_SSHD = existsSync(SSHD);
if (!HAVE_SSHD) console.warn(`live.test: ${SSHD} is missing: the real-daemon tests are skipped`);

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

let dir = '';
const daemons: ChildProcess[] = [];
const servers: Server[] = [];
const serverSockets = new Set<Socket>();
const usedPorts = new Set<number>();

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 22000 + Math.floor(Math.random() * 1000);
    if (usedPorts.has(port)) continue;
    if (await portFree(port)) {
      usedPorts.add(port);
      return port;
    }
  }
  throw new Error('no free port in 22000..22999');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

interface Daemon {
  port: number;
  cfg: string;
  log: () => string;
}

let seq = 0;
/** Start sshd -D -e with its own config (host keys from beforeAll) and wait until it accepts connections. */
async function startSshd(body: string, extraArgs: string[] = []): Promise<Daemon> {
  const port = await freePort();
  const n = ++seq;
  const cfg = join(dir, `sshd_config_${n}`);
  await writeFile(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'hk_ed25519')}`,
      `HostKey ${join(dir, 'hk_rsa')}`,
      'StrictModes no',
      `PidFile ${join(dir, `sshd_${n}.pid`)}`,
      body,
      '',
    ].join('\n'),
  );
  const proc = spawn(SSHD, ['-D', '-e', '-f', cfg, '-o', `PidFile=${join(dir, `sshd_${n}.pid`)}`, ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  daemons.push(proc);
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(
    () => `sshd on ${port} to start: ${log}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`sshd exited ${proc.exitCode}: ${log}`);
      return canConnect(port);
    },
    15_000,
    50,
  );
  return { port, cfg, log: () => log };
}

/** `sshd -T -f cfg` as a keyword -> values map (one entry per printed line). */
async function sshdT(cfg: string, extra: string[] = []): Promise<Map<string, string[]>> {
  const { stdout } = await run(SSHD, ['-T', '-f', cfg, ...extra]);
  const m = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(' ');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    m.set(k, [...(m.get(k) ?? []), line.slice(i + 1)]);
  }
  return m;
}

/** A TCP server with a custom behaviour on each connection. */
async function tcpServer(onConn: (s: Socket) => void): Promise<number> {
  const port = await freePort();
  const srv = createServer((s) => {
    serverSockets.add(s);
    s.on('close', () => serverSockets.delete(s));
    onConn(s);
  });
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return port;
}

function methodsOf(r: LiveResult, user: string): string[] | undefined {
  return r.methods.find((m) => m.user === user)?.methods;
}

// ---------------------------------------------------------------------------------------------------------------
// Facts builders for the checks

const OPTIONS: SshOptions = {
  permitRootLogin: ['no', 'prohibit-password'],
  maxAuthTries: 4,
  maxSessions: 10,
  loginGraceTimeSeconds: 60,
  clientAliveIntervalMax: 300,
  clientAliveCountMax: 3,
  live: true,
  sourceAddresses: [],
  minRsaBits: 3072,
  sshdTimeoutMs: 5000,
  configPath: '/etc/ssh/sshd_config',
};

function settingsFrom(values: Record<string, string | string[]> | Map<string, string[]>): Map<string, Setting> {
  const entries =
    values instanceof Map
      ? [...values]
      : Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const);
  return new Map(
    entries.map(([k, v]) => [
      k,
      {
        values: [...v],
        source: 'sshd -T',
        evidence: [{ file: '/etc/ssh/sshd_config', line: 1, text: `${k} ${v.join(' ')}` }],
      },
    ]),
  );
}

function ctx(userClass: UserClass, user: string, settings: Map<string, Setting>): EffectiveConfig {
  return {
    context: {
      userClass,
      user,
      groups: [],
      host: 'localhost',
      addr: '127.0.0.1',
      laddr: '127.0.0.1',
      lport: 22,
      label: `${user} from 127.0.0.1`,
    },
    settings,
    source: 'sshd -T',
  };
}

const BASE_SETTINGS = {
  passwordauthentication: 'no',
  kbdinteractiveauthentication: 'no',
  usepam: 'yes',
  authenticationmethods: 'any',
  ciphers: 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com',
  macs: 'hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com',
  kexalgorithms: 'sntrup761x25519-sha512@openssh.com,curve25519-sha256',
};

const OFFERED = {
  kex: ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'kex-strict-s-v00@openssh.com'],
  hostKey: ['ssh-ed25519'],
  ciphers: ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'],
  macs: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
  compression: ['none', 'zlib@openssh.com'],
};

function facts(opts: {
  live?: LiveResult;
  options?: Partial<SshOptions>;
  effective?: EffectiveConfig[];
  settings?: Record<string, string>;
  parsed?: ParsedConfig;
}): SshFacts {
  const s = settingsFrom({ ...BASE_SETTINGS, ...(opts.settings ?? {}) });
  const f: SshFacts = {
    installed: true,
    daemons: [],
    version: { major: 9, minor: 2, raw: 'OpenSSH_9.2p1', source: 'sshd' },
    configPath: '/etc/ssh/sshd_config',
    parsed: opts.parsed ?? {
      mainFile: '/etc/ssh/sshd_config',
      files: ['/etc/ssh/sshd_config'],
      directives: [],
      matchBlocks: [],
      problems: [],
    },
    sshdT: { used: true },
    effective: opts.effective ?? [ctx('root', 'root', s), ctx('user', 'bob', s), ctx('invalid', 'nosuchuser', s)],
    files: [],
    hostKeys: [],
    moduli: { sizes: [] },
    options: { ...OPTIONS, ...(opts.options ?? {}) },
  };
  if (opts.live) f.live = opts.live;
  return f;
}

function liveOk(methods: Record<string, string[]>, extra: Partial<LiveResult> = {}): LiveResult {
  return {
    address: '127.0.0.1',
    port: 22,
    status: 'ok',
    banner: 'SSH-2.0-OpenSSH_9.2p1',
    offered: OFFERED,
    methods: Object.entries(methods).map(([user, m]) => ({ user, methods: m })),
    ...extra,
  };
}

function check(id: string) {
  const c = liveChecks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Real daemons

describe.skipIf(!HAVE_SSHD)('probeLive against real sshd (OpenSSH on 127.0.0.1)', () => {
  let pwYes: Daemon;
  let allNo: Daemon;
  let kbdOnly: Daemon;
  let matchBob: Daemon;
  let pqOnly: Daemon;
  let expectedBannerPrefix = 'SSH-2.0-OpenSSH_';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostward-live-'));
    await mkdir('/run/sshd', { recursive: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hk_ed25519')]);
    await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'hk_rsa')]);
    try {
      const { stderr } = await run('ssh', ['-V']);
      const v = stderr.split(',')[0]?.trim();
      if (v) expectedBannerPrefix = `SSH-2.0-${v}`;
    } catch {
      /* keep the generic prefix */
    }
    [pwYes, allNo, kbdOnly, matchBob, pqOnly] = await Promise.all([
      startSshd('PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM yes'),
      startSshd('PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM yes\nDebianBanner no'),
      startSshd('PasswordAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM yes'),
      startSshd(
        'PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM yes\nMatch User bob\n  PasswordAuthentication yes',
      ),
      startSshd('KexAlgorithms sntrup761x25519-sha512@openssh.com\nPasswordAuthentication yes'),
    ]);
  });

  afterAll(async () => {
    await Promise.all(
      daemons.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const t = setTimeout(() => p.kill('SIGKILL'), 2000);
            p.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            p.kill('SIGTERM');
          }),
      ),
    );
    for (const s of serverSockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('(1) PasswordAuthentication yes, Kbd no: password for root and a random user; banner and offered lists equal sshd -T', async () => {
    const rnd = randomProbeUser();
    expect(rnd).toMatch(/^hostward-probe-[0-9a-f]{16}$/);
    const r = await probeLive({ address: '127.0.0.1', port: pwYes.port, users: ['root', rnd], timeoutMs: 5000 });
    expect(r.status).toBe('ok');
    expect(r.reason).toBeUndefined();
    expect(methodsOf(r, 'root')).toEqual(['publickey', 'password']);
    expect(methodsOf(r, rnd)).toEqual(['publickey', 'password']);
    expect(r.banner?.startsWith(expectedBannerPrefix)).toBe(true);

    const t = await sshdT(pwYes.cfg);
    expect(r.offered?.ciphers.join(',')).toBe(t.get('ciphers')?.[0]);
    expect(r.offered?.macs.join(',')).toBe(t.get('macs')?.[0]);
    expect(r.offered?.kex.filter((k) => !isKexPseudo(k)).join(',')).toBe(t.get('kexalgorithms')?.[0]);
    expect(r.offered?.hostKey).toEqual(expect.arrayContaining(['ssh-ed25519', 'rsa-sha2-512']));
    expect(r.offered?.compression).toContain('none');

    // The checks over real live data and real sshd -T output.
    const eff = settingsFrom(t);
    const f = facts({ live: r, effective: [ctx('root', 'root', eff), ctx('invalid', 'nosuchuser', eff)] });
    expect(check('ssh.live_password_offered').evaluate(f).status).toBe('fail');
    expect(check('ssh.live_password_offered').evaluate(f).message).toMatch(
      /offers password to root and a non-existent user/,
    );
    const m = check('ssh.live_matches_config').evaluate(f);
    expect(m.message).toContain('matches');
    expect(m.status).toBe('pass');
    const b = check('ssh.version_banner').evaluate(f);
    expect(b.status).toBe(r.banner?.includes(' ') ? 'fail' : 'pass');
  });

  it('(2) both no: only publickey for root, bob and a random user; DebianBanner no drops the suffix', async () => {
    const rnd = randomProbeUser();
    const r = await probeLive({ address: '127.0.0.1', port: allNo.port, users: ['root', 'bob', rnd], timeoutMs: 5000 });
    expect(r.status).toBe('ok');
    for (const u of ['root', 'bob', rnd]) expect(methodsOf(r, u)).toEqual(['publickey']);
    expect(r.banner).toMatch(/^SSH-2\.0-OpenSSH_\S+$/);
    const t = await sshdT(allNo.cfg);
    const f = facts({ live: r, effective: [ctx('root', 'root', settingsFrom(t))] });
    expect(check('ssh.live_password_offered').evaluate(f).status).toBe('pass');
    expect(check('ssh.live_matches_config').evaluate(f).status).toBe('pass');
    expect(check('ssh.version_banner').evaluate(f).status).toBe('pass');
  });

  it('(3) password no, kbd yes, UsePAM yes: keyboard-interactive only', async () => {
    const r = await probeLive({
      address: '127.0.0.1',
      port: kbdOnly.port,
      users: ['root', randomProbeUser()],
      timeoutMs: 5000,
    });
    expect(r.status).toBe('ok');
    for (const m of r.methods) expect(m.methods).toEqual(['publickey', 'keyboard-interactive']);
    const f = facts({ live: r, effective: [ctx('root', 'root', settingsFrom(await sshdT(kbdOnly.cfg)))] });
    const o = check('ssh.live_password_offered').evaluate(f);
    expect(o.status).toBe('fail');
    expect(o.message).toContain('keyboard-interactive');
  });

  it('(4) Match User bob re-enables password: only bob sees it (bob does not exist on this host)', async () => {
    const rnd = randomProbeUser();
    const r = await probeLive({
      address: '127.0.0.1',
      port: matchBob.port,
      users: ['root', 'bob', rnd],
      timeoutMs: 5000,
    });
    expect(r.status).toBe('ok');
    expect(methodsOf(r, 'bob')).toEqual(['publickey', 'password']);
    expect(methodsOf(r, 'root')).toEqual(['publickey']);
    expect(methodsOf(r, rnd)).toEqual(['publickey']);
    const o = check('ssh.live_password_offered').evaluate(facts({ live: r }));
    expect(o.status).toBe('fail');
    expect(o.message).toMatch(/offers password to bob$/);
    // The per-user view: sshd -T -C user=bob says yes, so the daemon matches its config for bob too.
    const ctxOpts = (u: string) => [
      '-C',
      `user=${u},host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=${matchBob.port}`,
    ];
    const eff = [
      ctx('root', 'root', settingsFrom(await sshdT(matchBob.cfg, ctxOpts('root')))),
      ctx('user', 'bob', settingsFrom(await sshdT(matchBob.cfg, ctxOpts('bob')))),
      ctx('invalid', rnd, settingsFrom(await sshdT(matchBob.cfg, ctxOpts(rnd)))),
    ];
    for (const e of eff) Object.assign(e.context, { lport: matchBob.port });
    const m = check('ssh.live_matches_config').evaluate(facts({ live: r, effective: eff }));
    expect(m.status).toBe('pass');
  });

  it('(5) PQ-only KEX: status pq_only, offered lists still captured', async () => {
    const r = await probeLive({
      address: '127.0.0.1',
      port: pqOnly.port,
      users: ['root', randomProbeUser()],
      timeoutMs: 5000,
    });
    expect(r.status).toBe('pq_only');
    expect(r.reason).toBe(PQ_ONLY_REASON);
    expect(r.methods).toEqual([]);
    expect(r.offered?.kex.filter((k) => !isKexPseudo(k))).toEqual(['sntrup761x25519-sha512@openssh.com']);
    const t = await sshdT(pqOnly.cfg);
    // ssh2 stops logging at the KEX failure; the rest comes from the raw KEXINIT read.
    expect(r.offered?.ciphers.join(',')).toBe(t.get('ciphers')?.[0]);
    expect(r.offered?.macs.join(',')).toBe(t.get('macs')?.[0]);
    expect(r.banner?.startsWith(expectedBannerPrefix)).toBe(true);
    const f = facts({ live: r, effective: [ctx('root', 'root', settingsFrom(t))] });
    const p = check('ssh.live_password_offered').evaluate(f);
    expect(p.status).toBe('unknown');
    expect(p.message).toContain(PQ_ONLY_REASON);
    // Algorithms can still be compared; methods cannot.
    const m = check('ssh.live_matches_config').evaluate(f);
    expect(m.status).toBe('pass');
    expect(m.message).toContain('authentication methods not seen');
  });

  it('(6) closed port: unreachable on the refusal, not at the deadline', async () => {
    const port = await freePort();
    const r = await probeLive({
      address: '127.0.0.1',
      port,
      users: ['root', randomProbeUser(), 'bob'],
      timeoutMs: 5000,
    });
    expect(r.status).toBe('unreachable');
    // The refusal ended it (the reason would otherwise say the deadline passed or the handshake timed out).
    expect(r.reason).toContain('ECONNREFUSED');
    expect(r.reason).not.toMatch(/timed out|deadline|within/);
    expect(r.methods).toEqual([]);
    expect(check('ssh.live_password_offered').evaluate(facts({ live: r })).status).toBe('unknown');
    expect(check('ssh.live_matches_config').evaluate(facts({ live: r })).status).toBe('unknown');
    expect(check('ssh.version_banner').evaluate(facts({ live: r })).status).toBe('skip');
  });

  it('(7) a peer that accepts and says nothing: timeout error at the deadline, connections closed', async () => {
    const held: Socket[] = [];
    const closed = new Set<Socket>();
    const port = await tcpServer((s) => {
      held.push(s);
      s.on('error', () => undefined);
      s.on('close', () => closed.add(s)).resume(); // read, so that the prober's hang-up is seen
    });
    const t0 = performance.now();
    const r = await probeLive({
      address: '127.0.0.1',
      port,
      users: ['root', randomProbeUser(), 'bob', 'alice'],
      timeoutMs: 1500,
    });
    // Not given up early (a timer never fires before its time; load only makes this longer).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(r.status).toBe('error');
    // Given up by the deadline of this call, not by some longer default.
    const budget = /timed out after (\d+) ms waiting for the SSH handshake \(no banner received\)/.exec(r.reason ?? '');
    if (budget) expect(Number(budget[1])).toBeLessThanOrEqual(1500);
    else expect(r.reason).toMatch(/^not probed: the 1500 ms deadline passed/);
    expect(r.methods).toEqual([]);
    // No hang: the prober closed every connection it opened.
    expect(held.length).toBeGreaterThan(0);
    await waitFor('the prober to close its connections', () => closed.size === held.length, 10_000);
  });

  it('(8a) a peer that sends garbage lines then a huge line: error result, no crash', async () => {
    const port = await tcpServer((s) => {
      s.on('error', () => undefined);
      s.write('hello there\r\nthis is not ssh\r\n');
      s.write('x'.repeat(200_000));
    });
    const r = await probeLive({ address: '127.0.0.1', port, users: ['root'], timeoutMs: 3000 });
    expect(r.status).toBe('error');
    // The bad input ended it, not the deadline.
    expect(r.reason).toMatch(/too long|Header|greeting/i);
    expect(r.reason).not.toMatch(/timed out|deadline/);
    expect(r.banner).toBeUndefined();
  });

  it('(8b) a peer with an invalid identification line, and one that hangs up at once: error results', async () => {
    const bad = await tcpServer((s) => {
      s.on('error', () => undefined);
      s.write('SSH-9.9\r\n');
    });
    const r1 = await probeLive({ address: '127.0.0.1', port: bad, users: ['root'], timeoutMs: 3000 });
    expect(r1.status).toBe('error');
    expect(r1.reason).toMatch(/identification/i);

    const hangup = await tcpServer((s) => s.destroy());
    const r2 = await probeLive({ address: '127.0.0.1', port: hangup, users: ['root', 'bob'], timeoutMs: 3000 });
    expect(r2.status).toBe('error');
    // The hang-up ended it, not the deadline.
    expect(r2.reason).not.toMatch(/timed out|deadline/);
  });

  it('(8c) an SSH server that sends a banner and then random bytes: error, banner kept', async () => {
    const port = await tcpServer((s) => {
      s.on('error', () => undefined);
      s.write('SSH-2.0-Fake_1.0 test\r\n');
      // The random bytes once the client has sent its own identification: they arrive as its first packet.
      s.once('data', () => s.writable && s.write(Buffer.alloc(64, 0xff)));
    });
    const r = await probeLive({ address: '127.0.0.1', port, users: ['root'], timeoutMs: 2000 });
    expect(r.status).not.toBe('ok');
    expect(r.banner).toBe('SSH-2.0-Fake_1.0 test');
  });

  it('an abort signal ends the probe mid-connection, not at the deadline', async () => {
    const held: Socket[] = [];
    const closed = new Set<Socket>();
    const ac = new AbortController();
    // A peer that says nothing; the abort comes once the probe is connected and waiting for it.
    const port = await tcpServer((s) => {
      held.push(s);
      s.on('error', () => undefined);
      s.on('close', () => closed.add(s)).resume(); // read, so that the prober's hang-up is seen
      ac.abort();
    });
    const r = await probeLive({
      address: '127.0.0.1',
      port,
      users: ['root', 'bob'],
      timeoutMs: 10_000,
      signal: ac.signal,
    });
    expect(r.status).toBe('error');
    expect(r.reason).toBe('aborted');
    expect(held.length).toBeGreaterThan(0);
    await waitFor('the prober to close its connections', () => closed.size === held.length, 10_000);
  });

  it('a daemon not reloaded after the config changed, and one run with -o Ciphers: live_matches_config fails', async () => {
    // Start with passwords on, then edit the file to say no without reloading.
    const d = await startSshd('PasswordAuthentication yes\nKbdInteractiveAuthentication no');
    const { readFile } = await import('node:fs/promises');
    await writeFile(
      d.cfg,
      (await readFile(d.cfg, 'utf8')).replace('PasswordAuthentication yes', 'PasswordAuthentication no'),
    );
    const r = await probeLive({ address: '127.0.0.1', port: d.port, users: ['root'], timeoutMs: 5000 });
    expect(methodsOf(r, 'root')).toEqual(['publickey', 'password']);
    const f = facts({ live: r, effective: [ctx('root', 'root', settingsFrom(await sshdT(d.cfg)))] });
    const m = check('ssh.live_matches_config').evaluate(f);
    expect(m.status).toBe('fail');
    expect(m.message).toContain('daemon not reloaded since the config changed');

    const o = await startSshd('PasswordAuthentication no', ['-o', 'Ciphers=aes256-gcm@openssh.com,aes256-ctr']);
    const r2 = await probeLive({ address: '127.0.0.1', port: o.port, users: ['root'], timeoutMs: 5000 });
    expect(r2.offered?.ciphers).toEqual(['aes256-gcm@openssh.com', 'aes256-ctr']);
    const m2 = check('ssh.live_matches_config').evaluate(
      facts({ live: r2, effective: [ctx('root', 'root', settingsFrom(await sshdT(o.cfg)))] }),
    );
    expect(m2.status).toBe('fail');
    expect(m2.message).toMatch(
      /Ciphers: the configuration allows chacha20-poly1305@openssh\.com,aes128-ctr,aes192-ctr,aes128-gcm@openssh\.com which the daemon does not offer/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Unit tests of the checks over hand-built facts

describe('liveChecks', () => {
  it('has the three checks with catalogue data', () => {
    expect(liveChecks.map((c) => [c.id, c.severity])).toEqual([
      ['ssh.live_password_offered', 'high'],
      ['ssh.live_matches_config', 'medium'],
      ['ssh.version_banner', 'low'],
    ]);
    for (const c of liveChecks) {
      expect(c.title).not.toBe('');
      expect(c.remediation).not.toBe('');
      expect(c.references.length).toBeGreaterThan(0);
    }
  });

  it('every check skips when the live probe is disabled', () => {
    for (const c of liveChecks) {
      const o = c.evaluate(facts({ options: { live: false } }));
      expect(o.status).toBe('skip');
      expect(o.message).toBe('live probe disabled');
    }
  });

  describe('ssh.live_password_offered', () => {
    const c = check('ssh.live_password_offered');
    it('passes when only publickey is offered', () => {
      const o = c.evaluate(facts({ live: liveOk({ root: ['publickey'], 'hostward-probe-00ff': ['publickey'] }) }));
      expect(o.status).toBe('pass');
      expect(o.message).toContain('offers no password methods to root and a non-existent user (hostward-probe-00ff)');
    });
    it('fails naming users and methods', () => {
      const o = c.evaluate(
        facts({
          live: liveOk({
            root: ['publickey'],
            bob: ['publickey', 'password', 'keyboard-interactive'],
            alice: ['password'],
          }),
        }),
      );
      expect(o.status).toBe('fail');
      expect(o.message).toBe(
        'the daemon at 127.0.0.1:22 offers password to bob and alice; offers keyboard-interactive to bob',
      );
    });
    it('fails loudly when the server accepts none', () => {
      const o = c.evaluate(facts({ live: liveOk({ guest: ['none'] }) }));
      expect(o.status).toBe('fail');
      expect(o.message).toContain('WITHOUT ANY CREDENTIAL for guest');
    });
    it('is unknown when enabled but unreachable, errored, pq_only or without a result', () => {
      const un = c.evaluate(
        facts({
          live: {
            address: '10.0.0.1',
            port: 22,
            status: 'unreachable',
            reason: '10.0.0.1:22: ECONNREFUSED',
            methods: [],
          },
        }),
      );
      expect(un.status).toBe('unknown');
      expect(un.message).toContain('ECONNREFUSED');
      expect(
        c.evaluate(facts({ live: { address: 'a', port: 1, status: 'error', reason: 'timed out', methods: [] } }))
          .message,
      ).toContain('timed out');
      const pq = c.evaluate(
        facts({
          live: { address: 'a', port: 1, status: 'pq_only', reason: PQ_ONLY_REASON, offered: OFFERED, methods: [] },
        }),
      );
      expect(pq.status).toBe('unknown');
      expect(pq.message).toContain(PQ_ONLY_REASON);
      expect(c.evaluate(facts({})).status).toBe('unknown');
    });
    it('mentions users it could not see', () => {
      const o = c.evaluate(facts({ live: liveOk({ root: ['publickey'] }, { reason: 'bob: timed out' }) }));
      expect(o.status).toBe('pass');
      expect(o.message).toContain('not seen: bob: timed out');
    });
  });

  describe('ssh.live_matches_config', () => {
    const c = check('ssh.live_matches_config');
    it('passes when lists and password exposure agree (pseudo-algorithms ignored)', () => {
      const o = c.evaluate(
        facts({ live: liveOk({ root: ['publickey'], bob: ['publickey'], 'hostward-probe-1': ['publickey'] }) }),
      );
      expect(o.status).toBe('pass');
    });
    it('fails on algorithms the config does not say, and on order', () => {
      const live = liveOk(
        { root: ['publickey'] },
        { offered: { ...OFFERED, macs: ['hmac-sha1', ...OFFERED.macs], ciphers: [...OFFERED.ciphers].reverse() } },
      );
      const o = c.evaluate(facts({ live }));
      expect(o.status).toBe('fail');
      expect(o.message).toContain('MACs: the daemon offers hmac-sha1 which the configuration does not allow');
      expect(o.message).toContain('Ciphers: same algorithms in a different order');
      expect(o.evidence?.length).toBeGreaterThan(0);
    });
    it('fails when the daemon offers password the config says no to', () => {
      const o = c.evaluate(facts({ live: liveOk({ root: ['publickey', 'password'] }) }));
      expect(o.status).toBe('fail');
      expect(o.message).toContain('daemon not reloaded since the config changed');
      expect(o.message).toContain('offers password to root');
    });
    it('uses the per-user context: a Match block enabling password for bob is not a mismatch', () => {
      const no = settingsFrom(BASE_SETTINGS);
      const yes = settingsFrom({ ...BASE_SETTINGS, passwordauthentication: 'yes' });
      const eff = [ctx('root', 'root', no), ctx('user', 'bob', yes), ctx('invalid', 'x', no)];
      const ok = c.evaluate(
        facts({
          effective: eff,
          live: liveOk({ root: ['publickey'], bob: ['publickey', 'password'], 'hostward-probe-9': ['publickey'] }),
        }),
      );
      expect(ok.status).toBe('pass');
      const bad = c.evaluate(
        facts({ effective: eff, live: liveOk({ 'hostward-probe-9': ['publickey', 'password'] }) }),
      );
      expect(bad.status).toBe('fail');
      expect(bad.message).toContain('a non-existent user');
    });
    it('keyboard-interactive is listed per KbdInteractiveAuthentication; AuthenticationMethods lists first methods only', () => {
      const kbd = c.evaluate(
        facts({
          settings: { kbdinteractiveauthentication: 'yes', usepam: 'no' },
          live: liveOk({ root: ['publickey', 'keyboard-interactive'] }),
        }),
      );
      expect(kbd.status).toBe('pass');
      const am = c.evaluate(
        facts({
          settings: { passwordauthentication: 'yes', authenticationmethods: 'publickey,password' },
          live: liveOk({ root: ['publickey'] }),
        }),
      );
      expect(am.status).toBe('pass');
      expect(am.message).not.toContain('does not offer');
    });
    it('notes but does not fail when the config enables password the daemon does not offer', () => {
      const o = c.evaluate(
        facts({ settings: { passwordauthentication: 'yes' }, live: liveOk({ root: ['publickey'] }) }),
      );
      expect(o.status).toBe('pass');
      expect(o.message).toContain('the configuration enables password for root but the daemon does not offer it');
    });
    it('is unknown without an effective configuration or a usable live result', () => {
      const f = facts({ live: liveOk({ root: ['publickey'] }) });
      f.effective = [];
      f.effectiveUnavailable = 'sshd_config unreadable';
      expect(c.evaluate(f)).toMatchObject({ status: 'unknown', message: 'sshd_config unreadable' });
      expect(
        c.evaluate(
          facts({ live: { address: 'a', port: 1, status: 'unreachable', reason: 'ECONNREFUSED', methods: [] } }),
        ).status,
      ).toBe('unknown');
    });
  });

  describe('ssh.version_banner', () => {
    const c = check('ssh.version_banner');
    it('fails on a distribution suffix, with DebianBanner evidence when the file has it', () => {
      const parsed: ParsedConfig = {
        mainFile: '/etc/ssh/sshd_config',
        files: ['/etc/ssh/sshd_config'],
        directives: [
          {
            keyword: 'debianbanner',
            args: ['yes'],
            file: '/etc/ssh/sshd_config',
            line: 7,
            text: 'DebianBanner yes',
            match: null,
          },
        ],
        matchBlocks: [],
        problems: [],
      };
      const o = c.evaluate(facts({ parsed, live: liveOk({}, { banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' }) }));
      expect(o.status).toBe('fail');
      expect(o.message).toContain('Debian-2+deb12u3');
      expect(o.evidence).toEqual([{ file: '/etc/ssh/sshd_config', line: 7, text: 'DebianBanner yes' }]);
    });
    it('passes on a bare version', () => {
      expect(c.evaluate(facts({ live: liveOk({}, { banner: 'SSH-2.0-OpenSSH_9.2p1' }) })).status).toBe('pass');
    });
    it('skips without a live result or banner', () => {
      expect(c.evaluate(facts({})).status).toBe('skip');
      const { banner: _b, ...noBanner } = liveOk({});
      expect(c.evaluate(facts({ live: noBanner })).status).toBe('skip');
    });
    it('is unknown on a banner that is not an identification line', () => {
      expect(c.evaluate(facts({ live: liveOk({}, { banner: 'hello' }) })).status).toBe('unknown');
    });
  });
});
