/**
 * PAM stacks with includes followed: "@include common-auth" (Debian), "auth include system-auth" and
 * "auth substack ..." (lines of the same type only), relative names under /etc/pam.d. Depth is bounded and a
 * cycle is reported, not followed.
 */
import type { HostRoot } from '../../../src/sdk.js';
import { parsePam } from '../parse/pam.js';
import type { PamFile, PamType } from '../parse/pam.js';
import { parseSecurityConf } from '../parse/keyvalue.js';
import type { PamFacts, PamModule, PamStack } from '../types.js';
import { MAX_FILE_BYTES, dirFiles, readParsed, whyNot } from './read.js';

const PAM_D = '/etc/pam.d';
const MAX_DEPTH = 8;
/**
 * Includes followed and module lines kept per stack: a file that includes another many times over, nested,
 * would otherwise grow the stack exponentially. Real stacks have a few dozen lines and a handful of includes.
 */
const MAX_INCLUDES = 64;
const MAX_MODULES = 1024;
const MAX_STACK_PROBLEMS = 100;

function problem(stack: PamStack, text: string): void {
  if (stack.problems.length < MAX_STACK_PROBLEMS) stack.problems.push(text);
}

interface Walk {
  stack: PamStack;
  includes: number;
  /** Files already parsed for this stack: an include of the same file again costs no read. */
  cache: Map<string, PamFile | string>;
  /** Files whose own problems are already reported. */
  reported: Set<string>;
}

async function load(host: HostRoot, file: string, walk: Walk): Promise<PamFile | string> {
  const hit = walk.cache.get(file);
  if (hit !== undefined) return hit;
  const r = await host.readText(file, { maxBytes: MAX_FILE_BYTES });
  const out = r.ok ? parsePam(r.text) : r.code === 'missing' ? 'missing' : whyNot(r);
  walk.cache.set(file, out);
  return out;
}

async function expand(
  host: HostRoot,
  file: string,
  only: PamType | undefined,
  chain: string[],
  walk: Walk,
): Promise<boolean> {
  const { stack } = walk;
  const parsed = await load(host, file, walk);
  if (typeof parsed === 'string') {
    if (chain.length > 1 || parsed !== 'missing')
      problem(stack, `${file}: ${parsed === 'missing' ? 'missing' : parsed}`);
    return false;
  }
  if (!walk.reported.has(file)) {
    walk.reported.add(file);
    for (const p of parsed.problems) problem(stack, `${file}:${p.line}: ${p.reason}`);
    if (parsed.truncated) problem(stack, `${file}: only the first lines were read`);
  }
  for (const l of parsed.lines) {
    if (only && l.type !== only) continue;
    if (l.kind === 'module') {
      if (stack.modules.length >= MAX_MODULES) return true;
      stack.modules.push({
        type: l.type,
        control: l.control,
        module: l.module,
        args: l.args,
        file,
        line: l.line,
        text: l.text,
      });
      continue;
    }
    const target = l.target.startsWith('/') ? l.target : `${PAM_D}/${l.target}`;
    if (chain.includes(target)) problem(stack, `${file}:${l.line}: includes ${target} again (a loop), not followed`);
    else if (chain.length > MAX_DEPTH)
      problem(stack, `${file}:${l.line}: includes nested deeper than ${MAX_DEPTH}, not followed`);
    else if (++walk.includes > MAX_INCLUDES)
      problem(stack, `${file}:${l.line}: more than ${MAX_INCLUDES} includes, not followed`);
    else await expand(host, target, l.type ?? only, [...chain, target], walk);
  }
  return true;
}

export async function gatherStack(host: HostRoot, file: string): Promise<PamStack> {
  const stack: PamStack = { file, present: false, modules: [], problems: [] };
  stack.present = await expand(host, file, undefined, [file], {
    stack,
    includes: 0,
    cache: new Map(),
    reported: new Set(),
  });
  return stack;
}

export async function gatherPam(host: HostRoot): Promise<PamFacts> {
  const d = await host.readDir(PAM_D);
  const names = d.ok ? new Set(d.entries.map((e) => e.name)) : new Set<string>();
  const family =
    names.has('common-password') || names.has('common-auth') ? 'debian' : names.has('system-auth') ? 'rhel' : 'none';
  const files =
    family === 'debian'
      ? ['common-auth', 'common-account', 'common-password']
      : family === 'rhel'
        ? ['system-auth', 'password-auth']
        : [];
  const conf = await dirFiles(host, '/etc/security/pwquality.conf.d', (n) => n.endsWith('.conf'));
  const [stacks, su, mainPwq, confd, faillock, pwhistory] = await Promise.all([
    Promise.all(files.map((f) => gatherStack(host, `${PAM_D}/${f}`))),
    gatherStack(host, `${PAM_D}/su`),
    readParsed(host, '/etc/security/pwquality.conf', parseSecurityConf),
    Promise.all(conf.files.map((f) => readParsed(host, f, parseSecurityConf))),
    readParsed(host, '/etc/security/faillock.conf', parseSecurityConf),
    readParsed(host, '/etc/security/pwhistory.conf', parseSecurityConf),
  ]);
  // No /etc/pam.d at all is a host without PAM (family 'none'); any other failure is a read problem.
  const problem = d.ok || d.code === 'missing' ? undefined : `${PAM_D}: ${whyNot(d)}`;
  // libpwquality reads pwquality.conf.d/*.conf in ASCII order first, then pwquality.conf (pwquality.conf(5)).
  return { family, ...(problem ? { problem } : {}), stacks, su, pwquality: [...confd, mainPwq], faillock, pwhistory };
}

/** Module lines of a type across the stacks, optionally of one module (by base name). */
export function modulesOf(stacks: readonly PamStack[], type: PamType | undefined, name?: string): PamModule[] {
  return stacks
    .flatMap((s) => s.modules)
    .filter((m) => (!type || m.type === type) && (!name || m.module.endsWith('/' + name) || m.module === name));
}
