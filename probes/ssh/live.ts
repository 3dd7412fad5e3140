/**
 * The live probe: connects to the running sshd with ssh2 and looks, without logging in. Per user it reads the
 * server's identification line, the algorithm lists the server offers in its KEXINIT (from ssh2's debug
 * stream) and the authentication methods the server lists after a `none` attempt. It never sends a password,
 * key or any other credential, accepts any host key (it trusts nothing it sees, it only looks), never throws
 * and always resolves within `timeoutMs` (plus a few milliseconds of teardown).
 *
 * When ssh2 cannot complete the key exchange (a post-quantum-only server, or no common cipher/MAC), the
 * offered lists still come from the debug stream as far as ssh2 got, and the rest from a minimal raw read of
 * the server's KEXINIT packet (plain TCP: identification exchange, first binary packet, nothing sent after).
 */
import { mapLimit } from '../../src/sdk.js';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import type { Algorithms, AuthHandlerMiddleware, ConnectConfig, Client } from 'ssh2';
import type { LiveMethods, LiveResult } from './types.js';

export interface LiveProbeOptions {
  address: string;
  port: number;
  /** User names to ask about, one connection each. Empty means one random, non-existent user. */
  users: string[];
  /** Deadline for the whole probe (all connections), in milliseconds. */
  timeoutMs: number;
  signal?: AbortSignal;
}

type Offered = NonNullable<LiveResult['offered']>;
type ConnStatus = LiveResult['status'];

/** At most this many connections at once: sshd's MaxStartups (default 10:30:100) must not drop us. */
export const LIVE_CONCURRENCY = 3;

export const PQ_ONLY_REASON =
  'server offers only post-quantum key exchange, which ssh2 cannot negotiate: hardened beyond the probe';

/** KEXINIT entries that are protocol signals, not key exchange methods. */
export function isKexPseudo(name: string): boolean {
  return name.startsWith('ext-info-') || name.startsWith('kex-strict-');
}

/** Post-quantum hybrid key exchange methods (sntrup761x25519, mlkem768x25519, ...), which ssh2 1.17 lacks. */
export function isPqKex(name: string): boolean {
  return /^(sntrup|mlkem)/i.test(name);
}

/** A user name that cannot exist on the host: `hostward-probe-<8 random hex bytes>`. */
export function randomProbeUser(): string {
  return `hostward-probe-${randomBytes(8).toString('hex')}`;
}

interface ConnResult {
  user: string;
  status: ConnStatus;
  reason?: string;
  banner?: string;
  offered?: Offered;
  methods?: string[];
  /** Whether the TCP connection was established (for telling a timeout from an unreachable host). */
  connected: boolean;
}

/** The ssh2 algorithm lists to offer: ssh2's defaults first, then its legacy extras, so old servers still talk. */
let offerCache: { value: Algorithms | undefined } | undefined;
function offerAlgorithms(): Algorithms | undefined {
  offerCache ??= { value: readOffer() };
  return offerCache.value;
}
function readOffer(): Algorithms | undefined {
  try {
    const req = createRequire(import.meta.url);
    const c = req('ssh2/lib/protocol/constants.js') as Record<string, unknown>;
    const list = (k: string): string[] | undefined => {
      const v = c[k];
      return Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0 ? v : undefined;
    };
    const kex = list('SUPPORTED_KEX');
    const hostKey = list('SUPPORTED_SERVER_HOST_KEY');
    const cipher = list('SUPPORTED_CIPHER');
    const mac = list('SUPPORTED_MAC');
    if (!kex || !hostKey || !cipher || !mac) return undefined;
    return { kex, serverHostKey: hostKey, cipher, hmac: mac } as Algorithms;
  } catch {
    return undefined;
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Undo util.inspect's quoting of a string: `'abc'` or `"it's"` -> the string. */
function unquote(s: string): string {
  const q = s[0];
  if (s.length >= 2 && (q === "'" || q === '"' || q === '`') && s.endsWith(q)) {
    return s
      .slice(1, -1)
      .replace(/\\(['"`\\])/g, '$1')
      .replace(/\\r/g, '')
      .replace(/\\n/g, '');
  }
  return s;
}

function splitList(s: string): string[] {
  return s.trim() === ''
    ? []
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
}

function emptyOffered(): Offered {
  return { kex: [], hostKey: [], ciphers: [], macs: [], compression: [] };
}

/** Parse one ssh2 debug line into the connection's record. */
function onDebugLine(line: string, seen: { banner?: string; offered: Partial<Offered> }): void {
  const ident = /^Remote ident: (.*)$/s.exec(line);
  if (ident) {
    seen.banner = unquote(ident[1]!.trim()).trim();
    return;
  }
  const m = /^Handshake: \(remote\) (KEX method|Host key format|C->S cipher|C->S MAC|C->S compression): (.*)$/s.exec(
    line,
  );
  if (!m) return;
  const values = splitList(m[2]!);
  switch (m[1]) {
    case 'KEX method':
      seen.offered.kex = values;
      break;
    case 'Host key format':
      seen.offered.hostKey = values;
      break;
    case 'C->S cipher':
      seen.offered.ciphers = values;
      break;
    case 'C->S MAC':
      seen.offered.macs = values;
      break;
    case 'C->S compression':
      seen.offered.compression = values;
      break;
  }
}

function isComplete(o: Partial<Offered>): o is Offered {
  return (
    o.kex !== undefined &&
    o.hostKey !== undefined &&
    o.ciphers !== undefined &&
    o.macs !== undefined &&
    o.compression !== undefined
  );
}

type ClientClass = new () => Client;
let clientClass: Promise<ClientClass> | undefined;
/** ssh2 is loaded on first use, not at import: the catalogue and the idle agent never pay for it. */
function loadClient(): Promise<ClientClass> {
  clientClass ??= import('ssh2').then(
    (m) => (m as unknown as { Client?: ClientClass; default?: { Client: ClientClass } }).Client ?? m.default.Client,
  );
  return clientClass;
}

/** Where one connection is going, and what it has seen so far. */
interface Attempt {
  address: string;
  port: number;
  user: string;
  budgetMs: number;
  seen: { banner?: string; offered: Partial<Offered> };
  connected: boolean;
  /** The methods the server listed after `none` (['none'] when it accepted it). */
  methods?: string[];
}

function handshakeTimeout(a: Attempt): string {
  const got = a.seen.banner ? 'banner received' : 'no banner received';
  return `timed out after ${a.budgetMs} ms waiting for the SSH handshake (${got})`;
}

/** What an ssh2 error means for the connection, before the methods were listed. */
function errorOutcome(a: Attempt, err: Error & { level?: string; code?: unknown }): [ConnStatus, string] {
  const level = err.level ?? '';
  const code = typeof err.code === 'string' ? err.code : '';
  if (level === 'client-socket' && !a.connected)
    return ['unreachable', `${a.address}:${a.port}: ${UNREACHABLE_CODES.has(code) ? code : err.message}`];
  if (level === 'handshake' && /no matching key exchange/i.test(err.message)) {
    const kex = (a.seen.offered.kex ?? []).filter((k) => !isKexPseudo(k));
    if (kex.length > 0 && kex.every(isPqKex)) return ['pq_only', PQ_ONLY_REASON];
  }
  if (level === 'handshake') return ['handshake_failed', err.message];
  if (level === 'client-timeout') return ['error', handshakeTimeout(a)];
  return ['error', err.message || String(err)];
}

function resultOf(a: Attempt, status: ConnStatus, reason: string | undefined): ConnResult {
  const r: ConnResult = { user: a.user, status, connected: a.connected };
  if (reason !== undefined) r.reason = reason;
  if (a.seen.banner !== undefined) r.banner = a.seen.banner;
  const o = a.seen.offered;
  if (o.kex !== undefined) r.offered = { ...emptyOffered(), ...o };
  if (a.methods !== undefined) r.methods = a.methods;
  return r;
}

/** Tear down without waiting for the peer: end politely, then destroy the socket. */
function tearDown(client: Client): void {
  try {
    client.end();
  } catch {
    /* already closed */
  }
  try {
    client.destroy();
  } catch {
    /* already destroyed */
  }
}

/** Ask for `none`, which carries no credential; the failure reply lists the methods, and nothing else is tried. */
function noneOnly(a: Attempt): AuthHandlerMiddleware {
  return (methodsLeft, _partial, next) => {
    if (methodsLeft === null || methodsLeft === undefined) {
      next({ type: 'none', username: a.user });
      return;
    }
    a.methods = [...methodsLeft];
    // Nothing else to try: ssh2 then emits 'error' (client-authentication) and ends the connection.
    (next as unknown as (v: false) => void)(false);
  };
}

function connectConfig(a: Attempt): ConnectConfig {
  const cfg: ConnectConfig = {
    host: a.address,
    port: a.port,
    username: a.user,
    readyTimeout: a.budgetMs,
    keepaliveInterval: 0,
    authHandler: noneOnly(a),
    hostVerifier: () => true,
    debug: (line: string) => onDebugLine(line, a.seen),
    ident: 'hostward_probe',
  };
  const offer = offerAlgorithms();
  if (offer) cfg.algorithms = offer;
  return cfg;
}

type Finish = (status: ConnStatus, reason?: string) => void;

/** The client's events decide how the connection ended (the socket's own `connect` has set `connected`). */
function watchClient(client: Client, a: Attempt, finish: Finish, isDone: () => boolean): void {
  client.on('ready', () => {
    // The server accepted `none`: anyone can log in as this user without any credential.
    a.methods = ['none'];
    finish('ok');
  });
  client.on('error', (err: Error & { level?: string; code?: unknown }) => {
    if (isDone()) return; // ssh2 can emit a second error (e.g. "Connection lost before handshake") after the first.
    if (a.methods !== undefined) finish('ok');
    else finish(...errorOutcome(a, err));
  });
  client.on('close', () => {
    if (isDone()) return;
    if (a.methods !== undefined) finish('ok');
    else
      finish(
        'error',
        a.connected
          ? 'connection closed by the server before authentication'
          : `${a.address}:${a.port}: connection closed`,
      );
  });
}

/**
 * Hand a connected socket to ssh2, loaded only now: where nothing listens (the common case on a node without
 * sshd, or on loopback) the refusal is known without paying ssh2's ~70 ms of module loading.
 */
function startSsh2(sock: Socket, a: Attempt, finish: Finish, isDone: () => boolean): Promise<Client | undefined> {
  return loadClient().then((Ssh2Client) => {
    if (isDone()) return undefined;
    const client = new Ssh2Client();
    watchClient(client, a, finish, isDone);
    sock.removeAllListeners('error').removeAllListeners('close');
    client.connect({ ...connectConfig(a), sock });
    return client;
  });
}

/** Until ssh2 has the socket, its own events decide: refused, reset, closed. */
function watchSocket(sock: Socket, a: Attempt, finish: Finish): void {
  sock.on('error', (err: Error) => finish(...errorOutcome(a, Object.assign(err, { level: 'client-socket' }))));
  sock.on('close', () => finish('error', `${a.address}:${a.port}: connection closed`));
}

/** One connection: TCP first, then ssh2 for the banner, offered lists, methods listed after `none`. Never rejects. */
function probeUser(
  address: string,
  port: number,
  user: string,
  budgetMs: number,
  signal: AbortSignal,
): Promise<ConnResult> {
  return new Promise<ConnResult>((resolve) => {
    const sock = new Socket();
    let client: Client | undefined;
    const a: Attempt = { address, port, user, budgetMs, seen: { offered: {} }, connected: false };
    let done = false;
    let hard: NodeJS.Timeout | undefined;
    const finish: Finish = (status, reason) => {
      if (done) return;
      done = true;
      if (hard) clearTimeout(hard);
      signal.removeEventListener('abort', onAbort);
      if (client) tearDown(client);
      sock.destroy();
      resolve(resultOf(a, status, reason));
    };
    const onAbort = (): void => finish('error', 'aborted');
    if (signal.aborted) return finish('error', 'aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    // The hard deadline: independent of ssh2's own readyTimeout, and it destroys the socket.
    hard = setTimeout(() => {
      if (a.connected) finish('error', handshakeTimeout(a));
      else finish('unreachable', `no TCP connection to ${address}:${port} within ${budgetMs} ms`);
    }, budgetMs);
    watchSocket(sock, a, finish);
    sock.once('connect', () => {
      a.connected = true;
      startSsh2(sock, a, finish, () => done).then(
        (c) => (client = c),
        (e: unknown) => finish('error', e instanceof Error ? e.message : String(e)),
      );
    });
    sock.connect({ host: address, port });
  });
}

/**
 * Read the server's KEXINIT over plain TCP: send an identification line, read the server's, then its first
 * binary packet (unencrypted by definition), and close. Used only when ssh2 stopped before logging all lists.
 */
export function readServerKexinit(
  address: string,
  port: number,
  budgetMs: number,
  signal?: AbortSignal,
): Promise<{ banner: string; offered: Offered } | { error: string }> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = Buffer.alloc(0);
    let banner: string | undefined;
    let done = false;
    const finish = (r: { banner: string; offered: Offered } | { error: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ error: 'aborted' });
    const timer = setTimeout(() => finish({ error: `timed out after ${budgetMs} ms reading KEXINIT` }), budgetMs);
    if (signal?.aborted) {
      finish({ error: 'aborted' });
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e) => finish({ error: e.message }));
    sock.on('close', () => finish({ error: 'connection closed before KEXINIT' }));
    sock.on('connect', () => sock.write('SSH-2.0-hostward_probe\r\n'));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 256 * 1024) return finish({ error: 'no KEXINIT in the first 256 KiB' });
      while (banner === undefined) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          if (buf.length > 8192) finish({ error: 'identification line too long' });
          return;
        }
        const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        buf = buf.subarray(nl + 1);
        if (line.startsWith('SSH-')) banner = line;
      }
      if (buf.length < 6) return;
      const len = buf.readUInt32BE(0);
      if (len < 2 || len > 35000) return finish({ error: `bad packet length ${len}` });
      if (buf.length < 4 + len) return;
      const pad = buf[4]!;
      const payload = buf.subarray(5, 4 + len - pad);
      if (payload[0] !== 20) return finish({ error: `first packet is type ${payload[0] ?? '?'}, not KEXINIT` });
      let p = 17;
      const lists: string[][] = [];
      for (let i = 0; i < 10; i++) {
        if (p + 4 > payload.length) return finish({ error: 'truncated KEXINIT' });
        const n = payload.readUInt32BE(p);
        p += 4;
        if (p + n > payload.length) return finish({ error: 'truncated KEXINIT' });
        lists.push(splitList(payload.subarray(p, p + n).toString('latin1')));
        p += n;
      }
      finish({
        banner,
        offered: { kex: lists[0]!, hostKey: lists[1]!, ciphers: lists[2]!, macs: lists[4]!, compression: lists[6]! },
      });
    });
    sock.connect({ host: address, port });
  });
}

/** Which single status describes the run when no connection got as far as the auth methods. */
const STATUS_RANK: Record<ConnStatus, number> = { ok: 0, pq_only: 1, handshake_failed: 2, error: 3, unreachable: 4 };

/** One connection per user, at most LIVE_CONCURRENCY at once, each within what is left of the deadline. */
async function probeUsers(
  address: string,
  port: number,
  users: readonly string[],
  timeoutMs: number,
  deadline: number,
  signal: AbortSignal,
): Promise<ConnResult[]> {
  let unreachable: ConnResult | undefined;
  return mapLimit(users, LIVE_CONCURRENCY, async (user): Promise<ConnResult> => {
    const left = deadline - Date.now();
    if (left <= 0)
      return { user, status: 'error', reason: `not probed: the ${timeoutMs} ms deadline passed`, connected: false };
    if (signal.aborted) return { user, status: 'error', reason: 'aborted', connected: false };
    // A refused or unreachable port fails every user the same way: do not knock again.
    if (unreachable) return { ...unreachable, user };
    const r = await probeUser(address, port, user, left, signal);
    if (r.status === 'unreachable') unreachable = r;
    return r;
  });
}

/** The run's status: ok when a connection listed the methods, else the most telling failure; with the reasons. */
function summarise(base: LiveResult, results: readonly ConnResult[]): LiveResult {
  const result: LiveResult = { ...base };
  const banner = results.find((r) => r.banner !== undefined)?.banner;
  if (banner !== undefined) result.banner = banner;
  result.methods = results
    .filter((r) => r.methods !== undefined)
    .map((r): LiveMethods => ({ user: r.user, methods: r.methods! }));
  const failed = results.filter((r) => r.status !== 'ok');
  const worst = [...results].sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status])[0];
  const each = (rs: readonly ConnResult[]) => rs.map((r) => `${r.user}: ${r.reason ?? r.status}`).join('; ');
  if (results.some((r) => r.status === 'ok')) {
    result.status = 'ok';
    if (failed.length > 0) result.reason = each(failed);
  } else if (worst) {
    result.status = worst.status;
    const reasons = [...new Set(results.map((r) => r.reason ?? r.status))];
    result.reason = reasons.length === 1 ? reasons[0]! : each(results);
  } else {
    result.reason = 'no users to probe';
  }
  return result;
}

/** Lists ssh2 did not log taken from the raw KEXINIT; the ones it did log kept. */
function fillOffered(from: Offered | undefined, raw: Offered): Offered {
  const pick = (k: keyof Offered) => (from && from[k].length > 0 ? from[k] : raw[k]);
  return {
    kex: pick('kex'),
    hostKey: pick('hostKey'),
    ciphers: pick('ciphers'),
    macs: pick('macs'),
    compression: pick('compression'),
  };
}

/**
 * ssh2 stops logging offered lists at the first category it cannot match: when the handshake failed, fill the
 * rest from a raw read of the server's KEXINIT within what is left of the deadline.
 */
async function completeOffered(
  result: LiveResult,
  results: readonly ConnResult[],
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  let offered =
    results.find((r) => r.offered && isComplete(r.offered))?.offered ?? results.find((r) => r.offered)?.offered;
  const needRaw =
    (result.status === 'pq_only' || result.status === 'handshake_failed') &&
    (offered === undefined || !isComplete(offered) || offered.ciphers.length === 0);
  const left = deadline - Date.now();
  if (needRaw && left > 50 && !signal.aborted) {
    const raw = await readServerKexinit(result.address, result.port, left, signal);
    if ('offered' in raw) {
      offered = fillOffered(offered, raw.offered);
      if (result.banner === undefined) result.banner = raw.banner;
    }
  }
  if (offered) result.offered = offered;
}

/**
 * Probe the daemon at address:port once per user. Resolves (never rejects) within about `timeoutMs`.
 * Status is `ok` when at least one connection listed the methods; `reason` then names users that failed.
 */
export async function probeLive(opts: LiveProbeOptions): Promise<LiveResult> {
  const { address, port } = opts;
  const base: LiveResult = { address, port, status: 'error', methods: [] };
  try {
    const timeoutMs = Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0 ? opts.timeoutMs : 10_000;
    const deadline = Date.now() + timeoutMs;
    const users = [...new Set(opts.users.length > 0 ? opts.users : [randomProbeUser()])];
    const ac = new AbortController();
    const onOuterAbort = (): void => ac.abort();
    if (opts.signal?.aborted) return { ...base, reason: 'aborted' };
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const results = await probeUsers(address, port, users, timeoutMs, deadline, ac.signal);
      const result = summarise(base, results);
      await completeOffered(result, results, deadline, ac.signal);
      return result;
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
  } catch (e) {
    return { ...base, reason: `live probe failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
