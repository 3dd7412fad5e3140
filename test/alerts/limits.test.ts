/**
 * Limits agree end to end: the agent never produces an event the collector refuses for its size, and an event the
 * collector still refuses is never lost silently. The attack this holds against: a host with 143 pending updates
 * (the updates probe lists up to 200) or 1,000 changed files (integrity lists up to 1,000) sent an event the
 * collector refused (it takes 100 evidence items), which the agent set aside for good; a node with more than 100
 * security updates lost its high-severity alert that way. Against the collector's own validator, and the agent's
 * alert flow delivering to a real `hostward collector` process.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import pino from 'pino';
import type { AlertEvent, AlertGroup, Evidence, Finding, Report } from '../../src/contracts.js';
import { EVENT_LIMITS, EVENT_REFUSED_CHECK, MAX_EVENT_BYTES, MAX_EVIDENCE_ITEMS } from '../../src/contracts.js';
import { validateEvents } from '../../src/collector/validate.js';
import { emptyState, fitEvent, resendEvents, startAlerting } from '../../src/alerts/index.js';
import { parseState } from '../../src/alerts/diff.js';
import { shorten } from '../../src/alerts/limits.js';
import { afterDelivery } from '../../src/alerts/refused.js';
import type { Alerting } from '../../src/alerts/index.js';
import { defaultConfig } from '../../src/config/config.js';
import { TOKEN, makeDirs, requireBuild, startCollectorProcess, stop, waitFor } from '../collector/helpers.js';
import type { Dirs, Proc } from '../collector/helpers.js';

const pkg = (i: number) => `pkg-${i} 1.0-1 -> 1.0-2 (security)`;
const items = (n: number, text = pkg): Evidence[] =>
  Array.from({ length: n }, (_, i) => ({ file: '/var/lib/dpkg/status', text: text(i) }));

function event(evidence: Evidence[], over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: 'e-1',
    node: 'worker-1',
    check: 'updates.security_updates',
    probe: 'updates',
    status: 'fail',
    severity: 'high',
    title: 'Security updates are installed',
    message: 'pending security updates',
    evidence,
    observedAt: '2026-12-06T10:00:00.000Z',
    ...over,
  };
}

const accepted = (e: AlertEvent) => validateEvents([JSON.parse(JSON.stringify(e)) as unknown]);

describe('fitEvent: what the collector would refuse, fitted', () => {
  it('the evidence limit is one contract constant, the collector validator takes exactly it', () => {
    expect(EVENT_LIMITS.evidence).toBe(MAX_EVIDENCE_ITEMS);
    expect(accepted(event(items(MAX_EVIDENCE_ITEMS))).ok).toBe(true);
    expect(accepted(event(items(MAX_EVIDENCE_ITEMS + 1))).ok).toBe(false);
  });

  it('1,000 items: 99 kept, the last says 901 more, and evidenceOmitted says it typed', () => {
    const e = fitEvent(event(items(1000)));
    expect(e.evidence).toHaveLength(MAX_EVIDENCE_ITEMS);
    expect(e.evidence.slice(0, 99)).toEqual(items(99));
    expect(e.evidence.at(-1)!.text).toMatch(/^901 more evidence items not sent/);
    expect(e.evidenceOmitted).toBe(901);
    expect(accepted(e)).toMatchObject({ ok: true });
  });

  it('143 pending updates (the updates probe allows 200): fitted, accepted; 100 or fewer are untouched', () => {
    const e = fitEvent(event(items(143)));
    expect(e.evidenceOmitted).toBe(44);
    expect(accepted(e).ok).toBe(true);
    const small = event(items(100));
    expect(fitEvent(small)).toEqual(small);
    expect(fitEvent(small).evidenceOmitted).toBeUndefined();
  });

  it('long strings are shortened, saying how much was cut; bytes stay under MAX_EVENT_BYTES', () => {
    const wide = '\u{1F512}'.repeat(5000); // 4 bytes each in UTF-8, 2 characters each in the collector's count
    const e = fitEvent(
      event(
        items(100, () => wide),
        { title: 't'.repeat(5000), message: 'm'.repeat(100_000) },
      ),
    );
    expect(e.title.length).toBeLessThanOrEqual(EVENT_LIMITS.title);
    expect(e.title).toMatch(/characters cut\)$/);
    expect(e.message.length).toBeLessThanOrEqual(EVENT_LIMITS.message);
    expect(e.message.length).toBeGreaterThan(EVENT_LIMITS.message - 5);
    expect(e.evidence.every((x) => (x.text?.length ?? 0) <= EVENT_LIMITS.evidenceText)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(e.evidenceOmitted).toBeGreaterThan(0);
    expect(accepted(e).ok).toBe(true);
  });

  it('a cut never halves a character of two UTF-16 units, at any offset', () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (let pad = 0; pad < 4; pad++) {
      const s = shorten('x'.repeat(pad) + '\u{1F600}'.repeat(200), 100);
      expect(s.length, `pad ${pad}`).toBeLessThanOrEqual(100);
      expect(lone.test(s), `pad ${pad}: ${JSON.stringify(s)}`).toBe(false);
      const cut = Number(/\((\d+) characters cut\)$/.exec(s)![1]);
      expect(s.indexOf(' … (') + cut, `pad ${pad}: kept and cut make the whole`).toBe(pad + 400);
    }
  });

  it('whatever a finding holds, the fitted event passes the collector validator (property)', () => {
    const str = (max: number) => fc.string({ unit: 'binary', maxLength: max });
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const ev = fc.record({ file: opt(str(6000)), line: opt(fc.nat()), text: opt(str(6000)) }, { requiredKeys: [] });
    fc.assert(
      fc.property(
        fc.array(ev, { maxLength: 400 }),
        str(2000).map((s) => s || 't'),
        str(40_000),
        (evidence, title, message) => {
          const clean = evidence.map(
            (x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Evidence,
          );
          const e = fitEvent(event(clean, { title, message }));
          const v = accepted(e);
          if (!v.ok) throw new Error(v.error);
          expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
        },
      ),
      { numRuns: 60, seed: 0x11e7 },
    );
  });
});

describe('refusals are state, not history', () => {
  const refused = {
    'updates.security_updates': {
      eventId: 'e-9',
      why: 'HTTP 400: [0].title: required',
      at: '2026-12-06T10:00:00.000Z',
    },
  };
  it('kept across a restart and re-sent with the open alerts', () => {
    const s = parseState(JSON.stringify({ ...emptyState('w1'), refused }))!;
    expect(s.refused).toEqual(refused);
    const again = resendEvents(s, () => 'id', new Date('2026-12-06T11:00:00.000Z'));
    expect(again).toEqual([expect.objectContaining({ check: EVENT_REFUSED_CHECK, status: 'fail', node: 'w1' })]);
    expect(parseState(JSON.stringify({ ...emptyState('w1'), refused: { x: 'y' } }))!.refused).toBeUndefined();
  });

  it('cleared by a later accepted event of the same check, not by the refused one or another check', () => {
    const ev = (check: string, id: string) => event([], { check, id });
    expect(afterDelivery(refused, [ev('updates.security_updates', 'e-9'), ev('ssh.password_auth', 'e-10')])).toBe(
      refused,
    );
    expect(afterDelivery(refused, [ev('updates.security_updates', 'e-11')])).toBeUndefined();
  });
});

function report(findings: Partial<Finding>[], startedAt: string): Report {
  return {
    node: 'limits-node',
    root: '/',
    agentVersion: 'test',
    startedAt,
    durationSeconds: 1,
    os: { id: 'debian', versionId: '12', prettyName: 'Debian', kernel: '6.1' },
    probes: [],
    findings: findings.map((f) => ({
      check: 'updates.pending_updates',
      probe: 'updates',
      title: 'No updates are pending',
      status: 'fail',
      severity: 'medium',
      message: 'pending updates',
      evidence: [],
      references: [],
      remediation: '',
      ...f,
    })),
    summary: { pass: 0, fail: findings.length, unknown: 0, skip: 0, accepted: 0 },
    measurements: [],
  };
}

describe('the agent delivering to a real collector', () => {
  let d: Dirs;
  let c: Proc;
  let state: string;
  let alerting: Alerting;
  beforeAll(async () => {
    requireBuild();
    d = makeDirs();
    c = await startCollectorProcess(d);
    state = mkdtempSync(path.join(os.tmpdir(), 'hostward-limits-agent-'));
    const config = defaultConfig();
    config.agent.stateDir = state;
    config.agent.collectorUrl = c.base;
    config.agent.tokenFile = d.token;
    config.agent.retryInitialMs = 20;
    config.agent.retryMaxMs = 200;
    alerting = startAlerting({ config, log: pino({ level: 'silent' }) });
  }, 30_000);
  afterAll(async () => {
    await alerting?.close();
    if (c) await stop(c);
    if (d) rmSync(d.dir, { recursive: true, force: true });
    if (state) rmSync(state, { recursive: true, force: true });
  });

  const groups = async () =>
    (await (
      await fetch(`${c.base}/v1/alerts`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json()) as AlertGroup[];
  const group = (check: string, status = 'open') =>
    waitFor(
      async () => (await groups()).find((g) => g.check === check && g.status === status),
      15_000,
      () => c.logs(),
    );
  const metricText = () => alerting.registry.metrics();
  const rejected = () => path.join(state, 'outbox', 'rejected.ndjson');
  /** What the collector stored for a (node, check), read from its database. */
  const stored = (check: string) => {
    const db = new DatabaseSync(d.db, { readOnly: true });
    try {
      const row = db
        .prepare('SELECT evidence FROM node_checks WHERE node = ? AND check_id = ?')
        .get('limits-node', check) as { evidence: string } | undefined;
      const last = 'SELECT body FROM events WHERE node = ? AND check_id = ? ORDER BY seq DESC LIMIT 1';
      const body = db.prepare(last).get('limits-node', check) as { body: string } | undefined;
      return {
        evidence: JSON.parse(row?.evidence ?? '[]') as Evidence[],
        event: JSON.parse(body?.body ?? '{}') as Partial<AlertEvent>,
      };
    } finally {
      db.close();
    }
  };

  it('1,000 changed files and 143 pending updates arrive, trimmed to the limit with the count, nothing set aside', async () => {
    await alerting.onReport(
      report(
        [
          {
            check: 'integrity.files_unchanged',
            probe: 'integrity',
            severity: 'high',
            evidence: items(1000, (i) => `modified: content of /usr/bin/tool-${i}`),
          },
          { check: 'updates.pending_updates', evidence: items(143) },
        ],
        '2026-12-06T10:00:00.000Z',
      ),
    );
    await group('integrity.files_unchanged');
    await group('updates.pending_updates');
    const files = stored('integrity.files_unchanged');
    expect(files.evidence).toHaveLength(MAX_EVIDENCE_ITEMS);
    expect(files.evidence.at(-1)!.text).toMatch(/^901 more evidence items not sent/);
    const updates = stored('updates.pending_updates');
    expect(updates.evidence).toHaveLength(MAX_EVIDENCE_ITEMS);
    expect(updates.evidence.at(-1)!.text).toMatch(/^44 more/);
    expect(existsSync(rejected())).toBe(false);
    expect(await metricText()).toMatch(/^hostward_alerts_refused_total\{sink="collector"\} 0$/m);
    expect((await groups()).find((g) => g.check === EVENT_REFUSED_CHECK)).toBeUndefined();
  });

  it('an event still refused raises hostward.event_refused and the metric; a later accepted event resolves it', async () => {
    // A finding the collector refuses for something other than size (an empty title): set aside, never retried.
    const security = { check: 'updates.security_updates', severity: 'high' as const, evidence: items(3) };
    await alerting.onReport(report([{ ...security, title: '' }], '2026-12-06T10:01:00.000Z'));
    const g = await group(EVENT_REFUSED_CHECK);
    expect(g).toMatchObject({ severity: 'high', nodes: ['limits-node'] });
    const own = stored(EVENT_REFUSED_CHECK);
    expect(own.evidence.map((x) => x.text).join('\n')).toMatch(
      /updates\.security_updates: event \S+ refused at \S+: HTTP 400: \[0\]\.title/,
    );
    expect(await metricText()).toMatch(/^hostward_alerts_refused_total\{sink="collector"\} 1$/m);
    expect(existsSync(rejected())).toBe(true);
    // The same check, now acceptable: the collector's view of it is current again.
    await alerting.onReport(
      report([{ ...security, title: 'Security updates are installed' }], '2026-12-06T10:02:00.000Z'),
    );
    await group('updates.security_updates');
    await group(EVENT_REFUSED_CHECK, 'resolved');
  });
});
