/**
 * The agent's web configuration file (`--web.config.file`, HOSTWARD_WEB_CONFIG_FILE, agent.webConfigFile), in
 * the format of Prometheus' exporter-toolkit, so that the file people write for node_exporter works here:
 *
 *   tls_server_config:
 *     cert_file: tls.crt                 # relative paths are relative to this file, as in exporter-toolkit
 *     key_file: tls.key
 *     client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
 *     client_ca_file: ca.crt
 *     min_version: TLS12                 # TLS12 (default) or TLS13; max_version likewise (default TLS13)
 *   basic_auth_users:                    # user: bcrypt hash, e.g. htpasswd -nBC 10 "" | tr -d ':\n'
 *     prometheus: $2y$10$...
 *   bearer_tokens_file: tokens           # hostward's extension: accepted bearer tokens, one per line
 *
 * exporter-toolkit has no bearer tokens; `bearer_tokens_file` is hostward's addition (Prometheus sends one with
 * `authorization: {credentials_file: ...}`). What hostward does not implement is refused with an error naming
 * the key, never ignored: inline `cert`, `key` and `client_ca` (secrets come from files), `cipher_suites` and
 * `curve_preferences` (Go's names), `client_allowed_sans`, `http_server_config`, `rate_limit`, and TLS below 1.2.
 * Parsing reads the files it names, so a wrong path or a key that does not match its certificate stops the
 * agent at start; nothing read from a file is ever put in a message.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/config.js';
import { yamlLib } from '../lazy-libs.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];
type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
const VERSIONS: Readonly<Record<string, TlsVersion>> = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export interface WebTls {
  certFile: string;
  keyFile: string;
  clientAuthType: ClientAuthType;
  clientCaFile?: string;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
}

export interface WebConfig {
  file: string;
  tls?: WebTls;
  /** user → bcrypt hash. */
  basicAuthUsers: Record<string, string>;
  bearerTokensFile?: string;
}

/** The PEM files of the TLS settings, read (for a new secure context). */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

const TOP_KEYS = ['tls_server_config', 'basic_auth_users', 'bearer_tokens_file', 'http_server_config', 'rate_limit'];
const TLS_KEYS = [
  ...['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'],
  ...[
    'cert',
    'key',
    'client_ca',
    'cipher_suites',
    'curve_preferences',
    'prefer_server_cipher_suites',
    'client_allowed_sans',
  ],
];
const UNSUPPORTED: Readonly<Record<string, string>> = {
  http_server_config: 'not supported by hostward (it serves HTTP/1.1 and sets its own headers); remove it',
  rate_limit: 'not supported by hostward; remove it',
  'tls_server_config.cert': 'inline PEM is not supported: hostward reads certificates and keys from files (cert_file)',
  'tls_server_config.key': 'inline keys are not supported: secrets come from files (key_file)',
  'tls_server_config.client_ca': 'inline PEM is not supported: use client_ca_file',
  'tls_server_config.cipher_suites': "not supported by hostward (Go's suite names); Node's default suites are used",
  'tls_server_config.curve_preferences': 'not supported by hostward; remove it',
  'tls_server_config.prefer_server_cipher_suites': 'not supported by hostward; remove it',
  'tls_server_config.client_allowed_sans': 'not supported by hostward; let client_ca_file sign only the scrapers',
};
/** A bcrypt hash as htpasswd, Go and bcryptjs write it: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters. */
const BCRYPT = /^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problem {
  constructor(readonly file: string) {}
  at(key: string, problem: string): never {
    throw new ConfigError(key, problem, `web configuration ${this.file}`);
  }
}

function allowKeys(o: Obj, at: string, keys: readonly string[], p: Problem): void {
  for (const k of Object.keys(o)) {
    const key = at ? `${at}.${k}` : k;
    const supported = keys.filter((x) => !UNSUPPORTED[at ? `${at}.${x}` : x]);
    if (!keys.includes(k)) p.at(key, `unknown key (expected one of: ${supported.join(', ')})`);
    const why = UNSUPPORTED[key];
    if (why) p.at(key, why);
  }
}

function fileKey(o: Obj, k: string, at: string, dir: string, p: Problem): string | undefined {
  const v = o[k];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') return p.at(`${at}.${k}`, `must be a file name, got ${JSON.stringify(v)}`);
  const file = path.resolve(dir, v);
  try {
    if (!statSync(file).isFile()) p.at(`${at}.${k}`, `${file} is not a regular file`);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    p.at(`${at}.${k}`, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return file;
}

function version(v: unknown, key: string, dflt: TlsVersion, p: Problem): TlsVersion {
  if (v === undefined) return dflt;
  const known = typeof v === 'string' ? VERSIONS[v] : undefined;
  if (known) return known;
  if (v === 'TLS10' || v === 'TLS11') return p.at(key, `${v} is not served by hostward: TLS12 or TLS13`);
  return p.at(key, `must be TLS12 or TLS13, got ${JSON.stringify(v)}`);
}

function parseTls(raw: unknown, dir: string, p: Problem): WebTls {
  const at = 'tls_server_config';
  if (!isObj(raw)) return p.at(at, 'must be a mapping');
  allowKeys(raw, at, TLS_KEYS, p);
  const certFile = fileKey(raw, 'cert_file', at, dir, p) ?? p.at(`${at}.cert_file`, 'required with tls_server_config');
  const keyFile = fileKey(raw, 'key_file', at, dir, p) ?? p.at(`${at}.key_file`, 'required with tls_server_config');
  let type: ClientAuthType = 'NoClientCert';
  const given = raw.client_auth_type;
  if (given !== undefined && given !== '') {
    // exporter-toolkit keeps RequireClientCert as the old name of RequireAnyClientCert.
    const t = given === 'RequireClientCert' ? 'RequireAnyClientCert' : given;
    if (!(CLIENT_AUTH_TYPES as readonly unknown[]).includes(t)) {
      p.at(`${at}.client_auth_type`, `must be one of ${CLIENT_AUTH_TYPES.join(', ')}, got ${JSON.stringify(given)}`);
    }
    type = t as ClientAuthType;
  }
  const clientCaFile = fileKey(raw, 'client_ca_file', at, dir, p);
  if (clientCaFile && type === 'NoClientCert') {
    p.at(`${at}.client_ca_file`, 'set without a client_auth_type that asks for client certificates');
  }
  if (!clientCaFile && (type === 'VerifyClientCertIfGiven' || type === 'RequireAndVerifyClientCert')) {
    p.at(`${at}.client_ca_file`, `required with client_auth_type ${type}: the CA that signs the clients' certificates`);
  }
  const minVersion = version(raw.min_version, `${at}.min_version`, 'TLSv1.2', p);
  const maxVersion = version(raw.max_version, `${at}.max_version`, 'TLSv1.3', p);
  if (minVersion > maxVersion) p.at(`${at}.max_version`, 'is below min_version');
  const tls: WebTls = { certFile, keyFile, clientAuthType: type, minVersion, maxVersion };
  if (clientCaFile) tls.clientCaFile = clientCaFile;
  return tls;
}

function parseUsers(raw: unknown, p: Problem): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) return p.at('basic_auth_users', 'must be a mapping of user name to bcrypt hash');
  const users: Record<string, string> = {};
  for (const [user, hash] of Object.entries(raw)) {
    const key = `basic_auth_users.${user}`;
    if (user === '' || user.includes(':')) p.at(key, 'a user name must be non-empty and hold no ":"');
    // The hash is not repeated in the message: weak passwords can be recovered from it.
    if (typeof hash !== 'string' || !BCRYPT.test(hash)) {
      p.at(key, 'must be a bcrypt hash ($2y$10$... as htpasswd -nBC 10 writes it)');
    }
    const cost = Number(BCRYPT.exec(hash)![1]);
    if (cost < 4 || cost > 31) p.at(key, `bcrypt cost ${cost} is outside 4..31`);
    users[user] = hash;
  }
  return users;
}

/** Parse and check a web configuration file; throws ConfigError naming the file and the key. */
export function loadWebConfig(file: string): WebConfig {
  const p = new Problem(file);
  let text: string;
  try {
    if (statSync(file).size > 1024 * 1024) p.at('(file)', 'larger than 1 MiB');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return p.at('(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const yaml = yamlLib();
  let doc: unknown;
  try {
    doc = yaml.parse(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    if (e instanceof yaml.YAMLParseError) {
      const pos = e.linePos?.[0];
      const why = e.message.split('\n')[0]?.split(' at line ')[0] ?? 'invalid YAML';
      p.at(pos ? `line ${pos.line} column ${pos.col}` : '(yaml)', why);
    }
    throw e;
  }
  const cfg: WebConfig = { file, basicAuthUsers: {} };
  if (doc === null || doc === undefined) return cfg;
  if (!isObj(doc)) return p.at('(top level)', 'must be a mapping');
  allowKeys(doc, '', TOP_KEYS, p);
  const dir = path.dirname(path.resolve(file));
  if (doc.tls_server_config !== undefined && doc.tls_server_config !== null) {
    cfg.tls = parseTls(doc.tls_server_config, dir, p);
  }
  cfg.basicAuthUsers = parseUsers(doc.basic_auth_users, p);
  const tokens = fileKey(doc, 'bearer_tokens_file', '', dir, p);
  if (tokens) cfg.bearerTokensFile = tokens;
  if (cfg.tls) tlsMaterial(cfg.tls, file);
  return cfg;
}

/** Read the PEM files and check that they make a secure context (the key matches the certificate). */
export function tlsMaterial(t: WebTls, file: string): TlsMaterial {
  const p = new Problem(file);
  const read = (f: string, key: string): Buffer => {
    try {
      return readFileSync(f);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      return p.at(`tls_server_config.${key}`, `cannot read ${f}: ${why}`);
    }
  };
  const m: TlsMaterial = { cert: read(t.certFile, 'cert_file'), key: read(t.keyFile, 'key_file') };
  if (t.clientCaFile) m.ca = read(t.clientCaFile, 'client_ca_file');
  try {
    createSecureContext({ cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}) });
  } catch (e) {
    // OpenSSL's reason names no file content ("key values mismatch", "no start line").
    const why = ((e as NodeJS.ErrnoException).code ?? '') + ' ' + ((e as Error).message.split('\n')[0] ?? '');
    const key = /KEY|key/.test(why) && !/CERT/.test(why) ? 'key_file' : 'cert_file';
    p.at(`tls_server_config.${key}`, `the certificate and key do not make a TLS context: ${why.trim()}`);
  }
  return m;
}

/** mtimes and sizes of the file and every file it names: a change means something to re-read. */
export function webConfigStamp(cfg: WebConfig): string {
  const named = [cfg.file, cfg.tls?.certFile, cfg.tls?.keyFile, cfg.tls?.clientCaFile];
  const files = named.filter((f): f is string => f !== undefined);
  return files
    .map((f) => {
      try {
        const st = statSync(f);
        return `${st.mtimeMs}:${st.size}:${st.ino}`;
      } catch {
        return 'gone';
      }
    })
    .join('|');
}
