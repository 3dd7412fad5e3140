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

/** Resolves once the wall clock has moved past `ms` from now, for file times that must differ from earlier ones. */
export async function clockPast(ms: number): Promise<void> {
  const t = Date.now() + ms;
  await waitFor('the clock to move on', () => Date.now() > t || undefined, 60_000, 5);
}
