/**
 * Who may write events to the collector: the tokens file (collector.tokensFile, bound to nodes or not) and, when
 * configured, agents' projected ServiceAccount tokens (collector.serviceAccountTokens), verified offline.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { TokenSet, bearer } from './auth.js';
import type { Caller } from './auth.js';
import type { ForbiddenReason } from './ingest.js';
import { SaTokenVerifier, looksLikeJwt } from './sa-token.js';

export type Identified =
  | { ok: true; caller: Caller }
  | { ok: false; status: 401; error: string }
  | { ok: false; status: 403; reason: ForbiddenReason; error: string };

export interface Credentials {
  tokens: TokenSet;
  /** Verifier of agents' ServiceAccount tokens; undefined when they are not accepted. */
  serviceAccounts: SaTokenVerifier | undefined;
}

/** The accepted credentials as configured; a missing or unreadable file stops the start naming its key. */
export function openCredentials(cfg: Config['collector'], log: Logger): Credentials {
  if (!cfg.tokensFile)
    throw new ConfigError(
      'collector.tokensFile',
      'required: the file of accepted agent tokens, one per line (HOSTWARD_TOKENS_FILE)',
    );
  let tokens: TokenSet;
  try {
    tokens = new TokenSet(cfg.tokensFile, (msg) => log.error({ err: msg }, 'tokens file reload failed'));
  } catch (e) {
    throw new ConfigError('collector.tokensFile', (e as Error).message);
  }
  return { tokens, serviceAccounts: serviceAccountVerifier(cfg, log) };
}

/**
 * Who a request's credential speaks for: a token of the tokens file (bound to nodes or not), else an agent's
 * projected ServiceAccount token. 401 for no valid credential; 403 for a valid one that may not write.
 */
export function identify(
  credentials: Credentials,
  authorization: string | undefined,
  requireNodeBinding: boolean,
  log: Logger,
): Identified {
  const caller = credentials.tokens.identify(authorization);
  if (caller?.kind === 'unbound' && requireNodeBinding) {
    return {
      ok: false,
      status: 403,
      reason: 'unbound_token',
      error: 'this token is bound to no node, and collector.requireNodeBinding refuses such tokens for events',
    };
  }
  if (caller) return { ok: true, caller };
  const sa = credentials.serviceAccounts;
  const b = bearer(authorization);
  if (!sa || b === undefined || !looksLikeJwt(b))
    return { ok: false, status: 401, error: 'missing or wrong bearer token' };
  const v = sa.verify(b);
  if (v.ok)
    return {
      ok: true,
      caller: { kind: 'node', node: v.node, via: 'serviceaccount', id: `serviceaccount:${v.serviceAccount}` },
    };
  if (v.status === 403) return { ok: false, status: 403, reason: v.reason, error: v.detail };
  // Debug only: anyone can send a token-shaped value, and the refusal's reason is in the answer the agent logs.
  log.debug({ reason: v.reason, detail: v.detail }, 'service account token refused');
  return { ok: false, status: 401, error: `service account token refused: ${v.detail}` };
}

/** Verifier of agents' projected ServiceAccount tokens, when collector.serviceAccountTokens is configured. */
function serviceAccountVerifier(cfg: Config['collector'], log: Logger): SaTokenVerifier | undefined {
  const sa = cfg.serviceAccountTokens;
  if (!sa) return undefined;
  const k = 'collector.serviceAccountTokens';
  if (!sa.issuer)
    throw new ConfigError(`${k}.issuer`, "required: the cluster's service account issuer (the tokens' iss)");
  if (!sa.jwksFile)
    throw new ConfigError(`${k}.jwksFile`, "required: the issuer's public keys (kubectl get --raw /openid/v1/jwks)");
  if (sa.serviceAccounts.length === 0)
    throw new ConfigError(`${k}.serviceAccounts`, "required: the agents' service accounts, namespace:name");
  try {
    return new SaTokenVerifier(
      { issuer: sa.issuer, jwksFile: sa.jwksFile, audience: sa.audience, serviceAccounts: sa.serviceAccounts },
      (msg) => log.error({ err: msg }, 'JWKS reload failed; keeping the keys read before'),
    );
  } catch (e) {
    throw new ConfigError(`${k}.jwksFile`, (e as Error).message);
  }
}
