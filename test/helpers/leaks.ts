/**
 * Test files share their worker process (isolate: false in test/vitest.config.ts), so what one file leaves
 * running (a server, a timer, a child process) runs on under the next file. This setup file counts the
 * process's active handles before a file and after it, and names the file that left more behind.
 */
import { afterAll, beforeAll } from 'vitest';

let before = new Map<string, number>();
let file = '';

const counts = () => {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
};

const extra = () => {
  const now = counts();
  return [...now].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k, n]) => `${k} +${n - (before.get(k) ?? 0)}`);
};

beforeAll(({}, suite) => {
  file = (suite as { filepath?: string }).filepath ?? '';
  before = counts();
});

afterAll(async () => {
  const end = Date.now() + 3000;
  while (extra().length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const left = extra();
  if (left.length) console.warn(`LEAK ${file}: ${left.join(', ')}`);
});
