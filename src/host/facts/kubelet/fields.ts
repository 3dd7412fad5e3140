/**
 * The kubelet's command-line flags that map onto KubeletConfiguration fields, and the v1beta1 defaults of
 * the fields hostward checks. Data, not code: a new flag is one row.
 *
 * Defaults: a kubelet started with --config gets the v1beta1 defaults (SetDefaults_KubeletConfiguration);
 * one started without a config file keeps the legacy command-line defaults for four security fields
 * (anonymous auth on, webhook authentication off, AlwaysAllow, read-only port 10255).
 */
import type { Leaf } from './types.js';

export type FieldType = 'bool' | 'int' | 'float' | 'string' | 'duration' | 'list' | 'map';

export interface FlagRow {
  flag: string;
  field: string;
  type: FieldType;
  /** Deprecated flags still accepted by the kubelet (the config file is the supported way). */
  deprecated?: boolean;
}

export const FLAG_TABLE: readonly FlagRow[] = [
  { flag: 'anonymous-auth', field: 'authentication.anonymous.enabled', type: 'bool', deprecated: true },
  { flag: 'authentication-token-webhook', field: 'authentication.webhook.enabled', type: 'bool', deprecated: true },
  { flag: 'client-ca-file', field: 'authentication.x509.clientCAFile', type: 'string', deprecated: true },
  { flag: 'authorization-mode', field: 'authorization.mode', type: 'string', deprecated: true },
  { flag: 'read-only-port', field: 'readOnlyPort', type: 'int', deprecated: true },
  { flag: 'port', field: 'port', type: 'int', deprecated: true },
  { flag: 'address', field: 'address', type: 'string', deprecated: true },
  {
    flag: 'streaming-connection-idle-timeout',
    field: 'streamingConnectionIdleTimeout',
    type: 'duration',
    deprecated: true,
  },
  { flag: 'make-iptables-util-chains', field: 'makeIPTablesUtilChains', type: 'bool', deprecated: true },
  { flag: 'event-qps', field: 'eventRecordQPS', type: 'int', deprecated: true },
  { flag: 'event-burst', field: 'eventBurst', type: 'int', deprecated: true },
  { flag: 'tls-cert-file', field: 'tlsCertFile', type: 'string', deprecated: true },
  { flag: 'tls-private-key-file', field: 'tlsPrivateKeyFile', type: 'string', deprecated: true },
  { flag: 'tls-cipher-suites', field: 'tlsCipherSuites', type: 'list', deprecated: true },
  { flag: 'tls-min-version', field: 'tlsMinVersion', type: 'string', deprecated: true },
  { flag: 'rotate-certificates', field: 'rotateCertificates', type: 'bool', deprecated: true },
  { flag: 'rotate-server-certificates', field: 'serverTLSBootstrap', type: 'bool', deprecated: true },
  { flag: 'protect-kernel-defaults', field: 'protectKernelDefaults', type: 'bool', deprecated: true },
  { flag: 'seccomp-default', field: 'seccompDefault', type: 'bool', deprecated: true },
  { flag: 'pod-max-pids', field: 'podPidsLimit', type: 'int', deprecated: true },
  { flag: 'cgroup-driver', field: 'cgroupDriver', type: 'string', deprecated: true },
  { flag: 'container-runtime-endpoint', field: 'containerRuntimeEndpoint', type: 'string', deprecated: true },
  { flag: 'healthz-bind-address', field: 'healthzBindAddress', type: 'string', deprecated: true },
  { flag: 'enable-debugging-handlers', field: 'enableDebuggingHandlers', type: 'bool', deprecated: true },
  { flag: 'feature-gates', field: 'featureGates', type: 'map', deprecated: true },
];

export const FLAG_BY_NAME: ReadonlyMap<string, FlagRow> = new Map(FLAG_TABLE.map((r) => [r.flag, r]));

/** Boolean flags of the kubelet: `--flag` alone means true, and the next argument is not its value. */
export const BOOL_FLAGS: ReadonlySet<string> = new Set([
  ...FLAG_TABLE.filter((r) => r.type === 'bool').map((r) => r.flag),
  'fail-swap-on',
  'register-node',
  'register-schedulable',
  'exit-on-lock-contention',
  'cgroups-per-qos',
  'kernel-memcg-notification',
  'serialize-image-pulls',
  'keep-terminated-pod-volumes',
  'enable-server',
  'enable-controller-attach-detach',
  'allow-privileged',
  'alsologtostderr',
  'logtostderr',
  'version',
  'help',
  'h',
  'enable-load-reader',
  'local-storage-capacity-isolation',
]);

/** v1beta1 defaults of the fields hostward reads (KubeletConfiguration reference). */
export const V1BETA1_DEFAULTS: Readonly<Record<string, Leaf>> = {
  'authentication.anonymous.enabled': false,
  'authentication.webhook.enabled': true,
  'authorization.mode': 'Webhook',
  readOnlyPort: 0,
  port: 10250,
  address: '0.0.0.0',
  streamingConnectionIdleTimeout: '4h0m0s',
  makeIPTablesUtilChains: true,
  eventRecordQPS: 50,
  eventBurst: 100,
  rotateCertificates: false,
  serverTLSBootstrap: false,
  protectKernelDefaults: false,
  seccompDefault: false,
  podPidsLimit: -1,
  cgroupDriver: 'cgroupfs',
  healthzBindAddress: '127.0.0.1',
  enableDebuggingHandlers: true,
};

/** The legacy command-line defaults that replace v1beta1's when the kubelet runs without --config. */
export const LEGACY_FLAG_DEFAULTS: Readonly<Record<string, Leaf>> = {
  'authentication.anonymous.enabled': true,
  'authentication.webhook.enabled': false,
  'authorization.mode': 'AlwaysAllow',
  readOnlyPort: 10255,
};

/** Convert a flag's text to the field's type; a string describing the problem when it does not parse. */
export function convertFlag(row: FlagRow, text: string): { ok: true; value: Leaf } | { ok: false; reason: string } {
  switch (row.type) {
    case 'bool': {
      // strconv.ParseBool
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return { ok: true, value: true };
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return { ok: true, value: false };
      return { ok: false, reason: `--${row.flag}=${clip(text)} is not a boolean` };
    }
    case 'int':
      return /^[+-]?\d{1,15}$/.test(text)
        ? { ok: true, value: Number(text) }
        : { ok: false, reason: `--${row.flag}=${clip(text)} is not an integer` };
    case 'float':
      return /^[+-]?\d+(\.\d+)?$/.test(text)
        ? { ok: true, value: Number(text) }
        : { ok: false, reason: `--${row.flag}=${clip(text)} is not a number` };
    case 'list':
      return {
        ok: true,
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    default:
      return { ok: true, value: text };
  }
}

export function clip(s: string, n = 80): string {
  const t = JSON.stringify(s);
  return t.length > n ? t.slice(0, n) + '…"' : t;
}

/**
 * Go's time.ParseDuration, to seconds: "4h0m0s", "5m", "1.5h", "300ms", "0". Undefined when malformed.
 * Numbers from YAML (nanoseconds are not how KubeletConfiguration spells durations) are rejected too.
 */
export function parseDuration(v: Leaf): number | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  if (s.length > 64) return undefined;
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return undefined;
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const part of s.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * unit[part[2]!]!;
  return m[1] === '-' ? -total : total;
}
