/**
 * The kernel modules CIS wants unavailable: uncommon filesystems (a malformed image is kernel attack surface the
 * moment something mounts it), USB mass storage, and uncommon network protocols (reachable from the network once
 * a socket of the family is opened). One row per module; the checks are generated from the rows.
 */
import type { Severity } from '../../src/sdk.js';

export interface ModuleRow {
  /** The name modprobe is given; the kernel lists it with '_' for '-' in /proc/modules. */
  module: string;
  /** The module's file under /lib/modules/<release>/, without the .ko extension. */
  file: string;
  cis: string;
  lynis: string;
  severity: Severity;
  why: string;
  /** What a Kubernetes node may need it for, said in the failure message; undefined: nothing. */
  nodeNote?: string;
}

const FS =
  'an uncommon filesystem: a crafted image mounted from removable media or a file exercises rarely audited kernel code';
const NET =
  'an uncommon network protocol: any local user can make the kernel load it by opening a socket, exposing its rarely audited code';

export const MODULE_ROWS: readonly ModuleRow[] = [
  { module: 'cramfs', file: 'kernel/fs/cramfs/cramfs', cis: '1.1.1.1', lynis: 'FILE-6430', severity: 'low', why: FS },
  {
    module: 'freevxfs',
    file: 'kernel/fs/freevxfs/freevxfs',
    cis: '1.1.1.2',
    lynis: 'FILE-6430',
    severity: 'low',
    why: FS,
  },
  { module: 'hfs', file: 'kernel/fs/hfs/hfs', cis: '1.1.1.3', lynis: 'FILE-6430', severity: 'low', why: FS },
  {
    module: 'hfsplus',
    file: 'kernel/fs/hfsplus/hfsplus',
    cis: '1.1.1.4',
    lynis: 'FILE-6430',
    severity: 'low',
    why: FS,
  },
  { module: 'jffs2', file: 'kernel/fs/jffs2/jffs2', cis: '1.1.1.5', lynis: 'FILE-6430', severity: 'low', why: FS },
  { module: 'udf', file: 'kernel/fs/udf/udf', cis: '1.1.1.8', lynis: 'FILE-6430', severity: 'low', why: FS },
  {
    module: 'usb-storage',
    file: 'kernel/drivers/usb/storage/usb-storage',
    cis: '1.1.1.9',
    lynis: 'USB-1000',
    severity: 'medium',
    why: 'USB mass storage: anyone with physical access can copy data off the host or bring in code',
  },
  { module: 'dccp', file: 'kernel/net/dccp/dccp', cis: '3.2.1', lynis: 'NETW-3200', severity: 'medium', why: NET },
  { module: 'tipc', file: 'kernel/net/tipc/tipc', cis: '3.2.2', lynis: 'NETW-3200', severity: 'medium', why: NET },
  { module: 'rds', file: 'kernel/net/rds/rds', cis: '3.2.3', lynis: 'NETW-3200', severity: 'medium', why: NET },
  {
    module: 'sctp',
    file: 'kernel/net/sctp/sctp',
    cis: '3.2.4',
    lynis: 'NETW-3200',
    severity: 'low',
    why: NET,
    nodeNote:
      'Kubernetes Services and pods may use SCTP (protocol: SCTP): keep it only if a workload on this node does',
  },
];

/** The kernel's spelling of a module name: '-' and '_' are the same to modprobe and /proc/modules shows '_'. */
export const canonical = (m: string): string => m.replace(/-/g, '_');
