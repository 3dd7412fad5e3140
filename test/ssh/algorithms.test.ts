import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  ALGORITHMS,
  ALGORITHM_KINDS,
  ALGORITHM_ROW_COUNT,
  REASONS,
  STANDARDS,
  STANDARD_LISTS,
  lookupAlgorithm,
  rateAlgorithm,
  rateList,
  rateListAll,
  splitAlgorithmList,
  standardReference,
  type AlgorithmKind,
} from '../../probes/ssh/algorithms.js';

const all = [...ALGORITHMS.values()];

describe('algorithm table invariants', () => {
  it('has no duplicate rows (kind + name is unique)', () => {
    expect(ALGORITHMS.size).toBe(ALGORITHM_ROW_COUNT);
  });

  it('every name has a valid kind and a non-empty name', () => {
    for (const a of all) {
      expect(ALGORITHM_KINDS).toContain(a.kind);
      expect(a.name).toMatch(/^[a-z0-9][a-z0-9@.+-]*$/);
    }
  });

  it('every reason used is registered, every registered reason is used, and ids are unique', () => {
    const ids = REASONS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const used = new Set<string>();
    for (const a of all) for (const r of a.reasons) used.add(r.id);
    for (const std of Object.values(STANDARD_LISTS)) {
      for (const list of Object.values(std)) {
        if (!list) continue;
        used.add(list.reason.id);
        for (const w of list.warn ?? []) used.add(w.reason.id);
      }
    }
    for (const id of used) expect(ids).toContain(id);
    for (const id of ids) expect(used, `reason ${id} is never used`).toContain(id);
  });

  it('reason ids carry their level as prefix (FAIL_/WARN_/INFO_) for ssh-audit reasons', () => {
    for (const r of REASONS) {
      if (r.id.startsWith('FAIL_')) expect(r.level).toBe('fail');
      if (r.id.startsWith('WARN_')) expect(r.level).toBe('warn');
      if (r.id.startsWith('INFO_')) expect(r.level).toBe('info');
      expect(r.text.length).toBeGreaterThan(5);
    }
  });

  it('every fail and warn verdict has at least one reason, under every standard', () => {
    for (const a of all) {
      for (const std of STANDARDS) {
        const r = rateAlgorithm(a.kind, a.name, std);
        if (r.verdict === 'fail')
          expect(
            r.reasons.some((x) => x.level === 'fail'),
            `${std} ${a.name}`,
          ).toBe(true);
        if (r.verdict === 'warn')
          expect(
            r.reasons.some((x) => x.level === 'warn'),
            `${std} ${a.name}`,
          ).toBe(true);
        if (r.verdict === 'ok')
          expect(
            r.reasons.some((x) => x.level !== 'info'),
            `${std} ${a.name}`,
          ).toBe(false);
      }
    }
  });

  it('no algorithm is both allowed and denied by one standard (no list names it twice, warn names are not denied)', () => {
    for (const [std, kinds] of Object.entries(STANDARD_LISTS)) {
      for (const [kind, list] of Object.entries(kinds)) {
        if (!list) continue;
        expect(new Set(list.names).size, `${std} ${kind}`).toBe(list.names.length);
        for (const w of list.warn ?? []) {
          const denied = list.mode === 'deny' ? list.names.includes(w.name) : !list.names.includes(w.name);
          expect(denied, `${std} ${kind} ${w.name} both warns and fails`).toBe(false);
        }
      }
    }
  });

  it('every name a standard lists is in the table with the same kind', () => {
    for (const [std, kinds] of Object.entries(STANDARD_LISTS)) {
      for (const [kind, list] of Object.entries(kinds)) {
        for (const n of list?.names ?? [])
          expect(lookupAlgorithm(kind as AlgorithmKind, n), `${std} ${kind} ${n}`).toBeDefined();
      }
    }
  });

  it('flags agree with names: -etm MACs, -cbc ciphers, certificates, host key types', () => {
    for (const a of all) {
      if (a.kind === 'mac') expect(a.etm === true, a.name).toBe(a.name.includes('-etm@'));
      if (a.kind === 'cipher') expect(a.cbc === true, a.name).toBe(/-cbc(@|$)/.test(a.name));
      if (a.kind === 'hostkey') {
        expect(a.keyType, a.name).toBeDefined();
        expect(a.certificate === true, a.name).toBe(a.name.includes('-cert-v01@'));
      } else {
        expect(a.keyType).toBeUndefined();
      }
      if (a.pseudo) expect(a.kind).toBe('kex');
    }
  });

  it('every standard has a reference for every kind it covers', () => {
    for (const std of STANDARDS)
      for (const k of ALGORITHM_KINDS) {
        const covered = std === 'ssh-audit' || STANDARD_LISTS[std][k] !== undefined;
        expect(standardReference(std, k) !== undefined).toBe(covered);
      }
  });

  // The local OpenSSH's own lists: everything it implements must be rated (skipped where ssh is absent).
  const queries: [AlgorithmKind, string][] = [
    ['kex', 'kex'],
    ['hostkey', 'key'],
    ['cipher', 'cipher'],
    ['mac', 'mac'],
  ];
  for (const [kind, q] of queries) {
    let names: string[] = [];
    try {
      names = execFileSync('ssh', ['-Q', q], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      names = [];
    }
    it.skipIf(names.length === 0)(`knows every ${kind} the local OpenSSH implements (ssh -Q ${q})`, () => {
      const missing = names.filter((n) => lookupAlgorithm(kind, n) === undefined);
      expect(missing).toEqual([]);
    });
  }
});

describe('known facts the standards disagree on', () => {
  it('ecdh-sha2-nistp256 fails ssh-audit but passes CIS and CIS-DIL', () => {
    expect(rateAlgorithm('kex', 'ecdh-sha2-nistp256', 'ssh-audit').verdict).toBe('fail');
    expect(rateAlgorithm('kex', 'ecdh-sha2-nistp256', 'ssh-audit').reasons.map((r) => r.id)).toContain(
      'FAIL_NIST_CURVE',
    );
    expect(rateAlgorithm('kex', 'ecdh-sha2-nistp256', 'CIS').verdict).toBe('ok');
    expect(rateAlgorithm('kex', 'ecdh-sha2-nistp256', 'CIS-DIL').verdict).toBe('ok');
    expect(rateAlgorithm('kex', 'ecdh-sha2-nistp256', 'dev-sec').verdict).toBe('fail');
  });

  it('umac-128-etm passes ssh-audit and dev-sec but fails CIS Ubuntu 22.04 v2 5.1.15 and CIS-DIL', () => {
    expect(rateAlgorithm('mac', 'umac-128-etm@openssh.com', 'ssh-audit').verdict).toBe('ok');
    expect(rateAlgorithm('mac', 'umac-128-etm@openssh.com', 'dev-sec').verdict).toBe('ok');
    const cis = rateAlgorithm('mac', 'umac-128-etm@openssh.com', 'CIS');
    expect(cis.verdict).toBe('fail');
    expect(cis.reasons[0]?.id).toBe('CIS_WEAK_MAC');
    expect(rateAlgorithm('mac', 'umac-128-etm@openssh.com', 'CIS-DIL').verdict).toBe('fail');
  });

  it('hmac-sha1 fails ssh-audit, CIS-DIL and dev-sec; the CIS v2 5.1.15 deny list does not name it', () => {
    expect(rateAlgorithm('mac', 'hmac-sha1', 'ssh-audit').reasons.map((r) => r.id)).toEqual([
      'FAIL_SHA1',
      'WARN_ENCRYPT_AND_MAC',
    ]);
    expect(rateAlgorithm('mac', 'hmac-sha1', 'ssh-audit').verdict).toBe('fail');
    expect(rateAlgorithm('mac', 'hmac-sha1', 'CIS-DIL').verdict).toBe('fail');
    expect(rateAlgorithm('mac', 'hmac-sha1', 'dev-sec').verdict).toBe('fail');
    // CIS Ubuntu 22.04 v2.0.0 / Debian 12 5.1.15 list hmac-sha1-96 but not hmac-sha1 (verified against the benchmark's
    // audit regex).
    expect(rateAlgorithm('mac', 'hmac-sha1', 'CIS').verdict).toBe('ok');
    expect(rateAlgorithm('mac', 'hmac-sha1-96', 'CIS').verdict).toBe('fail');
  });

  it('the SHA-1 and 1024-bit KEX methods fail every standard', () => {
    for (const n of [
      'diffie-hellman-group1-sha1',
      'diffie-hellman-group14-sha1',
      'diffie-hellman-group-exchange-sha1',
    ]) {
      for (const std of STANDARDS) expect(rateAlgorithm('kex', n, std).verdict, `${std} ${n}`).toBe('fail');
    }
  });

  it('sntrup761 and mlkem768 are ok under ssh-audit; CIS-DIL predates them and fails them', () => {
    for (const n of ['sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com', 'mlkem768x25519-sha256']) {
      expect(rateAlgorithm('kex', n, 'ssh-audit').verdict, n).toBe('ok');
      expect(rateAlgorithm('kex', n, 'CIS').verdict, n).toBe('ok');
      expect(rateAlgorithm('kex', n, 'CIS-DIL').verdict, n).toBe('fail');
    }
    expect(rateAlgorithm('kex', 'sntrup761x25519-sha512@openssh.com', 'dev-sec').verdict).toBe('ok');
  });

  it('curve25519 and the DH groups only warn under ssh-audit (not post-quantum)', () => {
    const r = rateAlgorithm('kex', 'curve25519-sha256', 'ssh-audit');
    expect(r.verdict).toBe('warn');
    expect(r.reasons.map((x) => x.id)).toEqual(['WARN_NOT_PQ_SAFE']);
    expect(rateAlgorithm('kex', 'diffie-hellman-group14-sha256', 'ssh-audit').reasons.map((x) => x.id)).toContain(
      'WARN_2048BIT',
    );
  });

  it('CBC warns under ssh-audit but fails CIS; chacha20 is ok under ssh-audit and a CIS review warning', () => {
    expect(rateAlgorithm('cipher', 'aes128-cbc', 'ssh-audit').verdict).toBe('warn');
    expect(rateAlgorithm('cipher', 'aes128-cbc', 'CIS').verdict).toBe('fail');
    expect(rateAlgorithm('cipher', '3des-cbc', 'ssh-audit').reasons.map((x) => x.id)).toEqual([
      'FAIL_3DES',
      'WARN_CBC',
      'WARN_64BIT_BLOCK',
    ]);
    expect(rateAlgorithm('cipher', 'chacha20-poly1305@openssh.com', 'ssh-audit').verdict).toBe('ok');
    expect(rateAlgorithm('cipher', 'chacha20-poly1305@openssh.com', 'CIS').verdict).toBe('warn');
    expect(rateAlgorithm('cipher', 'chacha20-poly1305@openssh.com', 'CIS-DIL').verdict).toBe('ok');
  });

  it('host keys: ssh-rsa (SHA-1), DSA and NIST ECDSA (incl. sk- and certificates) fail ssh-audit; ed25519 and rsa-sha2 are ok', () => {
    for (const n of [
      'ssh-rsa',
      'ssh-rsa-cert-v01@openssh.com',
      'ssh-dss',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp521-cert-v01@openssh.com',
      'sk-ecdsa-sha2-nistp256@openssh.com',
      'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
    ]) {
      expect(rateAlgorithm('hostkey', n, 'ssh-audit').verdict, n).toBe('fail');
    }
    for (const n of [
      'ssh-ed25519',
      'ssh-ed25519-cert-v01@openssh.com',
      'sk-ssh-ed25519@openssh.com',
      'sk-ssh-ed25519-cert-v01@openssh.com',
      'rsa-sha2-512',
      'rsa-sha2-256-cert-v01@openssh.com',
    ]) {
      expect(rateAlgorithm('hostkey', n, 'ssh-audit').verdict, n).toBe('ok');
    }
    expect(lookupAlgorithm('hostkey', 'rsa-sha2-512')?.keyType).toBe('ssh-rsa');
    expect(lookupAlgorithm('hostkey', 'sk-ssh-ed25519-cert-v01@openssh.com')?.keyType).toBe(
      'sk-ssh-ed25519@openssh.com',
    );
  });

  it('CIS and CIS-DIL do not cover host key algorithms; dev-sec rejects DSA and sk- keys (sshd-14)', () => {
    expect(rateAlgorithm('hostkey', 'ssh-ed25519', 'CIS').verdict).toBe('not-covered');
    expect(rateAlgorithm('hostkey', 'ssh-dss', 'CIS-DIL').verdict).toBe('not-covered');
    expect(rateAlgorithm('hostkey', 'ssh-dss', 'dev-sec').verdict).toBe('fail');
    expect(rateAlgorithm('hostkey', 'ecdsa-sha2-nistp256', 'dev-sec').verdict).toBe('ok');
  });
});

describe('rating lists', () => {
  it('unknown algorithm names are unknown-algorithm under every standard, never ok', () => {
    for (const std of STANDARDS) {
      expect(rateAlgorithm('cipher', 'aes512-quantum@example.com', std).verdict).toBe('unknown-algorithm');
      const l = rateList('cipher', 'aes128-ctr,aes512-quantum@example.com', std);
      expect(l.unknown).toEqual(['aes512-quantum@example.com']);
      expect(l.verdict).not.toBe('ok');
    }
    // Names are case-sensitive, as in sshd.
    expect(rateAlgorithm('cipher', 'AES128-CTR', 'ssh-audit').verdict).toBe('unknown-algorithm');
    // A name of another kind is unknown for this kind.
    expect(rateAlgorithm('mac', 'aes128-ctr', 'ssh-audit').verdict).toBe('unknown-algorithm');
  });

  it('pseudo-algorithms are ignored for the verdict and reported separately', () => {
    const l = rateList(
      'kex',
      'sntrup761x25519-sha512@openssh.com,ext-info-s,kex-strict-s-v00@openssh.com',
      'ssh-audit',
    );
    expect(l.pseudo).toEqual(['ext-info-s', 'kex-strict-s-v00@openssh.com']);
    expect(l.ratings.map((r) => r.name)).toEqual(['sntrup761x25519-sha512@openssh.com']);
    expect(l.verdict).toBe('ok');
    // Not flagged by allow-list standards either.
    expect(rateList('kex', 'curve25519-sha256,kex-strict-s-v00@openssh.com', 'CIS-DIL').verdict).toBe('ok');
  });

  it('worst verdict wins: fail > unknown > warn > ok; a standard without a list is not-covered', () => {
    expect(rateList('mac', 'hmac-sha2-256-etm@openssh.com,hmac-sha1,bogus', 'ssh-audit').verdict).toBe('fail');
    expect(rateList('mac', 'hmac-sha2-256-etm@openssh.com,bogus,hmac-sha2-256', 'ssh-audit').verdict).toBe(
      'unknown-algorithm',
    );
    expect(rateList('mac', 'hmac-sha2-256-etm@openssh.com,hmac-sha2-256', 'ssh-audit').verdict).toBe('warn');
    expect(rateList('mac', ['hmac-sha2-256-etm@openssh.com'], 'ssh-audit').verdict).toBe('ok');
    expect(rateList('hostkey', 'ssh-ed25519', 'CIS').verdict).toBe('not-covered');
  });

  it('rates the OpenSSH 9.2 default lists the way ssh-audit does (stock Debian 12 exits 3)', () => {
    const macs =
      'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1';
    const all4 = rateListAll('mac', macs);
    expect(all4['ssh-audit'].fail).toEqual(['hmac-sha1-etm@openssh.com', 'hmac-sha1']);
    expect(all4.CIS.fail).toEqual(['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'umac-64@openssh.com']);
    expect(all4['dev-sec'].fail).toContain('umac-64-etm@openssh.com');
  });

  it('splits sshd -T lists tolerantly', () => {
    expect(splitAlgorithmList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitAlgorithmList('')).toEqual([]);
  });
});
