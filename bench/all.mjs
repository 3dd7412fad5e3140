#!/usr/bin/env node
// `npm run bench`: every benchmark of bench/ in turn, over the built dist, then the resource budgets they
// measured in one table (the figures the README quotes). Prints figures; it is not a test and asserts nothing.
//
//   node bench/all.mjs [--only scan,agent,updates,integrity,collector,fuzz,parsers] [--quick]
//
// --quick runs fewer repetitions (a minute or two in all) for a first look; the README's figures come from
// the full run. Each benchmark stays runnable alone (see its header for its own flags).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const quick = values.quick;

/**
 * Each benchmark: its script and arguments, and the lines of its output that carry the budget figures
 * (matched, then printed again in the summary).
 */
const BENCHES = [
  { id: 'scan', script: 'scan.mjs', args: ['--runs', quick ? '2' : '5'], keep: [/^(wall s|cpu s|maxRSS MiB)\b/] },
  { id: 'agent', script: 'agent-idle.mjs', args: [], keep: [/^VmRSS after \d+ s idle/, /^VmHWM/, /^\/metrics size/] },
  { id: 'updates', script: 'updates.mjs', args: ['--runs', quick ? '2' : '5'], keep: [/probe wall|process wall|peak RSS|RPM/i] },
  { id: 'integrity', script: 'integrity.mjs', args: ['--runs', quick ? '1' : '3'], keep: [/^\s*(floor|init|check)\b/, /targets:/] },
  { id: 'collector', script: 'collector.mjs', args: quick ? ['--agents', '1000', '--seconds', '20'] : [], keep: [/events\/s/, /p99/] },
  { id: 'fuzz', script: 'fuzz.mjs', args: ['--runs', quick ? '1000' : '10000'], keep: [/cases\/s|failures|total/i] },
  { id: 'parsers', script: 'parsers.mjs', args: ['--runs', quick ? '1' : '5'], keep: [/^[a-z][\w-]+ +[\d.]+ +[\d.]+ /] },
];

const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
if (only) {
  for (const id of only) if (!BENCHES.some((b) => b.id === id)) {
    console.error(`--only: no benchmark named ${id} (have ${BENCHES.map((b) => b.id).join(', ')})`);
    process.exit(2);
  }
}
if (!existsSync(join(repo, 'dist/src/cli/main.js'))) {
  console.error('dist/ is missing: run `npm run build` first (npm run bench does).');
  process.exit(2);
}

function run(script, args) {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(repo, 'bench', script), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code, signal) => res({ code, signal, out }));
  });
}

console.log(`hostward benchmarks on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const summary = [];
for (const b of BENCHES) {
  if (only && !only.has(b.id)) continue;
  if (!existsSync(join(repo, 'bench', b.script))) {
    summary.push({ id: b.id, lines: [`(bench/${b.script} does not exist)`] });
    continue;
  }
  console.log(`\n=== ${b.id}: node bench/${b.script} ${b.args.join(' ')}`.trimEnd());
  const t0 = process.hrtime.bigint();
  const r = await run(b.script, b.args);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = r.out.split('\n').filter((l) => b.keep.some((re) => re.test(l)));
  if (r.code !== 0) lines.push(`exit ${r.code ?? r.signal}`);
  summary.push({ id: b.id, lines, secs });
}

console.log('\n=== summary (see each section above for the full output)');
for (const s of summary) {
  console.log(`${s.id}${s.secs ? ` (${s.secs.toFixed(0)} s)` : ''}`);
  for (const l of s.lines) console.log(`  ${l.trim()}`);
}
