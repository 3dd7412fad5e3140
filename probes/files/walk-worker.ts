/**
 * The whole-disk walk in a worker thread: its lstat and readdir calls and the bookkeeping cost ~150-200 ms of CPU
 * on a Debian host, which on the scan's event loop delays every other probe. Started by walkOffThread (walker.ts);
 * the walk reaches the file system only through the root's fsPath, as it does in place.
 */
import { serveOffThread } from '../../src/worker-sdk.js';
import { walkHost } from './walker.js';
import type { WalkJob } from './walker.js';

serveOffThread((host, job: WalkJob, signal) => walkHost({ ...job, host, signal }));
