/**
 * docs/contracts/{metrics,endpoints,wire}.md against real processes on 127.0.0.1: a collector (`hostward
 * collector`), agent A (`hostward agent`, every probe, watch and watchdog on, an accepted exception, a signed
 * integrity baseline) delivering to that collector through a recording proxy, and agent B with a web
 * configuration that asks for a bearer token. Every process is started in its own process group and stopped by
 * its PID in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  EVENT_LIMITS,
  HOST_FACT_LIMITS,
  MAX_EVENTS_PER_REQUEST,
  SEVERITIES,
  STATUSES,
  WIRE_VERSION,
} from '../../src/contracts.js';
import type { AlertEvent } from '../../src/contracts.js';
import { CHECK_STATUS_VALUE } from '../../src/metrics/exposition.js';
import { PROBE_METRICS } from '../../src/metrics/probe-metrics.js';
import { classify } from '../../src/alerts/sender.js';
import { LIMITS, validateEvents } from '../../src/collector/validate.js';
import { VERSION } from '../../src/version.js';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { start, stop, waitFor } from '../e2e/procs.js';
import type { Started } from '../e2e/procs.js';
import { checkFields, CLI, codeSpans, fieldDocs, hostward, readDoc, REPO, tableAfter } from './docs.js';
import type { Row } from './docs.js';

const COLLECTOR_TOKEN = 'collector-token-for-docs-test';
/** A token bound to the node of event(): an agent's credential (docs/threat-model.md). */
const NODE_TOKEN = 'node-token-for-docs-test';
const SCRAPE_TOKEN = 'scrape-token-for-docs-test';
const NODE = 'docs-node';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A proxy in front of the collector that keeps every request the agent makes and the collector's answer. */
async function recordingProxy(target: () => number): Promise<{ server: Server; url: string; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const out = request(
        {
          host: '127.0.0.1',
          port: target(),
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${target()}` },
        },
        (answer) => {
          const back: Buffer[] = [];
          answer.on('data', (c: Buffer) => back.push(c));
          answer.on('end', () => {
            seen.push({
              method: req.method ?? '',
              url: req.url ?? '',
              headers: req.headers,
              body: body.toString('utf8'),
              status: answer.statusCode ?? 0,
            });
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(back));
          });
        },
      );
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Start `hostward <args>` and wait for its "<what> listening" log line; the port it logged. */
async function serve(
  name: string,
  args: string[],
  what: 'agent' | 'collector',
  env: NodeJS.ProcessEnv = {},
): Promise<{ s: Started; url: string }> {
  const s = start(name, process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } });
  const port = await waitFor(
    `${name} to listen`,
    () => {
      if (s.proc.exitCode !== null) throw new Error(`${name} exited ${s.proc.exitCode}`);
      const m = new RegExp(`"port":(\\d+)[^\\n]*${what} listening`).exec(s.logs());
      return m ? Number(m[1]) : undefined;
    },
    30_000,
    () => s.logs(),
  );
  return { s, url: `http://127.0.0.1:${port}` };
}

interface Family {
  type: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** The Prometheus text exposition as metric families. */
function parseExposition(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) out.set(t[1]!, { type: t[2]!, samples: [] });
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:\\.|[^"\\])*)"/g)].map((x) => [x[1]!, x[2]!]),
    );
    const fam = out.get(m[1]!);
    if (!fam) throw new Error(`sample without TYPE: ${line}`);
    fam.samples.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** A labels cell: "`a`, `b`" (a single span arrives unquoted), or empty. */
function labelsOf(r: Row): string[] {
  const cell = r.labels ?? '';
  const spans = codeSpans(cell);
  return (spans.length > 0 ? spans : cell === '' ? [] : cell.split(/,\s*/)).sort();
}

function event(over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: randomUUID(),
    node: 'docs-node-2',
    check: 'ssh.password_auth',
    probe: 'ssh',
    status: 'fail',
    severity: 'high',
    title: 'SSH password authentication is disabled',
    message: 'PasswordAuthentication yes',
    evidence: [{ file: '/etc/ssh/sshd_config', line: 3, text: 'PasswordAuthentication yes' }],
    observedAt: new Date().toISOString(),
    ...over,
  };
}

describe('contracts on a real collector and agents', () => {
  let tmp: string;
  let host: Materialized;
  const started: Started[] = [];
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let collectorUrl = '';
  let agentUrl = '';
  let securedUrl = '';

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-contracts-'));
    host = materialize('debian12-weak');
    const file = (name: string, text: string, mode = 0o600) => {
      writeFileSync(path.join(tmp, name), text, { mode });
      return path.join(tmp, name);
    };
    const tokens = file('tokens', `${COLLECTOR_TOKEN}\n${NODE_TOKEN} node=docs-node-2\n`);
    const token = file('token', `${COLLECTOR_TOKEN}\n`);
    const key = file('integrity.key', 'k'.repeat(32));
    const baseline = path.join(tmp, 'integrity.db');
    expect(
      hostward(['integrity', 'init', '--root', host.root, '--path', '/etc/ssh', '--db', baseline, '--key-file', key])
        .status,
    ).toBe(0);

    const collectorCfg = file(
      'collector.yaml',
      `collector:\n  listen: 127.0.0.1\n  db: ${path.join(tmp, 'collector.db')}\n  tokensFile: ${tokens}\n  fileSink: ${path.join(tmp, 'changes.ndjson')}\n`,
    );
    const collector = await serve('collector', ['collector', '--port', '0', '--config', collectorCfg], 'collector');
    started.push(collector.s);
    collectorUrl = collector.url;
    proxy = await recordingProxy(() => Number(new URL(collectorUrl).port));

    for (const d of ['state-a', 'state-b']) mkdirSync(path.join(tmp, d));
    const agentCfg = file(
      'agent-a.yaml',
      [
        `agent: { listen: 127.0.0.1, stateDir: ${path.join(tmp, 'state-a')}, collectorUrl: "${proxy.url}", tokenFile: ${token} }`,
        'exceptions:',
        '  - { check: ssh.password_auth, reason: "documented test", expires: 2099-12-31 }',
        'probes:',
        '  ssh: { live: false }',
        '  ports: { reachability: false, metadataCheck: false }',
        `  integrity: { db: ${baseline}, keyFile: ${key} }`,
        '',
      ].join('\n'),
    );
    const a = await serve('agent-a', ['agent', '--root', host.root, '--port', '0', '--config', agentCfg], 'agent', {
      HOSTWARD_NODE_NAME: NODE,
    });
    started.push(a.s);
    agentUrl = a.url;

    file('scrape-tokens', `${SCRAPE_TOKEN}\n`);
    const web = file('web.yaml', 'bearer_tokens_file: scrape-tokens\n');
    const securedCfg = file(
      'agent-b.yaml',
      `agent: { listen: 127.0.0.1, stateDir: ${path.join(tmp, 'state-b')} }\nscan: { probes: [kernel] }\n`,
    );
    const b = await serve(
      'agent-b',
      ['agent', '--root', host.root, '--port', '0', '--config', securedCfg, '--web.config.file', web],
      'agent',
    );
    started.push(b.s);
    securedUrl = b.url;

    const ready = async (u: string) => ((await fetch(`${u}/readyz`)).status === 200 ? true : undefined);
    await waitFor(
      'agent A ready',
      () => ready(agentUrl),
      60_000,
      () => a.s.logs(),
    );
    await waitFor(
      'agent B ready',
      () => ready(securedUrl),
      60_000,
      () => b.s.logs(),
    );
    await waitFor(
      'a delivery of agent A',
      () => (proxy.seen.some((r) => r.status === 202) ? true : undefined),
      60_000,
      () => a.s.logs(),
    );
  }, 180_000);

  afterAll(async () => {
    for (const s of started.reverse()) await stop(s, 30_000);
    if (proxy) await new Promise((r) => proxy.server.close(r));
    host?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  describe('docs/contracts/metrics.md', () => {
    const doc = readDoc('docs/contracts/metrics.md');
    const scrape = async (url: string) => parseExposition(await (await fetch(`${url}/metrics`)).text());

    function compare(rows: readonly Row[], families: Map<string, Family>): void {
      const byName = new Map(rows.map((r) => [r.metric!, r]));
      for (const [name, fam] of families) {
        const r = byName.get(name);
        expect(r, `${name} is exported but not documented`).toBeDefined();
        expect(fam.type, `${name}: type`).toBe(r!.type);
        for (const s of fam.samples) expect(Object.keys(s.labels).sort(), `${name}: labels`).toEqual(labelsOf(r!));
      }
      for (const r of rows) {
        if (r.exported === 'when measured') continue;
        expect(families.has(r.metric!), `${r.metric} is documented but not exported`).toBe(true);
      }
    }

    it('the agent exports exactly the documented metrics, with their types and labels', async () => {
      const rows = tableAfter(doc, 'Agent');
      compare(rows, await scrape(agentUrl));
      const measured = rows.filter((r) => r.exported === 'when measured');
      expect(measured.map((r) => r.metric).sort()).toEqual(Object.keys(PROBE_METRICS).sort());
      for (const r of measured) expect(labelsOf(r), r.metric).toEqual([...PROBE_METRICS[r.metric!]!.labelNames].sort());
      const conditions = new Set(rows.map((r) => r.exported));
      for (const c of conditions)
        expect([
          'always',
          'when measured',
          'agent.watch.enabled',
          'agent.watchdog.enabled',
          'agent.collectorUrl',
        ]).toContain(c);
    });

    it('hostward_check_status values are the documented ones, and an accepted failure exports 4', async () => {
      const rows = tableAfter(doc, 'Values of `hostward_check_status`');
      const documented = Object.fromEntries(rows.map((r) => [r.meaning!.split(':')[0]!, Number(r.value)]));
      expect(documented).toEqual(CHECK_STATUS_VALUE);
      const status = (await scrape(agentUrl)).get('hostward_check_status')!.samples;
      expect(status.find((s) => s.labels.check === 'ssh.password_auth')?.value).toBe(4);
      for (const s of status) expect(Object.values(CHECK_STATUS_VALUE)).toContain(s.value);
      expect(status.some((s) => s.value === CHECK_STATUS_VALUE.fail)).toBe(true);
    });

    it('the collector exports exactly the documented metrics, with their types and labels', async () => {
      const families = await scrape(collectorUrl);
      compare(tableAfter(doc, 'Collector'), families);
      expect(families.get('hostward_alerts_sent_total')!.samples.map((s) => s.labels.sink)).toEqual(['file']);
    });
  });

  describe('docs/contracts/endpoints.md', () => {
    const doc = readDoc('docs/contracts/endpoints.md');
    const rows = tableAfter(doc, 'Answers, tested');
    const basic = (t: string) => `Basic ${Buffer.from(`anyone:${t}`).toString('base64')}`;
    const CREDENTIALS: Record<string, (token: string) => string | undefined> = {
      none: () => undefined,
      token: (t) => `Bearer ${t}`,
      'wrong token': () => 'Bearer not-a-token-anyone-has',
      'node token': () => `Bearer ${NODE_TOKEN}`,
      basic,
    };
    const BODIES: Record<string, () => string> = {
      '': () => '',
      events: () =>
        JSON.stringify([event(), event({ check: 'kernel.rp_filter', probe: 'kernel', severity: 'medium' })]),
      'not JSON': () => '[{"id": ',
      'bad event': () => JSON.stringify([{ ...event(), check: undefined }]),
      "another node's event": () => JSON.stringify([event({ node: 'docs-node-3' })]),
      "a collector's check": () =>
        JSON.stringify([event({ check: 'hostward.node_silent', probe: 'hostward', status: 'pass' })]),
      'too large': () => JSON.stringify([event({ message: 'x'.repeat(4 * 1024 * 1024) })]),
    };
    const server = (name: string) =>
      ({ agent: agentUrl, 'agent with authentication': securedUrl, collector: collectorUrl })[name];
    const tokenFor = (name: string) => (name === 'collector' ? COLLECTOR_TOKEN : SCRAPE_TOKEN);

    async function answer(r: Row): Promise<Response> {
      const space = r.request!.indexOf(' ');
      const method = r.request!.slice(0, space);
      let p = r.request!.slice(space + 1);
      if (p.includes('<key of an open group>')) {
        const groups = (await (
          await fetch(`${collectorUrl}/v1/alerts`, { headers: { authorization: `Bearer ${COLLECTOR_TOKEN}` } })
        ).json()) as { key: string; status: string }[];
        p = p.replace('<key of an open group>', groups.find((g) => g.status === 'open')!.key);
      }
      const auth = CREDENTIALS[r.credentials!]!(tokenFor(r.server!));
      const body = BODIES[r.body ?? '']!();
      return fetch(`${server(r.server!)}${p}`, {
        method,
        headers: { ...(auth ? { authorization: auth } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
      });
    }

    it.each(rows.map((r) => [r.server!, r.request!, r.credentials!, r.body ?? '', r.status!, r] as const))(
      '%s: %s with %s credentials and body "%s" answers %s',
      async (_s, _r, _c, _b, status, row) => {
        const res = await answer(row);
        const text = await res.text();
        expect(res.status, text.slice(0, 300)).toBe(Number(status));
        expect(res.headers.get('content-type') ?? '').toMatch(
          new RegExp(`^${row['content type']!.replace('/', '\\/')}`),
        );
        if (status === '401') expect(res.headers.get('www-authenticate')).toBeTruthy();
        if (status === '405') expect(res.headers.get('allow')).toBeTruthy();
        if (row.request === 'GET /v1/report' && status === '200') {
          const report = tableAfter(readDoc('docs/contracts/json-output.md'), 'Scan report');
          expect(checkFields(fieldDocs(report), [JSON.parse(text)]).problems).toEqual([]);
        }
      },
    );

    it.each([
      ['`GET /v1/nodes`', '/v1/nodes'],
      ['`GET /v1/alerts`', '/v1/alerts'],
    ])('%s answers the documented fields', async (heading, p) => {
      const res = await fetch(`${collectorUrl}${p}`, { headers: { authorization: `Bearer ${COLLECTOR_TOKEN}` } });
      const fields = fieldDocs(tableAfter(doc, heading));
      const { problems, seen } = checkFields(fields, [await res.json()]);
      expect(problems).toEqual([]);
      const always = fields
        .filter((f) => f.always && !f.path.startsWith('[].baseline.') && !f.path.startsWith('[].host.'))
        .map((f) => f.path);
      // Agent A reported its integrity baseline and host facts, so the node list shows them.
      const reported =
        p === '/v1/nodes'
          ? [
              '[].baseline',
              '[].baseline.digest',
              '[].baseline.since',
              '[].host',
              '[].host.observedAt',
              '[].host.kernel',
              '[].host.agentVersion',
            ]
          : [];
      for (const f of [...always, ...reported]) expect(seen, f).toContain(f);
    });

    it('every documented endpoint is exercised, and every path the servers route is documented', () => {
      const summary = [
        ...tableAfter(doc, 'Agent').map((r) => ['agent', r] as const),
        ...tableAfter(doc, 'Collector').map((r) => ['collector', r] as const),
      ];
      const target = (r: Row) => r.request!.slice(r.request!.indexOf(' ') + 1);
      const normal = (t: string) =>
        t
          .replace(/\?.*/, '')
          .replace(/\/groups\/.*/, '/groups/<key>')
          .replace(/\/nodes\/.*/, '/nodes/<name>');
      const exercised = new Set(rows.map((r) => `${r.server!.split(' ')[0]} ${normal(target(r))}`));
      for (const [who, r] of summary) expect(exercised, `${who} ${r.path}`).toContain(`${who} ${r.path}`);
      const routed = (file: string) =>
        [...readFileSync(path.join(REPO, file), 'utf8').matchAll(/(?:===|case) '(\/[a-z0-9/]*)'/g)].map((m) => m[1]!);
      const documented = (who: string) => summary.filter(([w]) => w === who).map(([, r]) => r.path);
      for (const p of routed('src/agent/endpoints.ts')) expect(documented('agent'), p).toContain(p);
      for (const p of routed('src/collector/routes.ts')) expect(documented('collector'), p).toContain(p);
      expect(routed('src/collector/routes.ts').length).toBeGreaterThan(4);
    });
  });

  describe('docs/contracts/wire.md', () => {
    const doc = readDoc('docs/contracts/wire.md');
    const posts = () => proxy.seen.filter((r) => r.method === 'POST');

    it('the agent posts to /v1/events with the documented headers', () => {
      const headers = Object.fromEntries(tableAfter(doc, 'Request').map((r) => [r.header!.toLowerCase(), r.value!]));
      expect(Object.keys(headers).sort()).toEqual([
        'authorization',
        'content-type',
        'hostward-sent-at',
        'hostward-wire-version',
        'user-agent',
      ]);
      expect(Number(headers['hostward-wire-version'])).toBe(WIRE_VERSION);
      expect(posts().length).toBeGreaterThan(0);
      for (const r of posts()) {
        expect(r.url).toBe('/v1/events');
        expect(r.headers['content-type']).toBe(headers['content-type']);
        expect(r.headers.authorization).toBe(`Bearer ${COLLECTOR_TOKEN}`);
        expect(r.headers['hostward-wire-version']).toBe(String(WIRE_VERSION));
        expect(r.headers['user-agent']).toBe(`hostward/${VERSION}`);
        // The agent's clock at sending: this machine's, so within seconds of the proxy's record.
        const sent = Date.parse(String(r.headers['hostward-sent-at']));
        expect(Number.isFinite(sent)).toBe(true);
        expect(Math.abs(sent - Date.now())).toBeLessThan(3600_000);
      }
    });

    it("its bodies are arrays of documented events, the first carrying the node's baseline", () => {
      const fields = fieldDocs(tableAfter(doc, 'Event'));
      const bodies = posts().map((r) => JSON.parse(r.body) as AlertEvent[]);
      for (const b of bodies) {
        expect(b.length).toBeGreaterThan(0);
        expect(b.length).toBeLessThanOrEqual(MAX_EVENTS_PER_REQUEST);
      }
      const { problems, seen } = checkFields(fields, bodies.flat());
      expect(problems).toEqual([]);
      for (const f of [
        'baseline',
        'baseline.generation',
        'evidence[].file',
        'evidence[].line',
        'host',
        'host.kernel',
        'host.agentVersion',
      ])
        expect(seen, f).toContain(f);
      expect(bodies[0]![0]!.baseline).toBeDefined();
      expect(bodies[0]![0]!.host?.agentVersion).toBe(VERSION);
      expect(bodies.flat().every((e) => e.node === NODE)).toBe(true);
      expect(codeSpans(fields.find((f) => f.path === 'status')!.type)).toEqual([...STATUSES]);
      expect(codeSpans(fields.find((f) => f.path === 'severity')!.type)).toEqual([...SEVERITIES]);
      expect(doc).toContain(`1 to ${MAX_EVENTS_PER_REQUEST} events (\`MAX_EVENTS_PER_REQUEST\`)`);
    });

    it('the collector requires the fields the agent always sends, and ignores fields it does not know', () => {
      expect(validateEvents([event()]).ok).toBe(true);
      expect(validateEvents([{ ...event(), aFieldFromTheFuture: { x: 1 } }]).ok).toBe(true);
      // A collector takes a missing evidence list as empty; every other field the agent always sends is required.
      const required = fieldDocs(tableAfter(doc, 'Event')).filter(
        (f) => f.always && !f.path.includes('.') && f.path !== 'evidence',
      );
      for (const f of required) {
        const e = event() as unknown as Record<string, unknown>;
        delete e[f.path];
        const v = validateEvents([e]);
        expect(v.ok, `${f.path} missing was accepted`).toBe(false);
        expect(v.ok ? '' : v.error).toContain(f.path);
      }
    });

    it("the host facts' limits are the contract's, and the collector enforces each of them", () => {
      const limits = Object.fromEntries(
        tableAfter(doc, 'Host facts').map((r) => [r.fact!, Number(/^\d+/.exec(r['at most']!)![0])]),
      );
      expect(limits).toEqual({ ...HOST_FACT_LIMITS });
      for (const [k, max] of Object.entries(limits)) {
        const host = (n: number) => ({ [k]: '1'.repeat(n) });
        expect(validateEvents([{ ...event(), host: host(max) }]).ok, `${k} at ${max}`).toBe(true);
        expect(validateEvents([{ ...event(), host: host(max + 1) }]).ok, `${k} at ${max + 1}`).toBe(false);
      }
      const documented = fieldDocs(tableAfter(doc, 'Event'))
        .filter((f) => f.path.startsWith('host.'))
        .map((f) => f.path.slice('host.'.length));
      expect(documented).toEqual(Object.keys(HOST_FACT_LIMITS));
    });

    it("the limits are the contract's, and the collector enforces each of them", () => {
      const NAMES: Record<string, keyof typeof EVENT_LIMITS> = {
        'evidence[].text': 'evidenceText',
        'evidence[].file': 'evidenceFile',
      };
      const limits = Object.fromEntries(
        tableAfter(doc, 'Limits').map((r) => [NAMES[r.field!] ?? r.field!, Number(/^\d+/.exec(r['at most']!)![0])]),
      );
      expect(limits).toEqual({ ...EVENT_LIMITS });
      expect({ ...LIMITS }).toEqual({ ...EVENT_LIMITS });
      const withLength: Record<string, (n: number) => Partial<AlertEvent>> = {
        id: (n) => ({ id: 'i'.repeat(n) }),
        node: (n) => ({ node: 'n'.repeat(n) }),
        check: (n) => ({ check: `c.${'x'.repeat(n - 2)}` }),
        probe: (n) => ({ probe: 'p'.repeat(n) }),
        title: (n) => ({ title: 't'.repeat(n) }),
        message: (n) => ({ message: 'm'.repeat(n) }),
        evidence: (n) => ({ evidence: Array.from({ length: n }, () => ({ text: 'e' })) }),
        evidenceText: (n) => ({ evidence: [{ text: 'e'.repeat(n) }] }),
        evidenceFile: (n) => ({ evidence: [{ file: `/${'f'.repeat(n - 1)}` }] }),
      };
      for (const [k, max] of Object.entries(limits)) {
        expect(validateEvents([event(withLength[k]!(max))]).ok, `${k} at ${max}`).toBe(true);
        expect(validateEvents([event(withLength[k]!(max + 1))]).ok, `${k} at ${max + 1}`).toBe(false);
      }
      expect(validateEvents(Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => event())).ok).toBe(false);
    });

    it('what the agent does with each answer is what its sender does', () => {
      const DOES: Record<string, ReturnType<typeof classify>> = {
        delivered: 'ok',
        'set aside': 'refused',
        'configuration error': 'config',
        retried: 'retry',
      };
      const rows = tableAfter(doc, 'Answers, and what the agent does');
      for (const r of rows) {
        const does = Object.keys(DOES).find((d) => r['the agent']!.startsWith(d));
        expect(does, r['the agent']).toBeDefined();
        expect(classify(Number(r.status)), `HTTP ${r.status}`).toBe(DOES[does!]);
      }
      const kinds = new Set(Array.from({ length: 400 }, (_, i) => classify(200 + i)));
      for (const k of kinds)
        expect(
          rows.some((r) => classify(Number(r.status)) === k),
          k,
        ).toBe(true);
      for (const s of [400, 408, 413, 422, 429]) expect(rows.map((r) => Number(r.status))).toContain(s);
    });

    it('the same events sent again are accepted with their count and not stored twice', async () => {
      const body = JSON.stringify([event(), event()]);
      const post = () =>
        fetch(`${collectorUrl}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${COLLECTOR_TOKEN}` },
          body,
        });
      const duplicates = async () => {
        const text = await (await fetch(`${collectorUrl}/metrics`)).text();
        return Number(/^hostward_collector_events_duplicate_total (\S+)$/m.exec(text)![1]);
      };
      const first = await post();
      expect(first.status).toBe(202);
      expect(await first.json()).toEqual({ accepted: 2 });
      const before = await duplicates();
      const again = await post();
      expect(again.status).toBe(202);
      expect(await again.json()).toEqual({ accepted: 2 });
      expect(await duplicates()).toBe(before + 2);
    });
  });

  it('group keys are the hex SHA-256 of check, NUL, severity', async () => {
    const groups = (await (
      await fetch(`${collectorUrl}/v1/alerts`, { headers: { authorization: `Bearer ${COLLECTOR_TOKEN}` } })
    ).json()) as {
      key: string;
      check: string;
      severity: string;
    }[];
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.key).toBe(createHash('sha256').update(`${g.check}\0${g.severity}`).digest('hex'));
    expect(readdirSync(tmp)).toContain('collector.db');
  });
});
