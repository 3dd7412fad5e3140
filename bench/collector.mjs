#!/usr/bin/env node
// Collector ingest throughput and latency, over the built dist (run `npm run build` first). Prints
// figures; it is not a test.
//
// 1. Floors, in this process: node:sqlite alone (the events table, WAL, synchronous=FULL) at 1, 100
//    and 1000 events per transaction; then the collector's Store.ingest (events + node state + groups).
// 2. End to end: `hostward collector` as a child process on 127.0.0.1, and the load generator in another
//    process (this file with --role load), each pinned to its own CPU with taskset when there are two or
//    more, so the generator does not steal the collector's core. Agents are 5,000 simulated nodes; event
//    ids are random UUIDs, as the agent's are. Every 202 comes after the commit is on disk.
//    - open loop: requests sent on a fixed schedule (--rate events/s) whatever the answers; latency runs
//      from the scheduled send time (no coordinated omission), at 1, 100 and 1000 events per request;
//    - closed loop: N agents each with one request in flight (the most the collector can take; latency
//      then is mostly queueing, N / throughput).
// A fresh collector and database per scenario. The load generator is a minimal HTTP/1.1 keep-alive client
// on raw sockets, so that it costs less CPU than the server it measures.
//
//   node bench/collector.mjs [--seconds 8] [--rate 20000] [--only open|closed|floor] [--no-pin] [--keep]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    scenario: { type: 'string' },
    seconds: { type: 'string', default: '8' },
    rate: { type: 'string', default: '20000' },
    only: { type: 'string' },
    pin: { type: 'boolean', default: true },
    'no-pin': { type: 'boolean', default: false },
    prof: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const AGENTS = 5000;
const TOKEN = 'bench-token-0123456789abcdef';
const SEVS = ['critical', 'high', 'medium', 'low', 'info'];
const CHECKS = Array.from({ length: 50 }, (_, i) => ({ check: `bench.check_${i}`, severity: SEVS[i % 5] }));
const t0 = Date.parse('2026-11-24T10:00:00.000Z');
let seq = 0;

/** One event as the agent's JSON text: random id, a node of the fleet, about a third failing. */
function eventText(agent) {
  const s = seq++;
  const c = CHECKS[s % CHECKS.length];
  const node = `sim-${String(agent).padStart(4, '0')}`;
  return (
    `{"id":"${randomUUID()}","node":"${node}","check":"${c.check}","probe":"bench","status":"${s % 3 === 0 ? 'fail' : 'pass'}",` +
    `"severity":"${c.severity}","title":"Bench check ${c.check}","message":"PasswordAuthentication yes is in force for every user",` +
    `"evidence":[{"file":"/etc/ssh/sshd_config.d/50-cloud-init.conf","line":1,"text":"PasswordAuthentication yes"}],` +
    `"observedAt":"${new Date(t0 + s).toISOString()}"}`
  );
}
function body(n) {
  const agent = Math.floor(Math.random() * AGENTS);
  const parts = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = eventText(agent);
  return '[' + parts.join(',') + ']';
}

const pct = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const fmt = (n) => Math.round(n).toLocaleString('en-US');

if (values.role === 'load') await loadRole(JSON.parse(values.scenario));
else await mainRole();

// --- the load generator (a separate process) ----------------------------------------------------------
async function loadRole(sc) {
  const { port, batch, seconds, mode } = sc;
  const head = (len) => `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;
  const lat = [];
  let okEvents = 0;
  let errors = 0;
  let firstError = '';
  const idle = [];
  let conns = 0;
  const backlog = []; // scheduled times waiting for a connection (open loop)
  let stopping = false;
  let inflight = 0;
  let lastAnswer = performance.now();

  function connect() {
    return new Promise((res, rej) => {
      const s = net.connect(port, '127.0.0.1');
      s.setNoDelay(true);
      conns++;
      let buf = Buffer.alloc(0);
      let pending; // { at, n }
      s.on('data', (d) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const headText = buf.subarray(0, end).toString('latin1');
          const len = Number(/content-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          const status = Number(headText.slice(9, 12));
          const text = buf.subarray(end + 4, end + 4 + len).toString();
          buf = buf.subarray(end + 4 + len);
          const p = pending;
          pending = undefined;
          inflight--;
          lastAnswer = performance.now();
          if (status === 202) {
            lat.push(performance.now() - p.at);
            okEvents += p.n;
          } else if (errors++ === 0) firstError = `HTTP ${status}: ${text}`;
          s.release();
        }
      });
      s.on('error', (e) => {
        if (errors++ === 0) firstError = e.message;
        rej(e);
      });
      s.send = (at, n) => {
        inflight++;
        pending = { at, n };
        const b = body(n);
        s.write(head(Buffer.byteLength(b)) + b);
      };
      s.release = () => {
        const next = s.next?.();
        if (next) s.send(next.at, next.n);
        else if (stopping) s.end();
        else idle.push(s);
      };
      s.once('connect', () => res(s));
    });
  }

  const start = performance.now();
  const endAt = start + seconds * 1000;
  if (mode === 'closed') {
    const sockets = await Promise.all(Array.from({ length: sc.agents }, connect));
    for (const s of sockets) s.next = () => (performance.now() < endAt ? { at: performance.now(), n: batch } : undefined);
    const t = performance.now();
    for (const s of sockets) s.send(t, batch);
  } else {
    // Open loop: requests due at fixed intervals; a due request takes an idle connection, or opens one (up
    // to maxConns), or waits in the backlog, its latency still counted from when it was due.
    const perSec = sc.rate / batch;
    let sent = 0;
    const nextFromBacklog = () => backlog.shift();
    const tick = async () => {
      const now = performance.now();
      if (now >= endAt) return;
      const due = Math.floor(((now - start) / 1000) * perSec);
      while (sent < due) {
        const at = start + (sent * 1000) / perSec;
        sent++;
        const s = idle.pop();
        if (s) s.send(at, batch);
        else if (conns < sc.maxConns) {
          connect().then((c) => {
            c.next = nextFromBacklog;
            c.send(at, batch);
          }, () => {});
        } else backlog.push({ at, n: batch });
      }
      setTimeout(tick, 1);
    };
    tick();
  }
  // Wait for the run, then for answers in flight (bounded).
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const drainUntil = performance.now() + 20_000;
  stopping = true;
  for (const s of idle.splice(0)) s.end();
  while ((inflight > 0 || backlog.length > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 2));
  const secs = (lastAnswer - start) / 1000;
  lat.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({ events: okEvents, requests: lat.length, secs, p50: pct(lat, 50), p99: pct(lat, 99), max: lat.at(-1) ?? NaN, errors, firstError, conns, backlog: backlog.length }) + '\n',
  );
  process.exit(0);
}

// --- the orchestrator ----------------------------------------------------------------------------------
async function mainRole() {
  const SECONDS = Number(values.seconds);
  const RATE = Number(values.rate);
  const cli = join(repo, 'dist/src/cli/main.js');
  if (!existsSync(cli)) {
    console.error('dist/ is missing: run "npm run build" first');
    process.exit(2);
  }
  const cpus = availableParallelism();
  const pin = values.pin && !values['no-pin'] && cpus >= 2 && existsSync('/usr/bin/taskset');
  const dir = mkdtempSync(join(tmpdir(), 'hostward-bench-collector-'));
  writeFileSync(join(dir, 'tokens'), TOKEN + '\n');
  console.log(`${cpus} CPUs; ${pin ? 'collector pinned to CPU 0, load generator to CPU 1 (taskset)' : 'no pinning: collector and load generator share the CPUs'}; ${SECONDS} s per scenario`);

  if (!values.only || values.only === 'floor') await floors(dir);

  const scenarios = [];
  if (!values.only || values.only === 'open') {
    for (const batch of [1, 100, 1000]) scenarios.push({ mode: 'open', batch, rate: RATE, maxConns: 512 });
  }
  if (!values.only || values.only === 'closed') {
    scenarios.push({ mode: 'closed', batch: 1, agents: 64 });
    for (const agents of [4, 16, 64, 256]) scenarios.push({ mode: 'closed', batch: 100, agents });
    scenarios.push({ mode: 'closed', batch: 1000, agents: 8 });
  }
  for (const [i, sc] of scenarios.entries()) {
    const r = await endToEnd(dir, `e2e-${i}`, { ...sc, seconds: SECONDS }, pin, cli);
    const what = sc.mode === 'open' ? `open loop ${fmt(sc.rate)} events/s offered, ${sc.batch} events/request` : `closed loop ${sc.agents} agents in flight, ${sc.batch} events/request`;
    console.log(
      `${what.padEnd(58)} ${fmt(r.events / r.secs).padStart(7)} events/s ${fmt(r.requests / r.secs).padStart(6)} req/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  max ${r.max.toFixed(0).padStart(5)} ms  ` +
        `collector CPU ${(r.cpu * 100).toFixed(0)}% (${fmt(r.events / r.cpuSecs)} events per CPU-second)  stored ${fmt(r.stored)}${r.errors ? `  ${r.errors} errors (${r.firstError})` : ''}${r.backlog ? `  ${r.backlog} never sent` : ''}`,
    );
  }
  console.log('Targets: >= 20,000 events/s sustained end to end with p99 < 50 ms (the open-loop lines).');
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

function eventsOf(n, per) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(JSON.parse(eventText(Math.floor(i / per) % AGENTS)));
  return out;
}

async function floors(dir) {
  const { openDatabase, pragma, transaction } = await import(join(repo, 'dist/src/collector/sqlite.js'));
  const { Store } = await import(join(repo, 'dist/src/collector/store.js'));
  const line = [];
  for (const per of [1, 100, 1000]) {
    const n = per === 1 ? 5_000 : 100_000;
    const evs = eventsOf(n, per);
    const db = openDatabase(join(dir, `floor-${per}.db`));
    pragma(db, 'journal_mode = WAL');
    pragma(db, 'synchronous = FULL');
    db.exec(`CREATE TABLE events (id TEXT NOT NULL UNIQUE, node TEXT NOT NULL, check_id TEXT NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL, observed_at TEXT NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL)`);
    const ins = db.prepare(`INSERT OR IGNORE INTO events (id, node, check_id, status, severity, observed_at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const tx = (slice) =>
      transaction(db, () => {
        const now = Date.now();
        for (const e of slice) ins.run(e.id, e.node, e.check, e.status, e.severity, e.observedAt, now, JSON.stringify(e));
      });
    const s = performance.now();
    const c = process.cpuUsage();
    for (let i = 0; i < n; i += per) tx(evs.slice(i, i + per));
    line.push(`${per}/tx ${fmt(n / ((performance.now() - s) / 1000))} (${fmt(n / cpuSecs(c))}/CPU-s)`);
    db.close();
  }
  console.log(`Floors: events/s wall clock (events per CPU-second of this process, which does not count waiting for fsync)`);
  console.log(`Floor, node:sqlite alone (events table, WAL, synchronous=FULL), events/s: ${line.join(', ')}`);
  const line2 = [];
  for (const per of [1, 100, 1000]) {
    const n = per === 1 ? 5_000 : 100_000;
    const evs = eventsOf(n, per);
    const store = new Store({ file: join(dir, `store-${per}.db`), sinks: [] });
    const s = performance.now();
    const c = process.cpuUsage();
    for (let i = 0; i < n; i += per) store.ingest([evs.slice(i, i + per)]);
    line2.push(`${per}/tx ${fmt(n / ((performance.now() - s) / 1000))} (${fmt(n / cpuSecs(c))}/CPU-s)`);
    store.close();
  }
  console.log(`Floor, the collector's Store.ingest in-process (events + node state + groups), events/s: ${line2.join(', ')}`);
}

function cpuSecs(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

async function endToEnd(dir, name, sc, pin, cli) {
  const cfg = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  writeFileSync(cfg, `collector:\n  listen: 127.0.0.1\n  db: ${db}\n  tokensFile: ${join(dir, 'tokens')}\nlog:\n  level: info\n`);
  const nodeArgs = values.prof ? ['--cpu-prof', '--cpu-prof-dir', values.prof] : [];
  const cmd = pin ? ['/usr/bin/taskset', ['-c', '0', process.execPath, ...nodeArgs, cli, 'collector', '--port', '0', '--config', cfg]] : [process.execPath, [...nodeArgs, cli, 'collector', '--port', '0', '--config', cfg]];
  const child = spawn(cmd[0], cmd[1], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (logs += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (logs += d));
  const exited = new Promise((r) => child.once('exit', r));
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
  const ticks0 = cpuTicks(child.pid);
  const w0 = performance.now();
  const scenario = JSON.stringify({ ...sc, port });
  const loadCmd = pin ? ['/usr/bin/taskset', ['-c', '1', process.execPath, self, '--role', 'load', '--scenario', scenario]] : [process.execPath, [self, '--role', 'load', '--scenario', scenario]];
  const load = spawn(loadCmd[0], loadCmd[1], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  load.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  await new Promise((r) => load.once('exit', r));
  const cpuSecs = (cpuTicks(child.pid) - ticks0) / 100;
  const cpu = cpuSecs / ((performance.now() - w0) / 1000);
  const stored = await new Promise((res) =>
    http.get({ host: '127.0.0.1', port, path: '/metrics' }, (r) => {
      let t = '';
      r.on('data', (d) => (t += d)).on('end', () => res(Number(/^hostward_collector_events_stored_total (\S+)$/m.exec(t)?.[1])));
    }),
  );
  child.kill('SIGTERM');
  await exited;
  rmSync(db, { force: true });
  rmSync(`${db}-wal`, { force: true });
  rmSync(`${db}-shm`, { force: true });
  let r;
  try {
    r = JSON.parse(out.trim().split('\n').at(-1));
  } catch {
    throw new Error(`load generator gave no result: ${out}`);
  }
  return { ...r, stored, cpu, cpuSecs };
}
