/**
 * The e2e helpers' own guarantees: stop() leaves no process of the group behind (children included, and
 * processes that ignore SIGTERM), and the recorder keeps malformed and oversized bodies without failing.
 */
import { describe, expect, it } from 'vitest';
import { groupAlive, groupSize, start, startRecorder, stop, waitFor } from './procs.js';

describe('stop()', () => {
  it('ends the leader and its children with SIGTERM', async () => {
    const s = start('sleepers', 'sh', ['-c', 'sleep 60 & sleep 60 & wait']);
    await waitFor('two children', () => (groupSize(s.pid) >= 3 ? true : undefined), 5000);
    await stop(s, 5000);
    expect(groupAlive(s.pid)).toBe(false);
    expect(await s.exited).toBe('SIGTERM');
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    // An ignored signal stays ignored across exec, so the sleeps ignore SIGTERM too.
    const s = start('stubborn', 'sh', ['-c', "trap '' TERM; sleep 60 & sleep 60 & wait"]);
    // The shell sets its trap before it starts the sleeps: once they run, SIGTERM is ignored by the whole group.
    await waitFor('two children', () => (groupSize(s.pid) >= 3 ? true : undefined), 5000);
    const t0 = Date.now();
    await stop(s, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(groupAlive(s.pid)).toBe(false);
    expect(await s.exited).toBe('SIGKILL');
  });

  it('groupAlive is false for a group that never existed', () => {
    // Process ids are below 2^22 on Linux.
    expect(groupAlive(2 ** 22 + 12345)).toBe(false);
  });
});

describe('recorder', () => {
  it('records JSON, keeps malformed and truncated JSON as text, caps huge bodies, answers like Slack and PagerDuty', async () => {
    const rec = await startRecorder();
    try {
      const post = (p: string, body: string | Buffer) => fetch(`${rec.url}${p}`, { method: 'POST', body });
      let r = await post('/slack/x', JSON.stringify({ text: 'hi' }));
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('ok');
      r = await post('/pagerduty/x', '{"event_action":');
      expect(r.status).toBe(202);
      r = await post('/hook', Buffer.alloc(6 * 1024 * 1024, 0x61));
      expect(r.status).toBe(200);
      expect(rec.received.map((x) => x.path)).toEqual(['/slack/x', '/pagerduty/x', '/hook']);
      expect(rec.received[0]!.body).toEqual({ text: 'hi' });
      expect(rec.received[1]!.body).toBe('{"event_action":');
      expect((rec.received[2]!.body as string).length).toBeLessThanOrEqual(4 * 1024 * 1024 + 64 * 1024);
    } finally {
      await rec.close();
    }
  });
});
