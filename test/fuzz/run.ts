/**
 * Runs one fuzz target with a fixed seed: every case is timed (the slowest is reported), a case slower than the
 * budget, when one is given, counts as a hang, and a property violation is shrunk by fast-check to a small
 * counterexample. Used by the CI sample (no budget: a machine's load is no property of the parser; a hang ends at
 * the test's timeout) and by bench/fuzz.mjs (with one).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inputsOf, describeInput } from './targets.js';
import type { FuzzContext, FuzzTarget } from './targets.js';

export interface FuzzOptions {
  seed: number;
  numRuns: number;
  repoRoot: string;
  /** A case slower than this fails the property (a hang within the bounds we can observe in-process); or none. */
  caseBudgetMs?: number;
  hugeBytes?: number;
  /** Called after each case (the bench's progress beacon for its hang watchdog). */
  onCase?: (n: number) => void;
  /** Write each input here before running it, so that a case that hangs leaves itself behind. */
  keepCaseFile?: string;
}

export interface FuzzStats {
  target: string;
  seed: number;
  cases: number;
  seeds: number;
  failures: number;
  /** Slowest case, ms. */
  maxCaseMs: number;
  /** Size of the slowest case, bytes. */
  maxCaseBytes: number;
  /** The start of the slowest case (what to look at when it is slow). */
  slowest?: string;
  largestInputBytes: number;
  casesPerSecond: number;
  /** The shrunk counterexample and what went wrong, when the property failed. */
  failure?: { input: string; error: string; path?: string };
}

export async function fuzzTarget(t: FuzzTarget, o: FuzzOptions): Promise<FuzzStats> {
  const work = mkdtempSync(path.join(os.tmpdir(), `hostward-fuzz-${t.name.replace(/[^a-z0-9]+/gi, '-')}-`));
  const ctx: FuzzContext = { repoRoot: o.repoRoot, work, hugeBytes: o.hugeBytes ?? 2 * 1024 * 1024 };
  try {
    const seeds = await t.seeds(ctx);
    await t.setup?.(ctx, seeds);
    let cases = 0;
    let maxCaseMs = 0;
    let maxCaseBytes = 0;
    let slowest: Buffer | undefined;
    let largest = 0;
    const t0 = performance.now();
    const prop = fc.asyncProperty(inputsOf(t, seeds, ctx), async (input) => {
      if (o.keepCaseFile) writeFileSync(o.keepCaseFile, input);
      const c0 = performance.now();
      await t.run(input, ctx);
      const ms = performance.now() - c0;
      cases++;
      o.onCase?.(cases);
      if (input.length > largest) largest = input.length;
      if (ms > maxCaseMs) {
        maxCaseMs = ms;
        maxCaseBytes = input.length;
        slowest = input;
      }
      if (o.caseBudgetMs !== undefined && ms > o.caseBudgetMs)
        throw new Error(`case took ${ms.toFixed(0)} ms, budget ${o.caseBudgetMs} ms`);
    });
    const details = await fc.check(prop, { seed: o.seed, numRuns: o.numRuns });
    const seconds = (performance.now() - t0) / 1000;
    const stats: FuzzStats = {
      target: t.name,
      seed: o.seed,
      cases,
      seeds: seeds.length,
      failures: details.failed ? 1 : 0,
      maxCaseMs: Math.round(maxCaseMs * 10) / 10,
      maxCaseBytes,
      largestInputBytes: largest,
      casesPerSecond: Math.round(cases / seconds),
      ...(slowest ? { slowest: describeInput(slowest) } : {}),
    };
    if (details.failed) {
      const ce = details.counterexample?.[0];
      const err = details.errorInstance;
      stats.failure = {
        input: ce ? describeInput(ce) : '(none)',
        error:
          err instanceof Error
            ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`
            : String(err),
        ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
      };
    }
    return stats;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
