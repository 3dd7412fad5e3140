/**
 * deploy/manifests/ (the chart rendered with its defaults) and deploy/helm/hostward: every document has known
 * Kubernetes / Prometheus Operator fields; the agent DaemonSet is the hardened shape deploy/README.md
 * describes; the collector has its volume, Service, NetworkPolicy and Secrets; no RBAC; the chart's
 * templates use only values that values.yaml and values.schema.json define; and manifests and values agree
 * on image, ports, capabilities, mounts, resources and the agent configuration (which hostward's own
 * validator accepts).
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { schemaProblems, shapeProblems } from './k8s-shapes.js';
import { validateConfig } from '../../src/config/config.js';
import { catalogue } from '../../src/scan/catalogue.js';
import { PROBES } from '../../probes/registry.js';

const CHART = path.resolve('deploy/helm/hostward');
const MANIFESTS = path.resolve('deploy/manifests');

type K8s = any;

function load(file: string): K8s[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      expect(d.errors, file).toEqual([]);
      return d.toJS();
    })
    .filter((d) => d !== null);
}

const docs: K8s[] = readdirSync(MANIFESTS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => load(path.join(MANIFESTS, f)));
const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
const chart = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'));
const one = (kind: string, name: string): K8s => {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0];
};
const ds = one('DaemonSet', 'hostward-agent');
const pod = ds.spec.template.spec;
const agent = pod.containers[0];
const collector = one('Deployment', 'hostward-collector');
const cpod = collector.spec.template.spec;
const ccontainer = cpod.containers[0];

/** Kubernetes quantities (Mi, Gi, M, plain bytes) in bytes. */
function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(q);
  if (!m) throw new Error(`quantity ${q}`);
  const mult: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
}

describe('manifests: shapes', () => {
  it('every document is a known kind with known fields, in namespace hostward', () => {
    expect(docs.length).toBeGreaterThanOrEqual(12);
    for (const d of docs) {
      expect(shapeProblems(d), `${d.kind}/${d.metadata?.name}`).toEqual([]);
      expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      if (d.kind !== 'Namespace') expect(d.metadata.namespace).toBe('hostward');
    }
  });

  it('the shape check catches misspelt fields (it can fail)', () => {
    const bad = structuredClone(ds);
    bad.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    bad.spec.template.spec.containers[0].volumeMounts[0].mountPropogation = 'HostToContainer';
    expect(shapeProblems(bad)).toEqual([
      'DaemonSet.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: not a field of SecurityContext',
      'DaemonSet.spec.template.spec.containers[0].volumeMounts[0].mountPropogation: not a field of VolumeMount',
    ]);
    expect(shapeProblems({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual([
      'kind Pod is not one this chart renders',
    ]);
  });

  it('selectors match their pod templates, and named ports exist', () => {
    for (const w of [ds, collector]) {
      for (const [k, v] of Object.entries(w.spec.selector.matchLabels))
        expect(w.spec.template.metadata.labels[k]).toBe(v);
    }
    const svc = one('Service', 'hostward-collector');
    for (const [k, v] of Object.entries(svc.spec.selector))
      expect(cpod.containers[0] && collector.spec.template.metadata.labels[k]).toBe(v);
    expect(ccontainer.ports.map((p: K8s) => p.name)).toContain(svc.spec.ports[0].targetPort);
    for (const pm of docs.filter((d) => d.kind === 'PodMonitor')) {
      const target = pm.metadata.name === 'hostward-agent' ? ds : collector;
      for (const [k, v] of Object.entries(pm.spec.selector.matchLabels))
        expect(target.spec.template.metadata.labels[k]).toBe(v);
      expect(target.spec.template.spec.containers[0].ports.map((p: K8s) => p.name)).toContain(
        pm.spec.podMetricsEndpoints[0].port,
      );
    }
  });
});

describe('manifests: the agent DaemonSet', () => {
  it('shares the host PID namespace, is not privileged, runs as uid 0 with ALL dropped and the measured three added', () => {
    expect(pod.hostPID).toBe(true);
    const sc = agent.securityContext;
    expect(sc.privileged).toBe(false);
    expect(sc.runAsUser).toBe(0);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.capabilities.drop).toEqual(['ALL']);
    // Measured in test/deploy/capabilities.test.ts; each justified in deploy/README.md.
    expect([...sc.capabilities.add].sort()).toEqual(['DAC_READ_SEARCH', 'SYS_CHROOT', 'SYS_PTRACE']);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.automountServiceAccountToken).toBe(false);
    // hostNetwork: for the ssh live probe and the ports reachability scan (values.yaml says why).
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
  });

  it('mounts the host root read-only at /host (HostToContainer), and /var/lib/hostward is the only writable host path', () => {
    const hostPaths = new Map<string, string>(
      pod.volumes.filter((v: K8s) => v.hostPath).map((v: K8s) => [v.name, v.hostPath.path]),
    );
    const root = agent.volumeMounts.find((m: K8s) => hostPaths.get(m.name) === '/');
    expect(root).toEqual({
      name: 'host-root',
      mountPath: '/host',
      readOnly: true,
      mountPropagation: 'HostToContainer',
    });
    const writable = agent.volumeMounts
      .filter((m: K8s) => hostPaths.has(m.name) && m.readOnly !== true)
      .map((m: K8s) => hostPaths.get(m.name));
    expect(writable).toEqual(['/var/lib/hostward']);
    expect(agent.volumeMounts.find((m: K8s) => m.mountPath === '/var/lib/hostward')?.name).toBe('state');
    // Everything else writable is a pod-local emptyDir.
    const others = agent.volumeMounts.filter((m: K8s) => !hostPaths.has(m.name) && m.readOnly !== true);
    for (const m of others) expect(pod.volumes.find((v: K8s) => v.name === m.name).emptyDir).toBeDefined();
  });

  it('tolerates every taint, has a priority class, rolls with maxUnavailable', () => {
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(ds.spec.updateStrategy.type).toBe('RollingUpdate');
    expect(ds.spec.updateStrategy.rollingUpdate.maxUnavailable).toMatch(/^\d+%?$/);
  });

  it('sizes memory from the measurements: request ≥ the idle agent, limit ≥ agent + scan child at its peak', () => {
    const idle = 58e6; // idle VmRSS, README "Benchmarks"
    const scanPeak = 227 * 1024 ** 2; // scan child peak with the full apt lists
    expect(bytes(agent.resources.requests.memory)).toBeGreaterThanOrEqual(idle);
    expect(bytes(agent.resources.limits.memory)).toBeGreaterThanOrEqual(idle + scanPeak);
    // and no more than the tenth-of-Falco's-512Mi ambition allows for the request
    expect(bytes(agent.resources.requests.memory)).toBeLessThanOrEqual(128 * 1024 ** 2);
  });

  it('probes /healthz and /readyz on the metrics port, 9750', () => {
    expect(agent.ports).toEqual([{ name: 'metrics', containerPort: 9750, protocol: 'TCP' }]);
    expect(agent.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(agent.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  });

  it('takes the node name from the downward API and secrets from mounted files (*_FILE), never from values', () => {
    const env = new Map<string, K8s>(agent.env.map((e: K8s) => [e.name, e]));
    expect(env.get('NODE_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
    for (const [name, volume, secret] of [
      ['HOSTWARD_TOKEN_FILE', 'token', 'hostward-agent-token'],
      ['HOSTWARD_INTEGRITY_KEY_FILE', 'integrity-key', 'hostward-integrity-key'],
    ] as const) {
      const file = env.get(name)?.value as string;
      const mount = agent.volumeMounts.find((m: K8s) => file.startsWith(m.mountPath + '/'));
      expect(mount?.name, name).toBe(volume);
      expect(mount.readOnly).toBe(true);
      const v = pod.volumes.find((x: K8s) => x.name === volume);
      expect(v.secret.secretName).toBe(secret);
      expect(v.secret.defaultMode).toBe(0o400);
    }
    // No secret value anywhere in an env var.
    for (const e of agent.env) expect(e.valueFrom?.secretKeyRef).toBeUndefined();
  });

  it('sets only environment variables hostward reads', () => {
    const source = ['src', 'probes']
      .flatMap((d) =>
        readdirSync(d, { recursive: true, withFileTypes: true })
          .filter((f) => f.isFile() && f.name.endsWith('.ts'))
          .map((f) => readFileSync(path.join(f.parentPath, f.name), 'utf8')),
      )
      .join('\n');
    for (const c of [agent, ccontainer]) {
      // A variable that only feeds another's $(NAME) expansion (HOST_IP into HOSTWARD_LISTEN) is the kubelet's.
      const expanded = (name: string) =>
        c.env.some((x: K8s) => typeof x.value === 'string' && x.value.includes(`$(${name})`));
      for (const e of c.env)
        // Read directly (env.NAME) or declared by a registered sink (env: 'NAME').
        if (e.name !== 'NODE_NAME' && !expanded(e.name))
          expect(source, e.name).toMatch(new RegExp(`env\\.${e.name}\\b|env: '${e.name}'`));
    }
    expect(source).toMatch(/NODE_NAME/);
  });

  it('the agent configuration in the ConfigMap passes hostward’s own validator, and the checksum annotation is its hash', () => {
    const text = one('ConfigMap', 'hostward-agent').data['config.yaml'] as string;
    const ctx = {
      checkIds: new Set(catalogue(PROBES).map((c) => c.id)),
      probes: new Map(PROBES.map((p) => [p.name, p.options])),
    };
    const cfg = validateConfig(parse(text), ctx, 'configmap');
    expect(cfg.root).toBe('/host');
    expect(cfg.agent.stateDir).toBe('/var/lib/hostward');
    expect(cfg.agent.port).toBe(9750);
    expect(ds.spec.template.metadata.annotations['checksum/config']).toBe(
      createHash('sha256').update(text.replace(/\n$/, '')).digest('hex'),
    );
  });
});

describe('manifests: collector, RBAC, monitoring', () => {
  it('the collector keeps SQLite on a PVC, runs unprivileged, reads tokens and sink secrets from files', () => {
    expect(collector.spec.replicas).toBe(1);
    expect(collector.spec.strategy.type).toBe('Recreate');
    const pvc = one('PersistentVolumeClaim', 'hostward-collector');
    expect(cpod.volumes.find((v: K8s) => v.name === 'data').persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    const env = new Map<string, string>(ccontainer.env.map((e: K8s) => [e.name, e.value]));
    expect(path.dirname(env.get('HOSTWARD_DB')!)).toBe(
      ccontainer.volumeMounts.find((m: K8s) => m.name === 'data').mountPath,
    );
    expect(env.get('HOSTWARD_TOKENS_FILE')).toBe('/etc/hostward/tokens/token');
    expect(cpod.volumes.find((v: K8s) => v.name === 'tokens').secret.secretName).toBe('hostward-agent-token');
    expect(cpod.securityContext.runAsNonRoot).toBe(true);
    expect(cpod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(ccontainer.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(ccontainer.securityContext.capabilities.add).toBeUndefined();
    expect(ccontainer.args).toEqual(['collector', '--port', '9751']);
    // The agents reach it through the Service.
    expect(agent.env.find((e: K8s) => e.name === 'HOSTWARD_COLLECTOR_URL').value).toBe(
      'http://hostward-collector.hostward.svc:9751',
    );
  });

  it('the NetworkPolicy: host-network agents from anywhere until nodeCIDRs are set (said, not hidden), Prometheus by namespace, only DNS out with the file sink alone', () => {
    const np = one('NetworkPolicy', 'hostward-collector');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('collector');
    expect(np.spec.ingress).toHaveLength(2);
    // No private-range guess: a podSelector cannot match host-network pods, and the node CIDRs are the cluster's.
    expect(np.spec.ingress[0]).toEqual({ ports: [{ port: 'http', protocol: 'TCP' }] });
    expect(np.spec.ingress[1]).toEqual({
      ports: [{ port: 'http', protocol: 'TCP' }],
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    });
    // The default sinks are the file sink on stdout: nothing to reach but DNS.
    expect(np.spec.egress).toEqual([
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('the agent binds the node address and loopback, not every address of the host', () => {
    const env = new Map<string, K8s>(agent.env.map((e: K8s) => [e.name, e]));
    expect(env.get('HOST_IP')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    expect(env.get('HOSTWARD_LISTEN')?.value).toBe('$(HOST_IP),127.0.0.1');
    // Defined before it is used: the kubelet expands $(NAME) only from earlier variables.
    expect(agent.env.findIndex((e: K8s) => e.name === 'HOST_IP')).toBeLessThan(
      agent.env.findIndex((e: K8s) => e.name === 'HOSTWARD_LISTEN'),
    );
    // No web configuration by default: /v1/report is refused, /metrics is open (ports.agent_exposed says so).
    expect(env.has('HOSTWARD_WEB_CONFIG_FILE')).toBe(false);
  });

  it('no Role, ClusterRole or binding; no service account token mounted', () => {
    expect(docs.filter((d) => /Role/.test(d.kind))).toEqual([]);
    for (const sa of docs.filter((d) => d.kind === 'ServiceAccount'))
      expect(sa.automountServiceAccountToken).toBe(false);
    expect(cpod.automountServiceAccountToken).toBe(false);
  });

  it('PodMonitors set the job the rules select on and a node label; pods carry prometheus.io annotations as a fallback', () => {
    const jobs = docs
      .filter((d) => d.kind === 'PodMonitor')
      .map((d) => d.spec.podMetricsEndpoints[0].relabelings.find((r: K8s) => r.targetLabel === 'job').replacement);
    expect(jobs.sort()).toEqual(['hostward-agent', 'hostward-collector']);
    for (const d of docs.filter((x) => x.kind === 'PodMonitor')) {
      expect(d.spec.podMetricsEndpoints[0].relabelings).toContainEqual({
        action: 'replace',
        sourceLabels: ['__meta_kubernetes_pod_node_name'],
        targetLabel: 'node',
      });
    }
    expect(ds.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9750',
      'prometheus.io/path': '/metrics',
    });
    expect(collector.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9751',
    });
  });

  it('the PrometheusRule is deploy/prometheus/hostward-rules.yaml', () => {
    const rules = parse(readFileSync('deploy/prometheus/hostward-rules.yaml', 'utf8'));
    expect(one('PrometheusRule', 'hostward').spec.groups).toEqual(rules.groups);
  });
});

describe('chart: values, schema, templates and the rendered manifests agree', () => {
  const templates = readdirSync(path.join(CHART, 'templates')).map((f) =>
    readFileSync(path.join(CHART, 'templates', f), 'utf8'),
  );

  function lookup(obj: K8s, keys: string[]): boolean {
    let o = obj;
    for (const k of keys) {
      if (o === null || typeof o !== 'object' || !(k in o)) return false;
      o = o[k];
    }
    return true;
  }
  function lookupSchema(s: K8s, keys: string[]): boolean {
    let o = s;
    for (const k of keys) {
      o = o?.properties?.[k];
      if (!o) return false;
    }
    return true;
  }

  it('every .Values path the templates use is in values.yaml and in values.schema.json', () => {
    const used = new Set(
      templates.flatMap((t) => [...t.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!.replace(/\.$/, ''))),
    );
    expect(used.size).toBeGreaterThan(40);
    for (const p of used) {
      expect(lookup(values, p.split('.')), `values.yaml: ${p}`).toBe(true);
      expect(lookupSchema(schema, p.split('.')), `values.schema.json: ${p}`).toBe(true);
    }
  });

  it('values.yaml validates against values.schema.json; a typo or hostPID false does not', () => {
    expect(schemaProblems(values, schema)).toEqual([]);
    const bad = structuredClone(values);
    bad.agent.hostPid = true;
    bad.agent.hostPID = false;
    bad.collector.replicas = 2;
    expect(schemaProblems(bad, schema)).toEqual([
      'values.agent.hostPID: must be true',
      'values.agent.hostPid: not allowed',
      'values.collector.replicas: above 1',
    ]);
  });

  it('image, ports, capabilities, mounts, resources, scheduling and probes are the values', () => {
    const image = `${values.image.repository}:${values.image.tag || chart.appVersion}`;
    expect(agent.image).toBe(image);
    expect(ccontainer.image).toBe(image);
    expect(agent.imagePullPolicy).toBe(values.image.pullPolicy);
    expect(agent.ports[0].containerPort).toBe(values.agent.port);
    expect(ccontainer.ports[0].containerPort).toBe(values.collector.port);
    expect(one('Service', 'hostward-collector').spec.ports[0].port).toBe(values.collector.port);
    expect(agent.securityContext.capabilities.add).toEqual(values.agent.capabilities);
    expect(agent.volumeMounts.find((m: K8s) => m.name === 'host-root').mountPath).toBe(values.agent.hostRoot);
    expect(agent.args).toEqual(['agent', '--root', values.agent.hostRoot]);
    expect(pod.volumes.find((v: K8s) => v.name === 'state').hostPath.path).toBe(values.agent.stateDir);
    expect(agent.resources).toEqual(values.agent.resources);
    expect(ccontainer.resources).toEqual(values.collector.resources);
    expect(pod.tolerations).toEqual(values.agent.tolerations);
    expect(pod.nodeSelector).toEqual(values.agent.nodeSelector);
    expect(pod.priorityClassName).toBe(values.agent.priorityClassName);
    expect(ds.spec.updateStrategy).toEqual(values.agent.updateStrategy);
    expect(pod.hostNetwork).toBe(values.agent.hostNetwork);
    expect(pod.hostPID).toBe(values.agent.hostPID);
    const { httpGet: _l, ...liveness } = agent.livenessProbe;
    const { httpGet: _r, ...readiness } = agent.readinessProbe;
    expect(liveness).toEqual(values.agent.livenessProbe);
    expect(readiness).toEqual(values.agent.readinessProbe);
    expect(one('PersistentVolumeClaim', 'hostward-collector').spec.resources.requests.storage).toBe(
      values.collector.persistence.size,
    );
    expect(values.collector.networkPolicy.nodeCIDRs).toEqual([]);
    expect(one('NetworkPolicy', 'hostward-collector').spec.ingress[0].from).toBeUndefined();
  });

  it('the agent configuration is what the chart’s helper builds from the values', () => {
    const cfg = parse(one('ConfigMap', 'hostward-agent').data['config.yaml']);
    expect(cfg).toEqual({
      ...values.agent.config,
      root: values.agent.hostRoot,
      // The mounted root is the node's own: its sshd runs chrooted, not sandboxed (docs/threat-model.md).
      trustedRoots: [values.agent.hostRoot],
      agent: { port: values.agent.port, schedule: values.agent.schedule, stateDir: values.agent.stateDir },
      log: { level: values.agent.logLevel },
      probes: {
        ssh: { live: values.agent.hostNetwork },
        ports: { reachability: values.agent.hostNetwork ? 'auto' : false },
      },
    });
  });

  it('the chart carries the rules file and references it', () => {
    expect(templates.some((t) => t.includes('.Files.Get "files/hostward-rules.yaml"'))).toBe(true);
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
