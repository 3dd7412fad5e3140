/**
 * Configuration: a YAML file plus environment variables (environment wins). The whole file is validated
 * before anything is applied; the first problem is reported naming the key, and the program exits 2.
 */
import { HOST_ROLES } from '../scan/host-role.js';
import type { HostRoleSetting } from '../scan/host-role.js';
import { readFileSync } from 'node:fs';
import { ipFamily } from '../host/ip.js';
import { yamlLib } from '../lazy-libs.js';
import { isSeverity, SEVERITIES } from '../contracts.js';
import type { Severity } from '../contracts.js';
import { isObj, KeyedProblem } from '../sinks/keyed.js';
import type { Obj } from '../sinks/keyed.js';
import { parseRouting } from '../sinks/routing-config.js';
import type { Routing } from '../sinks/routing-config.js';
import {
  applySinkEnv,
  applySinkSettings,
  parseSinkDefs,
  SINK_SETTING_KEYS,
  sinkSettingDefaults,
} from '../sinks/registry.js';
import type { SinkDef } from '../sinks/registry.js';
import type { SinkSettings } from '../sinks/registry.js';
import { ConfigError } from './config-error.js';

export { ConfigError };
import { OptionError, optionErrorKey } from '../probe-options.js';
import type { OptionContext, ProbeOptions } from '../probe-options.js';

export interface CheckOverride {
  enabled?: boolean;
  severity?: Severity;
}

export interface ExceptionRule {
  check: string;
  reason: string;
  /** Last day the exception holds, YYYY-MM-DD (UTC). */
  expires: string;
}

export interface Config {
  node?: string;
  root: string;
  /**
   * Roots whose binaries are this host's own (HOSTWARD_TRUSTED_ROOTS, comma-separated): they run chrooted with
   * hostward's privileges instead of sandboxed. "/" and the root directory of PID 1 need no entry
   * (docs/threat-model.md, "What hostward trusts").
   */
  trustedRoots: string[];
  /** hostRole: what the host is for (src/scan/host-role.ts); auto detects a kubelet. */
  scan: { failOn: Severity; probeTimeoutSeconds: number; probes?: string[]; hostRole: HostRoleSetting };
  agent: {
    port: number;
    /** Addresses to bind (HOSTWARD_LISTEN, comma-separated); the same port on each. */
    listen: string[];
    /**
     * exporter-toolkit's web configuration (TLS, basic_auth_users, and hostward's bearer_tokens_file) for
     * /metrics and /v1/report (HOSTWARD_WEB_CONFIG_FILE, --web.config.file); src/agent/web-config.ts.
     */
    webConfigFile?: string;
    schedule: string;
    stateDir: string;
    collectorUrl?: string;
    tokenFile?: string;
    /** CA and client certificate for an https:// collector (mTLS). */
    tls?: AgentTls;
    /** Re-send the state of open alerts this often (seconds), so a collector that lost state recovers it. */
    resendIntervalSeconds: number;
    /** Consecutive `unknown` scans after which a failing alert resolves; 0 = unknown never resolves it. */
    unknownGraceScans: number;
    /** Outbox bounds: beyond either, the oldest unsent events are dropped (summarised, counted). */
    outboxMaxBytes: number;
    outboxMaxAgeSeconds: number;
    /** Back-off between failed sends: exponential from the first to the maximum, with full jitter. */
    retryInitialMs: number;
    retryMaxMs: number;
    /** Watch the configuration the probes read (inotify) and re-scan on a change (src/agent/watch.ts). */
    watch: { enabled: boolean; debounceMs: number; maxWatches: number };
    /** The agent's resource budgets (src/agent/watchdog.ts): over them, scans shed optional work. */
    watchdog: { enabled: boolean; memoryBytes: number; cpuPercent: number; windowSeconds: number };
  };
  collector: CollectorConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  checks: Record<string, CheckOverride>;
  exceptions: ExceptionRule[];
  probes: Record<string, Record<string, unknown>>;
}

/** `hostward collector` (DESIGN.md "Alert flow" 2). */
/** The simple setup's sink keys (fileSink, slackWebhookUrlFile, ...) come from each sink (src/sinks/registry.ts). */
export interface CollectorConfig extends SinkSettings {
  /** Default 9751: the agent's 9750 plus one. */
  port: number;
  listen: string;
  /** SQLite file (HOSTWARD_DB). */
  db: string;
  /** Accepted bearer tokens, one per line (HOSTWARD_TOKENS_FILE); required to start. */
  tokensFile?: string;
  /** A node that has not reported for this long becomes a `hostward.node_silent` alert. */
  silentAfterSeconds: number;
  /** Largest accepted POST /v1/events body. */
  maxBodyBytes: number;
  /** Back-off of the delivery queue between failed sink deliveries. */
  deliveryRetryInitialMs: number;
  deliveryRetryMaxMs: number;
  /** Cluster name (HOSTWARD_CLUSTER): the `cluster` label of Alertmanager alerts, part of PagerDuty dedup keys. */
  cluster?: string;
  /** The collector's address for people (HOSTWARD_PUBLIC_URL): links to the fleet page in notifications. */
  publicUrl?: string;
  /** Further named sinks (src/sinks/routing-config.ts). */
  sinks?: SinkDef[];
  /** Routes, default route and inhibition (src/sinks/routing-config.ts). */
  routing?: Routing;
  /** HTTPS instead of HTTP, and optionally client certificates (mTLS); the bearer token is still required. */
  tls?: CollectorTls;
  /** How long accepted events are kept (pruned in small batches); re-sends inside the window stay duplicates. */
  retention: { eventsMaxAgeDays: number };
  /** Refuse (403) events sent with a token that has no node binding in the tokens file. */
  requireNodeBinding: boolean;
  /** Most distinct node names one static token writes for within the retention window; 0: no bound. */
  maxNodesPerToken: number;
  /**
   * How far an agent's clock may be from the collector's before events are re-timed and the node fails
   * hostward.clock_skew.
   */
  clockSkewSeconds: number;
  /** Agents' projected ServiceAccount tokens (src/collector/sa-token.ts), verified with the issuer's keys. */
  serviceAccountTokens?: ServiceAccountTokens;
}

/** collector.serviceAccountTokens: issuer and JWKS file are required to use them (checked at start). */
export interface ServiceAccountTokens {
  issuer?: string;
  jwksFile?: string;
  audience: string;
  /** `namespace:name` of the accounts allowed to speak for their node. */
  serviceAccounts: string[];
}

/** collector.tls: PEM files, re-read when they change. */
export interface CollectorTls {
  certFile: string;
  keyFile: string;
  /** CA bundle that signs the agents' client certificates; asked for when set. */
  clientCaFile?: string;
  /** Refuse a connection without a client certificate signed by clientCaFile (default true when it is set). */
  requireClientCert: boolean;
}

/** agent.tls: for an https:// collectorUrl; PEM files. */
export interface AgentTls {
  /** CA bundle to verify the collector's certificate (default: the system's). */
  caFile?: string;
  /** Client certificate and key, for a collector that requires them (mTLS). */
  certFile?: string;
  keyFile?: string;
}

export function defaultConfig(): Config {
  return {
    root: '/',
    trustedRoots: [],
    scan: { failOn: 'high', probeTimeoutSeconds: 20, hostRole: 'auto' },
    agent: {
      port: 9750,
      listen: ['0.0.0.0'],
      schedule: '*/5 * * * *',
      stateDir: '/var/lib/hostward',
      resendIntervalSeconds: 3600,
      unknownGraceScans: 0,
      outboxMaxBytes: 64 * 1024 * 1024,
      outboxMaxAgeSeconds: 7 * 24 * 3600,
      retryInitialMs: 1000,
      retryMaxMs: 300_000,
      watch: { enabled: true, debounceMs: 50, maxWatches: 256 },
      watchdog: { enabled: true, memoryBytes: 150 * 1024 * 1024, cpuPercent: 5, windowSeconds: 60 },
    },
    collector: {
      port: 9751,
      listen: '0.0.0.0',
      db: '/var/lib/hostward/collector.db',
      silentAfterSeconds: 900,
      maxBodyBytes: 4 * 1024 * 1024,
      deliveryRetryInitialMs: 1000,
      deliveryRetryMaxMs: 300_000,
      ...sinkSettingDefaults(),
      requireNodeBinding: false,
      maxNodesPerToken: 10_000,
      clockSkewSeconds: 300,
      retention: { eventsMaxAgeDays: 30 },
    },
    log: { level: 'info' },
    checks: {},
    exceptions: [],
    probes: {},
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function allowKeys(o: Obj, at: string, keys: readonly string[], src: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k))
      throw new ConfigError(at ? `${at}.${k}` : k, `unknown key (expected one of: ${keys.join(', ')})`, src);
  }
}

function str(v: unknown, key: string, src: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new ConfigError(key, `must be a non-empty string, got ${JSON.stringify(v)}`, src);
  return v;
}

function int(v: unknown, key: string, src: string, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`, src);
  }
  return n;
}

function severity(v: unknown, key: string, src: string): Severity {
  if (!isSeverity(v))
    throw new ConfigError(key, `must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(v)}`, src);
  return v;
}

function isValidDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

export interface ValidationContext {
  /** Known check ids, to reject typos in `checks` and `exceptions`. */
  checkIds: ReadonlySet<string>;
  /** Known probe names and the options each declares (undefined: the probe takes none). */
  probes: ReadonlyMap<string, ProbeOptions | undefined>;
}

/** The validation context of these probes: their check ids and declared options. */
export function validationContext(
  probes: readonly { name: string; options?: ProbeOptions; checks: readonly { id: string }[] }[],
): ValidationContext {
  return {
    checkIds: new Set(probes.flatMap((p) => p.checks.map((c) => c.id))),
    probes: new Map(probes.map((p) => [p.name, p.options])),
  };
}

const TOP_KEYS = [
  'node',
  'root',
  'trustedRoots',
  'scan',
  'agent',
  'collector',
  'log',
  'checks',
  'exceptions',
  'probes',
];

/** Validate a parsed YAML document on top of the defaults. Throws ConfigError on the first problem. */
export function validateConfig(doc: unknown, ctx: ValidationContext, src = 'configuration'): Config {
  const cfg = defaultConfig();
  if (doc === null || doc === undefined) return cfg;
  if (!isObj(doc)) throw new ConfigError('(top level)', 'must be a mapping of keys to values', src);
  allowKeys(doc, '', TOP_KEYS, src);
  if (doc.node !== undefined) cfg.node = str(doc.node, 'node', src);
  if (doc.root !== undefined) cfg.root = str(doc.root, 'root', src);
  if (doc.trustedRoots !== undefined) cfg.trustedRoots = absolutePaths(doc.trustedRoots, 'trustedRoots', src);
  if (doc.scan !== undefined) applyScan(cfg.scan, section(doc.scan, 'scan', src), ctx, src);
  if (doc.agent !== undefined) applyAgent(cfg.agent, section(doc.agent, 'agent', src), src);
  if (doc.collector !== undefined) applyCollector(cfg.collector, section(doc.collector, 'collector', src), src);
  if (doc.log !== undefined) applyLog(cfg, section(doc.log, 'log', src), src);
  if (doc.checks !== undefined) cfg.checks = checkOverrides(doc.checks, ctx, src);
  if (doc.exceptions !== undefined) cfg.exceptions = exceptionRules(doc.exceptions, ctx, src);
  if (doc.probes !== undefined) cfg.probes = probeSections(doc.probes, ctx, src);
  return cfg;
}

/** A mapping at `key`, or a ConfigError saying it must be one. */
function section(v: unknown, key: string, src: string): Obj {
  if (!isObj(v)) throw new ConfigError(key, 'must be a mapping', src);
  return v;
}

function bool(v: unknown, key: string, src: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(key, 'must be true or false', src);
  return v;
}

function applyScan(scan: Config['scan'], s: Obj, ctx: ValidationContext, src: string): void {
  allowKeys(s, 'scan', ['failOn', 'probeTimeoutSeconds', 'probes', 'hostRole'], src);
  if (s.hostRole !== undefined) {
    const r = s.hostRole;
    if (typeof r !== 'string' || !(HOST_ROLES as readonly string[]).includes(r))
      throw new ConfigError('scan.hostRole', `must be one of ${HOST_ROLES.join(', ')}`, src);
    scan.hostRole = r as HostRoleSetting;
  }
  if (s.failOn !== undefined) scan.failOn = severity(s.failOn, 'scan.failOn', src);
  if (s.probeTimeoutSeconds !== undefined)
    scan.probeTimeoutSeconds = int(s.probeTimeoutSeconds, 'scan.probeTimeoutSeconds', src, 1, 3600);
  if (s.probes === undefined) return;
  if (!Array.isArray(s.probes)) throw new ConfigError('scan.probes', 'must be a list of probe names', src);
  scan.probes = s.probes.map((p, i) => {
    const name = str(p, `scan.probes[${i}]`, src);
    if (!ctx.probes.has(name))
      throw new ConfigError(
        `scan.probes[${i}]`,
        `no probe named ${JSON.stringify(name)} (known: ${[...ctx.probes.keys()].join(', ')})`,
        src,
      );
    return name;
  });
}

const AGENT_KEYS = [
  'port',
  'listen',
  'webConfigFile',
  'schedule',
  'stateDir',
  'collectorUrl',
  'tokenFile',
  'resendIntervalSeconds',
  'unknownGraceScans',
  'outboxMaxBytes',
  'outboxMaxAgeSeconds',
  'retryInitialMs',
  'retryMaxMs',
  'watch',
  'watchdog',
  'tls',
];

function applyAgent(agent: Config['agent'], a: Obj, src: string): void {
  allowKeys(a, 'agent', AGENT_KEYS, src);
  applyAgentEndpoint(agent, a, src);
  applyAgentDelivery(agent, a, src);
  if (a.watch !== undefined) applyAgentWatch(agent.watch, section(a.watch, 'agent.watch', src), src);
  if (a.tls !== undefined) agent.tls = agentTls(section(a.tls, 'agent.tls', src), src);
  if (a.watchdog !== undefined) applyAgentWatchdog(agent.watchdog, section(a.watchdog, 'agent.watchdog', src), src);
}

/** Where the agent listens and keeps its state, and where it sends to. */
function applyAgentEndpoint(agent: Config['agent'], a: Obj, src: string): void {
  if (a.port !== undefined) agent.port = int(a.port, 'agent.port', src, 1, 65535);
  if (a.listen !== undefined) agent.listen = listenAddresses(a.listen, 'agent.listen', src);
  if (a.webConfigFile !== undefined) agent.webConfigFile = str(a.webConfigFile, 'agent.webConfigFile', src);
  if (a.schedule !== undefined) agent.schedule = str(a.schedule, 'agent.schedule', src);
  if (a.stateDir !== undefined) agent.stateDir = str(a.stateDir, 'agent.stateDir', src);
  if (a.collectorUrl !== undefined) {
    const u = str(a.collectorUrl, 'agent.collectorUrl', src);
    if (!/^https?:\/\//.test(u)) throw new ConfigError('agent.collectorUrl', 'must be an http:// or https:// URL', src);
    agent.collectorUrl = u;
  }
  if (a.tokenFile !== undefined) agent.tokenFile = str(a.tokenFile, 'agent.tokenFile', src);
}

/** How the agent re-sends, resolves, bounds its outbox and backs off. */
function applyAgentDelivery(agent: Config['agent'], a: Obj, src: string): void {
  if (a.resendIntervalSeconds !== undefined)
    agent.resendIntervalSeconds = int(a.resendIntervalSeconds, 'agent.resendIntervalSeconds', src, 1, 7 * 24 * 3600);
  if (a.unknownGraceScans !== undefined)
    agent.unknownGraceScans = int(a.unknownGraceScans, 'agent.unknownGraceScans', src, 0, 1000);
  if (a.outboxMaxBytes !== undefined)
    agent.outboxMaxBytes = int(a.outboxMaxBytes, 'agent.outboxMaxBytes', src, 64 * 1024, 16 * 1024 ** 3);
  if (a.outboxMaxAgeSeconds !== undefined)
    agent.outboxMaxAgeSeconds = int(a.outboxMaxAgeSeconds, 'agent.outboxMaxAgeSeconds', src, 60, 365 * 24 * 3600);
  if (a.retryInitialMs !== undefined)
    agent.retryInitialMs = int(a.retryInitialMs, 'agent.retryInitialMs', src, 1, 3_600_000);
  if (a.retryMaxMs !== undefined) agent.retryMaxMs = int(a.retryMaxMs, 'agent.retryMaxMs', src, 1, 24 * 3_600_000);
  if (agent.retryMaxMs < agent.retryInitialMs)
    throw new ConfigError('agent.retryMaxMs', `must be at least agent.retryInitialMs (${agent.retryInitialMs})`, src);
}

function applyAgentWatch(watch: Config['agent']['watch'], w: Obj, src: string): void {
  allowKeys(w, 'agent.watch', ['enabled', 'debounceMs', 'maxWatches'], src);
  if (w.enabled !== undefined) watch.enabled = bool(w.enabled, 'agent.watch.enabled', src);
  if (w.debounceMs !== undefined) watch.debounceMs = int(w.debounceMs, 'agent.watch.debounceMs', src, 0, 60_000);
  if (w.maxWatches !== undefined) watch.maxWatches = int(w.maxWatches, 'agent.watch.maxWatches', src, 1, 1_000_000);
}

function agentTls(t: Obj, src: string): AgentTls {
  allowKeys(t, 'agent.tls', ['caFile', 'certFile', 'keyFile'], src);
  const tls: AgentTls = {};
  for (const k of ['caFile', 'certFile', 'keyFile'] as const)
    if (t[k] !== undefined) tls[k] = str(t[k], `agent.tls.${k}`, src);
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new ConfigError('agent.tls', 'certFile and keyFile go together', src);
  return tls;
}

function applyAgentWatchdog(watchdog: Config['agent']['watchdog'], w: Obj, src: string): void {
  allowKeys(w, 'agent.watchdog', ['enabled', 'memoryBytes', 'cpuPercent', 'windowSeconds'], src);
  if (w.enabled !== undefined) watchdog.enabled = bool(w.enabled, 'agent.watchdog.enabled', src);
  if (w.memoryBytes !== undefined)
    watchdog.memoryBytes = int(w.memoryBytes, 'agent.watchdog.memoryBytes', src, 16 * 1024 * 1024, 64 * 1024 ** 3);
  if (w.cpuPercent !== undefined) watchdog.cpuPercent = int(w.cpuPercent, 'agent.watchdog.cpuPercent', src, 1, 6400);
  if (w.windowSeconds !== undefined)
    watchdog.windowSeconds = int(w.windowSeconds, 'agent.watchdog.windowSeconds', src, 1, 3600);
}

const COLLECTOR_KEYS = [
  'port',
  'listen',
  'db',
  'tokensFile',
  'silentAfterSeconds',
  'maxBodyBytes',
  ...SINK_SETTING_KEYS,
  'deliveryRetryInitialMs',
  'deliveryRetryMaxMs',
  'cluster',
  'publicUrl',
  'sinks',
  'routing',
  'tls',
  'retention',
  'requireNodeBinding',
  'maxNodesPerToken',
  'clockSkewSeconds',
  'serviceAccountTokens',
];

function applyCollector(cc: CollectorConfig, c: Obj, src: string): void {
  allowKeys(c, 'collector', COLLECTOR_KEYS, src);
  applyServerKeys(cc, c, src);
  applyDeliveryKeys(cc, c, src);
  applySinkKeys(cc, c, src);
  applyIngestKeys(cc, c, src);
  applyIdentityKeys(cc, c, src);
}

/** Where the collector listens and keeps its database, and how much it accepts. */
function applyServerKeys(cc: CollectorConfig, c: Obj, src: string): void {
  if (c.port !== undefined) cc.port = int(c.port, 'collector.port', src, 1, 65535);
  if (c.listen !== undefined) cc.listen = str(c.listen, 'collector.listen', src);
  if (c.db !== undefined) cc.db = str(c.db, 'collector.db', src);
  if (c.tokensFile !== undefined) cc.tokensFile = str(c.tokensFile, 'collector.tokensFile', src);
  if (c.silentAfterSeconds !== undefined)
    cc.silentAfterSeconds = int(c.silentAfterSeconds, 'collector.silentAfterSeconds', src, 1, 30 * 24 * 3600);
  if (c.maxBodyBytes !== undefined)
    cc.maxBodyBytes = int(c.maxBodyBytes, 'collector.maxBodyBytes', src, 1024, 256 * 1024 * 1024);
}

/** The delivery queue's back-off between failed sink deliveries. */
function applyDeliveryKeys(cc: CollectorConfig, c: Obj, src: string): void {
  if (c.deliveryRetryInitialMs !== undefined)
    cc.deliveryRetryInitialMs = int(c.deliveryRetryInitialMs, 'collector.deliveryRetryInitialMs', src, 1, 3_600_000);
  if (c.deliveryRetryMaxMs !== undefined)
    cc.deliveryRetryMaxMs = int(c.deliveryRetryMaxMs, 'collector.deliveryRetryMaxMs', src, 1, 24 * 3_600_000);
  if (cc.deliveryRetryMaxMs < cc.deliveryRetryInitialMs) {
    throw new ConfigError(
      'collector.deliveryRetryMaxMs',
      `must be at least collector.deliveryRetryInitialMs (${cc.deliveryRetryInitialMs})`,
      src,
    );
  }
}

function applyLog(cfg: Config, l: Obj, src: string): void {
  allowKeys(l, 'log', ['level'], src);
  if (l.level === undefined) return;
  if (!(LOG_LEVELS as readonly unknown[]).includes(l.level))
    throw new ConfigError('log.level', `must be one of ${LOG_LEVELS.join(', ')}`, src);
  cfg.log.level = l.level as Config['log']['level'];
}

function checkOverrides(v: unknown, ctx: ValidationContext, src: string): Record<string, CheckOverride> {
  if (!isObj(v)) throw new ConfigError('checks', 'must be a mapping of check id to settings', src);
  const out: Record<string, CheckOverride> = {};
  for (const [id, o] of Object.entries(v)) {
    const key = `checks.${id}`;
    if (!ctx.checkIds.has(id)) throw new ConfigError(key, 'no such check (see `hostward checks`)', src);
    if (!isObj(o)) throw new ConfigError(key, 'must be a mapping with enabled and/or severity', src);
    allowKeys(o, key, ['enabled', 'severity'], src);
    const override: CheckOverride = {};
    if (o.enabled !== undefined) override.enabled = bool(o.enabled, `${key}.enabled`, src);
    if (o.severity !== undefined) override.severity = severity(o.severity, `${key}.severity`, src);
    out[id] = override;
  }
  return out;
}

function exceptionRules(v: unknown, ctx: ValidationContext, src: string): ExceptionRule[] {
  if (!Array.isArray(v)) throw new ConfigError('exceptions', 'must be a list', src);
  return v.map((e, i) => {
    const key = `exceptions[${i}]`;
    if (!isObj(e)) throw new ConfigError(key, 'must be a mapping with check, reason and expires', src);
    allowKeys(e, key, ['check', 'reason', 'expires'], src);
    const check = str(e.check, `${key}.check`, src);
    if (!ctx.checkIds.has(check)) throw new ConfigError(`${key}.check`, `no such check ${JSON.stringify(check)}`, src);
    const reason = typeof e.reason === 'string' ? e.reason.trim() : '';
    if (!reason) throw new ConfigError(`${key}.reason`, 'an exception needs a reason', src);
    const expires = e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : e.expires;
    if (typeof expires !== 'string' || !isValidDate(expires))
      throw new ConfigError(`${key}.expires`, `must be a date YYYY-MM-DD, got ${JSON.stringify(e.expires)}`, src);
    return { check, reason, expires };
  });
}

/**
 * Each probe's section, checked by the options the probe declares; kept as written (the scan parses it, with its
 * root and environment, and gives the probe the result). A section of a probe that declares none must be empty.
 */
function probeSections(v: unknown, ctx: ValidationContext, src: string): Config['probes'] {
  if (!isObj(v)) throw new ConfigError('probes', 'must be a mapping of probe name to settings', src);
  const out: Config['probes'] = {};
  for (const [name, section] of Object.entries(v)) {
    if (!ctx.probes.has(name)) throw new ConfigError(`probes.${name}`, `no probe named ${JSON.stringify(name)}`, src);
    if (!isObj(section)) throw new ConfigError(`probes.${name}`, 'must be a mapping', src);
    checkProbeSection(name, section, ctx.probes.get(name), src);
    out[name] = section;
  }
  return out;
}

/** The validation only: the scan's root and environment change defaults, never what is valid. */
const VALIDATION_OPTION_CONTEXT: OptionContext = { rootIsHost: true, env: {} };

function checkProbeSection(name: string, section: Obj, options: ProbeOptions | undefined, src: string): void {
  const at = `probes.${name}`;
  if (!options) {
    if (Object.keys(section).length > 0) throw new ConfigError(at, `${at} takes no options`, src);
    return;
  }
  try {
    options.parse(section, VALIDATION_OPTION_CONTEXT);
  } catch (e) {
    if (e instanceof OptionError) throw new ConfigError(optionErrorKey(name, e), e.problem, src);
    throw new ConfigError(at, (e as Error).message, src);
  }
}

/** The sink keys of `collector` (issue 9); the structured ones are parsed in src/sinks/routing-config.ts. */
function applySinkKeys(cc: CollectorConfig, c: Obj, src: string): void {
  const keyed = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof KeyedProblem) throw new ConfigError(e.key, e.problem, src);
      throw e;
    }
  };
  if (c.cluster !== undefined) cc.cluster = str(c.cluster, 'collector.cluster', src);
  if (c.publicUrl !== undefined)
    cc.publicUrl = httpUrl(str(c.publicUrl, 'collector.publicUrl', src), 'collector.publicUrl', src);
  keyed(() => applySinkSettings(cc, c, 'collector'));
  if (c.sinks !== undefined) cc.sinks = keyed(() => parseSinkDefs(c.sinks, 'collector.sinks'));
  if (c.routing !== undefined) cc.routing = keyed(() => parseRouting(c.routing, 'collector.routing'));
}

/** collector.tls and collector.retention (issue 8). */
function applyIngestKeys(cc: CollectorConfig, c: Obj, src: string): void {
  if (c.tls !== undefined) {
    const t = c.tls;
    if (!isObj(t)) throw new ConfigError('collector.tls', 'must be a mapping', src);
    allowKeys(t, 'collector.tls', ['certFile', 'keyFile', 'clientCaFile', 'requireClientCert'], src);
    if (t.certFile === undefined || t.keyFile === undefined)
      throw new ConfigError('collector.tls', 'certFile and keyFile are required', src);
    const tls: CollectorTls = {
      certFile: str(t.certFile, 'collector.tls.certFile', src),
      keyFile: str(t.keyFile, 'collector.tls.keyFile', src),
      requireClientCert: false,
    };
    if (t.clientCaFile !== undefined) tls.clientCaFile = str(t.clientCaFile, 'collector.tls.clientCaFile', src);
    tls.requireClientCert =
      t.requireClientCert === undefined
        ? tls.clientCaFile !== undefined
        : bool(t.requireClientCert, 'collector.tls.requireClientCert', src);
    if (tls.requireClientCert && tls.clientCaFile === undefined)
      throw new ConfigError(
        'collector.tls.requireClientCert',
        "needs collector.tls.clientCaFile (the CA of the agents' certificates)",
        src,
      );
    cc.tls = tls;
  }
  if (c.retention !== undefined) {
    const r = c.retention;
    if (!isObj(r)) throw new ConfigError('collector.retention', 'must be a mapping', src);
    allowKeys(r, 'collector.retention', ['eventsMaxAgeDays'], src);
    if (r.eventsMaxAgeDays !== undefined)
      cc.retention = {
        eventsMaxAgeDays: int(r.eventsMaxAgeDays, 'collector.retention.eventsMaxAgeDays', src, 1, 3650),
      };
  }
}

/** Who may write for which node, and the clock (collector.requireNodeBinding, …, serviceAccountTokens). */
function applyIdentityKeys(cc: CollectorConfig, c: Obj, src: string): void {
  if (c.requireNodeBinding !== undefined)
    cc.requireNodeBinding = bool(c.requireNodeBinding, 'collector.requireNodeBinding', src);
  if (c.maxNodesPerToken !== undefined)
    cc.maxNodesPerToken = int(c.maxNodesPerToken, 'collector.maxNodesPerToken', src, 0, 10_000_000);
  if (c.clockSkewSeconds !== undefined)
    cc.clockSkewSeconds = int(c.clockSkewSeconds, 'collector.clockSkewSeconds', src, 1, 7 * 24 * 3600);
  if (c.serviceAccountTokens === undefined) return;
  const k = 'collector.serviceAccountTokens';
  const t = c.serviceAccountTokens;
  if (!isObj(t)) throw new ConfigError(k, 'must be a mapping', src);
  allowKeys(t, k, ['issuer', 'jwksFile', 'audience', 'serviceAccounts'], src);
  const sa = serviceAccountTokens(cc);
  if (t.issuer !== undefined) sa.issuer = str(t.issuer, `${k}.issuer`, src);
  if (t.jwksFile !== undefined) sa.jwksFile = str(t.jwksFile, `${k}.jwksFile`, src);
  if (t.audience !== undefined) sa.audience = str(t.audience, `${k}.audience`, src);
  if (t.serviceAccounts !== undefined)
    sa.serviceAccounts = serviceAccountList(t.serviceAccounts, `${k}.serviceAccounts`, src);
}

function serviceAccountTokens(cc: CollectorConfig): ServiceAccountTokens {
  return (cc.serviceAccountTokens ??= { audience: 'hostward', serviceAccounts: [] });
}

/** `namespace:name` items (a comma-separated string in the environment). */
function serviceAccountList(v: unknown, key: string, src: string): string[] {
  const list =
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x)
      : v;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(key, 'must be a list of namespace:name', src);
  return list.map((x, i) => {
    if (typeof x !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(x)) {
      throw new ConfigError(`${key}[${i}]`, `must be namespace:name, got ${JSON.stringify(x)}`, src);
    }
    return x;
  });
}

/** A list of absolute paths (a string may list several, comma-separated, as HOSTWARD_TRUSTED_ROOTS does). */
function absolutePaths(v: unknown, key: string, src: string): string[] {
  const list =
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '')
      : v;
  if (!Array.isArray(list)) throw new ConfigError(key, 'must be a list of absolute paths', src);
  return list.map((p, i) => {
    if (typeof p !== 'string' || !p.startsWith('/'))
      throw new ConfigError(
        Array.isArray(v) ? `${key}[${i}]` : key,
        `must be an absolute path, got ${JSON.stringify(p)}`,
        src,
      );
    return p;
  });
}

/** An IP address or a list of them (a string may list several, comma-separated, as HOSTWARD_LISTEN does). */
function listenAddresses(v: unknown, key: string, src: string): string[] {
  const list = typeof v === 'string' ? v.split(',').map((x) => x.trim()) : v;
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError(key, 'must be an IP address or a list of them', src);
  const out = list.map((a, i) => {
    if (typeof a !== 'string' || ipFamily(a) === 0) {
      throw new ConfigError(
        Array.isArray(v) ? `${key}[${i}]` : key,
        `must be an IP address (0.0.0.0 or :: for every address), got ${JSON.stringify(a)}`,
        src,
      );
    }
    return a;
  });
  return [...new Set(out)];
}

function httpUrl(v: string, key: string, src: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(key, `${JSON.stringify(v)} is not a valid URL`, src);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(key, 'must be an http:// or https:// URL', src);
  return v;
}

/** Environment variables that override the file (each documented in the README). */
export function applyEnv(cfg: Config, env: NodeJS.ProcessEnv): Config {
  const src = 'environment';
  if (env.HOSTWARD_ROOT) cfg.root = env.HOSTWARD_ROOT;
  if (env.HOSTWARD_TRUSTED_ROOTS)
    cfg.trustedRoots = absolutePaths(env.HOSTWARD_TRUSTED_ROOTS, 'HOSTWARD_TRUSTED_ROOTS', src);
  if (env.HOSTWARD_PORT) cfg.agent.port = int(env.HOSTWARD_PORT, 'HOSTWARD_PORT', src, 1, 65535);
  if (env.HOSTWARD_SCHEDULE) cfg.agent.schedule = env.HOSTWARD_SCHEDULE;
  if (env.HOSTWARD_LISTEN) cfg.agent.listen = listenAddresses(env.HOSTWARD_LISTEN, 'HOSTWARD_LISTEN', src);
  if (env.HOSTWARD_WEB_CONFIG_FILE) cfg.agent.webConfigFile = env.HOSTWARD_WEB_CONFIG_FILE;
  if (env.HOSTWARD_FAIL_ON) cfg.scan.failOn = severity(env.HOSTWARD_FAIL_ON, 'HOSTWARD_FAIL_ON', src);
  if (env.HOSTWARD_LOG_LEVEL) {
    if (!(LOG_LEVELS as readonly string[]).includes(env.HOSTWARD_LOG_LEVEL))
      throw new ConfigError('HOSTWARD_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`, src);
    cfg.log.level = env.HOSTWARD_LOG_LEVEL as Config['log']['level'];
  }
  if (env.HOSTWARD_STATE_DIR) cfg.agent.stateDir = env.HOSTWARD_STATE_DIR;
  if (env.HOSTWARD_COLLECTOR_URL) cfg.agent.collectorUrl = env.HOSTWARD_COLLECTOR_URL;
  if (env.HOSTWARD_TOKEN_FILE) cfg.agent.tokenFile = env.HOSTWARD_TOKEN_FILE;
  if (cfg.agent.collectorUrl !== undefined && !/^https?:\/\//.test(cfg.agent.collectorUrl)) {
    throw new ConfigError('HOSTWARD_COLLECTOR_URL', 'must be an http:// or https:// URL', src);
  }
  if (env.HOSTWARD_DB) cfg.collector.db = env.HOSTWARD_DB;
  if (env.HOSTWARD_TOKENS_FILE) cfg.collector.tokensFile = env.HOSTWARD_TOKENS_FILE;
  applySinkEnv(cfg.collector, env);
  if (env.HOSTWARD_CLUSTER) cfg.collector.cluster = env.HOSTWARD_CLUSTER;
  if (env.HOSTWARD_PUBLIC_URL) cfg.collector.publicUrl = httpUrl(env.HOSTWARD_PUBLIC_URL, 'HOSTWARD_PUBLIC_URL', src);
  if (env.HOSTWARD_REQUIRE_NODE_BINDING) {
    const v = env.HOSTWARD_REQUIRE_NODE_BINDING;
    if (v !== 'true' && v !== 'false')
      throw new ConfigError('HOSTWARD_REQUIRE_NODE_BINDING', 'must be true or false', src);
    cfg.collector.requireNodeBinding = v === 'true';
  }
  if (env.HOSTWARD_SA_TOKEN_ISSUER) serviceAccountTokens(cfg.collector).issuer = env.HOSTWARD_SA_TOKEN_ISSUER;
  if (env.HOSTWARD_SA_TOKEN_JWKS_FILE) serviceAccountTokens(cfg.collector).jwksFile = env.HOSTWARD_SA_TOKEN_JWKS_FILE;
  if (env.HOSTWARD_SA_TOKEN_AUDIENCE) serviceAccountTokens(cfg.collector).audience = env.HOSTWARD_SA_TOKEN_AUDIENCE;
  if (env.HOSTWARD_SA_TOKEN_SERVICE_ACCOUNTS) {
    serviceAccountTokens(cfg.collector).serviceAccounts = serviceAccountList(
      env.HOSTWARD_SA_TOKEN_SERVICE_ACCOUNTS,
      'HOSTWARD_SA_TOKEN_SERVICE_ACCOUNTS',
      src,
    );
  }
  return cfg;
}

/** Load and validate a config file (or only defaults and environment when no file is given). */
export function loadConfig(
  file: string | undefined,
  ctx: ValidationContext,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const path = file ?? env.HOSTWARD_CONFIG;
  let doc: unknown = undefined;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError('(file)', `cannot read: ${(e as Error).message}`, path);
    }
    if (text.length > 1024 * 1024) throw new ConfigError('(file)', 'larger than 1 MiB', path);
    const yaml = yamlLib();
    try {
      doc = yaml.parse(text, { maxAliasCount: 100, uniqueKeys: true });
    } catch (e) {
      if (e instanceof yaml.YAMLParseError) {
        const pos = e.linePos?.[0];
        throw new ConfigError(
          pos ? `line ${pos.line} column ${pos.col}` : '(yaml)',
          e.message.split('\n')[0] ?? 'invalid YAML',
          path,
        );
      }
      throw e;
    }
    return applyEnv(validateConfig(doc, ctx, path), env);
  }
  return applyEnv(validateConfig(doc, ctx), env);
}
