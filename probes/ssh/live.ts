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

/** One ssh2 connection: banner, offered lists, methods listed after `none`. Never rejects. */
function probeUser(
  Ssh2Client: ClientClass,
  address: string,
  port: number,
  user: string,
  budgetMs: number,
  signal: AbortSignal,
): Promise<ConnResult> {
  return new Promise<ConnResult>((resolve) => {
    const client = new Ssh2Client();
    const seen: { banner?: string; offered: Partial<Offered> } = { offered: {} };
    let connected = false;
    let methods: string[] | undefined;
    let done = false;
    let hard: NodeJS.Timeout | undefined;

    const finish = (status: ConnStatus, reason?: string): void => {
      if (done) return;
      done = true;
      if (hard) clearTimeout(hard);
      signal.removeEventListener('abort', onAbort);
      // Tear down without waiting for the peer: end politely, then destroy the socket.
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
      const r: ConnResult = { user, status, connected };
      if (reason !== undefined) r.reason = reason;
      if (seen.banner !== undefined) r.banner = seen.banner;
      const o = seen.offered;
      if (o.kex !== undefined) r.offered = { ...emptyOffered(), ...o };
      if (methods !== undefined) r.methods = methods;
      resolve(r);
    };
    const onAbort = (): void => finish('error', 'aborted');

    if (signal.aborted) {
      finish('error', 'aborted');
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    // The hard deadline: independent of ssh2's own readyTimeout, and it destroys the socket.
    hard = setTimeout(() => {
      finish(
        connected ? 'error' : 'unreachable',
        connected
          ? `timed out after ${budgetMs} ms waiting for the SSH handshake (${seen.banner ? 'banner received' : 'no banner received'})`
          : `no TCP connection to ${address}:${port} within ${budgetMs} ms`,
      );
    }, budgetMs);

    const authHandler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
      if (methodsLeft === null || methodsLeft === undefined) {
        // First call: ask for `none`, which carries no credential. The failure reply lists the methods.
        next({ type: 'none', username: user });
        return;
      }
      methods = [...methodsLeft];
      // Nothing else to try: ssh2 then emits 'error' (client-authentication) and ends the connection.
      (next as unknown as (v: false) => void)(false);
    };

    client.on('connect', () => {
      connected = true;
    });
    client.on('ready', () => {
      // The server accepted `none`: anyone can log in as this user without any credential.
      methods = ['none'];
      finish('ok');
    });
    client.on('error', (err: Error & { level?: string; code?: unknown }) => {
      if (done) return; // ssh2 can emit a second error (e.g. "Connection lost before handshake") after the first.
      if (methods !== undefined) {
        finish('ok');
        return;
      }
      const level = err.level ?? '';
      const code = typeof err.code === 'string' ? err.code : '';
      if (level === 'client-socket' && !connected) {
        finish('unreachable', `${address}:${port}: ${UNREACHABLE_CODES.has(code) ? code : err.message}`);
        return;
      }
      if (level === 'handshake' && /no matching key exchange/i.test(err.message)) {
        const kex = (seen.offered.kex ?? []).filter((k) => !isKexPseudo(k));
        if (kex.length > 0 && kex.every(isPqKex)) {
          finish('pq_only', PQ_ONLY_REASON);
          return;
        }
      }
      if (level === 'handshake') {
        finish('handshake_failed', err.message);
        return;
      }
      if (level === 'client-timeout') {
        finish(
          'error',
          `timed out after ${budgetMs} ms waiting for the SSH handshake (${seen.banner ? 'banner received' : 'no banner received'})`,
        );
        return;
      }
      finish('error', err.message || String(err));
    });
    client.on('close', () => {
      if (done) return;
      if (methods !== undefined) finish('ok');
      else
        finish(
          'error',
          connected ? 'connection closed by the server before authentication' : `${address}:${port}: connection closed`,
        );
    });

    const cfg: ConnectConfig = {
      host: address,
      port,
      username: user,
      readyTimeout: budgetMs,
      keepaliveInterval: 0,
      authHandler,
      hostVerifier: () => true,
      debug: (line: string) => onDebugLine(line, seen),
      ident: 'hostward_probe',
    };
    const offer = offerAlgorithms();
    if (offer) cfg.algorithms = offer;
    try {
      client.connect(cfg);
    } catch (e) {
      finish('error', e instanceof Error ? e.message : String(e));
    }
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

/**
 * Probe the daemon at address:port once per user. Resolves (never rejects) within about `timeoutMs`.
 * Status is `ok` when at least one connection listed the methods; `reason` then names users that failed.
 */
export async function probeLive(opts: {
  address: string;
  port: number;
  users: string[];
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<LiveResult> {
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
    let unreachable: ConnResult | undefined;
    const Ssh2Client = await loadClient();
    try {
      const results = await mapLimit(users, LIVE_CONCURRENCY, async (user): Promise<ConnResult> => {
        const left = deadline - Date.now();
        if (left <= 0)
          return { user, status: 'error', reason: `not probed: the ${timeoutMs} ms deadline passed`, connected: false };
        if (ac.signal.aborted) return { user, status: 'error', reason: 'aborted', connected: false };
        // A refused or unreachable port fails every user the same way: do not knock again.
        if (unreachable) return { ...unreachable, user };
        const r = await probeUser(Ssh2Client, address, port, user, left, ac.signal);
        if (r.status === 'unreachable') unreachable = r;
        return r;
      });

      const result: LiveResult = { ...base };
      const banner = results.find((r) => r.banner !== undefined)?.banner;
      if (banner !== undefined) result.banner = banner;
      let offered =
        results.find((r) => r.offered && isComplete(r.offered))?.offered ?? results.find((r) => r.offered)?.offered;
      result.methods = results
        .filter((r) => r.methods !== undefined)
        .map((r): LiveMethods => ({ user: r.user, methods: r.methods! }));

      const failed = results.filter((r) => r.status !== 'ok');
      const worst = [...results].sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status])[0];
      if (results.some((r) => r.status === 'ok')) {
        result.status = 'ok';
        if (failed.length > 0) result.reason = failed.map((r) => `${r.user}: ${r.reason ?? r.status}`).join('; ');
      } else if (worst) {
        result.status = worst.status;
        const reasons = [...new Set(results.map((r) => r.reason ?? r.status))];
        result.reason =
          reasons.length === 1 ? reasons[0]! : results.map((r) => `${r.user}: ${r.reason ?? r.status}`).join('; ');
      } else {
        result.reason = 'no users to probe';
      }

      // ssh2 stops logging offered lists at the first category it cannot match: fill the rest from a raw read.
      const needRaw =
        (result.status === 'pq_only' || result.status === 'handshake_failed') &&
        (offered === undefined || !isComplete(offered) || offered.ciphers.length === 0);
      const left = deadline - Date.now();
      if (needRaw && left > 50 && !ac.signal.aborted) {
        const raw = await readServerKexinit(address, port, left, ac.signal);
        if ('offered' in raw) {
          const from = offered;
          offered = {
            kex: from && from.kex.length > 0 ? from.kex : raw.offered.kex,
            hostKey: from && from.hostKey.length > 0 ? from.hostKey : raw.offered.hostKey,
            ciphers: from && from.ciphers.length > 0 ? from.ciphers : raw.offered.ciphers,
            macs: from && from.macs.length > 0 ? from.macs : raw.offered.macs,
            compression: from && from.compression.length > 0 ? from.compression : raw.offered.compression,
          };
          if (result.banner === undefined) result.banner = raw.banner;
        }
      }
      if (offered) result.offered = offered;
      return result;
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
  } catch (e) {
    return { ...base, reason: `live probe failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
