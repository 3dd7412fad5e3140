/**
 * The GRUB password: without `set superusers` and a password, anyone at the console (or a cloud provider's serial
 * console) can edit a boot entry and start a root shell (init=/bin/sh). A node built from an image often has no
 * GRUB in the root at all, and on a cloud VM the console is reached through the provider's API: both are said.
 */
import type { Check, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import { grubPasswordLines, userCfgSets } from '../parse.js';
import { CIS_DEBIAN_12, LYNIS } from '../refs.js';
import type { FilesFacts } from '../types.js';

function grubPassword(f: FilesFacts): Outcome {
  const { cfg, tried, sourcesWithPassword } = f.grub;
  if (cfg.state === 'missing') {
    return skip(
      `no GRUB configuration (${tried.join(', ')}): the host boots another way (a node image with ` +
        'systemd-boot or a unified kernel image, a VM booting its kernel directly) or /boot is not in the scanned root',
    );
  }
  if (cfg.state === 'error') return unknown(`${cfg.path}: ${cfg.reason}`);
  const g = grubPasswordLines(cfg.text);
  const ev = [
    ...(g.superusers !== undefined ? [{ file: cfg.path, line: g.superusers, text: 'set superusers=...' }] : []),
    ...(g.pbkdf2 !== undefined ? [{ file: cfg.path, line: g.pbkdf2, text: 'password_pbkdf2 … grub.pbkdf2.…' }] : []),
  ];
  if (g.superusers !== undefined && g.pbkdf2 !== undefined)
    return pass(`${cfg.path} sets superusers and a PBKDF2 password hash: boot entries can be edited only with it`, ev);
  if (g.superusers !== undefined && g.pbkdf2Var) {
    const u = f.grub.userCfg;
    const v = g.pbkdf2Var.name;
    if (u?.state === 'error')
      return unknown(`${cfg.path} takes the password from \${${v}}, but ${u.path}: ${u.reason}`, ev);
    if (u?.state === 'ok' && userCfgSets(u.text, v)) {
      return pass(`${cfg.path} sets superusers and takes a PBKDF2 hash from ${u.path} (${v}=grub.pbkdf2.…)`, ev);
    }
    const where =
      u?.state === 'ok' ? `${u.path} does not set ${v} to a grub.pbkdf2 hash` : `there is no ${u?.path ?? 'user.cfg'}`;
    return fail(
      `${cfg.path} takes the superuser password from \${${v}}, but ${where}: ` +
        'no password is in force (grub2-setpassword sets one)',
      ev,
    );
  }
  if (g.superusers !== undefined && g.plain !== undefined) {
    return fail(
      `${cfg.path} sets superusers with a clear-text password (line ${g.plain}): use grub-mkpasswd-pbkdf2`,
      ev,
    );
  }
  const pending = sourcesWithPassword.length
    ? `; ${sourcesWithPassword.join(', ')} set${sourcesWithPassword.length === 1 ? 's' : ''} one, ` +
      'but update-grub has not been run since'
    : '';
  const cloud =
    f.role.role === 'node' ? " (on a cloud node, whoever reaches the serial console through the provider's API)" : '';
  return fail(
    `${cfg.path} sets no GRUB superuser password: ` +
      `anyone at the console${cloud} can edit a boot entry and start a root shell${pending}`,
    ev,
  );
}

export const bootChecks: Check<FilesFacts>[] = [
  {
    id: 'files.grub_password',
    title: 'GRUB has a superuser with a PBKDF2 password (boot entries cannot be edited at the console)',
    severity: 'medium',
    references: [CIS_DEBIAN_12('1.4.1'), LYNIS('BOOT-5122')],
    remediation:
      'Create a hash with grub-mkpasswd-pbkdf2, add "set superusers=\\"<user>\\"" and "password_pbkdf2 <user> ' +
      '<hash>" to a file in /etc/grub.d (e.g. 01_password; add --unrestricted to the menu entries so that an ' +
      'unattended boot still works), then run update-grub (grub2-mkconfig -o /boot/grub2/grub.cfg on RHEL-likes). ' +
      'On an image-built node, bake this into the image.',
    evaluate: grubPassword,
  },
];
