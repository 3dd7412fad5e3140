/**
 * OpenSCAP with the SCAP Security Guide content Debian packages (openscap-scanner, ssg-debderived). That content
 * has no Debian 12 data stream; its Ubuntu 22.04 CIS Level 1 Server profile is the closest, and its rules read
 * the same Debian files. The profile's platform is "Ubuntu 22.04", which its CPE check tells from
 * /etc/lsb-release (DISTRIB_ID=Ubuntu, DISTRIB_CODENAME=jammy), a file Debian does not have: on Debian every rule
 * would be notapplicable. A copy of the data stream with only those three CPE objects rewritten to read
 * /etc/os-release (ID=debian, VERSION_ID="12") makes the same platform mean Debian 12, and nothing else changes.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const OSCAP = '/usr/bin/oscap';
export const SSG_UBUNTU2204 = '/usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml';
export const PROFILE = 'xccdf_org.ssgproject.content_profile_cis_level1_server';
export const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
export const haveOpenscap = existsSync(OSCAP) && existsSync(SSG_UBUNTU2204);

/** The CPE OVAL component: the only part of the data stream that is rewritten. */
const CPE_COMPONENT = '<ds:component id="scap_org.open-scap_comp_ssg-ubuntu2204-cpe-oval.xml"';

const object = (prefix: 'unix' | 'ind', file: string, pattern?: string) =>
  `<${prefix}:filepath>${file}</${prefix}:filepath>` +
  (pattern === undefined ? '' : `\n          <ind:pattern operation="pattern match">${pattern}</ind:pattern>`);

/** [what the Ubuntu check reads, what the Debian 12 check reads]: each must occur exactly once in the component. */
export const PLATFORM_REWRITES: readonly (readonly [string, string])[] = [
  [object('unix', '/etc/lsb-release'), object('unix', '/etc/os-release')],
  [object('ind', '/etc/lsb-release', '^DISTRIB_ID=Ubuntu$'), object('ind', '/etc/os-release', '^ID=debian$')],
  [
    object('ind', '/etc/lsb-release', '^DISTRIB_CODENAME=jammy$'),
    object('ind', '/etc/os-release', '^VERSION_ID="12"$'),
  ],
];

/** The data stream with the platform check rewritten for Debian 12; throws if the content is not as expected. */
export function debianDatastream(source: string): string {
  const at = source.indexOf(CPE_COMPONENT);
  if (at < 0 || source.indexOf(CPE_COMPONENT, at + 1) >= 0) throw new Error('expected one CPE OVAL component');
  let cpe = source.slice(at);
  for (const [from, to] of PLATFORM_REWRITES) {
    const n = cpe.split(from).length - 1;
    if (n !== 1) throw new Error(`expected one ${JSON.stringify(from)} in the CPE OVAL component, found ${n}`);
    cpe = cpe.replace(from, to);
  }
  return source.slice(0, at) + cpe;
}

export type SsgResult =
  'pass' | 'fail' | 'notapplicable' | 'notchecked' | 'notselected' | 'error' | 'unknown' | 'informational' | 'fixed';

export interface OscapRun {
  /** Rule id without the xccdf_org.ssgproject.content_rule_ prefix -> result, for the profile's rules. */
  results: Map<string, SsgResult>;
  seconds: number;
}

/**
 * Evaluates the profile on this machine (root "/") or on a host root through OSCAP_PROBE_ROOT (as oscap-chroot);
 * `rules`, when given, limits the run to those rules of the profile (ids without the prefix).
 */
export async function runOscap(datastream: string, root: string, rules?: readonly string[]): Promise<OscapRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-oscap-'));
  const out = path.join(dir, 'results.xml');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C' };
  if (root !== '/') env.OSCAP_PROBE_ROOT = root;
  const t0 = performance.now();
  try {
    const only = (rules ?? []).flatMap((r) => ['--rule', RULE_PREFIX + r]);
    const args = ['xccdf', 'eval', '--profile', PROFILE, ...only, '--results', out, datastream];
    await run(OSCAP, args, { env, maxBuffer: 64 << 20 }).catch((e: { code?: number }) => {
      // 2: evaluated, and some rule failed; anything else is oscap's own error.
      if (e.code !== 2) throw e;
    });
    return { results: parseResults(readFileSync(out, 'utf8')), seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** rule-result elements of an XCCDF results file, selected rules only. */
export function parseResults(xml: string): Map<string, SsgResult> {
  const results = new Map<string, SsgResult>();
  const re = /<rule-result\b[^>]*\bidref="([^"]+)"[^>]*>[\s\S]*?<result>([a-z]+)<\/result>/g;
  for (const m of xml.matchAll(re)) {
    const [, id, result] = m as unknown as [string, string, SsgResult];
    if (!id.startsWith(RULE_PREFIX)) throw new Error(`unexpected rule id ${id}`);
    if (result !== 'notselected') results.set(id.slice(RULE_PREFIX.length), result);
  }
  if (results.size === 0) throw new Error('no rule results in the OpenSCAP results file');
  return results;
}

/** Writes the adjusted data stream into a temp dir; returns its path and a cleanup. */
export function writeDebianDatastream(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostward-ssg-'));
  const file = path.join(dir, 'ssg-debian12-from-ubuntu2204-ds.xml');
  writeFileSync(file, debianDatastream(readFileSync(SSG_UBUNTU2204, 'utf8')));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
