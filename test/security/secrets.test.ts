/**
 * Secrets never in logs, and no secrets or free text in metric labels. The built `hostward collector`
 * (tokens file; Slack, PagerDuty and signed-webhook sinks whose URL, routing key and signing secret come
 * from files) and `hostward agent` (token file, integrity key, a baseline signed with it) run at log level
 * debug on 127.0.0.1 while errors are driven: the agent starts with a wrong token (401), the collector
 * gets wrong bearer and Basic credentials, the sinks' receiver answers 500, 429 and 401 echoing back the
 * request it got (URL path, headers, body, as real receivers do), and `collector test-sink` prints the
 * receiver's answers. Every byte of stdout and stderr is then searched for every secret: as is, in
 * base64 and base64url, in hex, and any 12-character piece of it.
 *
 * The rule for metric labels (agent and collector /metrics): a label value is an identifier, never text:
 *   1. it matches ^[A-Za-z0-9_.:/@+=,~\[\]-]{0,200}$: no whitespace, quotes, backslashes or control
 *      characters, so no sentence (an error message) can be one;
 *   2. the labels with a closed vocabulary take values from it: severity, status, outcome, state, sink
 *      (the configured sinks), probe (the registered probes), check (the catalogue's checks and
 *      hostward's own);
 *   3. no value contains a secret (or a 12-character piece of one) or the path of a secret file.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROBES } from '../../probes/registry.js';
import { catalogue } from '../../src/scan/catalogue.js';
import { REQUEST_OUTCOMES } from '../../src/collector/metrics.js';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { CLI, requireBuild, startCollectorProcess, stop, waitFor } from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import { startAgentProcess, stopAgent } from '../faults/agent.js';
import type { AgentProc } from '../faults/agent.js';
import { startReceiver } from '../faults/receiver.js';
import type { Receiver } from '../faults/receiver.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const SECRETS = {
  agentToken: `agt-${hex(20)}`,
  otherToken: `agt2-${hex(20)}`,
  wrongToken: `wrong-${hex(20)}`,
  slackPath: `slk${hex(12)}`,
  pagerdutyKey: `pdk${hex(16)}`,
  webhookPath: `whp${hex(12)}`,
  webhookQuery: `whq${hex(12)}`,
  webhookSecret: `whs${hex(16)}`,
  integrityKey: hex(32),
};

let dir = '';
let host: Materialized | undefined;
let rcv: Receiver | undefined;
let collector: Proc | undefined;
let agent: AgentProc | undefined;
const files: Record<string, string> = {};
const outputs: string[] = [];
let agentMetrics = '';
let collectorMetrics = '';

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-secrets-'));
  host = materialize('kernel-weak-node');
  rcv = await startReceiver();
  // Each sink meets a 5xx, a 429 and a 401 that echoes its request back.
  rcv.scripts = {
    '/services/': ['500', '429', '401-echo'],
    '/v2/enqueue': ['500', '429', '401-echo'],
    '/hook/': ['500', '429', '401-echo'],
  };
  const base = `http://127.0.0.1:${rcv.port}`;
  const put = (name: string, text: string) => {
    const f = path.join(dir, 'secrets', name);
    mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    writeFileSync(f, text, { mode: 0o600 });
    files[name] = f;
    return f;
  };
  put('tokens', `# agents\n${SECRETS.otherToken}\n${SECRETS.agentToken}\n`);
  put('agent-token', `${SECRETS.wrongToken}\n`);
  put('slack-url', `${base}/services/T0000/B0000/${SECRETS.slackPath}\n`);
  put('pd-key', `${SECRETS.pagerdutyKey}\n`);
  put('webhook-url', `${base}/hook/${SECRETS.webhookPath}?token=${SECRETS.webhookQuery}\n`);
  put('webhook-secret', `${SECRETS.webhookSecret}\n`);
  put('integrity-key', `${SECRETS.integrityKey}\n`);

  const db = path.join(dir, 'collector.db');
  const sink = path.join(dir, 'sink.ndjson');
  const config = path.join(dir, 'collector.yaml');
  writeFileSync(
    config,
    [
      'collector:',
      '  listen: 127.0.0.1',
      `  db: ${db}`,
      `  tokensFile: ${files.tokens}`,
      `  fileSink: ${sink}`,
      `  slackWebhookUrlFile: ${files['slack-url']}`,
      `  pagerdutyRoutingKeyFile: ${files['pd-key']}`,
      `  pagerdutyUrl: ${base}/v2/enqueue`,
      `  webhookUrlFile: ${files['webhook-url']}`,
      `  webhookSecretFile: ${files['webhook-secret']}`,
      '  deliveryRetryInitialMs: 20',
      '  deliveryRetryMaxMs: 300',
      'log:',
      '  level: debug',
      '',
    ].join('\n'),
  );
  // A baseline signed with the integrity key.
  const state = path.join(dir, 'state');
  mkdirSync(state);
  outputs.push(
    (
      await run([
        CLI,
        'integrity',
        'init',
        '--root',
        host.root,
        '--path',
        '/etc',
        '--db',
        path.join(state, 'integrity.db'),
        '--key-file',
        files['integrity-key']!,
      ])
    ).out,
  );
  const d: Dirs = { dir, db, tokens: files.tokens!, token: files['agent-token']!, sink, config };
  collector = await startCollectorProcess(d);

  // The agent, with the wrong collector token.
  const agentConfig = path.join(dir, 'agent.yaml');
  writeFileSync(
    agentConfig,
    'scan:\n  probes: [integrity]\nagent:\n  listen: 127.0.0.1\n  schedule: "* * * * * *"\n  retryInitialMs: 50\n  retryMaxMs: 500\n  watch: { enabled: false }\nlog:\n  level: debug\n',
  );
  agent = startAgentProcess({
    root: host.root,
    config: agentConfig,
    env: {
      HOSTWARD_NODE_NAME: 'secrets-node',
      HOSTWARD_COLLECTOR_URL: collector.base,
      HOSTWARD_TOKEN_FILE: files['agent-token']!,
      HOSTWARD_STATE_DIR: state,
      HOSTWARD_INTEGRITY_KEY_FILE: files['integrity-key']!,
    },
  });
  await agent.port();
  await waitFor(
    () => (/collector refused the agent/.test(agent!.logs()) ? true : undefined),
    30_000,
    () => agent!.logs(),
  );

  // Wrong credentials straight at the collector.
  for (const [p, auth] of [
    ['/v1/events', `Bearer ${SECRETS.wrongToken}`],
    ['/v1/nodes', `Basic ${Buffer.from(`admin:${SECRETS.wrongToken}`).toString('base64')}`],
    ['/v1/alerts', `Bearer ${SECRETS.agentToken}x`],
    ['/', `Bearer ${SECRETS.wrongToken}`],
  ] as const) {
    const res = await fetch(`${collector.base}${p}`, {
      method: p === '/v1/events' ? 'POST' : 'GET',
      headers: { Authorization: auth, 'Content-Type': 'application/json' },
      ...(p === '/v1/events' ? { body: '[]' } : {}),
    });
    expect(res.status).toBe(401);
  }

  // The right token: events flow, sinks meet the misbehaving receiver, then deliver; a file under /etc changes
  // (integrity).
  writeFileSync(files['agent-token']!, `${SECRETS.agentToken}\n`);
  appendFileSync(path.join(host.root, 'etc/os-release'), '# changed\n');
  await waitFor(
    () => (Object.values(rcv!.scripts).every((s) => s.length === 0) ? true : undefined),
    30_000,
    () => collector!.logs(),
  );
  await waitFor(
    () => (/"sink":"(slack|pagerduty|webhook)"[^\n]*HTTP 401/.test(collector!.logs()) ? true : undefined),
    10_000,
    () => collector!.logs(),
  );

  // test-sink prints the receiver's answers; make them echo.
  // Once the queues are empty, nothing else talks to the receiver. (Asynchronously: it answers from this process.)
  await waitFor(
    async () => {
      const t = await (await fetch(`${collector!.base}/metrics`)).text();
      return [...t.matchAll(/^hostward_collector_delivery_queue\{[^}]*\} (\d+)$/gm)].every((m) => m[1] === '0')
        ? true
        : undefined;
    },
    30_000,
    () => collector!.logs(),
  );
  for (const name of ['slack', 'pagerduty', 'webhook']) {
    rcv.script = ['401-echo'];
    const r = await run([CLI, 'collector', 'test-sink', name, '--config', config]);
    expect(r.code, r.out).toBe(1);
    outputs.push(r.out);
  }
  agentMetrics = await agent.metrics();
  collectorMetrics = await (await fetch(`${collector.base}/metrics`)).text();
}, 120_000);

/** A command of the built CLI, run without blocking this process's event loop. */
function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

afterAll(async () => {
  if (agent) await stopAgent(agent);
  if (collector) await stop(collector);
  await rcv?.close();
  host?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every form a secret could leak in. */
function forms(secret: string): string[] {
  const b = Buffer.from(secret);
  const out = [secret, b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), b.toString('hex')];
  // Any 12-character piece (a prefix "for debugging" is a leak too).
  for (let i = 0; i + 12 <= secret.length; i++) out.push(secret.slice(i, i + 12));
  return out;
}

function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, s] of Object.entries(SECRETS))
    for (const f of forms(s)) if (text.includes(f)) found.push(`${name} as ${JSON.stringify(f)}`);
  return found;
}

describe('secrets never in logs', () => {
  it('the errors happened (so the logs had every chance to leak)', () => {
    expect(agent!.logs()).toMatch(/"why":"HTTP 401[^"]*"[^\n]*collector refused the agent/);
    expect(collector!.logs()).toMatch(/"sink":"slack"[^\n]*delivery failed; will retry/);
    expect(collector!.logs()).toMatch(/"sink":"pagerduty"[^\n]*HTTP 401/);
    expect(collector!.logs()).toMatch(/"sink":"webhook"[^\n]*HTTP 401/);
    expect(agent!.logs()).toMatch(/"level":20/); // debug lines were written
    // The receiver did echo secrets back: the collector saw them and had to keep them out.
    expect(rcv!.requests.some((r) => r.fault === '401-echo' && r.path.includes(SECRETS.slackPath))).toBe(true);
    expect(rcv!.requests.some((r) => r.fault === '401-echo' && r.body.includes(SECRETS.pagerdutyKey))).toBe(true);
    expect(rcv!.requests.some((r) => r.fault === '401-echo' && r.path.includes(SECRETS.webhookQuery))).toBe(true);
    expect(outputs.join('')).toMatch(/401/);
  });

  it('no secret, in any encoding or piece, in any output', () => {
    // The search itself finds a piece in the middle of other text.
    expect(leaks(`xx${SECRETS.agentToken.slice(5, 19)}yy`)).not.toEqual([]);
    expect(leaks(Buffer.from(SECRETS.webhookSecret).toString('base64'))).not.toEqual([]);
    const all = { agent: agent!.logs(), collector: collector!.logs(), commands: outputs.join('\n') };
    for (const [who, text] of Object.entries(all)) expect(leaks(text), who).toEqual([]);
  });
});

describe('metric labels', () => {
  const severities = ['critical', 'high', 'medium', 'low', 'info'];
  const statuses = ['pass', 'fail', 'unknown', 'skip', 'error', 'accepted', 'ok', 'timeout'];
  const checks = new Set([...catalogue(PROBES).map((c) => c.id)]);
  const VOCABULARY: Record<string, (v: string) => boolean> = {
    severity: (v) => severities.includes(v),
    check_severity: (v) => severities.includes(v),
    status: (v) => statuses.includes(v),
    outcome: (v) => (REQUEST_OUTCOMES as readonly string[]).includes(v),
    state: (v) => ['reporting', 'silent'].includes(v),
    sink: (v) => ['collector', 'file', 'slack', 'pagerduty', 'webhook'].includes(v),
    probe: (v) => v === 'hostward' || PROBES.some((p) => p.name === v),
    check: (v) => checks.has(v) || /^hostward\.[a-z_]+$/.test(v),
  };

  function labels(text: string): { metric: string; name: string; value: string }[] {
    const out: { metric: string; name: string; value: string }[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? \S+$/.exec(line);
      if (!m) throw new Error(`not an exposition line: ${line}`);
      // Values may hold escaped quotes: parse them as the format says.
      for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
        out.push({ metric: m[1]!, name: l[1]!, value: l[2]!.replace(/\\(.)/g, '$1') });
    }
    return out;
  }

  function checkLabels(text: string): string[] {
    const bad: string[] = [];
    for (const l of labels(text)) {
      const where = `${l.metric}{${l.name}=${JSON.stringify(l.value)}}`;
      if (!/^[A-Za-z0-9_.:/@+=,~[\]-]{0,200}$/.test(l.value)) bad.push(`not an identifier: ${where}`);
      const vocab = VOCABULARY[l.name];
      if (vocab && !vocab(l.value)) bad.push(`outside its vocabulary: ${where}`);
      if (leaks(l.value).length > 0) bad.push(`secret: ${where}`);
      if (Object.values(files).some((f) => l.value.includes(f) || l.value.includes(path.dirname(f))))
        bad.push(`secret file path: ${where}`);
    }
    return bad;
  }

  it('the rule rejects what it should', () => {
    expect(checkLabels('x{reason="connect ECONNREFUSED 127.0.0.1:1"} 1\n')).toEqual([
      expect.stringMatching(/^not an identifier/),
    ]);
    expect(checkLabels('x{severity="urgent"} 1\n')).toEqual([expect.stringMatching(/^outside its vocabulary/)]);
    expect(checkLabels(`x{key="${SECRETS.pagerdutyKey}"} 1\n`)).toEqual([expect.stringMatching(/^secret: /)]);
    expect(checkLabels(`x{file="${files['pd-key']}"} 1\n`)).toEqual([expect.stringMatching(/^secret file path/)]);
    expect(checkLabels('x{check="ssh.password_auth",path="/etc/kubernetes/pki/ca.crt"} 1\n')).toEqual([]);
  });

  it('an agent scanning this machine with every probe: the richest exposition keeps the rule', async () => {
    const state = path.join(dir, 'host-state');
    mkdirSync(state);
    const cfg = path.join(dir, 'host-agent.yaml');
    // Nothing that connects anywhere: no live ssh, no reachability or metadata checks.
    writeFileSync(
      cfg,
      'agent:\n  listen: 127.0.0.1\n  watch: { enabled: false }\nprobes:\n  ssh: { live: false }\n  ports: { reachability: false, metadataCheck: false }\n',
    );
    const a = startAgentProcess({
      root: '/',
      config: cfg,
      env: { HOSTWARD_STATE_DIR: state, HOSTWARD_NODE_NAME: 'this-host' },
    });
    try {
      const text = await waitFor(
        async () => {
          await a.port();
          const t = await a.metrics();
          return /^hostward_scans_total [1-9]/m.test(t) ? t : undefined;
        },
        60_000,
        () => a.logs(),
        200,
      );
      expect(labels(text).length).toBeGreaterThan(100);
      expect(checkLabels(text)).toEqual([]);
    } finally {
      await stopAgent(a);
    }
  }, 90_000);

  for (const who of ['agent', 'collector'] as const) {
    it(`${who}: identifiers only, closed vocabularies kept, no secret and no secret file path`, () => {
      const text = who === 'agent' ? agentMetrics : collectorMetrics;
      expect(labels(text).length).toBeGreaterThan(10);
      expect(checkLabels(text)).toEqual([]);
      // The metrics did record the trouble, as numbers.
      if (who === 'collector') {
        expect(text).toMatch(/^hostward_collector_event_requests_total\{outcome="unauthorized"\} [1-9]/m);
        expect(text).toMatch(/^hostward_alerts_failed_total\{sink="slack"\} [1-9]/m);
      } else expect(text).toMatch(/^hostward_alerts_failed_total\{sink="collector"\} [1-9]/m);
    });
  }
});
