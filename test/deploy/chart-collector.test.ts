/**
 * The collector's routing and NetworkPolicy through a real helm. Routing values are checked by
 * values.schema.json (helm lint --strict refuses a bad route, takes a good one), rendered into the collector's
 * configuration file, which hostward's own validator accepts, and a route naming a sink the values do not
 * configure stops the rendering. The NetworkPolicy's egress follows the configured sinks (DNS plus their
 * ports), and its ingress admits the agents by label on the pod network, by node CIDR on the host network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { CHART, helm, helmAvailable, renderChart, yamlDocs } from '../helpers/helm.js';
import type { K8s } from '../helpers/helm.js';
import { validateConfig } from '../../src/config/config.js';
import { catalogue } from '../../src/scan/catalogue.js';
import { PROBES } from '../../probes/registry.js';
import { modelProblems } from './k8s-models.js';

const GOOD_ROUTING = {
  routes: [
    { match: { severity: { min: 'high' }, probe: ['ssh', 'kernel'] }, sinks: ['pagerduty'], continue: true },
    { match: { check: 'integrity.*' }, sinks: ['slack'] },
    {
      match: { severity: ['critical', 'high'], check: ['ssh.*', 'ports.?ocker*'] },
      sinks: ['alertmanager', 'webhook'],
    },
  ],
  default: ['slack', 'stdout'],
  inhibit: [{ source: { severity: 'critical' }, target: { severity: ['medium', 'low', 'info'] } }],
};
const ALL_SINKS = {
  sinks: {
    slack: { secretName: 'slack' },
    pagerduty: { secretName: 'pd' },
    alertmanagerUrls: ['http://alertmanager-0.monitoring:9093', 'http://alertmanager-1.monitoring:9093'],
    webhook: { secretName: 'soc', hmacSecretKey: 'hmac', port: 8443 },
  },
};

const ctx = {
  checkIds: new Set(catalogue(PROBES).map((c) => c.id)),
  probes: new Map(PROBES.map((p) => [p.name, p.options])),
};

describe.skipIf(!helmAvailable)('chart: collector routing (collector.routing)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hostward-chart-routing-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const valuesFile = (collector: Record<string, unknown>) => {
    const f = path.join(dir, `values-${n++}.yaml`);
    writeFileSync(f, stringify({ collector }));
    return f;
  };
  const template = (collector: Record<string, unknown>) =>
    helm('template', 'hostward', CHART, '--namespace', 'hostward', '-f', valuesFile(collector));

  it('helm lint --strict accepts a good routing and refuses bad ones, at the key', () => {
    const ok = helm('lint', '--strict', CHART, '-f', valuesFile({ ...ALL_SINKS, routing: GOOD_ROUTING }));
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const bad: [string, Record<string, unknown>][] = [
      [
        '/collector/routing/routes/0/match/severity',
        { routes: [{ match: { severity: 'urgent' }, sinks: ['stdout'] }], default: [] },
      ],
      [
        '/collector/routing/routes/0/match/severity',
        { routes: [{ match: { severity: { min: 'high', max: 'low' } }, sinks: ['stdout'] }], default: [] },
      ],
      ['/collector/routing/routes/0', { routes: [{ match: { probe: 'ssh' } }], default: [] }],
      ['/collector/routing/routes/0/sinks/0', { routes: [{ sinks: ['email'] }], default: [] }],
      [
        '/collector/routing/routes/0/match/check',
        { routes: [{ match: { check: 'ssh password' }, sinks: ['stdout'] }], default: [] },
      ],
      ['/collector/routing', { routes: [{ sinks: ['stdout'] }] }],
      ['/collector/routing/inhibit/0', { inhibit: [{ source: { severity: 'critical' } }] }],
      ['/collector/routing', { route: [] }],
    ];
    for (const [where, routing] of bad) {
      const r = helm('lint', '--strict', CHART, '-f', valuesFile({ routing }));
      expect(r.status, `${JSON.stringify(routing)}: ${r.stdout}`).not.toBe(0);
      expect(r.stdout + r.stderr, JSON.stringify(routing)).toContain(`at '${where}'`);
    }
  });

  it('renders the routing into the collector configuration, which hostward accepts as it is', () => {
    const r = template({ ...ALL_SINKS, routing: GOOD_ROUTING });
    expect(r.status, r.stderr).toBe(0);
    const docs = yamlDocs(r.stdout, 'helm template');
    expect(modelProblems(docs)).toEqual([]);
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'hostward-collector');
    const text = cm.data['config.yaml'] as string;
    expect(parse(text)).toEqual({ collector: { routing: GOOD_ROUTING } });
    const cfg = validateConfig(parse(text), ctx, 'rendered collector config');
    expect(cfg.collector.routing?.routes[0]).toEqual({
      match: { severities: ['critical', 'high'], probes: ['ssh', 'kernel'] },
      sinks: ['pagerduty'],
      continue: true,
    });
    expect(cfg.collector.routing?.default).toEqual(['slack', 'stdout']);
    expect(cfg.collector.routing?.inhibit).toHaveLength(1);
    // Mounted where HOSTWARD_CONFIG says, and a change rolls the collector.
    const dep = docs.find((d) => d.kind === 'Deployment');
    const c = dep.spec.template.spec.containers[0];
    expect(c.env.find((e: K8s) => e.name === 'HOSTWARD_CONFIG').value).toBe('/etc/hostward/config/config.yaml');
    expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/hostward/config', readOnly: true });
    expect(dep.spec.template.spec.volumes).toContainEqual({
      name: 'config',
      configMap: { name: 'hostward-collector' },
    });
    expect(dep.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    // The webhook sink's Secret: URL and HMAC secret as files.
    expect(c.env.find((e: K8s) => e.name === 'HOSTWARD_WEBHOOK_URL_FILE').value).toBe('/etc/hostward/webhook/url');
    expect(c.env.find((e: K8s) => e.name === 'HOSTWARD_WEBHOOK_SECRET_FILE').value).toBe('/etc/hostward/webhook/hmac');
  });

  it('without routing values nothing is rendered for it (the collector decides what no routing means)', () => {
    const docs = renderChart();
    expect(docs.filter((d) => d.kind === 'ConfigMap' && d.metadata.name === 'hostward-collector')).toEqual([]);
    const c = docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0];
    expect(c.env.some((e: K8s) => e.name === 'HOSTWARD_CONFIG')).toBe(false);
  });

  it('a route to a sink the values do not configure stops the rendering, naming the key', () => {
    const r = template({
      routing: { routes: [{ match: { severity: 'critical' }, sinks: ['pagerduty'] }], default: ['stdout'] },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'collector.routing.routes[0].sinks: no sink named "pagerduty" is configured (configured: stdout)',
    );
    const d = template({ sinks: { file: '/var/lib/hostward/audit.ndjson' }, routing: { default: ['stdout'] } });
    expect(d.status).not.toBe(0);
    expect(d.stderr).toContain('collector.routing.default: no sink named "stdout" is configured (configured: file)');
  });
});

describe.skipIf(!helmAvailable)('chart: the collector NetworkPolicy follows the sinks and admits the agents', () => {
  const policy = (sets: Record<string, string>) => {
    const docs = renderChart(sets);
    expect(modelProblems(docs)).toEqual([]);
    return docs.find((d) => d.kind === 'NetworkPolicy');
  };
  const egress = (np: K8s) => np.spec.egress.flatMap((e: K8s) => e.ports.map((p: K8s) => `${p.port}/${p.protocol}`));
  const DNS = ['53/UDP', '53/TCP'];

  it.each([
    ['no network sink (the file sink only)', {}, []],
    ['Slack', { 'collector.sinks.slack.secretName': 'slack' }, ['443/TCP']],
    ['PagerDuty, public endpoint', { 'collector.sinks.pagerduty.secretName': 'pd' }, ['443/TCP']],
    [
      'PagerDuty at a URL with a port',
      {
        'collector.sinks.pagerduty.secretName': 'pd',
        'collector.sinks.pagerduty.url': 'https://events.pd.example:8443/v2/enqueue',
      },
      ['8443/TCP'],
    ],
    [
      'Alertmanager replicas',
      { 'collector.sinks.alertmanagerUrls': '{http://am-0.monitoring:9093,http://am-1.monitoring:9093}' },
      ['9093/TCP'],
    ],
    ['Alertmanager behind https, no port', { 'collector.sinks.alertmanagerUrls': '{https://am.example}' }, ['443/TCP']],
    ['Alertmanager over http, no port', { 'collector.sinks.alertmanagerUrls': '{http://am.monitoring}' }, ['80/TCP']],
    ['webhook', { 'collector.sinks.webhook.secretName': 'soc', 'collector.sinks.webhook.port': '8080' }, ['8080/TCP']],
    [
      'every sink, and a proxy port',
      {
        'collector.sinks.slack.secretName': 's',
        'collector.sinks.pagerduty.secretName': 'p',
        'collector.sinks.alertmanagerUrls': '{http://am:9093}',
        'collector.sinks.webhook.secretName': 'w',
        'collector.networkPolicy.extraEgressPorts': '{3128}',
      },
      ['443/TCP', '9093/TCP', '3128/TCP'],
    ],
  ] as [string, Record<string, string>, string[]][])(
    "%s: egress to DNS and the sinks' ports only",
    (_name, sets, ports) => {
      expect(egress(policy(sets))).toEqual([...DNS, ...ports]);
    },
  );

  it('agents on the pod network are admitted by label, and nothing else on that rule', () => {
    const np = policy({ 'agent.hostNetwork': 'false' });
    expect(np.spec.ingress[0].from).toEqual([
      {
        podSelector: {
          matchLabels: {
            'app.kubernetes.io/name': 'hostward',
            'app.kubernetes.io/instance': 'hostward',
            'app.kubernetes.io/component': 'agent',
          },
        },
      },
    ]);
  });

  it('agents on the host network are admitted from the node CIDRs given, and not by a podSelector that cannot match them', () => {
    const np = policy({ 'collector.networkPolicy.nodeCIDRs': '{10.20.0.0/16,fd00:10::/64}' });
    expect(np.spec.ingress[0].from).toEqual([
      { ipBlock: { cidr: '10.20.0.0/16' } },
      { ipBlock: { cidr: 'fd00:10::/64' } },
    ]);
  });

  it('no private-range guess: without nodeCIDRs the rule says "any source" openly, and Prometheus keeps its own rule', () => {
    const np = policy({});
    expect(np.spec.ingress[0]).toEqual({ ports: [{ port: 'http', protocol: 'TCP' }] });
    expect(JSON.stringify(np)).not.toMatch(/10\.0\.0\.0\/8|172\.16\.0\.0\/12|192\.168\.0\.0\/16/);
    expect(np.spec.ingress[1].from[0].namespaceSelector).toBeDefined();
  });
});
