#!/usr/bin/env node
// Benchmark of `hostward scan --format json` on this machine, over the built dist (run `npm run build` first).
// Prints figures; it is not a test and asserts nothing. Wall time moves with the machine's load (printed with
// each run, 1-minute average); user+sys CPU seconds much less, so compare those between loaded runs. The
// slowest probes come from the report's probes[].durationSeconds (probes run concurrently, so they overlap).
//
//   node bench/scan.mjs [--runs N] [--bin dist/src/cli/main.js] [--against OTHER/main.js] [-- extra scan flags, e.g. --root /host --probe ssh]
//
// --against runs another build (e.g. an older commit's, built in a copy of the repository) in turn with --bin,
// run for run, so that both see the same load, and prints its figures after --bin's.
// Each run is a child process. CPU time and peak RSS come from /usr/bin/time when it exists (it counts the
// host binaries a probe runs, such as `sshd -T`, too); otherwise from the node child's own
// process.resourceUsage(), written to a file on exit by a preloaded module.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
    runs: { type: 'string', default: '5' },
    bin: { type: 'string', default: join(repo, 'dist/src/cli/main.js') },
    against: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, got ${values.runs}`);
  process.exit(2);
}
const bins = [resolve(values.bin), ...(values.against ? [resolve(values.against)] : [])];
for (const bin of bins)
  if (!existsSync(bin)) {
    console.error(`${bin} not found: run \`npm run build\` first`);
    process.exit(2);
  }

const TIME = '/usr/bin/time';
const useTime = existsSync(TIME);
const work = mkdtempSync(join(tmpdir(), 'hostward-bench-'));
const PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    `import { writeFileSync } from 'node:fs';
     process.on('exit', () => { try { writeFileSync(process.env.HOSTWARD_BENCH_RUSAGE, JSON.stringify(process.resourceUsage())); } catch {} });`,
  );

function once(bin, i) {
  const out = join(work, `run-${i}`);
  const scan = [bin, 'scan', '--format', 'json', ...extra];
  const [file, args, env] = useTime
    ? [TIME, ['-f', '%U %S %M', '-o', out, process.execPath, ...scan], process.env]
    : [process.execPath, ['--import', PRELOAD, ...scan], { ...process.env, HOSTWARD_BENCH_RUSAGE: out }];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw r.error;
  // Exit 1 only means failing checks were found; 2 is a usage or configuration error.
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`scan exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().slice(0, 2000)}`);
  }
  let cpu, user, sys, rssKiB;
  const measured = readFileSync(out, 'utf8').trim();
  if (useTime) {
    // /usr/bin/time -o appends after any "Command exited with non-zero status" line: use the last line.
    [user, sys, rssKiB] = measured.split('\n').at(-1).split(' ').map(Number);
    cpu = user + sys;
  } else {
    const u = JSON.parse(measured);
    [user, sys] = [u.userCPUTime / 1e6, u.systemCPUTime / 1e6];
    cpu = user + sys;
    rssKiB = u.maxRSS;
  }
  let findings = NaN;
  let probes = [];
  try {
    const report = JSON.parse(r.stdout);
    findings = report.findings.length;
    probes = report.probes ?? [];
  } catch {
    // Not JSON: reported as NaN rather than failing the benchmark.
  }
  return { wall, cpu, user, sys, rssMiB: rssKiB / 1024, exit: r.status, findings, probes, load: loadavg()[0] };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s.at(-1) };
};

console.log(`hostward scan --format json ${extra.join(' ')}`.trim());
console.log(`${runs} runs of ${bins.join(' and ')} on node ${process.version}; CPU and RSS from ${useTime ? TIME : 'process.resourceUsage() of the child'}`);
const results = bins.map(() => []);
const f = (x, w, d = 3) => x.toFixed(d).padStart(w);
try {
  for (let i = 0; i < runs; i++) {
    bins.forEach((bin, b) => results[b].push(once(bin, i)));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
bins.forEach((bin, b) => report(bin, results[b]));

function report(bin, results) {
  console.log('');
  console.log(bin);
  console.log('run  wall s   cpu s   user s   sys s   maxRSS MiB  exit  findings  load');
  results.forEach((r, i) => {
    console.log(`${String(i + 1).padStart(3)}  ${f(r.wall, 6)}  ${f(r.cpu, 6)}  ${f(r.user, 6)}  ${f(r.sys, 6)}  ${f(r.rssMiB, 10, 1)}  ${String(r.exit).padStart(4)}  ${String(r.findings).padStart(8)}  ${f(r.load, 4, 1)}`);
  });
  console.log('');
  console.log('             min     median  max');
  for (const [label, key, digits] of [
    ['wall s', 'wall', 3],
    ['cpu s', 'cpu', 3],
    ['user s', 'user', 3],
    ['sys s', 'sys', 3],
    ['maxRSS MiB', 'rssMiB', 1],
  ]) {
    const s = stats(results.map((r) => r[key]));
    console.log(`${label.padEnd(11)}  ${s.min.toFixed(digits).padStart(6)}  ${s.median.toFixed(digits).padStart(6)}  ${s.max.toFixed(digits).padStart(6)}`);
  }
  const byProbe = new Map();
  for (const r of results) for (const p of r.probes) byProbe.set(p.probe, [...(byProbe.get(p.probe) ?? []), p.durationSeconds]);
  const slowest = [...byProbe].map(([name, ds]) => [name, stats(ds).median]).sort((a, b) => b[1] - a[1]).slice(0, 6);
  console.log('');
  console.log(`slowest probes (median s, overlapping): ${slowest.map(([n, d]) => `${n} ${d.toFixed(3)}`).join(', ')}`);
}
