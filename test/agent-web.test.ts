/**
 * The agent's endpoints and its web configuration (exporter-toolkit's format): /v1/report never answers
 * without authentication (refused, saying how to turn it on, when none is configured); /metrics with bearer
 * tokens, bcrypt basic auth (hashes made by libcrypt, not by the library the agent uses) and TLS made by the
 * real openssl, client certificates enforced per request so /healthz and /readyz still answer the kubelet;
 * certificates and users re-read when their files change; bad files stop the start naming the key; no
 * secret in any log line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../src/config/config.js';
import type { Config } from '../src/config/config.js';
import { ConfigError } from '../src/config/config.js';
import type { OwnListener, Report } from '../src/contracts.js';
import { defineProbe, fail } from '../src/sdk.js';
import type { ProbeContext } from '../src/sdk.js';
import { startAgent } from '../src/agent/server.js';
import type { Agent } from '../src/agent/server.js';
import { captureLog } from './helpers/log.js';
import { waitFor } from './helpers/wait.js';
import { basic, bcryptHash, bearer, get, leaf, makePki, SERVER_EXT } from './helpers/web.js';
import type { Pki } from './helpers/web.js';

const TOKEN = 'metrics-token-7f3a9c1e5b';
const PASSWORD = 'correct horse battery staple';
let dir: string;
let pki: Pki;
let hash: string;
const seen: (readonly OwnListener[] | undefined)[] = [];

const probe = defineProbe<null>({
  name: 'demo',
  description: 'one failing check; records the listeners the agent hands it',
  checks: [
    {
      id: 'demo.password_auth',
      title: 'no passwords',
      severity: 'high',
      references: [],
      remediation: 'turn them off',
      evaluate: () => fail('on', [{ file: '/etc/ssh/sshd_config', line: 3, text: 'PasswordAuthentication yes' }]),
    },
  ],
  gather: async (ctx: ProbeContext) => {
    seen.push(ctx.ownListeners);
    return null;
  },
});

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hostward-agent-web-'));
  mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
  writeFileSync(path.join(dir, 'root/etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
  pki = makePki(dir);
  hash = bcryptHash(PASSWORD);
  writeFileSync(path.join(dir, 'tokens'), `# scrapers\n${TOKEN}\n`);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function webConfig(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

async function start(
  webConfigFile: string | undefined,
  log = captureLog('silent').log,
): Promise<{ agent: Agent; http: string; https: string }> {
  const c: Config = defaultConfig();
  c.root = path.join(dir, 'root');
  c.node = 'web-node';
  c.agent = {
    ...c.agent,
    schedule: '0 0 1 1 *',
    watch: { ...c.agent.watch, enabled: false },
    watchdog: { ...c.agent.watchdog, enabled: false },
  };
  if (webConfigFile) c.agent.webConfigFile = webConfigFile;
  const agent = await startAgent({ config: c, probes: [probe], log, port: 0, host: '127.0.0.1' });
  agents.push(agent);
  await agent.scanNow();
  return { agent, http: `http://127.0.0.1:${agent.port}`, https: `https://127.0.0.1:${agent.port}` };
}

describe('several listen addresses (agent.listen, HOSTWARD_LISTEN)', () => {
  it('binds each on one port (port 0: the first one picks it) and tells its scans about each', async () => {
    seen.length = 0;
    const c: Config = defaultConfig();
    c.root = path.join(dir, 'root');
    c.agent = {
      ...c.agent,
      listen: ['127.0.0.1', '::1'],
      schedule: '0 0 1 1 *',
      watch: { ...c.agent.watch, enabled: false },
    };
    c.agent.watchdog.enabled = false;
    const agent = await startAgent({ config: c, probes: [probe], log: captureLog('silent').log, port: 0 });
    agents.push(agent);
    await agent.scanNow();
    expect((await get(`http://127.0.0.1:${agent.port}/healthz`)).status).toBe(200);
    expect((await get(`http://[::1]:${agent.port}/healthz`)).status).toBe(200);
    expect(seen.at(-1)?.map((l) => `${l.address} ${l.port}`)).toEqual([`127.0.0.1 ${agent.port}`, `::1 ${agent.port}`]);
    await agent.close();
    agents.pop();
    await expect(get(`http://[::1]:${agent.port}/healthz`)).rejects.toThrow();
  });
});

describe('without a web configuration', () => {
  it('refuses /v1/report (403, saying how to enable it) and serves /metrics, /healthz, /readyz as before', async () => {
    const { http } = await start(undefined);
    const r = await get(`${http}/v1/report`);
    expect(r.status).toBe(403);
    const msg = (JSON.parse(r.body) as { error: string }).error;
    expect(msg).toMatch(/answers authenticated requests only, and no authentication is configured/);
    expect(msg).toContain('--web.config.file');
    expect(msg).toContain('HOSTWARD_WEB_CONFIG_FILE');
    expect(msg).toContain('basic_auth_users, bearer_tokens_file');
    expect(r.body).not.toContain('PasswordAuthentication');
    // Credentials cannot open it either: nothing is configured to check them against.
    expect((await get(`${http}/v1/report`, { headers: bearer(TOKEN) })).status).toBe(403);
    expect((await get(`${http}/metrics`)).status).toBe(200);
    expect((await get(`${http}/healthz`)).status).toBe(200);
    expect((await get(`${http}/readyz`)).status).toBe(200);
  });

  it('tells its scans that /metrics is open on its address', async () => {
    seen.length = 0;
    const { agent } = await start(undefined);
    expect(seen.at(-1)).toEqual([
      {
        service: 'hostward agent',
        address: '127.0.0.1',
        port: agent.port,
        protocol: 'tcp',
        tls: false,
        authentication: [],
        open: [{ path: '/metrics', reveals: "every check's status, so which weaknesses this node has" }],
        pid: process.pid,
      },
    ]);
  });
});

describe('bearer tokens (hostward extension: bearer_tokens_file)', () => {
  it('/metrics and /v1/report need the token; /healthz and /readyz stay open for the kubelet', async () => {
    seen.length = 0;
    const { agent, http } = await start(webConfig('bearer.yml', 'bearer_tokens_file: tokens\n'));
    const none = await get(`${http}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="hostward"');
    expect((await get(`${http}/metrics`, { headers: bearer('wrong') })).status).toBe(401);
    expect((await get(`${http}/metrics`, { headers: bearer(TOKEN) })).status).toBe(200);
    const rep = await get(`${http}/v1/report`, { headers: bearer(TOKEN) });
    expect(rep.status).toBe(200);
    expect((JSON.parse(rep.body) as Report).findings[0]!.evidence[0]!.text).toBe('PasswordAuthentication yes');
    expect((await get(`${http}/v1/report`, { headers: basic('x', TOKEN) })).status).toBe(401);
    expect((await get(`${http}/healthz`)).status).toBe(200);
    expect((await get(`${http}/readyz`)).status).toBe(200);
    expect(seen.at(-1)).toEqual([
      {
        service: 'hostward agent',
        address: '127.0.0.1',
        port: agent.port,
        protocol: 'tcp',
        tls: false,
        authentication: ['bearer'],
        open: [],
        pid: process.pid,
      },
    ]);
  });
});

describe('basic auth with bcrypt hashes (basic_auth_users)', () => {
  it('accepts the password of a $2y$ hash made by libcrypt, refuses others, unknown users and over-long passwords', async () => {
    const { http } = await start(webConfig('basic.yml', `basic_auth_users:\n  prometheus: ${hash}\n`));
    const none = await get(`${http}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="hostward", charset="UTF-8"');
    expect((await get(`${http}/metrics`, { headers: basic('prometheus', PASSWORD) })).status).toBe(200);
    // Again: the cached verdict.
    expect((await get(`${http}/v1/report`, { headers: basic('prometheus', PASSWORD) })).status).toBe(200);
    expect((await get(`${http}/metrics`, { headers: basic('prometheus', 'wrong') })).status).toBe(401);
    expect((await get(`${http}/metrics`, { headers: basic('someone', PASSWORD) })).status).toBe(401);
    expect((await get(`${http}/metrics`, { headers: bearer(TOKEN) })).status).toBe(401);
    // bcrypt reads 72 bytes: a longer password that starts like the right one is refused, not truncated.
    const long = bcryptHash('a'.repeat(72));
    const { http: h2 } = await start(webConfig('basic-long.yml', `basic_auth_users:\n  u: ${long}\n`));
    expect((await get(`${h2}/metrics`, { headers: basic('u', 'a'.repeat(72)) })).status).toBe(200);
    expect((await get(`${h2}/metrics`, { headers: basic('u', 'a'.repeat(73)) })).status).toBe(401);
  });

  it('takes a new user when the file changes (as exporter-toolkit re-reads it), without a restart', async () => {
    const file = webConfig('basic-reload.yml', `basic_auth_users:\n  prometheus: ${hash}\n`);
    const { http } = await start(file);
    expect((await get(`${http}/metrics`, { headers: basic('grafana', 'second') })).status).toBe(401);
    writeFileSync(file, `basic_auth_users:\n  prometheus: ${hash}\n  grafana: ${bcryptHash('second')}\n`);
    await until(async () => (await get(`${http}/metrics`, { headers: basic('grafana', 'second') })).status === 200);
  });
});

describe('TLS (tls_server_config) with certificates made by openssl', () => {
  const tlsConfig = (extra = '') =>
    `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n${extra}`;

  it('serves HTTPS verified against the CA, not plain HTTP, and honours min_version', async () => {
    const { http, https } = await start(webConfig('tls.yml', tlsConfig() + 'bearer_tokens_file: tokens\n'));
    const ok = await get(`${https}/metrics`, { ca: pki.ca, headers: bearer(TOKEN) });
    expect(ok.status).toBe(200);
    expect(ok.peer?.subject.CN).toBe('server');
    expect((await get(`${https}/healthz`, { ca: pki.ca })).status).toBe(200);
    await expect(get(`${http}/healthz`)).rejects.toThrow();
    const { https: only13 } = await start(webConfig('tls13.yml', tlsConfig('  min_version: TLS13\n')));
    expect((await get(`${only13}/healthz`, { ca: pki.ca })).status).toBe(200);
    await expect(get(`${only13}/healthz`, { ca: pki.ca, maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|protocol/i);
  });

  it('RequireAndVerifyClientCert: protected paths need a certificate of the CA; /healthz and /readyz answer without one', async () => {
    seen.length = 0;
    const { agent, https } = await start(
      webConfig('mtls.yml', tlsConfig(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca}\n`)),
    );
    expect((await get(`${https}/metrics`, { ca: pki.ca })).status).toBe(403);
    expect((await get(`${https}/v1/report`, { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey })).status).toBe(403);
    expect((await get(`${https}/metrics`, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })).status).toBe(200);
    expect((await get(`${https}/v1/report`, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })).status).toBe(
      200,
    );
    expect((await get(`${https}/healthz`, { ca: pki.ca })).status).toBe(200);
    expect((await get(`${https}/readyz`, { ca: pki.ca })).status).toBe(200);
    expect(seen.at(-1)).toEqual([
      {
        service: 'hostward agent',
        address: '127.0.0.1',
        port: agent.port,
        protocol: 'tcp',
        tls: true,
        authentication: ['client-certificate'],
        open: [],
        pid: process.pid,
      },
    ]);
  });

  it('VerifyClientCertIfGiven alone is no authentication: /metrics open to no certificate, a bad one refused, the report refused', async () => {
    const { https } = await start(
      webConfig(
        'verify-if-given.yml',
        tlsConfig(`  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ${pki.ca}\n`),
      ),
    );
    expect((await get(`${https}/metrics`, { ca: pki.ca })).status).toBe(200);
    expect((await get(`${https}/metrics`, { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey })).status).toBe(403);
    expect((await get(`${https}/v1/report`, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })).status).toBe(
      403,
    );
  });

  it('a rotated certificate is served on the next connection, without a restart', async () => {
    const cert = path.join(dir, 'rot.pem');
    const key = path.join(dir, 'rot.key');
    copyFileSync(pki.serverCert, cert);
    copyFileSync(pki.serverKey, key);
    const { https } = await start(
      webConfig('rotate.yml', `tls_server_config:\n  cert_file: rot.pem\n  key_file: rot.key\n`),
    );
    const first = (await get(`${https}/healthz`, { ca: pki.ca })).peer!;
    const next = leaf(dir, 'server2', 'ca', SERVER_EXT);
    copyFileSync(next.key, key);
    copyFileSync(next.cert, cert);
    const after = await until(async () => {
      const p = (await get(`${https}/healthz`, { ca: pki.ca })).peer!;
      return p.serialNumber !== first.serialNumber ? p : undefined;
    });
    expect(after.subject.CN).toBe('server2');
  });
});

describe('the web configuration is validated at start, naming the file and the key', () => {
  const cases: [string, string, RegExp][] = [
    [
      'unknown key',
      'basic_auth_user: {}\n',
      /: basic_auth_user: unknown key \(expected one of: tls_server_config, basic_auth_users, bearer_tokens_file\)/,
    ],
    [
      'not a bcrypt hash',
      'basic_auth_users:\n  prometheus: plaintext\n',
      /: basic_auth_users\.prometheus: must be a bcrypt hash/,
    ],
    [
      'missing key_file',
      `tls_server_config:\n  cert_file: ${'server.pem'}\n`,
      /: tls_server_config\.key_file: required with tls_server_config/,
    ],
    [
      'absent cert_file',
      'tls_server_config:\n  cert_file: nope.pem\n  key_file: server.key\n',
      /: tls_server_config\.cert_file: cannot read .*nope\.pem: ENOENT/,
    ],
    [
      'mismatched key',
      'tls_server_config:\n  cert_file: server.pem\n  key_file: client.key\n',
      /: tls_server_config\.(key|cert)_file: the certificate and key do not make a TLS context/,
    ],
    [
      'bad client_auth_type',
      'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: Maybe\n',
      /: tls_server_config\.client_auth_type: must be one of NoClientCert/,
    ],
    [
      'verify without a CA',
      'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n',
      /: tls_server_config\.client_ca_file: required with client_auth_type RequireAndVerifyClientCert/,
    ],
    [
      'a CA without a policy',
      'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_ca_file: ca.pem\n',
      /: tls_server_config\.client_ca_file: set without a client_auth_type/,
    ],
    [
      'TLS 1.1',
      'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS11\n',
      /: tls_server_config\.min_version: TLS11 is not served by hostward/,
    ],
    [
      'an inline key',
      'tls_server_config:\n  cert_file: server.pem\n  key: "-----BEGIN"\n',
      /: tls_server_config\.key: inline keys are not supported: secrets come from files/,
    ],
    ['rate_limit', 'rate_limit: { interval: 1s }\n', /: rate_limit: not supported by hostward/],
    [
      'an empty tokens file',
      'bearer_tokens_file: empty-tokens\n',
      /: bearer_tokens_file: tokens file .* holds no token/,
    ],
    ['YAML', 'basic_auth_users: [\n', /: line \d+ column \d+: /],
  ];
  it.each(cases)('%s', async (_name, text, want) => {
    writeFileSync(path.join(dir, 'empty-tokens'), '# none yet\n');
    const file = webConfig('bad.yml', text);
    const err = await start(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      new RegExp(`^web configuration ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    expect((err as Error).message).toMatch(want);
  });
});

describe('secrets stay out of the logs', () => {
  it('no token, password or hash in any line, through failures and a failed reload', async () => {
    const cap = captureLog('trace');
    const file = webConfig('logged.yml', `basic_auth_users:\n  prometheus: ${hash}\nbearer_tokens_file: tokens\n`);
    const { http } = await start(file, cap.log);
    await get(`${http}/metrics`, { headers: basic('prometheus', PASSWORD) });
    await get(`${http}/metrics`, { headers: basic('prometheus', 'a-wrong-password') });
    await get(`${http}/v1/report`, { headers: bearer('a-wrong-token') });
    writeFileSync(file, `basic_auth_users:\n  prometheus: not-${hash}\n`);
    // The file is re-read on a new connection, at most once a second.
    await until(async () => {
      await get(`${http}/healthz`);
      return cap.text().includes('web configuration reload failed') || undefined;
    });
    // The running configuration is kept: the old password still works.
    expect((await get(`${http}/metrics`, { headers: basic('prometheus', PASSWORD) })).status).toBe(200);
    const text = cap.text();
    for (const secret of [TOKEN, PASSWORD, hash, 'a-wrong-password', 'a-wrong-token', hash.slice(7)])
      expect(text).not.toContain(secret);
  });
});

function until<T>(f: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  return waitFor('the condition', f, ms, 50);
}
