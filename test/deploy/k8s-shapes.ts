/**
 * Offline shape checks for the rendered manifests: the Kubernetes and Prometheus Operator field names this
 * chart uses, per object type (a typo such as `readOnlyRootFileSystem` or `mountPropogation` is silently
 * dropped by a lenient client; here it fails). Not a full OpenAPI validation: the fields are those of the
 * v1 API reference for the kinds below, and an unknown kind is an error. Also a small JSON Schema (draft-07
 * subset) validator for values.schema.json.
 */

type Shape = { [field: string]: string };
/** `scalar`, `map` (string → anything), `any`, a shape name, or `[]name` for a list. */
const SHAPES: Record<string, Shape> = {
  ObjectMeta: { name: 'scalar', namespace: 'scalar', labels: 'map', annotations: 'map' },
  LabelSelector: { matchLabels: 'map', matchExpressions: '[]any' },
  DaemonSetSpec: {
    selector: 'LabelSelector',
    template: 'PodTemplateSpec',
    updateStrategy: 'DaemonSetUpdateStrategy',
    minReadySeconds: 'scalar',
    revisionHistoryLimit: 'scalar',
  },
  DaemonSetUpdateStrategy: { type: 'scalar', rollingUpdate: 'RollingUpdate' },
  RollingUpdate: { maxUnavailable: 'scalar', maxSurge: 'scalar' },
  DeploymentSpec: {
    replicas: 'scalar',
    selector: 'LabelSelector',
    template: 'PodTemplateSpec',
    strategy: 'DeploymentStrategy',
    revisionHistoryLimit: 'scalar',
  },
  DeploymentStrategy: { type: 'scalar', rollingUpdate: 'RollingUpdate' },
  PodTemplateSpec: { metadata: 'ObjectMeta', spec: 'PodSpec' },
  PodSpec: {
    serviceAccountName: 'scalar',
    automountServiceAccountToken: 'scalar',
    hostPID: 'scalar',
    hostNetwork: 'scalar',
    hostIPC: 'scalar',
    dnsPolicy: 'scalar',
    priorityClassName: 'scalar',
    securityContext: 'PodSecurityContext',
    containers: '[]Container',
    initContainers: '[]Container',
    volumes: '[]Volume',
    tolerations: '[]Toleration',
    nodeSelector: 'map',
    affinity: 'any',
    imagePullSecrets: '[]any',
    terminationGracePeriodSeconds: 'scalar',
  },
  PodSecurityContext: {
    runAsUser: 'scalar',
    runAsGroup: 'scalar',
    runAsNonRoot: 'scalar',
    fsGroup: 'scalar',
    seccompProfile: 'SeccompProfile',
    appArmorProfile: 'SeccompProfile',
    supplementalGroups: '[]any',
  },
  SeccompProfile: { type: 'scalar', localhostProfile: 'scalar' },
  Container: {
    name: 'scalar',
    image: 'scalar',
    imagePullPolicy: 'scalar',
    command: '[]any',
    args: '[]any',
    ports: '[]ContainerPort',
    env: '[]EnvVar',
    livenessProbe: 'Probe',
    readinessProbe: 'Probe',
    startupProbe: 'Probe',
    resources: 'Resources',
    securityContext: 'SecurityContext',
    volumeMounts: '[]VolumeMount',
  },
  ContainerPort: { name: 'scalar', containerPort: 'scalar', protocol: 'scalar', hostPort: 'scalar' },
  EnvVar: { name: 'scalar', value: 'scalar', valueFrom: 'EnvVarSource' },
  EnvVarSource: { fieldRef: 'FieldRef', secretKeyRef: 'any', configMapKeyRef: 'any' },
  FieldRef: { fieldPath: 'scalar', apiVersion: 'scalar' },
  Probe: {
    httpGet: 'HTTPGet',
    initialDelaySeconds: 'scalar',
    periodSeconds: 'scalar',
    timeoutSeconds: 'scalar',
    failureThreshold: 'scalar',
    successThreshold: 'scalar',
  },
  HTTPGet: { path: 'scalar', port: 'scalar', scheme: 'scalar' },
  Resources: { requests: 'map', limits: 'map' },
  SecurityContext: {
    runAsUser: 'scalar',
    runAsGroup: 'scalar',
    runAsNonRoot: 'scalar',
    privileged: 'scalar',
    allowPrivilegeEscalation: 'scalar',
    readOnlyRootFilesystem: 'scalar',
    capabilities: 'Capabilities',
    seccompProfile: 'SeccompProfile',
    appArmorProfile: 'SeccompProfile',
  },
  Capabilities: { drop: '[]scalar', add: '[]scalar' },
  VolumeMount: {
    name: 'scalar',
    mountPath: 'scalar',
    readOnly: 'scalar',
    mountPropagation: 'scalar',
    subPath: 'scalar',
  },
  Volume: {
    name: 'scalar',
    hostPath: 'HostPath',
    configMap: 'ConfigMapVolume',
    secret: 'SecretVolume',
    emptyDir: 'EmptyDir',
    persistentVolumeClaim: 'PVCVolume',
    projected: 'ProjectedVolume',
  },
  ProjectedVolume: { sources: '[]VolumeProjection', defaultMode: 'scalar' },
  VolumeProjection: {
    serviceAccountToken: 'ServiceAccountTokenProjection',
    secret: 'any',
    configMap: 'any',
    downwardAPI: 'any',
  },
  ServiceAccountTokenProjection: { path: 'scalar', audience: 'scalar', expirationSeconds: 'scalar' },
  HostPath: { path: 'scalar', type: 'scalar' },
  ConfigMapVolume: { name: 'scalar', defaultMode: 'scalar', optional: 'scalar', items: '[]any' },
  SecretVolume: { secretName: 'scalar', defaultMode: 'scalar', optional: 'scalar', items: '[]any' },
  EmptyDir: { sizeLimit: 'scalar', medium: 'scalar' },
  PVCVolume: { claimName: 'scalar', readOnly: 'scalar' },
  Toleration: { key: 'scalar', operator: 'scalar', value: 'scalar', effect: 'scalar', tolerationSeconds: 'scalar' },
  ServiceSpec: { type: 'scalar', clusterIP: 'scalar', selector: 'map', ports: '[]ServicePort' },
  ServicePort: { name: 'scalar', port: 'scalar', targetPort: 'scalar', protocol: 'scalar' },
  PVCSpec: { accessModes: '[]scalar', storageClassName: 'scalar', resources: 'Resources' },
  NetworkPolicySpec: {
    podSelector: 'LabelSelector',
    policyTypes: '[]scalar',
    ingress: '[]NetworkPolicyIngress',
    egress: '[]NetworkPolicyEgress',
  },
  NetworkPolicyIngress: { from: '[]NetworkPolicyPeer', ports: '[]NetworkPolicyPort' },
  NetworkPolicyEgress: { to: '[]NetworkPolicyPeer', ports: '[]NetworkPolicyPort' },
  NetworkPolicyPeer: { podSelector: 'LabelSelector', namespaceSelector: 'LabelSelector', ipBlock: 'IPBlock' },
  IPBlock: { cidr: 'scalar', except: '[]scalar' },
  NetworkPolicyPort: { port: 'scalar', protocol: 'scalar', endPort: 'scalar' },
  PodMonitorSpec: {
    selector: 'LabelSelector',
    podMetricsEndpoints: '[]MonitorEndpoint',
    namespaceSelector: 'any',
    jobLabel: 'scalar',
  },
  ServiceMonitorSpec: {
    selector: 'LabelSelector',
    endpoints: '[]MonitorEndpoint',
    namespaceSelector: 'any',
    jobLabel: 'scalar',
  },
  MonitorEndpoint: {
    port: 'scalar',
    path: 'scalar',
    interval: 'scalar',
    scrapeTimeout: 'scalar',
    scheme: 'scalar',
    relabelings: '[]RelabelConfig',
    metricRelabelings: '[]RelabelConfig',
    tlsConfig: 'SafeTLSConfig',
    basicAuth: 'BasicAuth',
    authorization: 'SafeAuthorization',
  },
  SafeTLSConfig: {
    ca: 'SecretOrConfigMap',
    cert: 'SecretOrConfigMap',
    keySecret: 'SecretKeySelector',
    serverName: 'scalar',
    insecureSkipVerify: 'scalar',
  },
  SecretOrConfigMap: { secret: 'SecretKeySelector', configMap: 'SecretKeySelector' },
  SecretKeySelector: { name: 'scalar', key: 'scalar', optional: 'scalar' },
  BasicAuth: { username: 'SecretKeySelector', password: 'SecretKeySelector' },
  SafeAuthorization: { type: 'scalar', credentials: 'SecretKeySelector' },
  RelabelConfig: {
    action: 'scalar',
    sourceLabels: '[]scalar',
    targetLabel: 'scalar',
    replacement: 'scalar',
    regex: 'scalar',
    separator: 'scalar',
  },
  PrometheusRuleSpec: { groups: '[]RuleGroup' },
  RuleGroup: { name: 'scalar', interval: 'scalar', rules: '[]Rule' },
  Rule: {
    alert: 'scalar',
    record: 'scalar',
    expr: 'scalar',
    for: 'scalar',
    keep_firing_for: 'scalar',
    labels: 'map',
    annotations: 'map',
  },
};

/** apiVersion/kind → the shapes of its top-level fields. */
const KINDS: Record<string, { apiVersion: string; fields: Shape }> = {
  Namespace: { apiVersion: 'v1', fields: { metadata: 'ObjectMeta' } },
  ServiceAccount: {
    apiVersion: 'v1',
    fields: { metadata: 'ObjectMeta', automountServiceAccountToken: 'scalar', imagePullSecrets: '[]any' },
  },
  ConfigMap: { apiVersion: 'v1', fields: { metadata: 'ObjectMeta', data: 'map' } },
  Secret: { apiVersion: 'v1', fields: { metadata: 'ObjectMeta', type: 'scalar', data: 'map', stringData: 'map' } },
  Service: { apiVersion: 'v1', fields: { metadata: 'ObjectMeta', spec: 'ServiceSpec' } },
  PersistentVolumeClaim: { apiVersion: 'v1', fields: { metadata: 'ObjectMeta', spec: 'PVCSpec' } },
  DaemonSet: { apiVersion: 'apps/v1', fields: { metadata: 'ObjectMeta', spec: 'DaemonSetSpec' } },
  Deployment: { apiVersion: 'apps/v1', fields: { metadata: 'ObjectMeta', spec: 'DeploymentSpec' } },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', fields: { metadata: 'ObjectMeta', spec: 'NetworkPolicySpec' } },
  PodMonitor: { apiVersion: 'monitoring.coreos.com/v1', fields: { metadata: 'ObjectMeta', spec: 'PodMonitorSpec' } },
  ServiceMonitor: {
    apiVersion: 'monitoring.coreos.com/v1',
    fields: { metadata: 'ObjectMeta', spec: 'ServiceMonitorSpec' },
  },
  PrometheusRule: {
    apiVersion: 'monitoring.coreos.com/v1',
    fields: { metadata: 'ObjectMeta', spec: 'PrometheusRuleSpec' },
  },
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkValue(v: unknown, type: string, at: string, out: string[]): void {
  if (type === 'any') return;
  if (type.startsWith('[]')) {
    if (!Array.isArray(v)) return void out.push(`${at}: expected a list`);
    v.forEach((e, i) => checkValue(e, type.slice(2), `${at}[${i}]`, out));
    return;
  }
  if (type === 'scalar') {
    if (isObj(v) || Array.isArray(v)) out.push(`${at}: expected a scalar`);
    return;
  }
  if (type === 'map') {
    if (!isObj(v)) return void out.push(`${at}: expected a mapping`);
    for (const [k, x] of Object.entries(v))
      if (typeof x !== 'string') out.push(`${at}.${k}: label/annotation/data values must be strings, got ${typeof x}`);
    return;
  }
  const shape = SHAPES[type];
  if (!shape) throw new Error(`no shape ${type}`);
  if (!isObj(v)) return void out.push(`${at}: expected a ${type}`);
  for (const [k, x] of Object.entries(v)) {
    const t = shape[k];
    if (!t) out.push(`${at}.${k}: not a field of ${type}`);
    else checkValue(x, t, `${at}.${k}`, out);
  }
}

/** Problems with one manifest document; empty when its fields are all known. */
export function shapeProblems(doc: unknown): string[] {
  if (!isObj(doc)) return ['document: not a mapping'];
  const kind = KINDS[String(doc.kind)];
  if (!kind) return [`kind ${String(doc.kind)} is not one this chart renders`];
  const out: string[] = [];
  if (doc.apiVersion !== kind.apiVersion)
    out.push(`${String(doc.kind)}: apiVersion ${String(doc.apiVersion)}, expected ${kind.apiVersion}`);
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    const t = kind.fields[k];
    if (!t) out.push(`${String(doc.kind)}.${k}: not a field`);
    else checkValue(v, t, `${String(doc.kind)}.${k}`, out);
  }
  return out;
}

/** Validate a value against a JSON Schema (the subset values.schema.json uses). */
export function schemaProblems(value: unknown, schema: Record<string, unknown>, at = 'values'): string[] {
  const out: string[] = [];
  const types = schema.type === undefined ? undefined : ([] as string[]).concat(schema.type as string | string[]);
  const typeOf = (v: unknown) =>
    Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v;
  if (types && !types.some((t) => t === typeOf(value) || (t === 'number' && typeof value === 'number')))
    return [`${at}: expected ${types.join('|')}, got ${typeOf(value)}`];
  if ('const' in schema && value !== schema.const) out.push(`${at}: must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    out.push(`${at}: must be one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      out.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
      out.push(`${at}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${at}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && isObj(schema.items))
    value.forEach((e, i) => out.push(...schemaProblems(e, schema.items as Record<string, unknown>, `${at}[${i}]`)));
  if (isObj(value)) {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in value)) out.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(value)) {
      if (props[k]) out.push(...schemaProblems(v, props[k], `${at}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${at}.${k}: not allowed`);
      else if (isObj(schema.additionalProperties))
        out.push(...schemaProblems(v, schema.additionalProperties, `${at}.${k}`));
    }
  }
  return out;
}
