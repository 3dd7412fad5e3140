import { describe, it, expect } from 'vitest';
import { diffReport, emptyState, resendEvents, parseState } from '../../src/alerts/diff.js';
import type { AlertState } from '../../src/alerts/diff.js';
import type { Finding, Report, Status } from '../../src/contracts.js';

let n = 0;
const newId = () => `id-${++n}`;

function finding(check: string, status: Status, over: Partial<Finding> = {}): Finding {
  return {
    check,
    probe: check.split('.')[0]!,
    title: `title of ${check}`,
    status,
    severity: 'high',
    message: `${check} is ${status}`,
    evidence: [],
    references: [],
    remediation: '',
    ...over,
  };
}

function report(findings: Finding[], node = 'worker-1'): Report {
  return {
    node,
    root: '/host',
    agentVersion: '0.1.0',
    startedAt: '2026-11-24T10:00:00.000Z',
    durationSeconds: 1,
    os: { id: 'debian', versionId: '12', prettyName: 'Debian', kernel: '6.1' },
    probes: [],
    findings,
    summary: { pass: 0, fail: 0, unknown: 0, skip: 0, accepted: 0 },
    measurements: [],
  };
}

const opts = { unknownGraceScans: 0, newId };

function step(prev: AlertState, findings: Finding[], o = opts) {
  return diffReport(prev, report(findings), o);
}

describe('alert state diff', () => {
  it('entering fail opens; staying the same sends nothing; a changed message or evidence updates', () => {
    const a = step(emptyState('worker-1'), [finding('ssh.password_auth', 'fail'), finding('ssh.root_login', 'pass')]);
    expect(a.events.map((e) => [e.check, e.status])).toEqual([['ssh.password_auth', 'fail']]);
    expect(a.events[0]).toMatchObject({
      node: 'worker-1',
      probe: 'ssh',
      severity: 'high',
      observedAt: '2026-11-24T10:00:01.000Z',
    });
    expect(Object.keys(a.next.open)).toEqual(['ssh.password_auth']);

    const b = step(a.next, [finding('ssh.password_auth', 'fail')]);
    expect(b.events).toEqual([]);
    const c = step(b.next, [
      finding('ssh.password_auth', 'fail', { evidence: [{ file: '/etc/ssh/sshd_config', line: 2 }] }),
    ]);
    expect(c.events.map((e) => e.status)).toEqual(['fail']);
    expect(c.next.open['ssh.password_auth']!.openedAt).toBe(a.next.open['ssh.password_auth']!.openedAt);
    const d = step(c.next, [
      finding('ssh.password_auth', 'fail', {
        evidence: [{ file: '/etc/ssh/sshd_config', line: 2 }],
        severity: 'critical',
      }),
    ]);
    expect(d.events.map((e) => e.severity)).toEqual(['critical']);
  });

  it('pass and skip resolve; an accepted exception resolves with accepted: true', () => {
    const open = step(emptyState('worker-1'), [
      finding('a.x', 'fail'),
      finding('a.y', 'fail'),
      finding('a.z', 'fail'),
    ]).next;
    const r = step(open, [
      finding('a.x', 'pass'),
      finding('a.y', 'skip'),
      finding('a.z', 'fail', { exception: { reason: 'ok', expires: '2099-01-01' } }),
    ]);
    expect(r.events.map((e) => [e.check, e.status, e.accepted ?? false])).toEqual([
      ['a.x', 'pass', false],
      ['a.y', 'skip', false],
      ['a.z', 'fail', true],
    ]);
    expect(r.next.open).toEqual({});
    // An accepted failure never opens.
    expect(
      step(emptyState('worker-1'), [finding('a.z', 'fail', { exception: { reason: 'ok', expires: '2099-01-01' } })])
        .events,
    ).toEqual([]);
  });

  it('unknown or a missing check never resolves by itself (grace 0)', () => {
    let s = step(emptyState('worker-1'), [finding('a.x', 'fail'), finding('a.y', 'fail')]).next;
    for (let i = 0; i < 10; i++) {
      const r = step(s, [finding('a.x', 'unknown')]);
      expect(r.events).toEqual([]);
      s = r.next;
    }
    expect(Object.keys(s.open).sort()).toEqual(['a.x', 'a.y']);
    expect(s.open['a.x']!.unknownScans).toBe(10);
    // Failing again resets the count and sends nothing (nothing changed).
    const back = step(s, [finding('a.x', 'fail'), finding('a.y', 'fail')]);
    expect(back.events).toEqual([]);
    expect(back.next.open['a.x']!.unknownScans).toBe(0);
  });

  it('with a grace of N scans, N consecutive unknowns resolve (status unknown)', () => {
    const o = { unknownGraceScans: 3, newId };
    let s = step(emptyState('worker-1'), [finding('a.x', 'fail')], o).next;
    s = step(s, [finding('a.x', 'unknown')], o).next;
    s = step(s, [], o).next;
    const r = step(s, [finding('a.x', 'unknown', { message: 'sshd_config unreadable' })], o);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ check: 'a.x', status: 'unknown' });
    expect(r.events[0]!.message).toMatch(/unknown for 3 scans: sshd_config unreadable/);
    expect(r.next.open).toEqual({});
  });

  it('re-send: the current state of every open alert with fresh ids', () => {
    const s = step(emptyState('worker-1'), [finding('a.x', 'fail'), finding('a.y', 'fail')]).next;
    const ev = resendEvents(s, newId, new Date('2026-11-24T11:00:00Z'));
    expect(ev.map((e) => [e.check, e.status, e.observedAt])).toEqual([
      ['a.x', 'fail', '2026-11-24T11:00:00.000Z'],
      ['a.y', 'fail', '2026-11-24T11:00:00.000Z'],
    ]);
    expect(new Set(ev.map((e) => e.id)).size).toBe(2);
  });

  it('a persisted state reads back; a damaged one is refused', () => {
    const s = step(emptyState('worker-1'), [finding('a.x', 'fail')]).next;
    expect(parseState(JSON.stringify(s))).toEqual(s);
    expect(parseState('{"version":1,"node":"w","open":{"a":{}}}')).toBeUndefined();
    expect(parseState(JSON.stringify(s).slice(0, 20))).toBeUndefined();
    expect(parseState('null')).toBeUndefined();
  });
});
