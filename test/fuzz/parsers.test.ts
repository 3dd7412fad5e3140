/**
 * The CI sample of the parser fuzzing: every target with a fixed seed and 200 cases (half built to resemble
 * the format, half mutations of real files). bench/fuzz.mjs runs the same targets with ≥ 10,000 cases.
 * HOSTWARD_FUZZ_SEED and HOSTWARD_FUZZ_RUNS override the seed and the count to reproduce or widen a run.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS } from './targets.js';
import { fuzzTarget } from './run.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seed = Number(process.env.HOSTWARD_FUZZ_SEED ?? 0x5eed);
const numRuns = Number(process.env.HOSTWARD_FUZZ_RUNS ?? 200);

describe('parser fuzzing (seeded sample)', () => {
  it('has a target for every parser the issue names', () => {
    expect(TARGETS.map((t) => t.name)).toEqual([
      'sshd_config',
      'daemon.json',
      'containerd TOML',
      'CRI-O TOML',
      'kubelet YAML/JSON',
      'dpkg status',
      'apt Release',
      'apt Packages',
      'rpm header',
      '/proc/net',
      '/proc cgroup',
      '/proc status',
      'PEM',
      'DER',
      'kubeconfig',
      'integrity database',
      'collector event body',
      'outbox framing',
      'apt list decompression',
      'accounts files',
      'files probe parsers',
      'sysctl.d configuration',
    ]);
  });

  for (const t of TARGETS) {
    it(`${t.name}: ${numRuns} cases, no throw, no hang, a result or a reason`, { timeout: 120_000 }, async () => {
      // No time budget per case: how long a case takes on a shared machine says nothing about the parser
      // (bench/fuzz.mjs measures it, with a budget); a parser that hangs or goes quadratic runs into the timeout.
      const stats = await fuzzTarget(t, { seed, numRuns, repoRoot, hugeBytes: 1024 * 1024 });
      if (stats.failure)
        throw new Error(
          `${t.name} (seed ${seed}, path ${stats.failure.path ?? '?'}): ${stats.failure.error}\ninput: ${stats.failure.input}`,
        );
      expect(stats.cases).toBe(numRuns);
      // Mutations need real files: every target has some.
      expect(stats.seeds).toBeGreaterThan(0);
    });
  }
});
