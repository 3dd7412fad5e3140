/**
 * docs/contracts/json-output.md against the real commands: a scan of a fixture host with an accepted exception
 * and a signed integrity baseline, a scan whose ssh probe passes its deadline (a silent "sshd" on loopback), the
 * check catalogue, and integrity init, check and accept. Every field printed is documented, every documented
 * field is printed by one of them, `always` fields are never missing, and values have the documented types.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SEVERITIES, STATUSES } from '../../src/contracts.js';
import { PROBE_METRICS } from '../../src/metrics/probe-metrics.js';
import { materialize } from '../helpers/hosts.js';
import type { Materialized } from '../helpers/hosts.js';
import { checkFields, codeSpans, fieldDocs, hostward, readDoc, tableAfter } from './docs.js';
import type { FieldDoc, Run } from './docs.js';

const DOC = readDoc('docs/contracts/json-output.md');
const fields = (heading: string): FieldDoc[] => fieldDocs(tableAfter(DOC, heading));

function json(r: Run, want: number): unknown {
  expect(r.status, r.stderr).toBe(want);
  return JSON.parse(r.stdout);
}

describe('docs/contracts/json-output.md', () => {
  let tmp: string;
  let host: Materialized;
  let silent: Server;
  const sockets = new Set<Socket>();
  const out: Record<string, unknown[]> = { report: [], catalogue: [], check: [], written: [] };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hostward-json-doc-'));
    host = materialize('debian12-weak');
    mkdirSync(path.join(host.root, 'etc/app'), { recursive: true });
    writeFileSync(path.join(host.root, 'etc/app/app.conf'), 'a = 1\n');
    const key = path.join(tmp, 'key');
    const db = path.join(tmp, 'integrity.db');
    writeFileSync(key, 'k'.repeat(32), { mode: 0o600 });
    const integrity = (action: string, want: number) =>
      json(
        hostward([
          'integrity',
          action,
          '--root',
          host.root,
          '--path',
          '/etc/app',
          '--db',
          db,
          '--key-file',
          key,
          '--format',
          'json',
        ]),
        want,
      );
    out.written!.push(integrity('init', 0));

    const cfg = path.join(tmp, 'exception.yaml');
    writeFileSync(
      cfg,
      `exceptions:\n  - { check: ssh.password_auth, reason: "documented test", expires: 2099-12-31 }\n` +
        `probes:\n  integrity: { db: ${db}, keyFile: ${key} }\n`,
    );
    out.report!.push(json(hostward(['scan', '--root', host.root, '--config', cfg, '--format', 'json']), 1));

    // A daemon that accepts and never sends its banner: the live ssh look outlasts a 1 s probe deadline.
    silent = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const slow = path.join(tmp, 'slow.yaml');
    writeFileSync(
      slow,
      `scan: { probeTimeoutSeconds: 1 }\nprobes:\n  ssh: { live: true, liveAddress: 127.0.0.1, livePort: ${port} }\n`,
    );
    out.report!.push(
      json(hostward(['scan', '--root', host.root, '--config', slow, '--probe', 'ssh', '--format', 'json']), 0),
    );

    out.catalogue!.push(json(hostward(['checks', '--format', 'json']), 0));
    writeFileSync(path.join(host.root, 'etc/app/app.conf'), 'a = 2\n');
    writeFileSync(path.join(host.root, 'etc/app/new.conf'), 'b = 1\n');
    out.check!.push(integrity('check', 1));
    out.written!.push(integrity('accept', 0));
  }, 180_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    if (silent) await new Promise((r) => silent.close(r));
    host?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it.each([
    ['Scan report', 'report'],
    ['Check catalogue', 'catalogue'],
    ['Integrity check', 'check'],
    ['Integrity baseline written', 'written'],
  ])('%s: every field printed is documented, typed and present as documented, and each is printed', (heading, key) => {
    const docs = fields(heading);
    const { problems, seen } = checkFields(docs, out[key]!);
    expect(problems).toEqual([]);
    expect(
      docs.map((f) => f.path).filter((p) => !seen.has(p)),
      'documented, never printed',
    ).toEqual([]);
  });

  it("the documented statuses and severities are the contract's, and the scans show the optional fields", () => {
    const report = fields('Scan report');
    const values = (p: string) => codeSpans(report.find((f) => f.path === p)!.type);
    expect(values('findings[].status')).toEqual([...STATUSES]);
    expect(values('findings[].severity')).toEqual([...SEVERITIES]);
    expect(codeSpans(fields('Check catalogue').find((f) => f.path === '[].severity')!.type)).toEqual([...SEVERITIES]);
    const [accepted, slow] = out.report as {
      probes: { status: string; error?: string }[];
      measurements: { metric: string }[];
    }[];
    expect(slow!.probes).toEqual([
      expect.objectContaining({ probe: 'ssh', status: 'error', error: 'timed out after 1 s' }),
    ]);
    for (const m of accepted!.measurements) expect(Object.keys(PROBE_METRICS)).toContain(m.metric);
  });
});
