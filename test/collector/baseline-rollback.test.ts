/**
 * An older, validly signed integrity baseline put back on a node (a rollback) is raised by the collector as
 * hostward.baseline_rollback (critical): the node's generation went below the highest it reported, or that
 * generation came back with another digest. Against a real collector process: events as agents send them, and
 * the whole path (the integrity probe on a real baseline, the agent's alert flow, the collector).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import type { AlertEvent, AlertGroup, NodeSummary } from '../../src/contracts.js';
import { BASELINE_CHANGED_CHECK, BASELINE_ROLLBACK_CHECK } from '../../src/contracts.js';
import { heartbeat, startAlerting } from '../../src/alerts/index.js';
import { defaultConfig } from '../../src/config/config.js';
import { integrityAccept, integrityInit } from '../../src/integrity/index.js';
import { sandbox, scanIntegrity } from '../integrity/helpers.js';
import { TOKEN, event, makeDirs, post, requireBuild, startCollectorProcess, stop, waitFor } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';

const D = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
const CREATED = '2026-11-20T08:00:00.000Z';
let seq = 0;
/** The agent's heartbeat carrying a baseline; `generation` undefined: an agent from before generations. */
const hb = (
  node: string,
  digest: string,
  generation: number | undefined,
  over: Partial<AlertEvent> = {},
): AlertEvent => {
  const i = ++seq;
  return {
    ...heartbeat(node, new Date(Date.parse('2026-12-06T10:00:00.000Z') + i * 1000)),
    id: `rb-${i}`,
    baseline: { digest, created: CREATED, signed: true, ...(generation !== undefined ? { generation } : {}) },
    ...over,
  };
};

let d: Dirs;
let c: Proc;
beforeAll(async () => {
  requireBuild();
  d = makeDirs();
  c = await startCollectorProcess(d);
}, 30_000);
afterAll(async () => {
  if (c) await stop(c);
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

async function getJson<T>(p: string): Promise<T> {
  const res = await fetch(`${c.base}${p}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}
const node = async (name: string) => (await getJson<NodeSummary[]>('/v1/nodes')).find((n) => n.node === name);
const failing = async (name: string) => (await node(name))?.failing ?? [];
const send = async (...events: AlertEvent[]) => expect((await post(c.base, events)).status).toBe(202);

describe('the collector raises a rollback', () => {
  it('a lower generation than the node reported: critical, shown, delivered; the newest put back resolves it', async () => {
    await send(hb('rb-1', D(1), 1));
    await send(hb('rb-1', D(2), 2));
    expect(await failing('rb-1')).toEqual([BASELINE_CHANGED_CHECK]); // an accept: a change, not a rollback
    await send(hb('rb-1', D(1), 1));
    expect(await failing('rb-1')).toContain(BASELINE_ROLLBACK_CHECK);
    const n = await node('rb-1');
    expect(n!.baseline).toMatchObject({ digest: D(1), generation: 1 });
    const groups = await getJson<AlertGroup[]>('/v1/alerts');
    expect(groups.find((g) => g.check === BASELINE_ROLLBACK_CHECK)).toMatchObject({
      severity: 'critical',
      status: 'open',
      nodes: ['rb-1'],
    });
    const sinkText = () => {
      try {
        return readFileSync(d.sink, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor(
      () => (sinkText().includes(BASELINE_ROLLBACK_CHECK) ? true : undefined),
      10_000,
      () => sinkText(),
    );
    // Reported again: still failing (the node still compares against the old baseline).
    await send(hb('rb-1', D(1), 1));
    expect(await failing('rb-1')).toContain(BASELINE_ROLLBACK_CHECK);
    // The newest baseline put back: resolved.
    await send(hb('rb-1', D(2), 2));
    expect(await failing('rb-1')).not.toContain(BASELINE_ROLLBACK_CHECK);
  });

  it('a step forward from an older baseline is still a rollback until past the highest generation', async () => {
    await send(hb('rb-2', D(5), 5));
    await send(hb('rb-2', D(3), 3));
    await send(hb('rb-2', D(4), 4)); // another old one: higher than the last, lower than the highest
    expect(await failing('rb-2')).toContain(BASELINE_ROLLBACK_CHECK);
    await send(hb('rb-2', D(6), 6)); // rebuilt past it (integrity init --min-generation 6)
    expect(await failing('rb-2')).not.toContain(BASELINE_ROLLBACK_CHECK);
  });

  it('the same generation with another digest is a rollback (or a forgery)', async () => {
    await send(hb('rb-3', D(7), 3));
    await send(hb('rb-3', D(8), 3));
    expect(await failing('rb-3')).toEqual(expect.arrayContaining([BASELINE_ROLLBACK_CHECK, BASELINE_CHANGED_CHECK]));
  });

  it('a format-1 baseline (generation 0) after a numbered one is a rollback; between two format-1 ones it cannot be told', async () => {
    await send(hb('rb-4', D(9), 2));
    await send(hb('rb-4', D(10), 0));
    expect(await failing('rb-4')).toContain(BASELINE_ROLLBACK_CHECK);
    await send(hb('rb-5', D(9), 0));
    await send(hb('rb-5', D(10), 0));
    expect(await failing('rb-5')).toEqual([BASELINE_CHANGED_CHECK]);
    // Agents that send no generation: digest changes only, as before.
    await send(hb('rb-6', D(9), undefined));
    await send(hb('rb-6', D(10), undefined));
    expect(await failing('rb-6')).toEqual([BASELINE_CHANGED_CHECK]);
  });

  it('a late event with an old generation (observed before the newest) is not a rollback', async () => {
    const early = hb('rb-7', D(11), 1);
    await send(hb('rb-7', D(12), 2));
    await send(early);
    expect(await failing('rb-7')).toEqual([]);
  });

  it('bad generation or evidenceOmitted fields are a 400 naming them; good ones are kept', async () => {
    const cases: [Partial<AlertEvent> | Record<string, unknown>, RegExp][] = [
      [
        { baseline: { digest: D(1), created: CREATED, signed: true, generation: -1 } },
        /\[0\]\.baseline\.generation: must be/,
      ],
      [{ baseline: { digest: D(1), created: CREATED, signed: true, generation: 1.5 } }, /baseline\.generation/],
      [{ baseline: { digest: D(1), created: CREATED, signed: true, generation: '2' } }, /baseline\.generation/],
      [{ baseline: { digest: D(1), created: CREATED, signed: true, generation: 2 ** 60 } }, /baseline\.generation/],
      [{ evidenceOmitted: -3 }, /\[0\]\.evidenceOmitted: must be/],
      [{ evidenceOmitted: 'many' }, /evidenceOmitted/],
    ];
    for (const [over, re] of cases) {
      const r = await post(c.base, [{ ...event(900 + ++seq, { node: 'rb-bad' }), ...over }]);
      expect(r.status, JSON.stringify(over)).toBe(400);
      expect((r.body as { error: string }).error).toMatch(re);
    }
    await send(event(990, { id: 'rb-kept', node: 'rb-good', evidenceOmitted: 901 }));
    const db = new DatabaseSync(d.db, { readOnly: true });
    try {
      const row = db.prepare('SELECT body FROM events WHERE id = ?').get('rb-kept') as { body: string };
      expect(JSON.parse(row.body)).toMatchObject({ evidenceOmitted: 901 });
    } finally {
      db.close();
    }
  });
});

describe('the whole path: a baseline put back on a real node root', () => {
  it('the probe reports the older generation, the agent sends it, the collector raises the rollback', async () => {
    const s = sandbox({ 'etc/ssh/sshd_config': 'PasswordAuthentication no\n' });
    const state = mkdtempSync(path.join(os.tmpdir(), 'hostward-rollback-agent-'));
    const config = defaultConfig();
    config.agent.stateDir = state;
    config.agent.collectorUrl = c.base;
    config.agent.tokenFile = d.token;
    config.agent.retryInitialMs = 20;
    config.agent.retryMaxMs = 200;
    const alerting = startAlerting({ config, log: pino({ level: 'silent' }) });
    try {
      writeFileSync(
        `${s.state}/policy.yaml`,
        'version: 1\nrules:\n  - {path: /etc/ssh, properties: config, category: ssh}\n',
      );
      const lib = { root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key };
      const scan = async () => {
        const r = await scanIntegrity(s.root, { db: s.db, policy: lib.policy, keyFile: s.key });
        r.node = 'rb-real';
        await alerting.onReport(r);
      };
      await integrityInit(lib);
      copyFileSync(s.db, `${s.state}/kept-by-intruder.db`);
      await scan();
      await waitFor(
        async () => ((await node('rb-real'))?.baseline?.generation === 1 ? true : undefined),
        10_000,
        () => 'first baseline',
      );
      writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
      await integrityAccept(lib); // generation 2: an operator accepts a change
      await scan();
      await waitFor(
        async () => ((await node('rb-real'))?.baseline?.generation === 2 ? true : undefined),
        10_000,
        () => 'accepted baseline',
      );
      copyFileSync(`${s.state}/kept-by-intruder.db`, s.db); // the old, validly signed baseline put back
      await scan();
      const raised = async () => ((await failing('rb-real')).includes(BASELINE_ROLLBACK_CHECK) ? true : undefined);
      await waitFor(raised, 10_000, () => 'the rollback, raised');
      expect((await node('rb-real'))!.baseline).toMatchObject({ generation: 1, signed: true });
    } finally {
      await alerting.close();
      s.cleanup();
      rmSync(state, { recursive: true, force: true });
    }
  });
});
