/**
 * Who may read the agent's endpoints, from its web configuration (src/agent/web-config.ts).
 *
 * As in exporter-toolkit, the TLS client-certificate policy and the HTTP credentials are separate layers, and
 * each configured one must pass: with `basic_auth_users` or `bearer_tokens_file`, a request needs one valid
 * Authorization header (either kind). Unlike exporter-toolkit, the client-certificate policy is enforced per
 * request rather than at the handshake, so that /healthz and /readyz still answer the kubelet's probes, which
 * cannot present a certificate or credentials (and reveal nothing but "ok").
 *
 * bcrypt is deliberately slow (cost 10 is about 0.1 s in pure JavaScript), so, like exporter-toolkit, results
 * are cached (by a SHA-256 of user, hash and password: no password is kept), comparisons run one at a time,
 * and an unknown user is compared against a decoy hash so that timing does not tell which users exist. More
 * than MAX_WAITING comparisons waiting are answered 429 rather than queued without bound.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type * as Bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import { TokenSet } from '../collector/auth.js';
import { ConfigError } from '../config/config.js';
import { loadWebConfig, tlsMaterial, webConfigStamp } from './web-config.js';
import type { TlsMaterial, WebConfig } from './web-config.js';

export type AuthMethod = 'basic' | 'bearer' | 'client-certificate';

export type Verdict = { ok: true } | { ok: false; status: 401 | 403 | 429; error: string; challenge?: string[] };

type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
/** What a TLS server (or its setSecureContext) is given. */
export interface TlsServerOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  requestCert: boolean;
  rejectUnauthorized: false;
}

const OK: Verdict = { ok: true };
const forbidden = (error: string): Verdict => ({ ok: false, status: 403, error });

const CACHE_MAX = 256;
const MAX_WAITING = 16;
/** bcrypt reads at most 72 bytes; a longer password would match on its first 72 (Go refuses them too). */
const BCRYPT_MAX_BYTES = 72;
const RELOAD_EVERY_MS = 1000;

const load = createRequire(import.meta.url);
let bcryptLib: typeof Bcrypt | undefined;
// Loaded only when basic_auth_users is set: an agent without it does not pay for it in idle memory.
const bcrypt = (): typeof Bcrypt => (bcryptLib ??= load('bcryptjs') as typeof Bcrypt);

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** The web configuration in force, re-read when its file or the files it names change. */
export class WebGuard {
  private cfg: WebConfig | undefined;
  private stamp = '';
  private checkedAt = 0;
  private tokens: TokenSet | undefined;
  private cache = new Map<string, boolean>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private decoy: Promise<string> | undefined;
  private material: TlsMaterial | undefined;

  /** Without a file: plain HTTP, nothing asked, and the report refused. Throws ConfigError on a bad file. */
  constructor(
    private readonly file: string | undefined,
    private readonly log: Logger,
  ) {
    if (file !== undefined) this.apply(loadWebConfig(file));
  }

  get tls(): boolean {
    return this.cfg?.tls !== undefined;
  }

  /** What protected paths require; empty when nothing is configured. */
  methods(): AuthMethod[] {
    const m: AuthMethod[] = [];
    if (this.cfg && Object.keys(this.cfg.basicAuthUsers).length > 0) m.push('basic');
    if (this.tokens) m.push('bearer');
    if (this.cfg?.tls?.clientAuthType === 'RequireAndVerifyClientCert') m.push('client-certificate');
    return m;
  }

  /** Options for a TLS server (or its setSecureContext); certificates are asked for, verified per request. */
  tlsOptions(): TlsServerOptions {
    const t = this.cfg?.tls;
    if (!t || !this.material) throw new Error('TLS is not configured');
    const requestCert = t.clientAuthType !== 'NoClientCert';
    const { minVersion, maxVersion } = t;
    return { ...this.material, minVersion, maxVersion, requestCert, rejectUnauthorized: false };
  }

  private apply(cfg: WebConfig): void {
    const material = cfg.tls ? tlsMaterial(cfg.tls, cfg.file) : undefined;
    let tokens: TokenSet | undefined;
    if (cfg.bearerTokensFile) {
      try {
        tokens = new TokenSet(cfg.bearerTokensFile);
      } catch (e) {
        throw new ConfigError('bearer_tokens_file', (e as Error).message, `web configuration ${cfg.file}`);
      }
    }
    this.cfg = cfg;
    this.material = material;
    this.tokens = tokens;
    this.stamp = webConfigStamp(cfg);
    this.cache.clear();
    this.decoy = undefined;
  }

  /**
   * Re-read the configuration when a file changed (checked at most once a second). Returns true when the TLS
   * material changed, so that servers load it. A bad new file keeps the old configuration, and says so.
   */
  refresh(now = Date.now()): boolean {
    if (!this.cfg || now - this.checkedAt < RELOAD_EVERY_MS) return false;
    this.checkedAt = now;
    if (webConfigStamp(this.cfg) === this.stamp) return false;
    const before = this.material;
    const file = this.cfg.file;
    try {
      const next = loadWebConfig(file);
      if ((next.tls === undefined) !== (this.cfg.tls === undefined)) {
        this.stamp = webConfigStamp(this.cfg);
        this.log.error({ file }, 'web configuration: turning TLS on or off needs a restart; keeping the running one');
        return false;
      }
      this.apply(next);
      this.log.info({ file, tls: this.tls, authentication: this.methods() }, 'web configuration reloaded');
    } catch (e) {
      // ConfigError messages name the file and the key, never what the file holds.
      this.stamp = webConfigStamp(this.cfg);
      this.log.error({ err: (e as Error).message }, 'web configuration reload failed; keeping the running one');
      return false;
    }
    return this.material !== before;
  }

  /** Decide a request to a protected path: the client-certificate policy first, then the credentials. */
  async authenticate(req: IncomingMessage): Promise<Verdict> {
    return this.certificateVerdict(req) ?? (await this.credentialsVerdict(req.headers.authorization ?? ''));
  }

  private async credentialsVerdict(header: string): Promise<Verdict> {
    const users = this.cfg?.basicAuthUsers ?? {};
    const basic = Object.keys(users).length > 0;
    if (!basic && !this.tokens) return OK;
    const challenge: string[] = [];
    if (basic) challenge.push('Basic realm="hostward", charset="UTF-8"');
    if (this.tokens) challenge.push('Bearer realm="hostward"');
    const denied: Verdict = { ok: false, status: 401, error: 'authentication required', challenge };
    if (this.tokens && /^Bearer /i.test(header)) return this.tokens.check(header) ? OK : denied;
    const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    const text = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = text.indexOf(':');
    if (!basic || colon < 0) return denied;
    try {
      return (await this.basicOk(users, text.slice(0, colon), text.slice(colon + 1))) ? OK : denied;
    } catch (e) {
      if (e instanceof Busy)
        return { ok: false, status: 429, error: 'too many authentication attempts at once; retry' };
      throw e;
    }
  }

  private certificateVerdict(req: IncomingMessage): Verdict | undefined {
    const type = this.cfg?.tls?.clientAuthType ?? 'NoClientCert';
    if (type === 'NoClientCert' || type === 'RequestClientCert') return undefined;
    const sock = req.socket as TLSSocket;
    const given = typeof sock.getPeerCertificate === 'function' && Object.keys(sock.getPeerCertificate()).length > 0;
    const verified = given && sock.authorized;
    if (type === 'RequireAnyClientCert' && !given) return forbidden('a client certificate is required');
    if (type === 'VerifyClientCertIfGiven' && given && !verified)
      return forbidden('the client certificate does not verify');
    if (type === 'RequireAndVerifyClientCert' && !verified)
      return forbidden('a client certificate of the CA is required');
    return undefined;
  }

  private async basicOk(users: Record<string, string>, user: string, password: string): Promise<boolean> {
    const hash = users[user];
    const key = sha256(user, hash ?? '', password);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    if (this.waiting >= MAX_WAITING) throw new Busy();
    this.waiting++;
    const compared = this.queue.then(async () => {
      const against = hash ?? (await this.decoyHash(users));
      const ok = Buffer.byteLength(password) <= BCRYPT_MAX_BYTES && (await bcrypt().compare(password, against));
      return ok && hash !== undefined;
    });
    this.queue = compared.catch(() => undefined);
    try {
      const ok = await compared;
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, ok);
      return ok;
    } finally {
      this.waiting--;
    }
  }

  /** A hash of a random password at the cost of the configured ones, made once. */
  private decoyHash(users: Record<string, string>): Promise<string> {
    const cost = Math.max(...Object.values(users).map((h) => bcrypt().getRounds(h)));
    return (this.decoy ??= bcrypt().hash(randomBytes(18).toString('base64'), cost));
  }
}

class Busy extends Error {}
