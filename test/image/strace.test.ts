/**
 * The strace log parser behind "integrity init writes only under /var/lib/hostward": which calls count (the
 * command's, from its execve, with its threads), which are writes, and how paths resolve.
 */
import { describe, expect, it } from 'vitest';
import { joinResumed, parseWrites, writesOutside } from './strace.js';

const LOG = [
  '100 openat(AT_FDCWD, "/run/runc/state.json", O_WRONLY|O_CREAT, 0644) = 5',
  '101 execve("/usr/local/bin/node", ["node", "main.js"], 0x7ffd /* 9 vars */) = 0',
  '101 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3',
  '101 clone3({flags=CLONE_VM|CLONE_THREAD, child_tid=0x7f}, 88) = 102',
  '102 openat(AT_FDCWD, "/var/lib/hostward/integrity.db.tmp", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600 <unfinished ...>',
  '101 mkdir("state", 0755) = 0',
  '102 <... openat resumed>) = 7',
  '102 rename("/var/lib/hostward/integrity.db.tmp", "/var/lib/hostward/integrity.db") = 0',
  '101 unlinkat(9, "x", 0) = 0',
  '101 openat(AT_FDCWD, "/host/etc/passwd", O_RDWR) = -1 EROFS (Read-only file system)',
  '103 openat(AT_FDCWD, "/tmp/other", O_WRONLY|O_CREAT, 0644) = 4',
].join('\n');

describe('strace log parsing', () => {
  it('joins calls another thread interrupted', () => {
    expect(joinResumed(LOG).filter((l) => l.startsWith('102 openat'))).toEqual([
      '102 openat(AT_FDCWD, "/var/lib/hostward/integrity.db.tmp", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600) = 7',
    ]);
  });

  it('keeps the command’s successful writes only: not runc’s, not reads, not failures, not other processes', () => {
    const writes = parseWrites(LOG, 'node', '/app');
    // In the order the calls completed.
    expect(writes.map((w) => `${w.call} ${w.path}`)).toEqual([
      'mkdir /app/state',
      'openat /var/lib/hostward/integrity.db.tmp',
      'rename /var/lib/hostward/integrity.db.tmp',
      'rename /var/lib/hostward/integrity.db',
      'unlinkat <fd 9>/x',
    ]);
  });

  it('a write outside the directory, or through an unknown directory fd, counts as outside', () => {
    const outside = writesOutside(parseWrites(LOG, 'node', '/app'), '/var/lib/hostward');
    expect(outside.map((w) => w.path)).toEqual(['/app/state', '<fd 9>/x']);
    expect(
      writesOutside(parseWrites(LOG, 'node', '/var/lib/hostward'), '/var/lib/hostward').map((w) => w.path),
    ).toEqual(['<fd 9>/x']);
  });
});
