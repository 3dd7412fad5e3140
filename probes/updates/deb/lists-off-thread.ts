/** The main thread's side of lists-worker.ts. */
import type { HostRoot } from '../../../src/worker-sdk.js';
import { offThread } from '../../../src/worker-sdk.js';
import { LISTS_DIR, optionsOf, readAptLists } from './lists.js';
import type { AptLists, ListsJob, ReadListsOptions } from './lists.js';

const WORKER_FILE = new URL('./lists-worker.js', import.meta.url);

/**
 * readAptLists run in a worker thread, with the same result (the lists' entries share their Release objects, as
 * structured cloning keeps shared references). The options may still be coming (the installed names come from
 * dpkg's status): the worker starts meanwhile. In place when no worker can run (see offThread).
 */
export function readAptListsOffThread(
  host: HostRoot,
  opts: ReadListsOptions | Promise<ReadListsOptions>,
  dir = LISTS_DIR,
  signal?: AbortSignal,
): Promise<AptLists> {
  const job = Promise.resolve(opts).then(({ names, ...rest }): ListsJob => ({
    opts: rest,
    names: names ? [...names] : undefined,
    dir,
  }));
  return offThread(WORKER_FILE, host, job, (j) => readAptLists(host, optionsOf(j), j.dir), { signal });
}
