/**
 * End to end on loopback (issue 10): the built hostward agent scans a fixture host root whose sshd allows
 * passwords, a real Prometheus scrapes it and evaluates deploy/prometheus/hostward-rules.yaml, a real
 * Alertmanager routes with deploy/alertmanager/alertmanager.yml (receivers replaced by webhooks to a recorder
 * in this test), and the alert reaches the receiver; fixing the fixture resolves it. Then a critical finding
 * on the same node (PermitRootLogin yes, raised to critical by a check override) pages through both the
 * PagerDuty and the Slack receiver and inhibits the node's password warning until it resolves. Everything listens on
 * 127.0.0.1 with ephemeral ports and lives in a temp dir; every process group started is stopped and checked
 * gone (no process left in its group), also when a step fails.
 *
 * Test-only changes to the deployed files, made in the temp dir: every `for:` of the rules is 3s (15m in
 * production), the Alertmanager routes wait 1s (group_wait/group_interval), scrape and evaluation every second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { exampleWithWebhooks, startAlertmanager } from './alertmanager.js';
import { groupAlive, hasBinary, start, startOnFreePort, startRecorder, stop, waitFor } from './procs.js';
import type { Recorder, Started } from './procs.js';

const CLI = path.resolve('dist/src/cli/main.js');
const RULES = path.resolve('deploy/prometheus/hostward-rules.yaml');
const NODE = 'e2e-node';
const CLUSTER = 'e2e';
/** Sorts before the fixture's 00-hardening.conf, and sshd takes the first value: passwords are on. */
const DROP_IN = 'etc/ssh/sshd_config.d/00-e2e-passwords.conf';

const missing = ['prometheus', 'prometheus-alertmanager', 'promtool'].filter((b) => !hasBinary(b));
const skipReason = missing.length
  ? `missing binaries: ${missing.join(', ')} (apt-get install prometheus prometheus-alertmanager)`
  : '';
if (skipReason) console.warn(`test/e2e/loopback.test.ts skipped: ${skipReason}`);

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}
interface WebhookBody {
  version: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: WebhookAlert[];
}

/** The test copy of the rules: every `for:` shortened to 3s; nothing else changes. */
function shortenedRules(): string {
  const text = readFileSync(RULES, 'utf8');
  const out = text.replace(/^(\s+for: )\d+[smhd]\s*$/gm, '$13s');
  const fors = text.match(/^\s+for: /gm)?.length ?? 0;
  expect(fors).toBeGreaterThan(10);
  expect(out.match(/^\s+for: 3s$/gm)?.length).toBe(fors);
  return out;
}

describe.skipIf(Boolean(skipReason))(
  'loopback: agent → Prometheus (hostward rules) → Alertmanager (example routing) → receiver',
  () => {
    let tmp: string;
    let host: Materialized;
    let rec: Recorder;
    const started: Started[] = [];
    let agentUrl = '';
    let promUrl = '';
    let amUrl = '';
    const t0 = Date.now();
    const marks: Record<string, number> = {};

    const webhooks = () => rec.received.map((r) => r.body as WebhookBody);
    const ours = (a: WebhookAlert) =>
      a.labels.alertname === 'HostwardCheckFailingHigh' &&
      a.labels.check === 'ssh.password_auth' &&
      a.labels.node === NODE;
    const diagnose = async () => {
      const get = async (u: string) => {
        try {
          return (await (await fetch(u, { signal: AbortSignal.timeout(2000) })).text()).slice(0, 2000);
        } catch (e) {
          return String(e);
        }
      };
      return [
        `webhooks: ${JSON.stringify(webhooks()).slice(0, 3000)}`,
        `prometheus targets: ${await get(`${promUrl}/api/v1/targets`)}`,
        `prometheus alerts: ${await get(`${promUrl}/api/v1/alerts`)}`,
        `alertmanager alerts: ${await get(`${amUrl}/api/v2/alerts`)}`,
        ...started.map((s) => `--- ${s.name} (pid ${s.pid}):\n${s.logs().slice(-2500)}`),
      ].join('\n');
    };
    const checkStatus = async (check: string) => {
      const text = await (await fetch(`${agentUrl}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('hostward_check_status{') && l.includes(`check="${check}"`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
    };
    const passwordStatus = () => checkStatus('ssh.password_auth');
    /** Replace the drop-in atomically, as configuration management would (the agent's watcher sees the rename). */
    const writeDropIn = (text: string) => {
      const tmpFile = path.join(host.root, `${DROP_IN}.tmp`);
      writeFileSync(tmpFile, text);
      chmodSync(tmpFile, 0o600);
      renameSync(tmpFile, path.join(host.root, DROP_IN));
    };
    /** Notifications received after the n-th one. */
    const webhooksAfter = (n: number) => webhooks().slice(n);
    const rootLogin = (a: WebhookAlert) =>
      a.labels.alertname === 'HostwardCheckFailingCritical' && a.labels.check === 'ssh.permit_root_login';

    beforeAll(async () => {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
      tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-e2e-'));
      rec = await startRecorder();

      // The host: a hardened Debian 12 node plus a drop-in that turns password authentication back on.
      host = materialize('debian12-hardened');
      writeFileSync(path.join(host.root, DROP_IN), 'PasswordAuthentication yes\n', { mode: 0o600 });

      // The agent: only the ssh probe, no live ssh connection, and no network probe of any kind (the ports
      // probe's reachability and metadata checks are off even though it does not run): loopback only.
      const state = path.join(tmp, 'state');
      mkdirSync(state, { mode: 0o700 });
      const agentConfig = path.join(tmp, 'hostward.yaml');
      writeFileSync(
        agentConfig,
        stringify({
          scan: { probes: ['ssh'] },
          // Raised to critical (a site policy override) for the paging and inhibition steps below.
          checks: { 'ssh.permit_root_login': { severity: 'critical' } },
          agent: { listen: '127.0.0.1', stateDir: state, schedule: '*/10 * * * * *', watch: { enabled: true } },
          probes: { ssh: { live: false }, ports: { reachability: false, metadataCheck: false } },
          log: { level: 'info' },
        }),
      );
      const agent = start(
        'agent',
        process.execPath,
        [CLI, 'agent', '--root', host.root, '--port', '0', '--config', agentConfig],
        {
          env: { PATH: process.env.PATH, HOSTWARD_NODE_NAME: NODE },
        },
      );
      started.push(agent);
      const port = await waitFor(
        'the agent to listen',
        () => {
          if (agent.proc.exitCode !== null) throw new Error(`agent exited ${agent.proc.exitCode}`);
          const m = /"port":(\d+)[^\n]*agent listening/.exec(agent.logs());
          return m ? Number(m[1]) : undefined;
        },
        15_000,
        () => agent.logs(),
      );
      agentUrl = `http://127.0.0.1:${port}`;
      await waitFor(
        'the agent to be ready',
        async () => ((await fetch(`${agentUrl}/readyz`)).status === 200 ? true : undefined),
        30_000,
        () => agent.logs(),
      );
      expect(await passwordStatus()).toBe(1);
      marks.agentReady = Date.now();

      // Alertmanager: the example's routing and inhibition, receivers replaced by webhooks to the recorder.
      const amDir = path.join(tmp, 'alertmanager');
      mkdirSync(amDir);
      const am = await startAlertmanager(exampleWithWebhooks(amDir, rec.url), amDir);
      started.push(am.server);
      amUrl = am.url;

      // Prometheus: one static target (labelled as the chart's PodMonitor labels it), the rules, Alertmanager.
      const promDir = path.join(tmp, 'prometheus');
      mkdirSync(promDir);
      writeFileSync(path.join(promDir, 'hostward-rules.yaml'), shortenedRules());
      const promConfig = path.join(promDir, 'prometheus.yml');
      writeFileSync(
        promConfig,
        stringify({
          global: {
            scrape_interval: '1s',
            scrape_timeout: '1s',
            evaluation_interval: '1s',
            external_labels: { cluster: CLUSTER },
          },
          rule_files: ['hostward-rules.yaml'],
          alerting: {
            alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [amUrl.replace('http://', '')] }] }],
          },
          scrape_configs: [
            {
              job_name: 'hostward-agent',
              static_configs: [{ targets: [agentUrl.replace('http://', '')], labels: { node: NODE } }],
            },
          ],
        }),
      );
      const check = spawnSync('promtool', ['check', 'config', promConfig], { encoding: 'utf8', timeout: 30_000 });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      const prom = await startOnFreePort(
        'prometheus',
        (p) =>
          start('prometheus', 'prometheus', [
            `--config.file=${promConfig}`,
            `--storage.tsdb.path=${path.join(promDir, 'data')}`,
            `--web.listen-address=127.0.0.1:${p}`,
            `--web.external-url=http://127.0.0.1:${p}/`,
            '--log.level=info',
          ]),
        '/-/ready',
      );
      started.push(prom.server);
      promUrl = `http://127.0.0.1:${prom.port}`;
      marks.pipelineUp = Date.now();
    }, 120_000);

    afterAll(async () => {
      // In reverse order, each whole process group; a failure to stop one must not leave the others running.
      const problems: string[] = [];
      for (const s of started.reverse()) {
        try {
          await stop(s);
        } catch (e) {
          problems.push((e as Error).message);
        }
        if (groupAlive(s.pid)) problems.push(`${s.name} (pgid ${s.pid}) still has processes`);
      }
      await rec?.close();
      host?.cleanup();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      console.log(
        `loopback e2e timings (s from start): ${Object.entries(marks)
          .map(([k, v]) => `${k} ${((v - t0) / 1000).toFixed(1)}`)
          .join(', ')}; notifications: ${
          rec
            ? webhooks()
                .map(
                  (w) => `${w.receiver} ${w.status} ${[...new Set(w.alerts.map((a) => a.labels.alertname))].join('+')}`,
                )
                .join('; ')
            : 'none'
        }`,
      );
      expect(problems).toEqual([]);
    }, 60_000);

    it('the failing check reaches the receiver as HostwardCheckFailingHigh with the node and check labels', async () => {
      // Prometheus scrapes the agent and sees the failure.
      await waitFor(
        'Prometheus to scrape hostward_check_status{check="ssh.password_auth"} == 1',
        async () => {
          const q = encodeURIComponent('hostward_check_status{job="hostward-agent",check="ssh.password_auth"}');
          const r = (await (await fetch(`${promUrl}/api/v1/query?query=${q}`)).json()) as {
            data: { result: { metric: Record<string, string>; value: [number, string] }[] };
          };
          const s = r.data.result[0];
          return s && s.value[1] === '1' ? s.metric : undefined;
        },
        30_000,
        diagnose,
      );
      const firing = await waitFor(
        'the firing notification',
        () => webhooks().find((w) => w.status === 'firing' && w.alerts.some(ours)),
        60_000,
        diagnose,
      );
      marks.firingReceived = Date.now();
      // The example routes a high-severity finding (alert severity warning) to the security team's Slack receiver.
      expect(firing.receiver).toBe('slack-hostward-security');
      expect(firing.groupLabels).toEqual({
        alertname: 'HostwardCheckFailingHigh',
        check: 'ssh.password_auth',
        cluster: CLUSTER,
      });
      const alert = firing.alerts.find(ours)!;
      expect(alert.status).toBe('firing');
      expect(alert.labels).toMatchObject({
        alertname: 'HostwardCheckFailingHigh',
        severity: 'warning',
        check: 'ssh.password_auth',
        check_severity: 'high',
        probe: 'ssh',
        node: NODE,
        cluster: CLUSTER,
        job: 'hostward-agent',
        instance: agentUrl.replace('http://', ''),
      });
      expect(alert.annotations.description).toContain(`has failed on node ${NODE}`);
      expect(alert.annotations.runbook_url).toMatch(/runbooks\.md#hostwardcheckfailinghigh$/);
      // Only the one failing check fired: the rest of the hardened fixture passes.
      const checks = new Set(
        webhooks().flatMap((w) => w.alerts.filter((a) => a.labels.check).map((a) => a.labels.check)),
      );
      expect([...checks]).toEqual(['ssh.password_auth']);
    }, 120_000);

    it('fixing the fixture (PasswordAuthentication no) resolves it at the receiver', async () => {
      writeDropIn('PasswordAuthentication no\n');
      marks.fixed = Date.now();
      await waitFor(
        'the agent to report ssh.password_auth passing',
        async () => ((await passwordStatus()) === 0 ? true : undefined),
        30_000,
        diagnose,
      );
      marks.agentPasses = Date.now();
      const resolved = await waitFor(
        'the resolved notification',
        () => webhooks().find((w) => w.status === 'resolved' && w.alerts.some(ours)),
        60_000,
        diagnose,
      );
      marks.resolvedReceived = Date.now();
      expect(resolved.receiver).toBe('slack-hostward-security');
      const alert = resolved.alerts.find(ours)!;
      expect(alert.status).toBe('resolved');
      expect(alert.labels).toMatchObject({
        node: NODE,
        check: 'ssh.password_auth',
        alertname: 'HostwardCheckFailingHigh',
      });
      // endsAt is when Prometheus saw it resolve: after the fix, not a far-future placeholder.
      const ends = Date.parse(alert.endsAt);
      expect(ends).toBeGreaterThanOrEqual(marks.fixed - 2000);
      expect(ends).toBeLessThanOrEqual(Date.now());
      // The same alert (by fingerprint) that fired.
      const firing = webhooks()
        .find((w) => w.status === 'firing' && w.alerts.some(ours))!
        .alerts.find(ours)!;
      expect(alert.fingerprint).toBe(firing.fingerprint);
      expect(alert.startsAt).toBe(firing.startsAt);
    }, 120_000);

    it('a critical finding on the node pages (PagerDuty and Slack receivers) and holds back its warning', async () => {
      const before = webhooks().length;
      writeDropIn('PermitRootLogin yes\nPasswordAuthentication yes\n');
      marks.criticalWritten = Date.now();
      await waitFor(
        'the agent to report both failures',
        async () =>
          (await checkStatus('ssh.permit_root_login')) === 1 && (await passwordStatus()) === 1 ? true : undefined,
        30_000,
        diagnose,
      );
      // The example pages critical findings (continue: true) and posts them to the security channel.
      const pages = await waitFor(
        'the critical notification at both receivers',
        () => {
          const got = webhooksAfter(before).filter((w) => w.status === 'firing' && w.alerts.some(rootLogin));
          return got.length >= 2 ? got : undefined;
        },
        60_000,
        diagnose,
      );
      marks.criticalReceived = Date.now();
      expect(pages.map((w) => w.receiver).sort()).toEqual(['pagerduty-hostward', 'slack-hostward-security']);
      expect(pages[0]!.alerts.find(rootLogin)!.labels).toMatchObject({
        severity: 'critical',
        check_severity: 'critical',
        node: NODE,
        cluster: CLUSTER,
      });
      // The password warning fires in Prometheus too, but Alertmanager holds it back: the same node pages.
      const held = await waitFor(
        'the password warning to be inhibited in Alertmanager',
        async () => {
          const alerts = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as {
            labels: Record<string, string>;
            status: { state: string; inhibitedBy: string[] };
          }[];
          const w = alerts.find(
            (a) => a.labels.alertname === 'HostwardCheckFailingHigh' && a.labels.check === 'ssh.password_auth',
          );
          return w && w.status.state === 'suppressed' ? w : undefined;
        },
        30_000,
        diagnose,
      );
      expect(held.status.inhibitedBy).toHaveLength(1);
      // The same warning of another node, which nothing inhibits, joins the warning's group: the group's next
      // notification carries it, and would carry our node's warning too were that not held back.
      const sentinel = { ...held.labels, node: 'e2e-sentinel-node' };
      const startsAt = new Date().toISOString();
      const postSentinel = async (endsAt: number) => {
        const r = await fetch(`${amUrl}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify([{ labels: sentinel, startsAt, endsAt: new Date(endsAt).toISOString() }]),
        });
        expect(r.status).toBe(200);
      };
      await postSentinel(Date.now() + 10 * 60_000);
      const isSentinel = (a: WebhookAlert) => a.labels.node === sentinel.node;
      const flushed = await waitFor(
        "the warning group's next notification",
        () => webhooksAfter(before).find((w) => w.alerts.some(isSentinel)),
        30_000,
        diagnose,
      );
      expect(flushed.receiver).toBe('slack-hostward-security');
      expect(webhooksAfter(before).filter((w) => w.alerts.some(ours))).toEqual([]);
      await postSentinel(Date.now()); // resolved: the group's later notifications are about our node alone
    }, 120_000);

    it('resolving the critical finding resolves the page at both receivers and lets the warning through', async () => {
      const before = webhooks().length;
      writeDropIn('PasswordAuthentication yes\n');
      const resolved = await waitFor(
        'the critical resolve at both receivers',
        () => {
          const got = webhooksAfter(before).filter((w) => w.status === 'resolved' && w.alerts.some(rootLogin));
          return got.length >= 2 ? got : undefined;
        },
        60_000,
        diagnose,
      );
      expect(resolved.map((w) => w.receiver).sort()).toEqual(['pagerduty-hostward', 'slack-hostward-security']);
      const warning = await waitFor(
        'the released password warning',
        () => webhooksAfter(before).find((w) => w.status === 'firing' && w.alerts.some(ours)),
        60_000,
        diagnose,
      );
      marks.warningReleased = Date.now();
      expect(warning.receiver).toBe('slack-hostward-security');
      expect(warning.alerts.find(ours)!.labels.node).toBe(NODE);

      writeDropIn('PasswordAuthentication no\n');
      const last = await waitFor(
        'the final resolve',
        () => webhooksAfter(before).find((w) => w.status === 'resolved' && w.alerts.some(ours)),
        60_000,
        diagnose,
      );
      marks.allResolved = Date.now();
      expect(last.receiver).toBe('slack-hostward-security');
      // Nothing else fired along the way: only these two checks, and no hostward health alert but those of liveness:
      // with every `for:` at 3 s and a 1 s scrape timeout, a scrape held up by a busy machine for 3 s fires them,
      // as it should.
      const liveness = new Set([
        'HostwardAgentDown',
        'HostwardAgentAbsent',
        'HostwardScansStale',
        'HostwardAgentNoScan',
      ]);
      const alerts = webhooks()
        .flatMap((w) => w.alerts)
        .filter((a) => !liveness.has(a.labels.alertname!));
      const names = new Set(alerts.map((a) => `${a.labels.alertname}/${a.labels.check ?? ''}`));
      expect([...names].sort()).toEqual([
        'HostwardCheckFailingCritical/ssh.permit_root_login',
        'HostwardCheckFailingHigh/ssh.password_auth',
      ]);
    }, 120_000);
  },
);
