import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Tests wait for a condition, never for a fixed time: on a loaded machine any fixed time is too short, and on a
 * quiet one it is too long.
 */

/** Polls `f` until it returns something other than undefined or false; fails, saying `what`, after `timeoutMs`. */
export async function waitFor<T>(
  what: string | (() => string),
  f: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls `f` until `ok` accepts its value, and returns that value (any value, false and undefined too); fails after
 * `timeoutMs`, saying `what` and the last value seen.
 */
export async function waitForValue<T>(
  what: string,
  f: () => T | Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<T> {
  let last: T | undefined;
  const got = await waitFor(
    () => `${what} (last value: ${String(last)})`,
    async () => {
      last = await f();
      return ok(last) ? { value: last } : undefined;
    },
    timeoutMs,
    everyMs,
  );
  return got.value;
}

/**
 * Waits until the file system's clock has moved on (by `unit`: 1 ns, or 1 s for tools with second resolution),
 * as seen in a file's mtime, so that times written from now on differ from times written before.
 */
export async function fsClockTick(unit: 'ns' | 's' = 'ns', dir = tmpdir()): Promise<void> {
  const marker = mkdtempSync(path.join(dir, 'hostward-tick-'));
  const file = path.join(marker, 'tick');
  const at = (): bigint => {
    writeFileSync(file, '');
    const ns = statSync(file, { bigint: true }).mtimeNs;
    return unit === 's' ? ns / 1_000_000_000n : ns;
  };
  try {
    const first = at();
    await waitFor('the file system clock to move on', () => at() > first, 60_000, unit === 's' ? 50 : 2);
  } finally {
    rmSync(marker, { recursive: true, force: true });
  }
}
