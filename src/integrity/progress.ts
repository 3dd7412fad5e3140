/**
 * The progress bar of `hostward integrity init|accept|check` on a terminal: paths done of the total (counted
 * first), bytes hashed, the hashing rate and an ETA, on one line of stderr rewritten in place. The rendering is a
 * pure function of the progress reports and the width (tested without a terminal); the CLI writes it to stderr
 * only when stderr is a TTY, so logs, pipes and CI stay quiet (DESIGN.md).
 */
import type { Progress } from './types.js';

const BAR_CELLS = 24;

/** 1234567 -> "1,234,567". */
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes with a decimal unit: "512 B", "3.4 MB", "5.70 GB". */
export function formatBytes(b: number): string {
  if (b < 1000) return `${Math.round(b)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = b;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** Seconds as "m:ss", or "h:mm:ss" from an hour. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A bar of `cells` cells, `fraction` of them full. */
export function bar(fraction: number, cells = BAR_CELLS): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.floor(f * cells);
  return '[' + '#'.repeat(full) + '-'.repeat(cells - full) + ']';
}

/** Turns progress reports into status lines; the rate and the ETA are of the scan phase (counting excluded). */
export class ProgressRenderer {
  constructor(private readonly action: string) {}

  /** The line for this report, at most `width` - 1 characters (no newline, no escape sequences). */
  render(p: Progress, width: number): string {
    let line: string;
    if (p.phase === 'count') line = `${this.action}: counting paths… ${count(p.files)}`;
    else {
      const secs = Math.max(0.001, p.elapsedMs / 1000);
      const rate = `${formatBytes(p.bytes / secs)}/s`;
      const parts: string[] = [];
      if (p.totalFiles !== undefined && p.totalFiles > 0) {
        const fraction = p.files / p.totalFiles;
        const left = Math.max(0, p.totalFiles - p.files);
        const eta =
          left === 0
            ? formatDuration(0)
            : p.files > 0 && secs >= 0.5
              ? formatDuration((left * secs) / p.files)
              : '--:--';
        // The percentage is padded so that the columns after it do not move as it grows.
        parts.push(
          bar(fraction),
          `${Math.min(100, Math.floor(fraction * 100))}%`.padStart(4),
          `${count(p.files)}/${count(p.totalFiles)} paths`,
          formatBytes(p.bytes),
          rate,
          `ETA ${eta}`,
        );
      } else parts.push(`${count(p.files)} paths`, formatBytes(p.bytes), rate, formatDuration(secs));
      line = `${this.action}: ${parts.join('  ')}`;
    }
    return width > 1 && line.length > width - 1 ? line.slice(0, width - 1) : line;
  }
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/**
 * Progress on `stream` when it is a terminal: onProgress for the library and clear() for the end. Undefined
 * when it is not a terminal, so nothing is printed.
 */
export function terminalProgress(
  stream: ProgressStream,
  action: string,
): { onProgress: (p: Progress) => void; clear: () => void } | undefined {
  if (!stream.isTTY) return undefined;
  const r = new ProgressRenderer(action);
  let shown = false;
  return {
    onProgress: (p) => {
      shown = true;
      stream.write(`\r${r.render(p, stream.columns ?? 80)}\x1b[K`);
    },
    clear: () => {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
