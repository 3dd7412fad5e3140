/**
 * readAptLists in a worker thread (readAptListsOffThread, lists-off-thread.ts): decompressing and scanning the
 * lists is ~250 ms of CPU on a Debian host, the largest single piece of a scan, which on the scan's event loop
 * would hold every other probe back. Imports only the worker SDK and this folder (the worker loads them anew).
 */
import { serveOffThread } from '../../../src/worker-sdk.js';
import { readAptLists, optionsOf } from './lists.js';
import type { ListsJob } from './lists.js';

serveOffThread((host, job: ListsJob) => readAptLists(host, optionsOf(job), job.dir));
