/**
 * The agent's side of the baseline digest: the integrity probe names its baseline as a typed field of its run in
 * the report (ProbeRun.baseline: digest, creation, signed, generation), the alert flow reads it (baselineOf),
 * never evidence text, and puts it on the first event of every batch it enqueues, heartbeats included. Real
 * baselines built by the probe's own library in temp dirs.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { AlertEvent, BaselineRef, Report } from '../../src/contracts.js';
import { baselineOf } from '../../src/alerts/diff.js';
import { startAlerting } from '../../src/alerts/index.js';
import { Outbox } from '../../src/alerts/outbox.js';
import { defaultConfig } from '../../src/config/config.js';
import { integrityAccept, integrityInit } from '../../src/integrity/index.js';
import { sandbox, scanIntegrity } from '../integrity/helpers.js';
import type { Sandbox } from '../integrity/helpers.js';

const boxes: Sandbox[] = [];
const dirs: string[] = [];
afterAll(() => {
  boxes.forEach((b) => b.cleanup());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const POLICY = `version: 1
rules:
  - {path: /etc/ssh, properties: config, category: ssh}
`;

function box(): Sandbox {
  const s = sandbox({ 'etc/ssh/sshd_config': 'PasswordAuthentication no\n' });
  boxes.push(s);
  writeFileSync(`${s.state}/policy.yaml`, POLICY);
  return s;
}

function report(evidenceTexts: (string | undefined)[], check = 'integrity.baseline_valid', baseline?: unknown): Report {
  const r: Report = {
    node: 'w1',
    root: '/',
    agentVersion: 'test',
    startedAt: '2026-11-24T10:00:00.000Z',
    durationSeconds: 1,
    os: { id: 'debian', versionId: '12', prettyName: 'Debian', kernel: '6.1' },
    probes: [{ probe: 'integrity', status: 'ok', durationSeconds: 1 }],
    findings: [
      {
        check,
        probe: 'integrity',
        title: 't',
        status: 'pass',
        severity: 'critical',
        message: 'm',
        evidence: evidenceTexts.map((text) => (text === undefined ? { file: '/x' } : { file: '/x', text })),
        references: [],
        remediation: '',
      },
    ],
    summary: { pass: 1, fail: 0, unknown: 0, skip: 0, accepted: 0 },
    measurements: [],
  };
  if (baseline !== undefined) r.probes[0]!.baseline = baseline as BaselineRef;
  return r;
}

const DIGEST = 'ab'.repeat(32);

describe('the integrity probe names its baseline', () => {
  it('a signed baseline: digest, creation time and signed=true, parsed back by the alert flow', async () => {
    const s = box();
    const made = await integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key });
    const r = await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, keyFile: s.key });
    const b = baselineOf(r);
    expect(b).toBeDefined();
    expect(b!.digest).toBe(made.digest);
    expect(b!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b!.signed).toBe(true);
    expect(Number.isFinite(Date.parse(b!.created))).toBe(true);
    expect(b!.generation).toBe(1);
    // accept after a change: a new digest, as the collector will see it.
    writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    await integrityAccept({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key });
    const after = baselineOf(
      await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, keyFile: s.key }),
    );
    expect(after?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(after?.digest).not.toBe(b!.digest);
    expect(after?.generation).toBe(2);
  });

  it('an unsigned baseline says signed=false; a signed one checked without the key is not sent at all', async () => {
    const s = box();
    await integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: null });
    expect(baselineOf(await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml` }))?.signed).toBe(false);
    const t = box();
    await integrityInit({ root: t.root, policy: `${t.state}/policy.yaml`, dbFile: t.db, keyFile: t.key });
    // It could have been re-signed by anyone: the probe fails it and names no baseline (test/integrity/trust.test.ts).
    expect(baselineOf(await scanIntegrity(t.root, { db: t.db, policy: `${t.state}/policy.yaml` }))).toBeUndefined();
  });

  it('no baseline, or a tampered one: nothing to send', async () => {
    const s = box();
    expect(
      baselineOf(await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, keyFile: s.key })),
    ).toBeUndefined();
    await integrityInit({ root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key });
    writeFileSync(s.db, 'garbage\n');
    const r = await scanIntegrity(s.root, { db: s.db, policy: `${s.state}/policy.yaml`, keyFile: s.key });
    expect(r.findings.find((f) => f.check === 'integrity.baseline_valid')?.status).toBe('fail');
    expect(baselineOf(r)).toBeUndefined();
  });
});

describe('baselineOf reads the typed field only', () => {
  const REF = { digest: DIGEST, created: '2026-11-24T10:00:00.000Z', signed: true, generation: 3 };
  it('takes the run field, and never evidence text', () => {
    expect(baselineOf(report([], 'integrity.baseline_valid', REF))).toEqual(REF);
    const { generation: _, ...older } = REF; // an agent's child scan from before generations
    expect(baselineOf(report([], 'integrity.baseline_valid', older))).toEqual(older);
    // The text the probe writes for people, alone, is not a baseline (it used to be parsed back).
    const text = `baseline digest=${DIGEST} generation=3 created=2026-11-24T10:00:00.000Z signed=true`;
    expect(baselineOf(report([text]))).toBeUndefined();
    expect(
      baselineOf(report([`baseline digest=${DIGEST} created=2026-11-24T10:00:00.000Z signed=true`])),
    ).toBeUndefined();
  });

  it('drops a field not of the wire shape rather than send an event the collector would refuse', () => {
    const bad: unknown[] = [
      { ...REF, digest: DIGEST.toUpperCase() },
      { ...REF, digest: DIGEST.slice(0, 20) },
      { ...REF, digest: 'a'.repeat(100_000) },
      { ...REF, created: 'yesterday' },
      { ...REF, created: '2026-11-24' },
      { ...REF, signed: 'yes' },
      { ...REF, generation: -1 },
      { ...REF, generation: 1.5 },
      { ...REF, generation: '2' },
      { ...REF, generation: 2 ** 60 },
      'digest',
    ];
    for (const b of bad)
      expect(baselineOf(report([], 'integrity.baseline_valid', b)), JSON.stringify(b).slice(0, 80)).toBeUndefined();
  });
});

describe('the alert flow sends it', () => {
  it('on the first event of every batch: heartbeats and changes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-alerts-baseline-'));
    dirs.push(dir);
    const config = defaultConfig();
    config.agent.stateDir = dir;
    delete config.agent.collectorUrl;
    const alerting = startAlerting({ config, log: pino({ level: 'silent' }) });
    const ref = { digest: DIGEST, created: '2026-11-24T10:00:00.000Z', signed: true, generation: 4 };
    await alerting.onReport(report([], 'integrity.baseline_valid', ref)); // nothing failing: a heartbeat
    const failing = report([], 'integrity.baseline_valid', ref);
    failing.findings.push({
      ...failing.findings[0]!,
      check: 'ssh.password_auth',
      probe: 'ssh',
      status: 'fail',
      severity: 'high',
      evidence: [],
    });
    failing.startedAt = '2026-11-24T10:01:00.000Z';
    await alerting.onReport(failing); // one fail event
    const noBaseline = report([]);
    noBaseline.startedAt = '2026-11-24T10:02:00.000Z';
    // Resolves ssh.password_auth (absent → unknown grace) or heartbeat; no baseline.
    await alerting.onReport(noBaseline);
    await alerting.close();
    const box = Outbox.open({
      dir: path.join(dir, 'outbox'),
      maxBytes: 1 << 20,
      maxAgeMs: 3600_000,
      log: pino({ level: 'silent' }),
    });
    const events: AlertEvent[] = box.peek(100).map((p) => p.event);
    box.close();
    expect(events.length).toBe(3);
    expect(events[0]!.check).toBe('hostward.heartbeat');
    expect(events[0]!.baseline).toEqual(ref);
    expect(events[1]!.check).toBe('ssh.password_auth');
    expect(events[1]!.baseline?.digest).toBe(DIGEST);
    expect(events[2]!.baseline).toBeUndefined();
  });
});
