import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { deferredLog } from '../src/scan/log.js';
import type { ScanLog } from '../src/scan/log.js';

/** A ScanLog that records its calls and how often it was made. */
function recorder() {
  const lines: unknown[][] = [];
  let made = 0;
  const make = (bound: Record<string, unknown> = {}): ScanLog => {
    made++;
    const write =
      (lvl: string) =>
      (...args: unknown[]) =>
        lines.push([lvl, bound, ...args]);
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (b) => make({ ...bound, ...b }),
    };
  };
  return { lines, made: () => made, make };
}

describe('deferredLog', () => {
  it('makes no logger while every call is below its level, children included', () => {
    const r = recorder();
    const log = deferredLog('warn', () => r.make());
    log.debug({ a: 1 }, 'dropped');
    log.info('dropped too');
    log.child({ probe: 'ssh' }).info('and this');
    expect(r.made()).toBe(0);
    expect(r.lines).toEqual([]);
  });

  it('makes the logger once, at the first call at its level, and passes the call on as it was made', () => {
    const r = recorder();
    const log = deferredLog('info', () => r.make());
    log.debug('below');
    log.info({ n: 1 }, 'first');
    log.warn('message only');
    log.error({ err: 'x' });
    expect(r.made()).toBe(1);
    expect(r.lines).toEqual([
      ['info', {}, { n: 1 }, 'first'],
      ['warn', {}, 'message only'],
      ['error', {}, { err: 'x' }],
    ]);
  });

  it('gives children their bindings when they first write; silent writes nothing at all', () => {
    const r = recorder();
    const child = deferredLog('debug', () => r.make()).child({ probe: 'files' });
    expect(r.made()).toBe(0);
    child.debug({ k: 'v' }, 'hello');
    expect(r.lines).toEqual([['debug', { probe: 'files' }, { k: 'v' }, 'hello']]);
    const silent = recorder();
    deferredLog('silent', () => silent.make()).error('never');
    expect(silent.made()).toBe(0);
  });

  it('drives a real pino logger: its lines carry the fields, the message and the child bindings', () => {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk.toString());
        cb();
      },
    });
    const log = deferredLog('warn', () => pino({ level: 'warn' }, sink));
    log.child({ probe: 'kernel' }).warn({ err: 'boom' }, 'probe failed');
    log.info('below the level');
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, probe: 'kernel', err: 'boom', msg: 'probe failed' });
  });
});
