/**
 * The SDK of work a probe runs in a worker thread: offThread, which starts the worker, and what the worker's
 * module may import from the engine: the host-root module and the pure parsers such work needs, and nothing
 * that loads the rest of the engine. A worker is a new V8 isolate that loads each module it imports anew, and
 * src/sdk.ts costs it ~110 ms of CPU. A test holds this module's imports to that.
 */
export { HostRoot, describeFailure } from './host/root.js';
export type { Failure, FailureCode, Result, FileStat, FileText, DirEntry } from './host/root.js';
export { offThread, serveOffThread } from './host/off-thread.js';
export { parseDeb822 } from './host/facts/dpkg/deb822.js';
export { sourceName as debSourceName } from './host/facts/dpkg/status.js';
