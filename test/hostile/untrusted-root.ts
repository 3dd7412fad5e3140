/**
 * A host root planted by an intruder: its usr/sbin/sshd is a busybox script that tries to break out of
 * whatever hostward runs it in, then misbehaves (holds forever, prints forever, or exits). Used by
 * untrusted-root.test.ts. busybox-static (/bin/busybox) is the interpreter, so the root needs no libraries.
 *
 * Every attempt that succeeds prints a line "HOSTWARD-ATTACK BREACH <what>" on stderr; "start" and "end"
 * lines prove the script ran to the end, so a sandbox that ran nothing cannot pass for one that held.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

export const BUSYBOX = '/bin/busybox';

export interface Attack {
  /** A file outside the root, mode 0600, that only uid 0 with DAC access can read. */
  secret: string;
  /** A path outside the root the script tries to create. */
  outside: string;
  /** A root-owned process of the test the script tries to kill. */
  victimPid: number;
  /** A TCP port on 127.0.0.1 where the test listens. */
  port: number;
  /** Unique numbers: the fork bomb's sleeps and the final holder run as `busybox sleep <n>`. */
  forkMark: number;
  holdMark: number;
  /** What the script does after the attempts. */
  end: 'hold' | 'yes' | 'exit';
  /** Only one background sleep instead of the attempts and the fork bomb (for tests of the limits alone). */
  quick?: boolean;
}

function attempts(a: Attack): string {
  return `$B mkdir -p /proc /tmp 2>/dev/null
$B mount -t proc proc /proc 2>/dev/null && say BREACH mount-proc
for p in 1 $PPID self; do
  s=$($B cat "/proc/$p/root${a.secret}" 2>/dev/null); [ -n "$s" ] && say BREACH read-secret "/proc/$p/root: $s"
  h=$($B head -c 16 "/proc/$p/root/etc/shadow" 2>/dev/null); [ -n "$h" ] && say BREACH read-shadow "/proc/$p/root"
  $B sh -c "echo pwned > /proc/$p/root${a.outside}" 2>/dev/null && say BREACH write-outside "/proc/$p/root"
done
$B kill -9 ${a.victimPid} 2>/dev/null && say BREACH kill-victim
$B chroot / $B true 2>/dev/null && say BREACH chroot
$B unshare -r -m $B true 2>/dev/null && say BREACH user-namespace
/bin/busybox-suid chroot / $B true 2>/dev/null && say BREACH setuid-chroot
/bin/busybox-filecap chroot / $B true 2>/dev/null && say BREACH file-capability-chroot
$B mknod /tmp/disk b 8 0 2>/dev/null && say BREACH mknod
echo hello | $B nc -w 2 127.0.0.1 ${a.port} 2>/dev/null && say BREACH network
$B yes | $B head -c 1048576 > /tmp/fill 2>/dev/null
[ "$($B stat -c %s /tmp/fill 2>/dev/null)" = 1048576 ] && say BREACH fill-disk
( i=0; while [ $i -lt 200 ]; do $B sleep ${a.forkMark} & i=$((i+1)); done ) 2>/dev/null
`;
}

/** The script, with the test's values written in (they are numbers and test-made paths, no quoting needed). */
export function attackScript(a: Attack): string {
  const endLine = {
    hold: `exec $B sleep ${a.holdMark}`,
    yes: 'exec $B yes HOSTWARD-ATTACK-OUTPUT',
    exit: 'exit 0',
  }[a.end];
  return `#!/bin/busybox sh
B=/bin/busybox
say() { echo "HOSTWARD-ATTACK $*" >&2; }
say start "$@"
${
  a.quick
    ? `$B sleep ${a.forkMark} &
`
    : attempts(a)
}say end
${endLine}
`;
}

/**
 * The planted root: busybox, the script as usr/sbin/sshd, a setuid-root and a file-capability copy of
 * busybox, /dev/null, an empty /proc and /tmp, passwd/group and the given sshd_config. Needs root.
 */
const PASSWORDS_ON = 'PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM no\n';

export function plantedRoot(root: string, script: string, sshdConfig = PASSWORDS_ON): void {
  for (const d of ['bin', 'usr/sbin', 'etc/ssh', 'dev', 'proc', 'tmp', 'run/sshd']) {
    mkdirSync(path.join(root, d), { recursive: true });
  }
  chmodSync(root, 0o755);
  copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'));
  chmodSync(path.join(root, 'bin/busybox'), 0o755);
  copyFileSync(BUSYBOX, path.join(root, 'bin/busybox-suid'));
  chmodSync(path.join(root, 'bin/busybox-suid'), 0o4755);
  copyFileSync(BUSYBOX, path.join(root, 'bin/busybox-filecap'));
  execFileSync('setcap', ['cap_sys_chroot,cap_sys_admin,cap_dac_override+ep', path.join(root, 'bin/busybox-filecap')]);
  writeFileSync(path.join(root, 'usr/sbin/sshd'), script, { mode: 0o755 });
  writeFileSync(path.join(root, 'etc/ssh/sshd_config'), sshdConfig, { mode: 0o600 });
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n';
  writeFileSync(path.join(root, 'etc/passwd'), passwd);
  writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  chmodSync(path.join(root, 'tmp'), 0o1777);
  execFileSync('mknod', ['-m', '666', path.join(root, 'dev/null'), 'c', '1', '3']);
}

export function toolsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync(BUSYBOX, ['true']).status === 0 && spawnSync('setcap', ['-v', 'x', '/dev/null']).error === undefined;
}

/** PIDs of processes whose command line is exactly argv. */
export function pidsWithArgv(argv: readonly string[]): number[] {
  const want = argv.join('\0');
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'latin1').replace(/\0$/, '') === want) out.push(Number(e));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export const sleeperArgv = (mark: number) => [BUSYBOX, 'sleep', String(mark)];

/** Status lines of a process as a map (Uid, Gid, Groups, Cap*, NoNewPrivs...). */
export function processStatus(pid: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

/** Mount points at or below dir in this mount namespace (deepest first), for cleanup. */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp && (mp === dir || mp.startsWith(dir + '/'))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}
