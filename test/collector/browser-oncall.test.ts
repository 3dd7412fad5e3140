/**
 * The on-call views of the fleet page at 5,000 nodes, as a person sees them: Debian's Chromium (headless,
 * through playwright-core) against a real `hostward collector` process on 127.0.0.1, on a database filled
 * through the Store's own ingest (events spread over the last days, mixed severities, a hostile node name).
 * Asserts what can go wrong: the first open group is the most severe one with the most nodes, the node page's
 * coverage and host facts (OS, kernel, architecture, agent version) equal the store's, nothing is cut off in the
 * check headers, no CSP violation or script error.
 * Screenshots of the fleet, a group, a node and the new-since view go to a temp dir (printed) for a person to
 * look at; the render time is printed, not asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AlertEvent, HostFacts, Severity } from '../../src/contracts.js';
import { SEVERITIES } from '../../src/contracts.js';
import { nodePath } from '../../src/collector/page.js';
import { openDatabase } from '../../src/collector/sqlite.js';
import { Store, groupKey } from '../../src/collector/store.js';
import { makeDirs, requireBuild, startCollectorProcess, stop, TOKEN } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';
import { haveChromium, launchChromium } from '../helpers/chromium.js';

const NODES = 5000;
const DAY = 86_400_000;
const HOSTILE = `evil"><img src=x onerror="window.__xss=1">-node`;
const node = (i: number) => (i === 77 ? HOSTILE : `worker-${String(i).padStart(4, '0')}`);

/** Checks failing on a share of the nodes, opened some days ago; the least severe are updated last. */
const FLEET: { check: string; severity: Severity; title: string; every: number; daysAgo: number }[] = [
  {
    check: 'ssh.password_auth',
    severity: 'high',
    title: 'SSH password authentication is disabled',
    every: 2,
    daysAgo: 9,
  },
  {
    check: 'ssh.permit_root_login',
    severity: 'high',
    title: 'SSH root login is not allowed with a password',
    every: 7,
    daysAgo: 6,
  },
  {
    check: 'tls.cert_expiry',
    severity: 'critical',
    title: 'Certificates are not about to expire',
    every: 25,
    daysAgo: 3,
  },
  { check: 'integrity.tamper', severity: 'critical', title: 'Integrity baseline verifies', every: 400, daysAgo: 0.2 },
  { check: 'kernel.rp_filter', severity: 'medium', title: 'Reverse path filtering is on', every: 3, daysAgo: 5 },
  {
    check: 'updates.security_pending',
    severity: 'low',
    title: 'No security updates are pending',
    every: 4,
    daysAgo: 2,
  },
  {
    check: 'kernel.kptr_restrict_with_a_long_name_to_show_headers',
    severity: 'info',
    title: 'Kernel pointers are hidden',
    every: 1,
    daysAgo: 0.1,
  },
];

/** What the agents send: two OS releases across the fleet, markup in the hostile node's (printable, so accepted). */
function hostFacts(n: number): HostFacts {
  const ubuntu = n % 3 !== 0;
  return {
    osName:
      n === 77 ? `<img src=x onerror="window.__xss=2"> OS` : ubuntu ? 'Ubuntu 24.04.1 LTS' : 'Flatcar Container Linux',
    osId: ubuntu ? 'ubuntu' : 'flatcar',
    osVersion: ubuntu ? '24.04' : '4081.2.1',
    kernel: ubuntu ? `6.8.0-${40 + (n % 9)}-generic` : '6.6.60-flatcar',
    arch: n % 5 === 0 ? 'aarch64' : 'x86_64',
    agentVersion: n % 4 === 0 ? '0.8.2' : '0.9.0',
  };
}

let d: Dirs;
let c: Proc | undefined;
let browser: Browser | undefined;
let shots: string;
const problems: string[] = [];

function seedStore(file: string): void {
  const now = Date.now();
  let clock = now;
  const store = new Store({ file, sinks: ['file'], now: () => clock });
  let seq = 0;
  const ev = (n: number, f: (typeof FLEET)[number], over: Partial<AlertEvent> = {}): AlertEvent => ({
    id: `oc-${++seq}`,
    node: node(n),
    check: f.check,
    probe: f.check.split('.')[0]!,
    status: 'fail',
    severity: f.severity,
    title: f.title,
    message: `${f.check} fails on ${node(n)}: <b>not</b> markup`,
    evidence: [{ file: '/etc/example.conf', line: n, text: `value on ${node(n)}` }],
    observedAt: new Date(clock).toISOString(),
    ...over,
  });
  // Oldest first, so each check opens on its day; the arrival clock moves with it.
  for (const f of [...FLEET].sort((a, b) => b.daysAgo - a.daysAgo)) {
    clock = now - f.daysAgo * DAY;
    const events: AlertEvent[] = [];
    for (let n = 0; n < NODES; n++) if (n % f.every === 0) events.push(ev(n, f));
    for (let i = 0; i < events.length; i += 2000) store.ingest([events.slice(i, i + 2000)]);
  }
  // Yesterday a tenth of the password-auth nodes were fixed.
  clock = now - DAY;
  const fixes: AlertEvent[] = [];
  for (let n = 0; n < NODES; n += 20)
    fixes.push(ev(n, FLEET[0]!, { status: 'pass', message: 'PasswordAuthentication no' }));
  store.ingest([fixes]);
  // In the last hour every open alert is re-sent (agents do so hourly by default): the chart's bar for today.
  clock = now - 20 * 60_000;
  const open = store.db.prepare(`SELECT node, check_id, severity, title FROM node_checks WHERE failing = 1`).all() as {
    node: string;
    check_id: string;
    severity: Severity;
    title: string;
  }[];
  const resends = open.map((r) =>
    ev(
      NODES,
      { check: r.check_id, severity: r.severity, title: r.title, every: 1, daysAgo: 0 },
      { node: r.node, message: `${r.check_id} fails on ${r.node}: <b>not</b> markup` },
    ),
  );
  for (let i = 0; i < resends.length; i += 2000) store.ingest([resends.slice(i, i + 2000)]);
  // Every node reports now (a heartbeat), so none is silent; its batch carries the node's host facts.
  clock = now - 30_000;
  const beats = Array.from({ length: NODES }, (_, n) => ({
    ...ev(n, FLEET[6]!),
    check: 'hostward.heartbeat',
    probe: 'hostward',
    status: 'pass' as const,
    severity: 'info' as const,
    host: hostFacts(n),
  }));
  for (let i = 0; i < beats.length; i += 2000) store.ingest([beats.slice(i, i + 2000)]);
  store.close();
}

async function newPage(): Promise<Page> {
  const ctx = await browser!.newContext({
    httpCredentials: { username: 'ops', password: TOKEN },
    viewport: { width: 1400, height: 1000 },
  });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404\b/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('dialog', (dlg) => {
    problems.push(`dialog: ${dlg.message()}`);
    void dlg.dismiss();
  });
  return page;
}

function readStore<T>(f: (db: ReturnType<typeof openDatabase>) => T): T {
  const db = openDatabase(d.db, { readOnly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}

function failingInStore(): number {
  const db = openDatabase(d.db, { readOnly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM node_checks WHERE failing = 1`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The store's own view of the open groups, most severe then widest first. */
function openGroupsInStore(): { check: string; severity: Severity; node_count: number }[] {
  const db = openDatabase(d.db, { readOnly: true });
  try {
    const rows = db
      .prepare(`SELECT check_id AS "check", severity, node_count FROM groups WHERE status = 'open'`)
      .all() as { check: string; severity: Severity; node_count: number }[];
    return rows.sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        b.node_count - a.node_count ||
        a.check.localeCompare(b.check),
    );
  } finally {
    db.close();
  }
}

describe.skipIf(!haveChromium)(`on-call fleet views at ${NODES} nodes in headless Chromium`, () => {
  beforeAll(async () => {
    requireBuild();
    d = makeDirs();
    seedStore(d.db);
    c = await startCollectorProcess(d);
    shots = mkdtempSync(path.join(os.tmpdir(), 'hostward-oncall-shots-'));
    console.log(`screenshots: ${shots}`);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (c) expect(await stop(c)).toBe(0);
    if (d) rmSync(d.dir, { recursive: true, force: true });
  });

  it('puts the most severe, widest group first and keeps the check headers whole', async () => {
    const page = await newPage();
    const started = performance.now();
    await page.goto(`${c!.base}/`);
    console.log(
      `fleet page at ${NODES} nodes: ${(performance.now() - started).toFixed(0)} ms to load; ${await page.locator('footer').innerText()}`,
    );
    // Again, with the chart cached (it is kept a minute): what the rest of the page costs.
    for (const path of ['/', '/?gpage=1', '/new', `/nodes/${node(1)}`]) {
      const again = performance.now();
      await page.goto(`${c!.base}${path}`);
      console.log(
        `${path}: ${(performance.now() - again).toFixed(0)} ms to load; ${(await page.locator('footer').count()) > 0 ? await page.locator('footer').innerText() : ''}`,
      );
    }
    await page.goto(`${c!.base}/`);
    expect(await page.locator('#count-nodes').innerText()).toBe(`${NODES.toLocaleString('en-US')} nodes`);
    const expected = openGroupsInStore();
    const shown = await page.locator('#open-groups tbody tr').evaluateAll((rows) =>
      rows.map((r) => ({
        check: r.getAttribute('data-group'),
        severity: r.getAttribute('data-severity'),
        nodes: Number(r.getAttribute('data-nodes')),
      })),
    );
    expect(shown[0]).toEqual({ check: expected[0]!.check, severity: 'critical', nodes: expected[0]!.node_count });
    expect(shown).toEqual(
      expected.slice(0, shown.length).map((g) => ({ check: g.check, severity: g.severity, nodes: g.node_count })),
    );
    expect(await page.locator('#open-groups tbody tr').first().locator('.failing-label').innerText()).toBe('Failing:');
    // Each rotated header shows its whole check id: the text is not wider than its box.
    const cut = await page
      .locator('#matrix thead th.check .vert')
      .evaluateAll((spans) =>
        spans
          .filter((s) => s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1)
          .map((s) => s.textContent),
      );
    expect(cut).toEqual([]);
    // The chart is drawn on the server: 14 days; today's bar counts the failing checks re-sent in the last hour.
    expect(await page.locator('#trend-chart g[data-day]').count()).toBe(14);
    const today = new Date().toISOString().slice(0, 10);
    expect(Number(await page.locator(`#trend-chart g[data-day="${today}"]`).getAttribute('data-failing'))).toBe(
      failingInStore(),
    );
    await page.screenshot({ path: path.join(shots, 'fleet.png'), fullPage: false });
    await page.locator('#open-groups').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'fleet-groups.png'), fullPage: false });
    await page.context().close();
  }, 60_000);

  it("shows a group's remediation and references", async () => {
    const page = await newPage();
    await page.goto(`${c!.base}/`);
    await Promise.all([
      page.waitForURL(/\/groups\//),
      page.locator('#open-groups tr[data-group="ssh.password_auth"] a').first().click(),
    ]);
    expect(page.url()).toBe(`${c!.base}/groups/${groupKey('ssh.password_auth', 'high')}`);
    expect(await page.locator('h1').innerText()).toMatch(
      /^high Failing: SSH password authentication is disabled open$/,
    );
    expect((await page.locator('#remediation').innerText()).length).toBeGreaterThan(10);
    expect(await page.locator('#references li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(shots, 'group.png'), fullPage: false });
    await page.context().close();
  }, 60_000);

  it("shows a node's coverage as the store holds it, and escapes a hostile node name", async () => {
    const page = await newPage();
    for (const name of [node(0), HOSTILE]) {
      await page.goto(`${c!.base}${nodePath(name)}`);
      expect(await page.locator('h1').innerText()).toBe(name);
      const db = openDatabase(d.db, { readOnly: true });
      const count = (where: string) =>
        (db.prepare(`SELECT COUNT(*) AS n FROM node_checks WHERE node = ? AND ${where}`).get(name) as { n: number }).n;
      const want = {
        fail: count('failing = 1'),
        pass: count(`status = 'pass'`),
        unknown: count(`status = 'unknown'`),
        total: count('1'),
      };
      db.close();
      const got = { fail: 0, pass: 0, unknown: 0, total: 0 };
      for (const k of Object.keys(got) as (keyof typeof got)[])
        got[k] = Number((await page.locator(`#cov-${k}`).innerText()).replace(/,/g, ''));
      expect(got).toEqual(want);
      // OS, kernel, architecture and agent version: the store's, shown as text.
      const facts = readStore(
        (db) =>
          db
            .prepare(
              `SELECT host_os_name, host_os_id, host_os_version, host_kernel, host_arch, host_agent_version FROM nodes WHERE node = ?`,
            )
            .get(name) as Record<string, string>,
      );
      expect(await page.locator('#node-os').innerText()).toBe(
        `${facts.host_os_name} (${facts.host_os_id} ${facts.host_os_version})`,
      );
      expect(await page.locator('#node-kernel').innerText()).toBe(facts.host_kernel);
      expect(await page.locator('#node-arch').innerText()).toBe(facts.host_arch);
      expect(await page.locator('#node-agent-version').innerText()).toBe(facts.host_agent_version);
      expect(await page.locator('#node-host-missing').count()).toBe(0);
      expect(await page.locator('#node-groups tbody tr').count()).toBe(want.fail);
      // Most severe first.
      const sev = await page
        .locator('#node-groups tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-severity')));
      expect(sev).toEqual(
        [...sev].sort((a, b) => SEVERITIES.indexOf(a as Severity) - SEVERITIES.indexOf(b as Severity)),
      );
      await page.screenshot({
        path: path.join(shots, name === node(0) ? 'node.png' : 'node-hostile.png'),
        fullPage: true,
      });
    }
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    await page.context().close();
  }, 60_000);

  it('lists what is new since yesterday, most severe first', async () => {
    const page = await newPage();
    await page.goto(`${c!.base}/`);
    await Promise.all([page.waitForURL(/\/new$/), page.locator('#link-new').click()]);
    const rows = await page
      .locator('#new-groups tbody tr')
      .evaluateAll((r) => r.map((x) => x.getAttribute('data-group')));
    expect(rows).toEqual(['integrity.tamper', 'kernel.kptr_restrict_with_a_long_name_to_show_headers']);
    await page.goto(`${c!.base}/new?since=7d`);
    const week = await page
      .locator('#new-groups tbody tr')
      .evaluateAll((r) => r.map((x) => x.getAttribute('data-severity')));
    expect(week).toEqual(['critical', 'critical', 'high', 'medium', 'low', 'info']);
    await page.screenshot({ path: path.join(shots, 'new.png'), fullPage: true });
    await page.context().close();
  }, 60_000);

  it('raised no CSP violation, script error or dialog', () => {
    expect(problems).toEqual([]);
  });
});
