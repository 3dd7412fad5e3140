/**
 * Every `hostward …` command that docs/**.md and deploy/runbooks.md give must parse with the real CLI: its command
 * exists (`hostward COMMAND --help` answers), and every flag it uses is in that command's --help, with a value
 * the help lists for --format and --fail-on. The runbooks' commands in the agent pod (`kubectl … exec $POD --
 * hostward …`) are also run, in the environment the chart gives that pod (HOSTWARD_ROOT, HOSTWARD_CONFIG,
 * HOSTWARD_STATE_DIR, HOSTWARD_INTEGRITY_KEY_FILE) over a fixture host: none may end in a usage or configuration
 * error (exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { CLI, commandLines, documentFiles, flagsIn, helpOf, hostward, readDoc } from './docs.js';
import type { CommandLine } from './docs.js';

const COMMANDS = ['scan', 'checks', 'explain', 'agent', 'collector', 'integrity', 'version'];
const GLOBAL = ['--help', '-h', 'help', '--version'];
const INTEGRITY_ACTIONS = ['init', 'check', 'accept'];
/** Flags whose values are a closed set that the command's help lists. */
const LISTED_VALUES = ['--format', '--fail-on'];

/** Edit distance, to tell a mistyped command (`hostward scna`) from prose quoting a message. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** `hostward …` and `hostward COMMAND`: prose about every command. */
const PLACEHOLDERS = ['…', 'COMMAND'];
const commandWord = (w: string | undefined) =>
  w !== undefined && (PLACEHOLDERS.includes(w) || GLOBAL.includes(w) || COMMANDS.some((c) => distance(c, w) <= 2));

// Inline spans of prose count when they name a command (or nearly: a typo must fail, not be skipped); code
// blocks always do.
const all: CommandLine[] = documentFiles()
  .flatMap((f) => commandLines(f, readDoc(f)))
  .filter((c) => !c.inline || commandWord(c.args[0]));

function problems(c: CommandLine): string[] {
  const [cmd, ...rest] = c.args;
  if (cmd === undefined) return ['no command'];
  if (GLOBAL.includes(cmd)) return rest.length === 0 ? [] : [`${cmd} takes nothing after it`];
  if (cmd === '…') return [];
  // `hostward COMMAND --help`: a placeholder for every command.
  const commands = cmd === 'COMMAND' ? COMMANDS : [cmd];
  if (!COMMANDS.includes(commands[0]!)) return [`no command "${cmd}"`];
  const out: string[] = [];
  for (const command of commands) {
    const help = helpOf(command);
    const flags = flagsIn(help);
    const words = rest;
    if (
      command === 'integrity' &&
      words[0] !== undefined &&
      !words[0].startsWith('-') &&
      !INTEGRITY_ACTIONS.includes(words[0])
    ) {
      out.push(`integrity has no action "${words[0]}"`);
    }
    words.forEach((w, i) => {
      if (!/^-/.test(w)) return;
      const [flag, inline] = w.split('=', 2) as [string, string | undefined];
      // --help and -h are answered by every command, whether its help lists them or not.
      if (!flags.has(flag) && !['--help', '-h'].includes(flag)) out.push(`${command}: no flag ${flag} in its --help`);
      const value = inline ?? words[i + 1];
      if (LISTED_VALUES.includes(flag) && value !== undefined && !new RegExp(`\\b${value}\\b`).test(help)) {
        out.push(`${command} ${flag}: "${value}" is not a value its --help lists`);
      }
    });
  }
  return out;
}

describe('hostward command lines in the documents', () => {
  it('are found in every document that should have them', () => {
    const count = (file: string) => all.filter((c) => c.file === file).length;
    expect(count('deploy/runbooks.md')).toBeGreaterThanOrEqual(10);
    expect(count('docs/getting-started.md')).toBeGreaterThanOrEqual(8);
    expect(count('docs/troubleshooting.md')).toBeGreaterThanOrEqual(4);
  });

  it.each(all.map((c) => [`${c.file}:${c.line}`, c.args.join(' '), c] as const))('%s: hostward %s', (_at, _args, c) => {
    expect(problems(c), c.text).toEqual([]);
  });

  it('a command that does not exist, a flag that does not and a value not listed are caught', () => {
    const line = (args: string[]): CommandLine => ({ file: 'x', line: 1, args, text: args.join(' '), inline: false });
    expect(problems(line(['scan', '--probe', 'ssh', '--format', 'json']))).toEqual([]);
    expect(problems(line(['scna']))).not.toEqual([]);
    expect(problems(line(['scan', '--no-such-flag']))).not.toEqual([]);
    expect(problems(line(['scan', '--format', 'yaml']))).not.toEqual([]);
    expect(problems(line(['integrity', 'verify']))).not.toEqual([]);
    expect(commandWord('scna')).toBe(true);
    expect(commandWord('is')).toBe(false);
  });
});

describe('`hostward` on PATH, as the image provides it', () => {
  it('a symlink named hostward to the CLI runs it: a node shebang, modules resolved through the link', () => {
    expect(readFileSync(CLI, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
    const bin = mkdtempSync(path.join(os.tmpdir(), 'hostward-bin-'));
    try {
      symlinkSync(CLI, path.join(bin, 'hostward'));
      const r = spawnSync(process.execPath, [path.join(bin, 'hostward'), 'explain', 'ssh.password_auth'], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('ssh.password_auth');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('deploy/runbooks.md commands in the agent pod', () => {
  let tmp = '';
  let host: Materialized;
  let env: NodeJS.ProcessEnv = {};
  const inPod = all.filter((c) => c.file === 'deploy/runbooks.md' && /\bexec \$POD --/.test(c.text));

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-runbooks-'));
    host = materialize('debian12-weak');
    const state = path.join(tmp, 'state');
    mkdirSync(state);
    writeFileSync(path.join(tmp, 'key'), 'k'.repeat(32), { mode: 0o600 });
    // The chart's agent configuration (deploy/manifests), with the live ssh look off: no sshd serves this fixture.
    writeFileSync(
      path.join(tmp, 'config.yaml'),
      `agent: { port: 9750, stateDir: ${state} }\nroot: ${host.root}\nprobes:\n  ports: { reachability: auto }\n  ssh: { live: false }\n`,
    );
    env = {
      HOSTWARD_ROOT: host.root,
      HOSTWARD_CONFIG: path.join(tmp, 'config.yaml'),
      HOSTWARD_STATE_DIR: state,
      HOSTWARD_INTEGRITY_KEY_FILE: path.join(tmp, 'key'),
      NODE_NAME: 'worker-3',
    };
    // The baseline the install step builds (docs/getting-started.md) before the integrity runbook applies.
    const init = hostward(['integrity', 'init'], env);
    expect(init.status, init.stderr).toBe(0);
  }, 60_000);

  afterAll(() => {
    host?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('are there', () => expect(inPod.length).toBeGreaterThanOrEqual(8));

  it.each(inPod.map((c) => [c.line, c.args.join(' '), c] as const))(
    'line %s: hostward %s ends in 0 or 1, not a usage error',
    (_l, _a, c) => {
      const r = hostward(c.args, env);
      expect([0, 1], `${c.text}\n${r.stderr.slice(0, 2000)}`).toContain(r.status);
    },
    120_000,
  );
});
