/**
 * Linux capabilities as /proc shows them: bit numbers to names (include/uapi/linux/capability.h) and the
 * CapEff/CapBnd hex masks of /proc/<pid>/status. Kernel constants, shared by every reader of the process table.
 */

/** Index = capability number. */
export const CAP_NAMES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** A /proc status capability mask ("000001ffffffffff"), or undefined when malformed. */
export function parseCapMask(hex: string | undefined): bigint | undefined {
  if (hex === undefined || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  return BigInt('0x' + hex);
}

/** Names of the bits set in a mask; bits beyond the table are named CAP_<n>. */
export function capNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) out.push(CAP_NAMES[i] ?? `CAP_${i}`);
  return out;
}

/** Every capability of a kernel whose highest is cap_last_cap. */
export function fullMask(capLastCap: number): bigint {
  return (1n << BigInt(capLastCap + 1)) - 1n;
}
