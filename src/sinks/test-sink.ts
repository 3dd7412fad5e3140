/**
 * `hostward collector test-sink NAME`: send one clearly-marked test notification through the named sink
 * (every replica of an Alertmanager sink), bypassing routes and inhibition, and print what each receiver
 * answered. Exit 0 when every receiver accepted it, 1 otherwise. Secrets stay out of the output: answers
 * and errors pass through the same redaction as the logs.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { CollectorConfig } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import { configNameOf, createBareSinks } from '../collector/sinks.js';
import type { GroupChange } from '../collector/sink.js';
import { SinkError } from '../collector/sink.js';

export const TEST_CHECK = 'hostward.test_notification';
const ANSWER_SHOWN = 500;

export function testChange(now = new Date()): GroupChange {
  const at = now.toISOString();
  return {
    key: `hostward-test-${randomUUID()}`,
    check: TEST_CHECK,
    severity: 'info',
    title: 'TEST notification from `hostward collector test-sink`: nothing is wrong',
    action: 'open',
    status: 'open',
    nodeCount: 1,
    nodes: [hostname()],
    added: [hostname()],
    removed: [],
    openedAt: at,
    updatedAt: at,
    test: true,
  };
}

const oneLine = (s: string) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > ANSWER_SHOWN ? `${t.slice(0, ANSWER_SHOWN)}…` : t;
};

export async function runTestSink(
  cfg: CollectorConfig,
  name: string,
  out: (line: string) => void,
  timeoutMs = 30_000,
): Promise<number> {
  const all = createBareSinks(cfg);
  const sinks = all.filter((s) => configNameOf(s) === name);
  try {
    if (sinks.length === 0) {
      const names = [...new Set(all.map(configNameOf))];
      throw new ConfigError('NAME', `no sink named "${name}" (configured: ${names.join(', ') || 'none'})`);
    }
    const change = testChange();
    let failed = 0;
    for (const s of sinks) {
      try {
        const r = await s.deliver(change, AbortSignal.timeout(timeoutMs));
        const answers = r?.answers ?? [];
        if (r?.skipped) out(`${s.name}: not sent (${r.skipped})`);
        else if (answers.length === 0) out(`${s.name}: delivered`);
        for (const a of answers) out(`${s.name}: HTTP ${a.status} ${oneLine(a.body)}`.trimEnd());
      } catch (e) {
        failed++;
        const a = e instanceof SinkError ? e.answer : undefined;
        if (a && e instanceof SinkError)
          out(
            `${s.name}: HTTP ${a.status} ${oneLine(a.body)} (${e.permanent ? 'refused: a configuration error' : 'failed; the collector would retry'})`.replace(
              /  +/g,
              ' ',
            ),
          );
        else out(`${s.name}: failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return failed > 0 ? 1 : 0;
  } finally {
    for (const s of all) await s.close?.();
  }
}
