#!/usr/bin/env node
// Idle footprint of `hostward agent`, over the built dist (run `npm run build` first): starts the agent on a
// free port, waits for /readyz (first scan done), lets it idle 5 s, then prints VmRSS and VmHWM from
// /proc/<pid>/status and the size and latency of /metrics. Prints figures; it is not a test.
//
//   node bench/agent-idle.mjs [--bin dist/src/cli/main.js] [--node-flags="--expose-gc"] [--idle SECONDS] [--scrapes N] [-- extra agent flags, e.g. --root /host]
//
// --node-flags (use the = form) defaults to the flags the image's ENTRYPOINT uses (see Dockerfile); pass "" for plain node.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dash = process.argv.indexOf('--');
const own = dash === -1 ? process.argv.slice(2) : process.argv.slice(2, dash);
const extra = dash === -1 ? [] : process.argv.slice(dash + 1);
const { values } = parseArgs({
  args: own,
  options: {
    bin: { type: 'string', default: join(repo, 'dist/src/cli/main.js') },
    'node-flags': { type: 'string', default: '--expose-gc' },
    idle: { type: 'string', default: '5' },
    scrapes: { type: 'string', default: '10' },
    'ready-timeout': { type: 'string', default: '180' },
  },
});
const bin = resolve(values.bin);
if (!existsSync(bin)) {
  console.error(`${bin} not found: run \`npm run build\` first`);
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const nodeFlags = values['node-flags'].split(/\s+/).filter(Boolean);
// The agent's scans are agent-mode: the ports probe would connect-scan this machine's own addresses and the
// cloud metadata address. A benchmark must send nothing off loopback, so unless a --config is given, both
// are turned off (the footprint of the scan runs in a child process and does not count towards idle RSS).
const cfgDir = mkdtempSync(join(tmpdir(), 'hostward-bench-'));
const cfgFile = join(cfgDir, 'hostward.yaml');
writeFileSync(cfgFile, 'agent:\n  listen: 127.0.0.1\nprobes:\n  ports: { reachability: false, metadataCheck: false }\n');
const configArgs = extra.includes('--config') ? [] : ['--config', cfgFile];
const child = spawn(process.execPath, [...nodeFlags, bin, 'agent', '--port', String(port), ...configArgs, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-4000)));
let exited = null;
child.once('exit', (code, signal) => (exited = { code, signal }));

async function stop() {
  if (exited) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

try {
  const t0 = performance.now();
  const deadline = Date.now() + Number(values['ready-timeout']) * 1000;
  for (;;) {
    if (exited) throw new Error(`agent exited (${exited.code ?? exited.signal}) before ready: ${stderr.trim()}`);
    if (Date.now() > deadline) throw new Error(`agent not ready after ${values['ready-timeout']} s`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  const readyAfter = (performance.now() - t0) / 1000;
  await sleep(Number(values.idle) * 1000);
  const mem = procStatus(child.pid);

  const latencies = [];
  let body = '';
  for (let i = 0; i < Number(values.scrapes); i++) {
    const s = performance.now();
    const res = await fetch(`${base}/metrics`);
    body = await res.text();
    latencies.push(performance.now() - s);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  }
  const first = latencies[0];
  latencies.sort((a, b) => a - b);
  const after = procStatus(child.pid);
  const series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;

  console.log(`hostward agent ${extra.join(' ')}`.trim() + ` on node ${[process.version, ...nodeFlags].join(' ')}, pid ${child.pid}, port ${port}`);
  console.log(`ready (first scan done) after   ${readyAfter.toFixed(2)} s`);
  console.log(`VmRSS after ${values.idle} s idle           ${(mem.rss / 1024).toFixed(1)} MiB (${((mem.rss * 1024) / 1e6).toFixed(1)} MB)`);
  console.log(`VmHWM (peak RSS)                ${(mem.hwm / 1024).toFixed(1)} MiB (${((mem.hwm * 1024) / 1e6).toFixed(1)} MB)`);
  console.log(`/metrics size                   ${Buffer.byteLength(body)} bytes, ${series} series`);
  console.log(
    `/metrics latency (${latencies.length} scrapes)  first ${first?.toFixed(1)} ms; min ${latencies[0]?.toFixed(1)}, median ${latencies[latencies.length >> 1]?.toFixed(1)}, max ${latencies.at(-1)?.toFixed(1)} ms`,
  );
  console.log(`VmRSS after the scrapes         ${(after.rss / 1024).toFixed(1)} MiB (${((after.rss * 1024) / 1e6).toFixed(1)} MB)`);
} finally {
  await stop();
}
