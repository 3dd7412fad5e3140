/** Read everything the accounts checks decide over; no verdicts here. */
import type { HostRoot, ProbeContext } from '../../../src/sdk.js';
import { parseGroup, parseGshadow, parsePasswd, parseShadow } from '../parse/colon.js';
import { parseLoginDefs, parseUseraddDefaults } from '../parse/keyvalue.js';
import { parseEnvironmentFile, parseShellFile } from '../parse/shell.js';
import type { AccountsFacts, PathDir, ShellFile } from '../types.js';
import { gatherPam } from './pam.js';
import { gatherSudo } from './sudo.js';
import { MAX_FILE_BYTES, dirFiles, readParsed, whyNot } from './read.js';

/** Directories of root's PATH stat'ed at most. */
const MAX_PATH_DIRS = 64;

async function shellFiles(host: HostRoot, files: readonly string[], problems: string[]): Promise<ShellFile[]> {
  const out: ShellFile[] = [];
  for (const file of files) {
    const r = await host.readText(file, { maxBytes: MAX_FILE_BYTES });
    if (r.ok) out.push({ file, facts: parseShellFile(r.text) });
    else if (r.code !== 'missing') problems.push(`${file}: ${whyNot(r)}`);
  }
  return out;
}

/** Literal directories of every PATH value ($-expansions and empty entries are judged by the check). */
async function pathDirs(host: HostRoot, values: readonly string[]): Promise<PathDir[]> {
  const dirs = [...new Set(values.flatMap((v) => v.split(':')).filter((d) => d.startsWith('/') && !d.includes('$')))];
  const out: PathDir[] = [];
  for (const dir of dirs.slice(0, MAX_PATH_DIRS)) {
    const s = await host.stat(dir);
    out.push({ dir, stat: s.ok ? s : { ok: false, reason: whyNot(s) } });
  }
  return out;
}

export async function gatherAccounts(ctx: ProbeContext): Promise<AccountsFacts> {
  const { host } = ctx;
  const profileProblems: string[] = [];
  const profileD = await dirFiles(host, '/etc/profile.d', (n) => n.endsWith('.sh'));
  if (profileD.problem) profileProblems.push(profileD.problem);
  const [passwd, shadow, group, gshadow, loginDefs, useradd, environment, pam, sudo] = await Promise.all([
    readParsed(host, '/etc/passwd', parsePasswd),
    readParsed(host, '/etc/shadow', parseShadow),
    readParsed(host, '/etc/group', parseGroup),
    readParsed(host, '/etc/gshadow', parseGshadow),
    readParsed(host, '/etc/login.defs', parseLoginDefs),
    readParsed(host, '/etc/default/useradd', parseUseraddDefaults),
    readParsed(host, '/etc/environment', parseEnvironmentFile),
    gatherPam(host),
    gatherSudo(host),
  ]);
  const profiles = await shellFiles(
    host,
    ['/etc/profile', ...profileD.files, '/etc/bash.bashrc', '/etc/bashrc'],
    profileProblems,
  );
  const rootHome = passwd.ok ? (passwd.data.entries.find((e) => e.name === 'root')?.home ?? '/root') : '/root';
  const home = rootHome === '/' ? '' : rootHome;
  const rootProfiles = await shellFiles(
    host,
    [`${home}/.profile`, `${home}/.bash_profile`, `${home}/.bashrc`],
    profileProblems,
  );
  const supath = loginDefs.ok ? loginDefs.data.values.get('ENV_SUPATH')?.value.replace(/^PATH=/, '') : undefined;
  const values = [
    ...(environment.ok ? environment.data : []),
    ...[...profiles, ...rootProfiles].flatMap((f) => f.facts.path),
  ];
  if (supath !== undefined) values.push({ value: supath, line: 0, text: '' });
  return {
    role: ctx.hostRole ?? { role: 'node', why: 'assumed: the scan gave no host role' },
    now: ctx.now(),
    passwd,
    shadow,
    group,
    gshadow,
    loginDefs,
    useradd,
    environment,
    profiles,
    rootProfiles,
    profileProblems,
    pathDirs: await pathDirs(
      host,
      values.map((v) => v.value),
    ),
    pam,
    sudo,
  };
}
