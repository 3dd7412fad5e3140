/**
 * Clock jumps with real processes: the built collector and agent run under libfaketime (Debian's
 * `faketime` package), whose offset is read from a file this test rewrites while they run
 * (FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE=1). FAKETIME_DONT_FAKE_MONOTONIC=1 keeps CLOCK_MONOTONIC
 * real, as an NTP step or a restored VM does: only the wall clock jumps.
 *
 * - Collector: three nodes report, one stops; the wall clock jumps two hours forward. No node_silent
 *   storm reaches the sink, and the stopped node is flagged once it has really been silent for
 *   silentAfterSeconds (neither at the jump nor two hours later).
 * - Agent: the collector is down; a check fails and then resolves; the wall clock jumps two hours past
 *   outboxMaxAgeSeconds. Nothing is dropped, and once the collector is up it stores the failure and the
 *   resolve, once each (before the fix, both were dropped at the jump and never sent).
 *
 * Skipped, saying why, when libfaketime is not installed (.ci/install-test-deps should install `faketime`).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setInterval } from 'node:timers/promises';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import {
  CLI,
  TOKEN,
  makeDirs,
  post,
  requireBuild,
  startCollectorProcess,
  stop,
  waitFor,
} from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import { sample, startAgentProcess, stopAgent } from './agent.js';
import type { AgentProc } from './agent.js';
import { openDatabase } from '../../src/collector/sqlite.js';
import type { AlertEvent } from '../../src/contracts.js';
import { heartbeat as agentHeartbeat } from '../../src/alerts/index.js';

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
].find((f) => existsSync(f));
const SKIP = LIBFAKETIME
  ? undefined
  : 'libfaketime is not installed (Debian package `faketime`; add it to .ci/install-test-deps)';
const HOUR = 3600_000;

const cleanups: (() => void | Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
beforeAll(() => {
  if (!SKIP) requireBuild();
});

/** A faked clock: the offset file and the environment that puts a process under it. */
function fakeClock(): { env: Record<string, string>; jump: (spec: string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-faketime-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'offset');
  writeFileSync(file, '+0\n');
  return {
    env: {
      LD_PRELOAD: LIBFAKETIME!,
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
    jump: (spec) => writeFileSync(file, `${spec}\n`),
  };
}

interface Change {
  check: string;
  action: string;
  added: string[];
  removed: string[];
  nodes: string[];
}
const sinkChanges = (d: Dirs, check: string): Change[] =>
  existsSync(d.sink)
    ? readFileSync(d.sink, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Change)
        .filter((c) => c.check === check)
    : [];

/** The built collector under the faked clock (startCollectorProcess passes only PATH). */
async function collectorUnder(
  d: Dirs,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; base: string; logs: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'collector', '--port', '0', '--config', d.config], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (logs += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (logs += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const port = await waitFor(
    () => Number(/"port":(\d+)[^\n]*collector listening/.exec(logs)?.[1] ?? NaN) || undefined,
    60_000,
    () => `the collector to start: ${logs}`,
  );
  return { child, base: `http://127.0.0.1:${port}`, logs: () => logs, exited };
}

const heartbeat = (node: string, i: number): AlertEvent => ({
  ...agentHeartbeat(node, new Date()),
  id: `hb-${node}-${i}`,
});

/** The nodes that have been flagged silent, in the order the sink was told (one node_silent group, opened once). */
const silentNodes = (d: Dirs): string[] => sinkChanges(d, 'hostward.node_silent').flatMap((ch) => ch.added);

describe('real processes under libfaketime', () => {
  it.skipIf(SKIP !== undefined)(
    `the collector's wall clock jumps 2 h forward: no node_silent storm, the stopped node found on time${SKIP ? ` (skipped: ${SKIP})` : ''}`,
    async () => {
      const SILENT_S = 4;
      const d = makeDirs(`  silentAfterSeconds: ${SILENT_S}\n`);
      cleanups.push(() => rmSync(d.dir, { recursive: true, force: true }));
      const clock = fakeClock();
      const c = await collectorUnder(d, clock.env);
      let i = 0;
      const send = async (nodes: string[]) => {
        const r = await post(
          c.base,
          nodes.map((n) => heartbeat(n, i++)),
        );
        expect(r.status).toBe(202);
      };
      // Markers instead of fixed waits: a node that reports once is flagged by the first silent-node check after
      // it has been silent for SILENT_S, so its flag says that checks are running and that SILENT_S of real time
      // passed with them; whatever they did to the other nodes meanwhile is in the sink by then.
      const marker = async (node: string) => {
        await send([node]);
        return waitFor(
          () => silentNodes(d).includes(node) || undefined,
          45_000,
          () => `${node} was never flagged silent: ${c.logs()}`,
          50,
        );
      };
      // Nodes report every 400 ms (real time, as agents on a schedule do), from before the start grace ends until
      // after the jump; rounds counts their reports.
      const stopped = new Set<string>();
      const lastSent = new Map<string, number>();
      let rounds = 0;
      let reporting = true;
      const reporter = (async () => {
        for await (const _ of setInterval(400)) {
          if (!reporting) break;
          const nodes = ['node-1', 'node-2', 'node-3'].filter((n) => !stopped.has(n));
          const sentAt = performance.now(); // before the collector sees it: the silence measured is never longer
          await send(nodes);
          for (const n of nodes) lastSent.set(n, sentAt);
          rounds++;
        }
      })();
      try {
        await waitFor(
          () => rounds > 0 || undefined,
          15_000,
          () => c.logs(),
        );
        await marker('marker-grace'); // past the start grace: silent checks run
        stopped.add('node-3');
        // Two rounds without node-3 (the one under way may still have carried it): its last report is behind it.
        const r0 = rounds;
        await waitFor(
          () => rounds >= r0 + 2 || undefined,
          15_000,
          () => c.logs(),
        );
        const beforeJump = Date.now();
        clock.jump('+2h');
        // The collector's clock really moved (its /v1/nodes times are two hours ahead).
        await waitFor(
          async () => {
            const nodes = (await (
              await fetch(`${c.base}/v1/nodes`, { headers: { Authorization: `Bearer ${TOKEN}` } })
            ).json()) as { node: string; lastSeenAt: string }[];
            const n1 = nodes.find((n) => n.node === 'node-1');
            return n1 && Date.parse(n1.lastSeenAt) > beforeJump + HOUR ? true : undefined;
          },
          10_000,
          () => 'the collector did not see the jump',
          100,
        );
        // node-3 is flagged once its real silence passes SILENT_S: not at the jump (it had not been silent that
        // long), and not hours later (the deadline is 45 s of real time).
        const flagged = await waitFor(
          () => (silentNodes(d).includes('node-3') ? performance.now() : undefined),
          45_000,
          () => c.logs(),
          50,
        );
        const silentFor = (flagged - lastSent.get('node-3')!) / 1000;
        expect(silentFor).toBeGreaterThanOrEqual(SILENT_S - 0.5);
        // node-1 and node-2 keep reporting through the checks of a further SILENT_S after the jump: never flagged.
        await marker('marker-after');
        const changes = sinkChanges(d, 'hostward.node_silent');
        expect(changes.map((ch) => [ch.action, ch.added, ch.removed])).toEqual([
          ['open', ['marker-grace'], []],
          ['update', ['node-3'], []],
          ['update', ['marker-after'], []],
        ]);
        expect(c.logs()).toMatch(/"stepSeconds":72\d\d[^\n]*wall clock stepped/);
      } finally {
        reporting = false;
        await reporter;
        c.child.kill('SIGTERM');
        expect(await c.exited).toBe(0);
      }
    },
    120_000,
  );

  it.skipIf(SKIP !== undefined)(
    `the agent's wall clock jumps 2 h past outboxMaxAgeSeconds: nothing dropped, the failure and its resolve stored once each${SKIP ? ` (skipped: ${SKIP})` : ''}`,
    async () => {
      const CHECK = 'kernel.tcp_syncookies';
      const host: Materialized = materialize('kernel-weak-node');
      cleanups.push(() => host.cleanup());
      const d = makeDirs();
      cleanups.push(() => rmSync(d.dir, { recursive: true, force: true }));
      const state = mkdtempSync(path.join(os.tmpdir(), 'hostward-faketime-agent-'));
      cleanups.push(() => rmSync(state, { recursive: true, force: true }));
      // A port with nothing on it yet: the collector is down until the jump is over.
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const cfg = path.join(state, 'agent.yaml');
      // The test flips the value in force; with persistence judged too the check would keep failing (not persisted).
      writeFileSync(
        cfg,
        'scan:\n  probes: [kernel]\nprobes:\n  kernel: { persistence: false }\nagent:\n  listen: 127.0.0.1\n  schedule: "* * * * * *"\n  retryInitialMs: 50\n  retryMaxMs: 300\n  outboxMaxAgeSeconds: 60\n  watch: { enabled: false }\n',
      );
      const syncookies = (v: 0 | 1) =>
        writeFileSync(path.join(host.root, 'proc/sys/net/ipv4/tcp_syncookies'), `${v}\n`);
      syncookies(0);
      const clock = fakeClock();
      const a: AgentProc = startAgentProcess({
        root: host.root,
        config: cfg,
        env: {
          ...clock.env,
          HOSTWARD_NODE_NAME: 'jump-node',
          HOSTWARD_COLLECTOR_URL: `http://127.0.0.1:${port}`,
          HOSTWARD_TOKEN_FILE: d.token,
          HOSTWARD_STATE_DIR: path.join(state, 'state'),
        },
      });
      cleanups.push(() => stopAgent(a));
      let collector: Proc | undefined;
      try {
        const scans = async () => sample(await a.metrics(), 'hostward_scans_total');
        await waitFor(
          async () => ((await scans()) >= 2 ? true : undefined),
          30_000,
          () => a.logs(),
          200,
        );
        syncookies(1); // the check resolves while the collector is down
        const after = (await scans()) + 2;
        await waitFor(
          async () => ((await scans()) >= after ? true : undefined),
          30_000,
          () => a.logs(),
          200,
        );
        clock.jump('+2h'); // every pending event is now "two hours old" on the wall clock
        const jumped = (await scans()) + 3;
        const m = await waitFor(
          async () => {
            const t = await a.metrics();
            return sample(t, 'hostward_scans_total') >= jumped ? t : undefined;
          },
          30_000,
          () => a.logs(),
          200,
        );
        // The agent's clock really jumped: its log lines are stamped two hours ahead.
        const stamps = [...a.logs().matchAll(/"time":(\d+)/g)].map((x) => Number(x[1]));
        expect(Math.max(...stamps)).toBeGreaterThan(Date.now() + HOUR);
        expect(sample(m, 'hostward_outbox_dropped_events_total')).toBe(0);
        expect(sample(m, 'hostward_outbox_oldest_event_age_seconds')).toBeLessThan(600);
        expect(sample(m, 'hostward_outbox_events')).toBeGreaterThan(0);
        expect(a.logs()).not.toMatch(/oldest unsent events dropped/);

        // The collector comes up (on the real clock): the outbox drains; the failure and its resolve are
        // stored, once each (in one batch they net to no group change, so the sink is not the witness).
        collector = await startCollectorProcess(d, port);
        await waitFor(
          async () => (sample(await a.metrics(), 'hostward_outbox_events') === 0 ? true : undefined),
          30_000,
          () => `${a.logs()}\n${collector!.logs()}`,
          100,
        );
        expect(sample(await a.metrics(), 'hostward_outbox_dropped_events_total')).toBe(0);
        expect(await stopAgent(a)).toBe(0);
        expect(await stop(collector)).toBe(0);
        collector = undefined;
        const db = openDatabase(d.db, { readOnly: true });
        try {
          const rows = db
            .prepare(`SELECT id, status FROM events WHERE node = 'jump-node' AND check_id = ? ORDER BY seq`)
            .all(CHECK) as { id: string; status: string }[];
          expect(rows.map((r) => r.status)).toEqual(['fail', 'pass']);
          const state = db
            .prepare(`SELECT failing FROM node_checks WHERE node = 'jump-node' AND check_id = ?`)
            .get(CHECK) as { failing: number };
          expect(state.failing).toBe(0);
        } finally {
          db.close();
        }
        expect(sinkChanges(d, CHECK)).toEqual([]);
      } finally {
        await stopAgent(a);
        if (collector) await stop(collector);
      }
    },
    120_000,
  );
});
