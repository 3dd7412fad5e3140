/**
 * Test material for the agent's web configuration: certificates made by the real openssl, bcrypt hashes made by
 * the host's libcrypt through perl's crypt() (another implementation than the bcryptjs the agent uses, like
 * htpasswd's), web configuration files, and one HTTP(S) GET with optional CA, client certificate and headers.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA. */
  rogueCert: string;
  rogueKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A leaf certificate `name` signed by `signer` (a CA made here), with the given extensions. */
export function leaf(dir: string, name: string, signer: string, ext: string): { cert: string; key: string } {
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  const serial = BigInt('0x' + randomBytes(8).toString('hex')).toString();
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${signer}.pem`,
      '-CAkey',
      `${signer}.key`,
      '-set_serial',
      serial,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ],
    dir,
  );
  return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
}

export const SERVER_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';

/** A CA, a server certificate for 127.0.0.1, a client certificate it signed, and one from another CA. */
export function makePki(dir: string): Pki {
  const ca = (name: string) =>
    openssl(
      ['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`],
      dir,
    );
  ca('ca');
  ca('rogue-ca');
  const server = leaf(dir, 'server', 'ca', SERVER_EXT);
  const client = leaf(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
  const rogue = leaf(dir, 'rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: path.join(dir, 'ca.pem'),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    rogueCert: rogue.cert,
    rogueKey: rogue.key,
  };
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A $2y$ bcrypt hash of `password` from libcrypt (perl's crypt), as htpasswd -nBC writes them. */
export function bcryptHash(password: string, cost = 10): string {
  // The last salt character carries 2 unused bits: libcrypt wants them zero.
  const salt = Array.from(randomBytes(22), (b, i) => (i === 21 ? '.Oeu'[b % 4]! : BCRYPT_ALPHABET[b % 64]!)).join('');
  const setting = `$2y$${String(cost).padStart(2, '0')}$${salt}`;
  const out = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, setting], { encoding: 'utf8' });
  if (!out.startsWith(setting.slice(0, 7)) || out.length !== 60)
    throw new Error(`perl crypt gave no bcrypt hash (${out.length} characters)`);
  return out;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The server's certificate, over TLS. */
  peer?: PeerCertificate;
}

export interface GetOptions {
  ca?: string;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** One GET; rejects with the connection's error (a refused handshake, a reset). */
export function get(url: string, opts: GetOptions = {}): Promise<Answer> {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  const common = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port),
    path: u.pathname + u.search,
    method: 'GET',
    headers: opts.headers ?? {},
    agent: false as const,
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const peer = tls ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...(peer ? { peer } : {}) }),
      );
      res.on('error', reject);
    };
    const req = tls
      ? httpsRequest(
          {
            ...common,
            ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}),
            ...(opts.cert ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key!) } : {}),
            ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
          },
          onResponse,
        )
      : httpRequest(common, onResponse);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
