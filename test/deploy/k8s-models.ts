/**
 * The kubernetes-models class of a rendered object (Kubernetes and Prometheus Operator schemas), by apiVersion
 * and kind; undefined for kinds it does not model. Shared by the chart tests that validate what helm renders.
 */
import { createRequire } from 'node:module';
import type { K8s } from '../helpers/helm.js';

const require = createRequire(import.meta.url);

export function modelFor(d: K8s): (new (o: K8s) => { validate(): void }) | undefined {
  const [group, version] = String(d.apiVersion).includes('/')
    ? String(d.apiVersion).split('/')
    : ['', String(d.apiVersion)];
  const mod =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${d.kind}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}/${d.kind}`;
  try {
    return (require(mod) as Record<string, new (o: K8s) => { validate(): void }>)[d.kind];
  } catch {
    return undefined;
  }
}

/** Validation problems of every rendered object: "<kind>/<name>: <error>", or "no model" for an unknown kind. */
export function modelProblems(docs: readonly K8s[]): string[] {
  const out: string[] = [];
  for (const d of docs) {
    const Model = modelFor(d);
    const key = `${d.kind}/${d.metadata?.name}`;
    if (!Model) out.push(`${key}: no model`);
    else {
      try {
        new Model(d).validate();
      } catch (e) {
        out.push(`${key}: ${(e as Error).message.slice(0, 300)}`);
      }
    }
  }
  return out;
}
