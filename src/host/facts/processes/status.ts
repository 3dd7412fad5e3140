/**
 * What /proc says about how a process is confined: the Seccomp, NoNewPrivs and capability lines of its status,
 * and its LSM label (attr/current). Parsers are pure and treat /proc text as hostile.
 */
import { parseCapMask } from './caps.js';

/** The confinement lines of /proc/<pid>/status. */
export interface ProcStatus {
  name?: string;
  /** 0 disabled, 1 strict, 2 filter; undefined when the kernel does not say. */
  seccomp?: number;
  seccompFilters?: number;
  noNewPrivs?: number;
  capEff?: bigint;
  capBnd?: bigint;
}

const smallInt = (v: string): number | undefined => (/^\d{1,9}$/.test(v) ? Number(v) : undefined);

/** Set one status line's field on `out`, when its value is well formed. */
function setField(out: ProcStatus, key: string, v: string): void {
  const n = smallInt(v);
  switch (key) {
    case 'Name':
      out.name = v.slice(0, 64);
      break;
    case 'Seccomp':
      if (n !== undefined && n <= 2) out.seccomp = n;
      break;
    case 'Seccomp_filters':
      if (n !== undefined) out.seccompFilters = n;
      break;
    case 'NoNewPrivs':
      if (n === 0 || n === 1) out.noNewPrivs = n;
      break;
    case 'CapEff':
    case 'CapBnd': {
      const c = parseCapMask(v);
      if (c !== undefined) out[key === 'CapEff' ? 'capEff' : 'capBnd'] = c;
      break;
    }
  }
}

/** /proc/<pid>/status: "Key:\tvalue" lines, the first 200 looked at. */
export function parseProcStatus(text: string): ProcStatus {
  const out: ProcStatus = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && i < 200; i++) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(lines[i]!);
    if (m) setField(out, m[1]!, m[2]!.trim());
  }
  return out;
}

/** The LSM label of attr/current, without the trailing NUL/newline; undefined when empty. */
export function parseLsmLabel(text: string): string | undefined {
  const t = text.replace(/\0/g, '').trim().slice(0, 256);
  return t === '' ? undefined : t;
}
