/**
 * The configuration reference, as data: every key of the YAML configuration (top level, scan, agent, collector,
 * sinks and routing, every probe's section) with its type, default, environment variable and command-line flag.
 * The probes' sections are what each registered probe declares (Probe.options, in its own folder): this file
 * names no probe.
 * docs/configuration.md is rendered from it (`npm run docs:config`), and test/docs/configuration.test.ts holds it
 * to the code: the keys each validator accepts, the defaults of defaultConfig() and of the probes' parsers, the
 * environment variables applyEnv reads, the flags of `hostward COMMAND --help`.
 *
 * Paths are YAML paths: `agent.watch.debounceMs`; `[]` is an item of a list (`exceptions[].reason`), `[slack]` an
 * item of the sinks list of that type, `<check id>` a key that is a check id.
 */
import { SEVERITIES } from '../contracts.js';
import { HOST_ROLES } from '../scan/host-role.js';
import { DEFAULT_FLOORS, RESERVED_SINK_NAMES, SINK_DEFINITIONS, SINK_SETTINGS, SINK_TYPES } from '../sinks/registry.js';
import { PROBES } from '../../probes/registry.js';
import { optionType } from '../probe-options.js';
import type { OptionType } from '../probe-options.js';

export type KeyType = OptionType;

export interface ConfigKey {
  path: string;
  type: KeyType;
  /** The value in force when the key is absent, as written in YAML. Checked against the code by the tests. */
  default?: unknown;
  /** A default that depends on something else (the root, the host, another key), in words. Not checked. */
  defaultText?: string;
  /** Required: true, or when (in words). */
  required?: true | string;
  /** The environment variable that overrides the key (environment wins over the file). */
  env?: string;
  /** Command-line flags that override the key: "agent --port". */
  flags?: readonly string[];
  /** A value the validator accepts (the default when absent). */
  example?: unknown;
  /** The example as the environment variable carries it, when it is not String(example). */
  envExample?: string;
  /** Sibling keys the example needs to be valid (retryMaxMs must not be below retryInitialMs). */
  with?: Readonly<Record<string, unknown>>;
  description: string;
}

export interface ConfigSection {
  title: string;
  /** Markdown, a paragraph or two. */
  intro: string;
  keys: readonly ConfigKey[];
}

const { int, str, bool, oneOf, text } = optionType;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MATCHER = 'mapping: `severity` (one, a list, or `{min: SEVERITY}`), `probe` (one or a list), `check` (globs)';

/** Examples that name probes and checks, taken from the registry: the engine names none itself. */
const SOME_PROBES = PROBES.slice(0, 2).map((p) => p.name);
const SOME_CHECK = PROBES[0]!.checks[0]!.id;

/** Values the tests put where a path says `<check id>`, or a name a probe's options stand for (`<sysctl check id>`). */
export const PLACEHOLDERS: Readonly<Record<string, string>> = Object.fromEntries([
  ['<check id>', SOME_CHECK],
  ...PROBES.flatMap((p) => Object.entries(p.options?.placeholders ?? {})),
]);

/**
 * What a mapping or list item needs besides the key under test to be valid (a sink needs its name, type and
 * secret file; routes need a default). Keyed by the location's path.
 */
export const CONTEXTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'exceptions[]': { check: '<check id>', reason: 'a reason', expires: '2099-12-31' },
  'collector.tls': { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
  ...Object.fromEntries(SINK_DEFINITIONS.map((d) => [`collector.sinks[${d.type}]`, d.example])),
  'collector.routing': { default: [] },
  'collector.routing.routes[]': { sinks: [] },
  'collector.routing.inhibit[]': { source: {}, target: {} },
};

const TOP: ConfigSection = {
  title: 'Top level',
  intro:
    'A YAML file (`--config FILE` or `HOSTWARD_CONFIG`), plus environment variables, which win over it. The whole ' +
    'file is validated before anything is used: an unknown key, a value of the wrong type or out of range is ' +
    'reported naming the key (`hostward: invalid configuration: FILE: agent.port: must be an integer from 1 to ' +
    '65535`), and hostward exits 2.',
  keys: [
    {
      path: 'node',
      type: str('node name'),
      defaultText:
        "`HOSTWARD_NODE_NAME` or `NODE_NAME`, else `/etc/hostname` under the root, else this machine's hostname",
      example: 'worker-3',
      description:
        'The node name reported in findings, events and `GET /v1/report`. The DaemonSet sets `NODE_NAME` from `spec.nodeName`.',
    },
    {
      path: 'root',
      type: str('directory'),
      default: '/',
      env: 'HOSTWARD_ROOT',
      flags: ['scan --root', 'agent --root'],
      example: '/host',
      description: "Where the host's file system is mounted. The image sets `HOSTWARD_ROOT=/host`.",
    },
    {
      path: 'trustedRoots',
      type: text('list of absolute paths (comma-separated in the environment)'),
      default: [],
      env: 'HOSTWARD_TRUSTED_ROOTS',
      example: ['/host'],
      envExample: '/host',
      description:
        "Roots whose binaries are the host's own: they run chrooted with hostward's privileges instead of sandboxed. " +
        '`/` and the root directory of PID 1 need no entry (docs/threat-model.md).',
    },
    {
      path: 'log.level',
      type: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      default: 'info',
      env: 'HOSTWARD_LOG_LEVEL',
      example: 'debug',
      description:
        'Log level (JSON logs on stderr for `scan`, stdout for `agent` and `collector`). `scan` logs at `warn` when this is `info`.',
    },
  ],
};

const CHECKS: ConfigSection = {
  title: 'Checks and exceptions',
  intro:
    '`checks` turns single checks off or changes their severity; `exceptions` accepts a failing check for a while, ' +
    'with a reason. An accepted failure keeps `status: "fail"` in the report, carries `exception`, does not count ' +
    'towards `--fail-on`, and exports `hostward_check_status` 4. Check ids: `hostward checks` or docs/checks.md.',
  keys: [
    {
      path: 'checks.<check id>.enabled',
      type: bool,
      default: true,
      example: false,
      description: 'false: the check is not run or reported.',
    },
    {
      path: 'checks.<check id>.severity',
      type: oneOf(SEVERITIES),
      defaultText: "the check's own (docs/checks.md)",
      example: 'info',
      description: 'The severity findings, metrics and alerts of this check carry.',
    },
    {
      path: 'exceptions[].check',
      type: str('check id'),
      required: true,
      example: '<check id>',
      description: 'The check the exception accepts.',
    },
    {
      path: 'exceptions[].reason',
      type: str(),
      required: true,
      example: 'break-glass root key on bastion nodes, SEC-1234',
      description: 'Why; shown on the finding.',
    },
    {
      path: 'exceptions[].expires',
      type: str('date YYYY-MM-DD'),
      required: true,
      example: '2027-03-31',
      description:
        'The last day (UTC) the exception holds; after it the check fails again and the message says it expired.',
    },
  ],
};

const SCAN: ConfigSection = {
  title: 'scan',
  intro: 'What a scan runs: `hostward scan`, and each scan of the agent.',
  keys: [
    {
      path: 'scan.failOn',
      type: oneOf(SEVERITIES),
      default: 'high',
      env: 'HOSTWARD_FAIL_ON',
      flags: ['scan --fail-on'],
      example: 'critical',
      description: '`hostward scan` exits 1 when a check fails at or above this severity (accepted exceptions aside).',
    },
    {
      path: 'scan.probeTimeoutSeconds',
      type: int(1, 3600, 'seconds'),
      default: 20,
      description: 'Each probe\'s deadline; a probe past it is reported with `status: "error"`, the others still run.',
    },
    {
      path: 'scan.probes',
      type: text('list of probe names'),
      defaultText: 'every probe',
      flags: ['scan --probe'],
      example: SOME_PROBES,
      description: 'Run only these probes.',
    },
    {
      path: 'scan.hostRole',
      type: oneOf(HOST_ROLES),
      default: 'auto',
      example: 'server',
      description:
        "What the host is for: `node` (a Kubernetes node: forwarding on, the kubelet's kernel values), `server` (CIS: " +
        'forwarding off), `auto` (a node when a kubelet, k3s or RKE2 runs or is installed).',
    },
  ],
};

const AGENT: ConfigSection = {
  title: 'agent',
  intro:
    "`hostward agent`, the DaemonSet's long-running mode: schedule, endpoints, state, and delivery to the collector.",
  keys: [
    {
      path: 'agent.port',
      type: int(1, 65535),
      default: 9750,
      env: 'HOSTWARD_PORT',
      flags: ['agent --port'],
      description: 'Port of `/metrics`, `/healthz`, `/readyz`, `/v1/report` (`--port 0` picks a free one).',
    },
    {
      path: 'agent.listen',
      type: text('an IP address or a list of them (comma-separated in the environment)'),
      default: ['0.0.0.0'],
      env: 'HOSTWARD_LISTEN',
      example: ['10.0.0.5', '127.0.0.1'],
      envExample: '10.0.0.5,127.0.0.1',
      description:
        "Addresses to bind, the same port on each. The chart binds the node's address and loopback (`$(HOST_IP),127.0.0.1`).",
    },
    {
      path: 'agent.webConfigFile',
      type: str('file'),
      env: 'HOSTWARD_WEB_CONFIG_FILE',
      flags: ['agent --web.config.file'],
      example: '/etc/hostward/web.yaml',
      description:
        "TLS and authentication of `/metrics` and `/v1/report`, in exporter-toolkit's web configuration format plus " +
        '`bearer_tokens_file` (deploy/README.md, "What the agent exposes"). Without it `/v1/report` answers 403.',
    },
    {
      path: 'agent.schedule',
      type: str('cron expression (node-cron)'),
      default: '*/5 * * * *',
      env: 'HOSTWARD_SCHEDULE',
      example: '*/15 * * * *',
      description: 'When full scans run (the agent also scans at start).',
    },
    {
      path: 'agent.stateDir',
      type: str('directory'),
      default: '/var/lib/hostward',
      env: 'HOSTWARD_STATE_DIR',
      example: '/var/lib/hostward',
      description:
        "The only host directory the agent writes: the alert outbox and state, and the integrity baseline's default place.",
    },
    {
      path: 'agent.collectorUrl',
      type: str('http:// or https:// URL'),
      env: 'HOSTWARD_COLLECTOR_URL',
      example: 'https://hostward-collector.hostward.svc:9751',
      description: 'The collector. Unset: the agent sends no events (Prometheus alone).',
    },
    {
      path: 'agent.tokenFile',
      type: str('file'),
      env: 'HOSTWARD_TOKEN_FILE',
      example: '/etc/hostward/token/token',
      description: 'File holding the bearer token the agent sends to the collector (a secret).',
    },
    {
      path: 'agent.tls.caFile',
      type: str('file (PEM)'),
      defaultText: "the system's CAs",
      example: '/etc/hostward/tls/ca.crt',
      description: 'CA bundle that verifies an https:// collector.',
    },
    {
      path: 'agent.tls.certFile',
      type: str('file (PEM)'),
      example: '/etc/hostward/tls/tls.crt',
      with: { keyFile: '/etc/hostward/tls/tls.key' },
      description: 'Client certificate for a collector that asks for one (mTLS); goes with `keyFile`.',
    },
    {
      path: 'agent.tls.keyFile',
      type: str('file (PEM)'),
      example: '/etc/hostward/tls/tls.key',
      with: { certFile: '/etc/hostward/tls/tls.crt' },
      description: "The client certificate's key.",
    },
    {
      path: 'agent.resendIntervalSeconds',
      type: int(1, 7 * 24 * 3600, 'seconds'),
      default: 3600,
      description: 'Re-send the state of open alerts this often, so a collector that lost its state recovers it.',
    },
    {
      path: 'agent.unknownGraceScans',
      type: int(0, 1000, 'scans'),
      default: 0,
      description: 'Consecutive `unknown` scans after which a failing alert resolves; 0: `unknown` never resolves it.',
    },
    {
      path: 'agent.outboxMaxBytes',
      type: int(64 * 1024, 16 * GiB, 'bytes'),
      default: 64 * MiB,
      description:
        'Outbox size bound: beyond it the oldest unsent events are dropped (counted, and open alerts re-sent).',
    },
    {
      path: 'agent.outboxMaxAgeSeconds',
      type: int(60, 365 * 24 * 3600, 'seconds'),
      default: 7 * 24 * 3600,
      description: "Outbox age bound, likewise. Keep it below the collector's `retention.eventsMaxAgeDays`.",
    },
    {
      path: 'agent.retryInitialMs',
      type: int(1, 3_600_000, 'ms'),
      default: 1000,
      with: { retryMaxMs: 24 * 3_600_000 },
      description: 'First back-off after a failed send (exponential, full jitter).',
    },
    {
      path: 'agent.retryMaxMs',
      type: int(1, 24 * 3_600_000, 'ms'),
      default: 300_000,
      with: { retryInitialMs: 1 },
      description: 'Longest back-off; at least `retryInitialMs`.',
    },
    {
      path: 'agent.watch.enabled',
      type: bool,
      default: true,
      example: false,
      description:
        'Watch the configuration the probes read (inotify) and re-run the probes that read a changed file at once.',
    },
    {
      path: 'agent.watch.debounceMs',
      type: int(0, 60_000, 'ms'),
      default: 50,
      description: 'Changes within this time are one re-scan.',
    },
    {
      path: 'agent.watch.maxWatches',
      type: int(1, 1_000_000),
      default: 256,
      description: 'At most this many watches; directories beyond it fall back to the schedule.',
    },
    {
      path: 'agent.watchdog.enabled',
      type: bool,
      default: true,
      example: false,
      description: "Watch the agent's own memory and CPU; over budget, scans shed optional work.",
    },
    {
      path: 'agent.watchdog.memoryBytes',
      type: int(16 * MiB, 64 * GiB, 'bytes'),
      default: 150 * MiB,
      description: 'Resident memory budget of the agent process.',
    },
    {
      path: 'agent.watchdog.cpuPercent',
      type: int(1, 6400, '% of one core'),
      default: 5,
      description: 'CPU budget of the agent and its scans, averaged over the window.',
    },
    {
      path: 'agent.watchdog.windowSeconds',
      type: int(1, 3600, 'seconds'),
      default: 60,
      description: 'The window the CPU budget is averaged over.',
    },
  ],
};

/** The simple setup's keys of every sink, as its definition documents them (src/sinks/registry.ts). */
const SIMPLE_SINK_KEYS: readonly ConfigKey[] = SINK_SETTINGS.map(({ key, setting: s }) => ({
  path: `collector.${key}`,
  ...s.doc,
  ...(s.default === undefined ? {} : { default: s.default }),
  ...(s.env === undefined ? {} : { env: s.env }),
}));

/** The simple setup's sink names, as prose lists them: "`a`, `b` or `c`" with `last` before the last. */
const sinkNames = (last: string): string =>
  RESERVED_SINK_NAMES.map((n) => `\`${n}\``)
    .join(', ')
    .replace(/, ([^,]*)$/, `${last}$1`);

/** The routing defaults of src/sinks/routing.ts, as the document says them. */
const FLOORS = Object.entries(DEFAULT_FLOORS)
  .map(([kind, floor]) => `${kind} \`${floor}\``)
  .join(', ');

const COLLECTOR: ConfigSection = {
  title: 'collector',
  intro:
    "`hostward collector`: where it listens, its database, the agents' tokens, and the simple setup of its sinks " +
    '(one of each kind, named after the kind). Secrets (webhook URLs, routing keys, tokens) come from files only. A ' +
    'missing or malformed secret file, or a non-https URL (http only for loopback, and for Alertmanager), stops the ' +
    'collector at start naming the key.',
  keys: [
    {
      path: 'collector.port',
      type: int(1, 65535),
      default: 9751,
      flags: ['collector --port'],
      description: "Port of the collector's API, page and metrics (`--port 0` picks a free one).",
    },
    {
      path: 'collector.listen',
      type: str('address'),
      default: '0.0.0.0',
      example: '127.0.0.1',
      description: 'Address to bind.',
    },
    {
      path: 'collector.db',
      type: str('file'),
      default: '/var/lib/hostward/collector.db',
      env: 'HOSTWARD_DB',
      example: '/data/collector.db',
      description: 'The SQLite database (WAL).',
    },
    {
      path: 'collector.tokensFile',
      type: str('file'),
      required: 'to start',
      env: 'HOSTWARD_TOKENS_FILE',
      example: '/etc/hostward/tokens',
      description:
        'Accepted bearer tokens, one per line (`#` comments), re-read when it changes. `<token> node=<name>` or ' +
        '`node=<glob>` (`*`, `?`) binds a token to the nodes it may write events for (403 for any other); a bound ' +
        'token does not open the read API or the page. An unbound token writes for any node (counted, logged once; ' +
        'see `requireNodeBinding`) and opens the read API and the fleet page.',
    },
    {
      path: 'collector.requireNodeBinding',
      type: bool,
      default: false,
      env: 'HOSTWARD_REQUIRE_NODE_BINDING',
      example: true,
      description:
        'Refuse (403) events sent with a token that has no `node=` binding, so that every agent credential speaks ' +
        'for its own nodes only. Unbound tokens still open the read API and the page.',
    },
    {
      path: 'collector.maxNodesPerToken',
      type: int(0, 10_000_000),
      default: 10_000,
      description:
        'Most distinct node names one token of the tokens file writes for within `retention.eventsMaxAgeDays`: a ' +
        'new name beyond it is refused (403); 0: no bound. Service account tokens speak for one node each.',
    },
    {
      path: 'collector.clockSkewSeconds',
      type: int(1, 7 * 24 * 3600, 'seconds'),
      default: 300,
      description:
        "How far an agent's clock may be from the collector's. Events dated further ahead enter fleet state at " +
        'the time they arrive (counted), and a node whose events or send time are off by more fails ' +
        '`hostward.clock_skew`.',
    },
    {
      path: 'collector.serviceAccountTokens.issuer',
      type: str('URL'),
      required: 'with `serviceAccountTokens`',
      env: 'HOSTWARD_SA_TOKEN_ISSUER',
      example: 'https://kubernetes.default.svc.cluster.local',
      with: { jwksFile: '/etc/hostward/jwks/jwks.json', serviceAccounts: ['hostward:hostward-agent'] },
      description:
        "Accept agents' projected ServiceAccount tokens issued by this issuer (the cluster's " +
        "`--service-account-issuer`, the tokens' `iss`); the node is the token's `kubernetes.io.node.name` claim " +
        '(Kubernetes 1.30 and later), and a token without it is refused.',
    },
    {
      path: 'collector.serviceAccountTokens.jwksFile',
      type: str('file (JSON Web Key Set)'),
      required: 'with `serviceAccountTokens`',
      env: 'HOSTWARD_SA_TOKEN_JWKS_FILE',
      example: '/etc/hostward/jwks/jwks.json',
      with: { issuer: 'https://kubernetes.default.svc.cluster.local', serviceAccounts: ['hostward:hostward-agent'] },
      description:
        "The issuer's public keys, as `kubectl get --raw /openid/v1/jwks` prints them; re-read when it changes. " +
        'RS256 and ES256 only.',
    },
    {
      path: 'collector.serviceAccountTokens.audience',
      type: str(),
      defaultText: '`hostward`',
      env: 'HOSTWARD_SA_TOKEN_AUDIENCE',
      example: 'hostward',
      with: {
        issuer: 'https://kubernetes.default.svc.cluster.local',
        jwksFile: '/etc/hostward/jwks/jwks.json',
        serviceAccounts: ['hostward:hostward-agent'],
      },
      description:
        "The audience the agents' projected tokens are issued for (`aud`); tokens for the API server are refused.",
    },
    {
      path: 'collector.serviceAccountTokens.serviceAccounts',
      type: text('list of namespace:name (comma-separated in the environment)'),
      required: 'with `serviceAccountTokens`',
      env: 'HOSTWARD_SA_TOKEN_SERVICE_ACCOUNTS',
      example: ['hostward:hostward-agent'],
      envExample: 'hostward:hostward-agent',
      with: { issuer: 'https://kubernetes.default.svc.cluster.local', jwksFile: '/etc/hostward/jwks/jwks.json' },
      description:
        'The service accounts whose tokens may speak for their node (any pod can ask for a token with the audience).',
    },
    {
      path: 'collector.silentAfterSeconds',
      type: int(1, 30 * 24 * 3600, 'seconds'),
      default: 900,
      description: 'A node that sent nothing (not even a heartbeat) for this long raises `hostward.node_silent`.',
    },
    {
      path: 'collector.maxBodyBytes',
      type: int(1024, 256 * MiB, 'bytes'),
      default: 4 * MiB,
      description: 'Largest accepted `POST /v1/events` body (413 beyond).',
    },
    ...SIMPLE_SINK_KEYS,
    {
      path: 'collector.cluster',
      type: str(),
      env: 'HOSTWARD_CLUSTER',
      example: 'prod-eu-1',
      description: 'Cluster name: the `cluster` label of Alertmanager alerts, part of PagerDuty dedup keys.',
    },
    {
      path: 'collector.publicUrl',
      type: str('http:// or https:// URL'),
      env: 'HOSTWARD_PUBLIC_URL',
      example: 'https://hostward.example',
      description: "The collector's address for people: links to the fleet page in notifications.",
    },
    {
      path: 'collector.deliveryRetryInitialMs',
      type: int(1, 3_600_000, 'ms'),
      default: 1000,
      with: { deliveryRetryMaxMs: 24 * 3_600_000 },
      description: 'First back-off after a failed delivery to a sink.',
    },
    {
      path: 'collector.deliveryRetryMaxMs',
      type: int(1, 24 * 3_600_000, 'ms'),
      default: 300_000,
      with: { deliveryRetryInitialMs: 1 },
      description: 'Longest back-off; at least `deliveryRetryInitialMs`.',
    },
    {
      path: 'collector.tls.certFile',
      type: str('file (PEM)'),
      required: 'with `tls`',
      example: '/tls/tls.crt',
      description: 'Serve HTTPS with this certificate (re-read when it changes).',
    },
    {
      path: 'collector.tls.keyFile',
      type: str('file (PEM)'),
      required: 'with `tls`',
      example: '/tls/tls.key',
      description: 'Its key.',
    },
    {
      path: 'collector.tls.clientCaFile',
      type: str('file (PEM)'),
      example: '/tls/ca.crt',
      description:
        "CA of the agents' client certificates: they are asked for (mTLS). The bearer token is still required.",
    },
    {
      path: 'collector.tls.requireClientCert',
      type: bool,
      defaultText: '`true` when `clientCaFile` is set',
      example: true,
      with: { clientCaFile: '/tls/ca.crt' },
      description:
        'Refuse connections without a verified client certificate. false: optional, but one that does not verify gets 403.',
    },
    {
      path: 'collector.retention.eventsMaxAgeDays',
      type: int(1, 3650, 'days'),
      default: 30,
      description:
        "Events are kept this long (re-sends inside the window stay duplicates); longer than the agents' `outboxMaxAgeSeconds`.",
    },
    {
      path: 'collector.sinks',
      type: text('list of named sinks (below)'),
      example: [],
      description: 'Further sinks, each with a name routes can use.',
    },
    {
      path: 'collector.routing',
      type: text('mapping (below)'),
      defaultText: `each sink gets the groups at or above its kind's floor: ${FLOORS}`,
      example: {},
      description:
        'Which sinks get which groups, and inhibition. A block with neither `routes` nor `default` (inhibition ' +
        'only) sends every group to every sink.',
    },
  ],
};

const sink = (type: string, key: string, doc: Omit<ConfigKey, 'path'>): ConfigKey => ({
  path: `collector.sinks[${type}].${key}`,
  ...doc,
});

const SINKS: ConfigSection = {
  title: 'collector.sinks',
  intro:
    "Named sinks, beside the simple setup's. Every item has a `name` (letters, digits, `_`, `-`; not one of the " +
    `simple setup's names ${sinkNames(', ')}) and a \`type\`; the other keys depend on the type.`,
  keys: [
    ...SINK_DEFINITIONS.flatMap((d) => [
      sink(d.type, 'name', {
        type: str('sink name'),
        description: 'The name routes use.',
        required: true,
        example: `my-${d.type}`,
      }),
      sink(d.type, 'type', {
        type: oneOf([d.type]),
        description: 'The kind of sink (one of the types below).',
        required: true,
        example: d.type,
      }),
    ]),
    ...SINK_DEFINITIONS.flatMap((d) => d.keys.map(({ key, ...doc }) => sink(d.type, key, doc))),
  ],
};

const ROUTING: ConfigSection = {
  title: 'collector.routing',
  intro:
    'Routes send a group (one check and severity across the fleet) to named sinks, walked in order as in ' +
    'Alertmanager; inhibition holds back, on the same node, checks a matching higher one covers, and announces them ' +
    `once it stops failing. Sink names: the simple setup's (${sinkNames(' or ')}) and those of \`collector.sinks\`. ` +
    'Without a `routing` block each sink gets the groups at or ' +
    `above its kind's floor (${FLOORS}), so that an info-level finding pages no one.`,
  keys: [
    {
      path: 'collector.routing.routes[].match.severity',
      type: text('a severity, a list, or `{min: SEVERITY}`'),
      defaultText: 'any',
      example: { min: 'high' },
      description: 'Groups of these severities.',
    },
    {
      path: 'collector.routing.routes[].match.probe',
      type: text('a probe name or a list'),
      defaultText: 'any',
      example: SOME_PROBES,
      description: 'Groups of these probes.',
    },
    {
      path: 'collector.routing.routes[].match.check',
      type: text('a glob or a list (`*`, `?`)'),
      defaultText: 'any',
      example: `${PROBES[0]!.name}.*`,
      description: 'Groups whose check id matches.',
    },
    {
      path: 'collector.routing.routes[].sinks',
      type: text('list of sink names'),
      required: true,
      example: [RESERVED_SINK_NAMES[1]],
      description: 'Where a matching group goes.',
    },
    {
      path: 'collector.routing.routes[].continue',
      type: bool,
      default: false,
      example: true,
      description: 'Keep walking the routes after this one matched.',
    },
    {
      path: 'collector.routing.default',
      type: text('list of sink names'),
      required: 'with routes',
      example: [RESERVED_SINK_NAMES[0]],
      description: 'Sinks for a group no route matched (`[]` drops it).',
    },
    {
      path: 'collector.routing.inhibit[].source',
      type: text(MATCHER),
      required: true,
      example: { severity: 'critical' },
      description: 'While a check matching this fails on a node…',
    },
    {
      path: 'collector.routing.inhibit[].target',
      type: text(MATCHER),
      required: true,
      example: { severity: ['medium', 'low', 'info'] },
      description: "…the node's failures matching this are held back.",
    },
  ],
};

/** One section per probe that declares options (Probe.options), in the registry's order. */
const PROBE_SECTIONS: readonly ConfigSection[] = PROBES.flatMap((p) =>
  p.options
    ? [
        {
          title: `probes.${p.name}`,
          intro: p.options.intro,
          keys: p.options.keys.map(({ key, ...rest }) => ({ path: `probes.${p.name}.${key}`, ...rest })),
        },
      ]
    : [],
);

export const CONFIG_SECTIONS: readonly ConfigSection[] = [
  TOP,
  SCAN,
  CHECKS,
  AGENT,
  COLLECTOR,
  SINKS,
  ROUTING,
  ...PROBE_SECTIONS,
];

/** Every key, in document order. */
export function configKeys(): ConfigKey[] {
  return CONFIG_SECTIONS.flatMap((s) => s.keys);
}

/** Environment variables that set no configuration key. */
export const ENVIRONMENT: readonly { name: string; description: string }[] = [
  { name: 'HOSTWARD_CONFIG', description: 'The configuration file, when `--config` is not given.' },
  { name: 'HOSTWARD_NODE_NAME', description: 'The node name, when `node` is not set (before `NODE_NAME`).' },
  { name: 'NODE_NAME', description: 'The node name, as the DaemonSet passes it from `spec.nodeName`.' },
  { name: 'NO_COLOR', description: 'Any value: `scan` prints no colour.' },
  {
    name: 'KUBERNETES_SERVICE_HOST',
    description:
      'Set by the kubelet in every pod: `probes.ports.metadataCheck: auto` runs the metadata check only where it is set.',
  },
];

/** Environment variables the agent sets for its own scan processes: not for users. */
export const INTERNAL_ENVIRONMENT: readonly string[] = [
  'HOSTWARD_SCAN_MODE',
  'HOSTWARD_SHED',
  'HOSTWARD_OWN_LISTENERS',
  'HOSTWARD_CHANGED_PATHS',
];

// ---------------------------------------------------------------------------------------------------------
// docs/configuration.md

/** A value as YAML flow text, for the tables. */
export function yamlText(v: unknown): string {
  if (typeof v === 'string')
    return /^[A-Za-z0-9_./:-]+$/.test(v) && !/^(true|false|yes|no|null|~|\d+)$/.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(yamlText).join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${yamlText(x)}`)
      .join(', ')}}`;
  return String(v);
}

/** 67108864 → "64 MiB". */
function binary(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

const group = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function typeText(t: KeyType): string {
  switch (t.kind) {
    case 'string':
      return t.what ?? 'string';
    case 'integer':
      return `integer, ${group(t.min)} to ${group(t.max)}${t.unit ? ` (${t.unit})` : ''}`;
    case 'boolean':
      return '`true` or `false`';
    case 'enum':
      return `one of ${t.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'text':
      return t.text;
  }
}

const LONG = 60;

function defaultCell(k: ConfigKey): string {
  if (k.default !== undefined) {
    const s = yamlText(k.default);
    if (s.length > LONG && Array.isArray(k.default)) return `${k.default.length} entries (below the table)`;
    const bytes =
      k.type.kind === 'integer' && k.type.unit === 'bytes' && typeof k.default === 'number' && k.default >= 1024;
    return bytes ? `\`${s}\` (${binary(k.default as number)})` : `\`${s}\``;
  }
  if (k.defaultText) return k.defaultText;
  if (k.required) return k.required === true ? 'required' : `required ${k.required}`;
  return 'unset';
}

function overrideCell(k: ConfigKey): string {
  const parts = [...(k.env ? [`\`${k.env}\``] : []), ...(k.flags ?? []).map((f) => `\`${f}\``)];
  return parts.join(', ');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** How a path reads in the document: a sink of a type is just an item of the list there. */
export function displayPath(p: string): string {
  return p.replace(/\[[a-z]+\]/g, '[]');
}

function sectionMarkdown(s: ConfigSection): string {
  const rows = s.keys.map(
    (k) =>
      `| \`${cell(displayPath(k.path))}\` | ${cell(typeText(k.type))} | ${cell(defaultCell(k))} | ${cell(overrideCell(k))} | ${cell(k.description)} |`,
  );
  const long = s.keys.filter((k) => Array.isArray(k.default) && yamlText(k.default).length > LONG);
  const lists = long.map((k) => `Default of \`${displayPath(k.path)}\`: \`${yamlText(k.default)}\`.`);
  return [
    `## ${s.title}`,
    '',
    s.intro,
    '',
    '| key | type | default | environment, flag | what |',
    '|---|---|---|---|---|',
    ...rows,
    ...(lists.length ? ['', ...lists] : []),
    '',
  ].join('\n');
}

function sinkSectionMarkdown(s: ConfigSection): string {
  // One table per sink type: the type decides which keys an item takes.
  const parts = [`## ${s.title}`, '', s.intro, ''];
  for (const t of SINK_TYPES) {
    const keys = s.keys.filter((k) => k.path.startsWith(`collector.sinks[${t}].`));
    parts.push(`### \`type: ${t}\``, '', '| key | type | default | what |', '|---|---|---|---|');
    for (const k of keys)
      parts.push(
        `| \`${cell(displayPath(k.path))}\` | ${cell(typeText(k.type))} | ${cell(defaultCell(k))} | ${cell(k.description)} |`,
      );
    parts.push('');
  }
  return parts.join('\n');
}

function environmentMarkdown(): string {
  const rows = configKeys()
    .filter((k) => k.env)
    .map((k) => `| \`${k.env}\` | \`${displayPath(k.path)}\` |`);
  const other = ENVIRONMENT.map((e) => `| \`${e.name}\` | ${cell(e.description)} |`);
  return [
    '## Environment variables',
    '',
    'Each overrides the file. Lists are comma-separated. Secrets are never passed as values: the `*_FILE` variables name files.',
    '',
    '| variable | sets |',
    '|---|---|',
    ...rows,
    ...other,
    '',
    `Set by the agent for its own scan processes, not for users: ${INTERNAL_ENVIRONMENT.map((n) => `\`${n}\``).join(', ')}.`,
    '',
  ].join('\n');
}

const HEADER = `<!-- Generated by \`npm run docs:config\` from src/config/reference.ts; edit that file, not this one. -->

# Configuration reference

Every key hostward's configuration accepts, its type, default, and the environment variable or command-line flag
that overrides it. \`hostward\` refuses a key that is not listed here, naming it. Example:

\`\`\`yaml
root: /host
scan: { failOn: high }
agent:
  collectorUrl: https://hostward-collector.hostward.svc:9751
  tokenFile: /etc/hostward/token/token
checks:
  ssh.max_sessions: { severity: info }
exceptions:
  - { check: ssh.permit_root_login, reason: "break-glass key on bastions, SEC-1234", expires: 2027-03-31 }
probes:
  ports: { extraAllowList: [9100/tcp] }
\`\`\`

The agent's web configuration (\`agent.webConfigFile\`) is a separate file in exporter-toolkit's format, described
in [deploy/README.md](../deploy/README.md) ("What the agent exposes").
`;

/** docs/configuration.md. */
export function renderConfigurationMarkdown(): string {
  const body = CONFIG_SECTIONS.map((s) => (s === SINKS ? sinkSectionMarkdown(s) : sectionMarkdown(s)));
  return [HEADER, ...body, environmentMarkdown()].join('\n').replace(/\n{3,}/g, '\n\n');
}
