/**
 * CPU-heavy work of a probe in a worker thread, so that it runs on another core beside the scan's event loop
 * instead of delaying every other probe: decompressing and scanning apt's 50 MB package lists, the files probe's
 * disk walk. The worker gets a HostRoot for the same root (reads stay inside it) and the probe's input; it answers
 * once. A probe reaches both sides through src/worker-sdk.ts, and a worker module imports only it and its own
 * folder: a worker is a new V8 isolate that loads every module it imports anew, and the full SDK costs it ~110 ms
 * of CPU.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { HostRoot } from './root.js';

/** What the worker is started with; its input follows as the first message. */
interface OffThreadJob {
  root: string;
}

type Answer<O> = { ok: true; result: O } | { ok: false; error: string };

/** What the worker's port receives: the input once, and an abort the work sees through its signal. */
type Message<I> = { input: I } | { abort: true };

export interface OffThreadOptions {
  signal?: AbortSignal | undefined;
  /**
   * What an abort does: `terminate` the worker and throw the signal's reason (the default), or `tell` the work,
   * which stops early and still answers (a walk cut short reports what it saw).
   */
  onAbort?: 'terminate' | 'tell';
}

/**
 * Run the worker module `file` (which calls serveOffThread) over `input`, with a HostRoot for host.root. The
 * input may still be coming: the worker starts at once and gets it when it resolves, so that its start-up (a
 * new isolate, ~50 ms of CPU) overlaps whatever the input waits for. Done in place by `inPlace` when the built
 * worker file is absent (running from the TypeScript sources) or when the worker cannot start or dies without
 * answering (a thread limit), so the result is the same either way. An error the work throws in the worker is
 * thrown here (its message), as is the input's own.
 */
export async function offThread<I, O>(
  file: URL,
  host: HostRoot,
  input: I | Promise<I>,
  inPlace: (input: I) => Promise<O>,
  { signal, onAbort = 'terminate' }: OffThreadOptions = {},
): Promise<O> {
  const tell = onAbort === 'tell';
  if (signal?.aborted && !tell) throw signal.reason;
  if (file.protocol !== 'file:' || !existsSync(fileURLToPath(file))) return inPlace(await input);
  let worker: Worker;
  try {
    worker = new Worker(file, { workerData: { root: host.root } satisfies OffThreadJob });
  } catch {
    return inPlace(await input);
  }
  const answer = new Promise<Answer<O> | undefined>((resolve) => {
    worker.once('message', (m: Answer<O>) => resolve(m));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  const abort = tell ? () => worker.postMessage({ abort: true } satisfies Message<I>) : () => void worker.terminate();
  signal?.addEventListener('abort', abort, { once: true });
  if (tell && signal?.aborted) abort();
  try {
    const value = await input;
    worker.postMessage({ input: value } satisfies Message<I>);
    const a = await answer;
    if (signal?.aborted && !tell) throw signal.reason;
    if (a === undefined) return await inPlace(value);
    if (!a.ok) throw new Error(a.error);
    return a.result;
  } finally {
    signal?.removeEventListener('abort', abort);
    void worker.terminate();
  }
}

/**
 * In a worker module: run `work` over the input offThread sends and answer with its result or its error. The
 * signal is aborted when offThread is told of an abort (`onAbort: 'tell'`), before or after the input came.
 */
export function serveOffThread<I, O>(work: (host: HostRoot, input: I, signal: AbortSignal) => Promise<O>): void {
  const port = parentPort;
  if (!port) throw new Error('serveOffThread runs in a worker thread started by offThread');
  const host = new HostRoot((workerData as OffThreadJob).root);
  const abort = new AbortController();
  let started = false;
  port.on('message', (m: Message<I>) => {
    if ('abort' in m) return abort.abort();
    if (started) return;
    started = true;
    work(host, m.input, abort.signal).then(
      (result) => port.postMessage({ ok: true, result } satisfies Answer<O>),
      (e: unknown) =>
        port.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) } satisfies Answer<O>),
    );
  });
}
