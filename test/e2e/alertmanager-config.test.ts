/**
 * deploy/alertmanager/alertmanager.yml with the real amtool and Alertmanager (Debian's 0.25): check-config
 * passes (templates parsed) and fails on a broken copy; `amtool config routes test` sends every alert of
 * deploy/prometheus/hostward-rules.yaml to the receivers its team and severity call for; and a real
 * Alertmanager running the example (secrets in files, endpoints on a local recorder) delivers a critical
 * finding to PagerDuty and Slack with the templates rendered, inhibits the same node's warnings, resolves
 * with the same dedup_key, and lets the inhibited warning through once the page resolves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  EXAMPLE,
  TEMPLATE,
  exampleWithMockEndpoints,
  getAlerts,
  postAlerts,
  readExample,
  routes,
  startAlertmanager,
  urlsIn,
} from './alertmanager.js';
import { hasBinary, startRecorder, stop, waitFor, groupAlive } from './procs.js';
import type { Recorder, Started, Received } from './procs.js';

const RULES = path.resolve('deploy/prometheus/hostward-rules.yaml');
const hasAmtool = hasBinary('amtool');
const hasAlertmanager = hasBinary('prometheus-alertmanager');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-am-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function amtool(args: string[]) {
  // HOME in the temp dir: no user amtool config (which may name a live Alertmanager) is read.
  const r = spawnSync('amtool', args, {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: tmp },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** The receivers `amtool config routes test` picks for a label set, in route order. */
function receiversFor(config: string, labels: Record<string, string>): string {
  const r = amtool([
    'config',
    'routes',
    'test',
    `--config.file=${config}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
  expect(r.status, r.out).toBe(0);
  return r.stdout.trim();
}

/**
 * Which team each alert of the rules file belongs to. A new alert without an entry fails the test below, so
 * adding an alert forces a routing decision.
 */
const TEAM: Record<string, 'security' | 'platform'> = {
  HostwardCheckFailingCritical: 'security',
  HostwardCheckFailingHigh: 'security',
  HostwardChecksFailingMedium: 'security',
  HostwardCertificateExpiringSoon: 'security',
  HostwardCertificateExpiryCritical: 'security',
  HostwardIntegrityChanges: 'security',
  HostwardSecurityUpdatesPending: 'security',
  HostwardRebootRequired: 'security',
  HostwardAgentDown: 'platform',
  HostwardAgentAbsent: 'platform',
  HostwardScansStale: 'platform',
  HostwardAgentNoScan: 'platform',
  HostwardScanErrors: 'platform',
  HostwardProbeErrors: 'platform',
  HostwardAgentOutboxBacklog: 'platform',
  HostwardAgentOutboxDropping: 'platform',
  HostwardCollectorDown: 'platform',
  HostwardCollectorDeliveryFailing: 'platform',
  HostwardCollectorDeliveryBacklog: 'platform',
  HostwardCollectorEventsForbidden: 'platform',
  HostwardNodesSilent: 'platform',
};

function expectedReceivers(team: 'security' | 'platform', severity: string): string {
  if (team === 'platform') return severity === 'critical' ? 'pagerduty-hostward,slack-platform' : 'slack-platform';
  if (severity === 'critical') return 'pagerduty-hostward,slack-hostward-security';
  if (severity === 'info') return 'slack-hostward-backlog';
  return 'slack-hostward-security';
}

describe.skipIf(!hasAmtool)('amtool on deploy/alertmanager/alertmanager.yml', () => {
  it('check-config accepts it, with its template file parsed', () => {
    const r = amtool(['check-config', EXAMPLE]);
    expect(r.out).toContain('4 receivers');
    expect(r.out).toContain('3 inhibit rules');
    expect(r.out).toContain('1 templates');
    expect(r.out).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  it('check-config fails on a route to an undefined receiver and on a broken template (the check can fail)', () => {
    const dir = mkdtempSync(path.join(tmp, 'broken-'));
    copyFileSync(TEMPLATE, path.join(dir, 'hostward.tmpl'));
    const text = readFileSync(EXAMPLE, 'utf8');
    const badRoute = text.replace('receiver: slack-hostward-backlog', 'receiver: slack-hostward-backlgo');
    expect(badRoute).not.toBe(text);
    writeFileSync(path.join(dir, 'alertmanager.yml'), badRoute);
    let r = amtool(['check-config', path.join(dir, 'alertmanager.yml')]);
    expect(r.status).toBe(1);
    expect(r.out).toContain('undefined receiver "slack-hostward-backlgo"');

    writeFileSync(path.join(dir, 'alertmanager.yml'), text);
    writeFileSync(
      path.join(dir, 'hostward.tmpl'),
      readFileSync(TEMPLATE, 'utf8').replace(
        '{{ define "hostward.title" -}}',
        '{{ define "hostward.title" -}}{{ if }}',
      ),
    );
    r = amtool(['check-config', path.join(dir, 'alertmanager.yml')]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/hostward\.tmpl:\d+: missing value for if/);
  });

  it('routes test: findings by severity, hostward health to the platform team, foreign alerts to the catch-all', () => {
    const cases: [Record<string, string>, string][] = [
      [
        {
          alertname: 'HostwardCheckFailingCritical',
          severity: 'critical',
          check: 'ssh.permit_empty_passwords',
          node: 'n1',
        },
        'pagerduty-hostward,slack-hostward-security',
      ],
      [
        { alertname: 'HostwardCheckFailingHigh', severity: 'warning', check: 'ssh.password_auth', node: 'n1' },
        'slack-hostward-security',
      ],
      [{ alertname: 'HostwardChecksFailingMedium', severity: 'info', node: 'n1' }, 'slack-hostward-backlog'],
      [
        {
          alertname: 'HostwardCertificateExpiryCritical',
          severity: 'critical',
          path: '/etc/kubernetes/pki/apiserver.crt',
        },
        'pagerduty-hostward,slack-hostward-security',
      ],
      [{ alertname: 'HostwardAgentAbsent', severity: 'critical' }, 'pagerduty-hostward,slack-platform'],
      [{ alertname: 'HostwardAgentDown', severity: 'warning', instance: '10.0.0.3:9750' }, 'slack-platform'],
      [
        { alertname: 'HostwardCollectorDeliveryFailing', severity: 'critical', sink: 'slack' },
        'pagerduty-hostward,slack-platform',
      ],
      // No severity label at all: not paged, not lost.
      [{ alertname: 'HostwardCheckFailingHigh' }, 'slack-hostward-security'],
      // Not hostward's: the root's catch-all, whatever its severity.
      [{ alertname: 'NodeFilesystemAlmostOutOfSpace', severity: 'critical' }, 'slack-platform'],
      [{ alertname: 'Hostward', severity: 'critical' }, 'slack-platform'],
    ];
    for (const [labels, want] of cases) expect(receiversFor(EXAMPLE, labels), JSON.stringify(labels)).toBe(want);
  });

  it('routes test: every alert of the rules file reaches its team at its severity', () => {
    const rules = (
      parse(readFileSync(RULES, 'utf8')) as {
        groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    const unclassified = alerts.map((a) => a.alert!).filter((a) => !(a in TEAM));
    expect(unclassified, 'alerts without a routing decision in TEAM').toEqual([]);
    for (const a of alerts) {
      const severity = a.labels?.severity;
      expect(['critical', 'warning', 'info'], `${a.alert} severity`).toContain(severity);
      expect(receiversFor(EXAMPLE, { alertname: a.alert!, severity: severity!, node: 'n1' }), a.alert).toBe(
        expectedReceivers(TEAM[a.alert!]!, severity!),
      );
    }
  });

  it('routes test --verify.receivers exits 1 on a mismatch', () => {
    const r = amtool([
      'config',
      'routes',
      'test',
      `--config.file=${EXAMPLE}`,
      '--verify.receivers=slack-hostward-security',
      'alertname=HostwardCheckFailingCritical',
      'severity=critical',
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toContain('pagerduty-hostward,slack-hostward-security');
  });

  it('the example itself names no secret: only *_file keys, and no URL but documentation', () => {
    const doc = readExample();
    for (const rcv of doc.receivers) {
      for (const c of rcv.slack_configs ?? []) {
        expect(c.api_url, rcv.name).toBeUndefined();
        expect(c.api_url_file, rcv.name).toMatch(/^\/etc\/alertmanager\/secrets\//);
      }
      for (const c of rcv.pagerduty_configs ?? []) {
        expect(c.routing_key, rcv.name).toBeUndefined();
        expect(c.service_key, rcv.name).toBeUndefined();
        expect(c.routing_key_file, rcv.name).toMatch(/^\/etc\/alertmanager\/secrets\//);
      }
    }
    expect(urlsIn(doc)).toEqual([]);
    // Every receiver is used by some route, every route names a defined receiver.
    const used = new Set(
      routes(doc.route)
        .map((r) => r.receiver)
        .filter(Boolean),
    );
    expect([...used].sort()).toEqual(doc.receivers.map((r) => r.name).sort());
  });
});

type SlackBody = { attachments?: { title?: string; title_link?: string; text?: string; color?: string }[] };
type PagerDutyBody = {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: string;
    class?: string;
    component?: string;
    group?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
};

describe.skipIf(!hasAlertmanager)('a real Alertmanager running the example (endpoints on a local recorder)', () => {
  const ROUTING_KEY = 'e2e0123456789abcdef0123456789abc'; // 32 characters, like an integration key
  let rec: Recorder;
  let am: { server: Started; url: string } | undefined;
  let dir: string;
  const runbook = (a: string) => `https://github.com/hostward/hostward/blob/main/deploy/runbooks.md#${a.toLowerCase()}`;
  const critical = {
    labels: {
      alertname: 'HostwardCheckFailingCritical',
      severity: 'critical',
      check: 'ssh.permit_empty_passwords',
      check_severity: 'critical',
      probe: 'ssh',
      node: 'n1',
      cluster: 'prod',
      instance: '10.0.0.1:9750',
      job: 'hostward-agent',
    },
    annotations: {
      summary: 'Critical hardening check fails on a node.',
      description: 'Check ssh.permit_empty_passwords (probe ssh) has failed on node n1 for 15 minutes.',
      runbook_url: runbook('HostwardCheckFailingCritical'),
    },
  };
  const warning = (node: string) => ({
    labels: {
      alertname: 'HostwardCheckFailingHigh',
      severity: 'warning',
      check: 'ssh.password_auth',
      check_severity: 'high',
      probe: 'ssh',
      node,
      cluster: 'prod',
      instance: `${node}:9750`,
      job: 'hostward-agent',
    },
    annotations: {
      summary: 'High-severity hardening check fails on a node.',
      description: `Check ssh.password_auth (probe ssh) has failed on node ${node} for 15 minutes.`,
      runbook_url: runbook('HostwardCheckFailingHigh'),
    },
  });
  const at = (p: string) => rec.received.filter((r) => r.path === p);
  const slackTitles = (p: string) => at(p).map((r) => (r.body as SlackBody).attachments?.[0]?.title ?? '');
  const diagnose = async () =>
    `received: ${JSON.stringify(rec.received.map((r) => [r.path, r.body])).slice(0, 3000)}\nalertmanager: ${am?.server.logs().slice(-3000)}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmp, 'live-'));
    rec = await startRecorder();
    const config = exampleWithMockEndpoints(dir, rec.url, ROUTING_KEY);
    // Nothing in the running config may point off this machine.
    const urls = [
      ...urlsIn(parse(readFileSync(config, 'utf8'))),
      ...urlsIn(readFileSync(path.join(dir, 'secrets', 'slack-platform-slack-0'), 'utf8')),
    ];
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    if (hasAmtool) expect(amtool(['check-config', config]).status).toBe(0);
    am = await startAlertmanager(config, dir);
  }, 60_000);

  afterAll(async () => {
    if (am) {
      await stop(am.server);
      expect(groupAlive(am.server.pid)).toBe(false);
    }
    await rec?.close();
  });

  it('a critical finding pages PagerDuty (key from the file, severity critical, rendered summary) and posts to the security Slack channel', async () => {
    await postAlerts(am!.url, [critical]);
    const pd = await waitFor('the PagerDuty trigger', () => at('/pagerduty/pagerduty-hostward')[0], 20_000, diagnose);
    const body = pd.body as PagerDutyBody;
    expect(body.routing_key).toBe(ROUTING_KEY);
    expect(body.event_action).toBe('trigger');
    expect(body.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    expect(body.payload?.severity).toBe('critical');
    expect(body.payload?.summary).toBe('HostwardCheckFailingCritical ssh.permit_empty_passwords on 1 node(s): n1');
    expect(body.payload?.source).toBe('n1');
    expect(body.payload?.class).toBe('ssh.permit_empty_passwords');
    expect(body.payload?.component).toBe('ssh');
    expect(body.payload?.group).toBe('prod');
    expect(body.payload?.custom_details?.nodes).toBe('n1');
    expect(body.links?.[0]?.href).toBe(runbook('HostwardCheckFailingCritical'));

    const slack = await waitFor('the Slack message', () => at('/slack/slack-hostward-security')[0], 20_000, diagnose);
    const att = (slack.body as SlackBody).attachments![0]!;
    expect(att.title).toBe('[FIRING:1] HostwardCheckFailingCritical ssh.permit_empty_passwords (cluster prod)');
    expect(att.title_link).toBe(runbook('HostwardCheckFailingCritical'));
    expect(att.color).toBe('danger');
    expect(att.text).toContain('*Critical hardening check fails on a node.*');
    expect(att.text).toContain('- n1: Check ssh.permit_empty_passwords (probe ssh) has failed on node n1');
    // Not the platform channel, not the backlog.
    expect(at('/slack/slack-platform')).toEqual([]);
    expect(at('/slack/slack-hostward-backlog')).toEqual([]);
  });

  it("the same node's warning is inhibited; another node's warning is posted", async () => {
    await postAlerts(am!.url, [warning('n1'), warning('n2')]);
    const msg = await waitFor(
      'the warning for n2',
      () =>
        at('/slack/slack-hostward-security').find((r) =>
          (r.body as SlackBody).attachments?.[0]?.title?.includes('HostwardCheckFailingHigh'),
        ),
      20_000,
      diagnose,
    );
    const att = (msg.body as SlackBody).attachments![0]!;
    expect(att.title).toBe('[FIRING:1] HostwardCheckFailingHigh ssh.password_auth (cluster prod)');
    expect(att.color).toBe('warning');
    expect(att.text).toContain('- n2: ');
    expect(att.text).not.toContain('- n1: ');
    const states = await getAlerts(am!.url);
    const n1 = states.find((a) => a.labels.alertname === 'HostwardCheckFailingHigh' && a.labels.node === 'n1');
    const n2 = states.find((a) => a.labels.alertname === 'HostwardCheckFailingHigh' && a.labels.node === 'n2');
    expect(n1?.status.state).toBe('suppressed');
    expect(n1?.status.inhibitedBy.length).toBe(1);
    expect(n2?.status.state).toBe('active');
    expect(
      at('/pagerduty/pagerduty-hostward').filter((r) =>
        (r.body as PagerDutyBody).payload?.summary?.includes('HostwardCheckFailingHigh'),
      ),
    ).toEqual([]);
  });

  it('resolving the page: PagerDuty resolve with the same dedup_key, [RESOLVED] in Slack, and the n1 warning comes through', async () => {
    const trigger = at('/pagerduty/pagerduty-hostward')[0]!.body as PagerDutyBody;
    const now = new Date();
    await postAlerts(am!.url, [
      { ...critical, startsAt: new Date(now.getTime() - 60_000).toISOString(), endsAt: now.toISOString() },
    ]);
    const resolve = await waitFor(
      'the PagerDuty resolve',
      () => at('/pagerduty/pagerduty-hostward').find((r) => (r.body as PagerDutyBody).event_action === 'resolve'),
      20_000,
      diagnose,
    );
    expect((resolve.body as PagerDutyBody).dedup_key).toBe(trigger.dedup_key);
    expect((resolve.body as PagerDutyBody).routing_key).toBe(ROUTING_KEY);
    const resolved = await waitFor(
      'the Slack resolve',
      () => slackTitles('/slack/slack-hostward-security').find((t) => t.startsWith('[RESOLVED]')),
      20_000,
      diagnose,
    );
    expect(resolved).toBe('[RESOLVED] HostwardCheckFailingCritical ssh.permit_empty_passwords (cluster prod)');
    const resolvedMsg = at('/slack/slack-hostward-security').find((r) =>
      (r.body as SlackBody).attachments?.[0]?.title?.startsWith('[RESOLVED]'),
    )!;
    expect((resolvedMsg.body as SlackBody).attachments![0]!.color).toBe('good');
    expect((resolvedMsg.body as SlackBody).attachments![0]!.text).toContain('Resolved: n1');
    // The page is gone, so n1's warning is no longer inhibited: the group now lists both nodes.
    const both = await waitFor(
      'the warning group with n1 and n2',
      () =>
        at('/slack/slack-hostward-security').find(
          (r) =>
            (r.body as SlackBody).attachments?.[0]?.title ===
            '[FIRING:2] HostwardCheckFailingHigh ssh.password_auth (cluster prod)',
        ),
      20_000,
      diagnose,
    );
    expect((both.body as SlackBody).attachments![0]!.text).toContain('- n1: ');
    expect((both.body as SlackBody).attachments![0]!.text).toContain('- n2: ');
  });

  it('info goes to the backlog channel; collector health pages and goes to the platform channel', async () => {
    await postAlerts(am!.url, [
      {
        labels: { alertname: 'HostwardChecksFailingMedium', severity: 'info', node: 'n3', cluster: 'prod' },
        annotations: {
          summary: 'Medium-severity hardening checks fail on a node.',
          description: '4 medium-severity checks have failed on node n3 for an hour.',
        },
      },
      {
        labels: {
          alertname: 'HostwardCollectorDown',
          severity: 'critical',
          cluster: 'prod',
          instance: '10.0.0.9:9751',
          job: 'hostward-collector',
        },
        annotations: {
          summary: 'The hostward collector cannot be scraped.',
          description: 'The collector at 10.0.0.9:9751 has not answered for 10 minutes.',
        },
      },
    ]);
    const backlog = await waitFor(
      'the backlog message',
      () => at('/slack/slack-hostward-backlog')[0],
      20_000,
      diagnose,
    );
    expect((backlog.body as SlackBody).attachments![0]!.title).toBe(
      '[FIRING:1] HostwardChecksFailingMedium (cluster prod)',
    );
    expect((backlog.body as SlackBody).attachments![0]!.text).toContain('- n3: 4 medium-severity checks');
    const platform = await waitFor('the platform message', () => at('/slack/slack-platform')[0], 20_000, diagnose);
    expect((platform.body as SlackBody).attachments![0]!.title).toBe('[FIRING:1] HostwardCollectorDown (cluster prod)');
    // A node-less alert names its instance.
    expect((platform.body as SlackBody).attachments![0]!.text).toContain('- 10.0.0.9:9751: ');
    const page = await waitFor(
      'the collector page',
      () =>
        at('/pagerduty/pagerduty-hostward').find((r) =>
          (r.body as PagerDutyBody).payload?.summary?.startsWith('HostwardCollectorDown'),
        ),
      20_000,
      diagnose,
    );
    expect((page.body as PagerDutyBody).payload?.source).toBe('10.0.0.9:9751');
    // The node-less critical alert inhibits nothing on other nodes (the node=~".+" source matcher).
    const states = await getAlerts(am!.url);
    expect(states.find((a) => a.labels.alertname === 'HostwardChecksFailingMedium')?.status.state).toBe('active');
    // Nothing was sent anywhere but the recorder's known paths.
    const paths = new Set(rec.received.map((r: Received) => r.path));
    expect([...paths].sort()).toEqual([
      '/pagerduty/pagerduty-hostward',
      '/slack/slack-hostward-backlog',
      '/slack/slack-hostward-security',
      '/slack/slack-platform',
    ]);
  });
});
