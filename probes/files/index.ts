/**
 * The files probe: ownership and modes of the account files, cron, banners and GRUB (a table of rows, one
 * verdict function); whether crontab and at are restricted; banner content; the GRUB password; home
 * directories and dot files; and, over a bounded walk of local file systems, world-writable, unowned and
 * SUID/SGID files. Every read goes through the host root.
 */
import { defineProbe } from '../../src/sdk.js';
import { bannerChecks } from './checks/banners.js';
import { bootChecks } from './checks/boot.js';
import { cronChecks } from './checks/cron.js';
import { homeChecks } from './checks/homes.js';
import { permChecks } from './checks/perms.js';
import { walkChecks } from './checks/walk.js';
import { gather } from './gather.js';
import { FILES_OPTIONS } from './option-spec.js';

export type { FilesFacts } from './types.js';
export { FILE_RULES } from './table.js';

export const filesProbe = defineProbe({
  name: 'files',
  description:
    'Ownership and modes of the account files, cron, banners and GRUB; crontab and at restricted to allowed ' +
    'users; banners that do not reveal the OS; a GRUB password; home directories and dot files; and, over a walk ' +
    'of local file systems bounded in entries and time, world-writable, unowned and SUID/SGID files.',
  checks: [...permChecks, ...cronChecks, ...bannerChecks, ...bootChecks, ...walkChecks, ...homeChecks],
  gather,
  options: FILES_OPTIONS,
});
