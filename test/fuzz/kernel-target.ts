/**
 * Fuzz target of the kernel probe's sysctl.d parser: one input read as a sysctl.d file, then applied and
 * looked up for every sysctl the probe reads. Property: nothing throws, a file beyond the cap is refused as a
 * whole, every assignment has a normalised key (no empty component) and a line within the input, the kept
 * ignored lines stay within their cap, and lookups give one of the three answers.
 */
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  applyConf,
  globMatches,
  parseSysctlConf,
  persistedValue,
  MAX_CONF_CHARS,
} from '../../probes/kernel/sysctl-conf.js';
import { tableKeys } from '../../probes/kernel/sysctls.js';
import { joinLines, word } from './mutate.js';
// A cycle with targets.ts, harmless: PropertyViolation is used only when a case runs.
import { PropertyViolation } from './targets.js';
import type { FuzzTarget } from './targets.js';

const KEYS = tableKeys();

function ensure(cond: unknown, what: string): asserts cond {
  if (!cond) throw new PropertyViolation(what);
}

/** Every sysctl configuration file of the kernel fixtures. */
function seedFiles(repoRoot: string): Buffer[] {
  const base = path.join(repoRoot, 'test/fixtures/hosts');
  const out: Buffer[] = [];
  for (const fx of readdirSync(base)
    .filter((n) => n.startsWith('kernel-') && !n.endsWith('.json'))
    .sort()) {
    for (const dir of ['etc/sysctl.d', 'run/sysctl.d', 'usr/lib/sysctl.d', 'etc']) {
      let names: string[] = [];
      try {
        names = readdirSync(path.join(base, fx, dir))
          .filter((n) => n.endsWith('.conf'))
          .sort();
      } catch {
        continue; // not every fixture has every directory
      }
      for (const n of names) {
        const f = path.join(base, fx, dir, n);
        try {
          if (statSync(f).isFile()) out.push(readFileSync(f));
        } catch {
          // a link to /dev/null or a dangling link
        }
      }
    }
  }
  return out;
}

const key = fc.oneof(
  fc.constantFrom(...KEYS),
  fc.constantFrom(
    'net.ipv4.conf.*.rp_filter',
    'net/ipv4/conf/all/rp_filter',
    'net.ipv4.conf.eth0/100.rp_filter',
    'a..b',
    '/x',
    '.',
    '[',
    '[!a-',
    '*',
    '\\*',
  ),
  word,
);
const line = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '-', ' ', '\t'),
      key,
      fc.constantFrom('=', ' = ', '=  '),
      fc.oneof(fc.integer().map(String), word),
    )
    .map((p) => p.join('')),
  fc.tuple(fc.constantFrom('-', ''), key).map((p) => p.join('')),
  fc.constantFrom('# comment', '; comment', '', '   ', '=', '-', '\r', '\0'),
  word,
);

export const kernelTarget: FuzzTarget = {
  name: 'sysctl.d configuration',
  entry: 'probes/kernel/sysctl-conf.ts parseSysctlConf, applyConf, persistedValue, globMatches',
  dictionary: ['\n', '=', '-', '#', ';', '.', '/', '*', '?', '[', ']', '!', '\r\n', '\0'],
  async seeds(ctx) {
    return seedFiles(ctx.repoRoot);
  },
  structured: () => joinLines(line, 60),
  run(input) {
    const text = input.toString('utf8');
    const p = parseSysctlConf(text);
    if (text.length > MAX_CONF_CHARS) {
      ensure(!p.ok, 'a file beyond the cap is refused');
      return;
    }
    ensure(p.ok, 'a file within the cap is parsed');
    const lines = text.split(/\r\n|[\r\n\0]/).length;
    for (const a of p.conf.assignments) {
      ensure(a.key !== '' && a.key.split('.').every((c) => c !== ''), `normalised key: ${JSON.stringify(a.key)}`);
      ensure(a.line >= 1 && a.line <= lines, 'line within the input');
      ensure(a.text.length <= 121, 'evidence text within its cap');
    }
    const { ignored, ignoredCount } = p.conf;
    ensure(ignored.length <= 10 && ignoredCount >= ignored.length, 'ignored lines within their cap');
    const settings = applyConf([{ file: '/etc/sysctl.d/f.conf', conf: p.conf }]);
    for (const k of KEYS) {
      const v = persistedValue(settings, k);
      ensure(['set', 'excluded', 'unset'].includes(v.state), 'one of three answers');
      if (v.state === 'set') ensure(v.setting.value !== null, 'a set value is a value');
    }
    for (const a of p.conf.assignments.slice(0, 50)) globMatches(a.key, KEYS[0]!);
  },
};
