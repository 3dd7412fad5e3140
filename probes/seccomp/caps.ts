/**
 * The capabilities that let a container reach the host, and the runtimes' default set. Names and mask
 * decoding are kernel facts of the shared process table (src/host/facts/processes/caps.ts), re-exported here.
 */
export { CAP_NAMES, parseCapMask, capNames, fullMask } from '../../src/sdk.js';

/** Capabilities that give a container a way out to the host or its kernel, with the reason. */
export const DANGEROUS_CAPABILITIES: Readonly<Record<string, string>> = {
  SYS_ADMIN: 'mount, namespaces, BPF maps, and most of the kernel: effectively root on the host',
  SYS_MODULE: 'loads kernel modules',
  SYS_RAWIO: 'raw I/O ports and /dev/mem',
  SYS_PTRACE: 'traces and injects into other processes',
  SYS_BOOT: 'reboots the host or loads a new kernel (kexec)',
  SYS_TIME: 'sets the host clock',
  NET_ADMIN: 'reconfigures interfaces, routes and firewall rules',
  DAC_READ_SEARCH: 'reads any file by handle (open_by_handle_at, the "shocker" escape)',
  BPF: 'loads BPF programs',
  PERFMON: 'kernel performance monitoring and tracing',
  MAC_ADMIN: 'changes the LSM policy',
  MAC_OVERRIDE: 'overrides the LSM policy',
  SYSLOG: 'reads kernel addresses from the kernel log',
};

/** The 14 capabilities Docker and containerd give a container by default (0xa80425fb). */
export const RUNTIME_DEFAULT_MASK = 0xa80425fbn;
