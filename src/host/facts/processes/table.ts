/**
 * The host's process table with where each process runs and how it is confined, read once per scan and shared
 * by the probes: every process' cgroup placement (container, pod, QoS, systemd unit, cgroup.ts) in one pass
 * over the pids HostRoot.processes() lists, and per process on demand its argv, its status (seccomp mode,
 * no_new_privs, capabilities) and its LSM label, each read at most once per scan whichever probe asks.
 */
import type { HostRoot } from '../../root.js';
import { PROC_READS_IN_FLIGHT } from '../../root.js';
import { mapLimit } from '../../../map-limit.js';
import { perScan } from '../cache.js';
import { parseCgroup } from '../cgroup.js';
import type { CgroupPlacement } from '../cgroup.js';
import { parseCmdline, readCmdline } from './index.js';
import { parseLsmLabel, processStatus } from './status.js';
import type { ProcStatus } from './status.js';

export interface ProcessRow {
  pid: number;
  /** /proc/<pid>/comm, trimmed. */
  comm: string;
  /** Where the cgroup puts it; undefined when /proc/<pid>/cgroup cannot be read. */
  placement?: CgroupPlacement;
  /**
   * A container monitor's own cgroup (conmon of CRI-O and Podman, "crio-conmon-<id>"): it watches the
   * container whose id its cgroup names, but is not the workload.
   */
  monitor?: boolean;
}

export interface ProcessTable {
  /** Lowest pid first. */
  rows: ProcessRow[];
  /** Why the table is empty: /proc unreadable, or the scanned root's /proc has no processes. */
  problem?: string;
}

/** How a process is confined, from its status and LSM files. */
export interface ProcessConfinement {
  status?: ProcStatus;
  /** Why the status could not be read. */
  statusProblem?: string;
  /** AppArmor or SELinux label; undefined when no LSM answers. */
  lsmLabel?: string;
}

async function emptyReason(host: HostRoot): Promise<string> {
  const proc = await host.readDir('/proc');
  if (!proc.ok) return `/proc: ${proc.code.replace(/_/g, ' ')} (${proc.reason})`;
  return "/proc has no processes: the host's /proc is not mounted in the scanned root";
}

/**
 * Where a process' cgroup puts it, and whether it is a container monitor: read once per scan, for the table
 * and for a probe that asks about a few pids (who holds a socket). Empty when /proc/<pid>/cgroup cannot be read.
 */
export const processPlacement = perScan(
  (pid: number) => String(pid),
  async (host: HostRoot, pid: number): Promise<Pick<ProcessRow, 'placement' | 'monitor'>> => {
    const cg = await host.readText(`/proc/${pid}/cgroup`, { maxBytes: 64 * 1024 });
    if (!cg.ok) return {};
    const placement = parseCgroup(cg.text);
    return /(crio|libpod)-conmon-/.test(cg.text) ? { placement, monitor: true } : { placement };
  },
);

async function rowOf(host: HostRoot, pid: number, comm: string): Promise<ProcessRow> {
  return { pid, comm, ...(await processPlacement(host, pid)) };
}

/** The first `maxProcs` processes by pid with their cgroup placement, once per scan and bound. */
export const processTable = perScan(
  (maxProcs: number) => String(maxProcs),
  async (host: HostRoot, maxProcs: number): Promise<ProcessTable> => {
    const listed = [...(await host.processes())].sort((a, b) => a.pid - b.pid).slice(0, maxProcs);
    if (listed.length === 0) return { rows: [], problem: await emptyReason(host) };
    return { rows: await mapLimit(listed, PROC_READS_IN_FLIGHT, (p) => rowOf(host, p.pid, p.comm)) };
  },
);

/** A process' argv (/proc/<pid>/cmdline, read once per scan); empty for a kernel thread or a process gone. */
export async function processArgv(host: HostRoot, pid: number): Promise<string[]> {
  const r = await readCmdline(host, pid);
  return r.ok ? parseCmdline(r.text) : [];
}

async function readConfinement(host: HostRoot, pid: number): Promise<ProcessConfinement> {
  const out: ProcessConfinement = {};
  const st = await processStatus(host, pid);
  if (st.status) out.status = st.status;
  if (st.problem !== undefined) out.statusProblem = st.problem;
  // AppArmor on a stacking kernel has its own file; attr/current answers EINVAL without any LSM.
  for (const f of [`/proc/${pid}/attr/apparmor/current`, `/proc/${pid}/attr/current`]) {
    const a = await host.readText(f, { maxBytes: 4096 });
    if (!a.ok) continue;
    const label = parseLsmLabel(a.text);
    if (label !== undefined) out.lsmLabel = label;
    break;
  }
  return out;
}

/** Seccomp mode, no_new_privs, capabilities and LSM label of one process, read once per scan. */
export const processConfinement = perScan((pid: number) => String(pid), readConfinement);
