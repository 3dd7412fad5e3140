/**
 * Attacks on the baseline itself, on real files: a signed baseline that cannot be verified (re-signed with the
 * intruder's own key and the key setting dropped, the wrong key, a bad HMAC) is never a pass, whatever the
 * configuration; and every baseline carries a generation, covered by its HMAC, that init starts and each accept
 * raises, so that an older baseline put back (a rollback) is visible to the collector.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createHmac } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { integrityAccept, integrityCheck, integrityInit } from '../../src/integrity/api.js';
import { readKeyFile } from '../../src/integrity/db.js';
import { IntegrityError } from '../../src/integrity/types.js';
import type { Report } from '../../src/contracts.js';
import { byCheck, sandbox, scanIntegrity } from './helpers.js';
import { fsClockTick } from '../helpers/wait.js';
import type { Sandbox } from './helpers.js';

const TREE = { 'etc/ssh/sshd_config': 'PasswordAuthentication no\n', 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' };
const POLICY_YAML = `version: 1
rules:
  - {path: /etc/ssh, properties: config, category: ssh}
  - {path: /etc/passwd, properties: config, category: accounts}
`;

let s: Sandbox;
let policyFile: string;
beforeEach(() => {
  s = sandbox(TREE);
  policyFile = `${s.state}/policy.yaml`;
  writeFileSync(policyFile, POLICY_YAML);
});
afterEach(() => s.cleanup());

const lib = (keyFile: string | null = s.key) => ({ root: s.root, policy: policyFile, dbFile: s.db, keyFile });
const probe = (extra: Record<string, unknown> = {}) =>
  scanIntegrity(s.root, { db: s.db, policy: policyFile, ...extra });

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return e instanceof IntegrityError ? e.code : undefined;
}

/** The intruder's move: change a file, then re-sign the baseline with a key of their own. */
async function reSignedByIntruder(): Promise<void> {
  await integrityInit(lib());
  await fsClockTick(); // times written from here on differ from the baseline's
  writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
  await integrityInit(lib(s.otherKey));
}

const baselineRun = (r: Report) => r.probes.find((p) => p.probe === 'integrity')?.baseline;

describe('a signed baseline that cannot be verified is never trusted', () => {
  it('re-signed with another key and checked without a key: a typed error, not a result with a note', async () => {
    await reSignedByIntruder();
    expect(await codeOf(integrityCheck(lib(null)))).toBe('baseline_unverified');
    expect(await codeOf(integrityCheck(lib()))).toBe('baseline_wrong_key');
  });

  it('the probe fails integrity.baseline_valid (critical) and compares nothing, with no key or an unusable one', async () => {
    await reSignedByIntruder();
    for (const config of [{}, { keyFile: `${s.state}/no-such-key` }]) {
      const r = await probe(config);
      const m = byCheck(r);
      expect(m.get('integrity.baseline_valid'), JSON.stringify(config)).toMatchObject({
        status: 'fail',
        severity: 'critical',
      });
      expect(m.get('integrity.baseline_valid')!.message).toMatch(/signed but .*not verified|cannot be verified/);
      expect(m.get('integrity.baseline_signed')!.status).toBe('fail');
      expect(m.get('integrity.files_unchanged')!.status).toBe('unknown');
      expect(m.get('integrity.ssh_unchanged')!.status).toBe('unknown');
      // Nothing unverified goes to the collector as this node's baseline.
      expect(baselineRun(r)).toBeUndefined();
    }
  });

  it('a wrong key or a bad HMAC fails the probe the same way', async () => {
    await integrityInit(lib(s.otherKey));
    expect(byCheck(await probe({ keyFile: s.key })).get('integrity.baseline_valid')!.status).toBe('fail');
    await integrityInit(lib());
    writeFileSync(s.db, readFileSync(s.db, 'utf8').replace('"f",420', '"f",438'));
    expect(byCheck(await probe({ keyFile: s.key })).get('integrity.baseline_valid')!.status).toBe('fail');
  });

  it('an unsigned baseline keeps its behaviour: compared, and integrity.baseline_signed fails', async () => {
    await integrityInit(lib(null));
    const r = await integrityCheck(lib(null));
    expect(r.baseline).toMatchObject({ signed: false, verified: false });
    const m = byCheck(await probe());
    expect(m.get('integrity.baseline_signed')!.status).toBe('fail');
    expect(m.get('integrity.baseline_valid')!.status).toBe('pass');
    expect(m.get('integrity.files_unchanged')!.status).toBe('pass');
  });
});

/** A baseline as hostward wrote it before generations: format version 1, re-signed with `key`. */
function asVersion1(db: string, key: Buffer): void {
  const lines = readFileSync(db, 'utf8').split('\n');
  const h = JSON.parse(lines[0]!) as Record<string, unknown>;
  const v1 = {
    hostward: h.hostward,
    version: 1,
    created: h.created,
    root: h.root,
    policy: h.policy,
    signed: h.signed,
    keyId: h.keyId,
  };
  const body = [JSON.stringify(v1), ...lines.slice(1, -2)].join('\n') + '\n';
  const end = JSON.parse(lines.at(-2)!) as { records: number };
  const mac = createHmac('sha256', key).update(body).digest('hex');
  writeFileSync(db, body + JSON.stringify({ end: true, records: end.records, mac }) + '\n');
}

describe('baselines carry a generation', () => {
  it('init starts it at 1, every accept raises it, a re-init continues from the baseline it replaces', async () => {
    expect((await integrityInit(lib())).generation).toBe(1);
    expect((await integrityCheck(lib())).baseline.generation).toBe(1);
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    expect((await integrityAccept({ ...lib(), only: ['/etc/ssh'] })).generation).toBe(2);
    expect((await integrityAccept(lib())).generation).toBe(3);
    expect((await integrityInit(lib())).generation).toBe(4);
    const r = await integrityCheck(lib());
    expect(r.baseline.generation).toBe(4);
    expect(r.added.length + r.removed.length + r.modified.length).toBe(0);
  });

  it('init can be told to start above a generation (to rebuild past what the collector saw), never below the next', async () => {
    await integrityInit(lib());
    expect((await integrityInit({ ...lib(), minGeneration: 40 })).generation).toBe(40);
    expect((await integrityInit({ ...lib(), minGeneration: 3 })).generation).toBe(41);
    for (const bad of [0, -1, 1.5, 2 ** 60])
      expect(await codeOf(integrityInit({ ...lib(), minGeneration: bad }))).toBe('generation_invalid');
    expect((await integrityCheck(lib())).baseline.generation).toBe(41);
  });

  it('is covered by the HMAC: raising it in the file is tampering', async () => {
    await integrityInit(lib());
    const text = readFileSync(s.db, 'utf8');
    expect(text.split('\n')[0]).toContain('"generation":1');
    writeFileSync(s.db, text.replace('"generation":1', '"generation":7'));
    expect(await codeOf(integrityCheck(lib()))).toBe('baseline_tampered');
  });

  it('the probe reports it as a typed field of its run, with the digest', async () => {
    const made = await integrityInit(lib());
    await integrityAccept(lib());
    const b = baselineRun(await probe({ keyFile: s.key }));
    expect(b).toMatchObject({ generation: 2, signed: true });
    expect(b!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b!.digest).not.toBe(made.digest);
  });

  it('an older baseline put back is reported with its lower generation', async () => {
    await integrityInit(lib());
    copyFileSync(s.db, `${s.state}/saved.db`);
    await integrityAccept(lib());
    expect(baselineRun(await probe({ keyFile: s.key }))?.generation).toBe(2);
    copyFileSync(`${s.state}/saved.db`, s.db);
    expect(baselineRun(await probe({ keyFile: s.key }))?.generation).toBe(1);
  });

  it('a format-1 baseline (before generations) is still read, as generation 0; accepting it writes generation 1', async () => {
    await integrityInit(lib());
    asVersion1(s.db, readKeyFile(s.key));
    expect(readFileSync(s.db, 'utf8').split('\n')[0]).toContain('"version":1');
    const r = await integrityCheck(lib());
    expect(r.baseline).toMatchObject({ verified: true, generation: 0 });
    expect(baselineRun(await probe({ keyFile: s.key }))?.generation).toBe(0);
    expect((await integrityAccept({ ...lib(), only: ['/etc/passwd'] })).generation).toBe(1);
  });
});
