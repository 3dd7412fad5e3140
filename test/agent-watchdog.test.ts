/**
 * The agent's watchdog (src/agent/watchdog.ts): budgets, shedding, metrics, the scan child's usage from
 * /proc, and the event loop staying responsive while the agent scans a fixture root in a child process.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import {
  startWatchdog,
  readProcUsage,
  applyShed,
  markShed,
  shedFromEnv,
  shedSpecs,
  SHED_ENV,
} from '../src/agent/watchdog.js';
import type { Sample } from '../src/agent/watchdog.js';
import { startAgent } from '../src/agent/server.js';
import { childScanner } from '../src/agent/child-scan.js';
import { defaultConfig, validateConfig, ConfigError } from '../src/config/config.js';
import { PROBES } from '../probes/registry.js';
import { catalogue } from '../src/scan/catalogue.js';
import { promtool } from './helpers/promtool.js';
import { waitFor } from './helpers/wait.js';
import type { Report } from '../src/contracts.js';

const CLI = path.resolve('dist/src/cli/main.js');
const FIXTURE = path.resolve('test/fixtures/hosts/debian12-stock');

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

/** A fake clock and sampler: the test moves time and CPU by hand. */
function rig(over: { memoryBytes?: number; cpuPercent?: number; windowSeconds?: number } = {}) {
  let t = 0;
  const s: Sample = { rss: 50 * 1024 * 1024, cpuMicros: 0 };
  const child = new Map<number, { cpuMicros: number; peakRssBytes: number }>();
  const { log, lines } = capture();
  const w = startWatchdog({
    log,
    actions: [...shedSpecs(PROBES).keys()],
    timer: false,
    intervalMs: 1000,
    now: () => t,
    sample: () => ({ ...s }),
    readChild: (pid) => child.get(pid),
    memoryBytes: 100 * 1024 * 1024,
    cpuPercent: 5,
    windowSeconds: 10,
    ...over,
  });
  /** Advance `seconds`, spending `cpuShare` of one core in this process, sampling every second. */
  const run = (seconds: number, cpuShare: number) => {
    for (let i = 0; i < seconds; i++) {
      t += 1000;
      s.cpuMicros += cpuShare * 1e6;
      w.tick();
    }
  };
  return { w, s, child, run, lines, advance: (ms: number) => (t += ms) };
}

const metric = async (w: { registry: { metrics(): Promise<string> } }, name: string): Promise<number | undefined> => {
  const text = await w.registry.metrics();
  const m = new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('watchdog budgets', () => {
  it('defaults are well below osquery (200 MB, 10 % CPU) and are configurable, validated by key', () => {
    const d = defaultConfig().agent.watchdog;
    expect(d.enabled).toBe(true);
    expect(d.memoryBytes).toBeLessThan(200e6);
    expect(d.cpuPercent).toBeLessThan(10);
    const ctx = { checkIds: new Set<string>(), probes: new Map() };
    const c = validateConfig(
      { agent: { watchdog: { memoryBytes: 64 * 1024 * 1024, cpuPercent: 2, windowSeconds: 30 } } },
      ctx,
    );
    expect(c.agent.watchdog).toEqual({
      enabled: true,
      memoryBytes: 64 * 1024 * 1024,
      cpuPercent: 2,
      windowSeconds: 30,
    });
    expect(() => validateConfig({ agent: { watchdog: { cpuPercent: 0 } } }, ctx)).toThrow(ConfigError);
    expect(() => validateConfig({ agent: { watchdog: { memoryBytes: 1 } } }, ctx)).toThrow(
      /agent\.watchdog\.memoryBytes/,
    );
    expect(() => validateConfig({ agent: { watchdog: { rss: 1 } } }, ctx)).toThrow(/agent\.watchdog\.rss: unknown key/);
  });

  it('sheds nothing within budget, everything optional over the memory budget, and counts and logs it', async () => {
    const r = rig();
    r.run(3, 0.01);
    expect(r.w.overBudget()).toEqual({ memory: false, cpu: false });
    expect(r.w.shedForScan()).toEqual([]);
    r.s.rss = 120 * 1024 * 1024;
    r.run(4, 0.01);
    expect(r.w.overBudget().memory).toBe(true);
    expect(r.w.shedForScan()).toEqual(['ssh_live', 'integrity_rehash']);
    expect(await metric(r.w, 'hostward_watchdog_shed_actions_total{action="ssh_live"}')).toBe(1);
    expect(await metric(r.w, 'hostward_watchdog_shed_actions_total{action="integrity_rehash"}')).toBe(1);
    // Three whole seconds over budget after the tick that noticed it.
    expect(await metric(r.w, 'hostward_watchdog_over_budget_seconds_total{resource="memory"}')).toBe(3);
    expect(await metric(r.w, 'hostward_watchdog_memory_bytes')).toBe(120 * 1024 * 1024);
    expect(r.lines.some((l) => l.level === 40 && /over the memory budget/.test(String(l.msg)))).toBe(true);
    expect(r.lines.some((l) => /scan sheds optional work/.test(String(l.msg)))).toBe(true);
    r.s.rss = 60 * 1024 * 1024;
    r.run(1, 0.01);
    expect(r.w.shedForScan()).toEqual([]);
    expect(r.lines.some((l) => /back within the memory budget/.test(String(l.msg)))).toBe(true);
    r.w.close();
  });

  it('averages CPU over the window, counts the scan child, and leaves the over-budget state with hysteresis', async () => {
    const r = rig({ cpuPercent: 5, windowSeconds: 10 });
    r.run(10, 0.02);
    expect(r.w.current().cpuRatio).toBeCloseTo(0.02, 5);
    expect(r.w.overBudget().cpu).toBe(false);
    // A scan child burns 1 s of CPU in 2 s: over the 10 s window, 0.02 + 0.1 = 12 %.
    const done = r.w.trackChild(4242);
    r.child.set(4242, { cpuMicros: 5e5, peakRssBytes: 80 * 1024 * 1024 });
    r.run(1, 0.02);
    r.child.set(4242, { cpuMicros: 1e6, peakRssBytes: 90 * 1024 * 1024 });
    r.run(1, 0.02);
    done();
    expect(r.w.current().cpuRatio).toBeCloseTo(0.12, 2);
    expect(r.w.overBudget().cpu).toBe(true);
    expect(r.w.shedForScan()).toEqual(['ssh_live', 'integrity_rehash']);
    expect(await metric(r.w, 'hostward_watchdog_scan_peak_memory_bytes')).toBe(90 * 1024 * 1024);
    // Once the child's second has left the window, 2 % is within budget again.
    r.run(10, 0.02);
    expect(r.w.overBudget().cpu).toBe(false);
    // Sustained 6 % is over; 4.5 % afterwards is under the budget but above 80 % of it: still over (no flapping).
    r.run(10, 0.06);
    expect(r.w.overBudget().cpu).toBe(true);
    r.run(20, 0.045);
    expect(r.w.current().cpuRatio).toBeCloseTo(0.045, 3);
    expect(r.w.overBudget().cpu).toBe(true);
    r.run(10, 0.01);
    expect(r.w.overBudget().cpu).toBe(false);
    expect(await metric(r.w, 'hostward_watchdog_over_budget_seconds_total{resource="cpu"}')).toBeGreaterThan(20);
    expect(await metric(r.w, 'hostward_watchdog_cpu_budget_ratio')).toBe(0.05);
    r.w.close();
  });

  it('does not count a young agent as overloaded: CPU is averaged over the whole window from the start', () => {
    const r = rig({ cpuPercent: 5, windowSeconds: 60 });
    r.run(2, 0.5); // a start-up scan: 1 s of CPU in the first 2 s
    expect(r.w.current().cpuRatio).toBeCloseTo(1 / 60, 3);
    expect(r.w.overBudget().cpu).toBe(false);
    r.w.close();
  });

  it('exports promtool-clean metrics, every series present from the start', async () => {
    const r = rig();
    const text = await r.w.registry.metrics();
    expect(promtool(text)).toBe('');
    for (const name of [
      'hostward_watchdog_memory_budget_bytes',
      'hostward_watchdog_cpu_budget_ratio',
      'hostward_watchdog_memory_bytes',
      'hostward_watchdog_cpu_ratio',
      'hostward_watchdog_over_budget_seconds_total{resource="memory"}',
      'hostward_watchdog_over_budget_seconds_total{resource="cpu"}',
      'hostward_watchdog_shed_actions_total{action="ssh_live"}',
      'hostward_watchdog_shed_actions_total{action="integrity_rehash"}',
      'hostward_event_loop_delay_max_seconds',
      'hostward_event_loop_delay_p99_seconds',
    ]) {
      expect(await metric(r.w, name), name).toBeDefined();
    }
    r.w.close();
  });

  it('sees a blocked event loop', async () => {
    const r = rig();
    // Node's monitor records from its second timer callback on: wait until it has recorded something.
    await waitFor('the event-loop monitor to run', () => r.w.eventLoop().maxSeconds > 0, 10_000);
    const blockedUntil = Date.now() + 150;
    while (Date.now() < blockedUntil); // block the loop for 150 ms: what the monitor is to see
    // The delay shows once the loop runs again; it never shows if the monitor missed the block.
    await waitFor('the monitor to see the 150 ms block', () => r.w.eventLoop().maxSeconds >= 0.14, 10_000);
    expect(r.w.eventLoop().maxSeconds).toBeGreaterThanOrEqual(0.14);
    r.w.close();
  });
});

describe('the scan child, from /proc', () => {
  it('reads CPU time and peak RSS (VmHWM) of a real process while it runs', async () => {
    // The child touches 64 MiB, burns 300 ms of its own CPU (not wall time: the machine may be busy), says so, waits.
    const script =
      "const b = Buffer.alloc(64 * 1024 * 1024, 1); while (process.cpuUsage().user < 300000); process.stdout.write('ready'); setTimeout(() => {}, 30000);";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((res) => child.stdout.once('data', res));
      const u = readProcUsage(child.pid!);
      expect(u).toBeDefined();
      expect(u!.peakRssBytes).toBeGreaterThan(64 * 1024 * 1024);
      expect(u!.cpuMicros).toBeGreaterThanOrEqual(250_000); // /proc counts 10 ms ticks
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((res) => child.once('exit', res));
    expect(readProcUsage(child.pid!)).toBeUndefined();
  });
});

describe('shedding in the scan child', () => {
  it('reads only known actions from the environment', () => {
    expect(shedFromEnv({ [SHED_ENV]: 'ssh_live,bogus,integrity_rehash' }, PROBES)).toEqual([
      'ssh_live',
      'integrity_rehash',
    ]);
    expect(shedFromEnv({}, PROBES)).toEqual([]);
  });

  it('turns actions into probe options, keeping the rest of each section', () => {
    const c = defaultConfig();
    c.probes.ssh = { maxAuthTries: 3, live: true };
    applyShed(c, ['ssh_live', 'integrity_rehash'], PROBES);
    expect(c.probes.ssh).toEqual({ maxAuthTries: 3, live: false });
    expect(c.probes.integrity).toEqual({ rehashSlices: 1_000_000, workers: 1 });
  });

  it('reports the checks of shed work as unknown, so shedding never resolves an alert', () => {
    const report = {
      findings: [
        { check: 'ssh.live_password_offered', probe: 'ssh', status: 'skip', message: 'live probe disabled' },
        { check: 'ssh.password_auth', probe: 'ssh', status: 'skip', message: 'no sshd' },
        { check: 'ssh.banner', probe: 'ssh', status: 'pass', message: 'ok' },
      ],
      summary: { pass: 1, fail: 0, unknown: 0, skip: 2, accepted: 0 },
    } as unknown as Report;
    markShed(report, ['ssh_live'], PROBES);
    expect(report.findings.map((f) => f.status)).toEqual(['unknown', 'skip', 'pass']);
    expect(report.findings[0]!.message).toMatch(/over its resource budget/);
    expect(report.summary).toEqual({ pass: 1, fail: 0, unknown: 1, skip: 1, accepted: 0 });
  });
});

describe('the agent with its watchdog (real child scans of a fixture root)', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function agentOn(memoryBytes: number, cpuPercent = 5) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-watchdog-'));
    const cfgFile = path.join(dir, 'config.yaml');
    // Live ssh probe on (to a closed loopback port) so that shedding it is visible; nothing leaves 127.0.0.1.
    writeFileSync(
      cfgFile,
      'probes:\n  ssh: { live: true, liveAddress: 127.0.0.1, livePort: 1 }\n  ports: { reachability: false, metadataCheck: false }\n',
    );
    // /v1/report answers authenticated requests only.
    writeFileSync(path.join(dir, 'tokens'), 'watchdog-test-token\n');
    writeFileSync(path.join(dir, 'web.yml'), `bearer_tokens_file: ${path.join(dir, 'tokens')}\n`);
    const config = defaultConfig();
    config.agent.webConfigFile = path.join(dir, 'web.yml');
    config.root = FIXTURE;
    config.agent.watch.enabled = false;
    config.agent.schedule = '0 0 1 1 *';
    config.agent.watchdog = { enabled: true, memoryBytes, cpuPercent, windowSeconds: 60 };
    config.probes = {
      ssh: { live: true, liveAddress: '127.0.0.1', livePort: 1 },
      ports: { reachability: false, metadataCheck: false },
    };
    const scan = childScanner({ probes: PROBES, cli: CLI, root: FIXTURE, configFile: cfgFile, timeoutMs: 60_000 });
    const { log, lines } = capture();
    const agent = await startAgent({
      config,
      probes: PROBES,
      log,
      catalogue: catalogue(PROBES),
      scan,
      port: 0,
      host: '127.0.0.1',
    });
    cleanup = async () => {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    };
    const auth = { headers: { Authorization: 'Bearer watchdog-test-token' } };
    return {
      agent,
      lines,
      auth,
      metrics: async () => (await fetch(`http://127.0.0.1:${agent.port}/metrics`, auth)).text(),
    };
  }

  const value = (text: string, series: string) => {
    const m = new RegExp(`^${series.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };

  it(
    "measures the agent's event loop while it scans in children, and exports the figures",
    { timeout: 90_000 },
    async () => {
      // Budgets out of the way: this test is about the event loop, not shedding.
      const a = await agentOn(1024 * 1024 * 1024, 6400);
      // The start-up scan, then two more, all probes, each in a child process.
      for (let i = 0; i < 3; i++) await a.agent.scanNow();
      const text = await a.metrics();
      expect(promtool(text)).toBe('');
      const max = value(text, 'hostward_event_loop_delay_max_seconds')!;
      const p99 = value(text, 'hostward_event_loop_delay_p99_seconds')!;
      console.log(
        `agent event loop during 3 child scans of ${path.basename(FIXTURE)}: max ${(max * 1000).toFixed(1)} ms, p99 ${(p99 * 1000).toFixed(1)} ms`,
      );
      // The figures only: how small they stay is measured by bench/agent-idle.mjs, not asserted on a shared machine.
      expect(max).toBeGreaterThan(0);
      expect(p99).toBeLessThanOrEqual(max);
      expect(value(text, 'hostward_watchdog_shed_actions_total{action="ssh_live"}')).toBe(0);
      const r = (await (await fetch(`http://127.0.0.1:${a.agent.port}/v1/report`, a.auth)).json()) as Report;
      expect(r.findings.find((f) => f.check === 'ssh.live_password_offered')?.message).toMatch(/could not connect/);
    },
  );

  it(
    'over its memory budget, the agent sheds the live ssh probe and the integrity rehash, and says so',
    { timeout: 90_000 },
    async () => {
      // 16 MiB: any Node process is over it.
      const a = await agentOn(16 * 1024 * 1024);
      // The first scan may start before the first sample; wait for the sample that sees the agent over budget.
      const sawOver = () =>
        a.lines.some((l) => l.component === 'watchdog' && /over the memory budget/.test(String(l.msg)));
      await waitFor('the watchdog to see the agent over budget', sawOver);
      await a.agent.scanNow(); // joins the start-up scan if it still runs: that one may have begun within budget
      const report = await a.agent.scanNow();
      const live = report.findings.filter((f) => f.check.startsWith('ssh.live_'));
      expect(live.length).toBeGreaterThan(0);
      for (const f of live) {
        expect(f.status).toBe('unknown');
        expect(f.message).toMatch(/over its resource budget and shed ssh live work/);
      }
      // Over-budget time is counted from the sample after the one that saw it: wait for the next samples.
      const overSeconds = (t: string) => value(t, 'hostward_watchdog_over_budget_seconds_total{resource="memory"}')!;
      const text = await waitFor('over-budget seconds to be counted', async () => {
        const t = await a.metrics();
        return overSeconds(t) > 0 ? t : undefined;
      });
      expect(value(text, 'hostward_watchdog_shed_actions_total{action="ssh_live"}')).toBeGreaterThanOrEqual(1);
      expect(value(text, 'hostward_watchdog_shed_actions_total{action="integrity_rehash"}')).toBeGreaterThanOrEqual(1);
      expect(value(text, 'hostward_watchdog_over_budget_seconds_total{resource="memory"}')).toBeGreaterThan(0);
      expect(value(text, 'hostward_watchdog_scan_peak_memory_bytes')).toBeGreaterThan(20 * 1024 * 1024);
      expect(sawOver()).toBe(true);
      expect(a.lines.some((l) => /scan sheds optional work/.test(String(l.msg)) && Array.isArray(l.shed))).toBe(true);
    },
  );
});
