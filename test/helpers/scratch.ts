/**
 * Scratch directories for tests that fsync often (the agent's outbox, the collector's database): on a tmpfs
 * fsync returns at once, so a test waits on its own work and not on a disk that other processes are loading
 * (the delivery test's 10,000-event burst took 85 s on a loaded disk, 8 s in memory). What these tests prove
 * is the bookkeeping across crashes of a process, which a tmpfs keeps as a disk does. Falls back to the
 * system's temp directory when /dev/shm is not a writable directory with room to spare (containers often give
 * it 64 MiB). Not for trees that run programs or carry SUID bits: /dev/shm may be noexec or nosuid.
 */
import { accessSync, constants, mkdtempSync, statSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GIB = 1024 * 1024 * 1024;

function memoryBase(room: number): string {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      const fs = statfsSync('/dev/shm');
      if (fs.bavail * fs.bsize >= room) return '/dev/shm';
    }
  } catch {
    // no /dev/shm here: the ordinary temp directory does
  }
  return os.tmpdir();
}

/**
 * A new empty directory in memory when /dev/shm has `roomGiB` free (the test's own need plus the others'),
 * else in the temp directory; the caller removes it.
 */
export function memoryTempDir(prefix: string, roomGiB = 1): string {
  return mkdtempSync(path.join(memoryBase(roomGiB * GIB), prefix));
}
