import { appendFileSync, copyFileSync, mkdirSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ConnectionContext } from '../../probes/ssh/types.js';

/** A connection context for parser and Match tests: bob (groups bob, staff) from 10.1.2.3 to 10.0.0.1:22. */
export const testContext = (over: Partial<ConnectionContext> = {}): ConnectionContext => ({
  userClass: 'user',
  user: 'bob',
  groups: ['bob', 'staff'],
  host: 'ws.example.com',
  addr: '10.1.2.3',
  laddr: '10.0.0.1',
  lport: 22,
  label: 'bob',
  ...over,
});

/**
 * A host root that holds this machine's sshd and the libraries it links, with /etc/passwd and /etc/group
 * (plus an ordinary user opsuser, uid 4242), /dev/null, /run/sshd and an ed25519 host key, so that the ssh
 * probe can run `sshd -T` chrooted into it. The caller writes sshd_config. Needs root (mknod).
 */
export function sshdRoot(root: string): void {
  for (const d of ['etc/ssh/sshd_config.d', 'run/sshd', 'dev', 'usr/sbin'])
    mkdirSync(path.join(root, d), { recursive: true });
  copyFileSync('/usr/sbin/sshd', path.join(root, 'usr/sbin/sshd'));
  const libs = execFileSync('ldd', ['/usr/sbin/sshd'], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const l of libs) {
    mkdirSync(path.join(root, path.dirname(l)), { recursive: true });
    // The link's target, under the link's name (Node 26's cpSync with dereference takes a link for a directory).
    copyFileSync(realpathSync(l), path.join(root, l));
  }
  copyFileSync('/etc/passwd', path.join(root, 'etc/passwd'));
  copyFileSync('/etc/group', path.join(root, 'etc/group'));
  appendFileSync(path.join(root, 'etc/passwd'), 'opsuser:x:4242:4242::/home/opsuser:/bin/bash\n');
  appendFileSync(path.join(root, 'etc/group'), 'ops:x:4242:opsuser\n');
  execFileSync('mknod', ['-m', '666', path.join(root, 'dev/null'), 'c', '1', '3']);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    '',
    '-f',
    path.join(root, 'etc/ssh/ssh_host_ed25519_key'),
  ]);
}
