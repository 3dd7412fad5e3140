/**
 * Projected ServiceAccount tokens as agent credentials, after SPIRE's k8s_psat node attestor: the agent pod
 * mounts a short-lived token bound to the collector's audience, and the collector verifies it offline with the
 * cluster issuer's public keys (a JWKS file: what `kubectl get --raw /openid/v1/jwks` prints) and takes the node
 * from the token's own claims. No call to the API server: the node is the `kubernetes.io.node.name` claim, which
 * Kubernetes 1.30 and later put into tokens of pods bound to a node; a token without it is refused.
 *
 * The verifier is small on purpose (node:crypto only): RS256 and ES256 signatures, a key chosen by `kid`, `exp`
 * required, `nbf` and `iat` checked with a little leeway, `iss` and `aud` compared exactly, and the token's
 * service account held to an allow list (any pod may ask for a token with our audience for its own account).
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export interface SaTokenOptions {
  /** The cluster's service account issuer (`--service-account-issuer`): the tokens' `iss`. */
  issuer: string;
  /** The audience the agents' projected tokens are issued for. */
  audience: string;
  /** JWKS (JSON `{"keys": [...]}`) of the issuer; re-read when it changes (key rotation). */
  jwksFile: string;
  /** Accounts allowed to speak for their node, `namespace:name`. */
  serviceAccounts: readonly string[];
  /** Clock leeway for exp, nbf and iat. */
  leewaySeconds?: number;
  now?: () => number;
}

/** Why a token was refused: 401 when it is not a valid token for us, 403 when it is valid but may not write. */
export type SaRefusal =
  | {
      status: 401;
      reason: 'malformed' | 'algorithm' | 'key' | 'signature' | 'expired' | 'not_yet_valid' | 'issuer' | 'audience';
      detail: string;
    }
  | { status: 403; reason: 'service_account' | 'no_node_claim'; detail: string };

export type SaVerdict =
  { ok: true; node: string; serviceAccount: string; pod?: string; expiresAt: number } | ({ ok: false } & SaRefusal);

type Alg = 'RS256' | 'ES256';
/** Longest token taken at all: a projected token is about 1 KB; this bounds the work an anonymous caller causes. */
const MAX_TOKEN_CHARS = 16 * 1024;
const B64URL = /^[A-Za-z0-9_-]*$/;

interface Jwk {
  kid?: string;
  alg: Alg;
  key: KeyObject;
}

/** Parse a JWKS document into verification keys; keys of other types, curves or uses are left out. */
export function parseJwks(text: string): Jwk[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message.slice(0, 100)})`);
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new Error('no "keys" array');
  const out: Jwk[] = [];
  for (const k of keys as Record<string, unknown>[]) {
    if (typeof k !== 'object' || k === null) continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    const alg: Alg | undefined = k.kty === 'RSA' ? 'RS256' : k.kty === 'EC' && k.crv === 'P-256' ? 'ES256' : undefined;
    if (!alg || (k.alg !== undefined && k.alg !== alg)) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: k, format: 'jwk' });
    } catch {
      continue;
    }
    if (alg === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) continue;
    out.push({ alg, key, ...(typeof k.kid === 'string' ? { kid: k.kid } : {}) });
  }
  if (out.length === 0) throw new Error('no RS256 or ES256 signing key');
  return out;
}

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a bearer value has the shape of a JWT (three base64url parts), so it is worth verifying. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && token.length <= MAX_TOKEN_CHARS && parts.every((p) => p.length > 0 && B64URL.test(p));
}

/**
 * Verify a compact JWS against keys and return its claims, or why not. Only RS256 and ES256 (the algorithms
 * Kubernetes signs service account tokens with); `none`, HMAC and anything else is refused before any key is used.
 */
export function verifyJwt(
  token: string,
  keys: readonly Jwk[],
):
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'algorithm' | 'key' | 'signature'; detail: string } {
  if (!looksLikeJwt(token))
    return { ok: false, reason: 'malformed', detail: 'not a compact JWS of three base64url parts' };
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = b64json(h);
  if (!header) return { ok: false, reason: 'malformed', detail: 'header is not a JSON object' };
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'ES256')
    return { ok: false, reason: 'algorithm', detail: `algorithm ${JSON.stringify(alg)} not accepted (RS256, ES256)` };
  if (header.crit !== undefined)
    return { ok: false, reason: 'malformed', detail: 'critical header parameters not understood' };
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const candidates = keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid));
  if (candidates.length === 0)
    return {
      ok: false,
      reason: 'key',
      detail: `no ${alg} key${kid === undefined ? '' : ` with kid ${JSON.stringify(kid.slice(0, 64))}`} in the issuer's keys`,
    };
  const data = Buffer.from(`${h}.${p}`, 'ascii');
  const sig = Buffer.from(s, 'base64url');
  // ES256 signatures are r||s, 64 bytes (RFC 7518 3.4), not DER.
  if (alg === 'ES256' && sig.length !== 64)
    return { ok: false, reason: 'signature', detail: 'ES256 signature is not 64 bytes' };
  const good = candidates.some((k) => {
    try {
      return verifySignature('sha256', data, alg === 'ES256' ? { key: k.key, dsaEncoding: 'ieee-p1363' } : k.key, sig);
    } catch {
      return false;
    }
  });
  if (!good) return { ok: false, reason: 'signature', detail: 'signature does not verify' };
  const claims = b64json(p);
  if (!claims) return { ok: false, reason: 'malformed', detail: 'payload is not a JSON object' };
  return { ok: true, claims };
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Verifies agents' projected tokens; the JWKS file is re-read when it changes (checked at most once a second). */
export class SaTokenVerifier {
  private keys: Jwk[] = [];
  private stamp = '';
  private checkedAt = 0;
  private readonly now: () => number;
  private readonly leewayMs: number;

  constructor(
    private readonly opts: SaTokenOptions,
    private readonly onReloadError: (message: string) => void = () => {},
  ) {
    this.now = opts.now ?? Date.now;
    this.leewayMs = (opts.leewaySeconds ?? 60) * 1000;
    this.reload(true);
  }

  private reload(atStart = false): void {
    try {
      const st = statSync(this.opts.jwksFile);
      const stamp = `${st.mtimeMs}:${st.size}`;
      if (stamp === this.stamp) return;
      this.keys = parseJwks(readFileSync(this.opts.jwksFile, 'utf8'));
      this.stamp = stamp;
    } catch (e) {
      const msg = `JWKS file ${this.opts.jwksFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      if (atStart) throw new Error(msg);
      // Keep the keys we had: a file being replaced must not lock every agent out.
      this.onReloadError(msg);
    }
  }

  verify(token: string): SaVerdict {
    const now = this.now();
    if (now - this.checkedAt > 1000) {
      this.checkedAt = now;
      this.reload();
    }
    const v = verifyJwt(token, this.keys);
    if (!v.ok) return { ok: false, status: 401, reason: v.reason, detail: v.detail };
    const c = v.claims;
    const leeway = this.leewayMs;
    if (typeof c.exp !== 'number') return { ok: false, status: 401, reason: 'malformed', detail: 'no exp claim' };
    if (c.exp * 1000 + leeway <= now)
      return { ok: false, status: 401, reason: 'expired', detail: `expired at ${isoSeconds(c.exp)}` };
    if (c.nbf !== undefined && (typeof c.nbf !== 'number' || c.nbf * 1000 - leeway > now))
      return { ok: false, status: 401, reason: 'not_yet_valid', detail: 'nbf is in the future' };
    if (c.iat !== undefined && (typeof c.iat !== 'number' || c.iat * 1000 - leeway > now))
      return { ok: false, status: 401, reason: 'not_yet_valid', detail: 'iat is in the future' };
    if (c.iss !== this.opts.issuer)
      return {
        ok: false,
        status: 401,
        reason: 'issuer',
        detail: `issuer ${JSON.stringify(String(c.iss).slice(0, 200))} is not the configured one`,
      };
    const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
    if (!aud.includes(this.opts.audience))
      return {
        ok: false,
        status: 401,
        reason: 'audience',
        detail: `audience is not ${JSON.stringify(this.opts.audience)}`,
      };
    const k8s = obj(c['kubernetes.io']);
    const ns = k8s?.namespace;
    const sa = obj(k8s?.serviceaccount)?.name;
    const account = typeof ns === 'string' && typeof sa === 'string' ? `${ns}:${sa}` : undefined;
    if (account === undefined || !this.opts.serviceAccounts.includes(account)) {
      return {
        ok: false,
        status: 403,
        reason: 'service_account',
        detail: `service account ${account ?? '(none)'} may not send events`,
      };
    }
    const node = obj(k8s?.node)?.name;
    if (typeof node !== 'string' || node.length === 0) {
      return {
        ok: false,
        status: 403,
        reason: 'no_node_claim',
        detail:
          'the token names no node (kubernetes.io.node.name, issued by Kubernetes 1.30 and later to pods bound to a node)',
      };
    }
    const pod = obj(k8s?.pod)?.name;
    return {
      ok: true,
      node,
      serviceAccount: account,
      expiresAt: c.exp * 1000,
      ...(typeof pod === 'string' ? { pod } : {}),
    };
  }
}

function isoSeconds(s: number): string {
  const d = new Date(s * 1000);
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(s);
}
