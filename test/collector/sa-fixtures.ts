/** Keys and projected ServiceAccount tokens made with node:crypto, as a Kubernetes API server makes them. */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const sec = (ms: number) => Math.floor(ms / 1000);

export function keyPair(
  kind: 'rsa' | 'ec',
  kid: string,
): { kid: string; privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: kind === 'rsa' ? 'RS256' : 'ES256' },
  };
}

export const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS as the API server makes one (RS256 or ES256 with an r||s signature). */
export function jwt(
  claims: Record<string, unknown>,
  key: { kid: string; privateKey: KeyObject },
  header: Record<string, unknown> = {},
): string {
  const alg = key.privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const h = b64({ alg, kid: key.kid, ...header });
  const p = b64(claims);
  const sig = sign(
    'sha256',
    Buffer.from(`${h}.${p}`),
    alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey,
  );
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/** The claims of a projected token of the agent pod on `node` (Kubernetes 1.30+ shape). */
export function agentClaims(
  node: string | undefined,
  nowMs: number,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  const k8s: Record<string, unknown> = {
    namespace: 'hostward',
    pod: { name: `hostward-agent-${node ?? 'x'}`, uid: '11111111-2222-3333-4444-555555555555' },
    serviceaccount: { name: 'hostward-agent', uid: '66666666-7777-8888-9999-000000000000' },
  };
  if (node !== undefined) k8s.node = { name: node, uid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' };
  return {
    aud: ['hostward'],
    exp: sec(nowMs) + 3600,
    iat: sec(nowMs) - 10,
    nbf: sec(nowMs) - 10,
    iss: ISSUER,
    sub: 'system:serviceaccount:hostward:hostward-agent',
    'kubernetes.io': k8s,
    ...over,
  };
}
