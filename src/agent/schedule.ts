/**
 * When the agent scans. node-cron parses and validates the expression; the next run is computed here,
 * because a running node-cron task formats every tick through Intl, and loading ICU costs the idle agent
 * ~9 MB on every node of a fleet. Local time, as node-cron without a timezone; day of month and day of week
 * must both match, as in node-cron. Its special day tokens (L, 5L, 1#2) are refused at start.
 */
import cron from 'node-cron';

export interface Schedule {
  expression: string;
  second: number[];
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  month: number[];
  dayOfWeek: number[];
}

/** Thrown by parseSchedule when the expression is not usable; the message names agent.schedule. */
export class ScheduleError extends Error {
  readonly code = 'HOSTWARD_SCHEDULE_INVALID';
  /** The setting it is about; the configuration loader reports the problem under it. */
  readonly key = 'agent.schedule';
  constructor(readonly problem: string) {
    super(`agent.schedule: ${problem}`);
  }
}

const asc = (xs: readonly number[]) => [...new Set(xs)].sort((a, b) => a - b);

export function parseSchedule(expression: string): Schedule {
  const where = JSON.stringify(expression);
  if (!cron.validate(expression)) {
    const detail = cron
      .validateDetailed(expression)
      .errors.map((e) => `${e.field}: ${e.message}`)
      .join('; ');
    throw new ScheduleError(
      `${where} is not a valid cron expression${detail ? ` (${detail})` : ''}; expected 5 or 6 fields, e.g. "*/5 * * * *"`,
    );
  }
  const f = cron.parse(expression);
  const numbers = (field: string, xs: readonly (number | string)[]): number[] => {
    const bad = xs.find((x) => typeof x !== 'number');
    if (bad !== undefined)
      throw new ScheduleError(
        `${where}: the ${field} token ${JSON.stringify(bad)} is not supported; use plain values, ranges, lists and steps`,
      );
    return asc(xs as number[]);
  };
  return {
    expression,
    second: asc(f.second),
    minute: asc(f.minute),
    hour: asc(f.hour),
    dayOfMonth: numbers('day-of-month', f.dayOfMonth),
    month: asc(f.month),
    dayOfWeek: numbers('day-of-week', f.dayOfWeek).map((d) => d % 7),
  };
}

/** How far ahead to look: a schedule that matches nothing in 8 years (Feb 30) never runs. */
const MAX_DAYS = 366 * 8;

/** The first time strictly after `after` that the schedule matches, or undefined when there is none. */
export function nextRun(s: Schedule, after: Date): Date | undefined {
  const day = new Date(after.getFullYear(), after.getMonth(), after.getDate());
  for (let i = 0; i < MAX_DAYS; i++, day.setDate(day.getDate() + 1)) {
    if (
      !s.month.includes(day.getMonth() + 1) ||
      !s.dayOfMonth.includes(day.getDate()) ||
      !s.dayOfWeek.includes(day.getDay())
    )
      continue;
    for (const h of s.hour) {
      for (const m of s.minute) {
        for (const sec of s.second) {
          const t = new Date(day.getFullYear(), day.getMonth(), day.getDate(), h, m, sec);
          // Skips times a DST change removes (the Date rolls over to another hour).
          if (t.getTime() > after.getTime() && t.getHours() === h && t.getMinutes() === m) return t;
        }
      }
    }
  }
  return undefined;
}

/** setTimeout takes at most 2^31-1 ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Ticker {
  stop(): void;
}

/** Call `tick` at every run of the schedule until stopped. */
export function startTicker(s: Schedule, tick: () => void, now: () => Date = () => new Date()): Ticker {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    const at = nextRun(s, now());
    if (!at) return;
    const wait = (target: Date): void => {
      const ms = target.getTime() - now().getTime();
      timer = setTimeout(
        () => {
          if (stopped) return;
          if (ms > MAX_TIMER_MS) return wait(target);
          tick();
          arm();
        },
        Math.max(0, Math.min(ms, MAX_TIMER_MS)),
      );
    };
    wait(at);
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
