/**
 * The accounts probe: local accounts and authentication as CIS Debian Linux 12 (sections 5.2-5.4 and 7.2) and
 * Lynis (AUTH, SHLL) check them: the account databases, password hashing and ageing, the login environment
 * (umask, root's PATH, TMOUT), PAM (pwquality, faillock, pwhistory, pam_unix) and sudo/su. Everything is read
 * from files through the host root; no host binary runs. /etc/shadow, /etc/gshadow and /etc/sudoers are
 * root-only: without CAP_DAC_READ_SEARCH the checks that need them are `unknown`.
 *
 * On a Kubernetes node little differs: node images add a default user (Debian's "admin", "ubuntu",
 * "ec2-user") with a NOPASSWD sudo rule from cloud-init, which the NOPASSWD check names as such.
 */
import { defineProbe } from '../../src/sdk.js';
import { gatherAccounts } from './gather/index.js';
import type { AccountsFacts } from './types.js';
import { userChecks } from './checks/users.js';
import { passwordChecks } from './checks/passwords.js';
import { environmentChecks } from './checks/environment.js';
import { pamChecks } from './checks/pam.js';
import { sudoChecks } from './checks/sudo.js';

export type { AccountsFacts } from './types.js';

export const accountsProbe = defineProbe<AccountsFacts>({
  name: 'accounts',
  description:
    "Local accounts and authentication as CIS Debian 12 and Lynis check them: uid 0, duplicate and unshadowed accounts, empty passwords, system accounts with shells, password hashing and ageing, umask, root's PATH, shell timeout, PAM (pwquality, faillock, pwhistory, nullok) and sudo/su.",
  checks: [...userChecks, ...passwordChecks, ...environmentChecks, ...pamChecks, ...sudoChecks],
  gather: gatherAccounts,
});
