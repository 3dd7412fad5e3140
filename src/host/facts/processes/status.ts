/**
 * What /proc says about who a process is and how it is confined: the Uid, Seccomp, NoNewPrivs and capability
 * lines of its status, read and parsed once per scan whichever probe asks, and its LSM label (attr/current).
 * Parsers are pure and treat /proc text as hostile.
 */
import type { HostRoot } from '../../root.js';
import { perScan } from '../cache.js';
import { parseCapMask } from './caps.js';

/** The lines of /proc/<pid>/status the probes use. */
export interface ProcStatus {
  name?: string;
  /** The real uid (the first of the Uid line's four). */
  uid?: number;
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
    case 'Uid': {
      const m = /^(\d{1,10})(\s|$)/.exec(v);
      if (m && Number(m[1]) <= 0xffffffff) out.uid = Number(m[1]);
      break;
    }
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

/** /proc/<pid>/status parsed, or why it could not be read. */
export interface StatusRead {
  status?: ProcStatus;
  problem?: string;
}

/** A process' status, read and parsed once per scan for its uid and its confinement alike. */
export const processStatus = perScan(
  (pid: number) => String(pid),
  async (host: HostRoot, pid: number): Promise<StatusRead> => {
    const st = await host.readText(`/proc/${pid}/status`, { maxBytes: 64 * 1024 });
    if (st.ok) return { status: parseProcStatus(st.text) };
    return { problem: `/proc/${pid}/status: ${st.code.replace(/_/g, ' ')} (${st.reason})` };
  },
);

/** The LSM label of attr/current, without the trailing NUL/newline; undefined when empty. */
export function parseLsmLabel(text: string): string | undefined {
  const t = text.replace(/\0/g, '').trim().slice(0, 256);
  return t === '' ? undefined : t;
}
