#!/usr/bin/env node
// The collector's read API and WAL at scale, over the built dist (run `npm run build` first). Prints figures;
// it is not a test.
//
// paging: 200,000 nodes (one failing check each, spread over 50 groups) are stored, then the collector runs
//   in this process while a worker thread walks every page of GET /v1/nodes three times at once and every page
//   of GET /v1/alerts, and another keeps posting events. The event loop's delay is measured with
//   perf_hooks.monitorEventLoopDelay over the walks: its maximum is the longest any request held the loop.
// wal: a burst of 200,000 events through the collector (requests of 1,000, four in flight), then idle: WAL
//   size at its peak and once the checkpoint worker truncated it, and the database's size.
//
//   node bench/collector-paging.mjs [--nodes 200000] [--events 200000] [--only paging|wal]
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(repo, 'dist', p);
const { values } = parseArgs({ options: { nodes: { type: 'string', default: '200000' }, events: { type: 'string', default: '200000' }, only: { type: 'string' } } });
if (!existsSync(dist('src/collector/server.js'))) throw new Error('run `npm run build` first');
const { Store } = await import(dist('src/collector/store.js'));
const { startCollector } = await import(dist('src/collector/server.js'));
const { defaultConfig } = await import(dist('src/config/config.js'));
const { listPage } = await import(dist('src/collector/read-api.js'));
const { pino } = await import('pino');

const TOKEN = 'bench-token-0123456789abcdef';
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const size = (f) => (existsSync(f) ? statSync(f).size : 0);

function event(i, node) {
  return {
    id: `ev-${i}`, node, check: `bench.check_${i % 50}`, probe: 'bench', status: 'fail', severity: 'high',
    title: 'Bench check', message: 'PasswordAuthentication yes is in force for every user',
    evidence: [{ file: '/etc/ssh/sshd_config', line: 1, text: 'PasswordAuthentication yes' }],
    observedAt: new Date().toISOString(),
  };
}

function config(dir) {
  const c = defaultConfig();
  writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`);
  c.collector = { ...c.collector, listen: '127.0.0.1', db: join(dir, 'collector.db'), tokensFile: join(dir, 'tokens'), fileSink: join(dir, 'sink.ndjson'), maxNodesPerToken: 10_000_000 };
  return c;
}

/** HTTP client in a worker thread: its work does not count on the collector's event loop. */
const CLIENT = `
const { parentPort, workerData: w } = require('node:worker_threads');
const h = { authorization: 'Bearer ' + w.token };
async function walk(path, limit) {
  let cursor = null, items = 0, pages = 0, bytes = 0, maxBody = 0;
  do {
    const r = await fetch(w.base + path + '?limit=' + limit + (cursor ? '&cursor=' + cursor : ''), { headers: h });
    const t = await r.text();
    if (r.status !== 200) throw new Error(path + ' ' + r.status + ' ' + t);
    items += JSON.parse(t).length; pages++; bytes += t.length; maxBody = Math.max(maxBody, t.length);
    cursor = r.headers.get('hostward-next-cursor');
  } while (cursor);
  return { path, items, pages, bytes, maxBody };
}
let stop = false;
async function ingest() {
  let i = 0, n = 0;
  while (!stop) {
    const batch = Array.from({ length: 100 }, () => ({ id: 'live-' + i, node: 'live-' + (i++ % 500), check: 'bench.live', probe: 'bench',
      status: 'fail', severity: 'low', title: 'Live', message: 'm', evidence: [], observedAt: new Date().toISOString() }));
    const r = await fetch(w.base + '/v1/events', { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    await r.text(); n++;
  }
  return n;
}
(async () => {
  const live = ingest();
  const walks = await Promise.all([walk('/v1/nodes', w.limit), walk('/v1/nodes', w.limit), walk('/v1/nodes', w.limit), walk('/v1/alerts', 500)]);
  stop = true;
  parentPort.postMessage({ walks, ingestRequests: await live });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

async function paging() {
  const dir = mkdtempSync(join(tmpdir(), 'hostward-bench-paging-'));
  const n = Number(values.nodes);
  // No sink: a queue of seeded changes would be delivered during the walks (the file sink fsyncs on the event
  // loop), and this measures the read API.
  const seed = new Store({ file: join(dir, 'collector.db'), sinks: [] });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) seed.ingest([Array.from({ length: Math.min(1000, n - i) }, (_, j) => event(i + j, `node-${String(i + j).padStart(7, '0')}`))]);
  seed.close();
  console.log(`paging: load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
  console.log(`paging: ${n} nodes stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  handlerTimes(join(dir, 'collector.db'));
  const cfg = config(dir);
  delete cfg.collector.fileSink;
  // The loop's delay with nothing to do, under the same machine load: the floor of the figures below.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 5000));
  idle.disable();
  console.log(`paging: idle collector process (5 s): event loop delay max ${(idle.max / 1e6).toFixed(1)} ms, p99 ${(idle.percentile(99) / 1e6).toFixed(1)} ms`);
  const c = await startCollector({ config: cfg, log: pino({ level: 'warn' }), catalogue: [], port: 0, host: '127.0.0.1' });
  for (const limit of [500, 2000]) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const rss0 = process.memoryUsage().rss;
    const t = performance.now();
    const r = await new Promise((res, rej) => {
      const w = new Worker(CLIENT, { eval: true, workerData: { base: `http://127.0.0.1:${c.port}`, token: TOKEN, limit } });
      w.once('message', res);
      w.once('error', rej);
    });
    h.disable();
    if (r.error) throw new Error(r.error);
    console.log(`paging: limit ${limit}: ${((performance.now() - t) / 1000).toFixed(1)} s for`, r.walks.map((x) => `${x.path} ${x.items} items in ${x.pages} pages (largest body ${(x.maxBody / 1024).toFixed(0)} KiB)`).join('; '), `; ${r.ingestRequests} ingest requests meanwhile`);
    console.log(`paging: limit ${limit}: event loop delay max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, mean ${(h.mean / 1e6).toFixed(2)} ms; RSS ${mb(rss0)} -> ${mb(process.memoryUsage().rss)}`);
  }
  await c.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * What one request holds the event loop for: listPage and JSON.stringify of every page, in this process, as wall
 * time and as this process's CPU time (which a loaded machine's descheduling does not inflate).
 */
function handlerTimes(file) {
  const store = new Store({ file, sinks: [] });
  for (const [path, limit] of [['/v1/nodes', 500], ['/v1/nodes', 2000], ['/v1/alerts', 100], ['/v1/alerts', 500]]) {
    let cursor = '';
    let maxWall = 0;
    let maxCpu = 0;
    let pages = 0;
    do {
      const t = performance.now();
      const c = process.cpuUsage();
      const r = listPage(store, path, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      JSON.stringify(r.body);
      const cpu = process.cpuUsage(c);
      maxWall = Math.max(maxWall, performance.now() - t);
      maxCpu = Math.max(maxCpu, (cpu.user + cpu.system) / 1000);
      cursor = r.headers['Hostward-Next-Cursor'] ?? '';
      pages++;
    } while (cursor);
    console.log(`paging: ${path} limit ${limit}: ${pages} pages; one request's handler at most ${maxWall.toFixed(1)} ms wall, ${maxCpu.toFixed(1)} ms CPU`);
  }
  store.close();
}

async function wal() {
  const dir = mkdtempSync(join(tmpdir(), 'hostward-bench-wal-'));
  const cfg = config(dir);
  const db = cfg.collector.db;
  const c = await startCollector({ config: cfg, log: pino({ level: 'warn' }), catalogue: [], port: 0, host: '127.0.0.1' });
  const total = Number(values.events);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, size(`${db}-wal`))), 5);
  let next = 0;
  const t0 = performance.now();
  const post = async () => {
    while (next < total) {
      const from = next;
      next += 1000;
      const body = JSON.stringify(Array.from({ length: Math.min(1000, total - from) }, (_, j) => event(from + j, `node-${(from + j) % 5000}`)));
      const r = await fetch(`http://127.0.0.1:${c.port}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
      if (r.status !== 202) throw new Error(`${r.status} ${await r.text()}`);
    }
  };
  await Promise.all([post(), post(), post(), post()]);
  const burstS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  while (size(`${db}-wal`) > 0 && performance.now() - t1 < 60_000) await new Promise((r) => setTimeout(r, 20));
  clearInterval(sampler);
  const after = size(`${db}-wal`);
  console.log(`wal: ${total} events in ${burstS.toFixed(1)} s; WAL peak ${mb(peak)}, ${mb(after)} ${((performance.now() - t1) / 1000).toFixed(1)} s after the burst; database ${mb(size(db))}`);
  await c.close();
  console.log(`wal: after close: database ${mb(size(db))}, WAL ${mb(size(`${db}-wal`))}`);
  rmSync(dir, { recursive: true, force: true });
}

if (!values.only || values.only === 'paging') await paging();
if (!values.only || values.only === 'wal') await wal();
