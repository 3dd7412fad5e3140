/**
 * docs/contracts/exit-codes.md against the real CLI: one scenario per documented (command, exit) row, run with
 * the built `hostward`; the rows and the scenarios must be the same set. Long-running commands (agent, collector)
 * are started on 127.0.0.1 in their own process group and stopped by their PID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { freePort, start, stop, waitFor } from '../e2e/procs.js';
import { CLI, hostward, readDoc, tableAfter } from './docs.js';
import type { Run } from './docs.js';

let tmp = '';
let weak: Materialized;
const p = (...parts: string[]) => path.join(tmp, ...parts);

/** Exit code of a long-running command once it listens and gets SIGTERM (through procs.stop, by its PID). */
async function servedThenStopped(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number | string> {
  const s = start(args[0]!, process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } });
  try {
    await waitFor(
      `${args[0]} to listen`,
      () => {
        if (s.proc.exitCode !== null) throw new Error(`exited ${s.proc.exitCode}: ${s.logs()}`);
        return /listening/.test(s.logs()) ? true : undefined;
      },
      30_000,
    );
  } finally {
    await stop(s, 30_000);
  }
  return s.exited;
}

const integrity = (action: string, ...more: string[]) => [
  'integrity',
  action,
  '--root',
  weak.root,
  '--path',
  '/etc/ssh',
  ...more,
];

/** Each documented row: how to make the command exit that way. */
const SCENARIOS: Record<string, () => Promise<number | string> | Run | number> = {
  'scan|0': () => hostward(['scan', '--root', p('empty'), '--probe', 'ssh']),
  'scan|1': () => hostward(['scan', '--root', weak.root, '--probe', 'ssh', '--fail-on', 'high']),
  'scan|2': () => hostward(['scan', '--root', p('no-such-dir')]),
  'checks|0': () => hostward(['checks', '--probe', 'kernel']),
  'checks|2': () => hostward(['checks', '--probe', 'no-such-probe']),
  'explain|0': () => hostward(['explain', 'ssh.password_auth']),
  'explain|2': () => hostward(['explain', 'ssh.no_such_check']),
  'agent|0': () => servedThenStopped(['agent', '--root', p('empty'), '--port', '0', '--config', p('agent.yaml')]),
  'agent|2': () => hostward(['agent', '--root', p('empty'), '--config', p('bad.yaml')]),
  'collector|0': () => servedThenStopped(['collector', '--port', '0', '--config', p('collector.yaml')]),
  'collector|2': () => hostward(['collector', '--port', '0'], { HOSTWARD_DB: p('collector-no-tokens.db') }),
  'collector test-sink|0': () => hostward(['collector', 'test-sink', 'file', '--config', p('collector.yaml')]),
  'collector test-sink|1': () => hostward(['collector', 'test-sink', 'webhook', '--config', p('collector.yaml')]),
  'collector test-sink|2': () => hostward(['collector', 'test-sink', 'no-such-sink', '--config', p('collector.yaml')]),
  'integrity init|0': () => hostward(integrity('init', '--db', p('a.db'), '--key-file', p('key'))),
  // Its directory cannot be created: a file is in the way.
  'integrity init|1': () => hostward(integrity('init', '--db', p('key', 'a.db'))),
  'integrity init|2': () => hostward(integrity('init', '--db', p('b.db'), '--key-file', p('no-such-key'))),
  'integrity check|0': () => hostward(integrity('check', '--db', p('a.db'), '--key-file', p('key'))),
  'integrity check|1': () => hostward(integrity('check', '--db', p('tampered.db'), '--key-file', p('key'))),
  'integrity check|2': () => hostward(integrity('check', '--db', p('none.db'))),
  'integrity accept|0': () => hostward(integrity('accept', '--db', p('a.db'), '--key-file', p('key'))),
  'integrity accept|1': () =>
    hostward(integrity('accept', '--db', p('tampered.db'), '--key-file', p('key'), '--only', '/etc/ssh/sshd_config')),
  'integrity accept|2': () => hostward(integrity('accept', '--db', p('none.db'), '--only', '/etc/ssh/sshd_config')),
  'version|0': () => hostward(['version']),
  '--help, help, COMMAND --help|0': () => {
    const codes = [hostward(['--help']), hostward(['help']), hostward(['scan', '--help'])].map((r) => r.status);
    return codes.every((c) => c === 0) ? 0 : Math.max(...codes.map((c) => c ?? -1));
  },
  '(none)|2': () => hostward([]),
  'an unknown command|2': () => hostward(['no-such-command']),
};

describe('docs/contracts/exit-codes.md', () => {
  const rows = tableAfter(readDoc('docs/contracts/exit-codes.md'), 'Exit codes');
  const command = (cell: string) => cell.replace(/`/g, '');
  const documented = rows.map((r) => `${command(r.command!)}|${r.exit}`);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-exit-codes-'));
    weak = materialize('debian12-weak');
    mkdirSync(p('empty'));
    writeFileSync(p('key'), 'k'.repeat(32), { mode: 0o600 });
    writeFileSync(p('tokens'), 'a-collector-token\n', { mode: 0o600 });
    writeFileSync(p('bad.yaml'), 'agent:\n  no_such_key: 1\n');
    const state = p('state');
    mkdirSync(state);
    writeFileSync(p('agent.yaml'), `agent: { listen: 127.0.0.1, stateDir: ${state} }\nscan: { probes: [kernel] }\n`);
    // A webhook receiver that is not there: a loopback port nothing listens on.
    writeFileSync(p('webhook-url'), `http://127.0.0.1:${await freePort()}/hook\n`);
    writeFileSync(
      p('collector.yaml'),
      `collector:\n  listen: 127.0.0.1\n  db: ${p('collector.db')}\n  tokensFile: ${p('tokens')}\n` +
        `  fileSink: ${p('changes.ndjson')}\n  webhookUrlFile: ${p('webhook-url')}\n`,
    );
    expect(hostward(integrity('init', '--db', p('a.db'), '--key-file', p('key'))).status).toBe(0);
    // The baseline as someone without the key would change it: one record's mode, the MAC left as it was.
    const db = readFileSync(p('a.db'), 'utf8');
    const tampered = db.replace(
      /^(\["\/etc\/ssh\/sshd_config","f",)(\d+)/m,
      (_m, head: string, mode: string) => `${head}${Number(mode) ^ 0o022}`,
    );
    expect(tampered).not.toBe(db);
    writeFileSync(p('tampered.db'), tampered);
  }, 60_000);

  afterAll(() => {
    weak?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('every documented row has a scenario, and every scenario a row', () => {
    expect(documented.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  it.each(rows.map((r) => [command(r.command!), r.exit!, r.when!] as const))(
    '%s exits %s: %s',
    async (command, exit) => {
      const run = SCENARIOS[`${command}|${exit}`];
      expect(run, 'no scenario for this row').toBeDefined();
      const r = await run!();
      // A run carries its stderr, which says why when the code is not the documented one.
      if (typeof r === 'object') expect(r.status, r.stderr.slice(0, 2000)).toBe(Number(exit));
      else expect(r).toBe(Number(exit));
    },
    90_000,
  );
});
