#!/usr/bin/env node
// Benchmark of the updates probe on this machine: time to compute the update status from dpkg status and
// every apt list (decompression included), over the built dist (run `npm run build` first). Prints figures;
// it is not a test and asserts nothing.
//
//   node bench/updates.mjs [--runs N] [--root DIR]
//
// Each run is a fresh node child (module loading included in "process wall"). "probe wall" is the scan of
// the updates probe alone (runScan with only updatesProbe); CPU time and peak RSS are the child's own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, root: { type: 'string', default: '/' }, child: { type: 'boolean', default: false } } });

if (values.child) {
  const t0 = performance.now();
  const { runScan } = await import(pathToFileURL(join(repo, 'dist/src/scan/runner.js')).href);
  const { defaultConfig } = await import(pathToFileURL(join(repo, 'dist/src/config/config.js')).href);
  const { updatesProbe } = await import(pathToFileURL(join(repo, 'dist/probes/updates/index.js')).href);
  const { pino } = await import('pino');
  const config = defaultConfig();
  config.root = values.root;
  const t1 = performance.now();
  const report = await runScan({ probes: [updatesProbe], config, log: pino({ level: 'silent' }) });
  const t2 = performance.now();
  const ru = process.resourceUsage();
  const m = Object.fromEntries(report.measurements.map((x) => [`${x.metric}${x.labels.kind ? `{${x.labels.kind}}` : ''}`, x.value]));
  process.stdout.write(
    JSON.stringify({ loadMs: t1 - t0, probeMs: t2 - t1, cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000, maxRssMB: ru.maxRSS / 1024, status: report.probes[0], measurements: m }),
  );
  process.exit(0);
}

const runs = Number(values.runs);
if (!existsSync(join(repo, 'dist/probes/updates/index.js'))) {
  console.error('dist/probes/updates/index.js not found: run `npm run build` first');
  process.exit(2);
}
const rows = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--root', values.root], { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  rows.push({ wall, ...JSON.parse(r.stdout) });
}
const med = (k) => {
  const s = rows.map((r) => r[k]).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.log(`updates probe on root ${values.root}, ${runs} runs (median; min-max)`);
for (const [k, label, unit] of [
  ['wall', 'process wall (node start to exit)', 'ms'],
  ['probeMs', 'probe wall (runScan, updates only)', 'ms'],
  ['cpuMs', 'CPU (user+sys, whole process)', 'ms'],
  ['maxRssMB', 'peak RSS', 'MB'],
]) {
  const vals = rows.map((r) => r[k]);
  console.log(`  ${label.padEnd(38)} ${med(k).toFixed(0).padStart(6)} ${unit}  (${Math.min(...vals).toFixed(0)}-${Math.max(...vals).toFixed(0)})`);
}
console.log(`  result: ${JSON.stringify(rows[0].measurements)}; probe ${rows[0].status.status}`);
