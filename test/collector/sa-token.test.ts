/**
 * The projected ServiceAccount token verifier (src/collector/sa-token.ts) against tokens signed here with
 * node:crypto: what Kubernetes issues verifies and names its node; every forgery or misuse is refused with its
 * reason: alg none, HMAC keyed with the public key, algorithms not taken, a tampered payload, an unknown key,
 * expired and not yet valid tokens, another issuer or audience, an account not allowed, no node claim, and
 * garbage of any shape.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { SaTokenVerifier, looksLikeJwt, parseJwks } from '../../src/collector/sa-token.js';
import { ISSUER, agentClaims, b64, jwt, keyPair } from './sa-fixtures.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const sec = (ms: number) => Math.floor(ms / 1000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-satoken-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rsa = keyPair('rsa', 'rsa-1');
const ec = keyPair('ec', 'ec-1');
const stranger = keyPair('rsa', 'rsa-1'); // same kid, another key
const jwks = path.join(dir, 'jwks.json');
writeFileSync(jwks, JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
const now = NOW;
const verifier = new SaTokenVerifier({
  issuer: ISSUER,
  audience: 'hostward',
  jwksFile: jwks,
  serviceAccounts: ['hostward:hostward-agent'],
  now: () => now,
});

const refusal = (token: string) => {
  const v = verifier.verify(token);
  return v.ok ? 'accepted' : `${v.status} ${v.reason}`;
};

describe('valid projected tokens', () => {
  it('RS256 and ES256 tokens of the agent account name their node, pod and account', () => {
    for (const key of [rsa, ec]) {
      const v = verifier.verify(jwt(agentClaims('worker-7', NOW), key));
      expect(v).toMatchObject({
        ok: true,
        node: 'worker-7',
        serviceAccount: 'hostward:hostward-agent',
        pod: 'hostward-agent-worker-7',
      });
    }
  });

  it('aud may be a plain string; a token without kid is tried against every key of its algorithm', () => {
    expect(refusal(jwt(agentClaims('n1', NOW, { aud: 'hostward' }), rsa))).toBe('accepted');
    const h = b64({ alg: 'ES256' });
    const p = b64(agentClaims('n1', NOW));
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString(
      'base64url',
    );
    expect(refusal(`${h}.${p}.${sig}`)).toBe('accepted');
  });

  it('within the leeway of a minute: just expired, iat and nbf just ahead', () => {
    expect(refusal(jwt(agentClaims('n1', NOW, { exp: sec(NOW) - 30 }), rsa))).toBe('accepted');
    expect(refusal(jwt(agentClaims('n1', NOW, { iat: sec(NOW) + 30, nbf: sec(NOW) + 30 }), rsa))).toBe('accepted');
  });
});

describe('forgeries and misuse are refused with their reason', () => {
  const good = jwt(agentClaims('worker-1', NOW), rsa);
  const [h, p, s] = good.split('.') as [string, string, string];

  it('alg none, with or without a signature', () => {
    const none = b64({ alg: 'none', kid: 'rsa-1' });
    expect(refusal(`${none}.${p}.`)).toBe('401 malformed');
    expect(refusal(`${none}.${p}.${s}`)).toBe('401 algorithm');
    expect(refusal(`${b64({ alg: 'None' })}.${p}.${s}`)).toBe('401 algorithm');
  });

  it('HS256 keyed with the public key (algorithm confusion), and algorithms not taken', () => {
    const hs = b64({ alg: 'HS256', kid: 'rsa-1' });
    const pem = JSON.stringify(rsa.jwk);
    const mac = createHmac('sha256', pem).update(`${hs}.${p}`).digest('base64url');
    expect(refusal(`${hs}.${p}.${mac}`)).toBe('401 algorithm');
    for (const alg of ['RS384', 'RS512', 'PS256', 'ES384', 'EdDSA', 7, null])
      expect(refusal(`${b64({ alg, kid: 'rsa-1' })}.${p}.${s}`)).toBe('401 algorithm');
    // An RS256 header over an ES256 key's signature: no RS256 key has that kid.
    const ecTok = jwt(agentClaims('worker-1', NOW), ec);
    const [, ep, es] = ecTok.split('.');
    expect(refusal(`${b64({ alg: 'RS256', kid: 'ec-1' })}.${ep}.${es}`)).toBe('401 key');
  });

  it('a tampered payload or header, a signature of another key under a known kid, an unknown kid', () => {
    const other = b64(agentClaims('worker-2', NOW));
    expect(refusal(`${h}.${other}.${s}`)).toBe('401 signature');
    expect(refusal(`${b64({ alg: 'RS256', kid: 'rsa-1', x: 1 })}.${p}.${s}`)).toBe('401 signature');
    expect(refusal(jwt(agentClaims('worker-1', NOW), stranger))).toBe('401 signature');
    expect(refusal(jwt(agentClaims('worker-1', NOW), { ...rsa, kid: 'rsa-9' }))).toBe('401 key');
    const flipped = Buffer.from(s, 'base64url');
    flipped[10]! ^= 1;
    expect(refusal(`${h}.${p}.${flipped.toString('base64url')}`)).toBe('401 signature');
    expect(refusal(`${b64({ alg: 'RS256', kid: 'rsa-1', crit: ['exp'] })}.${p}.${s}`)).toBe('401 malformed');
  });

  it('expired, not yet valid, without exp', () => {
    expect(refusal(jwt(agentClaims('n', NOW, { exp: sec(NOW) - 120 }), rsa))).toBe('401 expired');
    expect(refusal(jwt(agentClaims('n', NOW, { nbf: sec(NOW) + 600 }), rsa))).toBe('401 not_yet_valid');
    expect(refusal(jwt(agentClaims('n', NOW, { iat: sec(NOW) + 600 }), rsa))).toBe('401 not_yet_valid');
    expect(refusal(jwt(agentClaims('n', NOW, { exp: undefined }), rsa))).toBe('401 malformed');
    expect(refusal(jwt(agentClaims('n', NOW, { exp: String(sec(NOW) + 60) }), rsa))).toBe('401 malformed');
  });

  it('another audience (the API server default) or issuer', () => {
    expect(refusal(jwt(agentClaims('n', NOW, { aud: ['https://kubernetes.default.svc'] }), rsa))).toBe('401 audience');
    expect(refusal(jwt(agentClaims('n', NOW, { aud: undefined }), rsa))).toBe('401 audience');
    expect(refusal(jwt(agentClaims('n', NOW, { aud: 'hostward-other' }), rsa))).toBe('401 audience');
    expect(refusal(jwt(agentClaims('n', NOW, { iss: 'https://evil.example' }), rsa))).toBe('401 issuer');
  });

  it('a valid token of another service account, or without the node claim (Kubernetes before 1.30): 403', () => {
    const other = agentClaims('n', NOW);
    (other['kubernetes.io'] as Record<string, unknown>).serviceaccount = { name: 'default' };
    expect(refusal(jwt(other, rsa))).toBe('403 service_account');
    const otherNs = agentClaims('n', NOW);
    (otherNs['kubernetes.io'] as Record<string, unknown>).namespace = 'kube-system';
    expect(refusal(jwt(otherNs, rsa))).toBe('403 service_account');
    const v = verifier.verify(jwt(agentClaims(undefined, NOW), rsa));
    expect(v).toMatchObject({ ok: false, status: 403, reason: 'no_node_claim' });
    expect(v.ok ? '' : v.detail).toMatch(/kubernetes\.io\.node\.name/);
  });

  it('garbage of any shape is refused without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((x) => `${x}.${x}.${x}`),
          fc
            .tuple(fc.string(), fc.string(), fc.string())
            .map((t) => t.map((x) => Buffer.from(x).toString('base64url')).join('.')),
        ),
        (t) => {
          expect(verifier.verify(t).ok).toBe(false);
        },
      ),
      { numRuns: 500, seed: 3 },
    );
    expect(looksLikeJwt(`${'a'.repeat(20_000)}.b.c`)).toBe(false);
    expect(refusal(`${b64([1])}.${p}.${s}`)).toBe('401 malformed');
    expect(refusal(`${h}.${Buffer.from('[]').toString('base64url')}.${s}`)).toBe('401 signature');
  });
});

describe('the issuer keys', () => {
  it('a JWKS without a usable signing key, or not JSON, is an error; weak RSA, other curves and encryption keys are left out', () => {
    expect(() => parseJwks('{')).toThrow(/not JSON/);
    expect(() => parseJwks('{"keys": 1}')).toThrow(/no "keys" array/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    expect(() =>
      parseJwks(JSON.stringify({ keys: [weak, p384, { ...rsa.jwk, use: 'enc' }, { kty: 'oct', k: 'c2VjcmV0' }] })),
    ).toThrow(/no RS256 or ES256 signing key/);
    expect(parseJwks(JSON.stringify({ keys: [weak, rsa.jwk] }))).toHaveLength(1);
  });

  it('rotation: a changed file is re-read; a broken one keeps the keys read before', async () => {
    const file = path.join(dir, 'rotating.json');
    writeFileSync(file, JSON.stringify({ keys: [rsa.jwk] }));
    const errors: string[] = [];
    let t = NOW;
    const v = new SaTokenVerifier(
      {
        issuer: ISSUER,
        audience: 'hostward',
        jwksFile: file,
        serviceAccounts: ['hostward:hostward-agent'],
        now: () => t,
      },
      (m) => errors.push(m),
    );
    const next = keyPair('ec', 'ec-2');
    expect(v.verify(jwt(agentClaims('n', NOW), next))).toMatchObject({ ok: false, reason: 'key' });
    writeFileSync(file, JSON.stringify({ keys: [rsa.jwk, next.jwk] }));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    t += 2000;
    expect(v.verify(jwt(agentClaims('n', t), next))).toMatchObject({ ok: true, node: 'n' });
    writeFileSync(file, 'not json');
    t += 2000;
    expect(v.verify(jwt(agentClaims('n', t), next))).toMatchObject({ ok: true });
    expect(errors.join('\n')).toMatch(/not JSON/);
  });
});
