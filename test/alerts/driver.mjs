// A small agent-side process for the real-process tests: the outbox and sender of dist/src/alerts/,
// without scans. Enqueues synthetic events (optionally), delivers, and prints a JSON status line every
// 50 ms ({"depth", "dropped", "corrupt", "sent", "failed"}), then {"drained": true} when the outbox is empty.
//   node driver.mjs --state DIR --url URL --token FILE [--enqueue N] [--prefix P] [--batch N] [--exit-when-drained]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Outbox, Sender, createAlertMetrics } from '../../dist/src/alerts/index.js';

const { values } = parseArgs({
  options: {
    state: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    enqueue: { type: 'string', default: '0' },
    prefix: { type: 'string', default: 'ev' },
    batch: { type: 'string', default: '1000' },
    'exit-when-drained': { type: 'boolean', default: false },
  },
});
const log = pino({ level: 'warn' }, pino.destination(2));
let outbox;
const metrics = createAlertMetrics(() => outbox);
outbox = Outbox.open({ dir: `${values.state}/outbox`, maxBytes: 256 * 1024 * 1024, maxAgeMs: 3600_000, log });
const n = Number(values.enqueue);
const t0 = Date.parse('2026-11-24T10:00:00.000Z');
for (let i = 0; i < n; i += 1000) {
  const chunk = [];
  for (let j = i; j < Math.min(n, i + 1000); j++) {
    chunk.push({
      id: `${values.prefix}-${j}`,
      node: `node-${j % 7}`,
      check: `burst.check_${j % 50}`,
      probe: 'burst',
      status: j % 3 === 0 ? 'pass' : 'fail',
      severity: 'medium',
      title: 'synthetic event',
      message: `event ${j}`,
      evidence: [{ file: '/etc/burst', line: j }],
      observedAt: new Date(t0 + j).toISOString(),
    });
  }
  outbox.append(chunk);
}
const sender = new Sender({
  outbox,
  url: values.url,
  tokenFile: values.token,
  log,
  metrics,
  retryInitialMs: 20,
  retryMaxMs: 300,
  maxBatch: Number(values.batch),
  rejectedFile: `${values.state}/rejected.ndjson`,
  timeoutMs: 5000,
});
sender.start();
const status = async () => {
  const text = await metrics.registry.metrics();
  const val = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { depth: outbox.depth, dropped: outbox.droppedEvents, corrupt: outbox.corruptRecords, sent: val('hostward_alerts_sent_total'), failed: val('hostward_alerts_failed_total') };
};
process.stdout.write(JSON.stringify(await status()) + '\n');
const timer = setInterval(async () => {
  const s = await status();
  process.stdout.write(JSON.stringify(s) + '\n');
  if (s.depth === 0) {
    process.stdout.write(JSON.stringify({ drained: true }) + '\n');
    if (values['exit-when-drained']) {
      clearInterval(timer);
      await sender.close();
      outbox.close();
      process.exit(0);
    }
  }
}, 50);
process.on('SIGTERM', async () => {
  clearInterval(timer);
  await sender.close();
  outbox.close();
  process.exit(0);
});
