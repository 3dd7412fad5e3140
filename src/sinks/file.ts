/**
 * The file sink: one NDJSON line per group change, appended and fsynced before it counts as delivered;
 * `-` writes to stdout (for piping into one's own tools). For tests, and for users who post-process.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { GroupChange, Sink } from '../collector/sink.js';
import { SinkError } from '../collector/sink.js';
import { optionType as t } from '../probe-options.js';
import { defineSink, setting } from './definition.js';
import { nonEmpty, str } from './keyed.js';

/** A file sink named `name` appending to `target`, or writing to stdout for "-". */
export function fileSink(target: string, name: string): Sink {
  if (target === '-') {
    return {
      name,
      type: 'file',
      deliver: (change) =>
        new Promise<void>((resolve, reject) => {
          process.stdout.write(line(change), (err) => (err ? reject(new SinkError(err.message, false)) : resolve()));
        }),
    };
  }
  mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  let fd: number | undefined = openSync(target, 'a', 0o640);
  return {
    name,
    type: 'file',
    deliver(change) {
      if (fd === undefined) return Promise.reject(new SinkError('file sink closed', false));
      const buf = Buffer.from(line(change));
      try {
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        fsyncSync(fd);
      } catch (e) {
        return Promise.reject(new SinkError(`cannot write ${target}: ${(e as Error).message}`, false));
      }
      return Promise.resolve();
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      return Promise.resolve();
    },
  };
}

function line(change: GroupChange): string {
  return JSON.stringify({ type: 'hostward.alert_group', ...change }) + '\n';
}

export interface FileSinkDef {
  name: string;
  type: 'file';
  path: string;
}

export const fileDefinition = defineSink({
  type: 'file',
  floor: 'info',
  simpleNames: ['file', 'stdout'],
  keys: [
    {
      key: 'path',
      type: t.str('file, or - for stdout'),
      required: true,
      example: '/var/lib/hostward/audit.ndjson',
      description: 'NDJSON of group changes.',
    },
  ],
  example: { name: 'archive', type: 'file', path: '/var/lib/hostward/audit.ndjson' },
  parse: (x, at, name): FileSinkDef => ({ name, type: 'file', path: str(x.path, `${at}.path`) }),
  settings: {
    /** NDJSON file sink: a path, or `-` for stdout. */
    fileSink: setting({
      env: 'HOSTWARD_FILE_SINK',
      parse: nonEmpty,
      doc: { type: t.str('file, or - for stdout'), example: '-', description: 'File sink: NDJSON of group changes.' },
    }),
  },
  simple: (s, _env, [file, stdout]) => (s.fileSink ? [fileSink(s.fileSink, s.fileSink === '-' ? stdout : file)] : []),
  create: (d) => [fileSink(d.path, d.name)],
});
