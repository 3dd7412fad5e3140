/** /etc/sudoers and what it includes, in sudo's order; bounded in depth and files. */
import type { HostRoot } from '../../../src/sdk.js';
import { includedirNames, parseSudoers } from '../parse/sudoers.js';
import type { SudoFacts } from '../types.js';
import { MAX_DIR_FILES, MAX_FILE_BYTES, whyNot } from './read.js';

const SUDO_BINARIES = ['/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo', '/usr/bin/sudo-rs'];
const MAX_DEPTH = 8;
const MAX_FILES = 512;

/** A relative include is relative to the including file's directory (sudo 1.9.1 and later). */
function resolveTarget(from: string, target: string): string {
  return target.startsWith('/') ? target : `${from.slice(0, from.lastIndexOf('/')) || '/'}/${target}`;
}

async function readFile(
  host: HostRoot,
  file: string,
  depth: number,
  facts: SudoFacts,
  seen: Set<string>,
): Promise<void> {
  if (seen.has(file) || seen.size >= MAX_FILES) return;
  seen.add(file);
  const r = await host.readText(file, { maxBytes: MAX_FILE_BYTES });
  if (!r.ok) {
    if (r.code !== 'missing' || depth === 0) facts.unreadable.push({ file, reason: whyNot(r) });
    return;
  }
  if (depth === 0) facts.present = true;
  const p = parseSudoers(r.text);
  const problems = p.problems.map((x) => `${file}:${x.line}: ${x.reason}`);
  facts.files.push({ file, defaults: p.defaults, rules: p.rules, problems });
  if (depth >= MAX_DEPTH) return;
  for (const inc of p.includes) {
    const target = resolveTarget(file, inc.target);
    if (inc.kind === 'file') {
      await readFile(host, target, depth + 1, facts, seen);
      continue;
    }
    const d = await host.readDir(target);
    if (!d.ok) {
      if (d.code !== 'missing') facts.unreadable.push({ file: target, reason: whyNot(d) });
      continue;
    }
    const files = d.entries.filter((e) => e.type === 'file' || e.type === 'symlink').map((e) => e.name);
    for (const n of includedirNames(files).slice(0, MAX_DIR_FILES))
      await readFile(host, `${target}/${n}`, depth + 1, facts, seen);
  }
}

export async function gatherSudo(host: HostRoot): Promise<SudoFacts> {
  const facts: SudoFacts = { files: [], unreadable: [], present: false };
  for (const b of SUDO_BINARIES) {
    const s = await host.stat(b);
    if (s.ok && s.type === 'file') {
      facts.binary = b;
      break;
    }
  }
  const main = await host.stat('/etc/sudoers');
  if (main.ok) facts.present = true;
  await readFile(host, '/etc/sudoers', 0, facts, new Set());
  if (!main.ok) facts.unreadable = facts.unreadable.filter((u) => u.file !== '/etc/sudoers');
  return facts;
}
