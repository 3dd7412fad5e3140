/**
 * The chart's agent.web and agent.listen values through a real helm: the web configuration it writes is one
 * hostward's own loader accepts (with real openssl certificates in place of the mounted Secrets), the
 * DaemonSet mounts it and probes over HTTPS, the PodMonitor and ServiceMonitor scrape with scheme, tlsConfig and
 * basicAuth or authorization from Secrets (validated by the Prometheus Operator schemas), values.schema.json
 * refuses an incomplete setup, and the agent binds the node address unless told otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { pino } from 'pino';
import { CHART, helm, helmAvailable, renderChart } from '../helpers/helm.js';
import type { K8s } from '../helpers/helm.js';
import { loadWebConfig } from '../../src/agent/web-config.js';
import { WebGuard } from '../../src/agent/web-auth.js';
import { bcryptHash, makePki } from '../helpers/web.js';
import type { Pki } from '../helpers/web.js';
import { modelProblems } from './k8s-models.js';

const HASH = '$2y$10$' + 'a'.repeat(53);
const TLS = { 'agent.web.tls.enabled': 'true', 'agent.web.tls.secretName': 'hostward-agent-tls' };
const BEARER = { 'agent.web.bearer.enabled': 'true', 'agent.web.bearer.secretName': 'hostward-scrape-token' };
const BASIC = {
  'agent.web.basicAuth.enabled': 'true',
  'agent.web.basicAuth.secretName': 'hostward-scrape-basic',
  'agent.web.basicAuth.users.prometheus': HASH,
};

const kind = (docs: K8s[], k: string, name?: string) =>
  docs.filter((d) => d.kind === k && (name === undefined || d.metadata.name === name));
const container = (docs: K8s[]) => kind(docs, 'DaemonSet')[0].spec.template.spec.containers[0];
const env = (docs: K8s[]) => new Map<string, K8s>(container(docs).env.map((e: K8s) => [e.name, e]));
const agentEndpoint = (docs: K8s[]) => kind(docs, 'PodMonitor', 'hostward-agent')[0].spec.podMetricsEndpoints[0];

describe.skipIf(!helmAvailable)('chart: TLS and authentication of the agent (agent.web)', () => {
  let dir: string;
  let pki: Pki;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hostward-chart-web-'));
    pki = makePki(dir);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The rendered web-config.yml with its /etc/hostward/ paths moved under a temp dir holding real files. */
  function loadRendered(docs: K8s[], files: Record<string, string>): ReturnType<typeof loadWebConfig> {
    const secret = kind(docs, 'Secret', 'hostward-agent-web')[0];
    const base = mkdtempSync(path.join(dir, 'etc-'));
    for (const [rel, from] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
      copyFileSync(from, path.join(base, rel));
    }
    const file = path.join(base, 'web/web-config.yml');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, (secret.stringData['web-config.yml'] as string).replaceAll('/etc/hostward/', `${base}/`));
    return loadWebConfig(file);
  }

  it('off by default: no web Secret, no scheme or credentials on the monitors, probes over HTTP', () => {
    const docs = renderChart();
    expect(kind(docs, 'Secret')).toEqual([]);
    const ep = agentEndpoint(docs);
    expect(ep.scheme).toBeUndefined();
    expect(ep.tlsConfig ?? ep.basicAuth ?? ep.authorization).toBeUndefined();
    expect(container(docs).livenessProbe.httpGet.scheme).toBeUndefined();
  });

  it('TLS with a bearer token: a web configuration hostward accepts, Secrets mounted read-only, HTTPS probes and scrapes', () => {
    const docs = renderChart({ ...TLS, ...BEARER, 'monitoring.serviceMonitor.enabled': 'true' });
    expect(modelProblems(docs)).toEqual([]);
    const tokens = path.join(dir, 'token');
    writeFileSync(tokens, 'a-token\n');
    const cfg = loadRendered(docs, {
      'web-tls/tls.crt': pki.serverCert,
      'web-tls/tls.key': pki.serverKey,
      'web-bearer/token': tokens,
    });
    expect(cfg.tls).toMatchObject({ clientAuthType: 'NoClientCert', minVersion: 'TLSv1.2' });
    expect(new WebGuard(cfg.file, pino({ level: 'silent' })).methods()).toEqual(['bearer']);

    const c = container(docs);
    expect(env(docs).get('HOSTWARD_WEB_CONFIG_FILE')?.value).toBe('/etc/hostward/web/web-config.yml');
    const pod = kind(docs, 'DaemonSet')[0].spec.template.spec;
    for (const [volume, secret, at] of [
      ['web', 'hostward-agent-web', '/etc/hostward/web'],
      ['web-tls', 'hostward-agent-tls', '/etc/hostward/web-tls'],
      ['web-bearer', 'hostward-scrape-token', '/etc/hostward/web-bearer'],
    ]) {
      expect(pod.volumes.find((v: K8s) => v.name === volume)?.secret, volume).toEqual({
        secretName: secret,
        defaultMode: 0o400,
      });
      expect(
        c.volumeMounts.find((m: K8s) => m.name === volume),
        volume,
      ).toEqual({ name: volume, mountPath: at, readOnly: true });
    }
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics', scheme: 'HTTPS' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics', scheme: 'HTTPS' });
    expect(kind(docs, 'DaemonSet')[0].spec.template.metadata.annotations['prometheus.io/scheme']).toBe('https');

    const want = {
      scheme: 'https',
      tlsConfig: {
        ca: { secret: { name: 'hostward-agent-tls', key: 'ca.crt' } },
        serverName: 'hostward-agent.hostward.svc',
      },
      authorization: { type: 'Bearer', credentials: { name: 'hostward-scrape-token', key: 'token' } },
    };
    expect(agentEndpoint(docs)).toMatchObject(want);
    expect(kind(docs, 'ServiceMonitor')[0].spec.endpoints[0]).toMatchObject(want);
    // The collector's own /metrics is not the agent's: untouched.
    const col = kind(docs, 'PodMonitor', 'hostward-collector')[0].spec.podMetricsEndpoints[0];
    expect(col.scheme ?? col.tlsConfig ?? col.authorization).toBeUndefined();
  });

  it('basic auth: the users are bcrypt hashes in the web configuration, Prometheus reads user and password from a Secret', () => {
    const hash = bcryptHash('pw');
    const docs = renderChart({ ...BASIC, 'agent.web.basicAuth.users.prometheus': hash });
    expect(modelProblems(docs)).toEqual([]);
    const cfg = loadRendered(docs, {});
    expect(cfg.basicAuthUsers).toEqual({ prometheus: hash });
    expect(cfg.tls).toBeUndefined();
    expect(agentEndpoint(docs).basicAuth).toEqual({
      username: { name: 'hostward-scrape-basic', key: 'username' },
      password: { name: 'hostward-scrape-basic', key: 'password' },
    });
    expect(agentEndpoint(docs).scheme).toBeUndefined();
    // No secret value in the DaemonSet: every credential is a mounted file.
    expect(JSON.stringify(kind(docs, 'DaemonSet')[0])).not.toContain(hash);
  });

  it('client certificates: RequireAndVerifyClientCert with the CA of the TLS Secret; Prometheus presents its own', () => {
    const docs = renderChart({
      ...TLS,
      'agent.web.tls.clientAuthType': 'RequireAndVerifyClientCert',
      'agent.web.tls.scrape.clientCertSecretName': 'prometheus-client',
      'agent.web.tls.scrape.serverName': 'agent.example',
    });
    expect(modelProblems(docs)).toEqual([]);
    const cfg = loadRendered(docs, {
      'web-tls/tls.crt': pki.serverCert,
      'web-tls/tls.key': pki.serverKey,
      'web-tls/ca.crt': pki.ca,
    });
    expect(cfg.tls?.clientAuthType).toBe('RequireAndVerifyClientCert');
    expect(new WebGuard(cfg.file, pino({ level: 'silent' })).methods()).toEqual(['client-certificate']);
    expect(agentEndpoint(docs).tlsConfig).toEqual({
      ca: { secret: { name: 'hostward-agent-tls', key: 'ca.crt' } },
      serverName: 'agent.example',
      cert: { secret: { name: 'prometheus-client', key: 'tls.crt' } },
      keySecret: { name: 'prometheus-client', key: 'tls.key' },
    });
  });

  it('values.schema.json refuses an incomplete setup (helm lint --strict)', () => {
    const lint = (values: Record<string, unknown>) => {
      const f = path.join(dir, `values-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(f, stringify(values));
      return helm('lint', '--strict', CHART, '-f', f);
    };
    const ok = lint({
      agent: {
        web: {
          tls: { enabled: true, secretName: 't' },
          basicAuth: { enabled: true, secretName: 'b', users: { prometheus: HASH } },
        },
      },
    });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    for (const [where, values] of [
      ['/agent/web/tls/secretName', { agent: { web: { tls: { enabled: true } } } }],
      [
        '/agent/web/basicAuth/users/prometheus',
        { agent: { web: { basicAuth: { enabled: true, secretName: 'b', users: { prometheus: 'hunter2' } } } } },
      ],
      ['/agent/web/basicAuth/users', { agent: { web: { basicAuth: { enabled: true, secretName: 'b' } } } }],
      ['/agent/web/bearer/secretName', { agent: { web: { bearer: { enabled: true } } } }],
      [
        '/agent/web/tls/minVersion',
        { agent: { web: { tls: { enabled: true, secretName: 't', minVersion: 'TLS11' } } } },
      ],
      ['/agent/listen/0', { agent: { listen: ['node-1'] } }],
    ] as const) {
      const r = lint(values);
      expect(r.status, `${where}: ${r.stdout}`).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`at '${where}'`);
    }
  });
});

describe.skipIf(!helmAvailable)('chart: where the agent listens', () => {
  it('on the host network: the node address ($(HOST_IP) from status.hostIP) and loopback', () => {
    const e = env(renderChart());
    expect(e.get('HOSTWARD_LISTEN')?.value).toBe('$(HOST_IP),127.0.0.1');
    expect(e.get('HOST_IP')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
  });

  it('on the pod network: the default (0.0.0.0, the pod address), no HOST_IP; agent.listen wins over both', () => {
    const pod = env(renderChart({ 'agent.hostNetwork': 'false' }));
    expect(pod.has('HOSTWARD_LISTEN')).toBe(false);
    expect(pod.has('HOST_IP')).toBe(false);
    const set = env(renderChart({ 'agent.listen': '{127.0.0.1,::1}' }));
    expect(set.get('HOSTWARD_LISTEN')?.value).toBe('127.0.0.1,::1');
    expect(set.has('HOST_IP')).toBe(false);
  });

  it('the configuration the agent is given still passes its validator with the listen addresses set', async () => {
    const { applyEnv, defaultConfig } = await import('../../src/config/config.js');
    // What the kubelet hands the agent once it expanded $(HOST_IP).
    const c = applyEnv(defaultConfig(), { HOSTWARD_LISTEN: '$(HOST_IP),127.0.0.1'.replace('$(HOST_IP)', '10.0.1.23') });
    expect(c.agent.listen).toEqual(['10.0.1.23', '127.0.0.1']);
  });
});
