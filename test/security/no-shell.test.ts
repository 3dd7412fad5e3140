/**
 * No shell strings from host data: hostward runs programs only through execFile/spawn with argument
 * arrays, never through a shell. A scan of the source (src/, probes/; tests excluded) fails on:
 *
 * - importing exec or execSync from child_process (they run a command line through /bin/sh);
 * - a `shell:` option other than `shell: false` in a file that uses child_process;
 * - a shell as the program (sh, bash, dash, zsh, with or without /bin/ or /usr/bin/), whose `-c`
 *   would take a command string;
 * - child_process reached through require() or a dynamic import (which the import check would miss);
 * - a module using child_process that is not on the allow-list below, with its reason. A new one fails
 *   until someone has looked at it and written down why it is safe.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Modules allowed to use child_process, and why they are safe. */
const ALLOWED: Record<string, string> = {
  'src/host/sandbox.ts':
    'the one helper for host binaries (sshd -T, -V): spawn with an argument array (for an untrusted root, the sandbox chain, built as an array too), a timeout and an output cap',
  'src/agent/child-scan.ts':
    'runs `hostward scan --format json` itself: execFile(process.execPath, [cli, ...fixed flags])',
};

export interface Finding {
  file: string;
  line: number;
  rule: string;
  text: string;
}

const CP = String.raw`(?:node:)?child_process`;

/** The rules, applied to one file's text. Exported shape for the self-test below. */
export function scanSource(file: string, text: string): { usesChildProcess: boolean; findings: Finding[] } {
  const findings: Finding[] = [];
  const lineOf = (i: number) => text.slice(0, i).split('\n').length;
  const add = (rule: string, i: number, t: string) =>
    findings.push({ file, line: lineOf(i), rule, text: t.trim().slice(0, 160) });
  const staticImports = [
    ...text.matchAll(new RegExp(String.raw`import\s+(?:type\s+)?([\s\S]*?)\s+from\s+['"]${CP}['"]`, 'g')),
  ];
  const dynamic = [...text.matchAll(new RegExp(String.raw`(?:require|import)\s*\(\s*['"]${CP}['"]\s*\)`, 'g'))];
  for (const m of dynamic) add('child_process through require() or import()', m.index, m[0]);
  for (const m of staticImports) {
    const clause = m[1]!;
    if (/^\*\s+as\s+\w+/.test(clause) || /^\w+\s*(,|$)/.test(clause))
      add('namespace or default import of child_process (exec reachable)', m.index, m[0]);
    const named = /\{([\s\S]*)\}/.exec(clause)?.[1] ?? '';
    for (const n of named.split(',').map((s) =>
      s
        .trim()
        .split(/\s+as\s+/)[0]!
        .replace(/^type\s+/, ''),
    )) {
      if (n === 'exec' || n === 'execSync') add(`imports ${n} (runs a command line through /bin/sh)`, m.index, m[0]);
    }
  }
  const usesChildProcess = staticImports.length > 0 || dynamic.length > 0;
  if (usesChildProcess) {
    for (const m of text.matchAll(/\bshell\s*:\s*(?![\s]|false\b)[^,}\n]+/g)) add('shell option', m.index, m[0]);
    for (const m of text.matchAll(
      /\b(?:execFile|execFileSync|spawn|spawnSync|fork)\s*\(\s*['"`](?:\/usr)?(?:\/bin\/)?(?:ba|da|z|k|c|tc)?sh['"`]/g,
    ))
      add('a shell as the program', m.index, m[0]);
  }
  return { usesChildProcess, findings };
}

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') sources(p, out);
    } else if (/\.(ts|mts|js|mjs|cjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('the scanner itself', () => {
  it('finds each forbidden form in a sample', () => {
    const bad = [
      `import { exec } from 'node:child_process';`,
      `import { execSync as run } from 'child_process';`,
      `import * as cp from 'node:child_process';`,
      `const cp = require('child_process');`,
      `const { spawn } = await import('node:child_process');`,
      `import { spawn } from 'node:child_process'; spawn(cmd, args, { shell: true });`,
      `import { execFile } from 'node:child_process'; execFile('/bin/sh', ['-c', line]);`,
      `import { spawn } from 'node:child_process'; spawn("bash", ["-c", line]);`,
      `import { execFile } from 'node:child_process'; execFile(bin, args, { shell: '/bin/bash' });`,
    ];
    for (const s of bad) expect(scanSource('sample.ts', s).findings.length, s).toBeGreaterThan(0);
    const good = [
      `import { execFile } from 'node:child_process'; execFile('sshd', ['-T', '-C', ctx], { timeout: 5000, shell: false });`,
      `import type { ChildProcess } from 'node:child_process';`,
      `const user = { shell: '/bin/bash' };`,
    ];
    for (const s of good) expect(scanSource('sample.ts', s).findings, s).toEqual([]);
  });
});

describe('hostward source', () => {
  it('runs no program through a shell, and only allow-listed modules use child_process', () => {
    const files = [...sources('src'), ...sources('probes')];
    expect(files.length).toBeGreaterThan(50);
    const users: string[] = [];
    const findings: Finding[] = [];
    for (const f of files) {
      const r = scanSource(f, readFileSync(f, 'utf8'));
      if (r.usesChildProcess) users.push(f);
      findings.push(...r.findings);
    }
    expect(findings).toEqual([]);
    const unexpected = users.filter((f) => ALLOWED[f] === undefined);
    expect(unexpected, 'new child_process users: check them, then add them to ALLOWED with a reason').toEqual([]);
    // The allow-list names real users (a stale entry would hide a move of the code).
    expect(users.sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('the allow-listed modules pass argument arrays, never a built command line', () => {
    for (const f of Object.keys(ALLOWED)) {
      const text = readFileSync(f, 'utf8');
      const calls = [...text.matchAll(/\b(?:execFile|spawn)\s*\(\s*([^,]+),\s*([^,)]+)/g)];
      expect(calls.length, f).toBeGreaterThan(0);
      for (const c of calls) {
        // The program is an identifier or a literal, not a template with interpolations; the arguments are an array or
        // a variable holding one.
        expect(c[1]!, f).not.toMatch(/\$\{/);
        expect(c[2]!.trim(), f).toMatch(/^(\[|[A-Za-z_$][\w$.]*$)/);
      }
    }
  });
});
