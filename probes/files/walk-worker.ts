/**
 * The whole-disk walk in a worker thread: its lstat and readdir calls and the bookkeeping cost ~150-200 ms of CPU
 * on a Debian host, which on the scan's event loop delays every other probe. Started by walkOffThread (walker.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HostRoot } from '../../src/worker-sdk.js';
import { walkHost } from './walker.js';
import type { WalkJob } from './walker.js';

const job = workerData as WalkJob;
const abort = new AbortController();
if (job.aborted) abort.abort();
parentPort!.on('message', (m: unknown) => {
  if (m === 'abort') abort.abort();
});
// The walk reaches the file system only through the root's fsPath, as it does in place: the same HostRoot's.
walkHost({ ...job.input, host: new HostRoot(job.root), signal: abort.signal }).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (e: unknown) => parentPort!.postMessage({ ok: false, error: String(e) }),
);
