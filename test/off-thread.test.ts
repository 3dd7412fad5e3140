/**
 * offThread, the worker protocol under the apt lists' reading and the files probe's walk: an abort either
 * terminates the worker (the caller gets the signal's reason) or is told to the work, which still answers; the
 * work's error comes back as its message; without a built worker file the work runs in place. The worker here
 * is a small module over the built engine (dist/), as a probe's worker module is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HostRoot } from '../src/host/root.js';

type OffThread = typeof import('../src/host/off-thread.js').offThread;
const built = pathToFileURL(path.resolve('dist/src/host/off-thread.js')).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-off-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker that answers "<input> seen" at once, or waits for the abort when the input is "wait". */
const WORKER = pathToFileURL(path.join(dir, 'worker.mjs'));
writeFileSync(
  WORKER,
  `import { serveOffThread } from ${JSON.stringify(built)};
serveOffThread(async (host, input, signal) => {
  if (input === 'fail') throw new Error('the work failed');
  if (input !== 'wait') return input + ' seen in ' + host.root;
  if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  return 'stopped early';
});
`,
);

const offThread = async (): Promise<OffThread> => ((await import(built)) as { offThread: OffThread }).offThread;
const host = new HostRoot('/');
const inPlace = (input: string): Promise<string> => Promise.resolve(`${input} in place`);

describe('offThread', () => {
  it('answers from the worker, with the input that was still coming when it started', async () => {
    const run = await offThread();
    expect(await run(WORKER, host, Promise.resolve('lists'), inPlace)).toBe('lists seen in /');
  });

  it('runs in place when the worker file does not exist', async () => {
    const run = await offThread();
    expect(await run(new URL('missing-worker.mjs', WORKER), host, 'lists', inPlace)).toBe('lists in place');
  });

  it("throws the work's error with its message", async () => {
    const run = await offThread();
    await expect(run(WORKER, host, 'fail', inPlace)).rejects.toThrow('the work failed');
  });

  it('tells the work of an abort, before or after the input came, and returns its answer', async () => {
    const run = await offThread();
    const during = new AbortController();
    const answer = run(WORKER, host, 'wait', inPlace, { signal: during.signal, onAbort: 'tell' });
    during.abort();
    expect(await answer).toBe('stopped early');
    const before = new AbortController();
    before.abort();
    expect(await run(WORKER, host, 'wait', inPlace, { signal: before.signal, onAbort: 'tell' })).toBe('stopped early');
  });

  it('terminates the worker on an abort by default, and throws the reason', async () => {
    const run = await offThread();
    const ac = new AbortController();
    const answer = run(WORKER, host, 'wait', inPlace, { signal: ac.signal });
    ac.abort(new Error('scan aborted'));
    await expect(answer).rejects.toThrow('scan aborted');
  });
});
