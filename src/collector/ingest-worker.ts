/**
 * The collector's ingest worker thread (ingest.ts): its own connection to the database, parsing,
 * validation and group commit off the event loop that serves HTTP; checkpoints in a further thread.
 * Answers each request once its transaction committed (WAL, synchronous=FULL).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, IngestOutcome, ToWorker, WorkerData } from './ingest.js';
import { groupCommitter, ingestRequest } from './ingest.js';
import { Store } from './store.js';

const port = parentPort!;
const { file, sinks, policy, clockSkewMs } = workerData as WorkerData;
const store = new Store({ file, sinks, checkpointEveryMs: 250, clockSkewMs });
const post = (m: FromWorker) => port.postMessage(m);
const add = groupCommitter(store, (e, requests) =>
  post({ t: 'log', msg: 'storing events failed', err: e.message, requests }),
);

// Answers of one turn go back in one message: a postMessage per request would cost more than the work.
let answers: { id: number; r: IngestOutcome }[] = [];
let answering = false;
function answer(id: number, r: IngestOutcome): void {
  answers.push({ id, r });
  if (answering) return;
  answering = true;
  setImmediate(() => {
    answering = false;
    const results = answers;
    answers = [];
    post({ t: 'results', results });
  });
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'ingest':
      return ingestRequest(store, add, policy, m.body, m.meta, (r) => answer(m.id, r));
    case 'silent':
      try {
        return post({ t: 'silent', id: m.id, nodes: store.markSilent(m.ms) });
      } catch (e) {
        return post({ t: 'silent', id: m.id, error: (e as Error).message });
      }
    case 'prune':
      try {
        return post({ t: 'prune', id: m.id, n: store.pruneEvents(m.before, m.limit) });
      } catch (e) {
        return post({ t: 'prune', id: m.id, error: (e as Error).message });
      }
    case 'close':
      // After a commit already scheduled (immediates run in order): its answers go out, then the thread ends.
      setImmediate(() => {
        if (answers.length > 0) post({ t: 'results', results: answers.splice(0) });
        store.close();
        port.close();
      });
      return;
  }
});
post({ t: 'ready' });
