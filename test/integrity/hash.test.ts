/**
 * Optional SHA-512 and BLAKE2b-512 (issue 7): selectable globally or per rule, recorded per file in the baseline
 * (checked against node:crypto and the real sha512sum and b2sum), detected the same way as SHA-256, and a baseline
 * that mixes algorithms (the policy moved a rule to another one) compared like with like until accepted.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { integrityAccept, integrityCheck, integrityInit } from '../../src/integrity/api.js';
import { decodeRecord } from '../../src/integrity/db.js';
import { formatHash, hashAlgorithmOf } from '../../src/integrity/hash.js';
import { parsePolicy, policyFromObject, defaultPolicy } from '../../src/integrity/policy.js';
import type { FileRecord } from '../../src/integrity/types.js';
import { policy, sandbox } from './helpers.js';
import { fsClockTick } from '../helpers/wait.js';
import type { Sandbox } from './helpers.js';

let s: Sandbox | undefined;
afterEach(() => s?.cleanup());

const BIG = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // more than one 1 MiB block: the streamed path

function records(db: string): Map<string, FileRecord> {
  const lines = readFileSync(db, 'utf8').trim().split('\n').slice(1, -1);
  return new Map(lines.map((l) => decodeRecord(l)!).map((r) => [r.path, r]));
}

const tool = (cmd: string, file: string) => execFileSync(cmd, [file], { encoding: 'utf8' }).split(' ')[0]!;

describe('hash algorithms in the policy', () => {
  it('validates hash globally and per rule, naming the key', () => {
    expect(
      policyFromObject({
        hash: 'sha512',
        rules: [
          { path: '/a', properties: 'config' },
          { path: '/b', properties: 'config', hash: 'blake2b512' },
        ],
      }).rules.map((r) => r.hash),
    ).toEqual(['sha512', 'blake2b512']);
    expect(defaultPolicy().rules.every((r) => r.hash === 'sha256')).toBe(true);
    expect(() => parsePolicy('hash: md5\nrules: [{path: /a, properties: config}]\n', 'p.yaml')).toThrow(
      /p\.yaml: hash: must be one of sha256, sha512, blake2b512, got "md5"/,
    );
    expect(() => parsePolicy('rules: [{path: /a, properties: config, hash: [sha512]}]\n', 'p.yaml')).toThrow(
      /rules\[0\]\.hash: must be one of/,
    );
  });

  it('sha256 leaves the policy digest as it was before the key existed; another algorithm changes it', () => {
    const rules = [{ path: '/etc/ssh', properties: 'config' }];
    const plain = policyFromObject({ rules });
    expect(policyFromObject({ hash: 'sha256', rules }).digest).toBe(plain.digest);
    expect(policyFromObject({ hash: 'sha512', rules }).digest).not.toBe(plain.digest);
    // The digest of the rule as it was canonicalised before `hash` and `watch` existed.
    const canon = JSON.stringify({
      exclude: [],
      rules: [
        {
          path: '/etc/ssh',
          properties: ['group', 'mode', 'owner', 'sha256', 'target', 'type'],
          depth: -1,
          exclude: [],
          oneFilesystem: true,
        },
      ],
    });
    expect(plain.digest).toBe(createHash('sha256').update(canon).digest('hex'));
  });

  it('stored form: bare hex for SHA-256, name-prefixed for the others; anything else is refused', () => {
    const h256 = 'a'.repeat(64);
    const h512 = 'b'.repeat(128);
    expect(hashAlgorithmOf(h256)).toBe('sha256');
    expect(hashAlgorithmOf(formatHash('sha512', h512))).toBe('sha512');
    expect(hashAlgorithmOf(formatHash('blake2b512', h512))).toBe('blake2b512');
    for (const bad of [
      'sha256:' + h256,
      'sha512:' + h256,
      'md5:' + h512,
      h512,
      'A'.repeat(64),
      'blake2b512:' + h512 + '0',
      '',
      ':',
    ])
      expect(hashAlgorithmOf(bad), bad).toBeUndefined();
    const line = (sha: string) => JSON.stringify(['/x', 'f', 420, 0, 0, 1, 1, 1, 1, 1, sha, null]);
    expect(decodeRecord(line('sha512:' + h512))?.sha256).toBe('sha512:' + h512);
    expect(decodeRecord(line('sha512:' + h256))).toBeUndefined();
  });
});

describe('baselines with SHA-512 and BLAKE2b-512', () => {
  const POLICY = `version: 1
hash: sha512
rules:
  - {path: /etc, properties: config, category: ssh}
  - {path: /usr/bin, properties: binaries, category: binaries, hash: blake2b512}
  - {path: /var/lib, properties: config}
`;
  const TREE = {
    'etc/ssh/sshd_config': 'PasswordAuthentication no\n',
    'usr/bin/kubelet': BIG,
    'var/lib/x.conf': 'x\n',
  };

  it("records each file with its rule's algorithm, equal to sha512sum and b2sum, and detects a change", async () => {
    s = sandbox(TREE);
    writeFileSync(
      `${s.state}/policy.yaml`,
      POLICY.replace(
        '  - {path: /var/lib, properties: config}\n',
        '  - {path: /var/lib, properties: config, hash: sha256}\n',
      ),
    );
    const opts = { root: s.root, policy: `${s.state}/policy.yaml`, dbFile: s.db, keyFile: s.key };
    await integrityInit(opts);
    const recs = records(s.db);
    expect(recs.get('/etc/ssh/sshd_config')!.sha256).toBe('sha512:' + tool('sha512sum', s.at('etc/ssh/sshd_config')));
    expect(recs.get('/usr/bin/kubelet')!.sha256).toBe('blake2b512:' + tool('b2sum', s.at('usr/bin/kubelet')));
    expect(recs.get('/var/lib/x.conf')!.sha256).toBe(tool('sha256sum', s.at('var/lib/x.conf')));
    expect((await integrityCheck(opts)).modified).toEqual([]);
    await fsClockTick(); // times written from here on differ from the baseline's
    const patched = Buffer.from(BIG);
    patched[2 * 1024 * 1024 + 5] = 8; // one byte in the third block, size and everything else equal
    writeFileSync(s.at('usr/bin/kubelet'), patched);
    writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    const r = await integrityCheck(opts);
    const byPath = new Map(r.modified.map((m) => [m.path, m]));
    expect(byPath.get('/usr/bin/kubelet')!.changes).toContain('sha256');
    expect(String(byPath.get('/usr/bin/kubelet')!.new.sha256)).toBe(
      'blake2b512:' + tool('b2sum', s.at('usr/bin/kubelet')),
    );
    expect(byPath.get('/etc/ssh/sshd_config')!.changes).toEqual(['sha256']);
    expect(String(byPath.get('/etc/ssh/sshd_config')!.old.sha256)).toMatch(/^sha512:[0-9a-f]{128}$/);
  });

  it('a policy that changes algorithm: compared with the recorded one (no false change), re-hashed on accept', async () => {
    s = sandbox(TREE);
    const p256 = policy({
      version: 1,
      rules: [
        { path: '/etc', properties: 'config', category: 'ssh' },
        { path: '/usr/bin', properties: 'binaries' },
      ],
    });
    const p512 = policy({
      version: 1,
      hash: 'sha512',
      rules: [
        { path: '/etc', properties: 'config', category: 'ssh' },
        { path: '/usr/bin', properties: 'binaries' },
      ],
    });
    await integrityInit({ root: s.root, policy: p256, dbFile: s.db, keyFile: s.key });
    const opts = { root: s.root, policy: p512, dbFile: s.db, keyFile: s.key, rehashSlices: 1 };
    const r = await integrityCheck(opts); // every file re-read (one slice)
    expect(r.modified).toEqual([]);
    expect(r.stats.hashed).toBe(2);
    expect(r.notes.join('\n')).toMatch(/2 files are recorded with another hash algorithm than the policy asks for/);
    await fsClockTick(); // times written from here on differ from the baseline's
    writeFileSync(s.at('etc/ssh/sshd_config'), 'PasswordAuthentication yes\n');
    expect((await integrityCheck(opts)).modified.map((m) => m.path)).toEqual(['/etc/ssh/sshd_config']);
    // Accepting one path re-hashes it with the new algorithm; the rest stays SHA-256: a mixed baseline.
    await integrityAccept({ ...opts, only: ['/etc/ssh'] });
    let recs = records(s.db);
    expect(hashAlgorithmOf(recs.get('/etc/ssh/sshd_config')!.sha256!)).toBe('sha512');
    expect(hashAlgorithmOf(recs.get('/usr/bin/kubelet')!.sha256!)).toBe('sha256');
    const mixed = await integrityCheck(opts);
    expect(mixed.modified).toEqual([]);
    expect(mixed.notes.join('\n')).toMatch(/1 files are recorded with another hash algorithm/);
    await integrityAccept(opts);
    recs = records(s.db);
    expect([...recs.values()].filter((x) => x.sha256).map((x) => hashAlgorithmOf(x.sha256!))).toEqual([
      'sha512',
      'sha512',
    ]);
    expect((await integrityCheck(opts)).notes.join('\n')).not.toMatch(/another hash algorithm/);
  });

  it('--path with --hash through the library option', async () => {
    s = sandbox({ 'opt/app/bin': 'x\n' });
    await integrityInit({ root: s.root, paths: ['/opt/app'], hash: 'blake2b512', dbFile: s.db, keyFile: s.key });
    expect(records(s.db).get('/opt/app/bin')!.sha256).toBe('blake2b512:' + tool('b2sum', s.at('opt/app/bin')));
  });
});
