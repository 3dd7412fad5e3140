/** A pino logger that writes into memory, for tests that assert on what was (or was never) logged. */
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function captureLog(level: pino.LevelWithSilent = 'trace'): { log: pino.Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return { log: pino({ level }, stream), text: () => text };
}
