/**
 * What a scan logs through. pino's Logger is one; a one-off scan is handed a deferred one, because loading pino
 * costs the command line ~30 ms of its start-up and a scan that goes well writes no line at all at its level.
 */

/** One call: an object of fields and a message, or a message alone (pino's calling convention). */
export type LogCall = (fieldsOrMessage: unknown, message?: string) => void;

export interface ScanLog {
  debug: LogCall;
  info: LogCall;
  warn: LogCall;
  error: LogCall;
  child(bindings: Record<string, unknown>): ScanLog;
}

/** pino's level numbers, which decide whether a call is written at all. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * A ScanLog that makes its real logger at the first call at or above `level`, and never when no such call comes.
 * Children are deferred the same way, each made from its parent's real logger when it first writes.
 */
export function deferredLog(level: LogLevel, make: () => ScanLog): ScanLog {
  let real: ScanLog | undefined;
  const target = (): ScanLog => (real ??= make());
  const at =
    (threshold: number, pick: (l: ScanLog) => LogCall): LogCall =>
    (fieldsOrMessage, message) => {
      if (threshold < LEVELS[level]) return;
      const call = pick(target());
      if (message === undefined) call(fieldsOrMessage);
      else call(fieldsOrMessage, message);
    };
  return {
    debug: at(LEVELS.debug, (l) => l.debug.bind(l)),
    info: at(LEVELS.info, (l) => l.info.bind(l)),
    warn: at(LEVELS.warn, (l) => l.warn.bind(l)),
    error: at(LEVELS.error, (l) => l.error.bind(l)),
    child: (bindings) => deferredLog(level, () => target().child(bindings)),
  };
}
