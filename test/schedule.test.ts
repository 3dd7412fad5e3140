import { describe, it, expect, vi } from 'vitest';
import cron from 'node-cron';
import { parseSchedule, nextRun, startTicker, ScheduleError } from '../src/agent/schedule.js';

const EXPRESSIONS = [
  '*/5 * * * *',
  '* * * * *',
  '0 3 * * 1-5',
  '*/10 * * * * *',
  '0 0 1 1 *',
  '0 12 * * sun',
  '0 0 15 * 1',
  '0 0 * * 7',
  '5 4 * jan,jul *',
  '30 2 29 2 *',
  '15,45 */6 * * *',
  '0 0 31 * *',
  '7 7 7 7 *',
];

describe('agent schedule', () => {
  it('agrees with node-cron’s own next runs', () => {
    for (const e of EXPRESSIONS) {
      const task = cron.createTask(e, () => undefined);
      const oracle = task.getNextRuns(12).map((d) => d.getTime());
      void task.destroy();
      const s = parseSchedule(e);
      const mine: number[] = [];
      let t = new Date();
      for (let i = 0; i < oracle.length; i++) {
        const n = nextRun(s, t)!;
        mine.push(n.getTime());
        t = n;
      }
      expect(mine, e).toEqual(oracle);
    }
  });

  it('is strictly after the given time, and finds rare dates', () => {
    const s = parseSchedule('*/5 * * * *');
    expect(nextRun(s, new Date(2026, 10, 24, 10, 0, 0))).toEqual(new Date(2026, 10, 24, 10, 5, 0));
    expect(nextRun(s, new Date(2026, 10, 24, 10, 4, 59, 999))).toEqual(new Date(2026, 10, 24, 10, 5, 0));
    expect(nextRun(parseSchedule('0 0 29 2 *'), new Date(2026, 0, 1))).toEqual(new Date(2028, 1, 29));
    expect(() => parseSchedule('0 0 30 2 *')).toThrow(/impossible day of month/);
    expect(nextRun({ ...parseSchedule('0 0 28 2 *'), dayOfMonth: [30] }, new Date(2026, 0, 1))).toBeUndefined();
  });

  it('refuses invalid expressions and unsupported day tokens, naming agent.schedule', () => {
    expect(() => parseSchedule('every five minutes')).toThrow(ScheduleError);
    expect(() => parseSchedule('61 * * * *')).toThrow(
      /agent\.schedule: "61 \* \* \* \*" is not a valid cron expression/,
    );
    expect(() => parseSchedule('0 0 L * *')).toThrow(/day-of-month token "L" is not supported/);
    expect(() => parseSchedule('0 0 * * 1#2')).toThrow(/day-of-week token "1#2" is not supported/);
  });

  it('ticks on schedule and stops', () => {
    // A fake clock: the ticks are counted by the schedule, not by how busy the machine is.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      vi.setSystemTime(new Date(2026, 10, 24, 10, 0, 0, 500));
      let ticks = 0;
      const t = startTicker(parseSchedule('* * * * * *'), () => ticks++);
      vi.advanceTimersByTime(499);
      expect(ticks).toBe(0);
      vi.advanceTimersByTime(1);
      expect(ticks).toBe(1); // 10:00:01
      vi.advanceTimersByTime(1600);
      expect(ticks).toBe(2); // 10:00:02, and 10:00:03 not yet
      t.stop();
      vi.advanceTimersByTime(5000);
      expect(ticks).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
