#!/usr/bin/env node
// Benchmark of the integrity library on a real tree (default /usr), over the built dist: run `npm run build`
// first (or point --dist at another tsc output directory). Prints figures; it is not a test and asserts nothing.
//
//   node bench/integrity.mjs [--path /usr] [--runs 3] [--workers N] [--dist dist]
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
      dist: { type: 'string', default: join(repo, 'dist') },
      child: { type: 'string' },
      db: { type: 'string' },
    },
  });
  const workers = values.workers ? Number(values.workers) : Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
  const api = join(resolve(values.dist), 'probes/integrity/api.js');

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
      const common = { paths: [values.path], dbFile: values.db, keyFile: join(dirname(values.db), 'key'), workers };
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
    const r = spawnSync(process.execPath, [self, '--child', name, '--path', values.path, '--workers', String(workers), '--dist', values.dist, '--db', db], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  try {
    console.log(`integrity bench: ${values.path}, ${workers} worker threads, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
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
