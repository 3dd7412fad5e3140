#!/usr/bin/env node
// The long parser fuzzing run: every target of test/fuzz/targets.ts with ≥ 10,000 cases (half structured,
// half mutations of real files), over the built dist (run `npm run build` first). Prints, per target, the
// cases run, cases/s, failures, the slowest case and the child's peak RSS, and the seed to reproduce it.
//
//   node bench/fuzz.mjs [--runs 10000] [--seed N] [--target NAME]... [--huge-bytes 8388608] [--hang-seconds 60]
//   node bench/fuzz.mjs --hostile 1000000     # the hostile host layout of test/hostile with a million files
//   --keep-case FILE writes each input to FILE before running it: after a hang, FILE holds the case.
//
// test/fuzz/*.ts is transpiled (typescript's transpileModule, no type check) into dist/test/fuzz/, so its
// imports of ../../probes/... land on the built probes. Each target runs in its own child process with a
// watchdog: a child that reports no finished case for --hang-seconds is killed and reported as a hang, with
// the seed and the case number. A failing property prints fast-check's shrunk counterexample and path.
import { fork, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(repo, 'dist/test/fuzz');

/** The ESM entry of a package installed for the tests, as a file URL. */
function testToolUrl(name) {
  const pkgJson = createRequire(join(repo, 'test/package.json')).resolve(`${name}/package.json`);
  const entry = JSON.parse(readFileSync(pkgJson, 'utf8')).exports['.'].import.default;
  return pathToFileURL(join(dirname(pkgJson), entry)).href;
}

async function transpile() {
  if (!existsSync(join(repo, 'dist/src/host/root.js'))) {
    console.error('dist/ not built: run `npm run build` first');
    process.exit(2);
  }
  const ts = (await import('typescript')).default;
  // fast-check is a test tool (test/package.json): dist/test/fuzz/ would not find it by walking up from dist/.
  const fastCheck = testToolUrl('fast-check');
  mkdirSync(out, { recursive: true });
  for (const dir of ['test/fuzz', 'test/hostile']) {
    const src = join(repo, dir);
    mkdirSync(join(repo, 'dist', dir), { recursive: true });
    for (const f of readdirSync(src)) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
      const r = ts.transpileModule(readFileSync(join(src, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: f,
      });
      writeFileSync(join(repo, 'dist', dir, f.replace(/\.ts$/, '.js')), r.outputText.replaceAll("from 'fast-check'", `from '${fastCheck}'`));
    }
  }
}

/**
 * --hostile N: the hostile host layout of test/hostile with N files under an integrity path (the test uses
 * 200,000): times `integrity init`, `integrity check` and a full `scan` of it, with peak RSS from /usr/bin/time.
 */
async function hostile(count) {
  const { buildHostileLayout } = await import(pathToFileURL(join(repo, 'dist/test/hostile/layout.js')).href);
  const t0 = performance.now();
  const l = await buildHostileLayout(repo, { manyFiles: count });
  console.log(`hostile layout with ${count.toLocaleString('en')} files under ${l.manyDir}: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const paths = ['/etc/many', '/etc/docker', '/etc/containerd', '/etc/crio', '/var/lib/kubelet', '/etc/a', '/etc/b', '/etc/rootlink', '/var/lib/dpkg'];
  const policy = join(l.base, 'policy.yaml');
  writeFileSync(policy, ['version: 1', 'rules:', ...paths.map((p) => `  - { path: ${p}, properties: binaries }`), ''].join('\n'));
  const config = join(l.base, 'config.yaml');
  writeFileSync(config, `scan: { probeTimeoutSeconds: 600 }\nprobes:\n  integrity: { db: ${l.dbFile}, keyFile: ${l.keyFile}, policy: ${policy} }\n  ports: { reachability: false, metadataCheck: false }\n`);
  const cli = join(repo, 'dist/src/cli/main.js');
  const useTime = existsSync('/usr/bin/time');
  const step = (name, args) => {
    const argv = useTime ? ['-f', '%M %U %S', process.execPath, cli, ...args] : [cli, ...args];
    const s0 = performance.now();
    const r = spawnSync(useTime ? '/usr/bin/time' : process.execPath, argv, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 3_600_000 });
    const wall = (performance.now() - s0) / 1000;
    const m = useTime ? /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr) : null;
    const extra = m ? `, CPU ${(Number(m[2]) + Number(m[3])).toFixed(1)} s, peak RSS ${(Number(m[1]) / 1024).toFixed(0)} MiB` : '';
    console.log(`  ${name.padEnd(16)} exit ${r.status}, wall ${wall.toFixed(1)} s${extra}`);
    return r;
  };
  const common = ['--root', l.root, '--policy', policy, '--db', l.dbFile, '--key-file', l.keyFile, '--format', 'json'];
  step('integrity init', ['integrity', 'init', ...common]);
  step('integrity check', ['integrity', 'check', ...common]);
  const scan = step('scan (all probes)', ['scan', '--root', l.root, '--format', 'json', '--config', config]);
  try {
    const report = JSON.parse(scan.stdout);
    console.log(`  probes: ${report.probes.map((p) => `${p.probe}=${p.status}${p.error ? ` (${p.error})` : ''}`).join(' ')}; canary content in report: ${scan.stdout.includes(l.canaryToken)}`);
  } catch {
    console.log(`  scan printed no report: ${scan.stderr.slice(-500)}`);
  }
  await l.cleanup();
}

async function child() {
  const { TARGETS } = await import(pathToFileURL(join(out, 'targets.js')).href);
  const { fuzzTarget } = await import(pathToFileURL(join(out, 'run.js')).href);
  const o = JSON.parse(process.env.HOSTWARD_FUZZ_CHILD);
  const t = TARGETS.find((x) => x.name === o.target);
  let last = 0;
  const stats = await fuzzTarget(t, {
    seed: o.seed,
    numRuns: o.runs,
    repoRoot: repo,
    caseBudgetMs: o.caseBudgetMs,
    hugeBytes: o.hugeBytes,
    ...(o.keepCase ? { keepCaseFile: o.keepCase } : {}),
    onCase: (n) => {
      const now = Date.now();
      if (now - last > 250) {
        last = now;
        process.send?.({ progress: n });
      }
    },
  });
  stats.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.send?.({ stats }, () => process.exit(0));
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10000' },
      seed: { type: 'string' },
      target: { type: 'string', multiple: true },
      'huge-bytes': { type: 'string', default: String(8 * 1024 * 1024) },
      'hang-seconds': { type: 'string', default: '60' },
      'case-budget-ms': { type: 'string', default: '5000' },
      hostile: { type: 'string' },
      'keep-case': { type: 'string' },
    },
  });
  if (values.hostile !== undefined) {
    await transpile();
    await hostile(Number(values.hostile));
    return;
  }
  const runs = Number(values.runs);
  const seed = values.seed !== undefined ? Number(values.seed) : (Date.now() ^ (process.pid << 8)) >>> 0;
  const hangMs = Number(values['hang-seconds']) * 1000;
  await transpile();
  const { TARGETS } = await import(pathToFileURL(join(out, 'targets.js')).href);
  const wanted = values.target ?? [];
  const targets = TARGETS.filter((t) => wanted.length === 0 || wanted.includes(t.name));
  if (targets.length === 0) {
    console.error(`no target named ${wanted.join(', ')} (known: ${TARGETS.map((t) => t.name).join(', ')})`);
    process.exit(2);
  }
  console.log(`hostward parser fuzzing: ${runs} cases per target, seed ${seed}, huge inputs up to ${values['huge-bytes']} bytes`);
  console.log(`reproduce: node bench/fuzz.mjs --runs ${runs} --seed ${seed}${wanted.map((w) => ` --target '${w}'`).join('')}\n`);
  const rows = [];
  let bad = 0;
  for (const t of targets) {
    const row = await new Promise((resolveRow) => {
      const env = { ...process.env, HOSTWARD_FUZZ_CHILD: JSON.stringify({ target: t.name, seed, runs, hugeBytes: Number(values['huge-bytes']), caseBudgetMs: Number(values['case-budget-ms']), keepCase: values['keep-case'] }) };
      const c = fork(fileURLToPath(import.meta.url), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let progress = 0;
      let lastMove = Date.now();
      let result;
      const dog = setInterval(() => {
        if (Date.now() - lastMove > hangMs) {
          c.kill('SIGKILL');
          result = { target: t.name, seed, cases: progress, failures: 1, hang: `no case finished for ${hangMs / 1000} s after case ${progress}` };
        }
      }, 1000);
      c.on('message', (m) => {
        if (m.progress !== undefined) {
          progress = m.progress;
          lastMove = Date.now();
        }
        if (m.stats) result = m.stats;
      });
      c.on('exit', (code, signal) => {
        clearInterval(dog);
        resolveRow(result ?? { target: t.name, seed, cases: progress, failures: 1, hang: `child exited (${signal ?? code}) after case ${progress}` });
      });
    });
    rows.push(row);
    if (row.failures) bad++;
    const line = row.hang
      ? `${t.name.padEnd(22)} HANG/CRASH ${row.hang}`
      : `${t.name.padEnd(22)} ${String(row.cases).padStart(6)} cases ${String(row.casesPerSecond).padStart(7)}/s  failures ${row.failures}  max case ${String(row.maxCaseMs).padStart(7)} ms (${row.maxCaseBytes} B)  largest input ${row.largestInputBytes} B  peak RSS ${row.peakRssMiB} MiB`;
    console.log(line);
    if (process.env.HOSTWARD_FUZZ_SLOWEST && row.slowest) console.log(`    slowest: ${row.slowest}`);
    if (row.failure) console.log(`    counterexample (path ${row.failure.path}): ${row.failure.input}\n    ${row.failure.error.replace(/\n/g, '\n    ')}`);
  }
  const cases = rows.reduce((s, r) => s + r.cases, 0);
  console.log(`\n${rows.length} targets, ${cases} cases, ${bad} failing target(s), seed ${seed}`);
  process.exitCode = bad ? 1 : 0;
}

if (process.env.HOSTWARD_FUZZ_CHILD) await child();
else await main();
