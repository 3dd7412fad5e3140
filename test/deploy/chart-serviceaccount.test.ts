/**
 * The chart's collector.serviceAccountTokens through a real helm: each agent gets a projected ServiceAccount
 * token for the collector's audience (k8s_psat pattern) instead of the shared Secret, the collector gets the
 * issuer, audience, JWKS and the agents' account, which hostward's own configuration loader takes as a complete
 * serviceAccountTokens setup with node binding required; the rendered objects validate, and values.schema.json
 * refuses a lifetime the API server would refuse. The defaults render none of it.
 */
import { describe, expect, it } from 'vitest';
import { helm, helmAvailable, CHART, renderChart } from '../helpers/helm.js';
import type { K8s } from '../helpers/helm.js';
import { applyEnv, defaultConfig } from '../../src/config/config.js';
import { modelProblems } from './k8s-models.js';
import { shapeProblems } from './k8s-shapes.js';

const SA = {
  'collector.serviceAccountTokens.enabled': 'true',
  'collector.serviceAccountTokens.issuer': 'https://oidc.example/cluster-1',
};
const kind = (docs: K8s[], k: string) => docs.filter((d) => d.kind === k);
const agentPod = (docs: K8s[]) => kind(docs, 'DaemonSet')[0].spec.template.spec;
const collectorPod = (docs: K8s[]) => kind(docs, 'Deployment')[0].spec.template.spec;
const envOf = (pod: K8s) =>
  Object.fromEntries(
    pod.containers[0].env.filter((e: K8s) => 'value' in e).map((e: K8s) => [e.name, String(e.value)]),
  ) as Record<string, string>;

describe.skipIf(!helmAvailable)('chart: agents speak for their own node (collector.serviceAccountTokens)', () => {
  it('the agent mounts a projected token for the audience, rotated by the kubelet, and sends it', () => {
    const docs = renderChart(SA);
    const pod = agentPod(docs);
    const vol = pod.volumes.find((v: K8s) => v.name === 'token');
    expect(vol.secret).toBeUndefined();
    expect(vol.projected.sources).toEqual([
      { serviceAccountToken: { path: 'token', audience: 'hostward', expirationSeconds: 3600 } },
    ]);
    expect(pod.containers[0].volumeMounts.find((m: K8s) => m.name === 'token')).toMatchObject({
      mountPath: '/etc/hostward/token',
      readOnly: true,
    });
    expect(envOf(pod).HOSTWARD_TOKEN_FILE).toBe('/etc/hostward/token/token');
    // The pod's own account: the one the collector allows.
    expect(pod.serviceAccountName).toBe('hostward-agent');
  });

  it("the collector's environment is a complete setup hostward's loader takes, with node binding required", () => {
    const docs = renderChart(SA);
    const pod = collectorPod(docs);
    const env = envOf(pod);
    const cfg = applyEnv(defaultConfig(), env).collector;
    expect(cfg.serviceAccountTokens).toEqual({
      issuer: 'https://oidc.example/cluster-1',
      audience: 'hostward',
      jwksFile: '/etc/hostward/jwks/jwks.json',
      serviceAccounts: [`hostward:${agentPod(docs).serviceAccountName}`],
    });
    expect(cfg.requireNodeBinding).toBe(true);
    expect(pod.volumes.find((v: K8s) => v.name === 'jwks')).toEqual({
      name: 'jwks',
      configMap: { name: 'hostward-jwks' },
    });
    expect(pod.containers[0].volumeMounts.find((m: K8s) => m.name === 'jwks')).toMatchObject({
      mountPath: '/etc/hostward/jwks',
      readOnly: true,
    });
    // Another release and namespace: the allowed account follows the agent's.
    const other = renderChart(SA, 'edge', 'security');
    expect(envOf(collectorPod(other)).HOSTWARD_SA_TOKEN_SERVICE_ACCOUNTS).toBe(
      `security:${agentPod(other).serviceAccountName}`,
    );
  });

  it('every rendered object validates (Kubernetes schemas and the offline shapes)', () => {
    const docs = renderChart({
      ...SA,
      'collector.serviceAccountTokens.expirationSeconds': '7200',
      'collector.serviceAccountTokens.audience': 'hostward-prod',
    });
    expect(modelProblems(docs).filter((p) => !p.endsWith('no model'))).toEqual([]);
    for (const d of docs) expect(shapeProblems(d), `${d.kind}/${d.metadata?.name}`).toEqual([]);
    expect(
      agentPod(docs).volumes.find((v: K8s) => v.name === 'token').projected.sources[0].serviceAccountToken,
    ).toEqual({ path: 'token', audience: 'hostward-prod', expirationSeconds: 7200 });
    expect(envOf(collectorPod(docs)).HOSTWARD_SA_TOKEN_AUDIENCE).toBe('hostward-prod');
  });

  it('values.schema.json refuses a token lifetime under 10 minutes (the API server minimum)', () => {
    const r = helm(
      'template',
      'hostward',
      CHART,
      '--namespace',
      'hostward',
      '--set',
      'collector.serviceAccountTokens.enabled=true',
      '--set',
      'collector.serviceAccountTokens.expirationSeconds=300',
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/expirationSeconds/);
  });

  it('requireNodeBinding alone; and by default neither, the shared Secret as before', () => {
    expect(
      envOf(collectorPod(renderChart({ 'collector.requireNodeBinding': 'true' }))).HOSTWARD_REQUIRE_NODE_BINDING,
    ).toBe('true');
    const docs = renderChart();
    const env = envOf(collectorPod(docs));
    expect(Object.keys(env).filter((k) => /SA_TOKEN|REQUIRE_NODE/.test(k))).toEqual([]);
    expect(agentPod(docs).volumes.find((v: K8s) => v.name === 'token').secret.secretName).toBe('hostward-agent-token');
  });
});
