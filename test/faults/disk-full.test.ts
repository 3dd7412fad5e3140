/**
 * Disk full under the agent's outbox: the agent's state directory is a 512 KiB tmpfs mounted for the
 * test (root only; the test is skipped elsewhere, saying so). The built `hostward agent` scans a fixture
 * host every second and delivers to the built `hostward collector`. The tmpfs is filled to the last byte
 * while a check changes; the agent must keep running and serving, count and log the failure, leave no
 * torn record in the outbox, and deliver the change once space returns: the collector's sink sees each
 * group change exactly once.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { decodeRecords } from '../../src/alerts/framing.js';
import { makeDirs, requireBuild, startCollectorProcess, stop, waitFor } from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';
import { sample, startAgentProcess, stopAgent } from './agent.js';
import type { AgentProc } from './agent.js';

const CHECK = 'kernel.tcp_syncookies';
const isRoot = process.getuid?.() === 0;

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return (e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message;
  }
}

/** Fill the file system under `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'a');
  const block = Buffer.alloc(4096, 0x5a);
  try {
    for (;;) writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // The last partial block too.
  try {
    for (;;) writeSync(fd, block, 0, 1);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return file;
}

let host: Materialized | undefined;
let d: Dirs | undefined;
let collector: Proc | undefined;
let base = '';
let mnt = '';
let mounted = false;
let mountError: string | undefined;
const agents: AgentProc[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  requireBuild();
  base = mkdtempSync(path.join(os.tmpdir(), 'hostward-diskfull-'));
  mnt = path.join(base, 'state');
  mkdirSync(mnt);
  mountError = tryMount(mnt);
  mounted = mountError === undefined;
  if (!mounted) return;
  host = materialize('kernel-weak-node');
  d = makeDirs();
  collector = await startCollectorProcess(d);
});

afterAll(async () => {
  for (const a of agents) await stopAgent(a);
  if (collector) await stop(collector);
  if (mounted) execFileSync('umount', [mnt]);
  host?.cleanup();
  if (d) rmSync(d.dir, { recursive: true, force: true });
  if (base) rmSync(base, { recursive: true, force: true });
});

const sinkActions = () =>
  existsSync(d!.sink)
    ? readFileSync(d!.sink, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { check: string; action: string })
        .filter((c) => c.check === CHECK)
        .map((c) => c.action)
    : [];

function agent(): AgentProc {
  const cfg = path.join(base, 'agent.yaml');
  writeFileSync(
    cfg,
    'scan:\n  probes: [kernel]\nprobes:\n  kernel: { persistence: false }\nagent:\n  listen: 127.0.0.1\n  schedule: "* * * * * *"\n  retryInitialMs: 50\n  retryMaxMs: 400\n  watch: { enabled: false }\n',
  );
  const a = startAgentProcess({
    root: host!.root,
    config: cfg,
    env: {
      HOSTWARD_NODE_NAME: 'diskfull-node',
      HOSTWARD_COLLECTOR_URL: collector!.base,
      HOSTWARD_TOKEN_FILE: d!.token,
      HOSTWARD_STATE_DIR: mnt,
    },
  });
  agents.push(a);
  return a;
}

const syncookies = (v: 0 | 1) => writeFileSync(path.join(host!.root, 'proc/sys/net/ipv4/tcp_syncookies'), `${v}\n`);

describe('disk full under the outbox', () => {
  it.skipIf(!isRoot)(
    'keeps running, counts the failure, corrupts nothing, and delivers the change once space returns',
    async (ctx) => {
      // A container without CAP_SYS_ADMIN cannot mount: say so and skip, rather than pass without testing.
      if (!mounted) return ctx.skip(`root, but mount -t tmpfs failed: ${mountError}`);
      const a = agent();
      await a.port();
      await waitFor(
        () => (sinkActions().length === 1 ? true : undefined),
        30_000,
        () => a.logs(),
      );
      expect(sinkActions()).toEqual(['open']);

      // Full. A record may still fit in the last page of the segment (and gets delivered); once scans go
      // by with nothing sent, appends fail. Then the check resolves, while the disk stays full.
      const filler = fill(mnt);
      const metrics = () =>
        a.metrics().catch((e: Error) => {
          throw new Error(`agent gone (${e.message}), exit ${String(a.child.exitCode)}: ${a.logs().slice(-3000)}`);
        });
      const stalled = async (scans: number) => {
        let from: { scans: number; sent: number } | undefined;
        return waitFor(
          async () => {
            const t = await metrics();
            const now = {
              scans: sample(t, 'hostward_scans_total'),
              sent: sample(t, 'hostward_alerts_sent_total', 'sink="collector"'),
            };
            if (!from || now.sent !== from.sent) from = now;
            return now.scans - from.scans >= scans ? t : undefined;
          },
          40_000,
          () => a.logs(),
          200,
        );
      };
      await stalled(2);
      syncookies(1);
      const full = await stalled(3);
      expect(sample(full, 'hostward_outbox_write_errors_total')).toBeGreaterThanOrEqual(3);
      expect(a.child.exitCode).toBeNull();
      expect(a.logs()).toMatch(/"err":"ENOSPC[^"]*"[^\n]*alert hook failed/);
      expect(sample(full, 'hostward_outbox_corrupt_records_total')).toBe(0);
      expect((await fetch(`http://127.0.0.1:${await a.port()}/healthz`)).status).toBe(200);
      // The resolve could not be written, so it cannot have been sent.
      expect(sinkActions()).toEqual(['open']);

      // Space returns: the resolve is delivered, once; the agent never restarted.
      rmSync(filler);
      await waitFor(
        () => (sinkActions().length === 2 ? true : undefined),
        20_000,
        () => a.logs(),
      );
      syncookies(0);
      await waitFor(
        () => (sinkActions().length === 3 ? true : undefined),
        20_000,
        () => a.logs(),
      );
      // Nothing of it is left to send: two scans later the outbox is empty, so no second copy is on its way.
      const scansThen = sample(await metrics(), 'hostward_scans_total');
      await waitFor(
        async () => {
          const t = await metrics();
          const later = sample(t, 'hostward_scans_total') >= scansThen + 2;
          return later && sample(t, 'hostward_outbox_events') === 0 ? true : undefined;
        },
        20_000,
        () => a.logs(),
        100,
      );
      expect(sinkActions()).toEqual(['open', 'resolve', 'open']);
      expect(a.child.exitCode).toBeNull();
      const after = await a.metrics();
      expect(sample(after, 'hostward_outbox_corrupt_records_total')).toBe(0);
      expect(sample(after, 'hostward_outbox_dropped_events_total')).toBe(0);

      // Every record left in the outbox decodes: no torn bytes from the failed writes.
      expect(await stopAgent(a)).toBe(0);
      const outbox = path.join(mnt, 'outbox');
      for (const f of readdirSync(outbox).filter((n) => n.startsWith('seg-')))
        expect(decodeRecords(readFileSync(path.join(outbox, f))).corrupt, f).toBe(0);
      // And a restart over it finds nothing corrupted and re-announces nothing.
      const b = agent();
      const t = await waitFor(
        async () => {
          const m = await b.metrics();
          return sample(m, 'hostward_scans_total') >= 2 ? m : undefined;
        },
        30_000,
        () => b.logs(),
      );
      expect(sample(t, 'hostward_outbox_corrupt_records_total')).toBe(0);
      expect(sinkActions()).toEqual(['open', 'resolve', 'open']);
      expect(await stopAgent(b)).toBe(0);
    },
    120_000,
  );
});

describe('the outbox on a full disk, directly', () => {
  it.skipIf(!isRoot)(
    'a failed append leaves whole records only, and what append() accepted is exactly what a reopen finds',
    async (ctx) => {
      // A container without CAP_SYS_ADMIN cannot mount: say so and skip, rather than pass without testing.
      if (!mounted) return ctx.skip(`root, but mount -t tmpfs failed: ${mountError}`);
      const { Outbox } = await import('../../src/alerts/outbox.js');
      const { pino } = await import('pino');
      const dir = path.join(mnt, 'direct');
      const log = pino({ level: 'silent' });
      const ob = Outbox.open({ dir, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3600_000, log, segmentBytes: 64 * 1024 });
      const accepted: string[] = [];
      let failures = 0;
      // Events of uneven sizes, so a write ends in the middle of a record when the space runs out.
      for (let i = 0; failures < 5 && i < 100_000; i++) {
        const events = [0, 1, 2].map((j) => ({
          id: `ev-${i}-${j}`,
          node: 'n',
          check: 'c.x',
          probe: 'c',
          status: 'fail' as const,
          severity: 'low' as const,
          title: 't',
          message: 'm'.repeat(((i * 7919 + j * 104_729) % 3000) + 1),
          evidence: [],
          observedAt: new Date(0).toISOString(),
        }));
        try {
          ob.append(events);
          accepted.push(...events.map((e) => e.id));
        } catch (e) {
          expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
          failures++;
        }
      }
      expect(failures).toBe(5);
      expect(ob.writeErrors).toBe(5);
      expect(ob.depth).toBe(accepted.length);
      ob.close();
      for (const f of readdirSync(dir).filter((n) => n.startsWith('seg-')))
        expect(decodeRecords(readFileSync(path.join(dir, f))).corrupt, f).toBe(0);
      const again = Outbox.open({ dir, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3600_000, log, segmentBytes: 64 * 1024 });
      expect(again.corruptRecords).toBe(0);
      expect(again.peek(1e9).map((p) => p.event.id)).toEqual(accepted);
      again.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
});
