#!/usr/bin/env node
// Collector ingest throughput and latency, over the built dist (run `npm run build` first). Prints
// figures; it is not a test.
//
// 1. SQLite-only floor: better-sqlite3 alone (WAL, synchronous=FULL), 100 events per transaction, the
//    events table only; then the collector's Store.ingest in-process (state, groups), one request per
//    transaction: what storage costs before HTTP.
// 2. End to end: `hostward collector` as a child process on 127.0.0.1 and 5,000 simulated agents (5,000
//    node names) posting batches over keep-alive connections, with at most --concurrency requests in
//    flight. A request's latency runs from sending it to the 202, which the collector sends only after
//    the events are committed (group commit: one fsync for all requests waiting).
// Bounded: --agents x --requests requests of --events events, and --seconds at most.
//
//   node bench/collector.mjs [--agents 5000] [--requests 2] [--events 50] [--concurrency 200] [--seconds 60] [--keep]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '2' },
    events: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    keep: { type: 'boolean', default: false },
  },
});
const AGENTS = Number(values.agents);
const REQUESTS = Number(values.requests);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const cli = join(repo, 'dist/src/cli/main.js');
if (!existsSync(cli)) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'hostward-bench-collector-'));
const TOKEN = 'bench-token-0123456789abcdef';
writeFileSync(join(dir, 'tokens'), TOKEN + '\n');

// 50 checks, each with a fixed severity; about a third of the events fail.
const SEVS = ['critical', 'high', 'medium', 'low', 'info'];
const CHECKS = Array.from({ length: 50 }, (_, i) => ({ check: `bench.check_${i}`, severity: SEVS[i % 5] }));
const t0 = Date.parse('2026-11-24T10:00:00.000Z');
function events(agent, req, n) {
  const node = `sim-${String(agent).padStart(4, '0')}`;
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = CHECKS[(agent + req * n + i) % CHECKS.length];
    out.push({
      id: `${node}-${req}-${i}`,
      node,
      check: c.check,
      probe: 'bench',
      status: (agent + i) % 3 === 0 ? 'fail' : 'pass',
      severity: c.severity,
      title: `Bench check ${c.check}`,
      message: 'PasswordAuthentication yes is in force for every user',
      evidence: [{ file: '/etc/ssh/sshd_config.d/50-cloud-init.conf', line: 1, text: 'PasswordAuthentication yes' }],
      observedAt: new Date(t0 + req * 60_000 + i).toISOString(),
    });
  }
  return out;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// --- 1. SQLite-only floor ---------------------------------------------------------------------------
const { default: Database } = await import('better-sqlite3');
const { Store } = await import(join(repo, 'dist/src/collector/store.js'));
{
  const FLOOR_EVENTS = 200_000;
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (id TEXT PRIMARY KEY, node TEXT, check_id TEXT, status TEXT, severity TEXT, observed_at TEXT, received_at INTEGER, body TEXT) WITHOUT ROWID`);
  const ins = db.prepare(`INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const batches = [];
  for (let b = 0; b < FLOOR_EVENTS / 100; b++) batches.push(events(b % AGENTS, Math.floor(b / AGENTS) + 100, 100));
  const tx = db.transaction((evs) => {
    for (const e of evs) ins.run(e.id, e.node, e.check, e.status, e.severity, e.observedAt, Date.now(), JSON.stringify(e));
  });
  const s = performance.now();
  for (const b of batches) tx(b);
  const secs = (performance.now() - s) / 1000;
  db.close();
  console.log(`SQLite floor (better-sqlite3 alone, WAL, synchronous=FULL, 100 events/transaction): ${fmt(FLOOR_EVENTS / secs)} events/s (${FLOOR_EVENTS} events in ${secs.toFixed(2)} s)`);

  const store = new Store({ file: join(dir, 'store.db'), sinks: [] });
  const s2 = performance.now();
  for (const b of batches) store.ingest([b]);
  const secs2 = (performance.now() - s2) / 1000;
  store.close();
  console.log(`Collector store in-process (Store.ingest: events + node state + groups, 100 events/transaction): ${fmt(FLOOR_EVENTS / secs2)} events/s`);
}

// --- 2. End to end -------------------------------------------------------------------------------------
const cfg = join(dir, 'collector.yaml');
writeFileSync(cfg, `collector:\n  listen: 127.0.0.1\n  db: ${join(dir, 'e2e.db')}\n  tokensFile: ${join(dir, 'tokens')}\nlog:\n  level: warn\n`);
const child = spawn(process.execPath, [cli, 'collector', '--port', '0', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOSTWARD_LOG_LEVEL: 'info' } });
let logs = '';
child.stdout.setEncoding('utf8').on('data', (d) => (logs += d));
child.stderr.setEncoding('utf8').on('data', (d) => (logs += d));
const port = await new Promise((res, rej) => {
  const t = setTimeout(() => rej(new Error(`collector did not start: ${logs}`)), 15_000);
  const look = () => {
    const m = /"port":(\d+)[^\n]*collector listening/.exec(logs);
    if (m) {
      clearTimeout(t);
      res(Number(m[1]));
    } else setTimeout(look, 20);
  };
  look();
});

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function post(body) {
  return new Promise((res, rej) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${TOKEN}` } },
      (r) => {
        let text = '';
        r.setEncoding('utf8').on('data', (d) => (text += d));
        r.on('end', () => (r.statusCode === 202 ? res() : rej(new Error(`HTTP ${r.statusCode}: ${text}`))));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

// Work list: every agent's first request, then every agent's second, ... (agents take turns, as a fleet would).
const total = AGENTS * REQUESTS;
let next = 0;
const lat = [];
let sentEvents = 0;
let errors = 0;
const deadline = Date.now() + SECONDS * 1000;
const start = performance.now();
async function worker() {
  while (next < total && Date.now() < deadline) {
    const k = next++;
    const body = JSON.stringify(events(k % AGENTS, Math.floor(k / AGENTS), EVENTS));
    const s = performance.now();
    try {
      await post(body);
      lat.push(performance.now() - s);
      sentEvents += EVENTS;
    } catch (e) {
      if (errors++ < 3) console.error(String(e));
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const secs = (performance.now() - start) / 1000;
lat.sort((a, b) => a - b);
const stored = await new Promise((res) => http.get({ host: '127.0.0.1', port, path: '/metrics' }, (r) => {
  let t = '';
  r.on('data', (d) => (t += d)).on('end', () => res(Number(/^hostward_collector_events_stored_total (\S+)$/m.exec(t)?.[1])));
}));
agent.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
const dbBytes = statSync(join(dir, 'e2e.db')).size + (existsSync(join(dir, 'e2e.db-wal')) ? statSync(join(dir, 'e2e.db-wal')).size : 0);
console.log(
  `End to end (hostward collector, ${fmt(AGENTS)} simulated agents, ${lat.length} requests of ${EVENTS} events, ${CONCURRENCY} in flight, 202 after commit): ` +
    `${fmt(sentEvents / secs)} events/s, ${fmt(lat.length / secs)} requests/s; latency p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${lat.at(-1).toFixed(1)} ms; ` +
    `${errors} errors; ${fmt(stored)} events stored; db ${(dbBytes / 1e6).toFixed(0)} MB${Date.now() >= deadline ? ' (stopped at --seconds)' : ''}`,
);
console.log(`Targets: >= 20,000 events/s end to end, p99 < 50 ms.`);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
