#!/usr/bin/env node
// Benchmark of the integrity library on a real tree (default /usr), over the built dist: run `npm run build`
// first (or point --dist at another tsc output directory). Prints figures; it is not a test and asserts nothing.
//
//   node bench/integrity.mjs [--path /usr] [--runs 3] [--workers N] [--dist dist] [--hash sha256|sha512|blake2b512]
//   node bench/integrity.mjs --watch [--changes 20] [--dist dist]
//   node bench/integrity.mjs --collector [--changes 20] [--dist dist]
//
// --collector: the same real CLI agent (watch on; ssh live, ports reachability and metadata checks off) sending
// to a real `hostward collector` on 127.0.0.1, and the time from an sshd drop-in written to the event stored at
// the collector (GET /v1/nodes lists ssh.password_auth failing, or no longer: answered from the committed
// state). Also prints the baseline digest the collector keeps for the node. Target (issue 7): p95 < 1 s.
//
// --watch measures real time instead: the real CLI agent (child-process scans, all nine probes, network checks
// off) on a copy of the debian12-hardened fixture with a signed baseline, and the time from a change on disk to
// its finding in /metrics: an sshd drop-in that re-enables passwords (ssh.password_auth), and /etc/passwd
// replaced by rename as vipw does (integrity.accounts_unchanged). Target (issue 7): p95 < 1 s. For comparison it
// also times one partial child scan (ssh + integrity of one path) and one full child scan of the same root.
//
// Phases, each in a child process of its own so that its peak RSS is its own:
//   floor  walk the tree and read every regular file in 1 MiB blocks on the same number of worker threads,
//          hashing nothing: the read-only floor that the baseline is compared with
//   init   integrityInit({ paths: [path] }): walk, stat, SHA-256 of every file, signed database written
//   check  integrityCheck(...) with nothing changed: stat fast path plus the rolling rehash of 1/24
// A warm-up floor run comes first so that every phase sees a warm page cache. Targets (issue 7, this 2-core
// machine, /usr ≈ 121k files / 5.7 GB): init ≤ 8 s, check ≤ 2 s, peak RSS ≤ 150 MB. CPU seconds (all threads) are
// printed too: on a shared machine they say more than wall time, which another process's load stretches.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);

if (!isMainThread) {
  // Floor worker: read files, hash nothing.
  const buf = Buffer.allocUnsafe(1 << 20);
  parentPort.on('message', (files) => {
    let bytes = 0;
    for (const f of files) {
      let fd;
      try {
        fd = openSync(f, 'r');
      } catch {
        continue;
      }
      try {
        let pos = 0;
        let n;
        while ((n = readSync(fd, buf, 0, buf.length, pos)) > 0) pos += n;
        bytes += pos;
      } catch {
        // unreadable: skipped, as the floor only measures reading
      } finally {
        closeSync(fd);
      }
    }
    parentPort.postMessage(bytes);
  });
} else {
  const { values } = parseArgs({
    options: {
      path: { type: 'string', default: '/usr' },
      runs: { type: 'string', default: '3' },
      workers: { type: 'string' },
      hash: { type: 'string', default: 'sha256' },
      dist: { type: 'string', default: join(repo, 'dist') },
      child: { type: 'string' },
      db: { type: 'string' },
      watch: { type: 'boolean', default: false },
      changes: { type: 'string', default: '20' },
      collector: { type: 'boolean', default: false },
    },
  });
  if (values.collector) {
    await collectorBench(resolve(values.dist), Number(values.changes));
    process.exit(0);
  }
  if (values.watch) {
    await watchBench(resolve(values.dist), Number(values.changes));
    process.exit(0);
  }
  const workers = values.workers ? Number(values.workers) : Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
  const api = join(resolve(values.dist), 'src/integrity/api.js');

  if (values.child) {
    const t0 = performance.now();
    let out;
    if (values.child === 'floor') out = await floor(values.path, workers);
    else {
      if (!existsSync(api)) {
        console.error(`${api} not found: run \`npm run build\` first, or give --dist`);
        process.exit(2);
      }
      const { integrityInit, integrityCheck } = await import(pathToFileURL(api).href);
      const common = { paths: [values.path], hash: values.hash, dbFile: values.db, keyFile: join(dirname(values.db), 'key'), workers };
      if (values.child === 'init') {
        const r = await integrityInit(common);
        out = { files: r.stats.paths, hashed: r.stats.hashed, bytes: r.stats.bytesHashed, problems: r.problems.length };
      } else {
        const r = await integrityCheck(common);
        out = { files: r.stats.paths, hashed: r.stats.hashed, reused: r.stats.reused, bytes: r.stats.bytesHashed, changes: r.added.length + r.removed.length + r.modified.length };
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const ru = process.resourceUsage();
    process.stdout.write(JSON.stringify({ ...out, seconds, cpu: (ru.userCPUTime + ru.systemCPUTime) / 1e6, rssMB: ru.maxRSS / 1024 }) + '\n');
    process.exit(0);
  }

  const runs = Number(values.runs);
  const work = mkdtempSync(join(tmpdir(), 'hostward-bench-integrity-'));
  writeFileSync(join(work, 'key'), 'bench-key-'.padEnd(32, 'x'));
  const db = join(work, 'integrity.db');
  const phase = (name) => {
    const r = spawnSync(process.execPath, [self, '--child', name, '--path', values.path, '--workers', String(workers), '--dist', values.dist, '--db', db, '--hash', values.hash], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  try {
    console.log(`integrity bench: ${values.path}, ${values.hash}, ${workers} worker threads, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    phase('floor'); // warm-up
    const rows = { floor: [], init: [], check: [] };
    for (let i = 0; i < runs; i++) {
      rows.floor.push(phase('floor'));
      rows.init.push(phase('init'));
      rows.check.push(phase('check'));
      rows.check.push(phase('check'));
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const gb = (b) => b / 1e9;
    const show = (name, rs) => {
      const s = rs.map((r) => r.seconds);
      const m = rs.find((r) => r.seconds === med(s));
      const files = m.files;
      const bytes = m.bytes;
      console.log(
        `${name.padEnd(6)} median ${med(s).toFixed(2)} s (min ${Math.min(...s).toFixed(2)}, max ${Math.max(...s).toFixed(2)}), ${files} paths, ${Math.round(files / m.seconds)} paths/s, ${gb(bytes).toFixed(2)} GB read, ${(gb(bytes) / m.seconds).toFixed(2)} GB/s, CPU ${m.cpu.toFixed(2)} s (all threads), peak RSS ${Math.max(...rs.map((r) => r.rssMB)).toFixed(0)} MB` +
          (m.hashed !== undefined ? `, ${m.hashed} hashed` : '') +
          (m.reused !== undefined ? `, ${m.reused} reused, ${m.changes} changes` : ''),
      );
      return med(s);
    };
    const f = show('floor', rows.floor);
    const i = show('init', rows.init);
    const c = show('check', rows.check);
    console.log(`init / floor = ${(i / f).toFixed(2)}; check / init = ${(c / i).toFixed(2)}; targets: init ≤ 8 s, check ≤ 2 s, RSS ≤ 150 MB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The read-only floor: walk (readdir with types) and read every regular file, nothing hashed. */
async function floor(root, n) {
  const pool = Array.from({ length: n }, () => new Worker(self));
  let inflight = 0;
  let bytes = 0;
  let files = 0;
  const waiters = [];
  const done = () => new Promise((r) => waiters.push(r));
  let next = 0;
  for (const w of pool)
    w.on('message', (b) => {
      bytes += b;
      inflight--;
      waiters.shift()?.();
    });
  let batch = [];
  const send = async () => {
    while (inflight >= n * 4) await done();
    inflight++;
    pool[next++ % n].postMessage(batch);
    batch = [];
  };
  const stack = [root];
  while (stack.length) {
    const d = stack.pop();
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of ents) {
      const p = d === '/' ? '/' + e.name : d + '/' + e.name;
      files++;
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        batch.push(p);
        if (batch.length >= 256) await send();
      }
    }
  }
  if (batch.length) await send();
  while (inflight > 0) await done();
  await Promise.all(pool.map((w) => w.terminate()));
  return { files, bytes };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The real-time benches' host: the hardened Debian fixture with a PAM file, a signed integrity baseline of it,
 * and the probes' configuration (no live ssh, no packets from the ports probe) for an agent scanning it.
 */
async function benchScene(dist, prefix) {
  const { cpSync, mkdirSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const cli = join(dist, 'src/cli/main.js');
  if (!existsSync(cli)) {
    console.error(`${cli} not found: run \`npm run build\` first, or give --dist`);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), prefix));
  const root = join(work, 'root');
  cpSync(join(repo, 'test/fixtures/hosts/debian12-hardened'), root, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'etc/pam.d'), { recursive: true });
  writeFileSync(join(root, 'etc/pam.d/common-auth'), 'auth required pam_unix.so\n');
  const key = join(work, 'key');
  writeFileSync(key, 'bench-watch-key-'.padEnd(32, 'x'));
  const db = join(work, 'integrity.db');
  execFileSync(process.execPath, [cli, 'integrity', 'init', '--root', root, '--db', db, '--key-file', key], { stdio: 'ignore' });
  const probes = `probes:\n  ssh: { live: false }\n  ports: { reachability: false, metadataCheck: false }\n  integrity: { db: ${JSON.stringify(db)}, keyFile: ${JSON.stringify(key)} }\n`;
  return { cli, work, root, probes };
}

/**
 * `changes` changes one after the other: apply(i) makes change i and returns the value `observe()` must reach;
 * each latency runs from just before the change until it does. Prints p50, p95 and max.
 */
async function latencies(name, changes, apply, observe) {
  const lat = [];
  for (let i = 0; i < changes; i++) {
    const t0 = performance.now();
    const want = apply(i);
    let v;
    while ((v = await observe()) !== want && performance.now() - t0 < 10_000) await sleep(5);
    if (v !== want) throw new Error(`${name}: change ${i} not seen in 10 s`);
    lat.push(performance.now() - t0);
    await sleep(300); // let the agent settle, as separate real changes would
  }
  lat.sort((a, b) => a - b);
  const q = (x) => lat[Math.min(lat.length - 1, Math.ceil(x * lat.length) - 1)];
  console.log(`${name.padEnd(36)} p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${lat.at(-1).toFixed(0)} ms (${changes} changes)`);
}

/** Real time: change on disk -> finding in /metrics, through the real CLI agent. */
async function watchBench(dist, changes) {
  const { readFileSync, renameSync } = await import('node:fs');
  const { spawn } = await import('node:child_process');
  const { cli, work, root, probes } = await benchScene(dist, 'hostward-bench-watch-');
  const cfg = join(work, 'hostward.yaml');
  writeFileSync(
    cfg,
    `agent: { listen: 127.0.0.1, schedule: "0 0 1 1 *" }\n${probes}`,
  );
  const env = { PATH: process.env.PATH, HOSTWARD_NODE_NAME: 'bench', HOSTWARD_STATE_DIR: work };
  let logs = '';
  const agent = spawn(process.execPath, [cli, 'agent', '--root', root, '--port', '0', '--config', cfg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout.setEncoding('utf8').on('data', (d) => (logs += d));
  agent.stderr.setEncoding('utf8').on('data', (d) => (logs += d));
  try {
    let port;
    for (let i = 0; i < 500 && !port; i++, await sleep(20)) port = /"port":(\d+)[^\n]*agent listening/.exec(logs)?.[1];
    if (!port) throw new Error(`agent did not start: ${logs}`);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 500 && (await fetch(`${base}/readyz`)).status !== 200; i++) await sleep(20);
    for (let i = 0; i < 250 && !logs.includes('watching probe paths'); i++) await sleep(20);
    const status = async (check) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('hostward_check_status{') && l.includes(`check="${check}"`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const measure = (name, check, change) => latencies(name, changes, change, () => status(check));
    console.log(`watch bench: real CLI agent, all probes, ${os.cpus().length} CPUs, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const evil = join(root, 'etc/ssh/sshd_config.d/00-evil.conf');
    await measure('sshd drop-in -> ssh.password_auth', 'ssh.password_auth', (i) => {
      if (i % 2 === 0) writeFileSync(evil, 'PasswordAuthentication yes\n');
      else rmSync(evil);
      return i % 2 === 0 ? 1 : 0;
    });
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    await measure('/etc/passwd -> integrity.accounts', 'integrity.accounts_unchanged', (i) => {
      writeFileSync(join(root, 'etc/passwd+'), i % 2 === 0 ? `${passwd}toor:x:0:0::/:/bin/sh\n` : passwd);
      renameSync(join(root, 'etc/passwd+'), join(root, 'etc/passwd'));
      return i % 2 === 0 ? 1 : 0;
    });
    // The two kinds of child scan, timed alone.
    const childScan = (extraArgs, extraEnv) => {
      const t0 = performance.now();
      spawnSync(process.execPath, [cli, 'scan', '--format', 'json', '--root', root, '--config', cfg, ...extraArgs], { env: { ...env, HOSTWARD_SCAN_MODE: 'agent', ...extraEnv }, stdio: 'ignore' });
      return performance.now() - t0;
    };
    const med = (f) => [f(), f(), f(), f(), f()].sort((a, b) => a - b)[2];
    const partial = med(() => childScan(['--probe', 'ssh', '--probe', 'integrity'], { HOSTWARD_CHANGED_PATHS: '["/etc/ssh/sshd_config.d/00-evil.conf"]' }));
    const full = med(() => childScan([], {}));
    console.log(`child scan alone, median of 5: partial (ssh + integrity of one path) ${partial.toFixed(0)} ms, full (nine probes) ${full.toFixed(0)} ms`);
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => (agent.exitCode !== null ? r() : agent.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
  }
}

async function collectorBench(dist, changes) {
  const { spawn } = await import('node:child_process');
  const { cli, work, root, probes } = await benchScene(dist, 'hostward-bench-collector-');
  const token = 'bench-token-0123456789abcdef';
  writeFileSync(join(work, 'tokens'), `${token}\n`);
  writeFileSync(join(work, 'token'), `${token}\n`);
  writeFileSync(join(work, 'collector.yaml'), `collector:\n  listen: 127.0.0.1\n  db: ${JSON.stringify(join(work, 'collector.db'))}\n  tokensFile: ${JSON.stringify(join(work, 'tokens'))}\n`);
  const procs = [];
  const start = (args, env, ready) =>
    new Promise((resolvePort, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(child);
      let logs = '';
      const t = setTimeout(() => reject(new Error(`${args[0]} did not start: ${logs}`)), 20_000);
      const on = (d) => {
        logs += d;
        const m = ready.exec(logs);
        if (m) {
          clearTimeout(t);
          resolvePort({ port: Number(m[1]), logs: () => logs });
        }
      };
      child.stdout.setEncoding('utf8').on('data', on);
      child.stderr.setEncoding('utf8').on('data', on);
    });
  try {
    const col = await start(['collector', '--port', '0', '--config', join(work, 'collector.yaml')], {}, /"port":(\d+)[^\n]*collector listening/);
    const cbase = `http://127.0.0.1:${col.port}`;
    const cfg = join(work, 'hostward.yaml');
    writeFileSync(
      cfg,
      `agent: { listen: 127.0.0.1, schedule: "0 0 1 1 *", collectorUrl: ${JSON.stringify(cbase)}, tokenFile: ${JSON.stringify(join(work, 'token'))} }\n${probes}`,
    );
    const agent = await start(['agent', '--root', root, '--port', '0', '--config', cfg], { HOSTWARD_NODE_NAME: 'bench', HOSTWARD_STATE_DIR: join(work, 'state') }, /"port":(\d+)[^\n]*agent listening/);
    for (let i = 0; i < 500 && !agent.logs().includes('watching probe paths'); i++) await sleep(20);
    const node = async () => {
      const res = await fetch(`${cbase}/v1/nodes`, { headers: { Authorization: `Bearer ${token}` } });
      return (await res.json()).find((n) => n.node === 'bench');
    };
    // The first scan's events reach the collector first.
    let n;
    for (let i = 0; i < 1500 && !(n = await node())?.baseline; i++) await sleep(20);
    if (!n?.baseline) throw new Error(`the collector never got the node's baseline: ${agent.logs().slice(-2000)}`);
    console.log(`collector bench: real CLI agent (watch on) -> real collector on 127.0.0.1, ${os.cpus().length} CPUs, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`baseline kept at the collector: ${n.baseline.digest.slice(0, 16)}… created ${n.baseline.created}, signed ${n.baseline.signed}, changes ${n.baseline.changes}`);
    const evil = join(root, 'etc/ssh/sshd_config.d/00-evil.conf');
    await latencies(
      'sshd drop-in -> stored at collector',
      changes,
      (i) => {
        if (i % 2 === 0) writeFileSync(evil, 'PasswordAuthentication yes\n');
        else rmSync(evil);
        return i % 2 === 0;
      },
      async () => (await node()).failing.includes('ssh.password_auth'),
    );
  } finally {
    for (const c of procs.reverse()) {
      if (c.exitCode !== null) continue;
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)));
    }
    rmSync(work, { recursive: true, force: true });
  }
}
