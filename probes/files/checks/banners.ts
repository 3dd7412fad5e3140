/**
 * Login banners: /etc/issue (local consoles), /etc/issue.net (telnet, and sshd when its Banner points there)
 * and /etc/motd must not tell a visitor the OS and kernel (getty's \m \r \s \v \S escapes, the OS name); the
 * login banners must say something.
 */
import type { Check, Outcome } from '../../../src/sdk.js';
import { fail, pass, skip, unknown } from '../../../src/sdk.js';
import { bannerLeaks } from '../parse.js';
import { CIS_DEBIAN_12, LYNIS } from '../refs.js';
import type { FilesFacts } from '../types.js';

const firstLine = (t: string) => t.trim().split('\n')[0]!.slice(0, 120);

function judge(f: FilesFacts, path: string, required: boolean): Outcome {
  const b = f.banners.get(path)!;
  if (b.state === 'error') return unknown(`${b.path}: ${b.reason}`);
  if (b.state === 'missing') {
    if (required) return fail(`${path} does not exist: no warning is shown before login`);
    return skip(
      path === '/etc/motd'
        ? `${path} does not exist: no message of the day`
        : `${path} does not exist: no remote login shows it ` +
            '(sshd shows a banner only when its Banner option names a file)',
    );
  }
  const leaks = bannerLeaks(b.text, f.os.id);
  const evidence = [{ file: path, text: firstLine(b.text) }];
  if (leaks.length) return fail(`${path} reveals the system: ${leaks.join(', ')}`, evidence);
  if (path !== '/etc/motd' && b.text.trim() === '')
    return fail(`${path} is empty: no warning is shown before login`, evidence);
  return pass(`${path} names neither the OS nor the kernel${b.text.trim() ? '' : ' (it is empty)'}`, evidence);
}

const REMEDIATE = (p: string) =>
  `Write the site's authorised-use notice to ${p}, without \\m \\r \\s \\v \\S escapes nor the OS name: ` +
  'they tell an attacker which exploits to try.';

export const bannerChecks: Check<FilesFacts>[] = [
  {
    id: 'files.motd_content',
    title: '/etc/motd does not reveal the OS or kernel',
    severity: 'low',
    references: [CIS_DEBIAN_12('1.6.1')],
    remediation: REMEDIATE('/etc/motd'),
    evaluate: (f) => judge(f, '/etc/motd', false),
  },
  {
    id: 'files.issue_content',
    title: '/etc/issue holds a login warning that does not reveal the OS or kernel',
    severity: 'low',
    references: [CIS_DEBIAN_12('1.6.2'), LYNIS('BANN-7126')],
    remediation: REMEDIATE('/etc/issue'),
    evaluate: (f) => judge(f, '/etc/issue', true),
  },
  {
    id: 'files.issue_net_content',
    title: '/etc/issue.net holds a login warning that does not reveal the OS or kernel',
    severity: 'low',
    references: [CIS_DEBIAN_12('1.6.3'), LYNIS('BANN-7130')],
    remediation: REMEDIATE('/etc/issue.net'),
    evaluate: (f) => judge(f, '/etc/issue.net', false),
  },
];
