/** The main thread's side of lists-worker.ts. */
import type { HostRoot } from '../../../src/worker-sdk.js';
import { offThread } from '../../../src/worker-sdk.js';
import { LISTS_DIR, readAptLists } from './lists.js';
import type { AptLists, ListsJob, ReadListsOptions } from './lists.js';

const WORKER_FILE = new URL('./lists-worker.js', import.meta.url);

/**
 * readAptLists run in a worker thread, with the same result (the lists' entries share their Release objects, as
 * structured cloning keeps shared references). In place when no worker can run (see offThread).
 */
export function readAptListsOffThread(
  host: HostRoot,
  opts: ReadListsOptions,
  dir = LISTS_DIR,
  signal?: AbortSignal,
): Promise<AptLists> {
  const { names, ...rest } = opts;
  const job: ListsJob = { opts: rest, names: names ? [...names] : undefined, dir };
  return offThread(WORKER_FILE, host, job, () => readAptLists(host, opts, dir), signal);
}
