/**
 * The mounts probe: the mount points CIS wants separate (table.ts), and nodev, nosuid and noexec on them, from
 * the host's mount table. It reads /proc/1/mountinfo, init's view, which is the host's with hostPID even
 * though the agent's own mount namespace differs; a mount point that is not separate fails the "separate"
 * check and skips its option checks, which judge a mount that does not exist.
 */
import { defineProbe, fail, pass, skip, unknown } from '../../src/sdk.js';
import type { Check, Evidence, Outcome, ProbeContext } from '../../src/sdk.js';
import { MOUNT_ROWS, OPTION_MEANING, slug } from './table.js';
import type { MountOption, MountRow } from './table.js';
import { mountAt, parseMountInfo } from './parse.js';
import type { MountEntry, MountInfo } from './parse.js';

export { parseMountInfo, mountAt } from './parse.js';

const MOUNTINFO = '/proc/1/mountinfo';
const MAX_BYTES = 16 * 1024 * 1024;

export type MountsFacts = { ok: true; info: MountInfo } | { ok: false; reason: string };

async function gather(ctx: ProbeContext): Promise<MountsFacts> {
  const r = await ctx.host.readText(MOUNTINFO, { maxBytes: MAX_BYTES });
  if (!r.ok) {
    const hint = r.code === 'missing' ? ": the host's /proc is not mounted in the scanned root" : '';
    return { ok: false, reason: `${MOUNTINFO}: ${r.code.replace(/_/g, ' ')} (${r.reason})${hint}` };
  }
  const info = parseMountInfo(r.text);
  if (info.mounts.length === 0)
    return { ok: false, reason: `${MOUNTINFO} lists no mount that could be read (${info.bad} lines not understood)` };
  return { ok: true, info };
}

const CIS = (n: string) => `CIS Debian Linux 12 Benchmark v1.1.0 ${n}`;
const evidence = (m: MountEntry): Evidence[] => [
  { file: MOUNTINFO, line: m.line, text: `${m.mountPoint} ${m.fsType} ${[...m.options].join(',')}` },
];
const garbled = (info: MountInfo) =>
  info.bad
    ? ` (${info.bad} line${info.bad === 1 ? '' : 's'} of ${MOUNTINFO} not understood, the first at line ${info.firstBad})`
    : '';

function separate(row: MountRow, facts: MountsFacts): Outcome {
  if (!facts.ok) return unknown(facts.reason);
  const m = mountAt(facts.info, row.path);
  if (!m)
    return fail(
      `${row.path} is not a separate mount: it is part of the filesystem mounted above it, so it shares that filesystem's space and options${garbled(facts.info)}`,
    );
  if (m.root !== '/') {
    return fail(
      `${row.path} is a bind mount of ${m.root} of ${m.source}, not a filesystem of its own: it shares that filesystem's space`,
      evidence(m),
    );
  }
  return pass(`${row.path} is mounted on its own (${m.fsType} from ${m.source})`, evidence(m));
}

function option(row: MountRow, opt: MountOption, facts: MountsFacts): Outcome {
  if (!facts.ok) return unknown(facts.reason);
  const m = mountAt(facts.info, row.path);
  if (!m)
    return skip(
      `${row.path} is not a separate mount, so it has no mount options of its own (its "separate partition" check fails instead)${garbled(facts.info)}`,
    );
  if (m.options.has(opt)) return pass(`${row.path} is mounted ${opt}`, evidence(m));
  return fail(`${row.path} is mounted without ${opt}: ${OPTION_MEANING[opt]}, and ${row.why}`, evidence(m));
}

function checksFor(row: MountRow): Check<MountsFacts>[] {
  const s = slug(row.path);
  const own: Check<MountsFacts> = {
    id: `mounts.${s}_separate`,
    title: `${row.path} is a separate mount`,
    severity: 'low',
    references: [CIS(`${row.cis}.1`), 'Lynis FILE-6310'],
    remediation: `Mount ${row.path} on its own filesystem${row.path === '/tmp' || row.path === '/dev/shm' ? ' (a tmpfs is fine: "systemctl enable tmp.mount" on Debian for /tmp)' : ' (a logical volume or partition)'} with ${row.options.join(',')} in /etc/fstab. CIS Level ${row.level}.`,
    evaluate: (f) => separate(row, f),
  };
  const opts = row.options.map((opt, i): Check<MountsFacts> => ({
    id: `mounts.${s}_${opt}`,
    title: `${row.path} is mounted ${opt}`,
    severity: 'medium',
    references: [CIS(`${row.cis}.${i + 2}`), 'Lynis FILE-6374'],
    remediation: `Add ${opt} to the options of ${row.path} in /etc/fstab (or the tmp.mount unit) and remount it ("mount -o remount,${opt} ${row.path}").`,
    evaluate: (f) => option(row, opt, f),
  }));
  return [own, ...opts];
}

export const mountsProbe = defineProbe<MountsFacts>({
  name: 'mounts',
  description:
    "Mount points CIS wants separate (/tmp, /dev/shm, /home, /var, /var/tmp, /var/log, /var/log/audit) and nodev, nosuid, noexec on them, from the host's /proc/1/mountinfo.",
  checks: MOUNT_ROWS.flatMap(checksFor),
  gather,
});
