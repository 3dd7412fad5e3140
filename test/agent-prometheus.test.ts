/**
 * A real Prometheus (Debian's) scrapes the agent as a cluster's Prometheus would once the chart's web options
 * are on: HTTPS verified against the CA, with basic auth (a bcrypt hash made by libcrypt), with a bearer token
 * (hostward's bearer_tokens_file), and with a client certificate (RequireAndVerifyClientCert). Jobs with a wrong
 * password, no certificate, or plain HTTP must be down, so the up ones prove the credentials are checked.
 * Everything listens on 127.0.0.1; Prometheus is stopped by its process group in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { pino } from 'pino';
import { defaultConfig } from '../src/config/config.js';
import { defineProbe, fail } from '../src/sdk.js';
import { startAgent } from '../src/agent/server.js';
import type { Agent } from '../src/agent/server.js';
import { hasBinary, start, startOnFreePort, stop, waitFor } from './e2e/procs.js';
import type { Started } from './e2e/procs.js';
import { bcryptHash, makePki } from './helpers/web.js';
import type { Pki } from './helpers/web.js';

const missing = ['prometheus', 'promtool'].filter((b) => !hasBinary(b));

interface Target {
  labels: { job: string };
  health: string;
  lastError: string;
}

describe.skipIf(missing.length > 0)('a real Prometheus scraping the agent with TLS and authentication', () => {
  let dir: string;
  let pki: Pki;
  const agents: Agent[] = [];
  let prom: Started | undefined;
  let promUrl: string;

  const probe = defineProbe<null>({
    name: 'demo',
    description: 'one failing check',
    checks: [
      {
        id: 'demo.password_auth',
        title: 'no passwords',
        severity: 'high',
        references: [],
        remediation: '',
        evaluate: () => fail('on'),
      },
    ],
    gather: async () => null,
  });

  async function agentWith(web: string): Promise<number> {
    const file = path.join(dir, `web-${agents.length}.yml`);
    writeFileSync(file, web);
    const c = defaultConfig();
    c.root = path.join(dir, 'root');
    c.node = 'prom-node';
    c.agent = {
      ...c.agent,
      schedule: '0 0 1 1 *',
      webConfigFile: file,
      watch: { ...c.agent.watch, enabled: false },
      watchdog: { ...c.agent.watchdog, enabled: false },
    };
    const a = await startAgent({
      config: c,
      probes: [probe],
      log: pino({ level: 'silent' }),
      port: 0,
      host: '127.0.0.1',
    });
    agents.push(a);
    await a.scanNow();
    return a.port;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hostward-prom-auth-'));
    mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
    writeFileSync(path.join(dir, 'root/etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
    pki = makePki(dir);
    writeFileSync(path.join(dir, 'password'), 'scrape-password-5d1e\n');
    writeFileSync(path.join(dir, 'wrong-password'), 'not-the-password\n');
    writeFileSync(path.join(dir, 'token'), 'scrape-token-90c2b7a4e1\n');
    writeFileSync(path.join(dir, 'tokens'), 'scrape-token-90c2b7a4e1\n');
    const tls = `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n`;
    // One agent takes basic auth or the bearer token; another takes client certificates only.
    const authPort = await agentWith(
      `${tls}basic_auth_users:\n  prometheus: ${bcryptHash('scrape-password-5d1e')}\nbearer_tokens_file: tokens\n`,
    );
    const mtlsPort = await agentWith(
      `${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca}\n`,
    );

    const https = { scheme: 'https', tls_config: { ca_file: pki.ca } };
    const at = (port: number) => [{ targets: [`127.0.0.1:${port}`] }];
    const jobs = [
      {
        job_name: 'basic',
        ...https,
        basic_auth: { username: 'prometheus', password_file: path.join(dir, 'password') },
        static_configs: at(authPort),
      },
      {
        job_name: 'bearer',
        ...https,
        authorization: { type: 'Bearer', credentials_file: path.join(dir, 'token') },
        static_configs: at(authPort),
      },
      {
        job_name: 'wrong-password',
        ...https,
        basic_auth: { username: 'prometheus', password_file: path.join(dir, 'wrong-password') },
        static_configs: at(authPort),
      },
      {
        job_name: 'plain-http',
        scheme: 'http',
        basic_auth: { username: 'prometheus', password_file: path.join(dir, 'password') },
        static_configs: at(authPort),
      },
      {
        job_name: 'mtls',
        scheme: 'https',
        tls_config: { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey },
        static_configs: at(mtlsPort),
      },
      { job_name: 'mtls-no-cert', ...https, static_configs: at(mtlsPort) },
    ];
    const promDir = path.join(dir, 'prometheus');
    mkdirSync(promDir);
    const config = path.join(promDir, 'prometheus.yml');
    writeFileSync(config, stringify({ global: { scrape_interval: '2s', scrape_timeout: '2s' }, scrape_configs: jobs }));
    const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8', timeout: 30_000 });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const p = await startOnFreePort(
      'prometheus',
      (port) =>
        start('prometheus', 'prometheus', [
          `--config.file=${config}`,
          `--storage.tsdb.path=${path.join(promDir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ]),
      '/-/ready',
    );
    prom = p.server;
    promUrl = `http://127.0.0.1:${p.port}`;
  }, 120_000);

  afterAll(async () => {
    if (prom) await stop(prom);
    await Promise.all(agents.map((a) => a.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'scrapes with basic auth, with the bearer token and with a client certificate; the wrong or missing ones are down',
    { timeout: 120_000 },
    async () => {
      const want: Record<string, 'up' | 'down'> = {
        basic: 'up',
        bearer: 'up',
        mtls: 'up',
        'wrong-password': 'down',
        'plain-http': 'down',
        'mtls-no-cert': 'down',
      };
      // Each target's first scrape decides its health (unknown until then): poll the API until all have one. A
      // scrape that ran out of time says nothing of authentication (a loaded machine): wait for the next one.
      const targets = await waitFor(
        'every target scraped at least once, within its scrape timeout',
        async () => {
          const body = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
            data: { activeTargets: Target[] };
          };
          const t = body.data.activeTargets;
          const decided = (x: Target) => x.health !== 'unknown' && !/deadline exceeded/.test(x.lastError);
          return t.length === Object.keys(want).length && t.every(decided) ? t : undefined;
        },
        90_000,
        async () => `targets: ${await (await fetch(`${promUrl}/api/v1/targets`)).text()}`,
      );
      const by = new Map(targets.map((t) => [t.labels.job, t]));
      for (const [job, health] of Object.entries(want))
        expect(by.get(job)?.health, `${job}: ${by.get(job)?.lastError}`).toBe(health);
      expect(by.get('wrong-password')!.lastError).toMatch(/401/);
      expect(by.get('mtls-no-cert')!.lastError).toMatch(/403/);
      expect(by.get('plain-http')!.lastError.length).toBeGreaterThan(0);
      // And the samples are in: the failing check, through each authenticated job.
      const q = await waitFor(
        'hostward_check_status in Prometheus',
        async () => {
          const r = (await (
            await fetch(
              `${promUrl}/api/v1/query?query=${encodeURIComponent('hostward_check_status{check="demo.password_auth"}')}`,
            )
          ).json()) as {
            data: { result: { metric: { job: string }; value: [number, string] }[] };
          };
          return r.data.result.length === 3 ? r.data.result : undefined;
        },
        30_000,
      );
      expect(q.map((s) => s.metric.job).sort()).toEqual(['basic', 'bearer', 'mtls']);
      expect(q.every((s) => s.value[1] === '1')).toBe(true);
    },
  );
});
