/**
 * The fleet page as a person sees it: Debian's Chromium (headless, through playwright-core) against a
 * real `hostward collector` process on 127.0.0.1, fed with real events over POST /v1/events, with three
 * sinks: the file sink (delivers), a PagerDuty receiver that refuses (400: dead) and a Slack receiver
 * that is down (503: pending, retried). Checks the sign-in, counts, the matrix, filters with and without
 * JavaScript, a group's delivery history, and that hostile evidence is shown as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { groupKey } from '../../src/collector/store.js';
import { event, makeDirs, metric, post, requireBuild, startCollectorProcess, stop, waitFor, TOKEN } from './helpers.js';
import type { Dirs, Proc } from './helpers.js';
import { CHROMIUM, haveChromium, launchChromium } from '../helpers/chromium.js';

const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
const SCREENSHOT = '/tmp/hostward-fleet-page.png';
const GROUP_SCREENSHOT = '/tmp/hostward-fleet-group.png';

interface Receiver {
  base: string;
  hits: number;
  server: Server;
}

async function receiver(status: number, body: string): Promise<Receiver> {
  const r: Receiver = { base: '', hits: 0, server: undefined as unknown as Server };
  r.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      r.hits++;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.base = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  return r;
}

let d: Dirs;
let c: Proc | undefined;
let browser: Browser | undefined;
let pd: Receiver;
let slack: Receiver;
const pageErrors: string[] = [];

async function newPage(opts: BrowserContextOptions = {}): Promise<Page> {
  const ctx = await browser!.newContext(opts);
  const page = await ctx.newPage();
  page.on('console', (m) => {
    // The sign-in test's 401s and the browser's own /favicon.ico (404) are expected.
    if (
      m.type() === 'error' &&
      !/^Failed to load resource: the server responded with a status of 40[14]\b/.test(m.text())
    )
      pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (dlg) => {
    pageErrors.push(`dialog: ${dlg.message()}`);
    void dlg.dismiss();
  });
  return page;
}

const signedIn = { httpCredentials: { username: 'ops', password: TOKEN } };
const rowNodes = (page: Page) =>
  page.locator('#matrix tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')));

describe.skipIf(!haveChromium)(
  `fleet page in headless Chromium (${haveChromium ? CHROMIUM : `skipped: ${CHROMIUM} is missing`})`,
  () => {
    beforeAll(async () => {
      requireBuild();
      pd = await receiver(
        400,
        JSON.stringify({
          status: 'invalid event',
          message: 'Event object is invalid',
          errors: ['Length of routing_key is incorrect'],
        }),
      );
      slack = await receiver(503, 'service_unavailable');
      d = makeDirs();
      writeFileSync(path.join(d.dir, 'pd-key'), 'not-a-real-routing-key\n');
      writeFileSync(path.join(d.dir, 'slack-url'), `${slack.base}/services/T000/B000/XXXX\n`);
      writeFileSync(
        d.config,
        readFileSync(d.config, 'utf8') +
          `  pagerdutyRoutingKeyFile: ${path.join(d.dir, 'pd-key')}\n  pagerdutyUrl: ${pd.base}/v2/enqueue\n  slackWebhookUrlFile: ${path.join(d.dir, 'slack-url')}\n`,
      );
      c = await startCollectorProcess(d);

      // The fleet: three failing workers, a healthy control-plane node.
      expect(
        await post(c.base, [
          event(1, { id: 'b-1', node: 'worker-1' }),
          event(2, {
            id: 'b-2',
            node: 'worker-1',
            check: 'kernel.rp_filter',
            probe: 'kernel',
            severity: 'medium',
            title: 'Reverse path filtering',
            message: 'net.ipv4.conf.all.rp_filter = 0',
            evidence: [{ file: '/proc/sys/net/ipv4/conf/all/rp_filter', text: '0' }],
          }),
          event(3, {
            id: 'b-3',
            node: 'worker-2',
            title: 'SSH password authentication is disabled',
            message: `sshd says ${XSS}`,
            evidence: [{ file: '/etc/ssh/sshd_config.d/50-evil.conf', line: 7, text: XSS }],
          }),
          event(4, {
            id: 'b-4',
            node: 'worker-3',
            check: 'tls.cert_expiry',
            probe: 'tls',
            severity: 'critical',
            title: 'Certificates are not about to expire',
            message: 'kubelet.crt expires in 2 days',
            evidence: [{ file: '/var/lib/kubelet/pki/kubelet.crt' }],
          }),
          event(5, { id: 'b-5', node: 'control-1', status: 'pass', message: 'PasswordAuthentication no' }),
        ]),
      ).toEqual({ status: 202, body: { accepted: 5 } });
      // worker-1 is fixed: the ssh group is updated (worker-1 leaves), the kernel group resolves.
      expect(
        await post(c.base, [
          event(10, { id: 'b-10', node: 'worker-1', status: 'pass' }),
          event(11, {
            id: 'b-11',
            node: 'worker-1',
            check: 'kernel.rp_filter',
            probe: 'kernel',
            severity: 'medium',
            status: 'pass',
            title: 'Reverse path filtering',
            message: 'ok',
          }),
        ]),
      ).toMatchObject({ status: 202 });
      // Every change reached the file sink, PagerDuty refused every one routed to it (critical and high, the
      // default without a routing block; the medium group's two changes are skipped), Slack was tried.
      await waitFor(
        () => (existsSync(d.sink) && readFileSync(d.sink, 'utf8').trim().split('\n').length === 5 ? true : undefined),
        15_000,
        () => `file sink: ${existsSync(d.sink) ? readFileSync(d.sink, 'utf8') : 'missing'}`,
      );
      await waitFor(
        () => (pd.hits >= 3 ? true : undefined),
        15_000,
        () => `pagerduty hits ${pd.hits}; ${c!.logs()}`,
      );
      await waitFor(
        async () => (await metric(c!.base, 'hostward_collector_delivery_queue', 'sink="pagerduty"')) === 0 || undefined,
        15_000,
        () => 'pagerduty queue',
      );
      await waitFor(
        () => (slack.hits >= 2 ? true : undefined),
        15_000,
        () => `slack hits ${slack.hits}`,
      );

      browser = await launchChromium();
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      if (c) expect(await stop(c)).toBe(0);
      await Promise.all([pd, slack].filter(Boolean).map((r) => new Promise((resolve) => r.server.close(resolve))));
      if (d) rmSync(d.dir, { recursive: true, force: true });
    });

    it('asks for credentials and shows nothing of the fleet without the token', async () => {
      // Headless Chromium cannot prompt: without credentials, or with a wrong token, the challenge is
      // answered with nothing and the navigation ends in an authentication error, showing no fleet data.
      for (const opts of [{}, { httpCredentials: { username: 'ops', password: 'wrong-token' } }]) {
        const page = await newPage(opts);
        const outcome = await page.goto(`${c!.base}/`).then(
          (r) => `status ${r?.status()}`,
          (e: Error) => e.message,
        );
        expect(outcome).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|status 401/);
        // Chromium may still be moving to its own error page: read the content once it has settled.
        const html = await waitFor(
          async () => {
            await page.waitForLoadState('load');
            return page.content().catch(() => undefined);
          },
          30_000,
          () => 'the page to settle',
          100,
        );
        expect(html).not.toContain('worker-');
        await page.context().close();
      }
      // What the browser was answered: a Basic challenge and a page that only says how to sign in.
      const anonymous = await fetch(`${c!.base}/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="hostward collector", charset="UTF-8"');
      const text = await anonymous.text();
      expect(text).toContain('Sign in with any user name');
      expect(text).not.toContain('worker-');
      const plain = await fetch(`${c!.base}/`, {
        headers: { Authorization: `Basic ${Buffer.from('ops:wrong-token').toString('base64')}` },
      });
      expect(plain.status).toBe(401);
      expect(await plain.text()).not.toContain('worker-');
      const page = await newPage(signedIn);
      const res = await page.goto(`${c!.base}/`);
      expect(res?.status()).toBe(200);
      expect(page.url()).toBe(`${c!.base}/`);
      await page.context().close();
    });

    it('shows the counts and the failing nodes in the matrix', async () => {
      const page = await newPage(signedIn);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${c!.base}/`);
      expect(await page.locator('#count-nodes').innerText()).toBe('4 nodes');
      expect(await page.locator('#count-failing').innerText()).toBe('2 with failing checks');
      expect(await page.locator('#open-critical').innerText()).toBe('1 critical');
      expect(await page.locator('#open-high').innerText()).toBe('1 high');
      expect(await page.locator('#open-medium').innerText()).toBe('0 medium');
      expect(await rowNodes(page)).toEqual(['worker-2', 'worker-3']);
      // The critical check is the first column, and worker-3's cell under it is marked critical.
      expect(await page.locator('#matrix thead th.check').allInnerTexts()).toEqual([
        'tls.cert_expiry',
        'ssh.password_auth',
      ]);
      const w3 = page.locator('#matrix tr[data-node="worker-3"] td.cell');
      expect(await w3.evaluateAll((cells) => cells.map((x) => x.className))).toEqual(['cell sev-critical', 'cell']);
      expect(await page.locator('#matrix tr[data-node="worker-3"] td.when time').getAttribute('datetime')).toMatch(
        /^\d{4}-\d\d-\d\dT/,
      );
      // Deliveries at a glance.
      const sinks = await page.locator('#sinks').innerText();
      expect(sinks).toMatch(/file 5 sent, 0 pending, 0 dead/);
      expect(sinks).toMatch(/pagerduty 2 sent, 0 pending, 3 dead/);
      expect(sinks).toMatch(/slack 0 sent, 5 pending, 0 dead/);
      // All nodes, healthy ones included.
      await page.selectOption('select[name=show]', 'all');
      await page.waitForURL(/show=all/);
      expect(await rowNodes(page)).toEqual(['control-1', 'worker-1', 'worker-2', 'worker-3']);
      await page.goto(`${c!.base}/`);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      await page.context().close();
    });

    it('narrows the view with the filters, with JavaScript (on change) and without (the Apply button)', async () => {
      const page = await newPage(signedIn);
      await page.goto(`${c!.base}/`);
      await page.selectOption('select[name=probe]', 'tls');
      await page.waitForURL(/probe=tls/);
      expect(await rowNodes(page)).toEqual(['worker-3']);
      expect(
        await page
          .locator('#open-groups tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group'))),
      ).toEqual(['tls.cert_expiry']);
      await page.locator('input[name=severity][value=high]').check();
      await page.waitForURL(/severity=high/);
      expect(await page.locator('#matrix-count').innerText()).toBe('No node matches.');
      await page.context().close();

      const plain = await newPage({ ...signedIn, javaScriptEnabled: false });
      await plain.goto(`${c!.base}/`);
      await plain.fill('input[name=node]', 'worker-2');
      await plain.locator('input[name=severity][value=high]').check();
      await Promise.all([plain.waitForURL(/node=worker-2/), plain.click('button[type=submit]')]);
      expect(new URL(plain.url()).search).toBe('?probe=&severity=high&node=worker-2&check=&show=');
      expect(await rowNodes(plain)).toEqual(['worker-2']);
      expect(await plain.locator('#matrix thead th.check').allInnerTexts()).toEqual(['ssh.password_auth']);
      await plain.context().close();
    });

    it("shows a group's history with each sink's delivery, and the failing nodes' evidence as text", async () => {
      const page = await newPage(signedIn);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${c!.base}/`);
      await Promise.all([
        page.waitForURL(/\/groups\//),
        page.locator('#open-groups tr[data-group="ssh.password_auth"] a').click(),
      ]);
      expect(page.url()).toBe(`${c!.base}/groups/${groupKey('ssh.password_auth', 'high')}`);
      expect(await page.locator('#group-status').innerText()).toBe('open');
      expect(await page.locator('#group-nodes').innerText()).toBe('1');
      const history = await page.locator('#history tbody tr').evaluateAll((rows) =>
        rows.map((r) => ({
          action: r.querySelector('.action')?.textContent,
          file: r.querySelector('[data-sink=file]')?.textContent,
          pagerduty: r.querySelector('[data-sink=pagerduty]')?.textContent,
          slack: r.querySelector('[data-sink=slack]')?.textContent,
          left: r.children[4]?.textContent,
        })),
      );
      expect(history.map((h) => h.action)).toEqual(['update', 'open']);
      expect(history[0]!.left).toBe('worker-1');
      for (const h of history) {
        expect(h.file).toMatch(/^sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
        expect(h.pagerduty).toMatch(/^dead .*HTTP 400.*Event object is invalid/);
      }
      expect(history.at(-1)!.slack).toMatch(/^pending \d+ attempts?, next .*503/);

      // The hostile evidence is on the page as text: no image, no script ran, no dialog.
      const row = page.locator('#group-nodes-table tr[data-node="worker-2"]');
      expect(await row.locator('pre.evidence').innerText()).toBe(XSS);
      expect(await row.locator('code').innerText()).toBe('/etc/ssh/sshd_config.d/50-evil.conf:7');
      expect(await row.locator('.message').innerText()).toBe(`sshd says ${XSS}`);
      expect(await page.locator('img').count()).toBe(0);
      // A string, so that the test's types need no DOM library: evaluated in the page.
      expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
      await page.screenshot({ path: GROUP_SCREENSHOT, fullPage: true });

      // The resolved kernel group lists its resolve.
      await page.goto(`${c!.base}/groups/${groupKey('kernel.rp_filter', 'medium')}`);
      expect(await page.locator('#group-status').innerText()).toBe('resolved');
      expect(await page.locator('#history .action').allInnerTexts()).toEqual(['resolve', 'open']);
      await page.context().close();
    });

    it('raised no script error, CSP violation or dialog, and never logged the token', () => {
      expect(pageErrors).toEqual([]);
      expect(c!.logs()).not.toContain(TOKEN);
    });
  },
);
