/**
 * The collector's POST /v1/events over real HTTP, fed the fuzz target's bodies (structured and mutated):
 * every answer is 202 or a 4xx with a JSON reason, never a 5xx or a dropped connection, and the server's
 * verdict agrees with validateEvents on the same body. The collector is the built CLI on 127.0.0.1.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { TARGETS, inputsOf } from './targets.js';
import { validateEvents } from '../../src/collector/validate.js';
import { makeDirs, startCollectorProcess, requireBuild, TOKEN } from '../collector/helpers.js';
import type { Proc, Dirs } from '../collector/helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seed = Number(process.env.HOSTWARD_FUZZ_SEED ?? 0x5eed);
const RUNS = 150;

let proc: Proc;
let dirs: Dirs;
let work: string;

beforeAll(async () => {
  requireBuild();
  dirs = makeDirs();
  proc = await startCollectorProcess(dirs);
  work = mkdtempSync(path.join(os.tmpdir(), 'hostward-fuzz-http-'));
}, 60_000);

afterAll(async () => {
  proc?.child.kill('SIGTERM');
  await proc?.exited;
  rmSync(dirs.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('POST /v1/events with fuzzed bodies', () => {
  it(
    `${RUNS} bodies: 202 or 4xx with a reason, never 5xx, and the same verdict as validateEvents`,
    { timeout: 120_000 },
    async () => {
      const target = TARGETS.find((t) => t.name === 'collector event body')!;
      const ctx = { repoRoot, work, hugeBytes: 256 * 1024 };
      const bodies = fc.sample(inputsOf(target, await target.seeds(ctx), ctx), { seed, numRuns: RUNS });
      const statuses = new Map<number, number>();
      for (const body of bodies) {
        const res = await fetch(`${proc.base}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, text).toBeLessThan(500);
        let parsed: unknown;
        let json = true;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          json = false;
        }
        const expected = json ? validateEvents(parsed) : undefined;
        if (res.status === 202) {
          expect(expected?.ok, body.toString('utf8').slice(0, 200)).toBe(true);
        } else {
          expect([400, 413]).toContain(res.status);
          expect((JSON.parse(text) as { error: string }).error.length).toBeGreaterThan(0);
          if (res.status === 400 && expected && !expected.ok)
            expect(JSON.parse(text)).toMatchObject({ error: expect.stringContaining(expected.error.slice(0, 20)) });
        }
      }
      // Both verdicts happen (the generator is not all garbage or all valid), and the collector is still up.
      expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
      expect((await fetch(`${proc.base}/healthz`)).status).toBe(200);
    },
  );
});
