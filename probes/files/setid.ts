/**
 * The SUID/SGID programs each distribution installs by default or with common packages (what `find / -perm
 * /6000` shows on a fresh Debian 12 and RHEL 9 with their standard tasks), with the bits each may carry: u
 * setuid, g setgid. CIS leaves the review to the site (7.1.13, manual); a program beyond these lists is worth a
 * look, and probes.files.allowSetid accepts the site's own. Globs (`*`) cover the multiarch directories.
 */
import { globToRegExp } from '../../src/sdk.js';
import type { Family } from './types.js';

type Bits = 'u' | 'g' | 'ug';
type Entry = readonly [path: string, bits: Bits];

const DEBIAN: readonly Entry[] = [
  ['/usr/bin/chfn', 'u'],
  ['/usr/bin/chsh', 'u'],
  ['/usr/bin/gpasswd', 'u'],
  ['/usr/bin/newgrp', 'u'],
  ['/usr/bin/passwd', 'u'],
  ['/usr/bin/su', 'u'],
  ['/usr/bin/mount', 'u'],
  ['/usr/bin/umount', 'u'],
  ['/usr/bin/sudo', 'u'],
  ['/usr/bin/pkexec', 'u'],
  ['/usr/bin/fusermount', 'u'],
  ['/usr/bin/fusermount3', 'u'],
  ['/usr/bin/newuidmap', 'u'],
  ['/usr/bin/newgidmap', 'u'],
  ['/usr/bin/ntfs-3g', 'u'],
  ['/usr/bin/at', 'ug'],
  ['/usr/lib/openssh/ssh-keysign', 'u'],
  ['/usr/lib/dbus-1.0/dbus-daemon-launch-helper', 'u'],
  ['/usr/lib/polkit-1/polkit-agent-helper-1', 'u'],
  ['/usr/libexec/polkit-agent-helper-1', 'u'],
  ['/usr/sbin/mount.nfs', 'u'],
  ['/usr/sbin/mount.cifs', 'u'],
  ['/usr/sbin/exim4', 'u'],
  ['/usr/sbin/pppd', 'u'],
  ['/usr/lib/snapd/snap-confine', 'u'],
  ['/usr/lib/xorg/Xorg.wrap', 'u'],
  ['/usr/lib/eject/dmcrypt-get-device', 'u'],
  ['/usr/bin/chage', 'g'],
  ['/usr/bin/expiry', 'g'],
  ['/usr/bin/crontab', 'g'],
  ['/usr/bin/ssh-agent', 'g'],
  ['/usr/bin/wall', 'g'],
  ['/usr/bin/write', 'g'],
  ['/usr/bin/write.ul', 'g'],
  ['/usr/bin/bsd-write', 'g'],
  ['/usr/bin/dotlockfile', 'g'],
  ['/usr/bin/plocate', 'g'],
  ['/usr/bin/mlocate', 'g'],
  ['/usr/bin/mail-lock', 'g'],
  ['/usr/bin/mail-unlock', 'g'],
  ['/usr/bin/mail-touchlock', 'g'],
  ['/usr/sbin/unix_chkpwd', 'g'],
  ['/usr/sbin/pam_extrausers_chkpwd', 'g'],
  ['/usr/lib/*-linux-gnu/utempter/utempter', 'g'],
];

const RHEL: readonly Entry[] = [
  ['/usr/bin/chage', 'u'],
  ['/usr/bin/chfn', 'u'],
  ['/usr/bin/chsh', 'u'],
  ['/usr/bin/gpasswd', 'u'],
  ['/usr/bin/newgrp', 'u'],
  ['/usr/bin/passwd', 'u'],
  ['/usr/bin/su', 'u'],
  ['/usr/bin/mount', 'u'],
  ['/usr/bin/umount', 'u'],
  ['/usr/bin/sudo', 'u'],
  ['/usr/bin/pkexec', 'u'],
  ['/usr/bin/crontab', 'u'],
  ['/usr/bin/at', 'u'],
  ['/usr/bin/fusermount', 'u'],
  ['/usr/bin/fusermount3', 'u'],
  ['/usr/bin/staprun', 'u'],
  ['/usr/sbin/unix_chkpwd', 'u'],
  ['/usr/sbin/pam_timestamp_check', 'u'],
  ['/usr/sbin/grub2-set-bootflag', 'u'],
  ['/usr/sbin/userhelper', 'u'],
  ['/usr/sbin/mount.nfs', 'u'],
  ['/usr/sbin/usernetctl', 'u'],
  ['/usr/libexec/dbus-1/dbus-daemon-launch-helper', 'u'],
  ['/usr/lib/polkit-1/polkit-agent-helper-1', 'u'],
  ['/usr/libexec/Xorg.wrap', 'u'],
  ['/usr/libexec/qemu-bridge-helper', 'u'],
  ['/usr/libexec/openssh/ssh-keysign', 'g'],
  ['/usr/bin/write', 'g'],
  ['/usr/bin/locate', 'g'],
  ['/usr/libexec/utempter/utempter', 'g'],
  ['/usr/sbin/netreport', 'g'],
];

/** Merged /usr: on a host without it, /bin/su is the same program as /usr/bin/su. */
function withUnmerged(list: readonly Entry[]): Entry[] {
  return list.flatMap((e) => (/^\/usr\/s?bin\//.test(e[0]) ? [e, [e[0].slice(4), e[1]] as Entry] : [e]));
}

export interface AllowList {
  /** Which lists apply, for messages: "Debian's", "RHEL's", "Debian's and RHEL's". */
  source: string;
  match(path: string, mode: number): boolean;
}

function bitsOf(mode: number): Bits | '' {
  return ((mode & 0o4000 ? 'u' : '') + (mode & 0o2000 ? 'g' : '')) as Bits | '';
}

const built = new Map<string, AllowList>();

/**
 * The allow-list for a family (both lists where the family is unknown) plus the configured paths (any bits). Built
 * once per family and configured list: a check asks for it once per SUID/SGID file it judges.
 */
export function allowList(family: Family, extra: readonly string[]): AllowList {
  const key = [family, ...extra].join('\0');
  let list = built.get(key);
  if (!list) built.set(key, (list = buildAllowList(family, extra)));
  return list;
}

function buildAllowList(family: Family, extra: readonly string[]): AllowList {
  const entries = withUnmerged(family === 'debian' ? DEBIAN : family === 'rhel' ? RHEL : [...DEBIAN, ...RHEL]);
  const rules = entries.map(([p, b]) => ({ re: globToRegExp(p), bits: b }));
  const own = extra.map((p) => globToRegExp(p));
  const source =
    family === 'debian'
      ? "Debian's default set"
      : family === 'rhel'
        ? "RHEL's default set"
        : "Debian's and RHEL's default sets";
  return {
    source: extra.length ? `${source} and probes.files.allowSetid` : source,
    match: (path, mode) => {
      if (own.some((re) => re.test(path))) return true;
      const have = bitsOf(mode);
      return rules.some((r) => r.re.test(path) && [...have].every((c) => r.bits.includes(c)));
    },
  };
}
