/**
 * Fuzz target of the files probe's parsers: one input read as passwd, group, shells, os-release, a GRUB config,
 * a user.cfg, a banner and PID 1's mountinfo. Property: nothing throws, the line caps hold, and what comes out
 * is well formed (ids are integers, mount points absolute).
 */
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  MAX_LINES,
  bannerLeaks,
  familyOf,
  grubPasswordLines,
  parseGroup,
  parseOsRelease,
  parsePasswd,
  parseShells,
  userCfgSets,
} from '../../probes/files/parse.js';
import { parseMountinfo, skippedMounts } from '../../probes/files/walker.js';
import { joinLines, word } from './mutate.js';
// A cycle with targets.ts, harmless: PropertyViolation is used only when a case runs.
import { PropertyViolation } from './targets.js';
import type { FuzzTarget } from './targets.js';

const SEEDS = [
  'etc/passwd',
  'etc/group',
  'etc/shells',
  'usr/lib/os-release',
  'etc/os-release',
  'boot/grub/grub.cfg',
  'boot/grub2/grub.cfg',
  'etc/issue',
  'proc/1/mountinfo',
];

function ensure(cond: unknown, what: string): asserts cond {
  if (!cond) throw new PropertyViolation(what);
}

function seedFiles(repoRoot: string): Buffer[] {
  const base = path.join(repoRoot, 'test/fixtures/hosts');
  const out: Buffer[] = [];
  for (const fx of readdirSync(base)
    .filter((n) => n.startsWith('files-') && !n.endsWith('.json'))
    .sort()) {
    for (const f of SEEDS) {
      try {
        if (statSync(path.join(base, fx, f)).isFile()) out.push(readFileSync(path.join(base, fx, f)));
      } catch {
        // not every fixture has every file
      }
    }
  }
  return out;
}

const line = fc.oneof(
  fc
    .array(fc.oneof(word, fc.constantFrom('0', 'x', '', '4294967296', '-1', '/bin/bash', '/usr/sbin/nologin')), {
      maxLength: 9,
    })
    .map((f) => f.join(':')),
  fc.constantFrom(
    'set superusers="root"',
    'password_pbkdf2 root grub.pbkdf2.sha512.1.A.B',
    'password_pbkdf2 root ${GRUB2_PASSWORD}',
    'GRUB2_PASSWORD=grub.pbkdf2.x',
    'ID="rocky"',
    'ID_LIKE=debian',
    '\\r \\m \\s \\v \\S',
  ),
  fc
    .tuple(
      fc.nat(),
      fc.nat(),
      word,
      fc.constantFrom('/', '/mnt/a\\040b', 'rel', '/x\\777'),
      fc.constantFrom('-', ''),
      fc.constantFrom('nfs4', 'ext4', 'fuse.sshfs', 'overlay', ''),
    )
    .map(([a, b, c, p, s, t]) => `${a} ${b} 0:1 ${c} ${p} rw ${s} ${t} src rw`),
  word,
);

export const filesTarget: FuzzTarget = {
  name: 'files probe parsers',
  entry: 'probes/files/parse.ts (passwd, group, shells, os-release, GRUB, banners) and walker.ts parseMountinfo',
  dictionary: ['\n', ':', ' - ', '\\040', 'set superusers=', 'password_pbkdf2 ', 'grub.pbkdf2.', '${', 'ID=', '#'],
  async seeds(ctx) {
    return seedFiles(ctx.repoRoot);
  },
  structured: () => joinLines(line, 60),
  run(input) {
    const text = input.toString('utf8');
    const users = parsePasswd(text);
    ensure(users.length <= MAX_LINES, 'passwd within the line cap');
    ensure(
      users.every((u) => Number.isSafeInteger(u.uid) && Number.isSafeInteger(u.gid) && u.name !== ''),
      'passwd entries well formed',
    );
    ensure(
      parseGroup(text).every((g) => Number.isSafeInteger(g.gid)),
      'group ids are integers',
    );
    ensure(
      parseShells(text).every((s) => s.startsWith('/')),
      'shells are absolute',
    );
    const os = parseOsRelease(text);
    ensure(['debian', 'rhel', 'other'].includes(familyOf(os.ID, os.ID_LIKE)), 'a family');
    const g = grubPasswordLines(text);
    ensure(
      Object.values(g).every((v) => v !== undefined),
      'grub lines',
    );
    userCfgSets(text, g.pbkdf2Var?.name ?? 'GRUB2_PASSWORD');
    ensure(Array.isArray(bannerLeaks(text, os.ID)), 'banner leaks');
    const mounts = parseMountinfo(text);
    ensure(
      mounts.every((m) => m.point.startsWith('/') && m.fstype !== ''),
      'mounts well formed',
    );
    skippedMounts(mounts);
  },
};
